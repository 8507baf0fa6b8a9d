"""Named fault-injection points, to prove that a refresh killed anywhere loses nothing.

``QUARTIERS_KILL_AT=<point>`` makes the process SIGKILL itself when it reaches that point (the
fault suite sets it in a child process). Unset, each call is one dictionary look-up.
"""

from __future__ import annotations

import os
import signal

ENV = "QUARTIERS_KILL_AT"


def checkpoint(point: str) -> None:
    """Die here, at once and without cleanup, if the fault suite asked for it."""
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
