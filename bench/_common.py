"""Shared helpers of the benchmark scripts: where the national mirror and home live, timing, memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.paths import default_home

PYTHON = sys.executable


def national_mirror() -> Path:
    """The national synthetic mirror (gitignored ``<home>/mirror-national``; see synthetic/national.py)."""
    return Path(os.environ.get("QUARTIERS_BENCH_MIRROR", default_home() / "mirror-national"))


def bench_home() -> Path:
    """A home of its own for the national warehouse, so the benchmarks never touch the sample's."""
    return Path(os.environ.get("QUARTIERS_BENCH_HOME", default_home() / "bench-national"))


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident set size of this process now (Linux /proc/self/statm): what a step left held."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"


@contextmanager
def timed(clock: Callable[[], float] = time.perf_counter) -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the wall time in seconds; ``timed(time.process_time)``
    gives the CPU time of this process (all threads) instead, less inflated when the machine is shared."""
    out: list[float] = []
    start = clock()
    try:
        yield out
    finally:
        out.append(clock() - start)


def run_child(module: str, *args: str) -> dict[str, object]:
    """Run ``python -m module args`` and return the JSON object it prints on its last stdout line."""
    proc = subprocess.run(
        [PYTHON, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[1],
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def ensure_mirror(mirror: Path) -> None:
    if not (mirror / "SYNTHETIC.txt").exists():
        raise SystemExit(f"no national mirror at {mirror}: run `python -m synthetic.national` first")
