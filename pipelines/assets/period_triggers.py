"""The factories of the period schedule and of the newer-period sensor of the per-period sources (CAF
years, job-seeker quarters: pipelines/assets/period_source.py; partitions: pipelines/assets/periods.py).
The sensor asks the publisher's catalogue (through a small injectable client) whether a period newer
than ours exists (models.series.detect_newer_period) and, if so, adds that period's partition and
requests a run of that partition only, for the affected assets; the schedule runs the partition of the
period expected at its date. Both leave geography and the other sources alone.
"""


from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
from dagster import (
    AssetKey,
    DynamicPartitionsDefinition,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from models.series import detect_newer_period
from pipelines.assets.periods import staged_partition_requests
from pipelines.dagster_private import UnresolvedAssetJobDefinition

# --- newer-period sensor -------------------------------------------------------------------------------
CatalogueClient = Callable[[str], Mapping[str, object]]


def http_catalogue(url: str) -> Mapping[str, object]:
    """GET an OpenDataSoft catalogue query (small JSON answer), 30 s read timeout."""
    import requests

    response = requests.get(url, timeout=(10.0, 30.0), headers={"User-Agent": "quartiers/0.1"})
    response.raise_for_status()
    data: Mapping[str, object] = response.json()
    return data


def latest_local_period(home: Path, staged_asset: str, dataset: str) -> str | None:
    """The latest period of `dataset` in the staged partitions ``<home>/staged/<staged_asset>/*.parquet``
    (None before the first refresh). Periods of one dataset share one label form, so max() is right
    for `YYYY-Qn` and `YYYY-MM-DD` labels."""
    folder = home / "staged" / staged_asset
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    latest = (
        pl.scan_parquet(files)
        .filter(pl.col("source_dataset") == dataset)
        .select(pl.col("period").max())
        .collect()
        .item()
    )
    return None if latest is None else str(latest)


def partition_key_of(period: str, key: Callable[[pl.Expr], pl.Expr]) -> str:
    """The partition key of one period label (`key` from pipelines.assets.periods)."""
    return str(pl.select(key(pl.lit(period, pl.String))).item())


def newer_period_sensor(
    *,
    name: str,
    job: JobDefinition | UnresolvedAssetJobDefinition,
    catalogue_url: str,
    period_field: str,
    staged_asset: str,
    dataset: str,
    affected: Sequence[str],
    partitions_def: DynamicPartitionsDefinition,
    key: Callable[[pl.Expr], pl.Expr],
    client: CatalogueClient | None = None,
    home: Callable[[], Path] | None = None,
    interval_s: int = 24 * 3600,
) -> SensorDefinition:
    """A sensor that asks the publisher's catalogue for its latest period and, when it is newer than the
    latest period of `dataset` staged locally, adds that period's partition (`partitions_def`, key from
    `key`) and requests a run of that partition only, for the `affected` assets (the partitioned
    staged asset and the unpartitioned series, observation and warehouse assets after it).

    The cursor holds the remote period already requested, so one new period triggers one run. `client`
    (URL → JSON) and `home` are injectable for tests.
    """
    fetch = client or http_catalogue

    def _home() -> Path:
        if home is not None:
            return home()
        from warehouse.paths import default_home

        return default_home()

    @sensor(name=name, job=job, minimum_interval_seconds=interval_s)
    def _sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        local = latest_local_period(_home(), staged_asset, dataset)
        try:
            catalogue = fetch(catalogue_url)
        except Exception as exc:  # network trouble: try again next tick, never crash the daemon
            return SkipReason(f"catalogue {catalogue_url} unreachable: {exc}")
        decision = detect_newer_period(local, catalogue=catalogue, period_field=period_field)
        if not decision.newer or decision.remote_latest is None:
            return SkipReason(decision.reason)
        if context.cursor == decision.remote_latest:
            return SkipReason(f"a run was already requested for {decision.remote_latest}")
        partition = partition_key_of(decision.remote_latest, key)
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=f"{dataset}:{decision.remote_latest}",
                    partition_key=partition,
                    asset_selection=[AssetKey(a) for a in affected],
                    tags={"quartiers/dataset": dataset, "quartiers/newer_period": decision.remote_latest},
                )
            ],
            # The periods staged on disk (a CLI refresh's) first, then the new one.
            dynamic_partitions_requests=[
                *staged_partition_requests(_home()),
                partitions_def.build_add_request([partition]),
            ],
            cursor=decision.remote_latest,
        )

    return _sensor


def period_schedule(
    *,
    name: str,
    cron_schedule: str,
    job: JobDefinition | UnresolvedAssetJobDefinition,
    partitions_def: DynamicPartitionsDefinition,
    expected: Callable[[datetime], str],
    affected: Sequence[str],
    home: Callable[[], Path] | None = None,
) -> ScheduleDefinition:
    """A schedule at the publisher's cadence that runs the partition of the period expected then
    (`expected(scheduled time)` → partition key), adding that partition first; only `affected` assets.
    A period not published yet gives an empty partition and a warning (the sensor catches it later)."""

    def _home() -> Path:
        if home is not None:
            return home()
        from warehouse.paths import default_home

        return default_home()

    @schedule(name=name, cron_schedule=cron_schedule, job=job, execution_timezone="Europe/Paris")
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        partition = expected(context.scheduled_execution_time)
        wanted = [*staged_partition_requests(_home()), partitions_def.build_add_request([partition])]
        for request in wanted:  # the periods staged on disk (a CLI refresh's), then the expected one
            known = set(context.instance.get_dynamic_partitions(request.partitions_def_name))
            missing = [k for k in request.partition_keys if k not in known]
            if missing:
                context.instance.add_dynamic_partitions(request.partitions_def_name, missing)
        return RunRequest(
            run_key=f"{name}:{partition}",
            partition_key=partition,
            asset_selection=[AssetKey(a) for a in affected],
            tags={"quartiers/expected_period": partition},
        )

    return _schedule


# Downstream of every source's own assets: what a newer period must also rebuild.
SHARED_DOWNSTREAM = (
    "revision_log",
    "series_coverage",
    "observation",
    "indicator",
    "source_file",
    "warehouse",
)
