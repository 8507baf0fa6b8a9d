"""kill -9 during a refresh, from the model to the swap (the second half of tests/faults/kill_harness.py's
points), and just after the rename that publishes the new warehouse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.faults.kill_harness import (
    AFTER_RENAME,
    LATE,
    Killed,
    assert_survived,
    kill_each,
    warehouse_checks_pass,
)
from tests.faults.refresh_child import KILLED
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly

pytestmark = [pytest.mark.fault("kill -9 refresh"), pytest.mark.slow]


@pytest.fixture(scope="module")
def baseline(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("baseline")


@pytest.fixture(scope="module")
def killed(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Killed:
    return kill_each(baseline, tmp_path_factory.mktemp("killed"), [*LATE, AFTER_RENAME])


@pytest.mark.parametrize("point", [p for p, _ in LATE])
def test_kill_at(point: str, killed: Killed) -> None:
    assert_survived(point, killed)


def test_kill_after_rename_publishes_the_complete_new_warehouse(
    killed: Killed,
) -> None:
    home, before, child = killed[AFTER_RENAME[0]]
    assert child.returncode == KILLED, child.stderr
    assert warehouse_path(home).read_bytes() != before  # the new file is published, whole
    assert warehouse_checks_pass(warehouse_path(home))
    con = connect_readonly(warehouse_path(home))
    assert isinstance(con.execute("SELECT * FROM territory").pl(), pl.DataFrame)
    con.close()
