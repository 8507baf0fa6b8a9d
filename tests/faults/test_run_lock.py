"""One refresh at a time per home (pipelines/runlock.py): a second refresh is refused at once naming the
running one, or waits for it with --wait; a run launched by Dagster and one launched by the CLI exclude
each other; a holder killed with SIGKILL leaves nothing that blocks the next run.

The running one is held in the middle of its run by ``QUARTIERS_PAUSE_AT`` (sources/_faults.py): it
sleeps at its first copy from the mirror, lock held, while the test starts the other one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job, in_process_executor

from pipelines.definitions import ASSETS, CHECKS, PARTITIONED
from pipelines.refresh import run_refresh
from pipelines.resources import resources_for
from pipelines.runlock import RunLockedError, held_here, lock_path, run_lock
from sources._faults import ENV, PAUSE_ENV, TRACE_ENV
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly, warehouse_info

pytestmark = [pytest.mark.fault("concurrent refresh"), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PAUSE = "fetch.copied=12"  # the first file copied from the mirror: every run, after the lock is taken
CLI = [sys.executable, "-c", "from pipelines.cli import app; app()"]


@pytest.fixture(scope="module")
def baseline(sample_copy: Callable[[str], Path]) -> Path:
    """A home with the sample built (a geography-only refresh reads the other staged tables)."""
    return sample_copy("lock-baseline")


@pytest.fixture
def home(baseline: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(baseline, copy)
    return copy


def _env(pause: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV, TRACE_ENV, PAUSE_ENV, "QUARTIERS_ENV")}
    if pause is not None:
        env[PAUSE_ENV] = pause
    env.update(extra)
    return env


def _refresh(home: Path, *more: str, pause: str | None = None) -> subprocess.Popen[str]:
    cmd = [*CLI, "refresh", "--home", str(home), "--force", "--only", "geography", *more]
    return subprocess.Popen(
        cmd, env=_env(pause), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _holder(home: Path, proc: subprocess.Popen[str], timeout: float = 90) -> dict[str, object]:
    """The lock file's description once `proc` holds the run lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the first run ended early ({proc.returncode}): {proc.communicate()}"
        try:
            info = json.loads(lock_path(home).read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if info.get("pid") == proc.pid:
            return info  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"pid {proc.pid} never took the run lock of {home}")


def _finish(proc: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_a_second_refresh_is_refused_at_once_and_waits_with_wait(home: Path) -> None:
    first = _refresh(home, pause=PAUSE)
    try:
        info = _holder(home, first)
        assert info["launched_by"] == "quartiers refresh" and info["home"] == str(home.resolve())
        t0 = time.monotonic()
        code, _, err = _finish(_refresh(home))
        refused_in = time.monotonic() - t0
        assert code == 2, err
        assert "another refresh is running" in err and f"pid {first.pid}" in err, err
        assert "--wait" in err and str(info["started_at"]) in err, err
        assert first.poll() is None, "the refusal came after the first run ended: it was not refused at once"
        assert refused_in < 12, f"refused after {refused_in:.1f} s"
        waiting = _refresh(home, "--wait")
        code, out, err = _finish(first)
        assert code == 0, err
        code, out, err = _finish(waiting)
        assert code == 0, err
        assert "waiting for the refresh running" in out and f"pid {first.pid}" in out, out
    finally:
        first.kill()
        first.wait()
    assert lock_path(home).read_text(encoding="utf-8") == ""  # released: no stale description
    con = connect_readonly(warehouse_path(home))
    assert warehouse_info(con).get("run_id")
    con.close()


def test_a_dagster_run_and_a_cli_run_exclude_each_other(home: Path) -> None:
    # A run launched by Dagster (`dagster job execute`, as the daemon does) holds the lock for its run …
    dagster_cli = str(Path(sys.executable).parent / "dagster")
    dagster = subprocess.Popen(
        [dagster_cli, "job", "execute", "-m", "pipelines.definitions", "-j", "refresh_geography"],
        env=_env(PAUSE, QUARTIERS_HOME=str(home), QUARTIERS_ENV="sample"),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        info = _holder(home, dagster)
        assert str(info["launched_by"]).startswith("dagster run "), info
        code, _, err = _finish(_refresh(home))  # … and the CLI is refused, naming it
        assert code == 2, err
        assert f"pid {dagster.pid}" in err and "dagster run" in err, err
        assert dagster.poll() is None
        code, out, _ = _finish(dagster)
        assert code == 0, out[-3000:]
    finally:
        dagster.kill()
        dagster.wait()
    # A CLI run holds it: a Dagster run of the same home (in this process) fails before any step.
    cli = _refresh(home, pause=PAUSE)
    try:
        _holder(home, cli)
        job = define_asset_job(
            "geography_only",
            selection=AssetSelection.groups("geography").downstream() - AssetSelection.assets(*PARTITIONED),
        )
        defs = Definitions(
            assets=ASSETS,  # type: ignore[arg-type]
            asset_checks=CHECKS,  # type: ignore[arg-type]
            jobs=[job],
            resources=resources_for("sample", home=home),
            executor=in_process_executor,
        )
        before = warehouse_path(home).read_bytes()
        with pytest.raises(Exception) as refused:
            defs.resolve_job_def("geography_only").execute_in_process(instance=DagsterInstance.ephemeral())
        chain: list[BaseException] = [refused.value]
        while chain[-1].__cause__ is not None:
            chain.append(chain[-1].__cause__)
        assert any(isinstance(e, RunLockedError) for e in chain), chain
        assert f"pid {cli.pid}" in str(chain[-1]) and "quartiers refresh" in str(chain[-1])
        assert warehouse_path(home).read_bytes() == before
        assert not held_here(home)
        code, _, err = _finish(cli)
        assert code == 0, err
    finally:
        cli.kill()
        cli.wait()


def test_a_holder_killed_with_sigkill_does_not_block_the_next_run(home: Path) -> None:
    first = _refresh(home, pause=PAUSE)
    try:
        _holder(home, first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL
    # The file is still there, naming the dead run: its presence blocks nothing (the kernel freed the lock).
    assert json.loads(lock_path(home).read_text(encoding="utf-8"))["pid"] == first.pid
    code, out, err = _finish(_refresh(home))
    assert code == 0, err + out
    report = run_refresh(home=home, env="sample", only=["geography"], force=True)
    assert report.success, report.error


def test_the_lock_is_reentrant_in_one_process_and_released(tmp_path: Path) -> None:
    with run_lock(tmp_path, launched_by="test"):
        assert held_here(tmp_path)
        assert json.loads(lock_path(tmp_path).read_text(encoding="utf-8"))["pid"] == os.getpid()
        with run_lock(tmp_path, launched_by="nested"):  # what the IO manager does under the CLI
            assert held_here(tmp_path)
        assert held_here(tmp_path)
        child = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from pipelines.runlock import "
             "run_lock\nwith run_lock(Path(sys.argv[1])): pass", str(tmp_path)],
            cwd=REPO, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert child.returncode != 0 and "RunLockedError" in child.stderr
        assert f"pid {os.getpid()}" in child.stderr and "launched by test" in child.stderr
    assert not held_here(tmp_path)
    assert lock_path(tmp_path).read_text(encoding="utf-8") == ""
