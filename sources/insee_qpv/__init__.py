"""INSEE QPV bases (2015 and 2024 geographies): DEMO, REVN, IPRO, data_DEMO_*_V1_QP, Filosofi by QPV.

Parsers return the long staged table of ``sources.insee_common.layouts.STAGED_SCHEMA``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

QPV_FAMILIES = ("demo", "revn", "ipro", "qpv_filo")


def parse_qpv_file(path: Path, *, sheet: str | None = None, member: str | None = None) -> pl.DataFrame:
    """Identify and stage one INSEE QPV file (CSV, XLSX, or a member of a zip)."""
    from sources.insee_common.layouts import parse_family  # here: layouts imports this package's settings

    return parse_family(path, QPV_FAMILIES, "a QPV base", sheet=sheet, member=member)


__all__ = ["QPV_FAMILIES", "parse_qpv_file"]
