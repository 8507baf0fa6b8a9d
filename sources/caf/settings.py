"""Constants of the CAF / Cnaf source: dataset ids, URLs, known column layouts. No logic here."""

from __future__ import annotations

# --- data.caf.fr (OpenDataSoft Explore API v2.1), verified in ../shared/sources/caf.md -------------------
ODS_HOST = "data.caf.fr"
ODS_BASE = f"https://{ODS_HOST}/api/explore/v2.1/catalog/datasets"

# "Toutes prestations [Communal]": foyers allocataires by benefit, per commune, Decembers 2020-2024.
S_BEN_COM_F = "s_ben_com_f"
# National, monthly, exact (not rounded): the reference to check commune sums against.
S_BEN_NAT = "s_ben_nat"
# RSA by commune and type (majoré / non majoré), and by IRIS.
RSA_S_TYPE_COM_F = "rsa_s_type_com_f"
RSA_S_TYPE_IRIS_F = "rsa_s_type_iris_f"
# Housing benefit by IRIS and housing-stock type; households by quotient-familial band by IRIS.
AL_S_TYPE_PARC_IRIS_F = "al_s_type_parc_iris_f"
NDUR_S_QF_400_IRIS_F = "ndur_s_qf_400_iris_f"

ODS_DATASETS = (
    S_BEN_COM_F,
    S_BEN_NAT,
    RSA_S_TYPE_COM_F,
    RSA_S_TYPE_IRIS_F,
    AL_S_TYPE_PARC_IRIS_F,
    NDUR_S_QF_400_IRIS_F,
)

# CSV export (technical field names, `;` separator). The mirror stores it under
# <mirror>/<ODS_HOST>/<ODS_EXPORT_PATH>; the query string is part of the request, not of the stored path.
ODS_EXPORT_PATH = "api/explore/v2.1/catalog/datasets/{dataset_id}/exports/csv"
ODS_EXPORT_URL = f"https://{ODS_HOST}/{ODS_EXPORT_PATH}?delimiter=%3B"
# Catalogue query listing the published reference dates (input of the newer-period sensor).
ODS_PERIODS_URL = (
    f"{ODS_BASE}/{{dataset_id}}/records?select=dtreffre&group_by=dtreffre&order_by=dtreffre%20desc&limit=100"
)

# Technical field names of the data.caf.fr exports.
ODS_DATE = "dtreffre"
ODS_COMMUNE = "numcomdo"
ODS_COMMUNE_NAME = "nomcom"
ODS_IRIS_SUFFIX = "numirisd"
# Measure prefixes: foyers allocataires, persons covered, amount paid for the month of December (€).
ODS_MEASURE_PREFIXES = ("indfoy_", "indnbp_", "indmtt_")
# Known categorical dimensions of the thematic datasets (kept as a `dimension` label).
ODS_DIMENSIONS = ("rsa_type", "qf_400", "type_parc")
# Label columns read and ignored (V: `nomcom` in s_ben_com_f and rsa_s_type_com_f). Any other column
# that is neither an identifier, a measure nor a known dimension is refused (it could change the key).
ODS_LABEL_COLUMNS = ("nomcom",)
# Columns only a commune/IRIS export has: without `numcomdo` such a file is refused, never read as national.
ODS_SUBNATIONAL_COLUMNS = ("numcomdo", "numirisd", "nomcom")
# Count measures (foyers, persons): never negative. Amounts (`indmtt_*`) are not bounded.
ODS_COUNT_PREFIXES = ("indfoy_", "indnbp_")

# --- INSEE "Cnaf" infra-communal base (variable names of INSEE's QPV/IRIS products) -------------------
# Real copies: ../shared/data/caf/data_CAF_<year>_IRIS.csv (2016-2020). The insee.fr page they come
# from was not seen (NV); the mirror path below is therefore a placeholder for the synthetic sample.
INSEE_HOST = "www.insee.fr"
CNAF_BASE_IRIS_FILE = "data_CAF_{year}_IRIS.csv"
CNAF_BASE_QPV_FILE = "data_CAF_{year}_{geography}.csv"  # NV placeholder: QPV file name not seen
CNAF_BASE_PATH = "fr/statistiques/fichier/cnaf/{file}"  # NV placeholder path on insee.fr

CNAF_BASE_ID_COLUMNS = ("CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "UU", "REG")
CNAF_BASE_NOTE = "NOTE"
# Count variables, in file order (2016/2017 have APRES50/APRES100; 2018 drops them; 2019+ keep CODGEO only).
CNAF_BASE_VARIABLES = (
    "A",
    "PERCOU",
    "AI",
    "AM",
    "ACSSENF",
    "ACAVENF",
    "AC3ENF",
    "ENF",
    "ENF_2",
    "ENF_3_5",
    "ENF_6_10",
    "ENF_11_14",
    "ENF_15_17",
    "ENF_18_24",
    "A_ETUD",
    "A_NETUD_24",
    "AAL",
    "AAPL",
    "AAAH",
    "APPA",
    "ARSAS",
    "APRES50",
    "APRES100",
)
# The layouts seen in the real files, by header (upper-cased, trimmed). Key = layout label.
_TAIL_2018 = CNAF_BASE_VARIABLES[:21]
CNAF_BASE_LAYOUTS: dict[str, tuple[str, ...]] = {
    "insee_cnaf_2016": ("CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "REG", "NOTE", *CNAF_BASE_VARIABLES),
    "insee_cnaf_2017": (
        "CODGEO",
        "LIBGEO",
        "DEPCOM",
        "LIBCOM",
        "EPCI",
        "UU",
        "REG",
        "NOTE",
        *CNAF_BASE_VARIABLES,
    ),
    "insee_cnaf_2018": ("CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "UU", "REG", "NOTE", *_TAIL_2018),
    "insee_cnaf_2019": ("CODGEO", "NOTE", *_TAIL_2018),
}

# Secret / not-applicable markers: sources/_period_csv.py.

# --- registry (pipelines/assets/caf.py) -------------------------------------------------------------------
# Licence of data.caf.fr and of INSEE's bases: Licence Ouverte / Etalab 2.0 (NV for data.caf.fr's page).
LICENCE = "Licence Ouverte 2.0"
# Datasets of the pipeline (one per file family; a file's family is recognised from its content).
DATASET_ODS_COMMUNE = "caf_ods_commune"  # data.caf.fr commune export (s_ben_com_f…)
DATASET_ODS_IRIS = "caf_ods_iris"  # data.caf.fr IRIS export (rsa_s_type_iris_f…)
DATASET_CNAF_IRIS = "caf_cnaf_iris"  # INSEE Cnaf base by IRIS (data_CAF_<year>_IRIS.csv)
DATASET_CNAF_QPV = {"qpv2015": "caf_cnaf_qpv2015", "qpv2024": "caf_cnaf_qpv2024"}
# Years tried at the placeholder URLs (NV): a year absent from the mirror/server is skipped.
CNAF_BASE_IRIS_YEARS = tuple(range(2016, 2021))
CNAF_BASE_QPV_YEARS = tuple(range(2015, 2026))
