"""Change detection for `quartiers refresh`: stop early when nothing that shapes the warehouse changed.

What shapes the warehouse, and is therefore recorded *inside* it (``warehouse_info`` key
``refresh_fingerprint``, written by the ``warehouse`` asset into the file that is swapped in atomically,
so a killed or failed refresh can never leave a record that does not describe the published file):

- ``code``: a sha256 over the package and library versions (quartiers, dagster, duckdb, polars,
  pandera), the Python version, the warehouse label (sample or official data), and the bytes of every
  file that turns source files into tables: ``sources/``, ``models/``, ``checks/``,
  ``pipelines/assets/``, ``pipelines/definitions.py``, ``pipelines/resources.py``, this module,
  ``warehouse/*.sql``, ``warehouse/store.py``, ``warehouse/spatial.py``, ``warehouse/baseline_store.py``
  and ``contracts/*.toml`` (see ``CODE_PATHS``). Any edit there rebuilds; reading ~200 small files
  takes milliseconds.
- ``ops``: which datasets each Dagster step obtained during the run that built the warehouse (recorded
  by ``RecordingSources``, a ``SourcesResource`` that notes every ``obtain``), so that
  ``refresh --only GROUP`` checks the files of the selected steps only. The ``contract_baseline`` step
  reads the frozen-baseline store (``<home>/baselines``), recorded as the pseudo-dataset ``baselines``.
- ``inputs``: per dataset, the sorted ``[url, vintage, sha256, member]`` of every file obtained (the
  fetch layer gives the sha256: a mirror or local file is hashed, an HTTP URL is asked with its
  ETag / Last-Modified and answers 304 with the archived copy). ``null`` when unknown (a partial run
  mixed an old and a new file).
- ``staged``: size and mtime of every staged Parquet file when the warehouse was built: a later run
  that re-staged a table and then failed leaves a difference, and the next refresh rebuilds.

A refresh stops early ("nothing changed") when, for the steps it selects, the recorded code fingerprint
equals the current one, every step is known, every dataset of those steps yields the same files, and
every staged file recorded is present and unchanged. Not an input: the build date (a contract
evaluation is dated by the build that made it). A partial refresh (``--only``) keeps the previous
record for the steps it did not run; if that record was missing or the code changed, or a staged
file it did not write differs from the record, the code fingerprint is recorded as ``mixed`` (never
equal), so the next full refresh rebuilds everything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.resources import Obtained, SourcesResource

INFO_KEY = "refresh_fingerprint"
VERSION = 1
MIXED = "mixed"
BASELINES = "baselines"  # pseudo-dataset: the frozen-baseline store read by `contract_baseline`
LOCAL_INPUT_OPS = {"contract_baseline": BASELINES}
ROOT = Path(__file__).resolve().parents[1]
# Files whose bytes shape the warehouse (relative to the repository root; globs).
CODE_PATHS: list[str] = [
    "sources/**/*.py",
    "models/**/*.py",
    "checks/**/*.py",
    "pipelines/assets/**/*.py",
    "pipelines/definitions.py",
    "pipelines/resources.py",
    "pipelines/fingerprint.py",
    "warehouse/*.sql",
    "warehouse/store.py",
    "warehouse/spatial.py",
    "warehouse/baseline_store.py",
    "contracts/*.toml",
]
EXTRA_CODE_ROOTS: list[Path] = []  # more folders to fingerprint whole (tests use it)
LIBRARIES = ("quartiers", "dagster", "duckdb", "polars", "pandera")

Entry = list[str]  # [url, vintage, sha256, member]


def code_fingerprint(label: str) -> str:
    """sha256 of the versions, the warehouse label and the files listed in ``CODE_PATHS``."""
    digest = hashlib.sha256()
    digest.update(f"v{VERSION}|{sys.version_info[:3]}|{label}\n".encode())
    for lib in LIBRARIES:
        try:
            version = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"{lib}={version}\n".encode())
    files: set[Path] = set()
    for pattern in CODE_PATHS:
        files.update(p for p in ROOT.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    named = [(str(p.relative_to(ROOT)), p) for p in files]
    for root in EXTRA_CODE_ROOTS:
        named.extend((f"{root}:{p.relative_to(root)}", p) for p in root.rglob("*") if p.is_file())
    for name, path in sorted(named):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def entries(obtained: Iterable[Obtained]) -> list[Entry]:
    return sorted([o.file.url, o.layout.vintage, o.file.sha256, o.member or ""] for o in obtained)


def tree_entries(folder: Path) -> list[Entry]:
    """Every file under ``folder`` as an entry (the frozen baselines: small files)."""
    if not folder.is_dir():
        return []
    return sorted(
        [str(p.relative_to(folder)), "", hashlib.sha256(p.read_bytes()).hexdigest(), ""]
        for p in folder.rglob("*")
        if p.is_file()
    )


def staged_signatures(home: Path) -> dict[str, list[int]]:
    """Size and mtime of every staged Parquet file (partitions in sub-folders included)."""
    staged = home / "staged"
    out: dict[str, list[int]] = {}
    for p in sorted(staged.rglob("*.parquet")):
        try:
            st = p.stat()
        except OSError:
            continue
        out[str(p.relative_to(staged))] = [st.st_size, st.st_mtime_ns]
    return out


@dataclass
class RunState:
    """What one `run_refresh` knows while its job runs (read by the ``warehouse`` asset)."""

    home: Path
    warehouse: Path
    code: str
    selected_ops: set[str]
    all_ops: set[str]
    previous: dict[str, object] | None
    started_ns: int = field(default_factory=time.time_ns)
    ops: dict[str, set[str]] = field(default_factory=dict)
    inputs: dict[str, list[Entry] | None] = field(default_factory=dict)

    unattributed: set[str] = field(default_factory=set)

    def note(self, op: str, dataset: str, found: list[Entry]) -> None:
        # Obtained outside a step (a partition discovery before the runs, whose files the steps then
        # take from a cache without asking again): counted for every step of the run, to be safe.
        (self.ops.setdefault(op, set()) if op else self.unattributed).add(dataset)
        if dataset in self.inputs and self.inputs[dataset] != found:
            self.inputs[dataset] = None  # two steps saw two different files: unknown
        else:
            self.inputs.setdefault(dataset, found)


_STATE: RunState | None = None


@contextmanager
def recording(state: RunState) -> Iterator[None]:
    """While active, `RecordingSources` notes what each step obtains and the ``warehouse`` asset of
    ``state.warehouse`` records the result inside the file it builds."""
    global _STATE
    _STATE = state
    try:
        yield
    finally:
        _STATE = None


def _current_op() -> str:
    from dagster import OpExecutionContext

    try:
        return OpExecutionContext.get().op.name
    except Exception:  # outside a step (a check before the run): not recorded
        return ""


class RecordingSources(SourcesResource):
    """``SourcesResource`` that notes, for the change detection, which step obtained which files."""

    def obtain(self, dataset: str, *, required: bool | None = None) -> list[Obtained]:
        found = super().obtain(dataset, required=required)
        state, op = _STATE, _current_op()
        if state is not None:
            state.note(op, dataset, entries(found))
        return found


def record_for_build(warehouse: Path) -> dict[str, str]:
    """The ``warehouse_info`` entry of the warehouse being built (empty outside `run_refresh`)."""
    state = _STATE
    if state is None or state.warehouse.resolve() != warehouse.resolve():
        return {}
    prev = state.previous or {}
    prev_ops: dict[str, list[str]] = dict(prev.get("ops") or {})  # type: ignore[call-overload]
    prev_inputs: dict[str, list[Entry] | None] = dict(prev.get("inputs") or {})  # type: ignore[call-overload]
    prev_staged: dict[str, list[int]] = dict(prev.get("staged") or {})  # type: ignore[call-overload]
    for op, dataset in LOCAL_INPUT_OPS.items():
        if op in state.selected_ops:
            state.ops.setdefault(op, set()).add(dataset)
            state.inputs[dataset] = tree_entries(state.home / "baselines")
    ops: dict[str, list[str]] = {}
    for op in sorted(state.all_ops):
        if op in state.selected_ops:
            ops[op] = sorted(state.ops.get(op, set()) | state.unattributed)
        elif op in prev_ops:
            ops[op] = list(prev_ops[op])
    inputs: dict[str, list[Entry] | None] = {}
    for dataset in sorted({d for ds in ops.values() for d in ds}):
        users = {op for op, ds in ops.items() if dataset in ds}
        if users <= state.selected_ops:
            inputs[dataset] = state.inputs.get(dataset)
        elif dataset in state.inputs and state.inputs[dataset] != prev_inputs.get(dataset):
            inputs[dataset] = None  # a run step read the new file, a kept step was built from the old
        else:
            inputs[dataset] = prev_inputs.get(dataset)
    staged = staged_signatures(state.home)
    code = state.code
    if state.selected_ops != state.all_ops:
        kept = {n: s for n, s in staged.items() if s[1] < state.started_ns}
        if (
            not prev
            or prev.get("code") != state.code
            or any(prev_staged.get(n) != s for n, s in kept.items())
        ):
            code = MIXED
    record = {"version": VERSION, "code": code, "ops": ops, "inputs": inputs, "staged": staged}
    return {INFO_KEY: json.dumps(record, sort_keys=True)}


def previous_record(warehouse: Path) -> dict[str, object] | None:
    """The record of the published warehouse, or None (absent, unreadable, or built without one)."""
    if not warehouse.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM warehouse_info WHERE key = ?", [INFO_KEY]).fetchone()
        shas = {r[0] for r in con.execute("SELECT sha256 FROM source_file").fetchall()}
    except duckdb.Error:
        return None
    finally:
        con.close()
    if row is None:
        return None
    try:
        record: dict[str, object] = json.loads(row[0])
    except ValueError:
        return None
    if record.get("version") != VERSION:
        return None
    record["_source_file_shas"] = sorted(shas)
    return record


def unchanged(
    record: dict[str, object] | None,
    *,
    code: str,
    selected_ops: set[str],
    home: Path,
    sources: SourcesResource,
) -> tuple[bool, str]:
    """Whether the selected steps would rebuild the same warehouse, and why not when they would not.

    Obtains the selected steps' datasets through the fetch layer (a mirror file is copied and hashed,
    an HTTP URL answers 304 when it has not changed), as the run itself would.
    """
    if record is None:
        return False, "the warehouse has no change record (first refresh, or built by another tool)"
    if record.get("code") != code:
        return False, "the code or settings changed since the warehouse was built"
    ops: dict[str, list[str]] = dict(record.get("ops") or {})  # type: ignore[call-overload]
    unknown = sorted(selected_ops - set(ops))
    if unknown:
        return False, f"steps never recorded: {', '.join(unknown[:5])}"
    inputs: dict[str, list[Entry] | None] = dict(record.get("inputs") or {})  # type: ignore[call-overload]
    for name, (size, mtime) in dict(record.get("staged") or {}).items():  # type: ignore[call-overload]
        try:
            st = (home / "staged" / name).stat()
        except OSError:
            return False, f"staged table {name} is absent"
        if (st.st_size, st.st_mtime_ns) != (size, mtime):
            return False, f"staged table {name} changed since the warehouse was built"
    recorded_shas = {e[2] for v in inputs.values() if v for e in v}
    if not set(record.get("_source_file_shas") or []) <= recorded_shas:  # type: ignore[call-overload]
        return False, "the warehouse's source_file table names files the record does not"
    datasets = sorted({d for op in selected_ops for d in ops[op]})
    for dataset in datasets:
        before = inputs.get(dataset)
        if before is None:
            return False, f"files of {dataset} unknown since a partial refresh"
        if dataset == BASELINES:
            now = tree_entries(home / "baselines")
        else:
            try:
                now = entries(sources.obtain(dataset, required=False))
            except Exception as exc:  # the run reports it with its own words
                return False, f"{dataset}: {exc}"
        if now != before:
            return False, f"files of {dataset} changed"
    return True, f"nothing changed ({len(datasets)} datasets, {len(selected_ops)} steps checked)"
