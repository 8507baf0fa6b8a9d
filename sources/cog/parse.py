"""Parsers of the geographic reference files: INSEE COG CSVs, the EPCI composition workbook, Etalab's
découpage administratif JSON, and commune contours (GeoJSON, optionally gzipped).

Every parser returns one of four standard frames, whatever the file form:
- communes: code, name, departement, region, epci, population, geo_version
- epci: code, name, nature
- departements: code, name, region
- regions: code, name
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import shapely
from pyproj import Transformer
from shapely.errors import GEOSException

from sources._archive import extract, is_xlsx, is_zip, list_members
from sources._errors import SourceFormatError
from sources._faults import checkpoint

COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
DEP_RE = re.compile(r"^(\d{2}|2[AB]|9[78]\d)$")
REG_RE = re.compile(r"^(\d{2}|9[78]\d)$")
EPCI_RE = re.compile(r"^\d{9}$")

COMMUNES_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "departement": pl.String(),
    "region": pl.String(),
    "epci": pl.String(),
    "population": pl.Int64(),
    "source_sha256": pl.String(),
}
EPCI_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "nature": pl.String(),
    "source_sha256": pl.String(),
}
DEPARTEMENTS_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "region": pl.String(),
    "source_sha256": pl.String(),
}
REGIONS_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "source_sha256": pl.String(),
}
CONTOURS_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "geom_wkb": pl.Binary(),
    "source_sha256": pl.String(),
}


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw.lstrip()[:1] == b"<":
        raise SourceFormatError(
            str(path), "the file is an HTML page, not data (an error page saved as data?)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceFormatError(
            str(path), f"not UTF-8 (byte {raw[exc.start]:#x} at offset {exc.start})", row=line
        ) from exc


def _read_csv(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    text = _read_text(path)
    first = text.splitlines()[0] if text else ""
    if not first:
        raise SourceFormatError(str(path), "empty file")
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        frame = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False)
    except pl.exceptions.PolarsError as exc:  # ragged or cut-short rows
        raise SourceFormatError(str(path), f"not a well-formed CSV ({str(exc).splitlines()[0]})") from exc
    frame = frame.rename({c: c.strip().upper() for c in frame.columns})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceFormatError(
            str(path), f"missing column(s) {missing}; header is {frame.columns}", row=1, column=missing[0]
        )
    return frame


def _check_codes(path: Path, frame: pl.DataFrame, column: str, pattern: re.Pattern[str], what: str) -> None:
    seen: dict[str, int] = {}
    rows = frame["_row"].to_list() if "_row" in frame.columns else [i + 2 for i in range(frame.height)]
    for row, value in zip(rows, frame[column].to_list(), strict=True):
        if value is None or not pattern.match(value):
            raise SourceFormatError(str(path), f"{what} code {value!r} is malformed", row=row, column=column)
        if value in seen:
            raise SourceFormatError(
                str(path), f"{what} code {value!r} already on row {seen[value]}", row=row, column=column
            )
        seen[value] = row


def read_insee_communes(path: Path, *, sha256: str = "") -> pl.DataFrame:
    """INSEE ``v_commune_YYYY.csv``: current communes (TYPECOM = COM)."""
    frame = _read_csv(path, ("TYPECOM", "COM", "REG", "DEP", "LIBELLE"))
    frame = frame.with_row_index("_row", offset=2).filter(pl.col("TYPECOM") == "COM")
    _check_codes(path, frame, "COM", COMMUNE_RE, "commune")
    return pl.DataFrame(
        {
            "code": frame["COM"],
            "name": frame["LIBELLE"],
            "departement": frame["DEP"],
            "region": frame["REG"],
            "epci": pl.Series([None] * frame.height, dtype=pl.String()),
            "population": pl.Series([None] * frame.height, dtype=pl.Int64()),
            "source_sha256": [sha256] * frame.height,
        },
        schema=COMMUNES_SCHEMA,
    )


def read_insee_departements(path: Path, *, sha256: str = "") -> pl.DataFrame:
    frame = _read_csv(path, ("DEP", "REG", "LIBELLE"))
    _check_codes(path, frame, "DEP", DEP_RE, "département")
    return pl.DataFrame(
        {
            "code": frame["DEP"],
            "name": frame["LIBELLE"],
            "region": frame["REG"],
            "source_sha256": [sha256] * frame.height,
        },
        schema=DEPARTEMENTS_SCHEMA,
    )


def read_insee_regions(path: Path, *, sha256: str = "") -> pl.DataFrame:
    frame = _read_csv(path, ("REG", "LIBELLE"))
    _check_codes(path, frame, "REG", REG_RE, "région")
    return pl.DataFrame(
        {"code": frame["REG"], "name": frame["LIBELLE"], "source_sha256": [sha256] * frame.height},
        schema=REGIONS_SCHEMA,
    )


def _xlsx_sheet(path: Path, sheet: str, required: tuple[str, ...], shown: str) -> pl.DataFrame:
    """Read a sheet of an INSEE workbook: titles first, then the row of variable codes.

    The header row is found by looking for the required codes in the first 15 rows, so a workbook
    whose title block grew by a row still reads; fastexcel reads the XML directly (openpyxl chokes on
    INSEE's colour styles).
    """
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
    except Exception as exc:
        raise SourceFormatError(shown, f"not a readable XLSX workbook ({exc})") from exc
    if sheet not in reader.sheet_names:
        raise SourceFormatError(shown, f"no sheet {sheet!r} (sheets: {reader.sheet_names})", sheet=sheet)
    raw = reader.load_sheet_by_name(sheet, header_row=None, n_rows=15).to_polars()
    header_idx = None
    for idx in range(raw.height):
        values = {str(v).strip().upper() for v in raw.row(idx) if v is not None}
        if set(required) <= values:
            header_idx = idx
            break
    if header_idx is None:
        raise SourceFormatError(
            shown,
            f"no header row with {list(required)} in the first 15 rows",
            sheet=sheet,
            column=required[0],
        )
    frame = reader.load_sheet_by_name(sheet, header_row=header_idx, dtypes="string").to_polars()
    frame = frame.rename({c: c.strip().upper() for c in frame.columns})
    return frame.with_columns(pl.int_range(header_idx + 2, header_idx + 2 + frame.height).alias("_row"))


def read_insee_epci(
    path: Path, *, sha256: str = "", member: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """INSEE EPCI composition (zip or xlsx): returns (epci, commune→epci) frames."""
    return _read_workbook(path, sha256, member, _epci_workbook)


Workbook = Callable[[Path, str, str], tuple[pl.DataFrame, pl.DataFrame]]


def _read_workbook(
    path: Path, sha256: str, member: str | None, read: Workbook
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """An INSEE workbook, bare or zipped (the .xlsx member chosen), read by ``read``; a cut-short
    archive or workbook is named."""
    shown = str(path)
    try:
        if is_zip(path) and not is_xlsx(path):
            members = [m for m in list_members(path) if m.lower().endswith(".xlsx")]
            if not members:
                raise SourceFormatError(shown, "no .xlsx member in the archive")
            chosen = member if member in members else members[0]
            with tempfile.TemporaryDirectory(prefix="quartiers-xlsx-") as tmp:
                extract(path, Path(tmp) / "x", members=[chosen])
                return read(Path(tmp) / "x" / chosen, sha256, f"{shown}!{chosen}")
        return read(path, sha256, shown)
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(shown, f"archive or workbook is corrupt or truncated ({exc})") from exc


def _composition_rows(comp: pl.DataFrame, shown: str) -> pl.DataFrame:
    """The rows of a Composition_communale sheet (EPCI or UU workbook) that name a commune, each code
    checked."""
    comp = comp.filter(pl.col("CODGEO").is_not_null())
    for row, code in zip(comp["_row"], comp["CODGEO"], strict=True):
        if not COMMUNE_RE.match(code):
            raise SourceFormatError(
                shown,
                f"commune code {code!r} is malformed",
                sheet="Composition_communale",
                row=row,
                column="CODGEO",
            )
    return comp


def _epci_workbook(path: Path, sha256: str, shown: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    epci = _xlsx_sheet(path, "EPCI", ("EPCI", "LIBEPCI", "NATURE_EPCI"), shown)
    comp = _xlsx_sheet(path, "Composition_communale", ("CODGEO", "EPCI"), shown)
    epci = epci.filter(pl.col("EPCI").is_not_null() & (pl.col("NATURE_EPCI") != "ZZ"))
    for row, code in zip(epci["_row"], epci["EPCI"], strict=True):
        if not EPCI_RE.match(code):
            raise SourceFormatError(
                shown, f"EPCI code {code!r} is not a 9-digit SIREN", sheet="EPCI", row=row, column="EPCI"
            )
    comp = _composition_rows(comp, shown)
    checkpoint("parse.epci")
    epci_frame = pl.DataFrame(
        {
            "code": epci["EPCI"],
            "name": epci["LIBEPCI"],
            "nature": epci["NATURE_EPCI"],
            "source_sha256": [sha256] * epci.height,
        },
        schema=EPCI_SCHEMA,
    )
    members = comp.select(
        pl.col("CODGEO").alias("commune"),
        pl.when(pl.col("EPCI").str.contains(r"^\d{9}$")).then(pl.col("EPCI")).otherwise(None).alias("epci"),
    )
    return epci_frame, members


UU_SCHEMA: dict[str, pl.DataType] = {"code": pl.String(), "name": pl.String(), "source_sha256": pl.String()}


def read_insee_unites_urbaines(
    path: Path, *, sha256: str = "", member: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """INSEE UU2020 composition (zip or xlsx): returns (unités urbaines, commune→UU) frames.

    Communes outside any unité urbaine carry a pseudo-code ``<DEP>000`` and status H: they get no link.
    """
    return _read_workbook(path, sha256, member, _uu_workbook)


def _uu_workbook(path: Path, sha256: str, shown: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    comp = _xlsx_sheet(path, "Composition_communale", ("CODGEO", "UU2020", "LIBUU2020"), shown)
    comp = _composition_rows(comp, shown)
    status = pl.col("STATUT_COM_UU") if "STATUT_COM_UU" in comp.columns else pl.lit(None, pl.String)
    urban = comp.filter((status != "H").fill_null(True) & ~pl.col("UU2020").str.ends_with("000"))
    uu = (
        urban.group_by("UU2020", maintain_order=True)
        .agg(pl.col("LIBUU2020").first())
        .select(
            pl.col("UU2020").alias("code"),
            pl.col("LIBUU2020").alias("name"),
            pl.lit(sha256).alias("source_sha256"),
        )
    )
    members = urban.select(pl.col("CODGEO").alias("commune"), pl.col("UU2020").alias("unite_urbaine"))
    return uu.cast(UU_SCHEMA), members  # type: ignore[arg-type]


def read_etalab_communes(path: Path, *, sha256: str = "") -> pl.DataFrame:
    """Etalab ``communes.json`` (découpage administratif): current communes with population."""
    data = _json_array(path, ("code", "nom", "type"))
    rows = [d for d in data if d.get("type") == "commune-actuelle"]
    for idx, d in enumerate(rows):
        if not COMMUNE_RE.match(str(d.get("code", ""))):
            raise SourceFormatError(
                str(path), f"commune code {d.get('code')!r} is malformed", row=idx + 1, column="code"
            )
    return pl.DataFrame(
        {
            "code": [d["code"] for d in rows],
            "name": [d["nom"] for d in rows],
            "departement": [d.get("departement") for d in rows],
            "region": [d.get("region") for d in rows],
            "epci": [None for _ in rows],
            "population": [d.get("population") for d in rows],
            "source_sha256": [sha256] * len(rows),
        },
        schema=COMMUNES_SCHEMA,
    )


def read_etalab_epci(path: Path, *, sha256: str = "") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Etalab ``epci.json``: EPCIs with their member communes."""
    data = _json_array(path, ("code", "nom", "membres"))
    epci = pl.DataFrame(
        {
            "code": [d["code"] for d in data],
            "name": [d["nom"] for d in data],
            "nature": [d.get("type") for d in data],
            "source_sha256": [sha256] * len(data),
        },
        schema=EPCI_SCHEMA,
    )
    members = pl.DataFrame(
        [{"commune": m["code"], "epci": d["code"]} for d in data for m in d["membres"]],  # type: ignore[attr-defined]
        schema={"commune": pl.String(), "epci": pl.String()},
    )
    return epci, members


def read_etalab_departements(path: Path, *, sha256: str = "") -> pl.DataFrame:
    data = _json_array(path, ("code", "nom", "region"))
    return pl.DataFrame(
        {
            "code": [d["code"] for d in data],
            "name": [d["nom"] for d in data],
            "region": [d["region"] for d in data],
            "source_sha256": [sha256] * len(data),
        },
        schema=DEPARTEMENTS_SCHEMA,
    )


def read_etalab_regions(path: Path, *, sha256: str = "") -> pl.DataFrame:
    data = _json_array(path, ("code", "nom"))
    return pl.DataFrame(
        {
            "code": [d["code"] for d in data],
            "name": [d["nom"] for d in data],
            "source_sha256": [sha256] * len(data),
        },
        schema=REGIONS_SCHEMA,
    )


def _json_array(path: Path, keys: tuple[str, ...]) -> list[dict[str, object]]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(str(path), f"invalid JSON ({exc.msg})", row=exc.lineno) from exc
    if not isinstance(data, list):
        raise SourceFormatError(str(path), "expected a JSON array of objects")
    for idx, item in enumerate(data):
        missing = [k for k in keys if k not in item]
        if missing:
            raise SourceFormatError(
                str(path), f"object {idx + 1} lacks {missing}", row=idx + 1, column=missing[0]
            )
    return data


_CONTOUR_CODE_KEYS = ("code", "code_commune", "insee_com", "codgeo")
_CONTOUR_NAME_KEYS = ("nom", "nom_commune", "libelle", "nom_com")


def read_commune_contours(path: Path, *, sha256: str = "") -> pl.DataFrame:
    """Commune contours in GeoJSON (WGS84), gzipped or not, to Lambert-93 WKB.

    Etalab's layer holds the Paris/Lyon/Marseille arrondissements beside their commune: arrondissements
    (rows whose ``commune`` property names a parent) are dropped, so nothing counts twice.
    """
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(str(path), f"invalid GeoJSON ({exc.msg})", row=exc.lineno) from exc
    if data.get("type") != "FeatureCollection":
        raise SourceFormatError(str(path), "not a GeoJSON FeatureCollection")
    crs_name = ((data.get("crs") or {}).get("properties") or {}).get("name", "OGC:CRS84")
    if "2154" in crs_name:
        transformer = None
    elif "CRS84" in crs_name or "4326" in crs_name:
        transformer = Transformer.from_crs("OGC:CRS84", "EPSG:2154", always_xy=True)
    else:
        raise SourceFormatError(str(path), f"unsupported CRS {crs_name!r} (expected WGS84 or Lambert-93)")
    codes: list[str] = []
    names: list[str | None] = []
    rows: list[int] = []
    geojson: list[str] = []
    for idx, feature in enumerate(data.get("features", [])):
        props = {k.lower(): v for k, v in (feature.get("properties") or {}).items()}
        if props.get("commune"):  # an arrondissement municipal
            continue
        code = next((str(props[k]) for k in _CONTOUR_CODE_KEYS if props.get(k)), None)
        if code is None or not COMMUNE_RE.match(code):
            raise SourceFormatError(
                str(path), f"feature without a valid commune code ({code!r})", row=idx + 1, column="code"
            )
        if not feature.get("geometry"):
            raise SourceFormatError(
                str(path), f"commune {code} has no geometry", row=idx + 1, column="geometry"
            )
        codes.append(code)
        names.append(next((str(props[k]) for k in _CONTOUR_NAME_KEYS if props.get(k)), None))
        rows.append(idx + 1)
        geojson.append(json.dumps(feature["geometry"]))
    if not codes:
        raise SourceFormatError(str(path), "no commune feature")
    del data, text
    # Whole-layer array operations (GEOS reads the geometries, one PROJ call projects every vertex,
    # validity and WKB in GEOS loops): a Python call per feature made this the slowest COG step.
    try:
        geoms = shapely.from_geojson(geojson)
    except GEOSException as exc:
        raise SourceFormatError(str(path), f"unreadable geometry ({exc})", column="geometry") from exc
    del geojson
    empty = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if empty.size:
        i = int(empty[0])
        raise SourceFormatError(
            str(path), f"commune {codes[i]} has no geometry", row=rows[i], column="geometry"
        )
    if transformer is not None:
        project = transformer.transform

        def to_l93(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            x, y = project(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        geoms = shapely.transform(geoms, to_l93)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    wkb = shapely.to_wkb(geoms).tolist()
    return pl.DataFrame(
        {"code": codes, "name": names, "geom_wkb": wkb, "source_sha256": [sha256] * len(codes)},
        schema=CONTOURS_SCHEMA,
    )
