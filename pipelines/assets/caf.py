"""CAF / Cnaf allocataires: data.caf.fr commune export, INSEE's Cnaf base by QPV (2015 and 2024
geographies) and by IRIS; observations as yearly series (counts as of 31 December), revisions logged.

Partitions: `stg_caf` is partitioned by year (dynamic partitions `caf_period`, key `2024` for the counts
as of 31 December 2024; why dynamic rather than time windows: pipelines/assets/periods.py). Every file
is read (a data.caf.fr export holds many years) and each year's rows, all releases included, land in
`<home>/staged/stg_caf/<year>.parquet`. `caf_observation` (revisions compared across releases, gaps)
and everything after it are unpartitioned and read every year. The yearly schedule (1 July) runs the
partition of the previous year; the newer-period sensor adds and runs a year the catalogue announces.
`quartiers refresh` lists the years of the files and stages them all in one run.
"""

from datetime import datetime

import polars as pl

from checks.caf import caf_totals_not_adding_up, validate_caf_observations, validate_caf_staged
from models.caf import caf_indicator_catalog, caf_series
from pipelines.assets.period_source import PeriodSourceSpec, Series, Staging, period_source
from pipelines.assets.periods import year_key
from pipelines.resources import Obtained
from sources._errors import SourceFormatError
from sources.caf import CAF_STAGED_SCHEMA, parse_cnaf_base, parse_ods_export
from sources.caf import settings as caf_settings

# Datasets whose URLs are verified (required in URL mode); the others are placeholders (NV): optional.
VERIFIED = {caf_settings.DATASET_ODS_COMMUNE}


def _parse(ob: Obtained) -> tuple[pl.DataFrame, str]:
    """One CAF file → (staged rows, release label)."""
    path = ob.file.path
    if ob.layout.form == "insee_cnaf":
        year = int(ob.layout.vintage) if ob.layout.vintage.isdigit() else None
        frame = parse_cnaf_base(path, year)
        return frame, frame["period"][0][:4] if frame.height else ob.layout.vintage
    if ob.layout.form == "ods_export":
        frame = parse_ods_export(path)
        # A rolling export: its release label is its latest reference month (sorts chronologically).
        return frame, str(frame["period"].max())[:7] if frame.height else ob.layout.vintage
    raise SourceFormatError(str(path), f"unknown CAF form {ob.layout.form!r}")


def expected_caf_year(scheduled: datetime) -> str:
    """Counts as of 31 December of year Y are published in the first half of Y+1 (data.caf.fr, NV):
    the run of 1 July Y+1 expects year Y."""
    return str(scheduled.year - 1)


SOURCE = period_source(
    PeriodSourceSpec(
        name="caf",
        group="caf",
        datasets=(
            caf_settings.DATASET_ODS_COMMUNE,
            caf_settings.DATASET_ODS_IRIS,
            caf_settings.DATASET_CNAF_IRIS,
            *caf_settings.DATASET_CNAF_QPV.values(),
        ),
        verified=frozenset(VERIFIED),
        staging=Staging(parse=_parse, schema=CAF_STAGED_SCHEMA, validate=validate_caf_staged, key=year_key),
        series=Series(build=caf_series, validate=validate_caf_observations, catalog=caf_indicator_catalog),
        totals=caf_totals_not_adding_up,
        totals_rule="Totals add up (A = AI+AM+ACSSENF+ACAVENF, ENF = sum of age bands); flagged, "
        "never corrected",
        # A yearly run on 1 July for the previous year; the sensor catches an earlier publication.
        schedule_name="yearly_caf_refresh",
        cron="0 5 1 7 *",
        expected=expected_caf_year,
        catalogue_url=caf_settings.ODS_PERIODS_URL.format(dataset_id=caf_settings.S_BEN_COM_F),
        period_field=caf_settings.ODS_DATE,
        catalogue_dataset=caf_settings.DATASET_ODS_COMMUNE,
        staged_doc="""\
Every CAF file of this build in one long table (one row per territory × period × variable),
partitioned by year: data.caf.fr `s_ben_com_f` (foyers by benefit, communes, Decembers), INSEE's
Cnaf base by QPV (2015 and 2024 geographies) and by IRIS. A partition holds its year's rows from
every file (every release). Suppressed cells: value NULL, status `suppressed`, the marker in
`raw_value`. Unlocated codes kept (kind `unlocated`).""",
        observations_doc="""\
`caf_observation`: CAF figures as yearly series (period = 31 December), one series per
territory and geography (qpv2015, qpv2024, IRIS/COG of the release year: never joined), gaps as
`missing` rows, suppressed cells as `suppressed`. `caf_revisions`: periods republished with another
value (the later release wins). Reads every year's partition of `stg_caf`.""",
        catalog_doc="""\
Catalog of the CAF indicators (Cnaf base variables, data.caf.fr benefits), ids `caf_*` shared
with INSEE's QPV bases (same unit and aggregation: counts, summed).""",
    )
)

PUBLISHED: list[str] = []
ASSETS, CHECKS, STAGED, OBSERVATIONS, CATALOGS, JOBS, SCHEDULES, SENSORS, PERIODS, SERIES = SOURCE.plug_in()
