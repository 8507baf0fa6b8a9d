"""Read QPV perimeter files (GeoJSON, shapefile or GeoPackage, bare or zipped) into a typed frame.

Output: one row per QPV with its code, name, geography (``qpv2024``/``qpv2015``), listed commune codes
and names, département, EPCI, and the geometry as WKB in Lambert-93 (EPSG:2154). An invalid geometry
is repaired with ``make_valid`` and flagged (``geom_repaired``) so the asset check reports it.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import polars as pl
import pyogrio
import shapely
from pyproj import CRS, Transformer

from sources._archive import extract, is_zip, list_members
from sources._errors import SourceFormatError
from sources._faults import checkpoint
from sources.qpv_perimeters import settings

L93 = CRS.from_epsg(2154)
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
# Where French QPVs can be, in WGS84 (lon_min, lat_min, lon_max, lat_max): metropolitan France and
# Corsica, the Antilles, Guyane, La Réunion, Mayotte. A perimeter elsewhere is a coordinate fault
# (swapped axes, wrong CRS declared), never a place.
FRANCE_BOXES = (
    (-5.5, 41.0, 10.0, 51.5),
    (-63.5, 14.0, -60.5, 18.5),
    (-55.0, 2.0, -51.0, 6.0),
    (55.0, -21.6, 56.0, -20.8),
    (44.9, -13.1, 45.4, -12.5),
)
_COMMUNE_CODE = re.compile(r"\b(\d[\dAB]\d{3})\b")

PERIMETER_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "geography": pl.String(),
    "commune_codes": pl.List(pl.String()),
    "commune_names": pl.String(),
    "departement": pl.String(),
    "epci": pl.String(),
    "geom_wkb": pl.Binary(),
    "geom_repaired": pl.Boolean(),
    "source_crs": pl.String(),
    "source_file": pl.String(),
    "source_sha256": pl.String(),
}


def geography_of(code: str) -> str | None:
    """``qpv2024`` for QN… codes, ``qpv2015`` for QP… codes, None otherwise."""
    for geography, pattern in settings.CODE_PATTERNS.items():
        if re.match(pattern, code):
            return geography
    return None


def _pick_member(path: Path, members: list[str], preferred: str | None) -> str:
    if preferred and preferred in members:
        return preferred
    vectors = [m for m in members if m.lower().endswith(VECTOR_SUFFIXES)]
    # Prefer the Lambert-93 layer (no reprojection), then WGS84 GeoJSON.
    for key in ("lb93", "2154", "wgs84", ""):
        for m in vectors:
            if key in m.lower():
                return m
    raise SourceFormatError(
        str(path), f"no GeoJSON/shapefile/GeoPackage member in the archive (members: {members})"
    )


def read_perimeters(
    path: Path,
    *,
    geography: str,
    sha256: str = "",
    member: str | None = None,
    display_name: str | None = None,
) -> pl.DataFrame:
    """Parse a perimeter file of one geography (``qpv2024`` or ``qpv2015``)."""
    if geography not in settings.CODE_PATTERNS:
        raise ValueError(f"unknown geography {geography!r}")
    shown = display_name or str(path)
    if is_zip(path):
        with tempfile.TemporaryDirectory(prefix="quartiers-qpv-") as tmp:
            members = list_members(path)
            chosen = _pick_member(path, members, member)
            wanted = [m for m in members if Path(m).with_suffix("") == Path(chosen).with_suffix("")]
            extract(path, Path(tmp) / "x", members=wanted)
            return _read_vector(Path(tmp) / "x" / chosen, geography, sha256, f"{shown}!{chosen}")
    return _read_vector(path, geography, sha256, shown)


def _first(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower().strip(): c for c in columns}
    for cand in candidates:
        if cand in lowered:
            return lowered[cand]
    return None


def _read_vector(path: Path, geography: str, sha256: str, shown: str) -> pl.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta = pyogrio.read_info(path)
            table = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, …
        raise SourceFormatError(shown, f"not a readable vector file ({exc})") from exc
    if meta.get("crs") is None or table.crs is None:
        raise SourceFormatError(shown, "no coordinate reference system (missing .prj or crs member); refused")
    columns = [c for c in table.columns if c != "geometry"]
    code_col = _first(columns, settings.CODE_FIELDS)
    if code_col is None:
        raise SourceFormatError(
            shown, f"missing property code_qp (properties found: {columns})", column="code_qp"
        )
    name_col = _first(columns, settings.NAME_FIELDS)
    if name_col is None:
        raise SourceFormatError(
            shown, f"missing property lib_qp/nom_qp (properties found: {columns})", column="lib_qp"
        )
    com_col = _first(columns, settings.COMMUNE_CODE_FIELDS)
    comname_col = _first(columns, settings.COMMUNE_NAME_FIELDS)
    dep_col = _first(columns, settings.DEP_FIELDS)
    epci_col = _first(columns, settings.EPCI_FIELDS)

    src_crs = CRS.from_user_input(table.crs)
    to_l93 = None if src_crs.equals(L93) else Transformer.from_crs(src_crs, L93, always_xy=True)
    to_wgs84 = Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True)
    geoms = table.geometry.values
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i in range(len(table)):
        feature_no = i + 1
        code = table[code_col].iloc[i]
        if code is None or str(code).strip() == "":
            raise SourceFormatError(shown, "empty QPV code", row=feature_no, column=code_col)
        code = str(code).strip()
        found = geography_of(code)
        if found != geography:
            raise SourceFormatError(
                shown,
                f"code {code!r} is not a {geography} code (it looks like {found or 'no QPV geography'})",
                row=feature_no,
                column=code_col,
            )
        if code in seen:
            raise SourceFormatError(
                shown, f"code {code!r} already on feature {seen[code]}", row=feature_no, column=code_col
            )
        seen[code] = feature_no
        geom = geoms[i]
        if geom is None or shapely.is_empty(geom):
            raise SourceFormatError(shown, f"QPV {code} has no geometry", row=feature_no, column="geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise SourceFormatError(
                shown, f"QPV {code} geometry is a {geom.geom_type}, not a polygon", row=feature_no
            )
        _check_in_france(geom, to_wgs84, shown, feature_no, code)
        if to_l93 is not None:
            geom = shapely.transform(geom, lambda xy, t=to_l93: _apply(t, xy))
        repaired = False
        if not shapely.is_valid(geom):
            geom = _polygonal(shapely.make_valid(geom))
            repaired = True
        commune_codes: list[str] = []
        if com_col is not None and table[com_col].iloc[i] is not None:
            commune_codes = _COMMUNE_CODE.findall(
                str(table[com_col].iloc[i]).replace('="', " ").replace('"', " ")
            )
        rows.append(
            {
                "code": code,
                "name": str(table[name_col].iloc[i] or "").strip(),
                "geography": geography,
                "commune_codes": commune_codes,
                "commune_names": None if comname_col is None else _str_or_none(table[comname_col].iloc[i]),
                "departement": None if dep_col is None else _str_or_none(table[dep_col].iloc[i]),
                "epci": None if epci_col is None else _str_or_none(table[epci_col].iloc[i]),
                "geom_wkb": shapely.to_wkb(geom),
                "geom_repaired": repaired,
                "source_crs": src_crs.to_string(),
                "source_file": shown,
                "source_sha256": sha256,
            }
        )
    if not rows:
        raise SourceFormatError(shown, "no feature in the file")
    checkpoint(f"parse.{geography}")
    return pl.DataFrame(rows, schema=PERIMETER_SCHEMA)


def _check_in_france(geom: shapely.Geometry, to_wgs84: Transformer, shown: str, row: int, code: str) -> None:
    minx, miny, maxx, maxy = geom.bounds
    lon0, lat0 = to_wgs84.transform(minx, miny)
    lon1, lat1 = to_wgs84.transform(maxx, maxy)
    for bx0, by0, bx1, by1 in FRANCE_BOXES:
        if bx0 <= lon0 and lon1 <= bx1 and by0 <= lat0 and lat1 <= by1:
            return
    raise SourceFormatError(
        shown,
        f"QPV {code} lies outside France (lon {lon0:.3f}…{lon1:.3f}, lat {lat0:.3f}…{lat1:.3f}): "
        "swapped axes or a wrong CRS?",
        row=row,
        column="geometry",
    )


def _apply(transformer: Transformer, xy: object) -> object:
    import numpy as np

    arr = np.asarray(xy)
    x, y = transformer.transform(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y])


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection with lines; keep the polygonal part."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
