"""Constants of the school directories: `fr-en-annuaire-education` and the adresse-et-géolocalisation file."""

from __future__ import annotations

HOST = "data.education.gouv.fr"
EXPORT_URL_TEMPLATE = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/exports/csv?delimiter=%3B"
)

ANNUAIRE_DATASET = "fr-en-annuaire-education"
GEOLOC_DATASET = "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre"
DIRECTORY_DATASETS = (ANNUAIRE_DATASET, GEOLOC_DATASET)

# Canonical column → accepted slugs. The annuaire header comes capitalised or in lower case
# (`Identifiant_de_l_etablissement` / `identifiant_de_l_etablissement`): slugs are lower case.
ANNUAIRE_ALIASES: dict[str, tuple[str, ...]] = {
    "identifiant_de_l_etablissement": (),
    "nom_etablissement": (),
    "type_etablissement": (),
    "statut_public_prive": (),
    "code_commune": (),
    "nom_commune": (),
    "code_departement": (),
    "code_nature": (),
    "libelle_nature": (),
    "appartenance_education_prioritaire": (),
    "latitude": (),
    "longitude": (),
    "precision_localisation": (),
    "coordx_origine": ("coordonnee_x",),
    "coordy_origine": ("coordonnee_y",),
    "epsg_origine": ("epsg",),
    "etat": (),
    "date_maj_ligne": (),
    "nombre_d_eleves": (),
}
ANNUAIRE_REQUIRED = (
    "identifiant_de_l_etablissement",
    "nom_etablissement",
    "type_etablissement",
    "statut_public_prive",
    "code_commune",
    "appartenance_education_prioritaire",
    "latitude",
    "longitude",
    "precision_localisation",
)

GEOLOC_ALIASES: dict[str, tuple[str, ...]] = {
    "numero_uai": (),
    "appellation_officielle": (),
    "secteur_public_prive_libe": (),
    "code_commune": (),
    "libelle_commune": (),
    "code_departement": (),
    "nature_uai": (),
    "nature_uai_libe": (),
    "latitude": (),
    "longitude": (),
    "localisation": (),
    "appariement": (),
    "coordonnee_x": (),
    "coordonnee_y": (),
    "epsg": (),
    "etat_etablissement_libe": (),
}
GEOLOC_REQUIRED = (
    "numero_uai",
    "appellation_officielle",
    "secteur_public_prive_libe",
    "code_commune",
    "latitude",
    "longitude",
    "localisation",
    "appariement",
)

# Geocoding levels (`precision_localisation` of the annuaire, `localisation` of the geolocation file)
# that place a point no better than a street, a place name or a commune: flagged `imprecise`.
# Values seen in the real files (README): Numéro de rue, Rue, BATIMENT, PLAQUE_ADRESSE, Ville, Lieu-dit,
# NE SAIT PAS, NUMERO (ADRESSE), ZONE_ADRESSAGE, ENTREE PRINCIPALE, COMMUNE, CENTRE_PARCELLE_PROJETE.
IMPRECISE_LOCATIONS = ("RUE", "VILLE", "COMMUNE", "LIEU-DIT", "ZONE_ADRESSAGE", "NE SAIT PAS")
# `appariement` (geocoding match quality) values that make a point doubtful.
DOUBTFUL_MATCHES = ("MOYENNE", "MAUVAISE", "ERREUR", "NE SAIT PAS", "COMMUNE")

EP_VALUES = {"REP": "REP", "REP+": "REP+"}


def export_url(dataset: str) -> str:
    return EXPORT_URL_TEMPLATE.format(dataset=dataset)
