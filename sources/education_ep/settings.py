"""Constants of the éducation prioritaire (REP / REP+) lists."""

from __future__ import annotations

HOST = "data.education.gouv.fr"
EXPORT_URL_TEMPLATE = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/exports/csv?delimiter=%3B"
)

EP_DATASET = "fr-en-etablissements-ep"
# The DGESCO list « Liste des écoles et des collèges REP et REP+ » (education.gouv.fr), one file per rentrée.
# Its official URL was not verified; the copy in shared/ comes from betagouv/monstage (see README).
MINISTRY_LIST_STEM = "liste-des-rep-et-rep-rentree-{year}"

# fr-en-etablissements-ep: `uai`, one `ep_<yyyy>_<yyyy>` column per rentrée, then descriptive columns
# (order from a third-party loader; exact labels not verified).
EP_DATASET_ALIASES: dict[str, tuple[str, ...]] = {
    "uai": (),
    "nom_etablissement": (),
    "type_etablissement": (),
    "statut_public_prive": (),
    "uai_tete_de_reseau": (),
    "qp_a_proximite_o_n": (),
    "qp_a_proximite": (),
    "nom_du_qp": (),
    "code_commune": (),
    "nom_commune": (),
    "code_departement": (),
    "nombre_d_eleves": (),  # not kept; checked (a count: never negative) so that a damaged file is refused
}
EP_DATASET_REQUIRED = ("uai",)

# Ministry list (literal header, two names with a trailing space):
# ACADEMIE;N°Département;DEPARTEMENT;COMMUNE;UAI tête de réseau;NUMERO;NOM DE L'ETABLISSEMENT;
# TYPE_DETABLISSEMENT;EP;circonscription ;contact collège ou circonscription
MINISTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "numero": ("uai",),
    "uai_tete_de_reseau": (),
    "nom_de_l_etablissement": (),
    "type_detablissement": ("type_d_etablissement",),
    "ep": (),
    "commune": (),
    "n_departement": ("no_departement", "num_departement"),
    "academie": (),
}
MINISTRY_REQUIRED = ("numero", "uai_tete_de_reseau", "ep")

EP_STATUS = {"REP": "REP", "REP+": "REP+", "HORS REP": "hors EP", "HORS EP": "hors EP"}


def export_url(dataset: str = EP_DATASET) -> str:
    return EXPORT_URL_TEMPLATE.format(dataset=dataset)
