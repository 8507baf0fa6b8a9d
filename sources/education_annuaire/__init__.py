"""School directories: `fr-en-annuaire-education` and the adresse-et-géolocalisation file."""

from sources.education_annuaire.parse import (
    DIRECTORY_SCHEMA,
    parse_annuaire,
    parse_directory,
    parse_geolocalisation,
)
from sources.education_annuaire.settings import ANNUAIRE_DATASET, GEOLOC_DATASET, export_url

__all__ = [
    "ANNUAIRE_DATASET",
    "DIRECTORY_SCHEMA",
    "GEOLOC_DATASET",
    "export_url",
    "parse_annuaire",
    "parse_directory",
    "parse_geolocalisation",
]
