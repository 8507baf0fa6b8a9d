"""CAF / Cnaf allocataires: data.caf.fr exports (commune, IRIS) and INSEE's Cnaf base (IRIS, QPV)."""

from sources.caf._parse import (
    CAF_STAGED_SCHEMA,
    detect_cnaf_base_layout,
    parse_caf_file,
    parse_cnaf_base,
    parse_ods_export,
)

__all__ = [
    "CAF_STAGED_SCHEMA",
    "detect_cnaf_base_layout",
    "parse_caf_file",
    "parse_cnaf_base",
    "parse_ods_export",
]
