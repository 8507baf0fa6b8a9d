"""INSEE "Comparateur de territoires" (base_cc_comparateur) and its meta file."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def parse_comparateur_file(
    path: Path, *, sheet: str | None = None, member: str | None = None
) -> pl.DataFrame:
    """Stage base_cc_comparateur (CSV, zip or XLSX sheet COM) into the long staged table."""
    from sources.insee_common.layouts import parse_family  # here: layouts imports this package's settings

    return parse_family(path, ("comparateur",), "the comparateur base", sheet=sheet, member=member)


def parse_meta_file(path: Path, *, member: str | None = None) -> pl.DataFrame:
    """meta_*.CSV → cod_var, lib_var, cod_mod, lib_mod (commune names live in the CODGEO modalities)."""
    from sources.insee_common.layouts import parse_family  # here: layouts imports this package's settings

    return parse_family(path, ("meta",), "an INSEE meta file", member=member)


__all__ = ["parse_comparateur_file", "parse_meta_file"]
