"""Constants of the IVAC dataset (indicateurs de valeur ajoutée des collèges)."""

from __future__ import annotations

HOST = "data.education.gouv.fr"
EXPORT_URL_TEMPLATE = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/exports/csv?delimiter=%3B"
)
IVA_DATASET = "fr-en-indicateurs-valeur-ajoutee-colleges"

# The real copy's label header slugs to the technical names, once trimmed (`    Session` → `session`) and
# with `Nom de l_établissement` → `nom_de_l_etablissement`.
COUNT_COLUMNS = (
    "nb_candidats_g",
    "nb_candidats_p",
    "nb_mentions_ab_g",
    "nb_mentions_b_g",
    "nb_mentions_tb_g",
    "nb_mentions_global_g",
)
RATE_COLUMNS = (
    "taux_de_reussite_g",
    "taux_de_reussite_p",
    "taux_d_acces_6eme_3eme",
    "part_presents_3eme_ordinaire_total",
    "part_presents_3eme_ordinaire_g",
    "part_presents_3eme_ordinaire_p",
    "part_presents_3eme_segpa_total",
)
VA_COLUMNS = ("va_du_taux_de_reussite_g", "va_de_la_note_g")
NOTE_COLUMNS = ("note_a_l_ecrit_g", "note_a_l_ecrit_p")

ALIASES: dict[str, tuple[str, ...]] = {
    "session": (),
    "uai": (),
    "nom_de_l_etablissement": ("nom_de_l_etablissment",),
    "commune": (),
    "departement": (),
    "academie": (),
    "secteur": (),
    **{c: () for c in (*COUNT_COLUMNS, *RATE_COLUMNS, *VA_COLUMNS, *NOTE_COLUMNS)},
}
REQUIRED = (
    "session",
    "uai",
    "secteur",
    "nb_candidats_g",
    "taux_de_reussite_g",
    "va_du_taux_de_reussite_g",
    "note_a_l_ecrit_g",
    "va_de_la_note_g",
    "taux_d_acces_6eme_3eme",
)


def export_url(dataset: str = IVA_DATASET) -> str:
    return EXPORT_URL_TEMPLATE.format(dataset=dataset)
