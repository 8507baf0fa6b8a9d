"""Dagster definitions: every asset, its checks, resources chosen by environment, schedules, sensors."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job, in_process_executor

from pipelines.assets import collect, observations, series, warehouse
from pipelines.resources import resources_for

ASSETS = [
    *collect("ASSETS"),
    *series.ASSETS,
    *observations.ASSETS,
    warehouse.source_file,
    warehouse.warehouse,
]
CHECKS = [*collect("CHECKS"), *observations.CHECKS]

# Assets partitioned by period (CAF years, job-seeker quarters: pipelines/assets/periods.py) are staged
# by their own jobs (refresh_caf, refresh_defm: one period, from a schedule or sensor) or a backfill;
# `refresh` rebuilds everything else from the staged partitions. `quartiers refresh` runs both.
PARTITIONED = [str(a) for p in collect("PERIODS") for a in p.assets]  # type: ignore[attr-defined]
refresh_job = define_asset_job(
    "refresh", selection=AssetSelection.all() - AssetSelection.assets(*PARTITIONED)
)

# The COG and the QPV perimeters change once a year at most: a weekly conditional GET is plenty.
weekly_geography = ScheduleDefinition(
    name="weekly_geography_refresh",
    cron_schedule="0 4 * * 1",
    job=define_asset_job("refresh_geography", selection=AssetSelection.groups("geography").downstream()),
)

defs = Definitions(
    assets=ASSETS,  # type: ignore[arg-type]
    asset_checks=CHECKS,  # type: ignore[arg-type]
    jobs=[refresh_job, *collect("JOBS")],  # type: ignore[list-item]
    schedules=[weekly_geography, *collect("SCHEDULES")],  # type: ignore[list-item]
    sensors=collect("SENSORS"),  # type: ignore[arg-type]
    resources=resources_for(),
    # One process per run: the IO manager holds the home's run lock for the whole run
    # (pipelines/runlock.py); step processes would each take it, and refuse one another.
    executor=in_process_executor,
)
