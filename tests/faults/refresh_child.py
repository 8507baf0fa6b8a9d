"""Run a sample refresh in a child process, optionally killed at a fault point or traced.

A child may fetch over HTTP: a loopback server serves the sample mirror under the official URLs'
host/path, the registry's URLs are rewritten to it, and the refresh runs in the ``live``
environment (real streaming downloads into the raw archive).

(A forked child would save the ~3 s of imports, but Polars' thread pool deadlocks after fork.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sources._faults import ENV, TRACE_ENV

KILLED = -signal.SIGKILL


@dataclass(frozen=True)
class ChildResult:
    returncode: int
    stderr: str


def main(home: Path, http: bool) -> int:
    from pipelines.refresh import run_refresh
    from warehouse.paths import sample_mirror

    # Forced: the children refresh copies of an already built home with nothing changed, and change
    # detection would rightly stop them before any fault point is reached.
    if not http:
        report = run_refresh(home=home, env="sample", force=True)
    else:
        from sources.registry import default_urls
        from tests.faults.http_server import serve_mirror, urls_through

        with serve_mirror(sample_mirror(home)) as base:
            default_urls().update(urls_through(base))  # type: ignore[arg-type]
            report = run_refresh(home=home, env="live", force=True)
    if not report.success:
        print(f"refresh failed at {report.failed_step}: {report.error}", file=sys.stderr)
    return 0 if report.success else 1


def refresh_in_child(
    home: Path,
    *,
    kill_at: str | None = None,
    trace: Path | None = None,
    http: bool = False,
    timeout: float = 120,
) -> ChildResult:
    """Refresh ``home`` in a child process; returncode is ``KILLED`` if it died of SIGKILL."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV, TRACE_ENV)}
    if kill_at is not None:
        env[ENV] = kill_at
    if trace is not None:
        env[TRACE_ENV] = str(trace)
    cmd = [sys.executable, "-m", "tests.faults.refresh_child", str(home), "http" if http else "mirror"]
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, timeout=timeout, check=False)
    return ChildResult(proc.returncode, proc.stderr.decode(errors="replace")[-3000:])


def refresh_many(jobs: list[tuple[Path, str | None, bool]], workers: int = 2) -> list[ChildResult]:
    """Several children at once (the machine has 2 cores): (home, kill point, http) each."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda j: refresh_in_child(j[0], kill_at=j[1], http=j[2]), jobs))


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] == "http"))
