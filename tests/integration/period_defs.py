"""The schedule and newer-period sensor of a period source (CAF years, job-seeker quarters), built as
`pipelines/assets/period_source.py` builds them but against a test home and a stand-in publisher
catalogue (tests of period partitions and of the series)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
from dagster import ScheduleDefinition, SensorDefinition

from pipelines.assets import caf as caf_assets
from pipelines.assets import france_travail as ft_assets
from pipelines.assets.period_source import PeriodSource
from pipelines.assets.period_triggers import newer_period_sensor, period_schedule
from sources.caf import settings as caf_settings

CAF: PeriodSource = caf_assets.SOURCE
DEFM: PeriodSource = ft_assets.SOURCE


class FakeCatalogue:
    """Stands in for a publisher's catalogue: answers every URL with the given periods in `field`, and
    remembers the URLs asked."""

    def __init__(self, field: str, periods: list[str]) -> None:
        self.field, self.periods = field, periods
        self.urls: list[str] = []

    def __call__(self, url: str) -> Mapping[str, object]:
        self.urls.append(url)
        return {"results": [{self.field: p} for p in self.periods]}


def sensor(source: PeriodSource, name: str, catalogue: FakeCatalogue, home: Path) -> SensorDefinition:
    """The source's newer-period sensor. The CAF one is asked which years a QPV file holds: the yearly
    files by QPV are the ones a new year adds."""
    spec = source.spec
    dataset = caf_settings.DATASET_CNAF_QPV["qpv2015"] if source is CAF else spec.catalogue_dataset
    return newer_period_sensor(
        name=name,
        job=source.job,
        catalogue_url=spec.catalogue_url,
        period_field=spec.period_field,
        staged_asset=source.staged_name,
        dataset=dataset,
        affected=source.affected,
        partitions_def=source.partitions_def,
        key=spec.staging.key,
        client=catalogue,
        home=lambda: home,
    )


def schedule(source: PeriodSource, name: str, home: Path) -> ScheduleDefinition:
    """The source's schedule (its own cron) on the test home."""
    return period_schedule(
        name=name,
        cron_schedule=source.spec.cron,
        job=source.job,
        partitions_def=source.partitions_def,
        expected=source.spec.expected,
        affected=source.affected,
        home=lambda: home,
    )


def qpv2024_job_seekers(con: duckdb.DuckDBPyConnection, period: str, *, published: bool) -> dict[str, float]:
    """The warehouse's ABC job seekers of every 2024 QPV for one quarter (published figures only, or
    every row), by QPV code."""
    rows = con.execute(
        "SELECT territory_code, value FROM observation WHERE indicator_id = 'defm_abc' "
        "AND period = ? AND territory_kind = 'qpv2024' AND (NOT ? OR status = 'published')",
        [period, published],
    ).fetchall()
    return dict(rows)
