"""Job seekers registered at France Travail (DEFM): DARES communal export, QPV files."""

from sources.france_travail._parse import (
    DEFM_STAGED_SCHEMA,
    describe_qpv_variable,
    parse_defm_communes,
    parse_defm_qpv,
)

__all__ = ["DEFM_STAGED_SCHEMA", "describe_qpv_variable", "parse_defm_communes", "parse_defm_qpv"]
