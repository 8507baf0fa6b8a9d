"""Parsers of the Filosofi 200 m grid: CSV (plain, in a zip, or in a .7z nested in a zip) and GeoPackage.

Every parser returns the staged frame described by `STAGED_SCHEMA`: one row per inhabited cell, the cell's
native corner parsed from its id, its square rebuilt in the native CRS of the id and reprojected to the
published CRS (Lambert-93 for metropolitan France), and the counts as floats (imputed cells carry decimals).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import shapely
from pyproj import Transformer

from sources._archive import MAX_MEMBER_BYTES, is_zip
from sources._errors import SourceFormatError
from sources.filosofi_grid.settings import (
    CELL_ID_PATTERN,
    CELL_SIZE_M,
    COUNT_COLUMNS,
    FLAG_COLUMNS,
    GEO_COLUMN,
    ID_CRS_TO_TARGET_CRS,
    REQUIRED_COLUMNS,
)
from sources.insee_common.read import read_member_bounded

STAGED_SCHEMA: dict[str, pl.DataType] = {
    "territory": pl.String(),  # met | mart | reun (from the member name; "met" for a lone file)
    "cell_id": pl.String(),
    "cell_crs": pl.String(),  # CRS of the id, e.g. EPSG:3035
    "cell_x": pl.Int64(),  # south-west corner in cell_crs (the "E" part of the id)
    "cell_y": pl.Int64(),  # south-west corner in cell_crs (the "N" part of the id)
    "cell_id_1km": pl.String(),
    "cell_id_nat": pl.String(),
    "imputed_200m": pl.Boolean(),  # i_est_200 = 1: the cell's values are modelled (fewer than 11 households)
    "imputed_1km": pl.Boolean(),
    "groupe": pl.String(),  # 2017/2019 only
    "lcog_geo": pl.String(),  # commune codes touched by the cell, concatenated
    **{name: pl.Float64() for name in COUNT_COLUMNS},
    "geom_crs": pl.String(),  # EPSG:2154 for metropolitan France
    "corner_x": pl.Float64(),  # south-west corner of the cell in geom_crs
    "corner_y": pl.Float64(),
    "geom_wkb": pl.Binary(),  # the cell square in geom_crs
}

_ID_RE = re.compile(CELL_ID_PATTERN)
_MEMBER_RE = re.compile(r"carreaux_200m_(met|mart|reun)\.(csv|gpkg)$", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"


def _territory_of(name: str) -> str:
    match = _MEMBER_RE.search(name)
    return match.group(1).lower() if match else "met"


def parse_filosofi_grid_csv(path: Path, *, territories: Sequence[str] | None = None) -> pl.DataFrame:
    """Parse the 200 m grid CSV as published: a `.csv`, a `.zip` of CSVs (2021), or a `.zip` holding a `.7z`
    of CSVs (2017, 2019; needs the optional `py7zr` package). `territories` restricts the members read
    (`met`, `mart`, `reun`); by default every member is read and the frames are concatenated."""
    if not is_zip(path):  # by content: a zip saved under a .csv name is still opened as a zip
        return _parse_csv_bytes(path.read_bytes(), str(path), _territory_of(path.name))
    members = _read_members(path)
    frames = [
        _parse_csv_bytes(data, f"{path}!{name}", _territory_of(name))
        for name, data in members
        if territories is None or _territory_of(name) in territories
    ]
    if not frames:
        raise SourceFormatError(str(path), "no carreaux_200m_*.csv member for the requested territories")
    return pl.concat(frames, how="vertical")


def _read_members(path: Path) -> list[tuple[str, bytes]]:
    """(member name, bytes) of every grid CSV in a zip, looking inside a nested .7z when there is one.

    Members are inflated under the size and ratio caps of ``sources._archive`` (a zip bomb raises
    ArchiveError naming the file and the member)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(str(path), f"not a zip archive: {exc}") from exc
    csvs = [n for n in names if _MEMBER_RE.search(n) and n.lower().endswith(".csv")]
    if csvs:
        return [(n, read_member_bounded(path, n)) for n in sorted(csvs)]
    sevens = [n for n in names if n.lower().endswith(".7z")]
    if not sevens:
        raise SourceFormatError(str(path), f"no grid CSV and no .7z member; members: {names}")
    return _read_7z(path, sevens[0], read_member_bounded(path, sevens[0]))


def _read_7z(path: Path, name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        import py7zr  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SourceFormatError(
            f"{path}!{name}",
            "the CSV files are in a nested .7z archive; reading it needs the `py7zr` package",
        ) from exc
    out: list[tuple[str, bytes]] = []
    with py7zr.SevenZipFile(io.BytesIO(data), mode="r") as seven:
        wanted = [n for n in seven.getnames() if _MEMBER_RE.search(n) and n.lower().endswith(".csv")]
        if not wanted:
            raise SourceFormatError(f"{path}!{name}", f"no grid CSV in the .7z; members: {seven.getnames()}")
        sizes = {f.filename: f.uncompressed for f in seven.list()}
        for member in wanted:
            if (sizes.get(member) or 0) > MAX_MEMBER_BYTES:
                raise SourceFormatError(
                    f"{path}!{name}!{member}",
                    f"member declares {sizes[member]} bytes, over the size cap of {MAX_MEMBER_BYTES}",
                )
        for member, buffer in sorted(seven.read(wanted).items()):
            out.append((member, buffer.read()))
    return out


def _decode(data: bytes) -> bytes:
    """UTF-8 bytes without BOM (the 2017 CSV was loaded as LATIN1 by one consumer: transcode if not UTF-8)."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = data.decode("latin-1").encode("utf-8")
    return data


def _parse_csv_bytes(data: bytes, file_label: str, territory: str) -> pl.DataFrame:
    data = _decode(data)
    first_line = data.split(b"\n", 1)[0].decode("utf-8").strip("\r")
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        raw = pl.read_csv(io.BytesIO(data), separator=separator, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise SourceFormatError(file_label, f"unreadable CSV: {exc}") from exc
    return stage_attributes(raw, file_label, territory)


def stage_attributes(raw: pl.DataFrame, file_label: str, territory: str) -> pl.DataFrame:
    """Validate and type the attribute columns of a grid file (all read as strings), then add geometry."""
    rename: dict[str, str] = {}
    for col in raw.columns:
        key = col.strip().lower()
        if key in rename.values():
            raise SourceFormatError(file_label, f"duplicate column {col!r}", row=1, column=col)
        rename[col] = key
    frame = raw.rename(rename)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceFormatError(file_label, f"missing columns {missing}; header: {raw.columns}", row=1)
    frame = frame.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().fill_null("") for c in REQUIRED_COLUMNS
    )
    row_no = pl.int_range(pl.len(), dtype=pl.Int64) + 2  # 1-based, header = row 1

    def fail_first(mask: pl.Expr, column: str, message: str) -> None:
        bad = frame.select(row_no.alias("row"), pl.col(column).alias("v"), mask.alias("bad")).filter("bad")
        if bad.height:
            raise SourceFormatError(
                file_label, f"{message}: {bad['v'][0]!r}", row=int(bad["row"][0]), column=column
            )

    # Cell ids.
    fail_first(~pl.col("idcar_200m").str.contains(CELL_ID_PATTERN), "idcar_200m", "not a 200 m cell id")
    fail_first(pl.col("idcar_200m").is_duplicated(), "idcar_200m", "duplicate cell id")
    parts = pl.col("idcar_200m").str.extract_groups(CELL_ID_PATTERN)
    frame = frame.with_columns(
        parts.struct.field("1").alias("_epsg"),
        parts.struct.field("2").cast(pl.Int64).alias("cell_y"),
        parts.struct.field("3").cast(pl.Int64).alias("cell_x"),
    )
    fail_first(~pl.col("_epsg").is_in(list(ID_CRS_TO_TARGET_CRS)), "idcar_200m", "cell id in an unknown CRS")
    fail_first(
        (pl.col("cell_x") % CELL_SIZE_M != 0) | (pl.col("cell_y") % CELL_SIZE_M != 0),
        "idcar_200m",
        "cell corner not on the 200 m grid",
    )
    # Flags.
    for flag in FLAG_COLUMNS:
        fail_first(~pl.col(flag).is_in(["0", "1"]), flag, "flag is neither 0 nor 1")
    # Counts: numbers, never negative; empty → NULL (no marker is known for these files).
    casts = []
    for name in COUNT_COLUMNS:
        value = pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).cast(pl.Float64, strict=False)
        fail_first((pl.col(name) != "") & value.is_null(), name, "not a number")
        fail_first(value < 0, name, "negative count")
        casts.append(value.alias(name))
    groupe = (
        pl.col("groupe").cast(pl.String).str.strip_chars()
        if "groupe" in frame.columns
        else pl.lit(None, dtype=pl.String)
    )
    staged = frame.select(
        pl.lit(territory).alias("territory"),
        pl.col("idcar_200m").alias("cell_id"),
        pl.concat_str(pl.lit("EPSG:"), pl.col("_epsg")).alias("cell_crs"),
        "cell_x",
        "cell_y",
        pl.col("idcar_1km").alias("cell_id_1km"),
        pl.col("idcar_nat").alias("cell_id_nat"),
        (pl.col("i_est_200") == "1").alias("imputed_200m"),
        (pl.col("i_est_1km") == "1").alias("imputed_1km"),
        groupe.alias("groupe"),
        pl.col(GEO_COLUMN).alias("lcog_geo"),
        *casts,
    )
    return add_cell_geometry(staged)


def cell_squares(
    cell_x: np.ndarray, cell_y: np.ndarray, source_crs: str, target_crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 200 m squares whose south-west corners are (cell_x, cell_y) in `source_crs`, reprojected corner by
    corner to `target_crs`. Returns (shapely polygons, corner x, corner y) in target_crs."""
    x0 = cell_x.astype(np.float64)
    y0 = cell_y.astype(np.float64)
    s = float(CELL_SIZE_M)
    # SW, SE, NE, NW, SW (counter-clockwise, closed).
    xs = np.stack([x0, x0 + s, x0 + s, x0, x0], axis=1)
    ys = np.stack([y0, y0, y0 + s, y0 + s, y0], axis=1)
    if source_crs != target_crs:
        transformer = Transformer.from_crs(source_crs, target_crs, always_xy=True)
        tx, ty = transformer.transform(xs.ravel(), ys.ravel())
        xs = np.asarray(tx).reshape(xs.shape)
        ys = np.asarray(ty).reshape(ys.shape)
    coords = np.stack([xs, ys], axis=2)
    polygons = shapely.polygons(coords) if len(coords) else np.array([], dtype=object)
    return polygons, xs[:, 0], ys[:, 0]


def add_cell_geometry(staged: pl.DataFrame) -> pl.DataFrame:
    """Add geom_crs, corner_x, corner_y and geom_wkb from cell_crs/cell_x/cell_y."""
    parts = []
    for (crs,), group in staged.group_by(["cell_crs"], maintain_order=True):
        target = ID_CRS_TO_TARGET_CRS[str(crs).removeprefix("EPSG:")]
        polys, cx, cy = cell_squares(group["cell_x"].to_numpy(), group["cell_y"].to_numpy(), str(crs), target)
        parts.append(
            group.with_columns(
                pl.lit(target).alias("geom_crs"),
                pl.Series("corner_x", cx, dtype=pl.Float64),
                pl.Series("corner_y", cy, dtype=pl.Float64),
                pl.Series("geom_wkb", list(shapely.to_wkb(polys)) if len(polys) else [], dtype=pl.Binary),
            )
        )
    if not parts:
        return pl.DataFrame(schema=STAGED_SCHEMA)
    out = pl.concat(parts)
    return out.select([pl.col(c).cast(t) for c, t in STAGED_SCHEMA.items() if c in out.columns])


def parse_filosofi_grid_gpkg(path: Path, *, layer: str | None = None) -> pl.DataFrame:
    """Parse an extracted GeoPackage layer (INSEE ships it in a zip → .7z → .gpkg; extract it first).

    The attributes go through the same checks as the CSV; the geometry is rebuilt from the id (the
    published one is the same square reprojected, and a mismatch beyond 1 m is reported)."""
    import pyogrio

    if layer is None:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        grid_layers = [name for name in layers if "200m" in name.lower()]
        if len(grid_layers) != 1:
            raise SourceFormatError(str(path), f"cannot choose the grid layer among {layers}")
        layer = grid_layers[0]
    meta, table = pyogrio.read_arrow(path, layer=layer)
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    published_wkb: list[bytes] | None = None
    if geometry_name in table.column_names:
        published_wkb = [bytes(v) for v in table.column(geometry_name).to_pylist()]
        table = table.drop_columns([geometry_name])
    raw = pl.from_arrow(table)
    assert isinstance(raw, pl.DataFrame)
    attributes = raw.with_columns(pl.all().cast(pl.String))
    # Integers written as floats by GDAL ("1.0") are normalised for the flag check.
    attributes = attributes.with_columns(
        pl.col(c).str.replace(r"\.0$", "") for c in attributes.columns if c.lower() in FLAG_COLUMNS
    )
    staged = stage_attributes(attributes, f"{path}:{layer}", _territory_of(layer + ".gpkg"))
    if published_wkb is not None:
        published = shapely.from_wkb(np.asarray(published_wkb, dtype=object))
        rebuilt = shapely.from_wkb(staged["geom_wkb"].to_numpy())
        distance = shapely.hausdorff_distance(published, rebuilt)
        bad = np.flatnonzero(~(distance <= 1.0))
        if len(bad):
            i = int(bad[0])
            raise SourceFormatError(
                f"{path}:{layer}",
                f"published geometry differs from the square of its id by {distance[i]:.1f} m",
                row=i + 1,
                column=geometry_name,
            )
    return staged
