"""kill -9 during a refresh, at every named point: the previous warehouse opens, its checks pass,
and the next refresh completes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from checks.geography import crosswalk_share_sums, qpvs_without_commune
from pipelines.paths import sample_mirror, warehouse_path
from pipelines.refresh import run_refresh
from sources._faults import ENV
from synthetic.sample import generate_sample
from warehouse.store import connect_readonly

# Every fault point a sample refresh passes through, from download to swap.
POINTS = [
    "fetch.copied",
    "fetch.stored",
    "extract.member",
    "parse.qpv2024",
    "parse.qpv2015",
    "parse.epci",
    "stage.written",
    "model.territory",
    "model.crosswalk",
    "write.territory",
    "write.territory_link",
    "write.qpv_crosswalk",
    "write.source_file",
    "write.warehouse_info",
    "write.views",
    "swap.before_fsync",
    "swap.before_rename",
]

CHILD = (
    "import sys; from pathlib import Path; from pipelines.refresh import run_refresh; "
    "run_refresh(home=Path(sys.argv[1]), env='sample')"
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("baseline")
    generate_sample(sample_mirror(home))
    assert run_refresh(home=home, env="sample").success
    return home


def warehouse_checks_pass(path: Path) -> bool:
    con = connect_readonly(path)
    territory = con.execute("SELECT * FROM territory").pl()
    links = con.execute("SELECT * FROM territory_link").pl()
    crosswalk = con.execute("SELECT * FROM qpv_crosswalk").pl()
    con.close()
    return (
        qpvs_without_commune(territory, links).is_empty()
        and crosswalk_share_sums(crosswalk).is_empty()
        and territory.height > 0
    )


@pytest.mark.parametrize("point", POINTS)
def test_kill_at(point: str, baseline: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(baseline, home)
    before = warehouse_path(home).read_bytes()
    env = {**os.environ, ENV: point}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(home)], env=env, capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"{point} not reached: {proc.stderr.decode()[-2000:]}"
    # The previous warehouse is untouched, opens, and its checks pass.
    assert warehouse_path(home).read_bytes() == before
    assert warehouse_checks_pass(warehouse_path(home))
    # A new refresh completes and cleans what the killed one left.
    report = run_refresh(home=home, env="sample")
    assert report.success, report.error
    assert warehouse_checks_pass(warehouse_path(home))
    assert not list(home.glob(".warehouse.duckdb.building-*"))


def test_kill_after_rename_publishes_the_complete_new_warehouse(baseline: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(baseline, home)
    env = {**os.environ, ENV: "swap.after_rename"}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(home)], env=env, capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    con = connect_readonly(warehouse_path(home))
    run_id = con.execute("SELECT value FROM warehouse_info WHERE key = 'run_id'").fetchone()
    assert run_id is not None and warehouse_checks_pass(warehouse_path(home))
    assert isinstance(con.execute("SELECT * FROM territory").pl(), pl.DataFrame)
