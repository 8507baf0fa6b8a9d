"""INSEE "Comparateur de territoires" (base_cc_comparateur) and its meta file."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def parse_comparateur_file(
    path: Path, *, sheet: str | None = None, member: str | None = None
) -> pl.DataFrame:
    """Stage base_cc_comparateur (CSV, zip or XLSX sheet COM) into the long staged table."""
    from sources._errors import SourceFormatError
    from sources.insee_common.layouts import identify

    layout = identify(path, sheet=sheet, member=member)
    if layout.spec.family != "comparateur":
        raise SourceFormatError(str(path), f"not the comparateur base: recognised as {layout.spec.id}")
    return layout.parse()


def parse_meta_file(path: Path, *, member: str | None = None) -> pl.DataFrame:
    """meta_*.CSV → cod_var, lib_var, cod_mod, lib_mod (commune names live in the CODGEO modalities)."""
    from sources._errors import SourceFormatError
    from sources.insee_common.layouts import identify

    layout = identify(path, member=member)
    if layout.spec.family != "meta":
        raise SourceFormatError(str(path), f"not an INSEE meta file: recognised as {layout.spec.id}")
    return layout.parse()


__all__ = ["parse_comparateur_file", "parse_meta_file"]
