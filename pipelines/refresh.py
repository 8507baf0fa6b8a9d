"""Run a refresh in process (what `quartiers refresh` and the tests do), with progress on a console."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    HookContext,
    define_asset_job,
    failure_hook,
    success_hook,
)
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.definitions import ASSETS, CHECKS
from pipelines.resources import resources_for
from sources._http import RawArchive

_STEP_LISTENERS: list[Callable[[str, bool], None]] = []
# Dagster's console logger silenced: the progress bar says what runs, and the report names the failure.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@success_hook
def _step_succeeded(context: HookContext) -> None:
    for listener in _STEP_LISTENERS:
        listener(context.op.name, True)


@failure_hook
def _step_failed(context: HookContext) -> None:
    for listener in _STEP_LISTENERS:
        listener(context.op.name, False)


@dataclass
class RefreshReport:
    success: bool
    steps: list[str] = field(default_factory=list)
    failed_step: str | None = None
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)


def run_refresh(
    *,
    home: Path,
    env: str | None = None,
    mirror: Path | None = None,
    files: list[Path] | None = None,
    only: list[str] | None = None,
    console: Console | None = None,
) -> RefreshReport:
    """Materialise the selected assets (all by default; ``only`` = asset groups and what depends on them)."""
    resources = resources_for(env, home=home, mirror=mirror, files=files)
    selection = AssetSelection.all() if not only else AssetSelection.groups(*only).downstream()
    job = define_asset_job("refresh", selection=selection, hooks={_step_succeeded, _step_failed})
    defs = Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=[job], resources=resources)  # type: ignore[arg-type]
    job_def = defs.resolve_job_def("refresh")
    n_steps = len(job_def.graph.node_defs)
    report = RefreshReport(success=False)
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

    _STEP_LISTENERS.append(listener)
    try:
        with progress:
            result = job_def.execute_in_process(
                run_config=QUIET, instance=DagsterInstance.ephemeral(), raise_on_error=False
            )
    finally:
        _STEP_LISTENERS.remove(listener)
    report.success = result.success
    for event in result.all_events:
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
    if report.error:
        report.error = _name_urls(report.error, resources["sources"].archive())  # type: ignore[attr-defined]
    if not result.success and report.failed_step is None:
        failed_checks = [
            e.asset_check_evaluation_data.check_name  # type: ignore[union-attr]
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed  # type: ignore[union-attr]
        ]
        report.failed_step = ", ".join(failed_checks) or "unknown step"
        report.error = "blocking asset check failed" if failed_checks else "run failed"
    return report


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
