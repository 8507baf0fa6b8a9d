"""The sample warehouse the fiche and site tests share: built once per pytest session (a marker file in the
session's base temp dir), not once per module."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest

from pipelines.refresh import run_refresh
from synthetic.sample import generate_sample
from warehouse.paths import sample_mirror


def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.getbasetemp() / "fiche-sample-home"
    home.mkdir(exist_ok=True)
    done = home / ".built"
    with (home / ".lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        if not done.exists():
            generate_sample(sample_mirror(home))
            t0 = time.perf_counter()
            report = run_refresh(home=home, env="sample")
            print(f"sample build for the fiche tests: {time.perf_counter() - t0:.1f} s")
            assert report.success, (report.failed_step, report.error)
            done.touch()
    return home
