"""Constants of the pupil-count (effectifs) datasets."""

from __future__ import annotations

HOST = "data.education.gouv.fr"
EXPORT_URL_TEMPLATE = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/exports/csv?delimiter=%3B"
)

# dataset id → level. The lycée datasets exist (ids verified) but their columns were not: they are not
# accepted until a real file has been read.
EFFECTIFS_DATASETS: dict[str, str] = {
    "fr-en-ecoles-effectifs-nb_classes": "ecole",
    "fr-en-college-effectifs-niveau-sexe-lv": "college",
}
UNVERIFIED_DATASETS = ("fr-en-lycee_gt-effectifs-niveau-sexe-lv", "fr-en-lycee_pro-effectifs-niveau-sexe-lv")

ALIASES: dict[str, tuple[str, ...]] = {
    "uai": ("numero_ecole", "numero_college"),
    "rentree_scolaire": (),
    "secteur": (),
    "rep": (),
    "rep_plus": (),
    "nombre_eleves_total": ("nombre_total_eleves",),
    "nombre_total_classes": (),
    "denomination_principale": (),
    "patronyme": (),
    "commune": (),
    "code_departement": (),
    "departement": (),
    "code_postal": (),
}
REQUIRED = ("uai", "rentree_scolaire", "secteur", "rep", "rep_plus", "nombre_eleves_total")


def export_url(dataset: str) -> str:
    return EXPORT_URL_TEMPLATE.format(dataset=dataset)
