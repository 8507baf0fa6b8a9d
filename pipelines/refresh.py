"""Run a refresh in process (what `quartiers refresh` and the tests do), with progress on a console."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    JobDefinition,
    define_asset_job,
)
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.assets import collect
from pipelines.assets.periods import PeriodPartitions, keep_parsed
from pipelines.before_refresh import check_mirror, ensure_sample_mirror, print_scan
from pipelines.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from pipelines.definitions import ASSETS, CHECKS
from pipelines.fingerprint import (
    RecordingSources,
    RunState,
    code_fingerprint,
    previous_record,
    recording,
    unchanged,
)
from pipelines.inprocess import StepListener, execute_uncaptured
from pipelines.resources import (
    ParquetIOManager,
    SourcesResource,
    WarehouseResource,
    _scan_cached,
    resolve_env,
    resources_for,
)
from pipelines.runlock import run_lock
from sources._http import RawArchive
from warehouse.paths import sample_mirror

# Dagster's console logger silenced: the progress bar says what runs, and the report names the failure.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
PERIODS = [p for p in collect("PERIODS") if isinstance(p, PeriodPartitions)]


@dataclass
class RefreshReport:
    success: bool
    steps: list[str] = field(default_factory=list)
    failed_step: str | None = None
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    skipped: bool = False  # nothing changed: no step ran, the warehouse file was left untouched
    reason: str | None = None  # why it was skipped (or, with ``force``, that it was forced)


def run_refresh(
    *,
    home: Path,
    env: str | None = None,
    mirror: Path | None = None,
    files: list[Path] | None = None,
    only: list[str] | None = None,
    console: Console | None = None,
    force: bool = False,
    wait: bool = False,
    launched_by: str = "quartiers refresh",
    on_step: StepListener | None = None,
) -> RefreshReport:
    """Materialise the selected assets (all by default; ``only`` = asset groups and what depends on them);
    a period-partitioned asset (CAF years, job-seeker quarters) in every period its files hold.

    Stops before any step when nothing that shapes the warehouse changed (pipelines/fingerprint.py):
    the report says ``skipped`` and the warehouse file is not touched; ``force`` rebuilds anyway.

    One run at a time per home (pipelines/runlock.py): another one running, raises `RunLockedError`
    naming it at once, or with ``wait`` waits for it to end (saying so on the console). ``on_step(step,
    succeeded)`` is called as each step ends (bench/refresh.py times them)."""

    def waiting(holder: str) -> None:
        (console or Console(quiet=True)).print(f"[yellow]waiting for the refresh running: {holder}[/]")

    with run_lock(home, launched_by=launched_by, wait=wait, on_wait=waiting):
        return _run_refresh_locked(home, env, mirror, files, only, console, force, on_step)


def _run_refresh_locked(  # run_refresh's arguments, in its order, once the run lock is held
    home: Path,
    env: str | None,
    mirror: Path | None,
    files: list[Path] | None,
    only: list[str] | None,
    console: Console | None,
    force: bool,
    on_step: StepListener | None,
) -> RefreshReport:
    out = console or Console(quiet=True)
    env, mirror, files = resolve_env(env, mirror=mirror, files=files)
    if env == "sample":  # first use: the synthetic sample mirror is generated, one line says so
        ensure_sample_mirror(sample_mirror(home), console)
    elif env == "mirror" and mirror is not None:
        check_mirror(mirror, only)
    resources = resources_for(env, home=home, mirror=mirror, files=files)
    if files:  # what the local files hold, and what is ignored (and why), before any step
        sources = resources["sources"]
        assert isinstance(sources, SourcesResource)
        print_scan(_scan_cached(tuple(sources.files)), out)
    selection = AssetSelection.all() if not only else AssetSelection.groups(*only).downstream()
    # --- change detection (early stop) ---
    src = resources["sources"]
    assert isinstance(src, SourcesResource)
    resources["sources"] = src = RecordingSources(home=src.home, mirror=src.mirror, files=list(src.files))
    changes, same, why = _change_detection(resources, selection, force=force)
    if same:
        out.print(f"[green]{why}[/]; warehouse left as is")
        return RefreshReport(success=True, skipped=True, reason=why)
    out.print(f"[dim]rebuilding: {why}[/]")
    # --- end of change detection ---
    report = RefreshReport(success=False)
    # Disposed at the end of the run: an instance left to the garbage collector closes its sqlite
    # storage after the interpreter has torn sqlite down (« Cannot operate on a closed database »).
    with DagsterInstance.ephemeral() as instance, keep_parsed(), recording(changes):
        # Period partitions first (pipelines/assets/periods.py): the periods the files hold (or, for a
        # source not selected, the periods staged before), then one run per partitioned source over all
        # its periods, then one run of everything else, reading every partition: the warehouse is built
        # once, in the last run, and swapped atomically as before.
        try:
            job_defs, tags = _plan(selection, resources, instance)
        except _DiscoveryError as exc:  # listing periods parses the files: a bad file fails like its asset
            report.failed_step = exc.asset
            report.error = _name_urls(exc.message, resources["sources"].archive())  # type: ignore[attr-defined]
            return report
        n_steps = sum(len(j.graph.node_defs) for j in job_defs)
        progress = Progress(
            TextColumn("[bold]refresh[/]"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} {task.description}"),
            TimeElapsedColumn(),
            console=console or Console(quiet=True),
            transient=False,
        )
        task = progress.add_task("starting", total=n_steps)

        def listener(step: str, ok: bool) -> None:
            report.steps.append(step)
            progress.update(task, advance=1, description=step if ok else f"[red]{step} failed")
            if on_step is not None:
                on_step(step, ok)

        results = []
        with progress:
            for job_def, job_tags in zip(job_defs, tags, strict=True):
                results.append(
                    execute_uncaptured(
                        job_def, run_config=QUIET, instance=instance, tags=job_tags, on_step=listener
                    )
                )
                if not results[-1].success:
                    break  # the warehouse (last run) is not built: the previous one stays
                if PERIODS_TAG in job_tags:  # periods staged before and absent from these files
                    _prune(resources, job_def, job_tags[PERIODS_TAG].split(","))
    report.success = all(r.success for r in results)
    events = [e for r in results for e in r.all_events]
    for event in events:
        if event.is_step_failure and report.failed_step is None:
            report.failed_step = event.step_key
            data = event.step_failure_data
            report.error = (
                _root_message(data.error) if data is not None and data.error is not None else "unknown"
            )
        if event.is_step_materialization and event.asset_key is not None:
            md = event.materialization.metadata if event.materialization is not None else {}
            if "dagster/row_count" in md:
                report.rows[event.asset_key.to_user_string()] = int(md["dagster/row_count"].value)  # type: ignore[arg-type]
            elif "rows_in_run" in md:  # a partitioned asset: the rows of every partition of its run
                report.rows[event.asset_key.to_user_string()] = int(md["rows_in_run"].value)  # type: ignore[arg-type]
    if report.error:
        report.error = _name_urls(report.error, resources["sources"].archive())  # type: ignore[attr-defined]
    if not report.success and report.failed_step is None:
        failed_checks = [
            e.asset_check_evaluation_data.check_name  # type: ignore[union-attr]
            for e in events
            if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed  # type: ignore[union-attr]
        ]
        report.failed_step = ", ".join(failed_checks) or "unknown step"
        report.error = "blocking asset check failed" if failed_checks else "run failed"
    return report


def _change_detection(
    resources: dict[str, object], selection: AssetSelection, *, force: bool
) -> tuple[RunState, bool, str]:
    """The state the run records into the new warehouse, whether nothing changed, and why."""
    sources, wh = resources["sources"], resources["warehouse"]
    assert isinstance(sources, SourcesResource) and isinstance(wh, WarehouseResource)
    graph = Definitions(assets=ASSETS, asset_checks=CHECKS, resources=resources).resolve_asset_graph()  # type: ignore[arg-type]
    keys = selection.resolve(graph)
    op_of = {k: a.node_def.name for a in ASSETS for k in getattr(a, "keys", [])}  # type: ignore[attr-defined]
    state = RunState(
        home=Path(sources.home),
        warehouse=Path(wh.path),
        code=code_fingerprint(wh.label),
        selected_ops={op_of[k] for k in keys if k in op_of},
        all_ops=set(op_of.values()),
        previous=previous_record(Path(wh.path)),
    )
    if force:
        return state, False, "forced (--force)"
    same, why = unchanged(
        state.previous, code=state.code, selected_ops=state.selected_ops, home=state.home, sources=sources
    )
    return state, same, why


class _DiscoveryError(Exception):
    """Listing a source's periods failed: the staged asset, and the message naming the file."""

    def __init__(self, asset: str, message: str) -> None:
        super().__init__(f"{asset}: {message}")
        self.asset, self.message = asset, message


def _plan(
    selection: AssetSelection, resources: dict[str, object], instance: DagsterInstance
) -> tuple[list[JobDefinition], list[dict[str, str]]]:
    """The runs of a refresh and their tags: one per partitioned source selected (every period its
    files hold, in one run: the assets' single-run backfill policy), then everything else. Registers
    every source's periods in `instance` (the unpartitioned assets read all of them)."""
    graph = Definitions(assets=ASSETS, asset_checks=CHECKS, resources=resources).resolve_asset_graph()  # type: ignore[arg-type]
    selected = {k.to_user_string() for k in selection.resolve(graph)}
    io = resources["io_manager"]
    assert isinstance(io, ParquetIOManager)
    partitioned: list[str] = []
    jobs, tags = [], []
    for periods in PERIODS:
        partitioned.extend(periods.assets)
        mine = [a for a in periods.assets if a in selected]
        if mine:
            try:
                keys = periods.discover(resources["sources"])  # type: ignore[arg-type]
            except Exception as exc:
                raise _DiscoveryError(mine[0], _exception_message(exc)) from exc
        else:
            keys = periods.staged_keys(Path(io.home))
        instance.add_dynamic_partitions(periods.name, keys)
        if mine and keys:
            stage = AssetSelection.assets(*mine)
            jobs.append(define_asset_job(f"refresh_{periods.name}", selection=stage))
            tags.append(
                {
                    ASSET_PARTITION_RANGE_START_TAG: keys[0],
                    ASSET_PARTITION_RANGE_END_TAG: keys[-1],
                    PERIODS_TAG: ",".join(keys),
                }
            )
    rest = selection - AssetSelection.assets(*partitioned)
    jobs.append(define_asset_job("refresh", selection=rest))
    tags.append({})
    defs = Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=jobs, resources=resources)  # type: ignore[arg-type]
    return [defs.resolve_job_def(j.name) for j in jobs], tags


PERIODS_TAG = "quartiers/periods"  # the periods a partitioned run of a refresh stages


def _prune(resources: dict[str, object], job_def: JobDefinition, keep: list[str]) -> None:
    """After a refresh staged every period its files hold: drop the partitions of other periods (a file
    no longer given), so what is staged is what the files say, as for an unpartitioned table."""
    io = resources["io_manager"]
    assert isinstance(io, ParquetIOManager)
    for key in job_def.asset_layer.selected_asset_keys:
        io.prune_partitions(key.to_user_string(), keep)


def _exception_message(exc: BaseException) -> str:
    """Like `_root_message`, for an exception raised here: the deepest of our own errors, else itself."""
    chain: list[BaseException] = [exc]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    ours = _ours()
    named = [e for e in chain if type(e).__name__ in ours]
    chosen = named[-1] if named else exc
    return "".join(traceback.format_exception_only(type(chosen), chosen)).strip()


_RAW_PATH = re.compile(r"(\S*/raw/[0-9a-f]{2}/([0-9a-f]{64})/[^\s,:!]+)")


def _name_urls(message: str, archive: RawArchive) -> str:
    """A parser names the raw archive copy it read; the user knows the file by its URL or path."""

    def named(match: re.Match[str]) -> str:
        meta = archive.meta(match.group(2))
        return f"{meta['url']} (raw copy {match.group(1)})" if meta else match.group(1)

    return _RAW_PATH.sub(named, message)


def _ours() -> set[str]:
    from sources._errors import QuartiersError

    names: set[str] = set()
    todo: list[type] = [QuartiersError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _root_message(error: object) -> str:
    """The parser's words, not Dagster's wrapper: the deepest of our own errors in the cause chain
    (it names the file, row and column; what it was raised from is a detail), else the innermost."""
    chain = [error]
    while getattr(chain[-1], "cause", None) is not None:
        chain.append(chain[-1].cause)  # type: ignore[attr-defined]
    ours = _ours()
    named = [e for e in chain if getattr(e, "cls_name", None) in ours]
    chosen = named[-1] if named else chain[-1]
    return str(getattr(chosen, "message", chosen)).strip()
