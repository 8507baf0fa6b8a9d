"""kill -9 during a refresh, from download to staging (the first half of tests/faults/kill_harness.py's
points; the model-to-swap half is test_kill_refresh_late.py): the previous warehouse is byte-identical,
opens, and its checks pass; the raw archive is sound; the next refresh completes. Also: every point a
refresh passes is killed somewhere.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.kill_harness import AFTER_RENAME, EARLY, POINTS, Killed, assert_survived, kill_each
from tests.faults.refresh_child import refresh_in_child

pytestmark = [pytest.mark.fault("kill -9 refresh"), pytest.mark.slow]


@pytest.fixture(scope="module")
def baseline(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("baseline")


@pytest.fixture(scope="module")
def killed(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Killed:
    return kill_each(baseline, tmp_path_factory.mktemp("killed"), EARLY)


@pytest.mark.parametrize("point", [p for p, _ in EARLY])
def test_kill_at(point: str, killed: Killed) -> None:
    assert_survived(point, killed)


@pytest.mark.fault("coverage")
def test_every_point_a_refresh_passes_is_killed_somewhere(baseline: Path, tmp_path: Path) -> None:
    """A traced refresh (mirror and HTTP) reaches every listed point, as often as listed; and every
    download/extract/stage/model/swap point it reaches is in the list (no stage escapes the suite)."""
    reached: Counter[str] = Counter()
    for http in (False, True):
        home = tmp_path / f"home-{http}"
        shutil.copytree(baseline, home)
        trace = tmp_path / f"trace-{http}"
        child = refresh_in_child(home, trace=trace, http=http)
        assert child.returncode == 0, child.stderr
        reached.update(trace.read_text(encoding="utf-8").split())
    listed = [*POINTS, AFTER_RENAME]
    for point, _ in listed:
        name, _, nth = point.partition("#")
        assert reached[name] >= int(nth or 1), f"{point}: reached {reached[name]} times"
    names = {p.partition("#")[0] for p, _ in listed}
    unlisted = {r for r in reached if r not in names and not r.startswith(("write.", "parse."))}
    assert not unlisted, f"fault points no kill test covers: {sorted(unlisted)}"
    assert len(names) >= 20
