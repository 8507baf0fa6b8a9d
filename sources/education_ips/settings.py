"""Constants of the IPS (indice de position sociale) datasets of data.education.gouv.fr."""

from __future__ import annotations

HOST = "data.education.gouv.fr"
EXPORT_URL_TEMPLATE = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/exports/csv?delimiter=%3B"
)
RECORDS_URL_TEMPLATE = "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{dataset}/records"

# dataset id → (level, series). IPS values are comparable only within one series (method break in 2022).
IPS_DATASETS: dict[str, tuple[str, str]] = {
    "fr-en-ips_ecoles": ("ecole", "legacy"),
    "fr-en-ips_ecoles_v2": ("ecole", "legacy"),
    "fr-en-ips_colleges": ("college", "legacy"),
    "fr-en-ips_lycees": ("lycee", "legacy"),
    "fr-en-ips-ecoles-ap2022": ("ecole", "ap2022"),
    "fr-en-ips-colleges-ap2022": ("college", "ap2022"),
    "fr-en-ips-colleges-ap2023": ("college", "ap2023"),
    "fr-en-ips-lycees-ap2022": ("lycee", "ap2022"),
    "fr-en-ips-lycees-ap2023": ("lycee", "ap2023"),
}
SERIES = ("legacy", "ap2022", "ap2023")

REFERENCE_COLUMNS = tuple(
    f"ips_{scale}{suffix}"
    for scale in ("national", "academique", "departemental")
    for suffix in ("", "_public", "_prive")
)

# Canonical column → accepted slugs (a label header slugs to the technical name: `Rentrée scolaire` →
# `rentree_scolaire`). Every accepted alias was seen in a file or a verified header (see README).
COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "rentree_scolaire": ("annee_scolaire",),
    "uai": (),
    "nom_de_l_etablissement": ("nom_de_l_etablissment",),  # typo of the legacy and ap2022 collège series
    "code_insee_de_la_commune": ("code_commune_insee",),
    "nom_de_la_commune": ("libelle_commune",),
    "code_du_departement": ("code_departement",),
    "departement": ("libelle_departement",),
    "academie": ("libelle_academie",),
    "secteur": (),
    "num_ligne": (),
}
ECOLE_COLLEGE_ALIASES: dict[str, tuple[str, ...]] = {
    "ips": (),
    "ecart_type_de_l_ips": ("ecart_type",),
    "effectifs": (),
    **{c: () for c in REFERENCE_COLUMNS},
}
LYCEE_ALIASES: dict[str, tuple[str, ...]] = {
    "type_de_lycee": (),
    "ips": ("ips_etab", "ips_ensemble_gt_pro"),
    "ecart_type_de_l_ips": ("ecart_type_etablissement",),
    "ips_voie_gt": (),
    "ips_voie_pro": (),
    "ips_post_bac": (),
    "ecart_type_voie_gt": ("ecart_type_de_l_ips_voie_gt",),
    "ecart_type_voie_pro": ("ecart_type_de_l_ips_voie_pro",),
    "effectifs": ("effectifs_ensemble_gt_pro",),
    "effectifs_voie_gt": (),
    "effectifs_voie_pro": (),
    **{
        f"ips_{scale}_{kind}{suffix}": ()
        for scale in ("national", "academique", "departemental")
        for kind in ("legt", "lpo", "lp")
        for suffix in ("", "_public", "_prive")
    },
}
LYCEE_TYPES = ("LEGT", "LPO", "LP")

_BASE_REQUIRED = (
    "rentree_scolaire",
    "uai",
    "nom_de_l_etablissement",
    "code_insee_de_la_commune",
    "secteur",
    "ips",
)
# (level, series) → required canonical columns (what the verified headers of that series carry).
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("ecole", "legacy"): _BASE_REQUIRED,
    ("ecole", "ap2022"): (*_BASE_REQUIRED, *REFERENCE_COLUMNS),
    ("college", "legacy"): (*_BASE_REQUIRED, "ecart_type_de_l_ips"),
    ("college", "ap2022"): (*_BASE_REQUIRED, "effectifs", "ecart_type_de_l_ips"),
    ("college", "ap2023"): (*_BASE_REQUIRED, "ecart_type_de_l_ips", *REFERENCE_COLUMNS),
    ("lycee", "legacy"): (*_BASE_REQUIRED, "type_de_lycee", "ips_voie_gt", "ips_voie_pro"),
    ("lycee", "ap2022"): (*_BASE_REQUIRED, "type_de_lycee", "ips_voie_gt", "ips_voie_pro"),
    ("lycee", "ap2023"): (
        *_BASE_REQUIRED,
        "type_de_lycee",
        "ips_voie_gt",
        "ips_voie_pro",
        "ips_post_bac",
        "ecart_type_de_l_ips",
        *(f"ips_{s}_{k}" for s in ("national", "academique", "departemental") for k in ("legt", "lpo", "lp")),
    ),
}


def export_url(dataset: str) -> str:
    return EXPORT_URL_TEMPLATE.format(dataset=dataset)
