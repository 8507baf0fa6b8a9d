"""The education parsers on ALL the real files in ../shared/data (facts from the files and PROVENANCE)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from pyproj import Transformer

from checks.education import (
    DirectoryStaged,
    EffectifsStaged,
    EpStaged,
    IpsStaged,
    IvaStaged,
    School,
    SchoolQpv,
)
from models.school_conformance import conform_schools
from models.schools import build_school
from sources.education_annuaire import parse_directory
from sources.education_effectifs import parse_effectifs
from sources.education_ep import parse_ep
from sources.education_ips import parse_ips
from sources.education_iva import parse_iva

pytestmark = pytest.mark.real


def _counts(df: pl.DataFrame) -> dict[int, int]:
    return dict(df.group_by("rentree").len().sort("rentree").iter_rows())


def test_ips_ecoles_ap2022_national_parquet(shared_data: Path) -> None:
    df = parse_ips(shared_data / "education" / "fr-en-ips-ecoles-ap2022_national.parquet")
    IpsStaged.validate(df)
    # PROVENANCE-tabular.md: 2022-2023 31,976 · 2023-2024 32,610 · 2024-2025 32,494; `NS` on 6,926 rows.
    assert _counts(df) == {2022: 31_976, 2023: 32_610, 2024: 32_494}
    assert (df["ips_status"] == "suppressed").sum() == 6_926
    assert df["ips_academique_prive"].null_count() == 374


def test_ips_ecoles_ap2022_extract_matches_national(shared_data: Path) -> None:
    ext = parse_ips(shared_data / "education" / "fr-en-ips-ecoles-ap2022_dep61_62.csv")
    # PROVENANCE: 3,007 rows; 61 → 166/169/167, 62 → 809/851/845.
    assert _counts(ext) == {2022: 975, 2023: 1_020, 2024: 1_012}
    # fr-en-ips-ecoles-ap2022_dep61_62.csv, first row: 0610102E, 2022-2023, ips 101.4, ips_national 105.4.
    r = ext.filter((pl.col("uai") == "0610102E") & (pl.col("rentree") == 2022)).row(0, named=True)
    assert (r["ips"], r["ips_national"], r["commune_code"]) == (101.4, 105.4, "61028")
    nat = parse_ips(shared_data / "education" / "fr-en-ips-ecoles-ap2022_national.parquet")
    both = ext.join(nat, on=["uai", "rentree"], suffix="_nat")
    assert both.height == ext.height and (both["ips"].fill_null(-1) == both["ips_nat"].fill_null(-1)).all()


def test_ips_legacy_ecoles(shared_data: Path) -> None:
    df = parse_ips(shared_data / "education" / "fr-en-ips_ecoles_2021-2022_national.csv")
    assert _counts(df) == {2021: 32_091} and set(df["ips_series"]) == {"legacy"}
    assert dict(df.group_by("sector").len().iter_rows()) == {"public": 27_549, "prive": 4_542}
    ext = parse_ips(shared_data / "education" / "fr-en-ips_ecoles_2021-2022_dep61_62.csv")
    assert ext.height == 975  # 165 in 061 + 810 in 062
    # First data row of the extract: 0610407L, IPS 88.2.
    assert ext.filter(pl.col("uai") == "0610407L")["ips"].to_list() == [88.2]


def test_ips_colleges_and_lycees(shared_data: Path) -> None:
    col = parse_ips(shared_data / "education" / "fr-en-ips-colleges-ap2022_2022-2023_national.csv")
    assert _counts(col) == {2022: 6_973}
    # Row 2 of the file: 0010005A, Effectifs 540.0, IPS 110.4, Ecart-type 31.3.
    r = col.filter(pl.col("uai") == "0010005A").row(0, named=True)
    assert (r["pupils"], r["ips"], r["ips_ecart_type"]) == (540, 110.4, 31.3)
    lyc = parse_ips(shared_data / "education" / "fr-en-ips-lycees-ap2022_national.parquet")
    assert _counts(lyc) == {2022: 3_598}
    assert dict(lyc.group_by("lycee_type").len().iter_rows()) == {"LEGT": 1_523, "LPO": 941, "LP": 1_134}
    assert lyc["ips"].null_count() == 0 and lyc["ips_voie_gt"].null_count() == 1_134


def test_api_json_pays_de_la_loire(shared_data: Path) -> None:
    api = shared_data / "education_pays_de_la_loire_api"
    col = parse_ips(api / "ips_colleges_pays_loire.json")
    assert _counts(col) == {2023: 518, 2024: 499} and set(col["ips_series"]) == {"ap2023"}
    # First record: 0720902P, 2024-2025, ips "78.7", ecart_type "23.9".
    r = col.filter((pl.col("uai") == "0720902P") & (pl.col("rentree") == 2024)).row(0, named=True)
    assert (r["ips"], r["ips_ecart_type"]) == (78.7, 23.9)
    lyc = parse_ips(api / "ips_lycees_pays_loire.json")
    assert lyc.height == 507
    eff = parse_effectifs(api / "effectifs_ecoles_pays_loire.json")
    EffectifsStaged.validate(eff)
    assert eff.height == 2_064 and eff.filter(pl.col("rentree") == 2024).height == 1_211


def test_directories(shared_data: Path) -> None:
    d = shared_data / "education"
    geo = parse_directory(d / "fr-en-adresse-et-geolocalisation-etablissements_colleges_national.csv")
    DirectoryStaged.validate(geo)
    assert geo.height == 7_654 and (geo["coord_status"] == "missing").sum() == 147  # 147 rows without lat/lon
    a94 = parse_directory(d / "fr-en-annuaire-education_sample_dep094_ecoles.csv")
    assert a94.height == 613
    # PROVENANCE: Appartenance_Education_Prioritaire empty 406, REP 185, REP+ 22.
    assert dict(a94.group_by("ep_membership").len().iter_rows()) == {"hors EP": 406, "REP": 185, "REP+": 22}
    so = parse_directory(d / "fr-en-annuaire-education_ecoles_saint-omer_arques_longuenesse_aire.csv")
    assert so.height == 30 and so["uai"].n_unique() == 30
    # PROVENANCE: lat/lon projected to Lambert-93 equal coordx_origine/coordy_origine to the centimetre.
    raw = pl.read_csv(
        d / "fr-en-annuaire-education_ecoles_saint-omer_arques_longuenesse_aire.csv",
        separator=";",
        infer_schema=False,
    )
    both = so.join(
        raw.select(
            pl.col("identifiant_de_l_etablissement").alias("uai"),
            pl.col("coordx_origine").cast(pl.Float64),
            pl.col("coordy_origine").cast(pl.Float64),
        ),
        on="uai",
    )
    assert ((both["x_l93"] - both["coordx_origine"]).abs().max() or 0) < 0.05


def test_rep_list_and_iva(shared_data: Path) -> None:
    d = shared_data / "education"
    ep = parse_ep(d / "liste-des-rep-et-rep-rentree-2022_dep061_062.csv")
    EpStaged.validate(ep)
    assert ep.height == 306 and dict(ep.group_by("ep_status").len().iter_rows()) == {"REP": 220, "REP+": 86}
    # PROVENANCE: 0622907Y La Morinie REP+, head of its network: 0621700L, 0622763S, 0623062S, 0623403M.
    net = ep.filter(pl.col("uai_tete_de_reseau") == "0622907Y")
    assert {"0622907Y", "0621700L", "0622763S", "0623062S", "0623403M"} <= set(net["uai"])
    assert ep.filter(pl.col("uai") == "0621742G")["ep_status"].to_list() == ["REP"]
    iva = parse_iva(d / "fr-en-indicateurs-valeur-ajoutee-colleges_sessions2022-2023_national.csv")
    IvaStaged.validate(iva)
    assert dict(iva.group_by("session").len().sort("session").iter_rows()) == {2022: 6_622, 2023: 6_612}
    assert dict(iva.group_by("sector").len().iter_rows()) == {"public": 10_348, "prive": 2_886}


def _real_qpvs(shared_data: Path) -> pl.DataFrame:
    fc = json.loads((shared_data / "qpv2024" / "qp2024_seed_argentan_saintomer_wgs84.geojson").read_text())
    tr = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    geoms = []
    for f in fc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        geoms.append(shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))))
    return pl.DataFrame(
        {
            "territory_kind": "qpv2024",
            "territory_code": [f["properties"]["code_qp"] for f in fc["features"]],
            "geo_version": "qpv2024",
            "geom_wkb": [shapely.to_wkb(g) for g in geoms],
        }
    )


def test_conformance_of_real_schools_to_real_qpv_polygons(shared_data: Path) -> None:
    d = shared_data / "education"
    ips = parse_ips(d / "fr-en-ips-ecoles-ap2022_dep61_62.csv")
    annuaire = parse_directory(d / "fr-en-annuaire-education_ecoles_saint-omer_arques_longuenesse_aire.csv")
    ep = parse_ep(d / "liste-des-rep-et-rep-rentree-2022_dep061_062.csv")
    school = build_school([ips], [annuaire], [ep])
    School.validate(school)
    perims = _real_qpvs(shared_data)
    rel = conform_schools(school, perims, near_m=300.0)
    SchoolQpv.validate(rel)
    # Independent truth with shapely on the same points and polygons.
    pts = annuaire.filter(pl.col("x_l93").is_not_null())
    truth = set()
    for code, wkb in perims.select("territory_code", "geom_wkb").iter_rows():
        g = shapely.from_wkb(wkb)
        for uai, x, y in pts.select("uai", "x_l93", "y_l93").iter_rows():
            p = shapely.Point(x, y)
            if g.intersects(p):
                truth.add((uai, code, "inside"))
            elif g.distance(p) <= 300.0:
                truth.add((uai, code, "near"))
    got = {(u, c, r) for u, c, r in rel.select("uai", "territory_code", "relation").iter_rows()}
    assert got == truth and any(r == "inside" for *_, r in got)
    # The REP+ schools of the Saint-Omer network are the ones placed around the Saint-Omer QPVs.
    placed = set(rel["uai"])
    statuses = school.filter(pl.col("uai").is_in(placed) & (pl.col("rentree") == 2022))["ep_status"].to_list()
    assert "REP+" in statuses


def test_national_collèges_conformance_time(shared_data: Path) -> None:
    geo = parse_directory(
        shared_data / "education" / "fr-en-adresse-et-geolocalisation-etablissements_colleges_national.csv"
    )
    ips = parse_ips(shared_data / "education" / "fr-en-ips-colleges-ap2022_2022-2023_national.csv")
    school = build_school([ips], [geo])
    perims = _real_qpvs(shared_data)
    t0 = time.perf_counter()
    rel = conform_schools(school, perims)
    elapsed = time.perf_counter() - t0
    n = school["x_l93"].is_not_null().sum()
    print(f"conformed {n} collège rows to {perims.height} polygons in {elapsed:.2f}s")
    assert elapsed < 20 and rel.height >= 1
