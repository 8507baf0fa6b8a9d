"""Period partitions of the CAF (years) and job-seeker (quarters) staged assets: the definitions, the
schedules' expected periods, the newer-period sensor, one new period materialised alone (only its
Parquet written, the warehouse then holding old and new periods), and the IO manager's partition files."""

import csv
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    DynamicPartitionsDefinition,
    RunRequest,
    SensorResult,
    SkipReason,
    asset,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    instance_for_test,
)

from pipelines.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.definitions import ASSETS, CHECKS, defs
from pipelines.refresh import run_refresh
from pipelines.resources import ParquetIOManager, resources_for
from sources._http import mirror_path
from sources.france_travail import settings as ft_settings
from tests.integration.period_defs import CAF, DEFM, FakeCatalogue, qpv2024_job_seekers, schedule, sensor
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

PARIS = ZoneInfo("Europe/Paris")
# Groups whose assets a CAF or job-seeker period may rerun: its own, the series and the warehouse.
ALLOWED_GROUPS = {"series", "warehouse"}


@pytest.fixture(scope="module")
def built(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("home")  # tests rerun periods in it


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    """A persistent (temporary) instance: a schedule's context needs one."""
    with instance_for_test() as inst:
        yield inst


def _groups(keys: set[AssetKey]) -> set[str]:
    graph = defs.get_repository_def().asset_graph
    return {str(graph.get(k).group_name) for k in keys}


def test_definitions_load_with_period_partitions() -> None:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    caf = graph.get(AssetKey("stg_caf")).partitions_def
    defm = graph.get(AssetKey("stg_defm")).partitions_def
    assert isinstance(caf, DynamicPartitionsDefinition) and caf.name == "caf_period"
    assert isinstance(defm, DynamicPartitionsDefinition) and defm.name == "defm_period"
    for name in ("caf_observation", "defm_observation", "revision_log", "observation", "warehouse"):
        assert graph.get(AssetKey(name)).partitions_def is None, name
    assert defs.resolve_job_def("refresh_caf").partitions_def == caf
    assert defs.resolve_job_def("refresh_defm").partitions_def == defm
    # the unpartitioned refresh job rebuilds everything but the partitioned staged tables
    refresh = defs.resolve_job_def("refresh").asset_layer.selected_asset_keys
    assert AssetKey("warehouse") in refresh and AssetKey("stg_caf") not in refresh
    assert AssetKey("stg_defm") not in refresh
    assert {"yearly_caf_refresh", "quarterly_defm_refresh"} <= {s.name for s in repo.schedule_defs}
    assert {"caf_newer_period", "defm_newer_period"} <= {s.name for s in repo.sensor_defs}


def test_refresh_stages_one_file_per_period(built: Path) -> None:
    caf = sorted(p.stem for p in (built / "staged" / "stg_caf").glob("*.parquet"))
    defm = sorted(p.stem for p in (built / "staged" / "stg_defm").glob("*.parquet"))
    # synthetic CAF QPV files 2019-2023 (31 December); QPV job-seeker files quarterly, 2022-Q3 withheld
    assert {"2019", "2023"} <= set(caf) and all(len(k) == 4 for k in caf)
    assert {"2021-Q1", "2024-Q4"} <= set(defm) and "2022-Q3" not in defm
    for key in caf:
        periods = pl.read_parquet(built / "staged" / "stg_caf" / f"{key}.parquet")["period"].unique()
        assert periods.str.starts_with(key).all(), key
    q4 = pl.read_parquet(built / "staged" / "stg_defm" / "2024-Q4.parquet")
    assert set(q4["period"].unique()) == {"2024-Q4"}
    # every release of a period stays in its partition: the 2024-Q2 republication meets the first one
    q2 = pl.read_parquet(built / "staged" / "stg_defm" / "2024-Q2.parquet")
    assert {"2024-Q2", "2024-Q2-v2"} <= set(q2["source_vintage"].unique())


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 1, 28, 6, tzinfo=PARIS), "2025-Q4"),
        (datetime(2026, 4, 28, 6, tzinfo=PARIS), "2026-Q1"),
        (datetime(2026, 10, 28, 6, tzinfo=PARIS), "2026-Q3"),
    ],
)
def test_quarterly_schedule_runs_the_quarter_just_ended(
    when: datetime, expected: str, built: Path, instance: DagsterInstance
) -> None:
    quarterly = schedule(DEFM, "test_quarterly", built)
    request = quarterly(build_schedule_context(instance=instance, scheduled_execution_time=when))
    assert isinstance(request, RunRequest)
    assert request.partition_key == expected
    assert instance.has_dynamic_partition("defm_period", expected)
    # the periods a CLI refresh staged are made known to the instance (the unpartitioned assets read them)
    assert "2024-Q4" in instance.get_dynamic_partitions("defm_period")
    assert "2023" in instance.get_dynamic_partitions("caf_period")
    keys = set(request.asset_selection or [])
    assert AssetKey("stg_defm") in keys and AssetKey("stg_caf") not in keys
    assert _groups(keys) <= {"france_travail", *ALLOWED_GROUPS}


def test_yearly_caf_schedule_runs_the_previous_year(built: Path, instance: DagsterInstance) -> None:
    yearly = schedule(CAF, "test_yearly", built)
    when = datetime(2026, 7, 1, 5, tzinfo=PARIS)
    request = yearly(build_schedule_context(instance=instance, scheduled_execution_time=when))
    assert isinstance(request, RunRequest) and request.partition_key == "2025"
    assert instance.has_dynamic_partition("caf_period", "2025")
    assert _groups(set(request.asset_selection or [])) <= {"caf", *ALLOWED_GROUPS}


def test_caf_sensor_requests_only_the_new_year_of_caf_assets(built: Path) -> None:
    newer = FakeCatalogue("dtreffre", ["2022-12", "2025-12", "2023-12"])
    caf_sensor = sensor(CAF, "test_caf_newer_period", newer, built)
    result = caf_sensor(build_sensor_context())
    assert isinstance(result, SensorResult)
    (request,) = result.run_requests or []
    assert request.partition_key == "2025"
    keys = set(request.asset_selection or [])
    assert keys == {AssetKey(a) for a in CAF.affected}
    assert AssetKey("stg_caf") in keys and AssetKey("warehouse") in keys
    assert _groups(keys) <= {"caf", *ALLOWED_GROUPS}  # nothing of geography nor of another source
    added = {
        (r.partitions_def_name, k)
        for r in result.dynamic_partitions_requests or []
        if isinstance(r, AddDynamicPartitionsRequest)
        for k in r.partition_keys
    }
    assert ("caf_period", "2025") in added and ("caf_period", "2019") in added  # staged ones too
    assert isinstance(caf_sensor(build_sensor_context(cursor=result.cursor)), SkipReason)


def _qpv_file(home: Path, year: int, quarter: int) -> Path:
    url = f"https://{ft_settings.INSEE_HOST}/" + ft_settings.DEFM_QPV_PATH.format(
        geography="qpv2024", year=year, quarter=quarter
    )
    return mirror_path(sample_mirror(home), url)


def test_one_new_quarter_materialised_alone(built: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    # the publisher's new quarter: a 2025-Q1 QPV file (2024 geography), in the layout of 2024-Q4
    new = _qpv_file(home, 2025, 1)
    text = _qpv_file(home, 2024, 4).read_bytes()
    new.write_bytes(text)
    with new.open(encoding="utf-8-sig", newline="") as fh:
        abc = {
            r["CODGEO"]: float(r["ABC"].replace("\u202f", ""))
            for r in csv.DictReader(fh, delimiter=";")
            if r["ABC"].strip()
        }
    assert abc
    staged = home / "staged"
    before = {p: p.stat().st_mtime_ns for p in staged.rglob("*.parquet")}
    con = connect_readonly(warehouse_path(home), spatial=False)
    caf_rows = con.execute("SELECT count(*) FROM observation WHERE indicator_id LIKE 'caf_%'").fetchone()
    con.close()

    newer = FakeCatalogue("date", ["2024-T4", "2025-T1"])
    result = sensor(DEFM, "test_defm_new_quarter", newer, home)(build_sensor_context())
    assert isinstance(result, SensorResult)
    (request,) = result.run_requests or []
    assert request.partition_key == "2025-Q1"
    # a daemon's instance that never saw the CLI refresh: the sensor's requests teach it every period
    instance = DagsterInstance.ephemeral()
    for r in result.dynamic_partitions_requests or []:
        assert isinstance(r, AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(r.partitions_def_name, list(r.partition_keys))
    run_defs = Definitions(
        assets=ASSETS,  # type: ignore[arg-type]
        asset_checks=CHECKS,  # type: ignore[arg-type]
        jobs=[DEFM.job],
        resources=resources_for("sample", home=home),
    )
    run = run_defs.resolve_job_def("refresh_defm").execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=list(request.asset_selection or []),
        tags=dict(request.tags),
        raise_on_error=False,
    )
    assert run.success

    after = {p: p.stat().st_mtime_ns for p in staged.rglob("*.parquet")}
    assert set(after) - set(before) == {staged / "stg_defm" / "2025-Q1.parquet"}
    for path, mtime in before.items():
        if path.parent.name in ("stg_defm", "stg_caf") or path.stem in ("territory", "stg_insee_qpv"):
            assert after[path] == mtime, f"{path.relative_to(staged)} rewritten"
    con = connect_readonly(warehouse_path(home), spatial=False)
    assert qpv2024_job_seekers(con, "2025-Q1", published=True) == abc
    assert qpv2024_job_seekers(con, "2024-Q4", published=False)  # the quarter before is still there
    # the other source and the revisions of older quarters are still there
    assert (
        con.execute("SELECT count(*) FROM observation WHERE indicator_id LIKE 'caf_%'").fetchone() == caf_rows
    )
    revised = con.execute("SELECT count(*) FROM revision_log WHERE period = '2024-Q2'").fetchone()
    assert revised is not None and revised[0] > 0


def test_refresh_of_one_source_reads_the_other_sources_staged_periods(built: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    con = connect_readonly(warehouse_path(home), spatial=False)
    defm_before = con.execute("SELECT count(*) FROM observation WHERE indicator_id LIKE 'defm_%'").fetchone()
    con.close()
    defm_files = {p: p.stat().st_mtime_ns for p in (home / "staged" / "stg_defm").glob("*.parquet")}
    # a year staged by an earlier build whose file is no longer given
    stale = home / "staged" / "stg_caf" / "2009.parquet"
    shutil.copy(home / "staged" / "stg_caf" / "2019.parquet", stale)
    report = run_refresh(home=home, env="sample", only=["caf"], force=True)
    assert report.success, (report.failed_step, report.error)
    assert not stale.exists()
    assert "stg_caf" in report.steps and "stg_defm" not in report.steps
    # the job-seeker quarters were not restaged, yet every one of them is read into the warehouse
    assert {p: p.stat().st_mtime_ns for p in (home / "staged" / "stg_defm").glob("*.parquet")} == defm_files
    con = connect_readonly(warehouse_path(home), spatial=False)
    defm_after = con.execute("SELECT count(*) FROM observation WHERE indicator_id LIKE 'defm_%'").fetchone()
    assert defm_after == defm_before and defm_before is not None and defm_before[0] > 0


# --- the IO manager's partition files ------------------------------------------------------------------
parts = DynamicPartitionsDefinition(name="test_period")


@asset(partitions_def=parts)
def per_period(context: AssetExecutionContext) -> dict[str, pl.DataFrame]:
    return {k: pl.DataFrame({"period": [k], "v": [len(k)]}) for k in context.partition_keys}


@asset(partitions_def=parts)
def wrong_keys() -> dict[str, pl.DataFrame]:
    return {"1999": pl.DataFrame({"v": [1]})}


@asset
def every_period(per_period: pl.DataFrame) -> pl.DataFrame:
    return per_period


def test_io_manager_writes_one_file_per_partition_and_reads_them_all(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("test_period", ["2023", "2024-Q1", "2024-Q2"])
    io = ParquetIOManager(home=str(tmp_path))
    test_defs = Definitions(
        assets=[per_period, wrong_keys, every_period],
        jobs=[
            define_asset_job("stage", AssetSelection.assets(per_period)),
            define_asset_job("wrong", AssetSelection.assets(wrong_keys)),
            define_asset_job("down", AssetSelection.assets(every_period)),
        ],
        resources={"io_manager": io},
    )
    one = test_defs.resolve_job_def("stage").execute_in_process(instance=instance, partition_key="2024-Q1")
    assert one.success
    assert io.staged_partitions("per_period") == ["2024-Q1"]
    # the unpartitioned consumer reads every partition: one absent is an error naming it
    missing = test_defs.resolve_job_def("down").execute_in_process(instance=instance, raise_on_error=False)
    assert not missing.success
    all_ = test_defs.resolve_job_def("stage").execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: "2023", ASSET_PARTITION_RANGE_END_TAG: "2024-Q2"},
    )
    assert all_.success
    assert io.staged_partitions("per_period") == ["2023", "2024-Q1", "2024-Q2"]
    assert not list((tmp_path / "staged").rglob("*.tmp"))
    assert test_defs.resolve_job_def("down").execute_in_process(instance=instance).success
    read = pl.read_parquet(tmp_path / "staged" / "every_period.parquet")
    assert sorted(read["period"].to_list()) == ["2023", "2024-Q1", "2024-Q2"]
    # an asset returning other partitions than its run's lands nothing
    wrong = test_defs.resolve_job_def("wrong").execute_in_process(
        instance=instance, partition_key="2023", raise_on_error=False
    )
    assert not wrong.success and not (tmp_path / "staged" / "wrong_keys").exists()


def test_io_manager_refuses_a_partition_key_that_is_not_a_period(tmp_path: Path) -> None:
    io = ParquetIOManager(home=str(tmp_path))
    for key in ("../../etc", "2024/Q1", "2024-Q5", ""):
        with pytest.raises(ValueError, match="period label"):
            io._partition_path(["stg_x"], key)
