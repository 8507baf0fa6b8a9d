"""Shared reading rules for the data.education.gouv.fr sources (IPS, annuaire, EP, effectifs, IVAC).

Every education dataset comes in three forms that carry the same fields:
- the CSV export of the OpenDataSoft portal (``;``, UTF-8, sometimes with a BOM, LF or CRLF), with either
  the *technical* field names (``rentree_scolaire``) or the *labels* (``Rentrée scolaire``);
- the Explore API records as JSON (``[{"record": {"fields": {...}}}]`` for v2, ``{"results": [...]}``
  for v2.1, ``[{"fields": ...}]`` for v1, or a plain list of objects);
- Parquet copies (numbers may already be doubles).

`read_table` turns any of them into an all-string frame whose columns are *slugs* of the header
(lower case, accents removed, runs of non-alphanumerics → ``_``). A label header slugs to the
technical name (``Nom de l'établissment`` → ``nom_de_l_etablissment``), so one alias table per dataset
maps every header form and vintage to the canonical columns (`resolve_columns`).

Encoding decision: the portal serves UTF-8 only. A file that is not valid UTF-8 (typically a copy
re-saved as latin-1/cp1252 by a spreadsheet) is *refused* with an error naming the row of the first
invalid byte, rather than decoded by guess: a re-saved copy may carry other edits (decimal commas,
reformatted codes) that the parser could not see.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sources._errors import SourceFormatError

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
UAI_PATTERN = r"^[0-9]{7}[A-Z]$"

# Markers of a value the publisher does not give (IPS: `NS` = non significatif; EREA: `NA`).
SUPPRESSED_MARKERS = ("NS", "NC", "NA", "ND", "S", "")

# IPS plausible range (DEPP scale, mean ~ 100; published values ~ 50-185). Outside: a format error.
IPS_MIN = 38.0
IPS_MAX = 180.0

# WGS84 boxes (lon_min, lon_max, lat_min, lat_max) of France and its overseas territories.
FRANCE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metropole": (-5.8, 10.0, 41.0, 51.5),
    "guadeloupe": (-61.9, -60.9, 15.8, 16.6),
    "martinique": (-61.3, -60.7, 14.3, 14.95),
    "guyane": (-54.7, -51.4, 2.0, 6.0),
    "reunion": (55.1, 56.0, -21.5, -20.8),
    "mayotte": (44.9, 45.4, -13.1, -12.5),
    "saint_pierre_et_miquelon": (-56.6, -56.0, 46.7, 47.2),
    "saint_martin_saint_barthelemy": (-63.2, -62.7, 17.8, 18.2),
    "nouvelle_caledonie": (163.0, 169.0, -23.0, -19.0),
    "polynesie": (-155.0, -134.0, -28.0, -7.0),
    "wallis_et_futuna": (-178.5, -176.0, -14.5, -13.0),
}
METROPOLE_BOX = FRANCE_BOXES["metropole"]


def slug(name: str) -> str:
    """Header name → technical form: BOM and spaces trimmed, accents removed, lower case, `_` separators."""
    text = name.replace("\ufeff", "").strip()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text.lower())
    return text.strip("_")


@dataclass
class RawTable:
    """An all-string frame with slugged column names, and what is needed to name a fault."""

    path: Path
    frame: pl.DataFrame
    headers: dict[str, str]  # slug → header as written in the file
    row_offset: int  # file row of frame row 0 (CSV: 2, the header is row 1; JSON/Parquet: 1)
    form: str  # csv | json | parquet
    dataset_hint: str | None = None  # dataset id named inside the file (API links), if any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return str(self.path)

    def row(self, index: int) -> int:
        """File row (1-based) of frame row `index`."""
        return index + self.row_offset

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def error(
        self, message: str, *, index: int | None = None, column: str | None = None
    ) -> SourceFormatError:
        return SourceFormatError(
            self.file,
            message,
            row=None if index is None else self.row(index),
            column=None if column is None else self.header(column),
        )


def _decode_utf8(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        snippet = data[max(0, exc.start - 20) : exc.start + 1].decode("latin-1")
        raise SourceFormatError(
            str(path),
            f"not UTF-8 (byte 0x{data[exc.start]:02x} after {snippet!r}); the portal serves UTF-8, this "
            "looks like a copy re-saved as latin-1/cp1252: re-download the official export",
            row=row,
        ) from exc
    return text.removeprefix("\ufeff")


def _to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_rows(path: Path, payload: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The records of an OpenDataSoft JSON answer, as flat dicts, and the dataset id if named."""
    items: Any = payload
    if isinstance(payload, dict):
        for key in ("results", "records"):
            if isinstance(payload.get(key), list):
                items = payload[key]
                break
        else:
            raise SourceFormatError(str(path), "JSON object without a 'results' or 'records' list")
    if not isinstance(items, list):
        raise SourceFormatError(str(path), "JSON is neither a list of records nor an API answer")
    rows: list[dict[str, Any]] = []
    dataset: str | None = None
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceFormatError(str(path), "record is not a JSON object", row=k + 1)
        if dataset is None:
            dataset = _dataset_from_record(item)
        rec = item.get("record", item)
        fields = rec.get("fields", rec) if isinstance(rec, dict) else None
        if not isinstance(fields, dict):
            raise SourceFormatError(str(path), "record has no 'fields' object", row=k + 1)
        rows.append(fields)
    return rows, dataset


def _dataset_from_record(item: dict[str, Any]) -> str | None:
    if isinstance(item.get("datasetid"), str):
        return str(item["datasetid"])
    for link in item.get("links", []) or []:
        if isinstance(link, dict) and link.get("rel") == "dataset" and isinstance(link.get("href"), str):
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    return None


def _frame_from_rows(path: Path, rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, dict[str, str]]:
    order: dict[str, None] = {}
    for r in rows:
        for key in r:
            order.setdefault(key, None)
    headers: dict[str, str] = {}
    for key in order:
        s = slug(key)
        if s in headers:
            raise SourceFormatError(str(path), f"two fields map to {s!r}: {headers[s]!r} and {key!r}")
        headers[s] = key
    data = {s: [_to_text(r.get(key)) for r in rows] for s, key in headers.items()}
    frame = pl.DataFrame(data, schema=dict.fromkeys(headers, pl.String()))
    return frame, headers


def read_table(path: Path) -> RawTable:
    """Read a CSV export, an API JSON answer or a Parquet copy as an all-string frame with slugged names."""
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(str(path), "file not found")
    data = path.read_bytes()
    if data[:4] == b"PAR1":
        try:
            raw = pl.read_parquet(path)
        except Exception as exc:
            raise SourceFormatError(str(path), f"unreadable Parquet: {exc}") from exc
        headers = {}
        for name in raw.columns:
            s = slug(name)
            if s in headers:
                raise SourceFormatError(str(path), f"two columns map to {s!r}")
            headers[s] = name
        frame = raw.select(pl.col(h).cast(pl.String).alias(s) for s, h in headers.items())
        return RawTable(path, frame, headers, 1, "parquet")
    text = _decode_utf8(path, data)
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            payload = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(str(path), f"invalid JSON: {exc.msg}", row=exc.lineno) from exc
        rows, dataset = _json_rows(path, payload)
        frame, headers = _frame_from_rows(path, rows)
        return RawTable(path, frame, headers, 1, "json", dataset_hint=dataset)
    return _read_csv(path, text)


def _read_csv(path: Path, text: str) -> RawTable:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if not first_line.strip():
        raise SourceFormatError(str(path), "empty file or empty header line", row=1)
    separator = ";" if ";" in first_line else ("," if "," in first_line else ";")
    try:
        raw = pl.read_csv(
            text.encode("utf-8"),
            separator=separator,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            truncate_ragged_lines=False,
        )
    except Exception as exc:  # polars raises ComputeError / NoDataError with its own message
        raise SourceFormatError(str(path), f"unreadable CSV ({separator!r} separator): {exc}") from exc
    headers: dict[str, str] = {}
    for name in raw.columns:
        s = slug(name)
        if not s:
            raise SourceFormatError(str(path), f"empty column name in the header: {name!r}", row=1)
        if s in headers:
            raise SourceFormatError(
                str(path), f"two columns map to {s!r}: {headers[s]!r} and {name!r}", row=1
            )
        headers[s] = name.replace("\ufeff", "")
    frame = raw.rename({h_orig: s for s, h_orig in zip(headers, raw.columns, strict=True)})
    # Trim the cells; an empty cell is NULL.
    frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in frame.columns)
    return RawTable(path, frame, headers, 2, "csv")


def dataset_from_path(path: Path, known: Iterable[str]) -> str | None:
    """The known dataset id named by the path (mirror `.../datasets/<id>/exports/csv`, or a file name)."""
    text = str(path).lower().replace("\\", "/")
    best: str | None = None
    for ds in known:
        if ds.lower() in text and (best is None or len(ds) > len(best)):
            best = ds
    return best


def resolve_columns(
    table: RawTable,
    *,
    dataset: str,
    aliases: Mapping[str, Sequence[str]],
    required: Iterable[str],
    vintage: str | None = None,
) -> pl.DataFrame:
    """Rename the slugged columns to canonical names through `aliases` (canonical → accepted slugs).

    Canonical names absent from the file are added as NULL unless `required`, in which case the error
    names the dataset, the vintage and the column, and lists the header columns nobody claimed (where a
    renamed column would be).
    """
    present = set(table.frame.columns)
    mapping: dict[str, str] = {}
    for canonical, accepted in aliases.items():
        hits = [a for a in (canonical, *accepted) if a in present]
        if len(hits) > 1:
            raise table.error(f"dataset {dataset}: columns {hits} all mean {canonical!r}")
        if hits:
            mapping[canonical] = hits[0]
    missing = [c for c in required if c not in mapping]
    if missing:
        claimed = set(mapping.values())
        unknown = [table.header(c) for c in table.frame.columns if c not in claimed]
        where = f"dataset {dataset}" + (f", vintage {vintage}" if vintage else "")
        raise SourceFormatError(
            table.file,
            f"{where}: column {missing[0]!r} not found under any known name "
            f"({[missing[0], *aliases.get(missing[0], ())]}); unrecognised columns in the header: {unknown}"
            + (f"; also missing: {missing[1:]}" if len(missing) > 1 else ""),
            row=1 if table.form == "csv" else None,
            column=missing[0],
        )
    return table.frame.select(
        *(pl.col(src).alias(canonical) for canonical, src in mapping.items()),
        *(pl.lit(None, dtype=pl.String).alias(c) for c in aliases if c not in mapping),
    )


def first_bad(mask: pl.Series) -> int | None:
    """Index of the first True in a boolean series (NULL counts as False)."""
    idx = mask.fill_null(False).arg_true()
    return int(idx[0]) if len(idx) else None


def check_uai(
    table: RawTable, frame: pl.DataFrame, column: str, source_column: str | None = None
) -> pl.Series:
    """Validated UAI (7 digits + check letter); an error names the file, row and column otherwise."""
    s = frame[column].str.strip_chars().str.to_uppercase()
    bad = first_bad(s.is_null() | ~s.str.contains(UAI_PATTERN).fill_null(False))
    src = source_column or column
    if bad is not None:
        raise table.error(
            f"invalid UAI {frame[column][bad]!r} (expected 7 digits + 1 letter)", index=bad, column=src
        )
    letters = pl.Series([UAI_LETTERS[int(u[:7]) % 23] for u in s.to_list()], dtype=pl.String)
    bad = first_bad(letters != s.str.slice(7, 1))
    if bad is not None:
        raise table.error(
            f"UAI {s[bad]!r} fails its check letter (expected {s[bad][:7]}{letters[bad]})",
            index=bad,
            column=src,
        )
    return s


def parse_school_year(table: RawTable, frame: pl.DataFrame, column: str) -> tuple[pl.Series, pl.Series]:
    """`"2022-2023"` (or a 4-digit `"2022"` meaning 2022-2023) → (start year Int32, label "2022-2023")."""
    s = frame[column].str.strip_chars()
    start = s.str.extract(r"^(\d{4})(?:\s*[-/]\s*\d{4})?$", 1).cast(pl.Int32, strict=False)
    end = s.str.extract(r"^\d{4}\s*[-/]\s*(\d{4})$", 1).cast(pl.Int32, strict=False)
    bad = first_bad(start.is_null() | (end.is_not_null() & (end != start + 1)))
    if bad is not None:
        raise table.error(
            f"school year {s[bad]!r} is neither 'YYYY-YYYY' (consecutive years) nor 'YYYY'",
            index=bad,
            column=column,
        )
    label = start.cast(pl.String) + "-" + (start + 1).cast(pl.String)
    return start.alias("rentree"), label.alias("rentree_label")


def is_marker(s: pl.Series, markers: Sequence[str] = SUPPRESSED_MARKERS) -> pl.Series:
    """NULL or one of the suppression markers (case-insensitive, trimmed)."""
    t = s.str.strip_chars().str.to_uppercase()
    return t.is_null() | t.is_in([m.upper() for m in markers])


def parse_number(
    table: RawTable,
    frame: pl.DataFrame,
    column: str,
    *,
    markers: Sequence[str] = SUPPRESSED_MARKERS,
    bounds: tuple[float, float] | None = None,
    integer: bool = False,
    what: str = "number",
) -> pl.Series:
    """Text → Float64 (or Int64 if `integer`); markers → NULL; anything else unreadable → SourceFormatError.

    Accepts a decimal point or a decimal comma, and integers written `540.0`.
    """
    s = frame[column].str.strip_chars()
    marker = is_marker(s, markers)
    text = s.str.replace(r"^(-?\d+),(\d+)$", "${1}.${2}")
    parsed = text.cast(pl.Float64, strict=False)
    values = pl.select(pl.when(marker).then(None).otherwise(parsed).alias(column)).to_series()
    bad = first_bad(~marker & values.is_null())
    if bad is not None:
        raise table.error(f"{what} {s[bad]!r} is not a number nor a known marker", index=bad, column=column)
    bad = first_bad(values.is_nan() | values.is_infinite())
    if bad is not None:
        raise table.error(f"{what} {s[bad]!r} is not finite", index=bad, column=column)
    if bounds is not None:
        lo, hi = bounds
        bad = first_bad((values < lo) | (values > hi))
        if bad is not None:
            raise table.error(f"{what} {values[bad]} is outside [{lo:g}, {hi:g}]", index=bad, column=column)
    if integer:
        bad = first_bad(values != values.round(0))
        if bad is not None:
            raise table.error(f"{what} {s[bad]!r} is not a whole number", index=bad, column=column)
        return values.cast(pl.Int64).alias(column)
    return values.alias(column)


def normalise_sector(table: RawTable, frame: pl.DataFrame, column: str) -> pl.Series:
    """`public`/`Public`/`PU`/`PUBLIC` → "public"; `privé sous contrat`/`Privé`/`PR`/`PRIVE` → "prive"."""
    s = frame[column].str.strip_chars()
    key = pl.Series(
        [None if v is None else slug(v).removeprefix("secteur_") for v in s.to_list()], dtype=pl.String
    )
    out = (
        pl.select(
            pl.when(key.is_in(["public", "pu"]))
            .then(pl.lit("public"))
            .when(key.str.starts_with("prive") | (key == "pr"))
            .then(pl.lit("prive"))
            .otherwise(None)
            .alias(column)
        )
        .to_series()
        .cast(pl.String)
    )
    bad = first_bad(s.is_not_null() & out.is_null())
    if bad is not None:
        raise table.error(f"unknown sector {s[bad]!r} (expected public / privé…)", index=bad, column=column)
    return out


def ensure_unique(table: RawTable, frame: pl.DataFrame, keys: Sequence[str], what: str) -> None:
    """Raise if two rows share `keys`, naming both file rows."""
    dup = frame.with_row_index("_i").filter(pl.struct(list(keys)).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        same = dup.filter(pl.all_horizontal(pl.col(k) == first[k] for k in keys))
        rows = [table.row(int(i)) for i in same["_i"].to_list()]
        desc = ", ".join(f"{k}={first[k]!r}" for k in keys)
        raise SourceFormatError(
            table.file, f"duplicate {what} ({desc}) on rows {rows}", row=rows[-1], column=keys[0]
        )


def coord_status_expr(lon: str = "lon", lat: str = "lat", imprecise: pl.Expr | None = None) -> pl.Expr:
    """ok / missing / imprecise / out_of_bounds / swapped, from WGS84 lon/lat and an imprecision flag.

    `swapped`: the pair is outside France as (lon, lat) but inside it as (lat, lon). Nothing is repaired:
    the status says what is wrong and the point is not placed.
    """

    def inside(x: pl.Expr, y: pl.Expr) -> pl.Expr:
        return pl.any_horizontal(
            [x.is_between(a, b) & y.is_between(c, d) for a, b, c, d in FRANCE_BOXES.values()]
        )

    x, y = pl.col(lon), pl.col(lat)
    flag = pl.lit(False) if imprecise is None else imprecise.fill_null(True)
    return (
        pl.when(x.is_null() | y.is_null())
        .then(pl.lit("missing"))
        .when(inside(x, y))
        .then(pl.when(flag).then(pl.lit("imprecise")).otherwise(pl.lit("ok")))
        .when(inside(y, x))
        .then(pl.lit("swapped"))
        .otherwise(pl.lit("out_of_bounds"))
    )


def to_lambert93(lon: pl.Series, lat: pl.Series) -> tuple[pl.Series, pl.Series]:
    """WGS84 → Lambert-93 for points in metropolitan France; NULL elsewhere (overseas has other CRSs)."""
    import numpy as np
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    a, b, c, d = METROPOLE_BOX
    x = lon.cast(pl.Float64).to_numpy()
    y = lat.cast(pl.Float64).to_numpy()
    keep = ~np.isnan(x) & ~np.isnan(y) & (x >= a) & (x <= b) & (y >= c) & (y <= d)
    px = np.full(len(x), np.nan)
    py = np.full(len(y), np.nan)
    if keep.any():
        tx, ty = transformer.transform(x[keep], y[keep])
        px[keep] = np.round(tx, 2)
        py[keep] = np.round(ty, 2)
    return (
        pl.Series("x_l93", px, dtype=pl.Float64, nan_to_null=True),
        pl.Series("y_l93", py, dtype=pl.Float64, nan_to_null=True),
    )
