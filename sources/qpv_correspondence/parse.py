"""Read ANCT's correspondence list QPV 2024 ↔ QPV 2015 into one row per (2024, 2015) pair.

The CSV as published: `;` (or `,`), UTF-8 with or without BOM, or latin-1 (Excel re-exports), header
names with stray spaces. A 2024 QPV with no 2015 predecessor (a new quartier) is one row with
code_2015 NULL. A code of the wrong geography in a column, a 2024 code listed twice or a missing column
is refused, naming the file, row and column.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path

import polars as pl

from sources import territory_codes
from sources._errors import SourceFormatError
from sources.qpv_correspondence import settings as correspondence_settings

SCHEMA: dict[str, pl.DataType] = {
    "code_2024": pl.String(),
    "name_2024": pl.String(),
    "status": pl.String(),
    "code_2015": pl.String(),
    "name_2015": pl.String(),
    "rank": pl.Int32(),
    "source_row": pl.Int32(),
    "source_sha256": pl.String(),
}


def decode(raw: bytes) -> str:
    """UTF-8 (BOM stripped) when it decodes, else latin-1 (the Windows re-exports)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def header_names(first_line: str) -> list[str]:
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    return [h.strip().upper() for h in next(csv.reader([first_line], delimiter=delimiter))]


def looks_like_list(text: str) -> bool:
    """The header of the list: QP2024 and QP2015_1 among its columns."""
    first = text.splitlines()[0] if text else ""
    names = header_names(first)
    return correspondence_settings.CODE_2024 in names and "QP2015_1" in names


def read_correspondence(path: Path, *, sha256: str, display_name: str | None = None) -> pl.DataFrame:
    """The list as a long frame (SCHEMA)."""
    name = display_name or path.name
    text = decode(path.read_bytes())
    lines = text.splitlines()
    if not lines:
        raise SourceFormatError(name, "empty file")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().upper() for h in rows[0]]
    for required in correspondence_settings.REQUIRED:
        if required not in header:
            close = difflib.get_close_matches(required, header, n=1, cutoff=0.5)
            hint = f" (closest: {close[0]!r})" if close else ""
            raise SourceFormatError(name, f"column {required} is missing{hint}", row=1, column=required)
    col = {h: i for i, h in enumerate(header)}
    out: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(column: str, row: list[str] = row) -> str:
            i = col.get(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        code = cell(correspondence_settings.CODE_2024).upper()
        if not re.match(territory_codes.QPV2024_CODE, code):
            what = "a 2015 code (QP…)" if re.match(territory_codes.QPV2015_CODE, code) else repr(code)
            raise SourceFormatError(
                name,
                f"{what} where a QPV 2024 code is expected",
                row=number,
                column=correspondence_settings.CODE_2024,
            )
        if code in seen:
            raise SourceFormatError(
                name,
                f"QPV 2024 {code} listed twice (row {seen[code]})",
                row=number,
                column=correspondence_settings.CODE_2024,
            )
        seen[code] = number
        pairs: list[tuple[str, str, int]] = []
        for rank, (code_col, label_col) in enumerate(correspondence_settings.PREDECESSORS, start=1):
            old = cell(code_col).upper()
            if not old:
                continue
            if not re.match(territory_codes.QPV2015_CODE, old):
                what = "a 2024 code (QN…)" if re.match(territory_codes.QPV2024_CODE, old) else repr(old)
                raise SourceFormatError(
                    name, f"{what} where a QPV 2015 code is expected", row=number, column=code_col
                )
            pairs.append((old, cell(label_col), rank))
        base = {
            "code_2024": code,
            "name_2024": cell(correspondence_settings.NAME_2024) or None,
            "status": cell(correspondence_settings.STATUS) or None,
            "source_row": number,
            "source_sha256": sha256,
        }
        if not pairs:
            out.append({**base, "code_2015": None, "name_2015": None, "rank": None})
        for old, label, rank in pairs:
            out.append({**base, "code_2015": old, "name_2015": label or None, "rank": rank})
    return pl.DataFrame(out, schema=SCHEMA)
