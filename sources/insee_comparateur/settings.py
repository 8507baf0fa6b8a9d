"""Constants of INSEE's "Comparateur de territoires" base (commune level)."""

from __future__ import annotations

SOURCE = "insee_comparateur"

URL_CSV = "https://www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip"  # V
PAGE = "https://www.insee.fr/fr/statistiques/2521169"
CSV_MEMBER = "base_cc_comparateur.CSV"  # V (upper-case extension, 2022 zip)
META_MEMBER = "meta_base_cc_comparateur.CSV"  # V

# Real headers (V) → release label. The census, Filosofi and establishment years are in the names.
HEADER_2022 = (
    "CODGEO P18_POP P13_POP SUPERF NAIS1318 DECE1318 P18_MEN NAISD20 DECESD20 P18_LOG P18_RP P18_RSECOCC "
    "P18_LOGVAC P18_RP_PROP NBMENFISC19 PIMP19 MED19 TP6019 P18_EMPLT P18_EMPLT_SAL P13_EMPLT P18_POP1564 "
    "P18_CHOM1564 P18_ACT1564 ETTOT18 ETAZ18 ETBE18 ETFZ18 ETGU18 ETGZ18 ETOQ18 ETTEF118 ETTEFP1018"
)
HEADER_2025 = (
    "CODGEO P22_POP P16_POP SUPERF NAIS1621 DECE1621 P22_MEN NAISD24 DECESD24 P22_LOG P22_RP P22_RSECOCC "
    "P22_LOGVAC P22_RP_PROP NBMENFISC21 PIMP21 MED21 TP6021 P22_EMPLT P22_EMPLT_SAL P16_EMPLT P22_POP1564 "
    "P22_CHOM1564 P22_ACT1564 ETTOT24 ETAZ24 ETBE24 ETFZ24 ETGU24 ETOQ24 ETTEF124 ETTEFP1024"
)
HEADER_VARIANTS = ((HEADER_2022, ("2022",)), (HEADER_2025, ("2025",)))
GEO_VERSION = {"2022": "cog2021", "2025": "cog2024"}  # 2022: V (PROVENANCE: 2021 geography); 2025: NV
# The 2022 release leaves secret cells empty; the 2025 release writes s / nd, and an empty cell there
# means the commune has no value for that source (V: rows 61017, 62461 of the 2025 seed rows).
EMPTY_STATUS = {"2022": "suppressed", "2025": "missing"}
CODE_PATTERN = r"^(\d{5}|2[AB]\d{3})$"
# Values bounded by definition: (regex, min, max), first match wins. PIMP (share of taxed households) and
# TP60 (poverty rate) are shares in %; every other column is a count, an area or a median income: never
# negative. V: the real 2022 and 2025 files in ../shared/data/insee/comparateur lie inside these bounds.
BOUNDS: tuple[tuple[str, float | None, float | None], ...] = (
    (r"^(PIMP|TP60)\d\d$", 0.0, 100.0),
    (r"^.", 0.0, None),
)
