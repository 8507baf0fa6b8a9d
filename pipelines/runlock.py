"""One refresh at a time per home: an OS lock held for a whole run, from the first fetch to the swap.

``<home>/refresh.lock`` is locked with ``fcntl.flock``: the kernel frees the lock when its holder dies,
even of SIGKILL, so a killed run never blocks the next one. The file holds the holder's description
(pid, start time, command, what launched it) for the message a refused run prints; its presence alone
blocks nothing.

Reentrant within a process: `quartiers refresh` takes the lock, then runs Dagster jobs in process whose
IO manager asks for it again (pipelines/resources.py) and is told it is already held by this process. A
run launched by Dagster itself (schedule, sensor, ``dagster job execute``) takes it through the IO
manager, which every asset writes through, for the duration of the run.

The warehouse write keeps its own lock on ``warehouse.duckdb.lock`` (warehouse/store.py): a distinct
file, so the run lock and the write lock never conflict inside one process.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sources._errors import QuartiersError

LOCK_NAME = "refresh.lock"
POLL_SECONDS = 1.0
DEFAULT_WAIT_SECONDS = 6 * 3600.0

_held: dict[Path, int] = {}  # home -> depth, for this process
_guard = threading.Lock()


class RunLockedError(QuartiersError):
    """Another run holds the home's run lock."""


def lock_path(home: Path) -> Path:
    return Path(home).resolve() / LOCK_NAME


def held_here(home: Path) -> bool:
    """Whether this process holds the run lock of ``home``."""
    return lock_path(home) in _held


def describe_holder(home: Path) -> str:
    """The running one, as its lock file says (pid, start, what launched it, command, home)."""
    path = lock_path(home)
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return f"another run (its description is not written yet) holds {path}"
    return (
        f"pid {info.get('pid')}, started {info.get('started_at')}, launched by {info.get('launched_by')}, "
        f"command {info.get('command')!r}, home {info.get('home')}"
    )


def _try_lock(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(
    home: Path,
    *,
    launched_by: str = "quartiers refresh",
    wait: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold ``home``'s run lock for the block. Held by another process: raise `RunLockedError` naming it,
    or with ``wait`` poll every second (calling ``on_wait`` once with its description) up to
    ``wait_seconds``. Already held by this process: enter without locking again."""
    path = lock_path(home)
    with _guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as fh:
        if not _try_lock(fh):
            holder = describe_holder(home)
            if not wait:
                raise RunLockedError(
                    f"another refresh is running on {path.parent}: {holder}. "
                    "Wait for it (quartiers refresh --wait) or stop it."
                )
            if on_wait is not None:
                on_wait(holder)
            deadline = time.monotonic() + wait_seconds
            while not _try_lock(fh):
                if time.monotonic() >= deadline:
                    raise RunLockedError(
                        f"waited {wait_seconds:.0f} s for the refresh running on {path.parent}: "
                        f"{describe_holder(home)}"
                    )
                time.sleep(POLL_SECONDS)
        try:
            description = {
                "pid": os.getpid(),
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "launched_by": launched_by,
                "command": " ".join(sys.argv),
                "home": str(path.parent),
            }
            os.ftruncate(fh.fileno(), 0)
            fh.write(json.dumps(description))
            fh.flush()
            with _guard:
                _held[path] = 1
            try:
                yield
            finally:
                with _guard:
                    del _held[path]
                os.ftruncate(fh.fileno(), 0)  # a stale description would name a finished run
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
