"""Period partitions of the sources whose rows are per period (CAF: years, job seekers: quarters).

Why dynamic partitions (``DynamicPartitionsDefinition``) and not time windows: a partition is a period
the publisher *has published*, found in its files (``discover``) or announced by its catalogue (the
newer-period sensor). A time-window definition would invent every window from a start date to today
(dozens of empty quarters: the DARES export has only the T4s, the QPV files start in different years)
and would turn a period outside the window (an early or late publication, an older file) into an
error or a silent drop; its keys would also be window starts (``2024-10-01`` for 2024-Q4). Here the
keys are the period labels themselves (``2024`` for CAF counts as of 31 December 2024, ``2024-Q4``).

How a staged asset is partitioned: every file of the source is still read (a rolling export holds
many periods, and a period republished by a later file must meet its older release), and the asset
returns ``{partition key: rows of that period}`` for the partitions of the run only (one, from the
sensor or a schedule; all of them, in one run, from ``quartiers refresh``: a single-run backfill
policy). Each partition keeps every release of its period, so the unpartitioned series assets
downstream, which read every partition, still compare releases and log revisions.

Which periods exist: `quartiers refresh` registers the periods its files hold in its (ephemeral)
instance, stages them, and drops staged partitions of periods no longer in the files. A daemon's
instance learns the periods staged on disk from the schedule and the sensor (`staged_partition_requests`,
added before their run), so an unpartitioned asset run there reads the same partitions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from dagster import AddDynamicPartitionsRequest, BetaWarning, DynamicPartitionsDefinition

from pipelines.resources import PARTITION_KEY, Obtained, ParquetIOManager, SourcesResource

# The single-run backfill policy (one run stages every period of a source) is marked beta in Dagster 1.13;
# it is the documented way to do this, and its warning would be printed on every `quartiers refresh`.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)


@dataclass(frozen=True)
class PeriodPartitions:
    """A source's period partitions: the definition, the assets partitioned by it, and how to list
    the partitions its files hold (``discover(sources)``: sorted keys; files are parsed once per
    refresh, see ``parsed``)."""

    partitions_def: DynamicPartitionsDefinition
    assets: tuple[str, ...]
    discover: Callable[[SourcesResource], list[str]]

    def __post_init__(self) -> None:
        REGISTERED.append(self)  # every source's periods, for `staged_partition_requests`

    @property
    def name(self) -> str:
        return str(self.partitions_def.name)

    def staged_keys(self, home: Path) -> list[str]:
        """Periods staged on disk for every asset of these partitions (sorted)."""
        io = ParquetIOManager(home=str(home))
        return sorted(set.intersection(*(set(io.staged_partitions(a)) for a in self.assets)))


REGISTERED: list[PeriodPartitions] = []


def staged_partition_requests(home: Path) -> list[AddDynamicPartitionsRequest]:
    """Requests adding, for every source, the periods staged under `home` (the Dagster instance of a
    daemon learns the periods a `quartiers refresh`, run on an ephemeral instance, staged; the
    unpartitioned assets read the partitions the instance knows). Adding a known key does nothing."""
    return [p.partitions_def.build_add_request(keys) for p in REGISTERED if (keys := p.staged_keys(home))]


def year_key(period: pl.Expr) -> pl.Expr:
    """Yearly partition key of a period label (``2024-12-31``, ``2024``): its year."""
    return period.str.slice(0, 4)


def quarter_key(period: pl.Expr) -> pl.Expr:
    """Quarterly partition key of a period label: ``2024-Q4`` as is; a date ``2024-12-31`` → its quarter."""
    month = period.str.slice(5, 2).cast(pl.Int32, strict=False)
    from_date = period.str.slice(0, 4) + "-Q" + ((month - 1) // 3 + 1).cast(pl.String)
    return pl.when(period.str.contains(r"^\d{4}-Q[1-4]$")).then(period).otherwise(from_date)


def keys_of(frame: pl.DataFrame, key: Callable[[pl.Expr], pl.Expr]) -> list[str]:
    """Sorted partition keys of the rows of a staged frame (its ``period`` column)."""
    if frame.is_empty():
        return []
    keys = frame.select(key(pl.col("period")).alias("k"))["k"].unique().sort().to_list()
    bad = [k for k in keys if k is None or not PARTITION_KEY.fullmatch(str(k))]
    if bad:
        raise ValueError(f"periods that make no partition key: {bad[:5]}")
    return [str(k) for k in keys]


def by_partition(
    frame: pl.DataFrame,
    keys: Iterable[str],
    key: Callable[[pl.Expr], pl.Expr],
    warn: Callable[[str], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """The rows of each requested partition (every release of its period). A requested period the
    files do not hold yet gives an empty partition, with a warning: the publisher has not published
    it (a schedule ahead of the publication); rows of periods not requested belong to other runs."""
    tagged = frame.with_columns(key(pl.col("period")).alias("_partition"))
    out: dict[str, pl.DataFrame] = {}
    for k in keys:
        part = tagged.filter(pl.col("_partition") == k).drop("_partition")
        if part.is_empty() and warn is not None:
            warn(f"period {k}: no row in the files of this run (not published yet?); partition left empty")
        out[k] = part
    return out


# --- one parse per refresh -----------------------------------------------------------------------------
# `quartiers refresh` lists the partitions (obtaining and parsing every file) before it materialises
# them: the files obtained and frames parsed then are kept here (frames by file content and layout) and
# taken back by the staged asset of the same process. Outside a refresh (a sensor or schedule run)
# nothing is kept and the asset obtains and parses itself.
_PARSED: dict[tuple[str, str, str, str], pl.DataFrame] = {}
_KEEPING: list[bool] = []


_OBTAINED: dict[tuple[str, str | None, tuple[str, ...], str, bool | None], list[Obtained]] = {}


def obtained(sources: SourcesResource, dataset: str, *, required: bool | None = None) -> list[Obtained]:
    """`sources.obtain(dataset)`, fetched (or copied into the archive) once per refresh."""
    key = (sources.home, sources.mirror, tuple(sources.files), dataset, required)
    hit = _OBTAINED.pop(key, None)
    if hit is not None:
        return hit
    out = sources.obtain(dataset, required=required)
    if _KEEPING:
        _OBTAINED[key] = out
    return out


def _ob_key(ob: Obtained) -> tuple[str, str, str, str]:
    return (ob.file.sha256, ob.layout.dataset, ob.layout.form, ob.layout.vintage)


def parsed(ob: Obtained, parse: Callable[[Obtained], pl.DataFrame]) -> pl.DataFrame:
    """`parse(ob)`, or the frame a partition discovery of this refresh parsed (taken, not copied)."""
    hit = _PARSED.pop(_ob_key(ob), None)
    if hit is not None:
        return hit
    frame = parse(ob)
    if _KEEPING:
        _PARSED[_ob_key(ob)] = frame
    return frame


@contextmanager
def keep_parsed() -> Iterator[None]:
    """While active, files obtained and frames parsed are kept for the next caller; cleared on exit."""
    _KEEPING.append(True)
    try:
        yield
    finally:
        _KEEPING.pop()
        if not _KEEPING:
            _PARSED.clear()
            _OBTAINED.clear()
