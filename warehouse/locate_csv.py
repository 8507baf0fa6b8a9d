"""`quartiers locate --csv FILE`: the 2024 and 2015 QPV of every line of a CSV of points.

Input: columns ``lon``/``lat`` (WGS84) or ``x``/``y`` in a projected CRS (EPSG:2154 by default),
separator ``,`` or ``;`` (detected from the header), UTF-8 (with or without BOM) or Windows-1252.
Output: one line per input line, in order, input columns kept, then for each geography the code, name,
relation (« dans le périmètre » / « au plus près ») and the distance in metres (integer), then
``motif`` — why a line has no result (missing or unreadable coordinates); no line is ever dropped.
Written with ``;`` and UTF-8 with BOM, which French spreadsheets open as is.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import duckdb

from warehouse.locate import Locator, to_l93

GEOGRAPHIES = ("qpv2024", "qpv2015")
RESULT_COLUMNS = [f"{g}_{c}" for g in GEOGRAPHIES for c in ("code", "nom", "relation", "distance_m")] + [
    "motif"
]
INSIDE, NEAREST = "dans le périmètre", "au plus près"
CRS_RE = re.compile(r"^EPSG:(\d{4,6})$", re.IGNORECASE)


class LocateCsvError(ValueError):
    """A CSV of points that cannot be read: the message names the file, row and column."""


@dataclass(frozen=True)
class PointsFile:
    columns: list[str]
    rows: list[list[str]]
    x_col: str
    y_col: str
    geographic: bool  # lon/lat (WGS84) rather than x/y


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_points(path: Path) -> PointsFile:
    """The lines of a CSV of points; a file without coordinate columns or with a ragged row is refused."""
    try:
        text = _decode(path)
    except OSError as exc:
        raise LocateCsvError(f"{path}: cannot be read ({exc.strerror})") from exc
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise LocateCsvError(f"{path}, row 1: empty file (expected a header with lon;lat or x;y)")
    sep = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip() for h in next(reader)]
    lower = [h.lower() for h in header]
    if "lon" in lower and "lat" in lower:
        x_col, y_col, geographic = header[lower.index("lon")], header[lower.index("lat")], True
    elif "x" in lower and "y" in lower:
        x_col, y_col, geographic = header[lower.index("x")], header[lower.index("y")], False
    else:
        raise LocateCsvError(
            f"{path}, row 1: no coordinate columns; expected lon and lat (WGS84) or x and y "
            f"(with --crs), found: {', '.join(header)}"
        )
    rows: list[list[str]] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            raise LocateCsvError(
                f"{path}, row {number}: {len(row)} fields where the header has {len(header)} "
                f"(separator {sep!r})"
            )
        rows.append(row)
    return PointsFile(header, rows, x_col, y_col, geographic)


def _number(text: str) -> float | None:
    cleaned = text.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def to_l93_function(crs: str | None, *, geographic: bool) -> Callable[[float, float], tuple[float, float]]:
    """(x, y) in the file's CRS → Lambert-93."""
    if geographic:
        return to_l93
    code = "2154" if crs is None else (CRS_RE.match(crs.strip()) or _bad_crs(crs)).group(1)
    if code == "2154":
        return lambda x, y: (x, y)
    from pyproj import Transformer
    from pyproj.exceptions import CRSError

    try:
        transformer = Transformer.from_crs(f"EPSG:{code}", "EPSG:2154", always_xy=True)
    except CRSError as exc:
        raise LocateCsvError(f"--crs {crs}: unknown CRS") from exc
    return lambda x, y: transformer.transform(x, y)  # type: ignore[no-any-return]


def _bad_crs(crs: str) -> re.Match[str]:
    raise LocateCsvError(f"--crs {crs!r}: expected EPSG:<code>, e.g. EPSG:2154 or EPSG:3857")


def locate_rows(
    con: duckdb.DuckDBPyConnection,
    points: PointsFile,
    project: Callable[[float, float], tuple[float, float]],
) -> Iterable[list[str]]:
    """Each input line, then its result columns (RESULT_COLUMNS); `project`: file CRS → Lambert-93."""
    locator = Locator(con)
    xi, yi = points.columns.index(points.x_col), points.columns.index(points.y_col)
    empty = [""] * (len(RESULT_COLUMNS) - 1)
    for row in points.rows:
        raw_x, raw_y = row[xi].strip(), row[yi].strip()
        if not raw_x or not raw_y:
            yield [*row, *empty, "coordonnées manquantes"]
            continue
        x, y = _number(raw_x), _number(raw_y)
        if x is None or y is None:
            column, value = (points.x_col, raw_x) if x is None else (points.y_col, raw_y)
            yield [*row, *empty, f"coordonnée illisible : {column} = {value!r}"]
            continue
        if points.geographic and not (-180 <= x <= 180 and -90 <= y <= 90):
            yield [*row, *empty, "hors des bornes WGS84 (lon -180..180, lat -90..90)"]
            continue
        try:
            lx, ly = project(x, y)
        except Exception:
            yield [*row, *empty, "coordonnées non projetables en Lambert-93"]
            continue
        if not (math.isfinite(lx) and math.isfinite(ly)):
            yield [*row, *empty, "coordonnées non projetables en Lambert-93"]
            continue
        found = {hit.geography: hit for hit in locator.at_l93(lx, ly)}
        result: list[str] = []
        for geography in GEOGRAPHIES:
            hit = found.get(geography)
            if hit is None:
                result += ["", "", "", ""]
            else:
                relation = INSIDE if hit.inside else NEAREST
                result += [hit.code, hit.name, relation, str(round(hit.distance_m))]
        yield [*row, *result, ""]


def write_located(
    con: duckdb.DuckDBPyConnection, path: Path, out: TextIO, crs: str | None = None
) -> tuple[int, int]:
    """Locate every line of `path` and write the CSV (`;`) to `out`; (lines written, lines without result)."""
    points = read_points(path)
    project = to_l93_function(crs, geographic=points.geographic)  # a bad --crs fails before any output
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*points.columns, *RESULT_COLUMNS])
    n = without = 0
    for row in locate_rows(con, points, project):
        writer.writerow(row)
        n += 1
        without += bool(row[-1])
    return n, without
