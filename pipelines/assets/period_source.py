"""One factory for the sources whose rows are per period (CAF: years, job seekers: quarters).

A source gives a `PeriodSourceSpec` (its datasets, how a file is parsed, its partition key, its totals
rule, its publication cron and publisher catalogue); `period_source` builds what every such source has:

- `stg_<name>`: every file parsed into one long staged table, partitioned by period (dynamic partitions
  `<name>_period`, why: pipelines/assets/periods.py), provenance columns added, validated;
- `<name>_observation` and `<name>_revisions` (one multi-asset, `<name>_observation_asset`): the
  source's series and its revision log, unpartitioned, read every period's partition;
- `<name>_indicators`: the indicator catalog;
- the check `<name>_totals_add_up` on the staged table (flagged, never corrected);
- the job `refresh_<name>`, the schedule at the publisher's cadence and the sensor
  `<name>_newer_period`, all selecting the same assets: the source's own and what is built from them.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    AssetOut,
    AssetsDefinition,
    AssetSelection,
    BackfillPolicy,
    DynamicPartitionsDefinition,
    MetadataValue,
    Output,
    ScheduleDefinition,
    SensorDefinition,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
)

from pipelines.assets.period_triggers import SHARED_DOWNSTREAM, newer_period_sensor, period_schedule
from pipelines.assets.periods import PeriodPartitions, by_partition, keys_of, obtained, parsed
from pipelines.dagster_private import UnresolvedAssetJobDefinition
from pipelines.resources import Obtained, SourcesResource

PROVENANCE: dict[str, pl.DataType] = {
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),
    "source_sha256": pl.String(),
}


@dataclass(frozen=True)
class Staging:
    """How a file of the source becomes staged rows."""

    parse: Callable[[Obtained], tuple[pl.DataFrame, str]]  # one file → (staged rows, release label)
    schema: Mapping[str, pl.DataType]  # the parser's schema (provenance columns are added here)
    validate: Callable[[pl.DataFrame], object]
    key: Callable[[pl.Expr], pl.Expr]  # period label → partition key (pipelines.assets.periods)


@dataclass(frozen=True)
class Series:
    """How the staged rows become series of observations, and their catalog."""

    build: Callable[..., tuple[pl.DataFrame, pl.DataFrame]]  # (staged, *inputs) → (obs, revisions)
    validate: Callable[[pl.DataFrame], object]
    catalog: Callable[[pl.DataFrame], pl.DataFrame]  # catalog of the observations (or of the staged rows)
    inputs: tuple[str, ...] = ()  # other assets the series read (e.g. territory_link)
    catalog_of_staged: bool = False  # the catalog reads the staged table rather than the observations


@dataclass(frozen=True)
class PeriodSourceSpec:
    """What makes one per-period source. Texts (`*_doc`, `totals_rule`) are the Dagster descriptions."""

    name: str  # asset-name stem: stg_<name>, <name>_observation, <name>_period, refresh_<name>…
    group: str  # Dagster group of its assets
    datasets: tuple[str, ...]  # registry datasets read, in this order
    verified: frozenset[str]  # datasets whose URLs are verified: required in URL mode, the others optional
    staging: Staging
    series: Series
    totals: Callable[[pl.DataFrame], pl.DataFrame]  # staged rows → rows whose totals do not add up
    totals_rule: str
    schedule_name: str
    cron: str  # the publisher's cadence, Europe/Paris
    expected: Callable[[datetime], str]  # scheduled time → the partition key expected then
    catalogue_url: str  # the publisher's catalogue query listing its periods (newer-period sensor)
    period_field: str  # the field of that catalogue holding the period
    catalogue_dataset: str  # the dataset whose latest staged period is compared with the catalogue's
    staged_doc: str
    observations_doc: str
    catalog_doc: str
    extra_metadata: Callable[[pl.DataFrame], dict[str, MetadataValue]] | None = None  # of the observations


class PlugIn(NamedTuple):
    """What a source module of pipelines/assets defines to plug in (see pipelines/assets/__init__.py)."""

    ASSETS: list[AssetsDefinition]
    CHECKS: list[AssetChecksDefinition]
    STAGED: list[str]
    OBSERVATIONS: list[str]
    CATALOGS: list[str]
    JOBS: list[UnresolvedAssetJobDefinition]
    SCHEDULES: list[ScheduleDefinition]
    SENSORS: list[SensorDefinition]
    PERIODS: list[PeriodPartitions]
    SERIES: list[tuple[str, str, str]]  # (source label, observations asset, revisions asset)


@dataclass(frozen=True)
class PeriodSource:
    """The Dagster definitions of one per-period source, built by `period_source`."""

    spec: PeriodSourceSpec
    partitions_def: DynamicPartitionsDefinition
    staged_schema: dict[str, pl.DataType]
    staged: AssetsDefinition
    observations: AssetsDefinition
    catalog: AssetsDefinition
    check: AssetChecksDefinition
    affected: list[str]  # a period's run: its staged partition, the series, what publishes them
    job: UnresolvedAssetJobDefinition
    schedule: ScheduleDefinition
    sensor: SensorDefinition
    periods: list[PeriodPartitions]
    discover: Callable[[SourcesResource], list[str]]
    stage_all: Callable[[SourcesResource], pl.DataFrame]
    # Its asset names from the stem: stg_<name>, <name>_observation, <name>_revisions, <name>_indicator.
    staged_name: str
    observations_name: str
    revisions_name: str
    catalog_name: str

    def plug_in(self) -> PlugIn:
        """The lists the source module exports, in the order of `PlugIn`."""
        return PlugIn(
            ASSETS=[self.staged, self.observations, self.catalog],
            CHECKS=[self.check],
            STAGED=[self.staged_name],
            OBSERVATIONS=[self.observations_name],
            CATALOGS=[self.catalog_name],
            JOBS=[self.job],
            SCHEDULES=[self.schedule],
            SENSORS=[self.sensor],
            PERIODS=self.periods,
            SERIES=[(self.spec.group, self.observations_name, self.revisions_name)],
        )


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


def period_source(spec: PeriodSourceSpec) -> PeriodSource:
    """Every Dagster definition of the per-period source `spec` (see the module docstring)."""
    name = spec.name
    staged_name, obs_name, rev_name = f"stg_{name}", f"{name}_observation", f"{name}_revisions"
    catalog_name = f"{name}_indicator"
    schema: dict[str, pl.DataType] = {**spec.staging.schema, **PROVENANCE}
    partitions_def = DynamicPartitionsDefinition(name=f"{name}_period")

    def parse(ob: Obtained) -> pl.DataFrame:
        frame, vintage = spec.staging.parse(ob)
        return frame.with_columns(
            pl.lit(ob.layout.dataset).alias("source_dataset"),
            pl.lit(vintage).alias("source_vintage"),
            pl.lit(ob.file.sha256).alias("source_sha256"),
        )

    def stage_all(sources: SourcesResource) -> pl.DataFrame:
        """Every file of this build parsed into one staged frame (all periods, all releases), validated."""
        frames = []
        for dataset in spec.datasets:
            for ob in obtained(sources, dataset, required=False if dataset not in spec.verified else None):
                frames.append(parsed(ob, parse))
        if not frames:
            return pl.DataFrame(schema=schema)
        staged = pl.concat([f.select(list(schema)) for f in frames])
        spec.staging.validate(staged.drop(*PROVENANCE))
        return staged

    def discover(sources: SourcesResource) -> list[str]:
        """The periods (partition keys) the files of this build hold."""
        return keys_of(stage_all(sources), spec.staging.key)

    def as_staged(frame: pl.DataFrame) -> pl.DataFrame:
        """The staged table as loaded (every partition); no partition yet → empty, typed."""
        return frame if frame.width else pl.DataFrame(schema=schema)

    @asset(
        name=staged_name,
        description=inspect.cleandoc(spec.staged_doc),
        group_name=spec.group,
        compute_kind="polars",
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
    )
    def staged_asset(context: AssetExecutionContext, sources: SourcesResource) -> dict[str, pl.DataFrame]:
        return by_partition(stage_all(sources), context.partition_keys, spec.staging.key, context.log.warning)

    @multi_asset(
        name=f"{name}_observations_asset",
        description=inspect.cleandoc(spec.observations_doc),
        group_name=spec.group,
        compute_kind="polars",
        ins={n: AssetIn(dagster_type=pl.DataFrame) for n in (staged_name, *spec.series.inputs)},
        outs={obs_name: AssetOut(), rev_name: AssetOut()},
    )
    def observations_asset(**inputs: pl.DataFrame) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
        obs, log = spec.series.build(as_staged(inputs[staged_name]), *(inputs[n] for n in spec.series.inputs))
        spec.series.validate(obs)
        meta: dict[str, MetadataValue] = {
            "revisions": MetadataValue.int(log.height),
            "revisions_preview": _preview(log),
            "gaps": MetadataValue.int(int((obs["status"] == "missing").sum())),
            "suppressed": MetadataValue.int(int((obs["status"] == "suppressed").sum())),
            **(spec.extra_metadata(obs) if spec.extra_metadata is not None else {}),
        }
        return (
            Output(obs, output_name=obs_name, metadata=meta),
            Output(log, output_name=rev_name, metadata={"revisions": log.height}),
        )

    catalog_input = staged_name if spec.series.catalog_of_staged else obs_name

    @asset(
        name=catalog_name,
        description=inspect.cleandoc(spec.catalog_doc),
        group_name=spec.group,
        compute_kind="polars",
        ins={catalog_input: AssetIn(dagster_type=pl.DataFrame)},
    )
    def catalog_asset(**inputs: pl.DataFrame) -> pl.DataFrame:
        frame = inputs[catalog_input]
        return spec.series.catalog(as_staged(frame) if spec.series.catalog_of_staged else frame)

    @asset_check(
        asset=staged_asset, name=f"{name}_totals_add_up", blocking=False, description=spec.totals_rule
    )
    def totals_check(staged: pl.DataFrame) -> AssetCheckResult:
        bad = spec.totals(as_staged(staged))
        return AssetCheckResult(
            passed=bad.is_empty(),
            severity=AssetCheckSeverity.WARN,
            metadata={"rows_not_adding_up": bad.height, "rows": _preview(bad, 50)},
        )

    affected = [staged_name, obs_name, rev_name, catalog_name, *SHARED_DOWNSTREAM]
    job = define_asset_job(f"refresh_{name}", selection=AssetSelection.assets(*affected))
    return PeriodSource(
        staged_name=staged_name,
        observations_name=obs_name,
        revisions_name=rev_name,
        catalog_name=catalog_name,
        spec=spec,
        partitions_def=partitions_def,
        staged_schema=schema,
        staged=staged_asset,
        observations=observations_asset,
        catalog=catalog_asset,
        check=totals_check,
        affected=affected,
        job=job,
        schedule=period_schedule(
            name=spec.schedule_name,
            cron_schedule=spec.cron,
            job=job,
            partitions_def=partitions_def,
            expected=spec.expected,
            affected=affected,
        ),
        sensor=newer_period_sensor(
            name=f"{name}_newer_period",
            job=job,
            catalogue_url=spec.catalogue_url,
            period_field=spec.period_field,
            staged_asset=staged_name,
            dataset=spec.catalogue_dataset,
            affected=affected,
            partitions_def=partitions_def,
            key=spec.staging.key,
        ),
        periods=[PeriodPartitions(partitions_def, (staged_name,), discover)],
        discover=discover,
        stage_all=stage_all,
    )
