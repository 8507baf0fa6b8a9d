"""Geographic reference: INSEE COG, EPCI composition, Etalab découpage administratif, commune contours."""

from sources.cog.parse import (
    COMMUNES_SCHEMA,
    CONTOURS_SCHEMA,
    DEPARTEMENTS_SCHEMA,
    EPCI_SCHEMA,
    REGIONS_SCHEMA,
    UU_SCHEMA,
    read_commune_contours,
    read_etalab_communes,
    read_etalab_departements,
    read_etalab_epci,
    read_etalab_regions,
    read_insee_communes,
    read_insee_departements,
    read_insee_epci,
    read_insee_regions,
    read_insee_unites_urbaines,
)

__all__ = [
    "COMMUNES_SCHEMA",
    "CONTOURS_SCHEMA",
    "DEPARTEMENTS_SCHEMA",
    "EPCI_SCHEMA",
    "REGIONS_SCHEMA",
    "UU_SCHEMA",
    "read_commune_contours",
    "read_etalab_communes",
    "read_etalab_departements",
    "read_etalab_epci",
    "read_etalab_regions",
    "read_insee_communes",
    "read_insee_departements",
    "read_insee_epci",
    "read_insee_regions",
    "read_insee_unites_urbaines",
]
