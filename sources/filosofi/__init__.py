"""Filosofi files by commune, EPCI, département, région, France métropolitaine and IRIS (not the grid).

Parsers return the long staged table of ``sources.insee_common.layouts.STAGED_SCHEMA``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

FILOSOFI_FAMILIES = ("filo_disp", "filo_cc", "filo_iris")


def parse_filosofi_file(path: Path, *, sheet: str | None = None, member: str | None = None) -> pl.DataFrame:
    """Identify and stage one Filosofi territory file (FILO*_DISP_*, cc_filosofi_*_COM, *IRIS*)."""
    from sources._errors import SourceFormatError
    from sources.insee_common.layouts import identify

    layout = identify(path, sheet=sheet, member=member)
    if layout.spec.family not in FILOSOFI_FAMILIES:
        raise SourceFormatError(str(path), f"not a Filosofi territory file: recognised as {layout.spec.id}")
    return layout.parse()


__all__ = ["FILOSOFI_FAMILIES", "parse_filosofi_file"]
