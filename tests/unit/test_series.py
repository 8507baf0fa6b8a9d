"""Series: explicit gaps, revisions, geography coverage, newer-period detection."""

from __future__ import annotations

import itertools
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from models.observation import conform_observations
from models.series import (
    PERIOD_KEY,
    build_series,
    detect_newer_period,
    geography_coverage,
    normalize_period,
    period_range,
    resolve_revisions,
    series_gaps,
)


def _obs(rows: list[tuple[str, str, str, float | None, str]]) -> pl.DataFrame:
    """rows: (territory_code, geo_version, period, value, source_vintage), quarterly defm_abc."""
    return conform_observations(
        pl.DataFrame(
            {
                "indicator_id": ["defm_abc"] * len(rows),
                "territory_kind": [g for _, g, *_ in rows],
                "territory_code": [r[0] for r in rows],
                "geo_version": [r[1] for r in rows],
                "period": [r[2] for r in rows],
                "period_type": ["quarter"] * len(rows),
                "value": [r[3] for r in rows],
                "status": ["published"] * len(rows),
                "source_vintage": [r[4] for r in rows],
            }
        )
    )


def test_missing_quarter_is_an_explicit_gap_not_a_zero() -> None:
    obs = _obs([("QP1", "qpv2015", "2022-Q2", 100.0, "a"), ("QP1", "qpv2015", "2022-Q4", 90.0, "a")])
    series = build_series(obs)
    gap = series.filter(pl.col("period") == "2022-Q3").row(0, named=True)
    assert gap["status"] == "missing" and gap["value"] is None
    assert series_gaps(series)["period"].to_list() == ["2022-Q3"]
    extended = build_series(obs, start="2022-Q1", end="2023-Q1")
    assert extended.filter(pl.col("status") == "missing")["period"].sort().to_list() == [
        "2022-Q1",
        "2022-Q3",
        "2023-Q1",
    ]


def test_two_geographies_never_joined() -> None:
    obs = _obs([("QP1", "qpv2015", "2023-Q3", 100.0, "a"), ("QP1", "qpv2024", "2024-Q2", 80.0, "a")])
    series = build_series(obs)
    # no gap is invented between the two geographies: two separate one-point series
    assert series.height == 2 and series_gaps(series).height == 0
    cov = geography_coverage(
        _obs([("QP1", "qpv2015", "2023-Q4", 1.0, "a"), ("QN1", "qpv2024", "2024-Q1", 1.0, "a")])
    )
    assert dict(zip(cov["period"], cov["coverage"], strict=True)) == {
        "2023-Q4": "qpv2015_only",
        "2024-Q1": "qpv2024_only",
    }


def test_republished_quarter_later_release_wins_and_is_logged() -> None:
    obs = _obs(
        [
            ("QP1", "qpv2015", "2023-Q4", 100.0, "2024-01-30"),
            ("QP1", "qpv2015", "2023-Q4", 104.0, "2024-04-28"),
            ("QP1", "qpv2015", "2023-Q3", 95.0, "2024-01-30"),
            ("QP1", "qpv2015", "2023-Q3", 95.0, "2024-04-28"),
        ]
    )
    resolved, log = resolve_revisions(obs)
    assert resolved.sort("period").select("period", "value").rows() == [("2023-Q3", 95.0), ("2023-Q4", 104.0)]
    assert log.select("period", "old_value", "new_value", "old_vintage", "new_vintage").rows() == [
        ("2023-Q4", 100.0, 104.0, "2024-01-30", "2024-04-28")
    ]
    with pytest.raises(ValueError, match="resolve_revisions"):
        build_series(obs)
    # explicit release order overrides lexical order
    _, log2 = resolve_revisions(obs, release_order=["2024-04-28", "2024-01-30"])
    assert log2["new_value"].to_list() == [100.0]


def test_periods() -> None:
    assert normalize_period("2024-T4") == ("2024-Q4", "quarter")
    assert normalize_period("2024-12") == ("2024-12-31", "date")
    assert normalize_period("2024-12-01", month_reference=True) == ("2024-12-31", "date")
    assert normalize_period("2024-01-01") == ("2024-01-01", "date")
    assert period_range("2023-Q3", "2024-Q2", "quarter") == ["2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
    assert period_range("2019-12-31", "2021-12-31", "date") == ["2019-12-31", "2020-12-31", "2021-12-31"]


def test_newer_period_from_catalogue() -> None:
    fake = {"total_count": 3, "results": [{"date": "2023-T4"}, {"date": "2025-T4"}, {"date": "2024-T4"}]}
    d = detect_newer_period("2024-Q4", catalogue=fake, period_field="date")
    assert d.newer and d.remote_latest == "2025-Q4"
    same = detect_newer_period("2025-T4", catalogue=fake, period_field="date")
    assert not same.newer
    caf = {"results": [{"dtreffre": "2024-12-01"}, {"dtreffre": "2023-12-01"}]}
    assert not detect_newer_period("2024-12-31", catalogue=caf).newer
    assert detect_newer_period("2023-12-31", catalogue=caf).remote_latest == "2024-12-31"
    assert detect_newer_period(None, catalogue=caf).newer


def test_newer_period_from_conditional_request() -> None:
    assert not detect_newer_period("2024-Q4", status_code=304).newer
    assert detect_newer_period("2024-Q4", headers={"ETag": '"b"'}, known_etag='"a"').newer
    assert not detect_newer_period("2024-Q4", headers={"ETag": '"a"'}, known_etag='"a"').newer
    later = detect_newer_period(
        "2024-Q4",
        headers={"Last-Modified": "Wed, 02 Apr 2025 08:00:00 GMT"},
        known_last_modified="Tue, 28 Jan 2025 08:00:00 GMT",
    )
    assert later.newer
    assert not detect_newer_period("2024-Q4").newer


# --- resolve_revisions against a naive reference ------------------------------------------------------
def _naive_resolve(obs: pl.DataFrame, release_order: list[str] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The obvious per-period algorithm, one period at a time in plain Python: order each period's rows
    by release (then by input position), log each successive pair whose value or status differ, keep
    the last row. Used as the reference for the vectorised resolve_revisions."""
    from models.series import REVISION_LOG_SCHEMA

    rows = conform_observations(obs).to_dicts()
    if release_order is not None:
        rank: dict[str | None, int] = {v: i for i, v in enumerate(release_order)}
    else:
        labels = sorted({r["source_vintage"] for r in rows if r["source_vintage"] is not None})
        rank = {v: i for i, v in enumerate(labels)}
    key_cols = ("indicator_id", "territory_kind", "territory_code", "geo_version", "period_type", "period")
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(tuple(r[c] for c in key_cols), []).append(i)

    def order(i: int) -> tuple[int, int]:
        v = rows[i]["source_vintage"]
        return (-1 if v is None else rank[v], i)

    def same_value(a: float | None, b: float | None) -> bool:
        # NULL and NaN both say "no figure": a figure that stays absent is not a revision
        a_absent, b_absent = a is None or math.isnan(a), b is None or math.isnan(b)
        return (a_absent and b_absent) or (not a_absent and not b_absent and a == b)

    keep: set[int] = set()
    log = []
    for members in groups.values():
        members = sorted(members, key=order)
        keep.add(members[-1])
        for prev_i, cur_i in itertools.pairwise(members):
            prev, cur = rows[prev_i], rows[cur_i]
            status_differs = (
                prev["status"] is not None and cur["status"] is not None and prev["status"] != cur["status"]
            )
            if not same_value(prev["value"], cur["value"]) or status_differs:
                log.append(
                    (
                        tuple(cur[c] for c in key_cols),
                        order(cur_i),
                        {
                            **{c: cur[c] for c in key_cols},
                            "old_value": prev["value"],
                            "new_value": cur["value"],
                            "old_status": prev["status"],
                            "new_status": cur["status"],
                            "old_vintage": prev["source_vintage"],
                            "new_vintage": cur["source_vintage"],
                        },
                    )
                )
    latest = conform_observations(obs)[sorted(keep)]
    ordered = [entry for *_, entry in sorted(log, key=lambda e: ([(x is not None, x) for x in e[0]], e[1]))]
    return latest, pl.DataFrame(ordered, schema=REVISION_LOG_SCHEMA)


_small = st.sampled_from
_row = st.tuples(
    _small(["defm_abc", "caf_alloc"]),
    _small(["qpv2015", "qpv2024", None]),
    _small(["QP1", "QP2", None]),
    _small(["2023-Q3", "2023-Q4", None]),
    st.one_of(st.none(), st.just(float("nan")), _small([1.0, 2.0, 3.0])),
    _small(["published", "suppressed", None]),
    _small(["2024-01-30", "2024-04-28", "2024-07-30", None]),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_row, max_size=40), explicit_order=st.booleans())
def test_resolve_revisions_matches_naive_reference(
    rows: list[tuple[str, str | None, str | None, str | None, float | None, str | None, str | None]],
    explicit_order: bool,
) -> None:
    obs = conform_observations(
        pl.DataFrame(
            {
                "indicator_id": [r[0] for r in rows],
                "territory_kind": [r[1] for r in rows],
                "territory_code": [r[2] for r in rows],
                "geo_version": [r[1] for r in rows],
                "period": [r[3] for r in rows],
                "period_type": ["quarter"] * len(rows),
                "value": [r[4] for r in rows],
                "status": [r[5] for r in rows],
                "source_vintage": [r[6] for r in rows],
            },
            schema_overrides={"value": pl.Float64},
        )
    )
    release_order = None
    if explicit_order:
        if any(r[6] is None for r in rows):
            obs = obs.with_columns(pl.col("source_vintage").fill_null("2024-01-30"))
        release_order = ["2024-07-30", "2024-01-30", "2024-04-28"]  # not lexical on purpose
    latest, log = resolve_revisions(obs, release_order=release_order)
    want_latest, want_log = _naive_resolve(obs, release_order)
    assert_frame_equal(latest, want_latest)
    assert_frame_equal(log, want_log)
    # one row per period, and every logged pair really differs
    assert latest.select(list(PERIOD_KEY)).is_duplicated().sum() == 0
