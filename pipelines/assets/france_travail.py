"""Job seekers registered at France Travail (DEFM): the DARES communal export (T4 of each year) and the
quarterly files by QPV (2015 and 2024 geographies); series with gaps, revisions, the QPV share of its
commune(s)' job seekers.

Partitions: `stg_defm` is partitioned by quarter (dynamic partitions `defm_period`, keys `2024-Q4`; why
dynamic rather than time windows: pipelines/assets/periods.py). Every file is read (the DARES export
is one rolling file holding every T4 since 2015) and each quarter's rows, all releases included (a
republished `_v2` file meets the first release), land in `<home>/staged/stg_defm/<quarter>.parquet`.
`defm_observations` (revisions, gaps, the QPV share pairing a QPV quarter with its commune's quarter)
and everything after it are unpartitioned and read every quarter. The quarterly schedule runs the
partition of the quarter just ended; the newer-period sensor adds and runs a quarter the DARES
catalogue announces. `quartiers refresh` lists the quarters of the files and stages them in one run.
"""

import re
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

from checks.france_travail import (
    DARES_ROUNDING_TOLERANCE,
    defm_totals_not_adding_up,
    validate_defm_observations,
    validate_defm_staged,
)
from models.france_travail import defm_indicator_catalog, defm_observations, defm_share_of_commune
from models.observation import empty_observations
from models.series import REVISION_LOG_SCHEMA, build_series, resolve_revisions
from pipelines.assets.periods import PeriodPartitions, by_partition, keys_of, obtained, parsed, quarter_key
from pipelines.assets.series import SHARED_DOWNSTREAM, newer_period_sensor, period_schedule
from pipelines.resources import Obtained, SourcesResource
from sources._errors import SourceFormatError
from sources.france_travail import (
    DEFM_STAGED_SCHEMA,
    parse_defm_communes,
    parse_defm_qpv,
)
from sources.france_travail import settings as s

GROUP = "france_travail"


VERIFIED = {s.DATASET_COMMUNES}



DATASETS = [s.DATASET_COMMUNES, *s.DATASET_QPV.values()]
STAGED_SCHEMA: dict[str, pl.DataType] = {
    **DEFM_STAGED_SCHEMA,
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),
    "source_sha256": pl.String(),
}
_RELEASE = re.compile(r"^(\d{4}-Q[1-4])(?:-v\d+)?$")


def _parse(ob: Obtained) -> pl.DataFrame:
    path = ob.file.path
    if ob.layout.form == "dares_communes":
        frame = parse_defm_communes(path)
        # A rolling export: its release label is its latest quarter.
        vintage = str(frame["period"].max()) if frame.height else ob.layout.vintage
    elif ob.layout.form == "insee_defm_qpv":
        m = _RELEASE.fullmatch(ob.layout.vintage)
        if m is None:
            raise SourceFormatError(
                ob.file.url,
                "quarter of this DEFM QPV file unknown: name it …_<year>_T<quarter>.csv "
                f"(release label {ob.layout.vintage!r})",
            )
        frame = parse_defm_qpv(path, m.group(1))
        vintage = ob.layout.vintage
    else:
        raise SourceFormatError(str(path), f"unknown DEFM form {ob.layout.form!r}")
    return frame.with_columns(
        pl.lit(ob.layout.dataset).alias("source_dataset"),
        pl.lit(vintage).alias("source_vintage"),
        pl.lit(ob.file.sha256).alias("source_sha256"),
    )


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


defm_period = DynamicPartitionsDefinition(name="defm_period")


def _stage_all(sources: SourcesResource) -> pl.DataFrame:
    """Every job-seeker file of this build parsed into one staged frame (all quarters and releases)."""
    frames = []
    for dataset in DATASETS:
        for ob in obtained(sources, dataset, required=False if dataset not in VERIFIED else None):
            frames.append(parsed(ob, _parse))
    if not frames:
        return pl.DataFrame(schema=STAGED_SCHEMA)
    staged = pl.concat([f.select(list(STAGED_SCHEMA)) for f in frames])
    validate_defm_staged(staged.drop("source_dataset", "source_vintage", "source_sha256"))
    return staged


def discover_defm_periods(sources: SourcesResource) -> list[str]:
    """The quarters (partition keys) the job-seeker files of this build hold."""
    return keys_of(_stage_all(sources), quarter_key)


def _staged(frame: pl.DataFrame) -> pl.DataFrame:
    """The staged DEFM table as loaded (every partition); no partition yet → empty, typed."""
    return frame if frame.width else pl.DataFrame(schema=STAGED_SCHEMA)


@asset(
    group_name=GROUP,
    compute_kind="polars",
    partitions_def=defm_period,
    backfill_policy=BackfillPolicy.single_run(),
)
def stg_defm(context: AssetExecutionContext, sources: SourcesResource) -> dict[str, pl.DataFrame]:
    """Every job-seeker file of this build in one long table (territory × period × breakdown),
    partitioned by quarter: the DARES `dares_defm_communales-brutes` export (T4 averages rounded to 5,
    communes, arrondissements and the France line kept and labelled) and the QPV files (INSEE names,
    one file per quarter and geography, republications included). A partition holds its quarter's rows
    from every file (every release). Suppressed cells: NULL + `suppressed`, marker in `raw_value`."""
    return by_partition(_stage_all(sources), context.partition_keys, quarter_key, context.log.warning)


def _commune_links(territory_link: pl.DataFrame) -> pl.DataFrame:
    """QPV → commune links in the shape models.series.share_of_parent expects."""
    return territory_link.filter(
        pl.col("child_kind").is_in(["qpv2015", "qpv2024"]) & (pl.col("parent_kind") == "commune")
    ).select(
        "child_code",
        pl.col("child_kind").alias("child_geo_version"),
        "parent_code",
    )


def defm_series(stg: pl.DataFrame, territory_link: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations with explicit gaps and the QPV share of commune, revision log).

    Per file: observations (models.france_travail). A quarter given by two releases: the later wins,
    the change is logged. Gaps: quarterly for the QPV files, yearly (T4 only) for the DARES export.
    The share (`defm_abc_part_commune_pct`) is computed on the resolved figures, same quarter only."""
    parts = [
        defm_observations(group, source_dataset=str(d), source_vintage=str(v), sha256=str(sha))
        for (d, v, sha), group in stg.group_by(
            ["source_dataset", "source_vintage", "source_sha256"], maintain_order=True
        )
    ]
    if not parts:
        return empty_observations(), pl.DataFrame(schema=REVISION_LOG_SCHEMA)
    obs = pl.concat(parts)
    resolved, logs = [], []
    for (dataset,), group in obs.group_by(["source_dataset"], maintain_order=True):
        latest, changes = resolve_revisions(group)
        logs.append(changes)
        resolved.append((str(dataset), latest))
    latest_all = pl.concat([f for _, f in resolved])
    # The share exists only for quarters the communes are published for (the DARES export: T4 only);
    # a QPV quarter without any commune figure is not a gap of the share, it is outside its cadence.
    commune_periods = latest_all.filter(pl.col("territory_kind") == "commune")["period"].unique()
    share = defm_share_of_commune(
        latest_all.filter(pl.col("period").is_in(commune_periods.implode())), _commune_links(territory_link)
    )
    out = []
    for dataset, frame in resolved:
        step = 4 if dataset == s.DATASET_COMMUNES else 1
        out.append(build_series(frame, step=step).with_columns(pl.col("source_dataset").fill_null(dataset)))
    if share.height:
        share = share.with_columns(pl.lit("defm_qpv_part_commune").alias("source_dataset"))
        out.append(
            build_series(share, step=4).with_columns(
                pl.col("source_dataset").fill_null("defm_qpv_part_commune")
            )
        )
    series = pl.concat(out).with_columns(pl.col("method").fill_null("published"))
    return series, pl.concat(logs)


@multi_asset(
    group_name=GROUP,
    compute_kind="polars",
    outs={"defm_observations": AssetOut(), "defm_revisions": AssetOut()},
)
def defm_observations_asset(
    stg_defm: pl.DataFrame, territory_link: pl.DataFrame
) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """`defm_observations`: job seekers as quarterly series per QPV (2015 and 2024 geographies, never
    joined) and per commune (T4), gaps as `missing` rows, suppressed cells as `suppressed`, and the
    share of the commune(s)' ABC job seekers living in each QPV (same quarter, from `territory_link`).
    `defm_revisions`: quarters republished with another value (the later release wins). Reads every
    quarter's partition of `stg_defm`."""
    obs, log = defm_series(_staged(stg_defm), territory_link)
    validate_defm_observations(obs)
    meta: dict[str, MetadataValue] = {
        "revisions": MetadataValue.int(log.height),
        "revisions_preview": _preview(log),
        "gaps": MetadataValue.int(int((obs["status"] == "missing").sum())),
        "suppressed": MetadataValue.int(int((obs["status"] == "suppressed").sum())),
        "qpv_share_rows": MetadataValue.int(int((obs["indicator_id"] == "defm_abc_part_commune_pct").sum())),
    }
    return (
        Output(obs, output_name="defm_observations", metadata=meta),
        Output(log, output_name="defm_revisions", metadata={"revisions": log.height}),
    )


@asset(group_name=GROUP, compute_kind="polars")
def defm_indicators(stg_defm: pl.DataFrame) -> pl.DataFrame:
    """Catalog of the job-seeker indicators (`defm_*`): categories, sex, age bands, seniority, RSA,
    training level, and the QPV share of the commune's job seekers."""
    return defm_indicator_catalog(_staged(stg_defm))


@asset_check(
    asset=stg_defm,
    blocking=False,
    description="A+B+C = ABC, F+H = total, age bands = total; flagged (DARES rounding "
    "tolerated), never corrected",
)
def defm_totals_add_up(stg_defm: pl.DataFrame) -> AssetCheckResult:
    stg_defm = _staged(stg_defm)
    dares = stg_defm.filter(pl.col("layout") == "dares_communes")
    other = stg_defm.filter(pl.col("layout") != "dares_communes")
    bad = pl.concat(
        [
            defm_totals_not_adding_up(dares, tolerance=DARES_ROUNDING_TOLERANCE),
            defm_totals_not_adding_up(other),
        ]
    )
    return AssetCheckResult(
        passed=bad.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={"rows_not_adding_up": bad.height, "rows": _preview(bad, 50)},
    )


# --- partitions, jobs, schedule, sensor -----------------------------------------------------------------
PERIODS = [PeriodPartitions(defm_period, ("stg_defm",), discover_defm_periods)]
OWN_ASSETS = ["stg_defm", "defm_observations", "defm_revisions", "defm_indicators"]
# A quarter's run: its partition of stg_defm, then the unpartitioned series and what publishes them.
defm_newer_period_affected = [*OWN_ASSETS, *SHARED_DOWNSTREAM]
refresh_defm = define_asset_job("refresh_defm", selection=AssetSelection.assets(*defm_newer_period_affected))


def expected_defm_quarter(scheduled: datetime) -> str:
    """The quarter that ended before the scheduled run (28 January → Q4 of the year before)."""
    q = (scheduled.month - 1) // 3  # quarter index of the run's month, 0-based: the previous quarter is q
    return f"{scheduled.year - 1}-Q4" if q == 0 else f"{scheduled.year}-Q{q}"


# Quarterly publication (DARES: about four weeks after the quarter ends, NV for the exact day): the
# 28th of the month after each quarter; the sensor catches an earlier or later publication.
quarterly_defm = period_schedule(
    name="quarterly_defm_refresh",
    cron_schedule="0 6 28 1,4,7,10 *",
    job=refresh_defm,
    partitions_def=defm_period,
    expected=expected_defm_quarter,
    affected=defm_newer_period_affected,
)
defm_newer_period = newer_period_sensor(
    name="defm_newer_period",
    job=refresh_defm,
    catalogue_url=s.DEFM_COMMUNES_PERIODS_URL,
    period_field="date",
    staged_asset="stg_defm",
    dataset=s.DATASET_COMMUNES,
    affected=defm_newer_period_affected,
    partitions_def=defm_period,
    key=quarter_key,
)

ASSETS = [stg_defm, defm_observations_asset, defm_indicators]
CHECKS = [defm_totals_add_up]
STAGED = ["stg_defm"]
PUBLISHED: list[str] = []
OBSERVATIONS = ["defm_observations"]
CATALOGS = ["defm_indicators"]
JOBS = [refresh_defm]
SCHEDULES = [quarterly_defm]
SENSORS = [defm_newer_period]
