"""Filosofi files by commune, EPCI, département, région, France métropolitaine and IRIS (not the grid).

Parsers return the long staged table of ``sources.insee_common.layouts.STAGED_SCHEMA``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

FILOSOFI_FAMILIES = ("filo_disp", "filo_cc", "filo_iris")


def parse_filosofi_file(path: Path, *, sheet: str | None = None, member: str | None = None) -> pl.DataFrame:
    """Identify and stage one Filosofi territory file (FILO*_DISP_*, cc_filosofi_*_COM, *IRIS*)."""
    from sources.insee_common.layouts import parse_family  # here: layouts imports this package's settings

    return parse_family(path, FILOSOFI_FAMILIES, "a Filosofi territory file", sheet=sheet, member=member)


__all__ = ["FILOSOFI_FAMILIES", "parse_filosofi_file"]
