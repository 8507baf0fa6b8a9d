"""Named fault-injection points, to prove that a refresh killed anywhere loses nothing.

``QUARTIERS_KILL_AT=<point>`` makes the process SIGKILL itself when it reaches that point (the
fault suite sets it in a child process); ``<point>#<n>`` kills at the n-th time the point is reached
(a later download, a later staged table). ``QUARTIERS_FAULT_TRACE=<file>`` appends the name of every
point reached to that file, so that the suite can check it covers every point a refresh passes.
``QUARTIERS_PAUSE_AT=<point>=<seconds>`` makes the process sleep there instead (a run that holds the run
lock long enough for the suite to start another one: tests/faults/test_run_lock.py).
Unset, each call is three dictionary look-ups.
"""

from __future__ import annotations

import os
import signal
import time

ENV = "QUARTIERS_KILL_AT"
TRACE_ENV = "QUARTIERS_FAULT_TRACE"
PAUSE_ENV = "QUARTIERS_PAUSE_AT"

_seen: dict[str, int] = {}
_paused: set[str] = set()


def checkpoint(point: str) -> None:
    """Die here, at once and without cleanup, if the fault suite asked for it."""
    wanted = os.environ.get(ENV)
    trace = os.environ.get(TRACE_ENV)
    pause = os.environ.get(PAUSE_ENV)
    if pause is not None:
        name, _, seconds = pause.partition("=")
        if name == point and point not in _paused:  # the first time only
            _paused.add(point)
            time.sleep(float(seconds or 5))
    if wanted is None and trace is None:
        return
    count = _seen[point] = _seen.get(point, 0) + 1
    if trace is not None:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(point + "\n")
    if wanted is None:
        return
    name, _, nth = wanted.partition("#")
    if name == point and count == (int(nth) if nth else 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reset() -> None:
    """Forget how many times each point was reached (a forked child starts counting afresh)."""
    _seen.clear()
    _paused.clear()
