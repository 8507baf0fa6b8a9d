"""Constants of the INSEE QPV bases ("Données sur les quartiers de la politique de la ville").

Data only: dataset ids, URLs, the exact header sets seen in real files, the blocks of each base and
the data period of every block per release. See README.md for where each fact was read (V) or
inferred (NV).
"""

from __future__ import annotations

from typing import NamedTuple

SOURCE = "insee_qpv"

# Pages (V: seen on insee.fr through search results, see README.md)
PAGE_QPV2015 = "https://www.insee.fr/fr/statistiques/5359605?sommaire=2500477"
PAGE_QPV2024 = "https://www.insee.fr/fr/statistiques/8243167?sommaire=8186144"
# V (insee_qpv.md): Filosofi 2021 on the 2015 QPs, CSV release
URL_FILO2021_QP15 = "https://www.insee.fr/fr/statistiques/fichier/8243026/revenus_pauvrete_2021_qp15_csv.zip"
# NV: the 2024-geography file name is not known; the pattern mirrors the qp15 file. Used by the synthetic
# mirror only; the refresh must take the URL from the page when it is known.
URL_FILO2021_QP24 = "https://www.insee.fr/fr/statistiques/fichier/8243026/revenus_pauvrete_2021_qp24_csv.zip"
# NV: URL of an XLSX edition of the demography base (the real xlsx names seen: DEMO_2020_V1.xlsx).
URL_DEMO_XLSX = "https://www.insee.fr/fr/statistiques/fichier/5359605/DEMO_2021_V1.xlsx"



class Qpv2024Release(NamedTuple):
    """An INSEE release on the 2024 perimeters (codes QN…): known by name, no file held here and its
    layout not seen, so no parser is written from a guess (../shared/sources/insee_qpv.md, V)."""

    id: str
    title: str
    page: str
    files: str  # the file or folder name INSEE gives
    themes: tuple[str, ...]  # the indicator themes it would answer


# V (insee_qpv.md, "INSEE releases on the 2024 geography"): titles, pages and file names as listed on
# INSEE's QPV 2024 page; the themes are ours (which part of a profile each one would fill).
QPV2024_RELEASES: tuple[Qpv2024Release, ...] = (
    Qpv2024Release(
        "pop_qpv24",
        "Population de référence des QPV 2024 (recensement 2020)",
        "https://www.insee.fr/fr/statistiques/8210600",
        "pop_QPV24.csv, pop_reference_communales_QPV24.csv",
        ("population",),
    ),
    Qpv2024Release(
        "estimations_demographiques_2022_qpv2024",
        "Estimations démographiques 2022 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8742545",
        "estimations-demographiques_2022_QPV2024_csv",
        ("population", "menages"),
    ),
    Qpv2024Release(
        "revenus_pauvrete_2021_qp24",
        "Revenus, pauvreté et niveau de vie en 2021 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8243167",
        "revenus_pauvrete_2021_qp24_v2_csv",
        ("revenus",),
    ),
    Qpv2024Release(
        "defm2024_qp24",
        "Demandeurs d'emploi en 2024 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8644871",
        "DEFM2024_QP24_csv",
        ("demandeurs_emploi",),
    ),
    Qpv2024Release(
        "caf_2024_qp24",
        "Bénéficiaires de la Caf au 31/12/2024 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8682381",
        "beneficiaires_CAF_31-12-2024_QP24",
        ("caf",),
    ),
    Qpv2024Release(
        "educ_2024_2025_qp24",
        "Éducation, rentrée 2024-2025 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8994242",
        "EDUC_2024_2025_QP24",
        ("education",),
    ),
    Qpv2024Release(
        "dnb_2025_qp24",
        "Diplôme national du brevet 2025 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/9026325",
        "DNB_2025_QP24",
        ("education",),
    ),
    Qpv2024Release(
        "rpls_2025_qpv2024",
        "Logements sociaux (RPLS) au 01/01/2025 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/9054633",
        "RPLS_01-01-2025_QPV_2024",
        ("logement",),
    ),
    Qpv2024Release(
        "side_2023_qpv2024",
        "Établissements et emplois (Side) 2023 — QPV 2024",
        "https://www.insee.fr/fr/statistiques/8994268",
        "side_2023_QPV2024",
        ("emploi",),
    ),
)



class Period(NamedTuple):
    period: str
    period_type: str  # year | date | quarter
    verified: bool  # True: checked against a file or an INSEE page (README.md says where)
    evidence: str


# Blocks of each base: (block, variables regex, NOTE column or None). Order matters: first match wins.
DEMO_BLOCKS: tuple[tuple[str, str, str | None], ...] = (
    ("pop", r"^(POP_MUN|POP_COM_QP|POP_COM)$", None),
    ("rp", r"^(TX_[A-Z0-9_]+|IND_JEUNE)$", "NOTE_RP"),
    ("cnaf", r"^(A|PERCOU|AM|AI|ACSSENF|ACAVENF|AC3ENF|A_NETUD_24|A_ETUD|ENF|ENF_[0-9_]+)$", "NOTE_CNAF"),
)
REVN_BLOCKS: tuple[tuple[str, str, str | None], ...] = (
    (
        "filo",
        r"^(PMIMP|PART_CHOMPRINC|DECUC_[A-Z0-9]+|BREV|DISP_[A-Z0-9]+|TP60|PACT|PPEN|PPSOC|PIMPOT|PPAT)$",
        "NOTE_FILO",
    ),
    ("cnam", r"^(CCMUC|C|CC2S|C_C2SNP|C_C2SP)$", "NOTE_CNAM"),
    ("cnaf", r"^(A|APRES50|APRES100|ARSA|APPA|ARSAS|AAAH)$", "NOTE_CNAF"),
)
IPRO_BLOCKS: tuple[tuple[str, str, str | None], ...] = (
    ("rp", r"^TX_[A-Z_]+$", None),
    ("asp_e", r"^(CA_N_E|CA_N1_E|EVOL_CA_N_E)$", "NOTE_ASP_E"),
    ("asp", r"^(CA|CA_[FH]|CUI[A-Z0-9_]*|CIE[A-Z_]*|CAE|EAV[A-Z_]*)$", "NOTE_ASP"),
    ("pe_t", r"^(A_N_T4|A_N1_T4|EVOL_[A-Z_]+_T4)$", "NOTE_PE_T"),
    ("pe", r"^(ABCDE[A-Z0-9_]*|ABC[A-Z0-9_]*|A|A_F|A_H)$", "NOTE_PE"),
)

# NOTE_* codes that come with the block left empty (V: in every real file, codes 2-6 blank the whole
# block of that row; code 1 = "à utiliser avec précaution", values present). Empty NOTE = the source
# did not cover the territory (e.g. Martinique in REVN_2021/2022 Cnaf/Cnam) → status missing.
NON_BLANKING_NOTES = frozenset({"0", "1"})


def _y(year: int, verified: bool, evidence: str) -> Period:
    return Period(str(year), "year", verified, evidence)


def _d(date: str, verified: bool, evidence: str) -> Period:
    return Period(date, "date", verified, evidence)


_POP13 = (
    "POP_COM = P13_POP of base_cc_comparateur 2022 (Argentan 13,903) in DEMO_2019; same POP_MUN in 2017-2020"
)
_POP18 = (
    "POP_COM = P18_POP of base_cc_comparateur 2022 (Argentan 13,730, Saint-Omer 14,726) in DEMO_2021/2022"
)
# Evidence for each choice below: ../shared/sources/insee_qpv.md, "Data year of each block".
_CNAF = (
    "inferred: Cnaf stock at 31 Dec of release-2 — metropolitan sums of A 1.567 M (release 2020) and 1.613 M "
    "(2021) stand in one 0.984 ratio to Insee Focus 1.592 M (Dec 2018) and 1,639,800 (Dec 2019); a one-year "
    "lag fits neither. DEMO and REVN of one release carry the same A"
)
_RP_DEMO = (
    "inferred: DEMO 2019/2020/2021/2022 census shares differ pairwise (≤ 86 identical rows of ~1,400); "
    "DEMO_2019 captioned RP 2015 and DEMO_2023 RP 2019 elsewhere; strictly increasing years force this one"
)
_FILO_LAG = "assumed: constant 4-year lag seen in REVN_2021 (=Filosofi 2017) and REVN_2022 (=Filosofi 2018)"

# Data period of each block, per base family and release label (the year in the file name).
RELEASE_PERIODS: dict[tuple[str, str], dict[str, Period]] = {
    ("demo", "2017"): {
        "pop": _y(2013, True, _POP13),
        "rp": _y(2013, False, "assumed RP 2013: identical TX_* values in DEMO_2017 and DEMO_2018"),
        "cnaf": _d("2015-12-31", False, _CNAF),
    },
    ("demo", "2018"): {
        "pop": _y(2013, True, _POP13),
        "rp": _y(2013, False, "assumed RP 2013: identical TX_* values in DEMO_2017 and DEMO_2018"),
        "cnaf": _d("2016-12-31", False, _CNAF),
    },
    ("demo", "2019"): {
        "pop": _y(2013, True, _POP13),
        "rp": _y(2015, False, _RP_DEMO),
        "cnaf": _d("2017-12-31", False, _CNAF),
    },
    ("demo", "2020"): {
        "pop": _y(2013, True, "POP_MUN identical to data_DEMO_2019 (RP 2013)"),
        "rp": _y(2016, False, _RP_DEMO),
        "cnaf": _d("2018-12-31", False, _CNAF),
    },
    ("demo", "2021"): {
        "pop": _y(2018, True, _POP18),
        "rp": _y(2017, False, _RP_DEMO + " (only 20 of 1,400 rows equal DEMO_2022: not both 2018)"),
        "cnaf": _d("2019-12-31", False, _CNAF),
    },
    ("demo", "2022"): {
        "pop": _y(2018, True, _POP18),
        "rp": _y(2018, False, _RP_DEMO),
        "cnaf": _d("2020-12-31", False, _CNAF),
    },
    ("revn", "2017"): {
        "filo": _y(2013, False, _FILO_LAG),
        "cnam": _d("2017-01-01", False, "assumed: Cnam beneficiaries at 1 January of the release year"),
        "cnaf": _d("2015-12-31", False, _CNAF),
    },
    ("revn", "2018"): {
        "filo": _y(2014, False, _FILO_LAG),
        "cnam": _d("2018-01-01", False, "assumed: Cnam beneficiaries at 1 January of the release year"),
        "cnaf": _d("2016-12-31", False, _CNAF),
    },
    ("revn", "2019"): {
        "filo": _y(2015, False, _FILO_LAG),
        "cnam": _d("2019-01-01", False, "assumed: Cnam beneficiaries at 1 January of the release year"),
        "cnaf": _d("2017-12-31", False, _CNAF),
    },
    ("revn", "2021"): {
        "filo": _y(
            2017,
            True,
            "DISP_Q2/TP60 equal data_filo17_qp_revdis disp_q2_a17/tp60_a17 (QP001001 13,790 / 38,9)",
        ),
        "cnam": _d("2021-01-01", False, "assumed: Cnam beneficiaries at 1 January of the release year"),
        "cnaf": _d("2019-12-31", False, _CNAF),
    },
    ("revn", "2022"): {
        "filo": _y(
            2018,
            True,
            "DISP_Q2/TP60 equal data_filo18_qp_revdis DISP_MED_A18/DISP_TP60_A18 (QP001001 14,180 / 41,4)",
        ),
        "cnam": _d("2022-01-01", False, "assumed: Cnam beneficiaries at 1 January of the release year"),
        "cnaf": _d("2020-12-31", False, _CNAF),
    },
}
_RP_IPRO = "assumed: employment rates from the census; identical in IPRO_2017 and IPRO_2018"
_PE = "assumed: job seekers at 31 Dec of release-1 (page 3646773: IPRO 2018 paru 21/11/2018)"
# Metropolitan sums equal the DREES figures « au 31 décembre » within 0.1 % (insee_qpv.md).
_PE_VERIFIED = {
    "2021": "ABC 739,173 / A 515,045 = DREES 738,268 / 514,348 at 31/12/2020",
    "2022": "ABC 696,449 / A 454,409 = DREES 695,687 / 453,876 at 31/12/2021",
}
for _rel, _rp in (
    ("2017", 2013),
    ("2018", 2013),
    ("2019", 2015),
    ("2020", 2016),
    ("2021", 2017),
    ("2022", 2018),
):
    _n = int(_rel)
    RELEASE_PERIODS[("ipro", _rel)] = {
        "rp": _y(_rp, False, _RP_IPRO if _rel in ("2017", "2018") else "assumed: census year = release-4"),
        "asp": _y(_n - 1, False, "assumed: subsidised contracts of release-1"),
        "asp_e": _y(_n - 1, False, "assumed: evolution over release-1"),
        "pe": _d(f"{_n - 1}-12-31", _rel in _PE_VERIFIED, _PE_VERIFIED.get(_rel, _PE)),
        "pe_t": Period(f"{_n - 1}-Q4", "quarter", False, "assumed: T4 average of release-1"),
    }

# Filosofi QPV files (data_filo1x_qp_revdis, revenu-disponible-qp15-2021_QP): the year is in every
# column name (DISP_MED_A19 → income 2019, V: page 6049692 "Revenus, pauvreté et niveau de vie en 2019").

# Exact header sets of the real files (canonical: stripped, upper-case) → the releases that have them.
DEMO_EXPORT_1719 = (
    "CODGEO LIBGEO POP_MUN POP_COM_QP POP_COM LIB_COM TX_F TX_TOT_0A24 TX_F_0A24 TX_TOT_60ETPLUS TX_F_60ETPLUS "  # noqa: E501
    "IND_JEUNE TX_TOT_MEN1 TX_TOT_MEN6 TX_TOT_ET TX_F_ET A PERCOU AM AI ACSSENF ACAVENF AC3ENF A_NETUD_24 A_ETUD "  # noqa: E501
    "ENF ENF_2 ENF_3_5 ENF_6_10 ENF_11_14 ENF_15_17 ENF_18_24 NOTE_CNAF"
)
DEMO_EXPORT_2122 = DEMO_EXPORT_1719.replace("TX_F_ET A ", "TX_F_ET NOTE_RP A ")
DEMO_V1_1920 = DEMO_EXPORT_1719.replace("LIBGEO ", "")
DEMO_V1_21 = DEMO_EXPORT_2122.replace("LIBGEO ", "").replace("LIB_COM ", "")
REVN_2017 = (
    "CODGEO LIBGEO PMIMP PART_CHOMPRINC DECUC_Q2 DECUC_Q1 DECUC_Q3 BREV DECUC_D1 DECUC_D9 DISP_Q2 DISP_Q1 "
    "DISP_Q3 TP60 DISP_D1 DISP_D9 PACT PPEN PPSOC PIMPOT PPAT CCMUC NOTE_CNAM A APRES50 APRES100 ARSA ARSAS "
    "AAAH NOTE_CNAF"
)
REVN_2018 = REVN_2017.replace(" ARSA ", " APPA ")
REVN_2019 = REVN_2018.replace("PPAT CCMUC", "PPAT NOTE_FILO CCMUC")
REVN_2021 = (
    "CODGEO LIBGEO PMIMP DECUC_Q2 DECUC_Q1 DECUC_Q3 BREV DECUC_D1 DECUC_D9 DECUC_D1D9 DISP_Q2 DISP_Q1 DISP_Q3 "  # noqa: E501
    "TP60 DISP_D1 DISP_D9 DISP_D1D9 PACT PPEN PPSOC PIMPOT PPAT NOTE_FILO C CC2S NOTE_CNAM A APPA ARSAS AAAH "
    "NOTE_CNAF"
)
REVN_2022 = REVN_2021.replace(" CC2S ", " C_C2SNP C_C2SP ")
_IPRO_ASP17 = (
    "CA CUI CIE CIE_HS CIE_S CAE EAV CA_F CUI_F EAV_F CA_H CUI_H EAV_H CUI_25 CUI_26A49 CUI_50 CUI_INFCAP CUI_CAP "  # noqa: E501
    "CUI_BAC CUI_SUPBAC EAV_INFCAP EAV_CAP EAV_SUPCAP NOTE_ASP"
)
_IPRO_PE_BASE = "ABCDE ABCDE_F ABCDE_H ABC ABC_F ABC_H ABC_RSA ABC_RSA_F ABC_RSA_H A A_F A_H ABC_25 ABC_2649 ABC_50 ABC_FR ABC_E"  # noqa: E501
_IPRO_DIPL = (
    "ABC_INFCAPBEP ABC_CAPBEP ABC_BAC ABC_SUPBAC ABC_INFCAPBEP_F ABC_CAPBEP_F ABC_BAC_F ABC_SUPBAC_F "
    "ABC_INFCAPBEP_H ABC_CAPBEP_H ABC_BAC_H ABC_SUPBAC_H"
)
_IPRO_DUR = (
    "ABC_DUR1 ABC_DUR2 ABC_DUR3 ABC_DUR4 ABC_DUR1_F ABC_DUR2_F ABC_DUR3_F ABC_DUR4_F ABC_DUR1_H ABC_DUR2_H "
    "ABC_DUR3_H ABC_DUR4_H"
)
_IPRO_T = "EVOL_ABC_T4 EVOL_ABC_F_T4 EVOL_ABC_H_T4 EVOL_A_T4 EVOL_A_F_T4 EVOL_A_H_T4 NOTE_PE_T"
IPRO_2017 = (
    f"CODGEO LIBGEO TX_TOT_EMPL TX_F_EMPL TX_ET_EMPL TX_TOT_EPREC TX_F_EPREC TX_ET_EPREC {_IPRO_ASP17} "
    f"{_IPRO_PE_BASE} {_IPRO_DIPL} ABC_QAL1 ABC_QAL2 ABC_QAL3 ABC_QAL4 ABC_QAL5 {_IPRO_DUR} NOTE_PE "
    "A_N_T4 A_N1_T4 NOTE_PE_T"
)
IPRO_2018 = IPRO_2017.replace("NOTE_ASP ", "NOTE_ASP CA_N_E CA_N1_E NOTE_ASP_E ")
IPRO_2019 = (
    "CODGEO LIBGEO TX_TOT_EMPL TX_F_EMPL TX_ET_EMPL TX_TOT_EPREC TX_F_EPREC TX_ET_EPREC CA NOTE_ASP EVOL_CA_N_E "  # noqa: E501
    f"NOTE_ASP_E {_IPRO_PE_BASE} {_IPRO_DUR} NOTE_PE {_IPRO_T}"
)
IPRO_2020 = IPRO_2019.replace(f"ABC_E {_IPRO_DUR}", f"ABC_E {_IPRO_DIPL} {_IPRO_DUR}")
IPRO_2021 = IPRO_2020.replace("EPREC", "EDLIM")

HEADER_VARIANTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    # layout id → ((space-separated header, releases having exactly that header), …)
    "qpv2015_demo": (
        (DEMO_EXPORT_1719, ("2017", "2018", "2019")),
        (DEMO_EXPORT_2122, ("2021", "2022")),
        (DEMO_V1_1920, ("2019", "2020")),
        (DEMO_V1_21, ("2021",)),
    ),
    "qpv2015_revn": (
        (REVN_2017, ("2017",)),
        (REVN_2018, ("2018",)),
        (REVN_2019, ("2019",)),
        (REVN_2021, ("2021",)),
        (REVN_2022, ("2022",)),
    ),
    "qpv2015_ipro": (
        (IPRO_2017, ("2017",)),
        (IPRO_2018, ("2018",)),
        (IPRO_2019, ("2019",)),
        (IPRO_2020, ("2020",)),
        (IPRO_2021, ("2021", "2022")),
    ),
}

# Filosofi QPV columns: DISP_<IND>_A<yy> / DEC_<IND>_A<yy>. Old lower-case names (data_filo16/17) → new.
FILO_QPV_INDICATORS = (
    "Q1|MED|Q3|EQ|D1|D2|D3|D4|D6|D7|D8|D9|RD|GINI|S80S20|PACT|PTSA|PCHO|PBEN|PPEN|PPAT|PPSOC|PPFAM|PPMINI|"
    "PPLOGT|PIMPOT|PAUT|TP60|TP50|PIMP|INCERT|NOTE"
)
FILO_QPV_LEGACY = {  # data_filo16/17 (V) → the 2018+ names (V in data_filo18/19)
    "DISP_Q2": "DISP_MED",
    "DISP_Q1Q3Q2": "DISP_EQ",
    "DISP_D1D9": "DISP_RD",
    "TP60": "DISP_TP60",
    "NOTE": "DISP_NOTE",
}

# Values bounded by definition, per base: (regex on the canonical column, min, max), first match wins.
# Rates (TX_*, TP60, PMIMP…) are shares in %; counts are never negative; GINI in [0, 1]. Left unbounded on
# purpose: PIMPOT (negative by design), income components PACT/PTSA/PPAT/PPEN… (above 100 or below 0 happen,
# V in the IRIS files), quantile levels, ratios (D1D9, S80S20, EQ), EVOL_* (signed), IND_JEUNE, BREV (NV).
# V: every published value of the real files in ../shared/data/insee/qpv2015 lies inside these bounds.
BoundRule = tuple[str, float | None, float | None]
_QPV_COUNTS = (
    r"^(POP_MUN|POP_COM_QP|POP_COM|A|PERCOU|AM|AI|ACSSENF|ACAVENF|AC3ENF|A_NETUD_24|A_ETUD|ENF|ENF_[0-9_]+)$"
)
DEMO_BOUNDS: tuple[BoundRule, ...] = ((r"^TX_", 0.0, 100.0), (_QPV_COUNTS, 0.0, None))
REVN_BOUNDS: tuple[BoundRule, ...] = (
    (r"^(TP60|PMIMP|PART_CHOMPRINC)$", 0.0, 100.0),
    (r"^(CCMUC|C|CC2S|C_C2SNP|C_C2SP|A|APRES50|APRES100|ARSA|APPA|ARSAS|AAAH)$", 0.0, None),
)
IPRO_BOUNDS: tuple[BoundRule, ...] = (
    (r"^TX_", 0.0, 100.0),
    (
        r"^(ABCDE[A-Z0-9_]*|ABC[A-Z0-9_]*|A|A_F|A_H|A_N_T4|A_N1_T4|CA|CA_[FH]|CA_N_E|CA_N1_E|CUI[A-Z0-9_]*|CIE[A-Z_]*|CAE|EAV[A-Z_]*)$",
        0.0,
        None,
    ),
)
FILO_QPV_BOUNDS: tuple[BoundRule, ...] = (
    (r"^(DISP|DEC)_(TP60|TP50|PIMP)_A\d\d$", 0.0, 100.0),
    (r"^(DISP|DEC)_GINI_A\d\d$", 0.0, 1.0),
)
