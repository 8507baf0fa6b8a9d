"""models.schools: build_school, conform_schools (true distance to the polygon), indicators, synthetic."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import shapely

from checks.education import School, SchoolQpv, schools_with_coordinate_issues
from models.education_indicators import education_indicator_catalog, education_observations
from models.observation import INDICATOR_SCHEMA, OBSERVATION_SCHEMA
from models.school_conformance import conform_schools
from models.schools import SCHOOL_SCHEMA, build_school, unplaced_schools
from sources.education_annuaire import parse_annuaire
from sources.education_effectifs import parse_effectifs
from sources.education_ips import parse_ips
from synthetic.education import expected_school_relations, expected_unplaced, write_education
from synthetic.territory import build_territory

X0, Y0 = 650_000.0, 6_650_000.0


def _school(
    uai: str, x: float | None, y: float | None, status: str = "ok", **kw: object
) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(SCHOOL_SCHEMA)
    row.update(uai=uai, rentree=2022, rentree_label="2022-2023", x_l93=x, y_l93=y, coord_status=status)
    row.update(kw)
    return row


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHOOL_SCHEMA)


def _perims(*geoms: shapely.Geometry) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "territory_kind": ["qpv2024"] * len(geoms),
            "territory_code": [f"QN0990{k}X" for k in range(len(geoms))],
            "geo_version": ["qpv2024"] * len(geoms),
            "geom_wkb": [shapely.to_wkb(g) for g in geoms],
        }
    )


def test_inside_near_and_true_distance_not_centroid() -> None:
    # A long thin rectangle, 4 km × 100 m: a point 250 m beyond its east end is 'near' although it is
    # 2.25 km from the centroid; points 349/351 m above the centre line are 299/301 m from the edge.
    rect = shapely.box(X0 - 2000, Y0 - 50, X0 + 2000, Y0 + 50)
    rows = [
        _school("0990101X", X0 + 1500, Y0, level="ecole"),  # inside
        _school("0990102Y", X0 + 2250, Y0, level="ecole"),  # 250 m east of the end
        _school("0990103Z", X0, Y0 + 349.0, level="ecole"),  # 299 m from the long edge
        _school("0990104A", X0, Y0 + 351.0, level="ecole"),  # 301 m: not near
        _school("0990105B", X0 - 2000, Y0 + 50, level="ecole"),  # on the corner: inside (boundary)
        _school("0990106C", None, None, status="missing", level="ecole"),
        _school("0990107D", 48.8, 2.3, status="swapped", level="ecole"),
    ]
    out = conform_schools(_frame(rows), _perims(rect), near_m=300.0)
    SchoolQpv.validate(out)
    got = {r["uai"]: (r["relation"], round(r["distance_m"], 3)) for r in out.iter_rows(named=True)}
    assert got == {
        "0990101X": ("inside", 0.0),
        "0990102Y": ("near", 250.0),
        "0990103Z": ("near", 299.0),
        "0990105B": ("inside", 0.0),
    }
    unplaced = unplaced_schools(_frame(rows))
    assert unplaced["uai"].to_list() == ["0990106C", "0990107D"]
    assert unplaced["reason"].to_list() == ["missing", "swapped"]


def test_imprecise_points_are_placed_and_flagged() -> None:
    rows = [_school("0990101X", X0, Y0, status="imprecise", level="ecole")]
    out = conform_schools(_frame(rows), _perims(shapely.Point(X0, Y0).buffer(100)))
    assert out["coord_status"].to_list() == ["imprecise"]
    issues = schools_with_coordinate_issues(_frame(rows))
    assert issues["placed"].to_list() == [True]


def test_build_school_ep_priority_and_ips_conflict(fixtures_dir: Path) -> None:
    ips = parse_ips(fixtures_dir / "education_ips" / "fr-en-ips-ecoles-ap2022_technical.csv")
    eff = parse_effectifs(fixtures_dir / "education_effectifs" / "fr-en-college-effectifs-niveau-sexe-lv.csv")
    school = build_school([ips], None, None, [eff])
    School.validate(school)
    morinie = school.filter(pl.col("uai") == "0622907Y").row(0, named=True)
    assert (morinie["ep_status"], morinie["ep_source"], morinie["pupils"]) == ("REP+", "effectifs", 327)
    private = school.filter((pl.col("uai") == "0610124D") & (pl.col("rentree") == 2023)).row(0, named=True)
    assert private["ep_status"] == "prive"
    with pytest.raises(ValueError, match="several frames"):
        build_school([ips, ips])


def test_indicators_weighted_ips_and_rep_share() -> None:
    sq = shapely.Point(X0, Y0).buffer(500)
    common = {"level": "ecole", "ips_series": "ap2022", "ips_status": "published", "ips_dataset": "d"}
    rows = [
        _school("0990101X", X0, Y0, sector="public", ep_status="REP+", ips=70.0, pupils=100, **common),
        _school(
            "0990102Y", X0 + 100, Y0, sector="public", ep_status="hors EP", ips=100.0, pupils=300, **common
        ),
        _school("0990103Z", X0 + 200, Y0, sector="prive", ep_status="prive", ips=120.0, pupils=100, **common),
        # 60 m outside: within INSEE's 100 m for an école
        _school("0990104A", X0 + 560, Y0, sector="public", ep_status="REP", ips=80.0, pupils=100, **common),
        # 200 m outside: beyond the écoles' 100 m, within the collèges' 300 m
        _school("0990105B", X0 + 700, Y0, sector="public", ep_status="REP", ips=90.0, pupils=50, **common),
        _school(
            "0990106C", X0 - 700, Y0, sector="public", ep_status="REP", ips=95.0, pupils=400,
            **{**common, "level": "college"},
        ),
    ]
    school = _frame(rows)
    rel = conform_schools(school, _perims(sq), near_m=1000.0)
    obs = education_observations(school, rel, sha256="abc", source_vintage="test", commune_geo_version=None)
    assert obs.schema == pl.Schema(OBSERVATION_SCHEMA)
    v = {r["indicator_id"]: r for r in obs.iter_rows(named=True)}
    assert v["educ_ecole_nb_etab"]["value"] == 3 and v["educ_ecole_nb_eleves"]["value"] == 500
    assert v["educ_ecole_ips_moyen_public"]["value"] == pytest.approx((70 * 100 + 100 * 300) / 400)
    assert v["educ_ecole_part_eleves_ep"]["value"] == pytest.approx(20.0)  # 100 of 500 pupils in REP/REP+
    # INSEE's proximity convention, whatever school_qpv keeps (1 km): écoles 100 m, collèges 300 m
    assert v["educ_ecole_nb_etab_100m"]["value"] == 4
    assert v["educ_ecole_ips_moyen_public_100m"]["value"] == pytest.approx((7000 + 30000 + 8000) / 500)
    assert v["educ_college_nb_etab_300m"]["value"] == 1 and "educ_college_nb_etab" not in v
    assert "educ_ecole_nb_etab_300m" not in v
    assert {r["period"] for r in obs.iter_rows(named=True)} == {"2022-2023"}
    assert set(obs["period_type"]) == {"school_year"}
    catalog = education_indicator_catalog()
    assert catalog.schema == pl.Schema(INDICATOR_SCHEMA)
    assert set(obs["indicator_id"]) <= set(catalog["indicator_id"])


def test_indicators_refuse_mixed_ips_series() -> None:
    rows = [
        _school("0990101X", X0, Y0, level="college", sector="public", ips=90.0, pupils=9, ips_series="ap2022",
                ips_status="published"),
        _school("0990102Y", X0, Y0, level="college", sector="public", ips=90.0, pupils=9, ips_series="ap2023",
                ips_status="published"),
    ]  # fmt: skip
    school = _frame(rows)
    rel = conform_schools(school, _perims(shapely.Point(X0, Y0).buffer(50)))
    with pytest.raises(ValueError, match="series mixed"):
        education_observations(school, rel, sha256="x", source_vintage="t")


def test_synthetic_mirror_round_trip(tmp_path: Path) -> None:
    territory = build_territory(2024)
    paths = write_education(tmp_path, territory, seed=3)
    assert paths == sorted(set(paths), key=paths.index) and all(p.is_file() for p in paths)
    assert all("data.education.gouv.fr/api/explore/v2.1/catalog/datasets/" in str(p) for p in paths)
    annuaire = parse_annuaire(paths[0])
    ips = [parse_ips(paths[1]), parse_ips(paths[2])]
    eff = [parse_effectifs(paths[3]), parse_effectifs(paths[4])]
    school = build_school(ips, [annuaire], None, eff)
    School.validate(school)
    perims = pl.DataFrame(
        {
            "territory_kind": [q.geography for q in territory.qpvs],
            "territory_code": [q.code for q in territory.qpvs],
            "geo_version": [q.geography for q in territory.qpvs],
            "geom_wkb": [shapely.to_wkb(q.geometry_l93) for q in territory.qpvs],
        }
    )
    rel = conform_schools(school, perims)
    truth = expected_school_relations(territory, seed=3)
    got = rel.select("uai", "territory_code", "geo_version", "relation").sort(
        "geo_version", "territory_code", "uai"
    )
    assert got.equals(truth)
    assert set(truth["relation"]) == {"inside", "near"}
    assert unplaced_schools(school)["uai"].to_list() == expected_unplaced(territory, seed=3)
    assert 18 <= annuaire.height <= 22
