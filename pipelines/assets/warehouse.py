"""The `source_file` table and the `warehouse` asset, which publishes every table in one atomic swap."""

from pathlib import Path
from typing import cast

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, ResourceParam, asset

from checks.geography import SourceFileModel
from pipelines.assets import collect
from pipelines.assets import observations as _observations
from pipelines.assets import series as _series
from pipelines.fingerprint import record_for_build
from pipelines.resources import ParquetIOManager, SourcesResource, WarehouseResource
from pipelines.staged import distinct_values, staged_files, staged_rows
from warehouse.store import build_warehouse

# Every table the warehouse publishes, and every staged table whose source files it records.
PUBLISHED = [*(str(n) for n in collect("PUBLISHED")), *_series.PUBLISHED, *_observations.PUBLISHED]
STAGED = [str(n) for n in collect("STAGED")]
# Assets whose rows go into a table another asset publishes (table → assets).
EXTENDS: dict[str, list[str]] = {}
for _pair in collect("EXTENDS"):
    _table, _asset = cast(tuple[str, str], _pair)
    EXTENDS.setdefault(_table, []).append(_asset)
EXTENDING = [a for assets in EXTENDS.values() for a in assets]

SOURCE_FILE_SCHEMA: dict[str, pl.DataType] = {
    "sha256": pl.String(),
    "dataset": pl.String(),
    "vintage": pl.String(),
    "url": pl.String(),
    "file_name": pl.String(),
    "size_bytes": pl.Int64(),
    "fetched_at": pl.String(),
    "origin": pl.String(),
    "etag": pl.String(),
    "last_modified": pl.String(),
    "licence": pl.String(),
}


@asset(group_name="warehouse", deps=STAGED, compute_kind="polars")
def source_file(sources: SourcesResource, io_manager: ResourceParam[ParquetIOManager]) -> pl.DataFrame:
    """One row per official file behind this build (sha256, URL or local path, vintage, licence),
    read from the raw archive for every sha256 the staged tables carry (their `source_sha256` column
    only, read from the staged Parquet files)."""
    shas = distinct_values([f for name in STAGED for f in staged_files(io_manager, name)], "source_sha256")
    archive = sources.archive()
    rows = []
    for sha in sorted(shas):
        meta = archive.meta(sha)
        if meta is None:
            raise FileNotFoundError(
                f"raw file {sha} is referenced by a staged table but absent from the archive"
            )
        rows.append(
            {
                "sha256": sha,
                "dataset": meta["dataset"],
                "vintage": meta["vintage"],
                "url": meta["url"],
                "file_name": Path(str(meta["path"])).name,
                "size_bytes": meta["size"],
                "fetched_at": meta["fetched_at"],
                "origin": meta["origin"],
                "etag": meta.get("etag"),
                "last_modified": meta.get("last_modified"),
                "licence": meta.get("licence"),
            }
        )
    return SourceFileModel.validate(pl.DataFrame(rows, schema=SOURCE_FILE_SCHEMA))


@asset(group_name="warehouse", deps=[*PUBLISHED, *EXTENDING, "source_file"], compute_kind="duckdb")
def warehouse(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    io_manager: ResourceParam[ParquetIOManager],
) -> MaterializeResult:
    """The DuckDB warehouse: all published tables plus analyst views, built into a new file and
    swapped in atomically (readers never see a half-built warehouse). DuckDB reads the staged
    Parquet files of the published tables itself."""
    path = Path(warehouse.path)
    # What this build was made from (pipelines/fingerprint.py), recorded inside the file swapped in.
    info = {"run_id": context.run_id, "label": warehouse.label, **record_for_build(path)}
    tables = {
        name: [f for part in [name, *EXTENDS.get(name, [])] for f in staged_files(io_manager, part)]
        for name in [*PUBLISHED, "source_file"]
    }
    build_warehouse(path, tables, info)
    return MaterializeResult(
        metadata={"path": str(path), **{f"rows/{k}": staged_rows(v) for k, v in tables.items()}},
    )
