"""What the parsers of the per-period sources (CAF, job seekers) do the same way.

Both read `;` CSV files in UTF-8 (with or without BOM) or latin-1, turn each cell into a value and a
status (secret markers → NULL + ``suppressed``, ``so`` → ``not_applicable``), and refuse a key met on
two rows or a negative count, naming the file, the row (1-based, header = 1) and the column.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError

# Secret / not-available markers met in French public statistics (compared upper-cased).
SUPPRESSED_MARKERS = frozenset({"", "S", "ND", "NC", "NS", "SECRET", "C", "X"})
NOT_APPLICABLE_MARKERS = frozenset({"SO", "///"})


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_header(head: bytes) -> tuple[list[str], list[str]] | None:
    """(header cells, lines) of the first bytes of a `;` CSV: cells stripped of spaces and quotes,
    trailing empty padding cells removed. None when the first line has no `;`."""
    lines = decode_text(head).splitlines()
    if not lines or ";" not in lines[0]:
        return None
    header = [h.strip().strip('"') for h in lines[0].split(";")]
    while header and not header[-1]:
        header.pop()
    return header, lines


def first_code(lines: list[str]) -> str:
    """The first cell of the first data line, upper-cased ("" without a data line)."""
    return lines[1].split(";")[0].strip().upper() if len(lines) > 1 else ""


def classify_cells(
    frame: pl.DataFrame, *, path: Path, column: str, header_of: dict[str, str]
) -> pl.DataFrame:
    """`value` and `status` of each `raw_value` of a long frame (with `source_row` and `column`, the
    field naming each cell's source column). Markers → NULL + ``suppressed`` / ``not_applicable``;
    numbers read with spaces (U+202F, U+00A0, U+2009) as thousands separators and a decimal comma.
    Anything else raises SourceFormatError naming the first bad cell (row, column as in the header)."""
    cell = pl.col("raw_value").str.strip_chars()
    upper = cell.str.to_uppercase()
    cleaned = cell.str.replace_all(r"[ \u202f\u00a0\u2009]", "").str.replace(",", ".", literal=True)
    out = frame.with_columns(
        pl.when(upper.is_in(list(NOT_APPLICABLE_MARKERS)))
        .then(pl.lit("not_applicable"))
        .when(upper.is_in(list(SUPPRESSED_MARKERS)) | cell.is_null())
        .then(pl.lit("suppressed"))
        .otherwise(pl.lit("published"))
        .alias("status"),
        cleaned.cast(pl.Float64, strict=False).alias("_num"),
    )
    bad = out.filter((pl.col("status") == "published") & pl.col("_num").is_null())
    _refuse_first(bad, "not a number nor a known marker:", path=path, column=column, header_of=header_of)
    return out.with_columns(
        pl.when(pl.col("status") == "published").then(pl.col("_num")).otherwise(None).alias("value")
    ).drop("_num")


def refuse_negative(
    frame: pl.DataFrame, counts: pl.Expr, *, path: Path, column: str, header_of: dict[str, str], what: str
) -> None:
    """A published count (rows where `counts` holds) below zero: SourceFormatError naming file, row and
    column (`column`: the field naming each cell's source column)."""
    bad = frame.filter((pl.col("status") == "published") & counts & (pl.col("value") < 0))
    _refuse_first(bad, f"negative {what}", path=path, column=column, header_of=header_of)


def _refuse_first(
    bad: pl.DataFrame, what: str, *, path: Path, column: str, header_of: dict[str, str]
) -> None:
    """SourceFormatError at the first bad cell (by source row): « <what> '<raw value>' », its row, and its
    column as the file's header names it."""
    if bad.height:
        first = bad.sort("source_row").row(0, named=True)
        raise SourceFormatError(
            str(path),
            f"{what} {first['raw_value']!r}",
            row=int(first["source_row"]),
            column=header_of.get(str(first[column]), str(first[column])),
        )


def refuse_repeated_keys(frame: pl.DataFrame, keys: list[str], *, path: Path, column: str, what: str) -> None:
    """A key (e.g. territory × period × dimension) on two rows: SourceFormatError naming the row of the
    second occurrence and `column`, the header column of the key."""
    ordered = frame.sort("source_row").with_columns(pl.col("source_row").min().over(keys).alias("_first"))
    repeats = ordered.filter(pl.col("source_row") != pl.col("_first"))
    if repeats.height == 0:
        return
    second = repeats.row(0, named=True)
    label = ", ".join(f"{k}={second[k]!r}" for k in keys)
    raise SourceFormatError(
        str(path),
        f"{what} repeats row {second['_first']} ({label}): one row per key expected",
        row=int(second["source_row"]),
        column=column,
    )
