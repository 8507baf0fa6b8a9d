"""Parsers of the Filosofi 200 m grid: CSV (plain, in a zip, or in a .7z nested in a zip) and GeoPackage.

Every parser returns the staged frame described by `STAGED_SCHEMA`: one row per inhabited cell, the cell's
native CRS and south-west corner parsed from its id (integers on the 200 m grid), and the counts as floats
(imputed cells carry decimals). No geometry is staged: a cell is the square [x, x + 200] × [y, y + 200] of
its CRS, and whatever needs polygons (maps, exports, fragile zones) builds them for its few cells with
`cell_squares` / `add_cell_geometry`; conformance to perimeters works on the integer corners
(models.grid_overlap.cell_overlaps).
"""

from __future__ import annotations

import codecs
import functools
import io
import re
import zipfile
from collections.abc import Callable, Sequence
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
}

# Columns `add_cell_geometry` adds for the cells that need a polygon.
GEOMETRY_SCHEMA: dict[str, pl.DataType] = {
    "geom_crs": pl.String(),  # published CRS: EPSG:2154 for metropolitan France
    "corner_x": pl.Float64(),  # south-west corner of the cell in geom_crs
    "corner_y": pl.Float64(),
    "geom_wkb": pl.Binary(),  # the cell square in geom_crs
}

_MEMBER_RE = re.compile(r"carreaux_200m_(met|mart|reun)\.(csv|gpkg)$", re.IGNORECASE)


def _territory_of(name: str) -> str:
    match = _MEMBER_RE.search(name)
    return match.group(1).lower() if match else "met"


def parse_filosofi_grid_csv(path: Path, *, territories: Sequence[str] | None = None) -> pl.DataFrame:
    """Parse the 200 m grid CSV as published: a `.csv`, a `.zip` of CSVs (2021), or a `.zip` holding a `.7z`
    of CSVs (2017, 2019; needs the optional `py7zr` package). `territories` restricts the members read
    (`met`, `mart`, `reun`); by default every member is read and the frames are concatenated."""
    if not is_zip(path):  # by content: a zip saved under a .csv name is still opened as a zip
        return stage_attributes(
            _read_csv_bytes(path.read_bytes(), str(path)), str(path), _territory_of(path.name)
        )
    frames = []
    for label, member in _members(path, territories):
        # One member in memory at a time, and its bytes released before the checks run.
        frames.append(stage_attributes(_read_csv_bytes(member(), label), label, _territory_of(label)))
    if not frames:
        raise SourceFormatError(str(path), "no carreaux_200m_*.csv member for the requested territories")
    return pl.concat(frames, how="vertical")


def _members(path: Path, territories: Sequence[str] | None) -> list[tuple[str, Callable[[], bytes]]]:
    """(label, reader of its bytes) of every grid CSV of a zip for the wanted territories, looking inside a
    nested .7z when there is one. Members are inflated under the size and ratio caps of
    ``sources._archive`` (a zip bomb raises ArchiveError naming the file and the member)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(str(path), f"not a zip archive: {exc}") from exc

    def wanted(name: str) -> bool:
        return territories is None or _territory_of(name) in territories

    csvs = [n for n in names if _MEMBER_RE.search(n) and n.lower().endswith(".csv")]
    if csvs:
        return [
            (f"{path}!{n}", functools.partial(read_member_bounded, path, n))
            for n in sorted(csvs)
            if wanted(n)
        ]
    sevens = [n for n in names if n.lower().endswith(".7z")]
    if not sevens:
        raise SourceFormatError(str(path), f"no grid CSV and no .7z member; members: {names}")
    inner = _read_7z(path, sevens[0], read_member_bounded(path, sevens[0]))
    return [(f"{path}!{n}", functools.partial(bytes, data)) for n, data in inner if wanted(n)]


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


def _is_utf8(data: bytes) -> bool:
    """Whether `data` decodes as UTF-8, checked in 16 MiB blocks (no copy of the whole file as text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    block = 1 << 24
    try:
        for start in range(0, len(view), block):
            decoder.decode(view[start : start + block], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes) -> bytes:
    """UTF-8 bytes (the 2017 CSV was loaded as LATIN1 by one consumer: transcode if not UTF-8). A UTF-8 BOM
    is left in place: the CSV reader skips it (and `stage_attributes` strips it from a column name)."""
    if _is_utf8(data):
        return data
    return data.decode("latin-1").encode("utf-8")


def _read_csv_bytes(data: bytes, file_label: str) -> pl.DataFrame:
    """The CSV as a frame: counts as floats when the reader can parse them all, else every column as text."""
    data = _decode(data)
    first_line = data[: data.find(b"\n") if b"\n" in data[:65536] else 65536].decode("utf-8", "replace")
    first_line = first_line.strip("\r").removeprefix("\ufeff")
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    header = [name.strip().strip('"').strip() for name in first_line.split(separator)]
    counts = {name: pl.Float64 for name in header if name.lower() in COUNT_COLUMNS}
    try:
        # Fast path: counts parsed as numbers by the reader. Any value it cannot read (a marker, a decimal
        # comma…) sends the file down the all-strings path, whose checks name the row and the column.
        raw = pl.read_csv(data, separator=separator, infer_schema=False, schema_overrides=counts)
    except pl.exceptions.PolarsError:
        try:
            raw = pl.read_csv(data, separator=separator, infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            raise SourceFormatError(file_label, f"unreadable CSV: {exc}") from exc
    return raw


def stage_attributes(raw: pl.DataFrame, file_label: str, territory: str) -> pl.DataFrame:
    """Validate and type the attribute columns of a grid file (read as strings, or counts already read as
    floats), parse the cell's CRS and corner from its id. No geometry (see the module docstring).

    The checks run as one vectorised pass (every rule's `any` in one select); only when a rule fails is the
    first offending row looked up, so that the error names the file, the 1-based row (header = row 1) and
    the column, in the same order of precedence as the rules below."""
    rename: dict[str, str] = {}
    for col in raw.columns:
        key = col.strip().removeprefix("\ufeff").strip().lower()
        if key in rename.values():
            raise SourceFormatError(file_label, f"duplicate column {col!r}", row=1, column=col)
        rename[col] = key
    frame = raw.rename(rename)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceFormatError(file_label, f"missing columns {missing}; header: {raw.columns}", row=1)
    numeric = {c for c in COUNT_COLUMNS if frame.schema[c].is_numeric()}
    frame = frame.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().fill_null("")
        for c in REQUIRED_COLUMNS
        if c not in numeric
    )
    parts = pl.col("idcar_200m").str.extract_groups(CELL_ID_PATTERN)
    frame = frame.with_columns(
        parts.struct.field("1").alias("_epsg"),
        parts.struct.field("2").cast(pl.Int64, strict=False).alias("cell_y"),
        parts.struct.field("3").cast(pl.Int64, strict=False).alias("cell_x"),
    )
    casts: dict[str, pl.Expr] = {}
    for name in COUNT_COLUMNS:
        if name in numeric:
            casts[name] = pl.col(name).cast(pl.Float64)
        else:  # empty → NULL (no marker is known for these files)
            casts[name] = (
                pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).cast(pl.Float64, strict=False)
            )
    # (column, message, mask of the bad rows), in order of precedence.
    rules: list[tuple[str, str, pl.Expr]] = [
        ("idcar_200m", "not a 200 m cell id", pl.col("_epsg").is_null()),
        ("idcar_200m", "duplicate cell id", ~pl.col("idcar_200m").is_first_distinct()),  # 2nd one named
        ("idcar_200m", "cell id in an unknown CRS", ~pl.col("_epsg").is_in(list(ID_CRS_TO_TARGET_CRS))),
        ("idcar_200m", "cell corner out of range", pl.col("cell_x").is_null() | pl.col("cell_y").is_null()),
        (
            "idcar_200m",
            "cell corner not on the 200 m grid",
            (pl.col("cell_x") % CELL_SIZE_M != 0) | (pl.col("cell_y") % CELL_SIZE_M != 0),
        ),
        *((flag, "flag is neither 0 nor 1", ~pl.col(flag).is_in(["0", "1"])) for flag in FLAG_COLUMNS),
    ]
    for name in COUNT_COLUMNS:
        if name not in numeric:
            rules.append((name, "not a number", (pl.col(name) != "") & casts[name].is_null()))
        rules.append((name, "negative count", casts[name] < 0))
    failed = frame.select(rule[2].fill_null(False).any().alias(str(k)) for k, rule in enumerate(rules)).row(0)
    for (column, message, mask), bad in zip(rules, failed, strict=True):
        if bad:
            row_no = pl.int_range(pl.len(), dtype=pl.Int64) + 2  # 1-based, header = row 1
            first = (
                frame.select(
                    row_no.alias("row"), pl.col(column).alias("v"), mask.fill_null(False).alias("bad")
                )
                .filter("bad")
                .row(0)
            )
            raise SourceFormatError(file_label, f"{message}: {first[1]!r}", row=int(first[0]), column=column)
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
        *(expr.alias(name) for name, expr in casts.items()),
    )
    return staged.select([pl.col(c).cast(t) for c, t in STAGED_SCHEMA.items()])


def published_crs(cell_crs: str) -> str:
    """The CRS a cell's square is published in: Lambert-93 for the EPSG:3035 grid of metropolitan France,
    the local CRS itself overseas (ID_CRS_TO_TARGET_CRS); an unknown grid CRS is its own."""
    return ID_CRS_TO_TARGET_CRS.get(cell_crs.removeprefix("EPSG:"), cell_crs)


def cell_squares(
    cell_x: np.ndarray, cell_y: np.ndarray, source_crs: str, target_crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 200 m squares whose south-west corners are (cell_x, cell_y) in `source_crs`, reprojected corner by
    corner to `target_crs`. Returns (shapely polygons, corner x, corner y) in target_crs. Meant for the few
    cells that need a polygon (maps, exports, fragile zones), never for the whole grid."""
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


def add_cell_geometry(cells: pl.DataFrame) -> pl.DataFrame:
    """`cells` (at least cell_crs, cell_x, cell_y) with the GEOMETRY_SCHEMA columns added: the published CRS,
    the south-west corner and the square (WKB) in it. For a selection of cells, not the staged grid."""
    parts = []
    indexed = cells.with_row_index("_order")
    for (crs,), group in indexed.group_by(["cell_crs"], maintain_order=True):
        target = published_crs(str(crs))
        polys, cx, cy = cell_squares(group["cell_x"].to_numpy(), group["cell_y"].to_numpy(), str(crs), target)
        parts.append(
            group.with_columns(
                pl.lit(target).alias("geom_crs"),
                pl.Series("corner_x", cx, dtype=pl.Float64),
                pl.Series("corner_y", cy, dtype=pl.Float64),
                pl.Series("geom_wkb", shapely.to_wkb(polys) if len(polys) else [], dtype=pl.Binary),
            )
        )
    if not parts:
        return cells.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in GEOMETRY_SCHEMA.items())
    out = pl.concat(parts).sort("_order").drop("_order")  # rows in the order given
    return out.with_columns(pl.col(c).cast(t) for c, t in GEOMETRY_SCHEMA.items())


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
        rebuilt = shapely.from_wkb(
            add_cell_geometry(staged.select("cell_crs", "cell_x", "cell_y"))["geom_wkb"].to_numpy()
        )
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
