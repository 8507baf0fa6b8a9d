"""Constants of the Filosofi commune / EPCI / département / région / France and IRIS files (not the grid)."""

from __future__ import annotations

SOURCE = "filosofi"

# V (insee_qpv.md): IRIS 2021, page 8229323
URL_IRIS_2021_DISP = (
    "https://www.insee.fr/fr/statistiques/fichier/8229323/BASE_TD_FILO_IRIS_2021_DISP_CSV.zip"
)
URL_IRIS_2021_DEC = "https://www.insee.fr/fr/statistiques/fichier/8229323/BASE_TD_FILO_IRIS_2021_DEC_CSV.zip"
# NV: the zip URL of cc_filosofi_2021_COM.csv was not seen (file of the comparateur / dossier complet family).

# File-name suffix → territory kind (V: FILO2019_DISP_{COM,EPCI,DEP,REG,METROPOLE}.csv)
LEVEL_SUFFIX = {
    "COM": "commune",
    "EPCI": "epci",
    "DEP": "departement",
    "REG": "region",
    "METROPOLE": "france",
}
CODE_PATTERNS = {
    "commune": r"^(\d{5}|2[AB]\d{3})$",
    "epci": r"^\d{9}$",
    "departement": r"^(\d{2}|2[AB]|97\d)$",
    "region": r"^\d{2}$",
    "france": r"^\w{1,3}$",
    "iris": r"^(\d{9}|2[AB]\d{7})$",
}

# Header templates ({yy} = two-digit income year), from the real files (V).
FILO_DISP_TEMPLATE = (
    "CODGEO LIBGEO NBMEN{yy} NBPERS{yy} NBUC{yy} Q1{yy} Q2{yy} Q3{yy} Q3_Q1 D1{yy} D2{yy} D3{yy} D4{yy} D6{yy} "  # noqa: E501
    "D7{yy} D8{yy} D9{yy} RD S80S20{yy} GI{yy} PACT{yy} PTSA{yy} PCHO{yy} PBEN{yy} PPEN{yy} PPAT{yy} PPSOC{yy} "  # noqa: E501
    "PPFAM{yy} PPMINI{yy} PPLOGT{yy} PIMPOT{yy}"
)
CC_FILO_TEMPLATE = (
    "CODGEO NBMENFISC{yy} NBPERSMENFISC{yy} MED{yy} PIMP{yy} TP60{yy} TP60AGE1{yy} TP60AGE2{yy} TP60AGE3{yy} "
    "TP60AGE4{yy} TP60AGE5{yy} TP60AGE6{yy} TP60TOL1{yy} TP60TOL2{yy} PACT{yy} PTSA{yy} PCHO{yy} PBEN{yy} "
    "PPEN{yy} PPAT{yy} PPSOC{yy} PPFAM{yy} PPMINI{yy} PPLOGT{yy} PIMPOT{yy} D1{yy} D9{yy} RD{yy}"
)
IRIS_INDICATORS = (
    "TP60|INCERT|Q1|MED|Q3|EQ|D1|D2|D3|D4|D6|D7|D8|D9|RD|S80S20|GI|PACT|PTSA|PCHO|PBEN|PPEN|PPAT|PPSOC|PPFAM|"
    "PPMINI|PPLOGT|PIMPOT|PIMP|PAUT|NOTE"
)
IRIS_LABEL_COLUMNS = ("LIBIRIS", "COM", "LIBCOM", "TYP_IRIS", "LAB_IRIS")

# Geography of each vintage (NV unless said): the COG the file's codes belong to.
GEO_VERSION = {
    ("filo_disp", "2019"): "cog2021",  # NV
    ("filo_cc", "2021"): "cog2023",  # NV
    ("filo_iris", "2019"): "iris2021",  # NV
    ("filo_iris", "2021"): "iris2022",  # NV (a third party says 2022-01-01)
}

# Values bounded by definition: (regex on the canonical column, min, max), first match wins. Poverty
# rates and the share of taxed households are shares in %; counts are never negative; Gini in [0, 1].
# Not bounded on purpose: PIMPOT (negative by design), PACT/PTSA/PPAT/PPEN… (V: 111.2 and -2.4 in
# BASE_TD_FILO_DISP_IRIS_2019), deciles, ratios RD/S80S20/EQ. V: the real files in
# ../shared/data/insee/filosofi lie inside these bounds.
FILO_DISP_BOUNDS: tuple[tuple[str, float | None, float | None], ...] = (
    (r"^(NBMEN|NBPERS|NBUC)\d\d$", 0.0, None),
    (r"^GI\d\d$", 0.0, 1.0),
)
CC_FILO_BOUNDS: tuple[tuple[str, float | None, float | None], ...] = (
    (r"^(TP60|TP60AGE\d|TP60TOL\d|PIMP)\d\d$", 0.0, 100.0),
    (r"^(NBMENFISC|NBPERSMENFISC)\d\d$", 0.0, None),
)
IRIS_BOUNDS: tuple[tuple[str, float | None, float | None], ...] = (
    (r"^(DISP|DEC)_(TP60|PIMP)\d\d$", 0.0, 100.0),
    (r"^(DISP|DEC)_GI\d\d$", 0.0, 1.0),
)
