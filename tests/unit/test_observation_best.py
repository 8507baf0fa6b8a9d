"""`observation.best` makes the same choice as the ranking window the warehouse used to run at build time
(and that the fiche still runs on old warehouses): one figure per indicator, territory, period (and
geography for the all-QPV aggregate), published/estimated first, then as published, latest release."""

from __future__ import annotations

import random

import duckdb
import polars as pl

from models.observation_best import with_best
from pipelines.assets.observations import KEY  # the table's key

# The window of the former `observation_best` table (warehouse/views_insee.sql before it became a view
# on this flag), kept here as the specification.
WINDOW_SQL = """
SELECT indicator_id, territory_kind, territory_code, geo_version, period, method, source_dataset,
       source_vintage, row_number() OVER (
        PARTITION BY indicator_id, territory_kind, territory_code, period,
                     CASE WHEN territory_kind = 'ensemble_qpv' THEN geo_version END
        ORDER BY CASE status WHEN 'published' THEN 0 WHEN 'estimated' THEN 0 WHEN 'suppressed' THEN 1
                             WHEN 'not_applicable' THEN 2 ELSE 3 END,
                 CASE method WHEN 'published' THEN 0 WHEN 'grid_estimate' THEN 1 WHEN 'recomputed' THEN 2
                             ELSE 3 END,
                 source_vintage DESC, source_dataset, geo_version DESC
    ) = 1 AS best
FROM frame
"""


def _frame(seed: int, n: int) -> pl.DataFrame:
    rnd = random.Random(seed)
    rows: dict[tuple[object, ...], dict[str, object]] = {}
    while len(rows) < n:
        row: dict[str, object] = {
            "indicator_id": rnd.choice(["pop", "taux_pauvrete_60", "men"]),
            "territory_kind": rnd.choice(["qpv2024", "commune", "ensemble_qpv"]),
            "territory_code": rnd.choice(["QN09901I", "99001", "ensemble"]),
            "geo_version": rnd.choice(["qpv2024", "qpv2015", "cog2024"]),
            "period": rnd.choice(["2019", "2020"]),
            "status": rnd.choice(["published", "estimated", "suppressed", "not_applicable", "missing"]),
            "method": rnd.choice(["published", "grid_estimate", "recomputed", "summed"]),
            "source_dataset": rnd.choice(["insee_qpv", "filosofi_grid", "insee_rp"]),
            "source_vintage": rnd.choice(["2019", "2021", "2023", None]),
            "value": rnd.random(),
        }
        rows[tuple(row[k] for k in KEY)] = row  # the table's key is unique
    return pl.DataFrame(list(rows.values()))


def test_same_choice_as_the_window_on_random_frames() -> None:
    for seed in range(20):
        frame = _frame(seed, 300)
        ours = with_best(frame)
        con = duckdb.connect()
        con.register("frame", frame)
        expected = con.execute(WINDOW_SQL).pl()
        joined = ours.join(expected, on=KEY, how="inner", nulls_equal=True, suffix="_window")
        assert joined.height == frame.height
        assert joined.filter(pl.col("best") != pl.col("best_window")).height == 0, seed


def test_one_best_per_group_and_rows_kept_in_place() -> None:
    frame = _frame(7, 400)
    ours = with_best(frame)
    assert ours.drop("best").equals(frame)
    groups = ours.with_columns(
        pl.when(pl.col("territory_kind") == "ensemble_qpv")
        .then(pl.col("geo_version"))
        .otherwise(pl.lit(""))
        .alias("g")
    ).group_by("territory_kind", "territory_code", "indicator_id", "period", "g")
    assert groups.agg(pl.col("best").sum())["best"].to_list() == [1] * groups.len().height


def test_suppressed_figure_beats_a_derived_estimate_only_when_nothing_is_published() -> None:
    base = {
        "indicator_id": "pop",
        "territory_kind": "qpv2024",
        "territory_code": "QN09901I",
        "geo_version": "qpv2024",
        "period": "2020",
        "source_vintage": "2023",
    }
    frame = pl.DataFrame(
        [
            {
                **base,
                "status": "suppressed",
                "method": "published",
                "source_dataset": "insee_qpv",
                "value": None,
            },
            {
                **base,
                "status": "estimated",
                "method": "grid_estimate",
                "source_dataset": "filosofi_grid",
                "value": 1.0,
            },
        ]
    )
    best = with_best(frame).filter("best")
    assert best["source_dataset"].to_list() == ["filosofi_grid"]  # an estimate rather than a hidden value
    older = frame.with_columns(
        pl.when(pl.col("source_dataset") == "filosofi_grid")
        .then(pl.lit("missing"))
        .otherwise("status")
        .alias("status")
    )
    assert with_best(older).filter("best")["source_dataset"].to_list() == ["insee_qpv"]
