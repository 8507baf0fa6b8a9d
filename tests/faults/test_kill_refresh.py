"""kill -9 during a refresh, at every named point from download to swap: the previous warehouse is
byte-identical, opens, and its checks pass; the raw archive is sound; the next refresh completes.

The killed refreshes run as child processes, two at a time (one copy of the baseline each); the
assertions then run per point. ``<point>#<n>`` kills at the n-th time the point is reached.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from checks.geography import crosswalk_share_sums, qpvs_without_commune
from pipelines.refresh import run_refresh
from tests.faults.refresh_child import KILLED, ChildResult, refresh_in_child, refresh_many
from tests.faults.reliability import assert_raw_archive_sound, assert_unchanged
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly, warehouse_info

pytestmark = [pytest.mark.fault("kill -9 refresh"), pytest.mark.slow]

# (point, over HTTP?) — every stage of a refresh; HTTP points stream from a loopback server.
POINTS: list[tuple[str, bool]] = [
    ("fetch.streaming", True),  # download: first chunk written to the .part file
    ("fetch.streaming#5", True),  # download: a later file, mid-run
    ("fetch.copied", False),  # download from the mirror: copied, not yet in the archive
    ("fetch.copied#6", False),
    ("fetch.stored", False),  # in the archive, its URL sidecar not yet written
    ("fetch.stored#4", False),
    ("extract.member", False),  # extract: first zip member written to the staging folder
    ("extract.member#7", False),
    ("parse.qpv2024", False),  # parse
    ("parse.qpv2015", False),
    ("parse.epci", False),
    ("stage.written", False),  # a staged Parquet written, not yet renamed
    ("stage.written#8", False),
    ("model.territory", False),  # model
    ("model.crosswalk", False),
    ("write.territory", False),  # write the new warehouse file
    ("write.territory_link", False),
    ("write.qpv_crosswalk", False),
    ("write.observation", False),
    ("write.indicator", False),
    ("write.source_file", False),
    ("write.warehouse_info", False),
    ("write.views", False),
    ("swap.before_fsync", False),  # swap
    ("swap.before_rename", False),
]
AFTER_RENAME = ("swap.after_rename", False)


@pytest.fixture(scope="module")
def baseline(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("baseline")


@pytest.fixture(scope="module")
def killed(
    baseline: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, bytes, ChildResult]]:
    """Every point killed once, in a copy of the baseline: point → (home, warehouse before, child)."""
    root = tmp_path_factory.mktemp("killed")
    homes = []
    for i, (_point, _) in enumerate([*POINTS, AFTER_RENAME]):
        home = root / f"{i:02d}"
        shutil.copytree(baseline, home)
        homes.append(home)
    jobs = [(home, point, http) for home, (point, http) in zip(homes, [*POINTS, AFTER_RENAME], strict=True)]
    befores = [warehouse_path(h).read_bytes() for h in homes]
    results = refresh_many(jobs)
    return {j[1]: (j[0], b, r) for j, b, r in zip(jobs, befores, results, strict=True)}  # type: ignore[misc]


def warehouse_checks_pass(path: Path) -> bool:
    con = connect_readonly(path)
    try:
        territory = con.execute("SELECT * FROM territory").pl()
        links = con.execute("SELECT * FROM territory_link").pl()
        crosswalk = con.execute("SELECT * FROM qpv_crosswalk").pl()
        info = warehouse_info(con)
    finally:
        con.close()
    return (
        qpvs_without_commune(territory, links).is_empty()
        and crosswalk_share_sums(crosswalk).is_empty()
        and territory.height > 0
        and bool(info.get("run_id"))
    )


@pytest.mark.parametrize("point", [p for p, _ in POINTS])
def test_kill_at(point: str, killed: dict[str, tuple[Path, bytes, ChildResult]]) -> None:
    home, before, child = killed[point]
    assert child.returncode == KILLED, f"{point} not reached (exit {child.returncode}): {child.stderr}"
    # The previous warehouse is untouched, opens, and its checks pass; raw files are intact.
    assert_unchanged(warehouse_path(home), before, f"kill -9 at {point}")
    assert warehouse_checks_pass(warehouse_path(home))
    assert_raw_archive_sound(home / "raw", f"kill -9 at {point}")
    # A new refresh completes and cleans what the killed one left (forced: a kill before anything was
    # staged changed nothing, and an unforced refresh would rightly stop with "nothing changed").
    report = run_refresh(home=home, env="sample", force=True)
    assert report.success, report.error
    assert warehouse_checks_pass(warehouse_path(home))
    assert warehouse_path(home).read_bytes() != before
    assert not list(home.glob(".warehouse.duckdb.building-*"))
    assert_raw_archive_sound(home / "raw", f"refresh after kill -9 at {point}")


def test_kill_after_rename_publishes_the_complete_new_warehouse(
    killed: dict[str, tuple[Path, bytes, ChildResult]],
) -> None:
    home, before, child = killed[AFTER_RENAME[0]]
    assert child.returncode == KILLED, child.stderr
    assert warehouse_path(home).read_bytes() != before  # the new file is published, whole
    assert warehouse_checks_pass(warehouse_path(home))
    con = connect_readonly(warehouse_path(home))
    assert isinstance(con.execute("SELECT * FROM territory").pl(), pl.DataFrame)
    con.close()


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
