"""CAF / Cnaf allocataires: data.caf.fr commune export, INSEE's Cnaf base by QPV (2015 and 2024
geographies) and by IRIS; observations as yearly series (counts as of 31 December), revisions logged.

Partitions: `stg_caf` is partitioned by year (dynamic partitions `caf_period`, key `2024` for the counts
as of 31 December 2024; why dynamic rather than time windows: pipelines/assets/periods.py). Every file
is read (a data.caf.fr export holds many years) and each year's rows, all releases included, land in
`<home>/staged/stg_caf/<year>.parquet`. `caf_observations` (revisions compared across releases, gaps)
and everything after it are unpartitioned and read every year. The yearly schedule (1 July) runs the
partition of the previous year; the newer-period sensor adds and runs a year the catalogue announces.
`quartiers refresh` lists the years of the files and stages them all in one run.
"""

from datetime import datetime

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetOut,
    AssetSelection,
    BackfillPolicy,
    DynamicPartitionsDefinition,
    MetadataValue,
    Output,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
)

from checks.caf import caf_totals_not_adding_up, validate_caf_observations, validate_caf_staged
from models.caf import aggregate_iris_to_commune, caf_indicator_catalog, caf_observations
from models.observation import empty_observations
from models.series import build_series, resolve_revisions
from pipelines.assets.periods import PeriodPartitions, by_partition, keys_of, obtained, parsed, year_key
from pipelines.assets.series import SHARED_DOWNSTREAM, newer_period_sensor, period_schedule
from pipelines.resources import Obtained, SourcesResource
from sources._errors import SourceFormatError
from sources.caf import CAF_STAGED_SCHEMA, parse_cnaf_base, parse_ods_export
from sources.caf import settings as s

GROUP = "caf"

# --- registry: official URLs and content recogniser ----------------------------------------------------


# Datasets whose URLs are verified (required in URL mode); the others are placeholders (NV): optional.
VERIFIED = {s.DATASET_ODS_COMMUNE}



DATASETS = [s.DATASET_ODS_COMMUNE, s.DATASET_ODS_IRIS, s.DATASET_CNAF_IRIS, *s.DATASET_CNAF_QPV.values()]

STAGED_SCHEMA: dict[str, pl.DataType] = {
    **CAF_STAGED_SCHEMA,
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),
    "source_sha256": pl.String(),
}


def _parse(ob: Obtained) -> pl.DataFrame:
    path = ob.file.path
    if ob.layout.form == "insee_cnaf":
        year = int(ob.layout.vintage) if ob.layout.vintage.isdigit() else None
        frame = parse_cnaf_base(path, year)
        vintage = frame["period"][0][:4] if frame.height else ob.layout.vintage
    elif ob.layout.form == "ods_export":
        frame = parse_ods_export(path)
        # A rolling export: its release label is its latest reference month (sorts chronologically).
        vintage = str(frame["period"].max())[:7] if frame.height else ob.layout.vintage
    else:
        raise SourceFormatError(str(path), f"unknown CAF form {ob.layout.form!r}")
    return frame.with_columns(
        pl.lit(ob.layout.dataset).alias("source_dataset"),
        pl.lit(vintage).alias("source_vintage"),
        pl.lit(ob.file.sha256).alias("source_sha256"),
    )


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


caf_period = DynamicPartitionsDefinition(name="caf_period")


def _stage_all(sources: SourcesResource) -> pl.DataFrame:
    """Every CAF file of this build parsed into one staged frame (all years, all releases), validated."""
    frames = []
    for dataset in DATASETS:
        for ob in obtained(sources, dataset, required=False if dataset not in VERIFIED else None):
            frames.append(parsed(ob, _parse))
    if not frames:
        return pl.DataFrame(schema=STAGED_SCHEMA)
    staged = pl.concat([f.select(list(STAGED_SCHEMA)) for f in frames])
    validate_caf_staged(staged.drop("source_dataset", "source_vintage", "source_sha256"))
    return staged


def discover_caf_periods(sources: SourcesResource) -> list[str]:
    """The years (partition keys) the CAF files of this build hold."""
    return keys_of(_stage_all(sources), year_key)


def _staged(frame: pl.DataFrame) -> pl.DataFrame:
    """The staged CAF table as loaded (every partition); no partition yet → empty, typed."""
    return frame if frame.width else pl.DataFrame(schema=STAGED_SCHEMA)


@asset(
    group_name=GROUP,
    compute_kind="polars",
    partitions_def=caf_period,
    backfill_policy=BackfillPolicy.single_run(),
)
def stg_caf(context: AssetExecutionContext, sources: SourcesResource) -> dict[str, pl.DataFrame]:
    """Every CAF file of this build in one long table (one row per territory × period × variable),
    partitioned by year: data.caf.fr `s_ben_com_f` (foyers by benefit, communes, Decembers), INSEE's
    Cnaf base by QPV (2015 and 2024 geographies) and by IRIS. A partition holds its year's rows from
    every file (every release). Suppressed cells: value NULL, status `suppressed`, the marker in
    `raw_value`. Unlocated codes kept (kind `unlocated`)."""
    return by_partition(_stage_all(sources), context.partition_keys, year_key, context.log.warning)


def caf_series(stg: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations with explicit gaps, revision log) from the staged CAF table.

    Per file: observations (models.caf); IRIS parts also summed to their commune. A period given by two
    releases of a dataset: the later release wins (resolve_revisions, by release label), the change is
    logged. Then each yearly series gets its missing years as explicit `missing` rows."""
    parts = []
    for (dataset, vintage, sha), group in stg.group_by(
        ["source_dataset", "source_vintage", "source_sha256"], maintain_order=True
    ):
        obs = caf_observations(
            group, source_dataset=str(dataset), source_vintage=str(vintage), sha256=str(sha)
        )
        parts.append(obs)
        if (obs["territory_kind"] == "iris").any():
            parts.append(aggregate_iris_to_commune(obs))
    if not parts:
        return empty_observations(), pl.DataFrame(schema=_log_schema())
    obs = pl.concat(parts)
    resolved, log = [], []
    for (dataset,), group in obs.group_by(["source_dataset"], maintain_order=True):
        latest, changes = resolve_revisions(group)
        series = build_series(latest).with_columns(
            pl.col("source_dataset").fill_null(str(dataset)),
            pl.col("method").fill_null("published"),
        )
        resolved.append(series)
        log.append(changes)
    return pl.concat(resolved), pl.concat(log)


def _log_schema() -> dict[str, pl.DataType]:
    from models.series import REVISION_LOG_SCHEMA

    return REVISION_LOG_SCHEMA


@multi_asset(
    group_name=GROUP,
    compute_kind="polars",
    outs={"caf_observations": AssetOut(), "caf_revisions": AssetOut()},
)
def caf_observations_asset(
    stg_caf: pl.DataFrame,
) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """`caf_observations`: CAF figures as yearly series (period = 31 December), one series per
    territory and geography (qpv2015, qpv2024, IRIS/COG of the release year: never joined), gaps as
    `missing` rows, suppressed cells as `suppressed`. `caf_revisions`: periods republished with another
    value (the later release wins). Reads every year's partition of `stg_caf`."""
    obs, log = caf_series(_staged(stg_caf))
    validate_caf_observations(obs)
    meta: dict[str, MetadataValue] = {
        "revisions": MetadataValue.int(log.height),
        "revisions_preview": _preview(log),
        "gaps": MetadataValue.int(int((obs["status"] == "missing").sum())),
        "suppressed": MetadataValue.int(int((obs["status"] == "suppressed").sum())),
    }
    return (
        Output(obs, output_name="caf_observations", metadata=meta),
        Output(log, output_name="caf_revisions", metadata={"revisions": log.height}),
    )


@asset(group_name=GROUP, compute_kind="polars")
def caf_indicators(caf_observations: pl.DataFrame) -> pl.DataFrame:
    """Catalog of the CAF indicators (Cnaf base variables, data.caf.fr benefits), ids `caf_*` shared
    with INSEE's QPV bases (same unit and aggregation: counts, summed)."""
    return caf_indicator_catalog(caf_observations)


@asset_check(
    asset=stg_caf,
    blocking=False,
    description="Totals add up (A = AI+AM+ACSSENF+ACAVENF, ENF = sum of age bands); flagged, never corrected",
)
def caf_totals_add_up(stg_caf: pl.DataFrame) -> AssetCheckResult:
    bad = caf_totals_not_adding_up(_staged(stg_caf))
    return AssetCheckResult(
        passed=bad.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={"rows_not_adding_up": bad.height, "rows": _preview(bad, 50)},
    )


# --- partitions, jobs, schedule, sensor -----------------------------------------------------------------
PERIODS = [PeriodPartitions(caf_period, ("stg_caf",), discover_caf_periods)]
OWN_ASSETS = ["stg_caf", "caf_observations", "caf_revisions", "caf_indicators"]
# A period's run: its partition of stg_caf, then the unpartitioned CAF series and what publishes them.
AFFECTED = [*OWN_ASSETS, *SHARED_DOWNSTREAM]
refresh_caf = define_asset_job("refresh_caf", selection=AssetSelection.assets(*AFFECTED))


def expected_caf_year(scheduled: datetime) -> str:
    """Counts as of 31 December of year Y are published in the first half of Y+1 (data.caf.fr, NV):
    the run of 1 July Y+1 expects year Y."""
    return str(scheduled.year - 1)


# A yearly run on 1 July for the previous year; the sensor catches an earlier publication.
yearly_caf = period_schedule(
    name="yearly_caf_refresh",
    cron_schedule="0 5 1 7 *",
    job=refresh_caf,
    partitions_def=caf_period,
    expected=expected_caf_year,
    affected=AFFECTED,
)
caf_newer_period = newer_period_sensor(
    name="caf_newer_period",
    job=refresh_caf,
    catalogue_url=s.ODS_PERIODS_URL.format(dataset_id=s.S_BEN_COM_F),
    period_field=s.ODS_DATE,
    staged_asset="stg_caf",
    dataset=s.DATASET_ODS_COMMUNE,
    affected=AFFECTED,
    partitions_def=caf_period,
    key=year_key,
)

ASSETS = [stg_caf, caf_observations_asset, caf_indicators]
CHECKS = [caf_totals_add_up]
STAGED = ["stg_caf"]
PUBLISHED: list[str] = []
OBSERVATIONS = ["caf_observations"]
CATALOGS = ["caf_indicators"]
JOBS = [refresh_caf]
SCHEDULES = [yearly_caf]
SENSORS = [caf_newer_period]
