"""Constants of the INSEE Filosofi gridded data ("données carroyées", 200 m cells). Provenance: README.md."""

from __future__ import annotations

from dataclasses import dataclass

DATASET = "filosofi_grid"
LICENCE = "Licence Ouverte 2.0 (Insee)"
HOST = "www.insee.fr"


@dataclass(frozen=True)
class GridRelease:
    """One release of the 200 m grid: the archive as published, and what it holds."""

    vintage: str  # release label = data year (the year in the file name)
    page: str
    csv_url: str
    gpkg_url: str
    # Name of the .7z archive nested in the zip, or None when the zip holds the CSV files directly.
    csv_inner_7z: str | None
    # CSV member for each territory: "met" (metropolitan France), "mart" (Martinique), "reun" (Réunion).
    csv_members: dict[str, str]
    gpkg_layers: dict[str, str]


def _by_territory(template: str) -> dict[str, str]:
    """The CSV member or GPKG layer of each territory: `template` with {t} = met, mart, reun."""
    return {t: template.format(t=t) for t in ("met", "mart", "reun")}


RELEASES: dict[str, GridRelease] = {
    "2017": GridRelease(
        vintage="2017",
        page="https://www.insee.fr/fr/statistiques/6215138?sommaire=6215217",
        csv_url="https://www.insee.fr/fr/statistiques/fichier/6215138/Filosofi2017_carreaux_200m_csv.zip",
        gpkg_url="https://www.insee.fr/fr/statistiques/fichier/6215138/Filosofi2017_carreaux_200m_gpkg.zip",
        csv_inner_7z="Filosofi2017_carreaux_200m_csv.7z",
        csv_members=_by_territory("Filosofi2017_carreaux_200m_{t}.csv"),
        gpkg_layers=_by_territory("Filosofi2017_carreaux_200m_{t}"),
    ),
    "2019": GridRelease(
        vintage="2019",
        page="https://www.insee.fr/fr/statistiques/7655475?sommaire=7655515",
        csv_url="https://www.insee.fr/fr/statistiques/fichier/7655475/Filosofi2019_carreaux_200m_csv.zip",
        gpkg_url="https://www.insee.fr/fr/statistiques/fichier/7655475/Filosofi2019_carreaux_200m_gpkg.zip",
        csv_inner_7z="Filosofi2019_carreaux_200m_csv.7z",
        csv_members=_by_territory("carreaux_200m_{t}.csv"),
        gpkg_layers=_by_territory("carreaux_200m_{t}"),
    ),
    "2021": GridRelease(
        vintage="2021",
        page="https://www.insee.fr/fr/statistiques/8735162",
        csv_url="https://www.insee.fr/fr/statistiques/fichier/8735162/Filosofi2021_carreaux_200m_csv.zip",
        gpkg_url="https://www.insee.fr/fr/statistiques/fichier/8735162/Filosofi2021_carreaux_200m_gpkg.zip",
        csv_inner_7z=None,
        csv_members=_by_territory("carreaux_200m_{t}.csv"),
        gpkg_layers=_by_territory("carreaux_200m_{t}"),
    ),
}

CELL_SIZE_M = 200

# Cell ids: "CRS3035RES200mN2029800E4252400" = south-west corner, N = northing (y), E = easting (x), in the
# EPSG code after "CRS". Metropolitan France is in ETRS89-LAEA; the overseas grids are in local UTM.
CELL_ID_PATTERN = r"^CRS(\d+)RES200mN(\d+)E(\d+)$"

# Native CRS of the id → CRS of the published geometry (Lambert-93 for metropolitan France; the overseas
# departments keep their local projected CRS, as the GPKG layers do).
ID_CRS_TO_TARGET_CRS: dict[str, str] = {
    "3035": "EPSG:2154",
    "5490": "EPSG:5490",  # Martinique, RGAF09 / UTM 20N
    "2975": "EPSG:2975",  # Réunion, RGR92 / UTM 40S
}

# Identifier columns, by canonical (lower-case) name; the 2015 CSV spelling is not supported here.
ID_COLUMNS = ("idcar_200m", "idcar_1km", "idcar_nat")
FLAG_COLUMNS = ("i_est_200", "i_est_1km")
OPTIONAL_COLUMNS = ("groupe",)  # 2017 and 2019 only; dropped in 2021
GEO_COLUMN = "lcog_geo"  # 5-character commune codes the cell touches, concatenated without separator

# Count columns (sums over the fiscal households of the cell), in the 2021 order: households and their
# dwellings, dwellings by construction period, social dwellings, individuals by age band.
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "ind",  # individuals
    "men",  # households
    "men_pauv",  # poor households (standard of living below 60 % of the national median)
    "men_1ind",  # one-person households
    "men_5ind",  # households of 5 or more people
    "men_prop",  # owner households
    "men_fmp",  # single-parent households
    "ind_snv",  # sum of the winsorised standard of living of the individuals (euros)
    "men_surf",  # sum of the dwelling areas (m²)
    "men_coll",  # households in collective dwellings (flats)
    "men_mais",  # households in houses
)
PERIOD_COLUMNS: tuple[str, ...] = (
    "log_av45",  # dwellings built before 1945
    "log_45_70",
    "log_70_90",
    "log_ap90",  # built in 1990 or later
    "log_inc",  # construction date unknown
)
SOCIAL_COLUMN = "log_soc"  # social dwellings
AGE_COLUMNS: tuple[str, ...] = (
    "ind_0_3",
    "ind_4_5",
    "ind_6_10",
    "ind_11_17",
    "ind_18_24",
    "ind_25_39",
    "ind_40_54",
    "ind_55_64",
    "ind_65_79",
    "ind_80p",
    "ind_inc",  # age unknown
)
COUNT_COLUMNS: tuple[str, ...] = (*HOUSEHOLD_COLUMNS, *PERIOD_COLUMNS, SOCIAL_COLUMN, *AGE_COLUMNS)

REQUIRED_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, *FLAG_COLUMNS, GEO_COLUMN, *COUNT_COLUMNS)

# The 2021 CSV header, in order (V); written as is by the synthetic mirror.
CSV_HEADER_2021: tuple[str, ...] = (
    "idcar_200m",
    "idcar_1km",
    "idcar_nat",
    "i_est_200",
    "i_est_1km",
    GEO_COLUMN,
    *COUNT_COLUMNS,
)

# INSEE's confidentiality threshold: a cell with fewer than 11 fiscal households gets imputed values.
MIN_HOUSEHOLDS = 11
