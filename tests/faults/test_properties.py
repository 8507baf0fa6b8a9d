"""Property-based tests (hypothesis, derandomized, bounded): parsers never crash on arbitrary bytes;
crosswalk shares lie in [0, 1] and sum to 1 per QPV; aggregation conserves counts and never
produces a median by averaging."""

from __future__ import annotations

import polars as pl
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources._errors import QuartiersError
from tests.conftest import FIXTURES
from tests.faults.test_bad_files import CASES, _frame

pytestmark = pytest.mark.fault("property")

SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIXTURE_CASES = [c for c in CASES if not c.base.startswith("@")]


def _mutated(good: bytes) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, and the good file cut, spliced or with bytes replaced."""
    cut = st.integers(0, len(good)).map(lambda n: good[:n])

    def splice(args: tuple[int, bytes]) -> bytes:
        at, junk = args
        return good[:at] + junk + good[at + len(junk) :]

    spliced = st.tuples(st.integers(0, len(good)), st.binary(min_size=1, max_size=40)).map(splice)
    return st.one_of(st.binary(max_size=400), cut, spliced)


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c.name for c in FIXTURE_CASES])
def test_parsers_never_crash_on_arbitrary_bytes(
    case: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    good_path = FIXTURES / case.base  # type: ignore[attr-defined]
    good = good_path.read_bytes()
    folder = tmp_path_factory.mktemp("prop")

    @SETTINGS
    @given(_mutated(good))
    def run(data: bytes) -> None:
        path = folder / good_path.name
        path.write_bytes(data)
        try:
            frame = _frame(case.parse(path))  # type: ignore[attr-defined]
        except QuartiersError as exc:
            assert good_path.name in str(exc)
            return
        assert isinstance(frame, pl.DataFrame)

    run()


# -- crosswalk --------------------------------------------------------------------------------------
rect = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 30), st.integers(1, 30)).map(
    lambda t: shapely.box(t[0] * 100.0, t[1] * 100.0, (t[0] + t[2]) * 100.0, (t[1] + t[3]) * 100.0)
)


def _disjoint(rects: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Make QPVs of one geography disjoint, as real perimeters are: each minus the ones before."""
    out: list[shapely.Geometry] = []
    for r in rects:
        g = r
        for o in out:
            g = g.difference(o)
        if not g.is_empty and g.area > 1.0:
            out.append(g)
    return out


@SETTINGS
@given(st.lists(rect, min_size=1, max_size=6), st.lists(rect, min_size=1, max_size=6))
def test_crosswalk_shares_in_unit_interval_and_sum_to_one(old: list[object], new: list[object]) -> None:
    from checks.geography import crosswalk_share_sums
    from models.crosswalk import build_crosswalk

    olds, news = _disjoint(old), _disjoint(new)  # type: ignore[arg-type]
    rows = [
        {"code": f"QP0990{i:02d}", "geography": "qpv2015", "geom_wkb": shapely.to_wkb(g)}
        for i, g in enumerate(olds)
    ] + [
        {"code": f"QN0990{i:02d}M", "geography": "qpv2024", "geom_wkb": shapely.to_wkb(g)}
        for i, g in enumerate(news)
    ]
    cw = build_crosswalk(
        pl.DataFrame(rows, schema={"code": pl.String, "geography": pl.String, "geom_wkb": pl.Binary})
    )
    for col in ("share_of_2015", "share_of_2024"):
        vals = cw[col].drop_nulls()
        assert ((vals >= -1e-9) & (vals <= 1 + 1e-9)).all(), cw
    assert crosswalk_share_sums(cw).is_empty(), cw
    assert set(cw["code_2015"].drop_nulls()) == {r["code"] for r in rows if r["geography"] == "qpv2015"}
    assert set(cw["code_2024"].drop_nulls()) == {r["code"] for r in rows if r["geography"] == "qpv2024"}


# -- aggregation -------------------------------------------------------------------------------------
CATALOG = pl.DataFrame(
    {
        "indicator_id": ["pop", "median_income", "poverty_rate"],
        "aggregation": ["sum", "not_aggregable", "ratio"],
        "unit": ["count", "euro", "percent"],
    }
)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(1, 5000), st.integers(8000, 40000)),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(0, 2), min_size=8, max_size=8),
)
def test_aggregation_conserves_counts_and_never_averages_medians(
    children: list[tuple[int, int, int]], parent_of: list[int]
) -> None:
    from models.aggregate import aggregate_observations

    rows = []
    links = []
    for i, (poor, pop, median) in enumerate(children):
        code = f"QN0990{i:02d}M"
        links.append(
            {
                "child_kind": "qpv2024",
                "child_code": code,
                "parent_kind": "commune",
                "parent_code": f"9900{parent_of[i]}",
            }
        )
        base = {
            "territory_kind": "qpv2024",
            "territory_code": code,
            "geo_version": "qpv2024",
            "period": "2021",
            "period_type": "year",
            "status": "published",
            "method": "published",
            "source_dataset": "t",
            "source_vintage": "2021",
            "source_sha256": "0" * 64,
        }
        rows.append({**base, "indicator_id": "pop", "value": float(pop)})
        rows.append({**base, "indicator_id": "median_income", "value": float(median)})
        rows.append(
            {
                **base,
                "indicator_id": "poverty_rate",
                "value": 100.0 * min(poor, pop) / pop,
                "numerator": float(min(poor, pop)),
                "denominator": float(pop),
            }
        )
    from models.observation import conform_observations

    obs = conform_observations(pl.DataFrame(rows))
    out = aggregate_observations(obs, pl.DataFrame(links), CATALOG, parent_geo_version="cog2024")
    pop = out.filter(pl.col("indicator_id") == "pop")
    assert pop["value"].sum() == pytest.approx(float(sum(p for _, p, _ in children)))
    med = out.filter(pl.col("indicator_id") == "median_income")
    assert med["value"].is_null().all() and (med["status"] == "not_applicable").all(), med
    rate = out.filter(pl.col("indicator_id") == "poverty_rate")
    for r in rate.iter_rows(named=True):
        assert r["value"] == pytest.approx(100.0 * r["numerator"] / r["denominator"])
    assert rate["numerator"].sum() == pytest.approx(float(sum(min(a, b) for a, b, _ in children)))
