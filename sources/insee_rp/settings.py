"""Constants of INSEE's census "bases infracommunales" (IRIS): URLs, archive members, known columns.

V = seen in public code or pages (see README.md), NV = not verified.
"""

from __future__ import annotations

DATASET = "insee_rp"
LICENCE = "Licence Ouverte 2.0 (Insee)"
HOST = "www.insee.fr"

# theme id → file stem (the name INSEE gives every vintage's zip and CSV member)
THEMES: dict[str, str] = {
    "population": "base-ic-evol-struct-pop",
    "logement": "base-ic-logement",
    "familles": "base-ic-couples-familles-menages",
    "activite": "base-ic-activite-residents",
    "diplomes": "base-ic-diplomes-formation",
}

# census vintage → theme → statistiques page id of the CSV zip (`/fr/statistiques/fichier/<id>/…`).
PAGE_IDS: dict[str, dict[str, str]] = {
    "2022": {  # V for every theme (public code listing the five RP 2022 URLs and members)
        "population": "8647014",
        "logement": "8647012",
        "familles": "8647008",
        "activite": "8647006",
        "diplomes": "8647010",
    },
    "2021": {  # V: logement, population, activité, diplômes (several public scripts); familles V (one)
        "population": "8268806",
        "logement": "8268838",
        "familles": "8268828",
        "activite": "8268843",
        "diplomes": "8268840",
    },
    "2020": {  # V: population, diplômes, familles, activité (INSEE page copy); logement V (one script)
        "population": "7704076",
        "logement": "7704078",
        "familles": "7704086",
        "activite": "7704089",
        "diplomes": "7704080",
    },
}
# The vintage a URL-mode refresh downloads (the latest): the others stay recognisable from content.
DEFAULT_VINTAGE = "2022"
# Geography of the IRIS / communes of each vintage: RP 2022 on the 1 January 2024 geography (V, declared
# by a third party, INSEE practice: N + 2); 2021 → 2023 and 2020 → 2022 by the same rule (NV).
GEOGRAPHY_YEAR: dict[str, str] = {"2022": "2024", "2021": "2023", "2020": "2022"}


def url(theme: str, vintage: str) -> str:
    """The official CSV zip of a theme and vintage."""
    return (
        f"https://{HOST}/fr/statistiques/fichier/{PAGE_IDS[vintage][theme]}/{THEMES[theme]}-{vintage}_csv.zip"
    )


def member(theme: str, vintage: str) -> str:
    """The data member inside the zip: upper-case `.CSV` extension (V 2021, 2022)."""
    return f"{THEMES[theme]}-{vintage}.CSV"


# Columns that are not figures. The first four are in every vintage since RP 2020 (V: the 2020 header
# `IRIS;COM;TYP_IRIS;LAB_IRIS;P20_POP;…` and the 2022 schemas); the others appear in older or XLSX editions
# (V names, from a reader's exclusion list) and are accepted as labels when present.
REQUIRED_LABELS = ("IRIS", "COM", "TYP_IRIS", "LAB_IRIS")
OPTIONAL_LABELS = ("REG", "DEP", "UU2010", "UU2020", "LIBCOM", "TRIRIS", "GRD_QUART", "LIBIRIS", "MODIF_IRIS")
CODE_COLUMN = "IRIS"

# A variable is P<yy>_NAME (main exploitation) or C<yy>_NAME (complementary exploitation): its stable
# name drops the two-digit vintage: P22_NSCOL15P_DIPLMIN → P_NSCOL15P_DIPLMIN.
VARIABLE_PATTERN = r"^(?P<kind>[PC])(?P<yy>\d\d)_(?P<name>[A-Z0-9_]+)$"

# What tells the five themes apart (stable names, all present): disjoint by construction.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "population": ("P_POP", "P_POP0014", "P_POP75P"),
    "logement": ("P_LOG", "P_RP", "P_LOGVAC"),
    "familles": ("C_MEN", "C_MENPSEUL"),
    "activite": ("P_ACT1564", "P_CHOM1564"),
    "diplomes": ("P_NSCOL15P", "P_SCOL1824"),
}
# Columns the indicators need (stable names): a file lacking one (renamed, dropped) is refused.
REQUIRED: dict[str, tuple[str, ...]] = {
    "population": (
        "P_POP",
        "P_POP0014",
        "P_POP1529",
        "P_POP3044",
        "P_POP4559",
        "P_POP6074",
        "P_POP75P",
    ),  # V 2020 (full header), 2022 (schema)
    "logement": ("P_LOG", "P_RP", "P_LOGVAC", "P_RP_PROP", "P_RP_LOC", "P_RP_LOCHLMV"),  # V 2021, 2022
    "familles": ("C_MEN", "C_MENPSEUL", "C_FAM", "C_FAMMONO"),  # V 2021 (C21_FAMMONO), 2022 (C22_MEN…)
    "activite": ("P_POP1564", "P_ACT1564", "P_CHOM1564", "P_ACTOCC1564"),  # V 2021, 2022
    "diplomes": (
        "P_POP1824",
        "P_SCOL1824",
        "P_NSCOL15P",
        "P_NSCOL15P_DIPLMIN",
        "P_NSCOL15P_BEPC",
        "P_NSCOL15P_SUP2",
        "P_NSCOL15P_SUP34",
        "P_NSCOL15P_SUP5",
    ),  # V 2021, 2022 (P22_NSCOL15P_BEPC beside DIPLMIN)
}

# IRIS code: commune code (5 characters, Corsica 2A/2B) + 4 digits; `…0000` = commune not split (V).
IRIS_CODE = r"^(\d{5}|2[AB]\d{3})\d{4}$"
COMMUNE_CODE = r"^(\d{5}|2[AB]\d{3})$"
# A row whose code says "all" (a total row appended by a re-export): refused, never summed twice.
TOTAL_CODES = ("TOTAL", "ENSEMBLE", "FRANCE", "FRANCE ENTIERE", "FRANCE METROPOLITAINE", "00", "99")
# What to do with rows of communes (5-character codes) some editions carry beside the IRIS: `drop`
# (default: commune figures are rebuilt as the sum of their IRIS) or `keep` (level = "commune").
COMMUNE_ROWS = ("drop", "keep")
