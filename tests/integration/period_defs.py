"""The schedules and newer-period sensors of the CAF and job-seeker sources, built as the definitions
build them but against a test home and a stand-in publisher catalogue (tests of period partitions and of
the series)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dagster import ScheduleDefinition, SensorDefinition

from pipelines.assets import caf as caf_assets
from pipelines.assets import france_travail as ft_assets
from pipelines.assets.periods import quarter_key, year_key
from pipelines.assets.series import newer_period_sensor, period_schedule
from sources.caf import settings as caf_settings
from sources.france_travail import settings as ft_settings


class FakeCatalogue:
    """Stands in for a publisher's catalogue: answers every URL with the given periods in `field`, and
    remembers the URLs asked."""

    def __init__(self, field: str, periods: list[str]) -> None:
        self.field, self.periods = field, periods
        self.urls: list[str] = []

    def __call__(self, url: str) -> Mapping[str, object]:
        self.urls.append(url)
        return {"results": [{self.field: p} for p in self.periods]}


def defm_sensor(name: str, catalogue: FakeCatalogue, home: Path) -> SensorDefinition:
    return newer_period_sensor(
        name=name,
        job=ft_assets.refresh_defm,
        catalogue_url=ft_settings.DEFM_COMMUNES_PERIODS_URL,
        period_field="date",
        staged_asset="stg_defm",
        dataset=ft_settings.DATASET_COMMUNES,
        affected=ft_assets.AFFECTED,
        partitions_def=ft_assets.defm_period,
        key=quarter_key,
        client=catalogue,
        home=lambda: home,
    )


def caf_sensor(name: str, catalogue: FakeCatalogue, home: Path) -> SensorDefinition:
    return newer_period_sensor(
        name=name,
        job=caf_assets.refresh_caf,
        catalogue_url=caf_settings.ODS_PERIODS_URL.format(dataset_id=caf_settings.S_BEN_COM_F),
        period_field=caf_settings.ODS_DATE,
        staged_asset="stg_caf",
        dataset=caf_settings.DATASET_CNAF_QPV["qpv2015"],
        affected=caf_assets.AFFECTED,
        partitions_def=caf_assets.caf_period,
        key=year_key,
        client=catalogue,
        home=lambda: home,
    )


def defm_schedule(name: str, cron: str, home: Path) -> ScheduleDefinition:
    return period_schedule(
        name=name,
        cron_schedule=cron,
        job=ft_assets.refresh_defm,
        partitions_def=ft_assets.defm_period,
        expected=ft_assets.expected_defm_quarter,
        affected=ft_assets.AFFECTED,
        home=lambda: home,
    )


def caf_schedule(name: str, cron: str, home: Path) -> ScheduleDefinition:
    return period_schedule(
        name=name,
        cron_schedule=cron,
        job=caf_assets.refresh_caf,
        partitions_def=caf_assets.caf_period,
        expected=caf_assets.expected_caf_year,
        affected=caf_assets.AFFECTED,
        home=lambda: home,
    )
