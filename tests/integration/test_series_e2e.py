"""CAF and job-seeker series end to end on the synthetic sample: refresh, warehouse, `quartiers series`,
the QPV share of its commune, revisions, totals check, and the newer-period sensor with a fake catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    SensorResult,
    SkipReason,
    build_sensor_context,
)
from typer.testing import CliRunner

from checks.caf import caf_totals_not_adding_up
from pipelines.cli import app
from sources.caf import parse_cnaf_base
from sources.france_travail import settings as ft_settings
from sources.registry import scan
from synthetic.territory import build_territory
from tests.integration.period_defs import CAF, DEFM, FakeCatalogue, qpv2024_job_seekers, sensor
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _series(home: Path, code: str, indicator: str) -> str:
    result = CliRunner().invoke(app, ["series", code, "--indicator", indicator, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return result.output


def _line(output: str, heading_part: str, period: str) -> str:
    """The table line of `period` in the table following the heading that contains `heading_part`."""
    section = output.split(heading_part, 1)[1]
    for line in section.splitlines():
        if f" {period} " in line:
            return line
    raise AssertionError(f"no {period} under {heading_part!r}:\n{output}")


def test_every_qpv_shows_caf_and_job_seeker_series_with_gaps_and_secret(built: Path) -> None:
    territory = build_territory()
    for q in territory.qpvs:
        geo = q.geography
        defm = _series(built, q.code, "defm_abc")
        caf = _series(built, q.code, "caf_allocataires")
        label = f"QPV {geo[3:]}"
        flat_defm, flat_caf = " ".join(defm.split()), " ".join(caf.split())  # headings wrap at 80 columns
        assert f"géographie {geo}" in flat_defm and f"France Travail ({label})" in flat_defm
        assert f"géographie {geo}" in flat_caf and f"Cnaf ({label})" in flat_caf
        # the commune(s) are shown as reference territories, in their own tables
        assert "référence (commune)" in defm
        if geo == "qpv2015":
            # 2022-Q3 was not published (no file): a gap, never a zero
            gap = _line(defm, f"{q.code} ", "T3\u202f2022")
            assert "manquant" in gap and " 0 " not in gap
    moulin_defm = _series(built, "QP099005", "defm_abc")
    assert "« secret statistique »" in _line(moulin_defm, "QP099005", "T4\u202f2022")
    moulin_caf = _series(built, "QP099005", "caf_allocataires")
    assert "« secret statistique »" in _line(moulin_caf, "QP099005", "31/12/2021")


def test_warehouse_keeps_gaps_secret_and_geographies_apart(built: Path) -> None:
    con = connect_readonly(warehouse_path(built), spatial=False)
    gaps = con.execute(
        "SELECT territory_code, value FROM v_series WHERE indicator_id = 'defm_abc' AND period = '2022-Q3'"
    ).fetchall()
    assert {c for c, _ in gaps} == {q.code for q in build_territory().qpv2015}
    assert all(v is None for _, v in gaps)
    # a QPV figure always carries its own geography: 2015 and 2024 rows never share a series
    mixed = con.execute(
        "SELECT count(*) FROM observation WHERE territory_kind LIKE 'qpv%' AND geo_version <> territory_kind"
    ).fetchone()
    assert mixed == (0,)
    cov = dict(
        con.execute(
            "SELECT period, coverage FROM v_series_coverage WHERE source = 'caf' "
            "AND indicator_id = 'caf_allocataires'"
        ).fetchall()
    )
    # synthetic CAF QPV files: 2015 geography 2019-2023, 2024 geography 2022-2023
    assert cov["2019-12-31"] == "qpv2015_only" and cov["2023-12-31"] == "both"


def test_qpv_share_of_commune_job_seekers(built: Path) -> None:
    con = connect_readonly(warehouse_path(built), spatial=False)
    # numerator and denominator recomputed here from the QPV and commune figures of the same T4
    expected = con.execute(
        """
        SELECT q.territory_code, q.period, 100 * q.value / sum(c.value)
        FROM observation q
        JOIN territory_link l ON l.child_code = q.territory_code AND l.parent_kind = 'commune'
        JOIN observation c ON c.territory_kind = 'commune' AND c.territory_code = l.parent_code
             AND c.indicator_id = 'defm_abc' AND c.period = q.period
        WHERE q.indicator_id = 'defm_abc' AND q.territory_kind LIKE 'qpv%' AND q.status = 'published'
        GROUP BY q.territory_code, q.period, q.value
        """
    ).fetchall()
    shares = {
        (c, p): v
        for c, p, v in con.execute(
            "SELECT territory_code, period, value FROM observation "
            "WHERE indicator_id = 'defm_abc_part_commune_pct' AND status = 'published'"
        ).fetchall()
    }
    assert len(expected) == len(shares) >= 10
    for code, period, pct in expected:
        assert shares[(code, period)] == pytest.approx(pct, rel=1e-9)
        assert 0 < pct < 100
    # the QPV over two communes is compared with both communes' sum
    assert ("QN09903M", "2024-Q4") in shares
    suppressed = con.execute(
        "SELECT status FROM v_defm_qpv_share WHERE qpv_code = 'QP099005' AND period = '2022-Q4'"
    ).fetchone()
    assert suppressed == ("not_computable",)  # our share of a hidden QPV count: never the producer's secret
    out = _series(built, "QN09903M", "defm_abc_part_commune_pct")
    assert "%" in _line(out, "QN09903M", "T4\u202f2024")


def test_republished_quarter_later_release_wins_and_is_logged(built: Path) -> None:
    # the corrected release of 2024-Q2 (2024 geography), read straight from the mirror file (column ABC)
    rel = ft_settings.DEFM_QPV_REVISED_PATH.format(geography="qpv2024", year=2024, quarter=2, release=2)
    path = sample_mirror(built) / ft_settings.INSEE_HOST / rel
    with path.open(encoding="utf-8-sig", newline="") as fh:
        v2 = {r["CODGEO"]: float(r["ABC"].replace("\u202f", "")) for r in csv.DictReader(fh, delimiter=";")}
    con = connect_readonly(warehouse_path(built), spatial=False)
    assert qpv2024_job_seekers(con, "2024-Q2", published=False) == v2
    log = con.execute(
        "SELECT territory_code, old_vintage, new_vintage, new_value FROM revision_log "
        "WHERE indicator_id = 'defm_abc' AND period = '2024-Q2'"
    ).fetchall()
    assert {r[0] for r in log} <= set(v2) and log
    assert all(r[1] == "2024-Q2" and r[2] == "2024-Q2-v2" and r[3] == v2[r[0]] for r in log)
    out = _series(built, "QN09901I", "defm_abc")
    assert "révisé" in _line(out, "QN09901I", "T2\u202f2024")


def test_totals_not_adding_up_is_a_warning_listing_rows() -> None:
    staged = parse_cnaf_base(FIXTURES / "caf" / "data_CAF_2020_IRIS_bad_totals.csv")
    result = CAF.check(staged)  # type: ignore[call-arg]
    assert isinstance(result, AssetCheckResult)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert result.metadata["rows_not_adding_up"].value == caf_totals_not_adding_up(staged).height > 0


def test_cli_refuses_bad_code_and_unknown_indicator(built: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["series", "QP09'; --", "--indicator", "defm_abc", "--home", str(built)])
    assert bad.exit_code == 2
    bad_id = runner.invoke(app, ["series", "QP099001", "--indicator", "DEFM ABC", "--home", str(built)])
    assert bad_id.exit_code == 2
    unknown = runner.invoke(app, ["series", "QP099001", "--indicator", "defm_abd", "--home", str(built)])
    assert unknown.exit_code == 2 and "defm_abc" in unknown.output


def test_sensor_requests_only_affected_assets_for_a_newer_quarter(built: Path) -> None:
    newer = FakeCatalogue("date", ["2024-T4", "2025-T4", "2023-T4"])
    newer_sensor = sensor(DEFM, "test_defm_newer_period", newer, built)
    result = newer_sensor(build_sensor_context())
    assert isinstance(result, SensorResult)
    assert newer.urls == [ft_settings.DEFM_COMMUNES_PERIODS_URL]
    (request,) = result.run_requests or []
    # only the new quarter's partition, of the job-seeker assets and what publishes them
    assert request.partition_key == "2025-Q4"
    keys = set(request.asset_selection or [])
    assert {AssetKey("stg_defm"), AssetKey("defm_observation"), AssetKey("warehouse")} <= keys
    assert AssetKey("stg_caf") not in keys and AssetKey("territory") not in keys
    added = {
        (r.partitions_def_name, k)
        for r in result.dynamic_partitions_requests or []
        if isinstance(r, AddDynamicPartitionsRequest)
        for k in r.partition_keys
    }
    assert ("defm_period", "2025-Q4") in added
    assert result.cursor == "2025-Q4"
    # the same newer quarter seen again: no second run
    again = newer_sensor(build_sensor_context(cursor=result.cursor))
    assert isinstance(again, SkipReason)
    # nothing newer than the staged 2024-Q4: skip
    same = sensor(DEFM, "test_defm_same_period", FakeCatalogue("date", ["2023-T4", "2024-T4"]), built)
    assert isinstance(same(build_sensor_context()), SkipReason)


def test_real_caf_iris_files_are_recognised(shared_data: Path) -> None:
    result = scan([shared_data / "caf"])
    found = {(lay.dataset, lay.vintage) for _, lay in result.recognised}
    # ../shared/data/caf/data_CAF_<year>_IRIS.csv, 2016 to 2020
    assert found == {("caf_cnaf_iris", str(y)) for y in range(2016, 2021)}
