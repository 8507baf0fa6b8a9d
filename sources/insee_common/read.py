"""Read an INSEE statistical file (CSV `;` or XLSX, bare or inside a zip) into header + string cells.

Everything INSEE-specific about the *bytes* lives here: UTF-8 with or without BOM (latin-1/cp1252
fallback), CRLF, every field quoted or none, trailing empty columns padded up to 1,024 fields by a
spreadsheet re-export, notes or title rows before the header (XLSX, sometimes CSV), thousands
separators U+202F / U+00A0 / space, decimal comma and decimal dot in the same row, secret markers.
Nothing is interpreted as a figure here (sources/insee_common/stage.py does it).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sources._archive import MAX_MEMBER_BYTES, MAX_RATIO, is_zip, list_members
from sources._errors import ArchiveError, SourceFormatError

# Names a header row starts with (case-insensitive). The header is the first row, among the first
# HEADER_SEARCH_ROWS, whose first non-empty cell is one of these.
CODE_COLUMNS = ("CODGEO", "IRIS", "COD_VAR", "CODE_QP", "CODE_QPV")
HEADER_SEARCH_ROWS = 30
_BLOCK = 1 << 20

# Cell markers → status. `s` secret, `nd` not available (not disseminated), `ns` not significant,
# `nc` not communicated: the publisher hid the figure → suppressed. `so` "sans objet" → not_applicable.
MARKERS: dict[str, str] = {
    "s": "suppressed",
    "nd": "suppressed",
    "ns": "suppressed",
    "nc": "suppressed",
    "so": "not_applicable",
}



@dataclass
class RawTable:
    """The header and the data cells of one table, with the 1-based file row of every data row."""

    file: str  # the name to show in errors (path, or "archive.zip!member")
    names: list[str]  # canonical header names: stripped of spaces/quotes/BOM, upper-case
    original_names: list[str]
    rows: list[list[str]]  # cells as text, "" for empty; same length as names
    row_numbers: list[int]  # 1-based row in the file (or sheet) of each data row
    header_row: int
    sheet: str | None = None
    member: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


def canonical_name(name: str) -> str:
    """Header name as compared everywhere: trimmed (also of quotes and BOM), upper-case."""
    return name.replace("\ufeff", "").strip().strip('"').strip().upper()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(first_lines: list[str]) -> str:
    for line in first_lines:
        if line.count(";") > 0:
            return ";"
    for line in first_lines:
        if line.count(",") > 0:
            return ","
    return ";"


def _rows_from_csv(text: str, file: str = "CSV text") -> list[list[str]]:
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    delim = _sniff_delimiter(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        return [list(r) for r in reader]
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise SourceFormatError(file, f"unreadable CSV ({exc})", row=reader.line_num) from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def _rows_from_xlsx(path_or_bytes: Path | bytes, sheet: str | None, file: str) -> tuple[list[list[str]], str]:
    import openpyxl

    src: Path | io.BytesIO = path_or_bytes if isinstance(path_or_bytes, Path) else io.BytesIO(path_or_bytes)
    try:
        wb = openpyxl.load_workbook(src, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a broken workbook
        raise SourceFormatError(file, f"not a readable XLSX workbook ({exc})") from exc
    try:
        names = list(wb.sheetnames)
        chosen = sheet
        if chosen is None:
            candidates = []
            for name in names:
                ws = wb[name]
                head = [
                    [_cell_text(v) for v in row]
                    for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
                ]
                if _find_header(head) is not None:
                    candidates.append(name)
            if not candidates:
                raise SourceFormatError(
                    file, f"no sheet has a header row starting with one of {CODE_COLUMNS} (sheets: {names})"
                )
            preferred = [c for c in candidates if c.upper() in ("QP", "QP15", "QP24", "IRIS", "COM", "DATA")]
            chosen = (preferred or candidates)[0]
        if chosen not in names:
            raise SourceFormatError(file, f"no sheet {chosen!r} (sheets: {names})")
        rows = [[_cell_text(v) for v in row] for row in wb[chosen].iter_rows(values_only=True)]
    finally:
        wb.close()
    return rows, chosen


def _find_header(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [canonical_name(c) for c in row if c is not None and c.strip() != ""]
        if cells and cells[0] in CODE_COLUMNS:
            return i
    return None


def _member_to_read(path: Path, member: str | None) -> str:
    members = list_members(path)
    if member is not None:
        if member not in members:
            raise SourceFormatError(str(path), f"archive has no member {member!r} (members: {members})")
        return member
    data = [m for m in members if m.lower().endswith((".csv", ".xlsx", ".txt"))]
    main = [m for m in data if not Path(m).name.lower().startswith("meta")]
    if len(main) == 1:
        return main[0]
    raise SourceFormatError(
        str(path), f"archive holds {len(main)} data members, name one of them: {sorted(main)}"
    )


def read_member_bounded(
    path: Path, member: str, *, max_bytes: int = MAX_MEMBER_BYTES, max_ratio: int = MAX_RATIO
) -> bytes:
    """The bytes of one zip member, read in blocks under the caps of ``sources._archive``.

    The declared size and compression ratio are checked first, then the running count of the bytes
    actually inflated (a header can lie): past ``max_bytes``, or past ``max_ratio`` × the compressed
    size once over 1 MiB, the member is refused as a zip bomb (ArchiveError naming file and member).
    """
    label = f"{path}!{member}"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path}: not a readable zip archive ({exc})") from exc
    with zf:
        try:
            info = zf.getinfo(member)
        except KeyError as exc:
            raise ArchiveError(f"{path}: no member {member!r}") from exc
        compressed = max(info.compress_size, 1)
        if info.file_size > max_bytes:
            raise ArchiveError(
                f"{label}: member declares {info.file_size} bytes, over the size cap of {max_bytes}"
            )
        if info.file_size > _BLOCK and info.file_size / compressed > max_ratio:
            raise ArchiveError(
                f"{label}: member expands {info.file_size / compressed:.0f}× (cap {max_ratio}×): "
                "refused as a zip bomb"
            )
        out = bytearray()
        try:
            with zf.open(info) as src:
                while block := src.read(_BLOCK):
                    out += block
                    if len(out) > max_bytes or (len(out) > _BLOCK and len(out) / compressed > max_ratio):
                        raise ArchiveError(
                            f"{label}: member expands past the size cap ({max_bytes} bytes, "
                            f"{max_ratio}× its compressed size): refused as a zip bomb"
                        )
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
            raise ArchiveError(f"{label}: member is corrupt or truncated ({exc})") from exc
        return bytes(out)


def read_table(path: Path, *, sheet: str | None = None, member: str | None = None) -> RawTable:
    """Read the one table of a CSV or XLSX file (or of one member of a zip) as text cells.

    The header is the first row, among the first 30, that starts with a code column (CODGEO, IRIS…);
    the rows above it (titles, notes) are skipped. Trailing empty header cells (spreadsheet padding)
    are dropped, and a data cell beyond the header must be empty. Fully empty rows are skipped; in an
    XLSX sheet the data end at the first fully empty row (notes may follow).
    """
    file = str(path)
    raw: bytes | None = None
    name = path.name
    if is_zip(path) and path.suffix.lower() != ".xlsx":
        member = _member_to_read(path, member)
        raw = read_member_bounded(path, member)
        file = f"{path}!{member}"
        name = Path(member).name
    xlsx = name.lower().endswith((".xlsx", ".xlsm"))
    used_sheet: str | None = None
    if xlsx:
        rows, used_sheet = _rows_from_xlsx(raw if raw is not None else path, sheet, file)
    else:
        data = raw if raw is not None else path.read_bytes()
        rows = _rows_from_csv(_decode(data), file)
    h = _find_header(rows)
    if h is None:
        first = rows[0][:6] if rows else []
        raise SourceFormatError(
            file,
            f"no header row: none of the first {HEADER_SEARCH_ROWS} rows starts with one of {CODE_COLUMNS}"
            f" (row 1 starts {first})",
            row=1,
            sheet=used_sheet,
        )
    header = list(rows[h])
    # leading empty cells before the code column (an XLSX table not starting at column A)
    lead = next(i for i, c in enumerate(header) if c.strip() != "")
    header = header[lead:]
    while header and header[-1].strip() == "":
        header.pop()
    names = [canonical_name(c) for c in header]
    for j, n in enumerate(names):
        if n == "":
            raise SourceFormatError(file, f"empty header name at column {j + 1}", row=h + 1, sheet=used_sheet)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SourceFormatError(file, f"duplicated header names {dup}", row=h + 1, sheet=used_sheet)
    width = len(names)
    out: list[list[str]] = []
    numbers: list[int] = []
    for i in range(h + 1, len(rows)):
        cells = [c if c is not None else "" for c in rows[i][lead:]]
        if all(c.strip() == "" for c in cells):
            if xlsx:
                break
            continue
        if len(cells) > width:
            extra = cells[width:]
            k = next((k for k, c in enumerate(extra) if c.strip() != ""), None)
            if k is not None:
                raise SourceFormatError(
                    file,
                    f"value {extra[k]!r} beyond the last header column ({width} columns)",
                    row=i + 1,
                    column=f"#{width + k + 1}",
                    sheet=used_sheet,
                )
            cells = cells[:width]
        elif len(cells) < width:
            if xlsx:
                cells = cells + [""] * (width - len(cells))
            else:
                raise SourceFormatError(
                    file,
                    f"row has {len(cells)} fields, the header has {width}",
                    row=i + 1,
                    sheet=used_sheet,
                )
        out.append([c.strip() for c in cells])
        numbers.append(i + 1)
    return RawTable(
        file=file,
        names=names,
        original_names=header,
        rows=out,
        row_numbers=numbers,
        header_row=h + 1,
        sheet=used_sheet,
        member=member,
    )


def marker_status(raw: str) -> str | None:
    """The status a secret/missing marker stands for, or None when the cell is not a marker."""
    return MARKERS.get(raw.strip().lower())
