"""Synthetic education files for the sample territory: IPS (écoles ap2022, collèges ap2023), the annuaire
and the pupil counts, written as the portal's CSV exports into a mirror directory.

About 20 schools: in every QPV 2024 an école inside and one just outside (100-220 m from the edge),
a collège inside two QPVs, schools far from any QPV (> 700 m), private schools, maternelles (no IPS),
one école with missing coordinates and one with street-level (imprecise) precision.
`expected_school_relations` gives the truth (computed with shapely on the territory's polygons) so an
end-to-end test can check `school_qpv`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
from pyproj import Transformer
from shapely import Point
from shapely.geometry.base import BaseGeometry

from sources.education_annuaire.settings import ANNUAIRE_DATASET
from sources.education_common import UAI_LETTERS
from sources.education_effectifs.settings import EXPORT_URL_TEMPLATE as EFF_URL
from sources.education_ips.settings import EXPORT_URL_TEMPLATE as IPS_URL
from synthetic.territory import Territory

_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)

IPS_ECOLES = "fr-en-ips-ecoles-ap2022"
IPS_COLLEGES = "fr-en-ips-colleges-ap2023"
EFF_ECOLES = "fr-en-ecoles-effectifs-nb_classes"
EFF_COLLEGES = "fr-en-college-effectifs-niveau-sexe-lv"
ECOLE_RENTREES = (2022, 2023, 2024)
COLLEGE_RENTREES = (2023, 2024)
NEAR_M = 300.0

ANNUAIRE_HEADER = (
    "identifiant_de_l_etablissement;nom_etablissement;type_etablissement;statut_public_prive;adresse_1;adresse_2;"
    "adresse_3;code_postal;code_commune;nom_commune;code_departement;code_academie;code_region;ecole_maternelle;"
    "ecole_elementaire;voie_generale;voie_technologique;voie_professionnelle;telephone;fax;web;mail;restauration;"
    "hebergement;ulis;apprentissage;segpa;section_arts;section_cinema;section_theatre;section_sport;"
    "section_internationale;section_europeenne;lycee_agricole;lycee_militaire;lycee_des_metiers;post_bac;"
    "appartenance_education_prioritaire;greta;siren_siret;fiche_onisep;position;type_contrat_prive;"
    "libelle_departement;libelle_academie;libelle_region;coordx_origine;coordy_origine;epsg_origine;"
    "nom_circonscription;latitude;longitude;precision_localisation;date_ouverture;date_maj_ligne;etat;"
    "ministere_tutelle;multi_uai;rpi_concentre;rpi_disperse;code_nature;libelle_nature;code_type_contrat_prive;pial;"
    "etablissement_mere;type_rattachement_etablissement_mere;code_circonscription;code_zone_animation_pedagogique;"
    "libelle_zone_animation_pedagogique;code_bassin_formation;libelle_bassin_formation"
).split(";")
IPS_ECOLES_HEADER = (
    "rentree_scolaire;code_region;region;code_de_l_academie;academie;code_du_departement;departement;"
    "code_insee_de_la_commune;nom_de_la_commune;uai;nom_de_l_etablissement;secteur;ips;ips_national_prive;"
    "ips_national_public;ips_national;ips_academique_prive;ips_academique_public;ips_academique;"
    "ips_departemental_prive;ips_departemental_public;ips_departemental;num_ligne"
).split(";")
IPS_COLLEGES_HEADER = (
    "rentree_scolaire;code_region;region_academique;code_academie;academie;code_du_departement;departement;"
    "code_insee_de_la_commune;nom_de_la_commune;uai;nom_de_l_etablissement;secteur;ips;ecart_type_de_l_ips;"
    "ips_national_prive;ips_national_public;ips_national;ips_academique_prive;ips_academique_public;ips_academique;"
    "ips_departemental_prive;ips_departemental_public;ips_departemental;num_ligne"
).split(";")
EFF_ECOLES_HEADER = (
    "rentree_scolaire;code_region_aca;code_region_insee;region_academique;code_academie;academie;code_departement;"
    "departement;code_postal;commune;numero_ecole;denomination_principale;patronyme;secteur;rep;rep_plus;"
    "nombre_total_classes;nombre_total_eleves;nombre_eleves_preelementaire_hors_ulis;"
    "nombre_eleves_elementaire_hors_ulis;nombre_eleves_ulis;nombre_eleves_ueea;nombre_eleves_cp_hors_ulis;"
    "nombre_eleves_ce1_hors_ulis;nombre_eleves_ce2_hors_ulis;nombre_eleves_cm1_hors_ulis;nombre_eleves_cm2_hors_ulis;"
    "num_ligne"
).split(";")
_LEVELS_COLLEGE = ("6eme", "5eme", "4eme", "3eme")
EFF_COLLEGES_HEADER = [
    "rentree_scolaire",
    "region_academique",
    "academie",
    "departement",
    "commune",
    "numero_college",
    "denomination_principale",
    "patronyme",
    "secteur",
    "rep",
    "rep_plus",
    "nombre_eleves_total",
    "nombre_eleves_total_hors_segpa_hors_ulis",
    "nombre_eleves_segpa",
    "nombre_eleves_ulis",
    *(
        c
        for n in _LEVELS_COLLEGE
        for c in (
            f"nombre_eleves_{n}_total",
            f"nombre_eleves_{n}_hors_segpa_hors_ulis",
            f"nombre_eleves_{n}_segpa",
            f"nombre_eleves_{n}_ulis",
            f"nombre_eleves_{n}_filles",
            f"nombre_eleves_{n[0]}emes_garcons",
            f"nombre_eleves_{n}_lv1_allemand",
            f"nombre_eleves_{n}_lv1_anglais",
            f"nombre_eleves_{n}_lv1_espagnol",
            f"nombre_eleves_{n}_lv1_autres",
            f"nombre_eleves_{n}_lv2_allemand",
            f"nombre_eleves_{n}_lv2_anglais",
            f"nombre_eleves_{n}_lv2_espagnol",
            f"nombre_eleves_{n}_lv2_italien",
            f"nombre_eleves_{n}_lv2_autres",
        )
    ),
    "code_postal",
]


@dataclass(frozen=True)
class SyntheticSchool:
    uai: str
    name: str
    kind: str  # maternelle | elementaire | college
    sector: str  # public | prive
    commune_code: str
    x: float | None  # Lambert-93; None = missing coordinates
    y: float | None
    precision: str
    ep: str  # REP | REP+ | ""
    ips_base: float | None  # None: no IPS (maternelle) ; NaN: NS
    pupils: int


def _uai(n: int) -> str:
    digits = f"099{n:04d}"
    return digits + UAI_LETTERS[int(digits) % 23]


def mirror_path(mirror: Path, url: str) -> Path:
    parts = urlsplit(url)
    return mirror / parts.netloc / parts.path.lstrip("/")


def _point_at(geom: BaseGeometry, rng: random.Random, lo: float, hi: float) -> tuple[float, float]:
    """A point whose distance to `geom` is in [lo, hi] (outside), or inside when hi == 0."""
    c = geom.centroid
    for _ in range(2000):
        if hi == 0:
            minx, miny, maxx, maxy = geom.bounds
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if geom.buffer(-40).contains(p):
                return p.x, p.y
            continue
        angle = rng.uniform(0, 2 * math.pi)
        r = rng.uniform(200, 3000)
        p = Point(c.x + r * math.cos(angle), c.y + r * math.sin(angle))
        if lo <= geom.distance(p) <= hi:
            return p.x, p.y
    raise RuntimeError("could not place a synthetic school")


def _far_point(geom: BaseGeometry, qpvs: list[BaseGeometry], rng: random.Random) -> tuple[float, float]:
    """A point well inside `geom` and more than 700 m from every QPV."""
    minx, miny, maxx, maxy = geom.bounds
    inner = geom.buffer(-200)
    for _ in range(5000):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(p) and min(g.distance(p) for g in qpvs) > 700:
            return p.x, p.y
    raise RuntimeError("no point far from the QPVs")


def build_schools(territory: Territory, seed: int) -> list[SyntheticSchool]:
    """The schools of the sample, deterministic for (territory, seed)."""
    rng = random.Random(seed * 7919 + 11)
    all_qpv = [q.geometry_l93 for q in territory.qpvs]
    n = iter(range(101, 999))
    schools: list[SyntheticSchool] = []

    def add(
        name: str,
        kind: str,
        sector: str,
        commune: str,
        xy: tuple[float, float] | None,
        ep: str,
        ips: float | None,
        pupils: int,
        precision: str = "Numéro de rue",
    ) -> None:
        x, y = xy if xy is not None else (None, None)
        schools.append(
            SyntheticSchool(_uai(next(n)), name, kind, sector, commune, x, y, precision, ep, ips, pupils)
        )

    for k, q in enumerate(territory.qpv2024):
        commune = q.commune_codes[0]
        add(
            f"Ecole élémentaire {q.name}",
            "elementaire",
            "public",
            commune,
            _point_at(q.geometry_l93, rng, 0, 0),
            "REP+",
            72.0 + 3 * k,
            180 + 10 * k,
        )
        add(
            f"Ecole primaire Les Abords {k + 1}",
            "elementaire",
            "public",
            commune,
            _point_at(q.geometry_l93, rng, 100, 220),
            "REP",
            84.0 + 2 * k,
            150 + 5 * k,
        )
        if k % 2 == 0:
            add(
                f"Ecole maternelle {q.name}",
                "maternelle",
                "public",
                commune,
                _point_at(q.geometry_l93, rng, 0, 0),
                "REP+",
                None,
                90 + k,
            )
    hauts = territory.qpv2024[2].geometry_l93
    add("Collège Jean Moulin", "college", "public", "99104", _point_at(hauts, rng, 0, 0), "REP+", 78.4, 420)
    add(
        "Collège Louise Michel",
        "college",
        "public",
        "99101",
        _point_at(territory.qpv2024[0].geometry_l93, rng, 120, 200),
        "REP",
        88.2,
        510,
    )
    # Far from every QPV (> 700 m), in each commune.
    for k, com in enumerate(territory.communes):
        p = Point(*_far_point(com.geometry_l93, all_qpv, rng))
        sector = "prive" if k in (1, 4) else "public"
        add(
            f"Ecole {'privée Saint-Joseph' if sector == 'prive' else 'du Bourg'} {com.name}",
            "elementaire",
            sector,
            com.code,
            (p.x, p.y),
            "",
            104.0 + 2.5 * k,
            120 + 15 * k,
            precision="Rue" if k == 5 else "Numéro de rue",
        )
    far_xy = _far_point(territory.commune("99102").geometry_l93, all_qpv, rng)
    add("Collège privé Sainte-Marie", "college", "prive", "99102", far_xy, "", 118.6, 380)
    add("Ecole primaire des Sources", "elementaire", "public", "99103", None, "", float("nan"), 45)
    return schools


def expected_school_relations(territory: Territory, seed: int, near_m: float = NEAR_M) -> pl.DataFrame:
    """Truth for `school_qpv`: uai, territory_code, geo_version, relation (inside/near), both geographies."""
    rows = []
    for s in build_schools(territory, seed):
        if s.x is None or s.y is None:
            continue
        p = Point(s.x, s.y)
        for q in territory.qpvs:
            d = q.geometry_l93.distance(p)
            if q.geometry_l93.intersects(p):
                rows.append((s.uai, q.code, q.geography, "inside"))
            elif d <= near_m:
                rows.append((s.uai, q.code, q.geography, "near"))
    return pl.DataFrame(
        rows,
        schema={
            "uai": pl.String,
            "territory_code": pl.String,
            "geo_version": pl.String,
            "relation": pl.String,
        },
        orient="row",
    ).sort("geo_version", "territory_code", "uai")


def expected_unplaced(territory: Territory, seed: int) -> list[str]:
    """UAIs of the schools written without coordinates."""
    return [s.uai for s in build_schools(territory, seed) if s.x is None]


def _write(
    path: Path, header: list[str], rows: list[dict[str, str]], *, bom: bool = False, crlf: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    eol = "\r\n" if crlf else "\n"
    lines = [";".join(header)] + [";".join(r.get(c, "") for c in header) for r in rows]
    path.write_bytes(("\ufeff" if bom else "").encode() + (eol.join(lines) + eol).encode("utf-8"))
    return path


def _fmt(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")  # the portal writes "75", not "75.0"


def write_education(
    mirror: Path, territory: Territory, seed: int, schools: list[SyntheticSchool] | None = None
) -> list[Path]:
    """Write the IPS, annuaire and effectifs exports of the sample into `mirror` (<host>/<url path>);
    `schools` replaces the sample's own (the national mirror passes its ~60,000)."""
    schools = build_schools(territory, seed) if schools is None else schools
    communes = {c.code: c.name for c in territory.communes}
    dep_code, dep_name = territory.departement
    reg_code, reg_name = territory.region
    written: list[Path] = []

    # Annuaire: lower-case 71-column header, UTF-8 without BOM, LF (as the real copy in shared/).
    rows = []
    for s in schools:
        lon = lat = None
        if s.x is not None and s.y is not None:
            lon, lat = _TO_WGS84.transform(s.x, s.y)
        kind = "Collège" if s.kind == "college" else "Ecole"
        nature = {
            "maternelle": ("101", "ECOLE MATERNELLE"),
            "elementaire": ("151", "ECOLE DE NIVEAU ELEMENTAIRE"),
            "college": ("340", "COLLEGE"),
        }[s.kind]
        rows.append(
            {
                "identifiant_de_l_etablissement": s.uai,
                "nom_etablissement": s.name,
                "type_etablissement": kind,
                "statut_public_prive": "Public" if s.sector == "public" else "Privé",
                "adresse_1": "1 rue de l'Ecole",
                "adresse_3": f"99{s.commune_code[-3:]} {communes[s.commune_code].upper()}",
                "code_postal": f"99{s.commune_code[-3:]}",
                "code_commune": s.commune_code,
                "nom_commune": communes[s.commune_code],
                "code_departement": f"0{dep_code}",
                "code_academie": "99",
                "code_region": reg_code,
                "ecole_maternelle": "1" if s.kind == "maternelle" else "0" if s.kind == "elementaire" else "",
                "ecole_elementaire": "1"
                if s.kind == "elementaire"
                else "0"
                if s.kind == "maternelle"
                else "",
                "restauration": "1",
                "hebergement": "0",
                "ulis": "0",
                "appartenance_education_prioritaire": s.ep,
                "position": "" if lat is None else f"{lat}, {lon}",
                "type_contrat_prive": "SANS OBJET"
                if s.sector == "public"
                else "CONTRAT D'ASSOCIATION TOUTES CLASSES",
                "libelle_departement": dep_name,
                "libelle_academie": "Synthétique",
                "libelle_region": reg_name,
                "coordx_origine": "" if s.x is None else f"{s.x:.1f}",
                "coordy_origine": "" if s.y is None else f"{s.y:.1f}",
                "epsg_origine": "" if s.x is None else "EPSG:2154",
                "latitude": "" if lat is None else repr(lat),
                "longitude": "" if lon is None else repr(lon),
                "precision_localisation": "" if s.x is None else s.precision,
                "date_ouverture": "1970-09-01",
                "date_maj_ligne": "2026-08-20",
                "etat": "OUVERT",
                "ministere_tutelle": "MINISTERE DE L'EDUCATION NATIONALE",
                "multi_uai": "0",
                "rpi_concentre": "0",
                "code_nature": nature[0],
                "libelle_nature": nature[1],
                "code_type_contrat_prive": "99" if s.sector == "public" else "30",
            }
        )
    url = f"https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/{ANNUAIRE_DATASET}/exports/csv"
    written.append(_write(mirror_path(mirror, url), ANNUAIRE_HEADER, rows))

    refs = {
        "ips_national_prive": "119.3",
        "ips_national_public": "102.9",
        "ips_national": "105.4",
        "ips_academique_prive": "114.2",
        "ips_academique_public": "100.2",
        "ips_academique": "102.2",
        "ips_departemental_prive": "112.0",
        "ips_departemental_public": "96.4",
        "ips_departemental": "99.1",
    }
    common = {
        "code_region": "99",
        "region": reg_name.upper(),
        "region_academique": reg_name.upper(),
        "code_de_l_academie": "99",
        "code_academie": "99",
        "academie": "SYNTHETIQUE",
        "code_du_departement": dep_code,
        "departement": dep_name.upper(),
    }

    def ips_rows(kind: set[str], rentrees: tuple[int, ...], with_sd: bool) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for r in rentrees:
            for s in schools:
                if s.kind not in kind or s.ips_base is None:
                    continue
                ips = "NS" if math.isnan(s.ips_base) else _fmt(s.ips_base + 0.7 * (r - rentrees[0]))
                row = {
                    **common,
                    **refs,
                    "rentree_scolaire": f"{r}-{r + 1}",
                    "code_insee_de_la_commune": s.commune_code,
                    "nom_de_la_commune": communes[s.commune_code].upper(),
                    "uai": s.uai,
                    "nom_de_l_etablissement": s.name.upper(),
                    "secteur": "public" if s.sector == "public" else "privé sous contrat",
                    "ips": ips,
                }
                if with_sd:
                    row["ecart_type_de_l_ips"] = "" if ips == "NS" else _fmt(24.0 + (s.pupils % 9))
                row["num_ligne"] = f"{len(out) + 1}.0"
                out.append(row)
        return out

    url = IPS_URL.format(dataset=IPS_ECOLES).split("?")[0]
    written.append(
        _write(mirror_path(mirror, url), IPS_ECOLES_HEADER, ips_rows({"elementaire"}, ECOLE_RENTREES, False))
    )
    url = IPS_URL.format(dataset=IPS_COLLEGES).split("?")[0]
    written.append(
        _write(mirror_path(mirror, url), IPS_COLLEGES_HEADER, ips_rows({"college"}, COLLEGE_RENTREES, True))
    )

    # Effectifs: écoles (rentrée as a 4-digit year, PUBLIC/PRIVE, rep/rep_plus 0/1) and collèges.
    rows = []
    for r in ECOLE_RENTREES:
        for s in schools:
            if s.kind == "college":
                continue
            pupils = s.pupils + (r - ECOLE_RENTREES[0]) * 3
            classes = max(1, round(pupils / 24))
            pre = pupils if s.kind == "maternelle" else 0
            elem = pupils - pre
            per = [elem // 5] * 4 + [elem - 4 * (elem // 5)]
            rows.append(
                {
                    "rentree_scolaire": str(r),
                    "code_region_aca": "99",
                    "code_region_insee": reg_code,
                    "region_academique": reg_name.upper(),
                    "code_academie": "99",
                    "academie": "SYNTHETIQUE",
                    "code_departement": dep_code,
                    "departement": dep_name.upper(),
                    "code_postal": f"99{s.commune_code[-3:]}",
                    "commune": communes[s.commune_code].upper(),
                    "numero_ecole": s.uai,
                    "denomination_principale": "ECOLE MATERNELLE PUBLIQUE"
                    if s.kind == "maternelle"
                    else ("ECOLE ELEMENTAIRE PUBLIQUE" if s.sector == "public" else "ECOLE PRIMAIRE PRIVEE"),
                    "patronyme": s.name.split(" ", 2)[-1].upper(),
                    "secteur": "PUBLIC" if s.sector == "public" else "PRIVE",
                    "rep": "1" if s.ep == "REP" else "0",
                    "rep_plus": "1" if s.ep == "REP+" else "0",
                    "nombre_total_classes": str(classes),
                    "nombre_total_eleves": str(pupils),
                    "nombre_eleves_preelementaire_hors_ulis": str(pre),
                    "nombre_eleves_elementaire_hors_ulis": str(elem),
                    "nombre_eleves_ulis": "0",
                    "nombre_eleves_ueea": "0",
                    **{
                        f"nombre_eleves_{c}_hors_ulis": str(v)
                        for c, v in zip(("cp", "ce1", "ce2", "cm1", "cm2"), per, strict=True)
                    },
                    "num_ligne": str(len(rows) + 1),
                }
            )
    url = EFF_URL.format(dataset=EFF_ECOLES).split("?")[0]
    written.append(_write(mirror_path(mirror, url), EFF_ECOLES_HEADER, rows))

    rows = []
    for r in COLLEGE_RENTREES:
        for s in schools:
            if s.kind != "college":
                continue
            total = s.pupils + (r - COLLEGE_RENTREES[0]) * 5
            quarter = [total // 4] * 3 + [total - 3 * (total // 4)]
            row = {
                "rentree_scolaire": str(r),
                "region_academique": reg_name.upper(),
                "academie": "SYNTHETIQUE",
                "departement": dep_name.upper(),
                "commune": communes[s.commune_code].upper(),
                "numero_college": s.uai,
                "denomination_principale": "COLLEGE" if s.sector == "public" else "COLLEGE PRIVE",
                "patronyme": s.name.split(" ", 1)[1].upper(),
                "secteur": "PU" if s.sector == "public" else "PR",
                "rep": "1" if s.ep == "REP" else "0",
                "rep_plus": "1" if s.ep == "REP+" else "0",
                "nombre_eleves_total": str(total),
                "nombre_eleves_total_hors_segpa_hors_ulis": str(total),
                "nombre_eleves_segpa": "",
                "nombre_eleves_ulis": "",
                "code_postal": f"99{s.commune_code[-3:]}",
            }
            for n, q in zip(_LEVELS_COLLEGE, quarter, strict=True):
                row[f"nombre_eleves_{n}_total"] = str(q)
                row[f"nombre_eleves_{n}_hors_segpa_hors_ulis"] = str(q)
                row[f"nombre_eleves_{n}_filles"] = str(q // 2)
                row[f"nombre_eleves_{n[0]}emes_garcons"] = str(q - q // 2)
                row[f"nombre_eleves_{n}_lv1_anglais"] = str(q)
            rows.append(row)
    url = EFF_URL.format(dataset=EFF_COLLEGES).split("?")[0]
    written.append(_write(mirror_path(mirror, url), EFF_COLLEGES_HEADER, rows))
    return written
