"""`observation` and `source_file` read the staged Parquet files themselves (no whole frame through the
IO manager): same rows, partitions included, duplicated keys refused, every sha256 recorded."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from models.observation import OBSERVATION_SCHEMA, conform_observations
from pipelines.assets.observations import OBSERVATION_INPUTS, observation
from pipelines.assets.warehouse import STAGED, source_file
from pipelines.resources import ParquetIOManager, SourcesResource
from pipelines.staged import partitioned_assets, staged_files
from sources._errors import FetchError
from sources._http import Fetcher
from tests.frames import observation_rows


def _obs(codes: list[str], dataset: str, **extra: object) -> pl.DataFrame:
    return observation_rows(codes, source_dataset=dataset, source_vintage="2024", **extra)


def _stage(io: ParquetIOManager, name: str, frame: pl.DataFrame, partition: str = "2024") -> None:
    """Write a frame where the IO manager would have staged it (a partition file for a partitioned asset)."""
    path = io._partition_path([name], partition) if name in partitioned_assets() else io._path([name])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)


def _stage_observations(io: ParquetIOManager, duplicate: bool = False) -> int:
    rows = 0
    for i, name in enumerate(OBSERVATION_INPUTS):
        codes = [f"QN{i}{j:04d}" for j in range(i + 1)]
        frame = _obs(codes, dataset=name)
        if i == 0:
            frame = frame.drop("method").with_columns(pl.lit("published").alias("method"))  # column order
        if i == 1:
            frame = frame.select(c for c in frame.columns if c != "status")  # a missing column: NULL
        if duplicate and i == 2:
            frame = pl.concat([frame, frame.head(1).with_columns(pl.lit(99.0).alias("value"))])
        _stage(io, name, frame)
        rows += frame.height
    return rows


def test_observation_concatenates_the_staged_frames(tmp_path: Path) -> None:
    io = ParquetIOManager(home=str(tmp_path))
    rows = _stage_observations(io)
    out = observation(io_manager=io)
    assert isinstance(out, pl.DataFrame)
    assert out.schema == pl.Schema({**OBSERVATION_SCHEMA, "best": pl.Boolean()})
    assert out.height == rows
    figures = out.drop("best")
    assert figures.equals(conform_observations(figures))
    # one figure flagged per indicator, territory and period (models/observation_best.py)
    groups = out.select("territory_kind", "territory_code", "indicator_id", "period").n_unique()
    assert out["best"].sum() == groups
    assert out.filter(pl.col("source_dataset") == OBSERVATION_INPUTS[1])["status"].null_count() == 2
    assert set(out["source_dataset"]) == set(OBSERVATION_INPUTS)


def test_observation_refuses_a_duplicated_key(tmp_path: Path) -> None:
    io = ParquetIOManager(home=str(tmp_path))
    _stage_observations(io, duplicate=True)
    with pytest.raises(ValueError, match=r"^2 observations share a key") as err:
        observation(io_manager=io)
    assert "QN20000" in str(err.value)


def test_a_plain_staged_table_never_written_is_named(tmp_path: Path) -> None:
    io = ParquetIOManager(home=str(tmp_path))
    plain = next(n for n in OBSERVATION_INPUTS if n not in partitioned_assets())
    with pytest.raises(FetchError, match=f"staged table {plain}.parquet is absent"):
        staged_files(io, plain)
    # a partitioned table with no partition yet has no file, like the IO manager's empty load
    for name in partitioned_assets():
        assert staged_files(io, name) == []


def test_source_file_reads_every_sha_of_the_staged_tables(tmp_path: Path) -> None:
    io = ParquetIOManager(home=str(tmp_path))
    sources = SourcesResource(home=str(tmp_path))
    fetcher = Fetcher(sources.archive())
    shas = []
    for i, name in enumerate(STAGED):
        raw = tmp_path / f"file{i}.csv"
        raw.write_text(f"contents {i}\n")
        sha = fetcher.register_local(raw, dataset=f"ds{i}", vintage="2024", licence="lo").sha256
        shas.append(sha)
        if i == 1:  # a staged table without sha256 column contributes nothing
            _stage(io, name, pl.DataFrame({"code": ["a"]}))
            continue
        frame = pl.DataFrame({"code": ["a", "b", "c"], "source_sha256": [sha, sha, None]})
        _stage(io, name, frame)
        if name in partitioned_assets():  # a second partition, another file
            _stage(io, name, frame.with_columns(pl.lit("").alias("source_sha256")), partition="2023")
    out = source_file(sources=sources, io_manager=io)
    assert isinstance(out, pl.DataFrame)
    assert sorted(out["sha256"]) == sorted(s for i, s in enumerate(shas) if i != 1)
    assert set(out["licence"]) == {"lo"}
    # a sha256 a staged table names but the raw archive lacks is an error
    _stage(io, STAGED[0], pl.DataFrame({"source_sha256": ["0" * 64]}))
    with pytest.raises(FileNotFoundError, match="absent from the archive"):
        source_file(sources=sources, io_manager=io)
