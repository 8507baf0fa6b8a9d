"""The `indicator` catalog and the `observation` table: every source's figures in one long table."""

import polars as pl
from dagster import AssetCheckResult, AssetIn, ResourceParam, asset, asset_check

from checks.observation import secret_not_ours
from models.observation import INDICATOR_SCHEMA, OBSERVATION_KEY, OBSERVATION_SCHEMA
from models.observation_best import with_best
from pipelines.assets import collect
from pipelines.resources import ParquetIOManager
from pipelines.staged import staged_files

OBSERVATION_INPUTS = [str(n) for n in collect("OBSERVATIONS")]
CATALOG_INPUTS = [str(n) for n in collect("CATALOGS")]

KEY = list(OBSERVATION_KEY)


def _conformed(frame: pl.LazyFrame) -> pl.LazyFrame:
    """models.observation.conform_observations on a lazy scan: missing columns as NULL, cast, ordered."""
    present = set(frame.collect_schema().names())
    return frame.select(
        (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in OBSERVATION_SCHEMA.items()
    )


@asset(group_name="warehouse", deps=OBSERVATION_INPUTS, compute_kind="polars")
def observation(io_manager: ResourceParam[ParquetIOManager]) -> pl.DataFrame:
    """Every figure of every source: indicator × territory × geography version × period, with value,
    numerator, denominator, status (published, suppressed = hidden by the producer, estimated, missing,
    not_applicable, not_computable = our sum or share that a secret part prevents, with parts_hidden of
    parts_total), method, interval, and the source file's sha256 and vintage; ``best`` marks the one
    figure per indicator, territory and period that views and fiches show (`observation_best`)."""
    # The sources' staged files are scanned and concatenated lazily: one copy of the rows in memory.
    scans = [
        _conformed(pl.scan_parquet(f)) for name in OBSERVATION_INPUTS for f in staged_files(io_manager, name)
    ]
    if not scans:
        return pl.DataFrame(schema={**OBSERVATION_SCHEMA, "best": pl.Boolean()})
    out = pl.concat(scans).collect()
    # Key uniqueness on a 64-bit hash of each key first (8 bytes a row instead of the key's strings),
    # then exactly on the few rows whose hash repeats (true duplicates, or a hash collision).
    candidates = out.filter(out.select(KEY).hash_rows().is_duplicated())
    dupes = candidates.filter(candidates.select(KEY).is_duplicated())
    if dupes.height:
        sample = dupes.select(KEY).head(5).to_dicts()
        raise ValueError(f"{dupes.height} observations share a key {KEY}; e.g. {sample}")
    # The figure views and fiches show is chosen here, once (models/observation_best.py): the warehouse
    # build does not rank millions of rows.
    return with_best(out)


@asset(group_name="warehouse", ins={n: AssetIn(n) for n in CATALOG_INPUTS}, compute_kind="polars")
def indicator(**frames: pl.DataFrame) -> pl.DataFrame:
    """The indicator catalog: id, French label, definition, unit, numerator and denominator, whether
    it sums across territories, source and method; one row per indicator of every source."""
    parts = [
        f.select(
            [
                pl.col(c).cast(t) if c in f.columns else pl.lit(None, t).alias(c)
                for c, t in INDICATOR_SCHEMA.items()
            ]
        )
        for f in frames.values()
    ]
    out = pl.concat(parts) if parts else pl.DataFrame(schema=INDICATOR_SCHEMA)
    # Two sources may publish the same concept (Cnaf allocataires: CAF files and INSEE's QPV bases):
    # one id, provided both agree on what it is (unit and aggregation rule); the first wording wins.
    clash = (
        out.group_by("indicator_id")
        .agg(pl.struct("unit", "aggregation", "summable").n_unique().alias("n"))
        .filter(pl.col("n") > 1)["indicator_id"]
        .to_list()
    )
    if clash:
        raise ValueError(
            f"indicator ids defined differently by two sources (unit/aggregation): {sorted(clash)[:20]}"
        )
    return out.unique(subset="indicator_id", keep="first", maintain_order=True)


@asset_check(
    asset=observation,
    additional_ins={"indicator": AssetIn("indicator")},
    blocking=True,
    description="Every observation's indicator is in the catalog",
)
def observations_have_a_catalog_entry(
    io_manager: ResourceParam[ParquetIOManager], indicator: pl.DataFrame
) -> AssetCheckResult:
    # Only the indicator_id column of the staged observations is read.
    ids_seen = pl.scan_parquet(staged_files(io_manager, "observation")).group_by("indicator_id").len()
    unknown = ids_seen.join(indicator.lazy().select("indicator_id"), on="indicator_id", how="anti").collect()
    ids = unknown["indicator_id"].sort().to_list()
    return AssetCheckResult(
        passed=not ids, metadata={"unknown_ids": ", ".join(ids[:30]), "rows": int(unknown["len"].sum())}
    )


@asset_check(
    asset=observation,
    blocking=True,
    description="« secret statistique » only where the producer hid a figure; our sums say not_computable",
)
def secret_only_from_the_producer(io_manager: ResourceParam[ParquetIOManager]) -> AssetCheckResult:
    scan = pl.scan_parquet(staged_files(io_manager, "observation"))
    bad = secret_not_ours(scan).group_by("source_dataset", "method", "status").len().collect()
    return AssetCheckResult(
        passed=bad.is_empty(),
        metadata={"rows": int(bad["len"].sum()) if bad.height else 0, "where": str(bad.head(10).to_dicts())},
    )


ASSETS = [observation, indicator]
CHECKS = [observations_have_a_catalog_entry, secret_only_from_the_producer]
PUBLISHED = ["observation", "indicator"]
