"""QPV perimeters of the 2024 and 2015 geographies (ANCT). See README.md for what was verified."""

from sources.qpv_perimeters.parse import PERIMETER_SCHEMA, geography_of, read_perimeters

__all__ = ["PERIMETER_SCHEMA", "geography_of", "read_perimeters"]
