"""Errors raised by source parsers and the download layer.

Every parse error names the file, and where known the row (1-based, as a person counts lines in the
file, header included), the column and the sheet, so that a user can open the file and see the fault.
"""

from __future__ import annotations


class QuartiersError(Exception):
    """Base class of every error Quartiers raises on purpose."""


class SourceFormatError(QuartiersError):
    """A file does not have the layout or the values its source is known to have."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.sheet = sheet
        self.message = message
        where = [f"file {file}"]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class FetchError(QuartiersError):
    """A file could not be obtained (HTTP error, missing mirror file, size or content-type check)."""


class ArchiveError(QuartiersError):
    """An archive is corrupt, truncated, or holds a member that must not be extracted."""
