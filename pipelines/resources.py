"""Dagster resources: where files come from (HTTP, a mirror, or local files) and where things land.

The environment picks them (``QUARTIERS_ENV``): ``sample`` reads the synthetic sample mirror,
``mirror`` a mirror directory given by ``QUARTIERS_MIRROR``, ``files`` local files given by
``QUARTIERS_FILES`` (os.pathsep-separated), ``live`` the official URLs.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from dagster import (
    ConfigurableIOManager,
    ConfigurableResource,
    InitResourceContext,
    InputContext,
    MetadataValue,
    OutputContext,
)

from pipelines.runlock import run_lock
from sources._errors import FetchError, SourceFormatError
from sources._faults import checkpoint
from sources._http import FetchedFile, Fetcher, RawArchive
from sources.registry import Layout, ScanResult, default_urls, scan
from warehouse.paths import default_home, sample_mirror, warehouse_path

__all__ = ["default_home", "sample_mirror"]


@dataclass(frozen=True)
class Obtained:
    """A file obtained for a dataset, with the layout that says how to parse it."""

    file: FetchedFile
    layout: Layout
    member: str | None = None


class SourcesResource(ConfigurableResource):  # type: ignore[type-arg]
    """Obtains the files of a dataset from local files, a mirror, or the official URLs."""

    home: str
    mirror: str | None = None
    files: list[str] = []  # noqa: RUF012 (pydantic field)

    def archive(self) -> RawArchive:
        return RawArchive(Path(self.home) / "raw")

    def fetcher(self) -> Fetcher:
        return Fetcher(self.archive(), mirror=Path(self.mirror) if self.mirror else None)

    def obtain(self, dataset: str, *, required: bool | None = None) -> list[Obtained]:
        """Files of a dataset. By default a URL dataset is required, a local one optional."""
        if required is None:
            required = not self.files
        if self.files:
            return self._local(dataset, required=required)
        entries = default_urls().get(dataset, [])
        if not entries and required:
            raise FetchError(f"no URL known for dataset {dataset}")
        fetcher = self.fetcher()
        out = []
        for e in entries:
            try:
                fetched = fetcher.fetch(e.url, dataset=dataset, vintage=e.vintage, licence=e.licence)
            except FetchError:
                if required:
                    raise
                continue
            out.append(Obtained(fetched, Layout(dataset, e.form, e.vintage), e.member))
        return out

    def _local(self, dataset: str, *, required: bool) -> list[Obtained]:
        result = _scan_cached(tuple(self.files))
        matching = [(p, lay) for p, lay in result.recognised if lay.dataset == dataset]
        if not matching and required:
            raise FetchError(
                f"no file for dataset {dataset!r} among the local files given ({len(self.files)} path(s))"
            )
        fetcher = self.fetcher()
        out: list[Obtained] = []
        by_key: dict[tuple[str, str], tuple[Path, str]] = {}
        for path, layout in matching:
            licence = next((e.licence for e in default_urls().get(dataset, [])), "")
            fetched = fetcher.register_local(path, dataset=dataset, vintage=layout.vintage, licence=licence)
            key = (layout.dataset, layout.vintage)
            if key in by_key and by_key[key][1] != fetched.sha256:
                raise SourceFormatError(
                    str(path),
                    f"claims the same dataset and vintage {key} as {by_key[key][0]} with different contents; "
                    "remove one of them",
                )
            if key in by_key:
                continue  # the same file twice: once is enough
            by_key[key] = (path, fetched.sha256)
            out.append(Obtained(fetched, layout))
        return out


_SCAN_CACHE: dict[tuple[object, ...], ScanResult] = {}


def _scan_cached(files: tuple[str, ...]) -> ScanResult:
    """`scan` once per set of local files: every dataset's asset asks for it, and recognising a whole
    folder reads the head of each file (seconds on a real folder). Keyed by every file's path, size and
    mtime, and by the recognisers registered, so a changed file or a new source scans again."""
    signature: list[tuple[str, int, int]] = []
    for given in map(Path, files):
        found = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for p in found:
            try:
                st = p.stat()
            except OSError:
                continue
            signature.append((str(p), st.st_size, st.st_mtime_ns))
    key = (files, tuple(signature))
    if key not in _SCAN_CACHE:
        _SCAN_CACHE.clear()
        _SCAN_CACHE[key] = scan([Path(p) for p in files])
    return _SCAN_CACHE[key]


class ParquetIOManager(ConfigurableIOManager):  # type: ignore[type-arg]
    """Stages each asset's frame as ``<home>/staged/<asset>.parquet``, written atomically.

    A partitioned asset (period partitions, pipelines/assets/periods.py) returns ``{partition key:
    frame}`` for exactly the partitions of its run; each lands in ``<home>/staged/<asset>/<key>.parquet``,
    written atomically one by one (a partition already written stays whole if a later one fails).
    Loading a partitioned asset reads the partitions asked for (all of them for an unpartitioned
    consumer) and concatenates them; no partition at all gives an empty frame without columns, which
    the consumer gives its schema.

    An asset not selected in a run keeps its last staged frame, so ``refresh --only SOURCE`` rebuilds
    the warehouse from fresh tables for that source and the previous ones for the rest.
    """

    home: str

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[ParquetIOManager]:
        """Every asset writes through this IO manager: a run launched by Dagster (schedule, sensor,
        ``dagster job execute``) holds the home's run lock from its first step to its last
        (pipelines/runlock.py; the run's steps share one process: definitions.py's executor). Under
        `quartiers refresh` this process already holds it, and it is entered again without locking."""
        run = context.dagster_run
        what = f"dagster run {run.run_id} (job {run.job_name})" if run is not None else "dagster"
        with run_lock(Path(self.home), launched_by=what):
            yield self

    def _path(self, key: list[str]) -> Path:
        return Path(self.home) / "staged" / ("__".join(key) + ".parquet")

    def _partition_path(self, key: list[str], partition: str) -> Path:
        if not PARTITION_KEY.fullmatch(partition):
            raise ValueError(f"partition key {partition!r} is not a period label (YYYY or YYYY-Qn)")
        return Path(self.home) / "staged" / "__".join(key) / f"{partition}.parquet"

    def files_for(self, asset: str, *, partitioned: bool) -> list[Path]:
        """The Parquet file(s) staged for `asset`: one for a plain asset, one per staged partition for a
        partitioned one (none before its first partition, as `load_input` then gives an empty frame). A
        plain asset never staged is an error, worded as `load_input`'s."""
        if partitioned:
            return [self._partition_path([asset], key) for key in self.staged_partitions(asset)]
        path = self._path([asset])
        if not path.exists():
            raise FetchError(f"staged table {path.name} is absent: run a full refresh first")
        return [path]

    def staged_partitions(self, asset: str) -> list[str]:
        """Partition keys of `asset` staged on disk, sorted (none before its first materialisation)."""
        folder = Path(self.home) / "staged" / asset
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.parquet") if PARTITION_KEY.fullmatch(p.stem))

    def prune_partitions(self, asset: str, keep: list[str]) -> list[str]:
        """Delete the staged partitions of `asset` whose key is not in `keep`; the keys deleted."""
        gone = [k for k in self.staged_partitions(asset) if k not in set(keep)]
        for key in gone:
            self._partition_path([asset], key).unlink(missing_ok=True)
        return gone

    @staticmethod
    def _write(obj: pl.DataFrame, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        obj.write_parquet(tmp)
        checkpoint("stage.written")
        os.replace(tmp, path)

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | Mapping[str, pl.DataFrame]) -> None:
        if obj is None:
            return
        key = list(context.asset_key.path)
        if context.has_asset_partitions:
            wanted = set(context.asset_partition_keys)
            if not isinstance(obj, Mapping) or set(obj) != wanted:
                given = sorted(obj) if isinstance(obj, Mapping) else type(obj).__name__
                raise ValueError(
                    f"partitioned asset {context.asset_key.to_user_string()} must return one frame per "
                    f"partition of its run {sorted(wanted)}; got {given}"
                )
            for partition in sorted(obj):
                self._write(obj[partition], self._partition_path(key, partition))
            rows = {p: obj[p].height for p in sorted(obj)}
            context.add_output_metadata(
                {
                    # Rows of the partitions this run wrote (one materialisation event per partition).
                    "rows_in_run": sum(rows.values()),
                    "rows_by_partition": MetadataValue.json(rows),
                    "path": str(self._path(key).with_suffix("")),
                }
            )
            return
        if not isinstance(obj, pl.DataFrame):
            raise ValueError(f"asset {context.asset_key.to_user_string()} must return a polars DataFrame")
        path = self._path(key)
        self._write(obj, path)
        context.add_output_metadata({"dagster/row_count": obj.height, "path": str(path)})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        key = list(context.asset_key.path)
        if context.has_asset_partitions:
            frames = []
            for partition in sorted(context.asset_partition_keys):
                path = self._partition_path(key, partition)
                if not path.exists():
                    raise FetchError(
                        f"staged partition {'__'.join(key)}/{path.name} is absent: "
                        "materialise that period (or run a full refresh) first"
                    )
                frames.append(pl.read_parquet(path))
            return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
        path = self._path(key)
        if not path.exists():
            raise FetchError(f"staged table {path.name} is absent: run a full refresh first")
        return pl.read_parquet(path)


# A partition key names a file: period labels only (pipelines/assets/periods.py PARTITION_KEY).
PARTITION_KEY = re.compile(r"^\d{4}(?:-Q[1-4])?$")


def resolve_env(
    env: str | None = None, *, mirror: Path | None = None, files: list[Path] | None = None
) -> tuple[str, Path | None, list[Path] | None]:
    """The environment a refresh runs in, with its mirror and local files; explicit arguments win over
    ``QUARTIERS_ENV`` / ``QUARTIERS_MIRROR`` / ``QUARTIERS_FILES``, files over a mirror over the env."""
    env = env or os.environ.get("QUARTIERS_ENV", "sample")
    if files is None and os.environ.get("QUARTIERS_FILES"):
        files = [Path(p) for p in os.environ["QUARTIERS_FILES"].split(os.pathsep)]
    if mirror is None and os.environ.get("QUARTIERS_MIRROR"):
        mirror = Path(os.environ["QUARTIERS_MIRROR"])
    if files:
        env = "files"
    elif mirror is not None:
        env = "mirror"
    return env, mirror, files


def resources_for(
    env: str | None = None,
    *,
    home: Path | None = None,
    mirror: Path | None = None,
    files: list[Path] | None = None,
) -> dict[str, object]:
    """Resources for an environment; explicit arguments win over environment variables."""
    home = (home or default_home()).resolve()
    env, mirror, files = resolve_env(env, mirror=mirror, files=files)
    if env == "sample":
        mirror = sample_mirror(home)
    elif env == "live":
        mirror = None
    elif env not in ("mirror", "files"):
        raise ValueError(f"unknown QUARTIERS_ENV {env!r} (sample, mirror, files, live)")
    sources = SourcesResource(
        home=str(home),
        mirror=str(mirror) if mirror else None,
        files=[str(p.resolve()) for p in files or []],
    )
    return {
        "sources": sources,
        "io_manager": ParquetIOManager(home=str(home)),
        "warehouse": WarehouseResource(path=str(warehouse_path(home)), label=_label(env)),
    }


def _label(env: str) -> str:
    return "données synthétiques" if env == "sample" else "données officielles"


class WarehouseResource(ConfigurableResource):  # type: ignore[type-arg]
    """The DuckDB warehouse file, and the label shown on everything built from it."""

    path: str
    label: str = "données officielles"
