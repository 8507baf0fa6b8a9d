"""QPV perimeters published by ANCT on data.gouv.fr (dataset 5a561801c751df42d7fca9b6). See README.md."""

from sources.territory_codes import QPV2015_CODE, QPV2024_CODE

DATASET = "qpv_perimeters"
LICENCE = "Licence Ouverte 2.0 (ANCT)"
DATASET_API = "https://www.data.gouv.fr/api/1/datasets/5a561801c751df42d7fca9b6/"

# 2024 geography (décret 2023-1314, corrected by 2024-806). The stable resource is a zip today.
QPV2024_URL = "https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
QPV2024_MEMBER = "GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
QPV2024_VINTAGE = "2024"

# 2015 geography (décret 2014-1750 / 2014-1751), still in force overseas until end 2024.
QPV2015_URL = (
    "https://static.data.gouv.fr/resources/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    "20180110-144945/qp-politiquedelaville-shp.zip"
)
QPV2015_MEMBER = "QP_METROPOLEOUTREMER_WGS84_EPSG4326.shp"
QPV2015_VINTAGE = "2015"

# Code patterns of each geography: the letter of a 2024 code says N (new), M (modified), I (unchanged).
CODE_PATTERNS = {
    # Département on 3 characters, Corsica included: QN02A01M, QP02A001 (INSEE's QPV files, V for 2015).
    "qpv2024": QPV2024_CODE,
    "qpv2015": QPV2015_CODE,
}

# Property names seen across vintages and republications, lower-cased → our names.
CODE_FIELDS = ("code_qp", "code_quartier")
NAME_FIELDS = ("lib_qp", "nom_qp", "nom_quartier")
COMMUNE_CODE_FIELDS = ("insee_com", "code_commune", "code_insee")
COMMUNE_NAME_FIELDS = ("lib_com", "nom_commune", "commune_qp")
DEP_FIELDS = ("insee_dep", "code_departement", "code_dep")
EPCI_FIELDS = ("siren_epci",)
