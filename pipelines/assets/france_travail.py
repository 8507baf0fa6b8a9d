"""Job seekers registered at France Travail (DEFM): the DARES communal export (T4 of each year) and the
quarterly files by QPV (2015 and 2024 geographies); series with gaps, revisions, the QPV share of its
commune(s)' job seekers.

Partitions: `stg_defm` is partitioned by quarter (dynamic partitions `defm_period`, keys `2024-Q4`; why
dynamic rather than time windows: pipelines/assets/periods.py). Every file is read (the DARES export
is one rolling file holding every T4 since 2015) and each quarter's rows, all releases included (a
republished `_v2` file meets the first release), land in `<home>/staged/stg_defm/<quarter>.parquet`.
`defm_observation` (revisions, gaps, the QPV share pairing a QPV quarter with its commune's quarter)
and everything after it are unpartitioned and read every quarter. The quarterly schedule runs the
partition of the quarter just ended; the newer-period sensor adds and runs a quarter the DARES
catalogue announces. `quartiers refresh` lists the quarters of the files and stages them in one run.
"""

import re
from datetime import datetime

import polars as pl
from dagster import MetadataValue

from checks.france_travail import (
    defm_staged_totals_not_adding_up,
    validate_defm_observations,
    validate_defm_staged,
)
from models.france_travail import defm_indicator_catalog, defm_series
from pipelines.assets.period_source import PeriodSourceSpec, Series, Staging, period_source
from pipelines.assets.periods import quarter_key
from pipelines.resources import Obtained
from sources._errors import SourceFormatError
from sources.france_travail import (
    DEFM_STAGED_SCHEMA,
    parse_defm_communes,
    parse_defm_qpv,
)
from sources.france_travail import settings as ft_settings

# Datasets whose URLs are verified (required in URL mode); the others are placeholders (NV): optional.
VERIFIED = {ft_settings.DATASET_COMMUNES}

_RELEASE = re.compile(r"^(\d{4}-Q[1-4])(?:-v\d+)?$")


def _parse(ob: Obtained) -> tuple[pl.DataFrame, str]:
    """One job-seeker file → (staged rows, release label)."""
    path = ob.file.path
    if ob.layout.form == "dares_communes":
        frame = parse_defm_communes(path)
        # A rolling export: its release label is its latest quarter.
        return frame, str(frame["period"].max()) if frame.height else ob.layout.vintage
    if ob.layout.form == "insee_defm_qpv":
        m = _RELEASE.fullmatch(ob.layout.vintage)
        if m is None:
            raise SourceFormatError(
                ob.file.url,
                "quarter of this DEFM QPV file unknown: name it …_<year>_T<quarter>.csv "
                f"(release label {ob.layout.vintage!r})",
            )
        return parse_defm_qpv(path, m.group(1)), ob.layout.vintage
    raise SourceFormatError(str(path), f"unknown DEFM form {ob.layout.form!r}")


def expected_defm_quarter(scheduled: datetime) -> str:
    """The quarter that ended before the scheduled run (28 January → Q4 of the year before)."""
    q = (scheduled.month - 1) // 3  # quarter index of the run's month, 0-based: the previous quarter is q
    return f"{scheduled.year - 1}-Q4" if q == 0 else f"{scheduled.year}-Q{q}"


def _share_rows(observations: pl.DataFrame) -> dict[str, MetadataValue]:
    share = observations["indicator_id"] == "defm_abc_part_commune_pct"
    return {"qpv_share_rows": MetadataValue.int(int(share.sum()))}


SOURCE = period_source(
    PeriodSourceSpec(
        name="defm",
        group="france_travail",
        datasets=(ft_settings.DATASET_COMMUNES, *ft_settings.DATASET_QPV.values()),
        verified=frozenset(VERIFIED),
        staging=Staging(_parse, DEFM_STAGED_SCHEMA, validate_defm_staged, key=quarter_key),
        series=Series(
            build=defm_series,
            validate=validate_defm_observations,
            catalog=defm_indicator_catalog,
            inputs=("territory_link",),
            catalog_of_staged=True,
        ),
        extra_metadata=_share_rows,
        totals=defm_staged_totals_not_adding_up,
        totals_rule="A+B+C = ABC, F+H = total, age bands = total; flagged (DARES rounding "
        "tolerated), never corrected",
        # Quarterly publication (DARES: about four weeks after the quarter ends, NV for the exact day):
        # the 28th of the month after each quarter; the sensor catches an earlier or later publication.
        schedule_name="quarterly_defm_refresh",
        cron="0 6 28 1,4,7,10 *",
        expected=expected_defm_quarter,
        catalogue_url=ft_settings.DEFM_COMMUNES_PERIODS_URL,
        period_field="date",
        catalogue_dataset=ft_settings.DATASET_COMMUNES,
        staged_doc="""\
Every job-seeker file of this build in one long table (territory × period × breakdown),
partitioned by quarter: the DARES `dares_defm_communales-brutes` export (T4 averages rounded to 5,
communes, arrondissements and the France line kept and labelled) and the QPV files (INSEE names,
one file per quarter and geography, republications included). A partition holds its quarter's rows
from every file (every release). Suppressed cells: NULL + `suppressed`, marker in `raw_value`.""",
        observations_doc="""\
`defm_observation`: job seekers as quarterly series per QPV (2015 and 2024 geographies, never
joined) and per commune (T4), gaps as `missing` rows, suppressed cells as `suppressed`, and the
share of the commune(s)' ABC job seekers living in each QPV (same quarter, from `territory_link`).
`defm_revisions`: quarters republished with another value (the later release wins). Reads every
quarter's partition of `stg_defm`.""",
        catalog_doc="""\
Catalog of the job-seeker indicators (`defm_*`): categories, sex, age bands, seniority, RSA,
training level, and the QPV share of the commune's job seekers.""",
    )
)

PUBLISHED: list[str] = []
ASSETS, CHECKS, STAGED, OBSERVATIONS, CATALOGS, JOBS, SCHEDULES, SENSORS, PERIODS, SERIES = SOURCE.plug_in()
