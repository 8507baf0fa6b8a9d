"""Constants of the job-seeker (DEFM) source: DARES communal export, QPV files. No logic here."""

from __future__ import annotations

# --- DARES communal export (OpenDataSoft), verified in ../shared/sources/france_travail.md -------------
DARES_HOST = "data.dares.travail-emploi.gouv.fr"
DARES_BASE = f"https://{DARES_HOST}/api/explore/v2.1/catalog/datasets"
DEFM_COMMUNES_ID = "dares_defm_communales-brutes"
DEFM_COMMUNES_DATAGOUV_ID = "66df098924d76afbdd70938a"
# The mirror keeps the file under <mirror>/<DARES_HOST>/<DEFM_COMMUNES_PATH>.
DEFM_COMMUNES_PATH = f"api/explore/v2.1/catalog/datasets/{DEFM_COMMUNES_ID}/exports/csv"
DEFM_COMMUNES_URL = f"https://{DARES_HOST}/{DEFM_COMMUNES_PATH}?use_labels=true"
# Catalogue query listing the published quarters (input of the newer-period sensor).
DEFM_COMMUNES_PERIODS_URL = f"{DARES_BASE}/{DEFM_COMMUNES_ID}/records?select=date&group_by=date&limit=100"
# Commune codes of the export are in the COG 2024 (V, france_travail.md).
DEFM_COMMUNES_GEO_VERSION = "cog2024"

# The 12 columns, label header (use_labels=true) → internal name. The order is the export's.
DEFM_COMMUNES_LABELS: dict[str, str] = {
    "date": "date",
    "code région": "code_region",
    "région": "region",
    "code département": "code_departement",
    "département": "departement",
    "code commune": "code_commune",
    "commune": "commune",
    "type de données": "type",
    "catégorie": "categorie",
    "sexe": "sexe",
    "tranche d'âge": "tranche_age",
    "nombre de demandeurs d'emploi": "valeur",
}
# Technical names (default export, without use_labels) → internal name. Only those seen (V) are mapped.
DEFM_COMMUNES_TECHNICAL: dict[str, str] = {
    "date": "date",
    "code_commune": "code_commune",
    "type_de_donnees": "type",
    "categorie": "categorie",
    "sexe": "sexe",
    "tranche_d_age": "tranche_age",
    "nombre_de_demandeurs_d_emploi": "valeur",
}
DEFM_COMMUNES_REQUIRED = ("date", "code_commune", "type", "categorie", "sexe", "tranche_age", "valeur")
DEFM_COMMUNES_TYPES = ("Brutes",)
DEFM_COMMUNES_CATEGORIES = ("ABC",)
DEFM_SEXES: dict[str, str] = {"total": "total", "hommes": "hommes", "femmes": "femmes"}
DEFM_COMMUNES_AGES: dict[str, str] = {
    "total": "total",
    "moins de 25 ans": "moins_25",
    "de 25 à 49 ans": "25_49",
    "50 ans et plus": "50_plus",
}
# Code of the cumulative lines ("Total France métropolitaine", "Non localisés…").
DEFM_AGGREGATE_CODE = "Total"
# Whole communes also published by arrondissement: never add both.
PLM_COMMUNES = ("75056", "69123", "13055")

# --- DEFM by QPV ------------------------------------------------------------------------------------------
# INSEE page "Demandeurs d'emploi … quartiers prioritaires" (2015 geography), V link; its file names and
# columns are NV. The layout parsed here is the Pôle emploi block as INSEE names it in its QPV bases
# (V in ../shared/data/insee/qpv2015/IPRO_*.csv, read only): CODGEO;LIBGEO;ABCDE;…;NOTE_PE.
# The path below is a placeholder for the synthetic mirror (NV).
INSEE_HOST = "www.insee.fr"
DEFM_QPV_PAGE = "https://www.insee.fr/fr/statistiques/2500300?sommaire=2500477"
DEFM_QPV_PATH = "fr/statistiques/fichier/2500300/defm_{geography}_{year}_T{quarter}.csv"  # NV placeholder

DEFM_QPV_ID_COLUMNS = ("CODGEO", "LIBGEO")
DEFM_QPV_NOTE_COLUMNS = ("NOTE_PE", "NOTE_PE_T")
# Variable grammar: <category>[_RSA][_<age>][_<nationality>][_<training>][_DUR<n>][_<sex>], or EVOL_… (%).
DEFM_QPV_CATEGORIES = ("ABCDE", "ABC", "A", "B", "C", "D", "E")
DEFM_QPV_AGES: dict[str, str] = {"25": "moins_26", "2649": "26_49", "50": "50_plus"}  # NV: bounds
DEFM_QPV_NATIONALITIES: dict[str, str] = {"FR": "francais", "E": "etrangers"}
DEFM_QPV_TRAINING: dict[str, str] = {
    "INFCAPBEP": "inf_cap_bep",
    "CAPBEP": "cap_bep",
    "BAC": "bac",
    "SUPBAC": "sup_bac",
}
DEFM_QPV_SEXES: dict[str, str] = {"F": "femmes", "H": "hommes"}

# Secret / not-applicable markers: sources/_period_csv.py.

# --- registry (pipelines/assets/france_travail.py) -------------------------------------------------------
LICENCE = "Licence Ouverte 2.0"
DATASET_COMMUNES = "defm_communes"
DATASET_QPV = {"qpv2015": "defm_qpv2015", "qpv2024": "defm_qpv2024"}
# A quarter republished by the publisher (corrected file): same placeholder path with a release suffix
# `_v<n>` (NV). Its release label is `<quarter>-v<n>`, which sorts after the first release.
DEFM_QPV_REVISED_PATH = "fr/statistiques/fichier/2500300/defm_{geography}_{year}_T{quarter}_v{release}.csv"
# Quarters tried at the placeholder URLs (NV): an absent quarter is skipped (and shows as a gap).
DEFM_QPV_YEARS = tuple(range(2015, 2026))
DEFM_QPV_RELEASES = (2,)
