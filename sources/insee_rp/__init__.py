"""INSEE census "bases infracommunales" (IRIS): population, logement, couples-familles-ménages,
activité des résidents, diplômes-formation; one zip per theme and vintage."""

from __future__ import annotations

from sources.insee_rp.parse import STAGED_SCHEMA, RpLayout, identify_header, parse_insee_rp, sniff_header

__all__ = ["STAGED_SCHEMA", "RpLayout", "identify_header", "parse_insee_rp", "sniff_header"]
