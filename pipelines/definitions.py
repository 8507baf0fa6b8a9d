"""Dagster definitions: every asset, its checks, resources chosen by environment, schedules."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job

from pipelines.assets import geography, warehouse
from pipelines.resources import resources_for

ASSETS = [*geography.ASSETS, warehouse.source_file, warehouse.warehouse]
CHECKS = [*geography.CHECKS]

refresh_job = define_asset_job("refresh", selection=AssetSelection.all())

# The COG and the QPV perimeters change once a year at most: a weekly conditional GET is plenty.
weekly_geography = ScheduleDefinition(
    name="weekly_geography_refresh",
    cron_schedule="0 4 * * 1",
    job=define_asset_job("refresh_geography", selection=AssetSelection.groups("geography").downstream()),
)

defs = Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[refresh_job],
    schedules=[weekly_geography],
    resources=resources_for(),
)
