"""INSEE QPV bases (2015 and 2024 geographies): DEMO, REVN, IPRO, data_DEMO_*_V1_QP, Filosofi by QPV.

Parsers return the long staged table of ``sources.insee_common.layouts.STAGED_SCHEMA``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

QPV_FAMILIES = ("demo", "revn", "ipro", "qpv_filo")


def parse_qpv_file(path: Path, *, sheet: str | None = None, member: str | None = None) -> pl.DataFrame:
    """Identify and stage one INSEE QPV file (CSV, XLSX, or a member of a zip)."""
    from sources._errors import SourceFormatError
    from sources.insee_common.layouts import identify

    layout = identify(path, sheet=sheet, member=member)
    if layout.spec.family not in QPV_FAMILIES:
        raise SourceFormatError(str(path), f"not a QPV base: recognised as {layout.spec.id}")
    return layout.parse()


__all__ = ["QPV_FAMILIES", "parse_qpv_file"]
