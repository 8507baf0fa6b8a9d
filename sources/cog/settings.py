"""INSEE Code officiel géographique, EPCI composition, unités urbaines, commune contours. See README.md."""

COG_YEAR = 2024
GEO_VERSION = "cog2024"
LICENCE = "Licence Ouverte 2.0 (INSEE)"

# insee.fr/fr/information/7766585 — the fichier id changes every year.
COG_FILE_IDS = {2023: "6800675", 2024: "7766585", 2025: "8377162", 2026: "8740222"}
_COG = "https://www.insee.fr/fr/statistiques/fichier/7766585"
COMMUNES_URL = f"{_COG}/v_commune_2024.csv"
DEPARTEMENTS_URL = f"{_COG}/v_departement_2024.csv"
REGIONS_URL = f"{_COG}/v_region_2024.csv"

# EPCI composition on 1 January 2024 (file renamed in 2024: was Intercommunalite_Metropole_au_…).
EPCI_URL = "https://www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip"
EPCI_MEMBER = "EPCI_au_01-01-2024.xlsx"
EPCI_HEADER_ROW = 6  # Excel row of the variable codes (rows 1-5 are titles and labels)
NO_EPCI_CODE = "ZZZZZZZZZ"

# Unités urbaines 2020, 2024 vintage.
UU_URL = "https://www.insee.fr/fr/statistiques/fichier/4802589/UU2020_au_01-01-2024.zip"
UU_MEMBER = "UU2020_au_01-01-2024.xlsx"

# Commune contours derived from IGN ADMIN EXPRESS by Etalab (WGS84; includes PLM arrondissements).
CONTOURS_URL = (
    "https://etalab-datasets.geo.data.gouv.fr/contours-administratifs/2024/geojson/communes-100m.geojson.gz"
)

FRANCE_CODE = "FR"
FRANCE_METRO_CODE = "FRM"
