"""The `source_file` table and the `warehouse` asset, which publishes every table in one atomic swap."""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetIn, MaterializeResult, asset

from checks.geography import SourceFileModel
from pipelines.assets import collect
from pipelines.assets import observations as _observations
from pipelines.resources import SourcesResource, WarehouseResource
from warehouse.store import build_warehouse

# Every table the warehouse publishes, and every staged table whose source files it records.
PUBLISHED = [*(str(n) for n in collect("PUBLISHED")), *_observations.PUBLISHED]
STAGED = [str(n) for n in collect("STAGED")]

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


@asset(group_name="warehouse", ins={name: AssetIn(name) for name in STAGED}, compute_kind="polars")
def source_file(sources: SourcesResource, **staged: pl.DataFrame) -> pl.DataFrame:
    """One row per official file behind this build (sha256, URL or local path, vintage, licence),
    read from the raw archive for every sha256 the staged tables carry."""
    shas: set[str] = set()
    for frame in staged.values():
        if "source_sha256" in frame.columns:
            shas.update(s for s in frame["source_sha256"].unique().to_list() if s)
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


@asset(
    group_name="warehouse",
    ins={name: AssetIn(name) for name in [*PUBLISHED, "source_file"]},
    compute_kind="duckdb",
)
def warehouse(
    context: AssetExecutionContext, warehouse: WarehouseResource, **tables: pl.DataFrame
) -> MaterializeResult:
    """The DuckDB warehouse: all published tables plus analyst views, built into a new file and
    swapped in atomically (readers never see a half-built warehouse)."""
    path = Path(warehouse.path)
    info = {"run_id": context.run_id, "label": warehouse.label}
    build_warehouse(path, dict(tables), info)
    return MaterializeResult(
        metadata={"path": str(path), **{f"rows/{k}": v.height for k, v in tables.items()}},
    )
