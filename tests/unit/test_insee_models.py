"""INSEE observations, catalog, aggregation (with a property test), checks and the synthetic files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.insee import (
    InseeObservationModel,
    StagedInseeModel,
    numerator_exceeds_denominator,
    qpv_population_exceeds_communes,
    vintages_mixing_geographies,
)
from checks.observation import shares_out_of_range
from models.aggregate import aggregate_observations
from models.indicators import indicator_catalog
from models.insee_indicators import INDICATORS_BY_ID, VARIABLE_MAP
from models.insee_observations import insee_observations
from models.observation import conform_observations
from sources.insee_common import identify, scan
from synthetic.insee import write_insee
from synthetic.territory import build_territory

SHA = "0" * 64


def test_catalog_covers_every_mapped_indicator() -> None:
    cat = indicator_catalog()
    assert set(cat["aggregation"].unique()) <= {"sum", "ratio", "not_aggregable"}
    assert {i for _, _, i in VARIABLE_MAP} <= set(cat["indicator_id"])
    assert cat.filter(pl.col("indicator_id") == "filo_disp_mediane")["aggregation"].item() == "not_aggregable"
    assert cat.filter(pl.col("indicator_id") == "population")["summable"].item()


def test_observations_carry_the_block_period(fixtures_dir: Path) -> None:
    staged = identify(fixtures_dir / "insee_qpv" / "REVN_2022.csv").parse()
    StagedInseeModel.validate(staged)
    obs = insee_observations(staged, SHA)
    InseeObservationModel.validate(obs)
    med = obs.filter(
        (pl.col("indicator_id") == "filo_disp_mediane") & (pl.col("territory_code") == "QP061001")
    )
    assert med["period"].item() == "2018" and med["source_vintage"].item() == "2022"
    caf = obs.filter(
        (pl.col("indicator_id") == "caf_allocataires") & (pl.col("territory_code") == "QP061001")
    )
    assert caf["period_type"].item() == "date" and caf["value"].item() == 481.0
    c = obs.filter(
        (pl.col("indicator_id") == "cnam_beneficiaires") & (pl.col("territory_code") == "QP062036")
    )
    assert c["status"].item() == "suppressed" and c["value"].item() is None
    assert obs["source_sha256"].unique().to_list() == [SHA]


def test_comparateur_rates_recomputed(fixtures_dir: Path) -> None:
    staged = identify(fixtures_dir / "insee_comparateur" / "base_cc_comparateur.CSV").parse()
    obs = insee_observations(staged, SHA)
    rate = obs.filter(
        (pl.col("indicator_id") == "taux_chomage_15_64") & (pl.col("territory_code") == "61006")
    )
    row = rate.row(0, named=True)
    assert row["method"] == "recomputed" and row["period"] == "2022"
    assert row["value"] == pytest.approx(946.477847038832 / 5181.09067504413 * 100)
    assert numerator_exceeds_denominator(obs).is_empty()
    assert shares_out_of_range(obs, indicator_catalog()).is_empty()


def _obs(rows: list[dict[str, object]]) -> pl.DataFrame:
    base = {
        "period": "2020",
        "period_type": "year",
        "method": "published",
        "source_dataset": "t",
        "source_vintage": "2022",
    }
    return conform_observations(pl.DataFrame([{**base, **r} for r in rows]))


def _row(indicator: str, kind: str, code: str, geo: str, value: float, **extra: object) -> dict[str, object]:
    return {
        "indicator_id": indicator,
        "territory_kind": kind,
        "territory_code": code,
        "geo_version": geo,
        "value": value,
        "status": "published",
        **extra,
    }


def test_checks_flag_bad_rows() -> None:
    cat = indicator_catalog()
    obs = _obs(
        [
            _row("taux_pauvrete_60", "qpv2015", "QP1", "qpv2015", 120.0),
            _row("part_impots", "qpv2015", "QP1", "qpv2015", -9.0),
            _row("taux_chomage_15_64", "commune", "1", "qpv2024", 10.0, numerator=5.0, denominator=4.0),
        ]
    )
    assert shares_out_of_range(obs, cat)["value"].to_list() == [120.0]
    assert numerator_exceeds_denominator(obs).height == 1
    mixed = _obs(
        [
            _row("population", "qpv2015", "QP1", "qpv2015", 1.0),
            _row("population", "qpv2024", "QN1", "qpv2024", 1.0),
        ]
    )
    assert vintages_mixing_geographies(mixed).height == 1
    q = _obs([_row("population", "qpv2015", "QP1", "qpv2015", 900.0)])
    c = _obs([_row("population", "commune", "C1", "cog", 800.0)])
    links = pl.DataFrame({"qpv_code": ["QP1"], "commune_code": ["C1"]})
    assert qpv_population_exceeds_communes(q, c, links)["qpv_code"].to_list() == ["QP1"]


_child = st.tuples(
    st.integers(min_value=1, max_value=50_000),  # population
    st.integers(min_value=1, max_value=10_000),  # active
    st.floats(min_value=0.0, max_value=1.0),  # unemployed share of active
    st.floats(min_value=5_000, max_value=40_000),  # median
    st.booleans(),  # population suppressed
)


@settings(max_examples=40, deadline=None)
@given(children=st.lists(_child, min_size=1, max_size=6))
def test_aggregation_properties(children: list[tuple[int, int, float, float, bool]]) -> None:
    rows: list[dict[str, object]] = []
    for k, (pop, act, share, med, secret) in enumerate(children):
        code = f"C{k}"
        common = {"territory_kind": "commune", "territory_code": code, "geo_version": "cog2024"}
        chom = round(act * share)
        rows.append(
            {
                **common,
                "indicator_id": "population",
                "value": None if secret else float(pop),
                "status": "suppressed" if secret else "published",
            }
        )
        rows.append(
            {
                **common,
                "indicator_id": "taux_chomage_15_64",
                "value": 100 * chom / act,
                "numerator": float(chom),
                "denominator": float(act),
                "status": "published",
                "method": "recomputed",
            }
        )
        rows.append({**common, "indicator_id": "filo_disp_mediane", "value": med, "status": "published"})
    obs = _obs(rows)
    links = pl.DataFrame(
        {
            "child_kind": "commune",
            "child_code": [f"C{k}" for k in range(len(children))],
            "parent_kind": "epci",
            "parent_code": "E1",
        }
    )
    out = aggregate_observations(obs, links, indicator_catalog(), parent_geo_version="cog2024")
    InseeObservationModel.validate(out)
    by = {r["indicator_id"]: r for r in out.iter_rows(named=True)}
    if any(c[4] for c in children):
        # our sum, prevented by the producer's secret on some parts: never « secret statistique » itself
        pop = by["population"]
        assert pop["status"] == "not_computable" and pop["value"] is None
        assert (pop["parts_hidden"], pop["parts_total"]) == (sum(1 for c in children if c[4]), len(children))
    else:
        assert by["population"]["value"] == sum(c[0] for c in children)  # counts conserved
    rate = by["taux_chomage_15_64"]
    assert 0.0 <= rate["value"] / 100 <= 1.0  # shares stay in [0, 1]
    assert rate["numerator"] == sum(round(c[1] * c[2]) for c in children)
    assert by["filo_disp_mediane"]["status"] == "not_applicable" and by["filo_disp_mediane"]["value"] is None
    assert INDICATORS_BY_ID["filo_disp_mediane"].aggregation == "not_aggregable"


def test_published_parent_value_wins() -> None:
    child = _obs(
        [
            {
                "indicator_id": "filo_disp_mediane",
                "territory_kind": "commune",
                "territory_code": "C1",
                "geo_version": "g",
                "value": 1.0,
                "status": "published",
            }
        ]
    )
    parent = _obs(
        [
            {
                "indicator_id": "filo_disp_mediane",
                "territory_kind": "epci",
                "territory_code": "E1",
                "geo_version": "g",
                "value": 2.0,
                "status": "published",
            }
        ]
    )
    links = pl.DataFrame(
        {"child_kind": ["commune"], "child_code": ["C1"], "parent_kind": ["epci"], "parent_code": ["E1"]}
    )
    out = aggregate_observations(child, links, indicator_catalog(), parent_geo_version="g", published=parent)
    assert out.is_empty()


def test_synthetic_files_parse_and_are_consistent(tmp_path: Path) -> None:
    territory = build_territory(2024)
    paths = write_insee(tmp_path, territory, 1)
    assert [p.read_bytes() for p in paths] == [
        p.read_bytes() for p in write_insee(tmp_path / "again", territory, 1)
    ]
    found, bad = scan(tmp_path / "www.insee.fr")
    assert not [b for b in bad], bad
    staged = {
        (lay.spec.id, lay.geo_version, (lay.member or "")[-9:]): lay.parse()
        for lay in found
        if lay.spec.family != "meta"
    }
    filo15 = staged[("qpv_filosofi", "qpv2015", "21_QP.csv")]
    assert set(filo15["marker"].drop_nulls()) >= {"s", "DISP_NOTE_A21=2"}
    assert set(staged[("qpv_filosofi", "qpv2024", "21_QP.csv")]["codgeo"]) == {
        q.code for q in territory.qpv2024
    }
    demo = staged[("qpv2015_demo", "qpv2015", "")]
    assert (demo.filter(pl.col("variable") == "A")["marker"] == "NOTE_CNAF=5").sum() == 1
    comp = staged[("comparateur", "cog2024", "ateur.CSV")]
    assert set(comp["marker"].drop_nulls()) >= {"s", "nd"}
    q_obs = insee_observations(demo, SHA)
    c_obs = insee_observations(comp, SHA).with_columns(pl.lit("2018").alias("period"))
    links = pl.DataFrame(
        [{"qpv_code": q.code, "commune_code": c} for q in territory.qpv2015 for c in q.commune_codes]
    )
    assert qpv_population_exceeds_communes(q_obs, c_obs, links).is_empty()
