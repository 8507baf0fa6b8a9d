"""Where the IO manager staged an asset's frame, for the assets that read staged Parquet straight.

`source_file` needs one column of every staged table (the 2.3 M-row grid included) and the warehouse
copies whole tables into DuckDB: loading each frame into Python through the IO manager only to read a
column or hand it to DuckDB cost minutes and gigabytes at national scale. These assets depend on the
staged assets with ``deps=`` and ask the IO manager (the ``io_manager`` resource, whose path logic this
module reuses) for the files: DuckDB ``read_parquet`` or a Polars column projection reads them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl
from dagster import AssetsDefinition

from pipelines.resources import ParquetIOManager


@cache
def partitioned_assets() -> frozenset[str]:
    """Names of the assets that have partitions (staged one file per partition)."""
    from pipelines.assets import collect

    names: set[str] = set()
    for a in collect("ASSETS"):
        if isinstance(a, AssetsDefinition) and a.partitions_def is not None:
            names.update(k.to_user_string() for k in a.keys)
    return frozenset(names)


def staged_files(io_manager: ParquetIOManager, asset: str) -> list[Path]:
    """The Parquet file(s) the IO manager staged for `asset` (`ParquetIOManager.files_for`), knowing from
    the definitions whether it is partitioned."""
    return io_manager.files_for(asset, partitioned=asset in partitioned_assets())


def distinct_values(files: list[Path], column: str) -> set[str]:
    """Distinct non-empty values of one string column over staged files, reading that column only;
    files without the column are skipped."""
    out: set[str] = set()
    for f in files:
        if column not in pl.read_parquet_schema(f):
            continue
        values = pl.scan_parquet(f).select(pl.col(column).cast(pl.String)).unique().collect()[column]
        out.update(v for v in values.to_list() if v)
    return out


def staged_rows(files: list[Path]) -> int:
    """Rows of staged files, from their Parquet footers."""
    return sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files)
