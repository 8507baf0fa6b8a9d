"""The kill -9 harness of tests/faults/test_kill_*.py: the points a refresh is killed at, the killing (child
processes, two at a time, one copy of the baseline each), and what must hold after each kill.

The points are split between two test modules so that pytest-xdist runs the two halves on its two
workers; ``<point>#<n>`` kills at the n-th time the point is reached.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from checks.geography import crosswalk_share_sums, qpvs_without_commune
from pipelines.refresh import run_refresh
from tests.faults.refresh_child import KILLED, ChildResult, refresh_many
from tests.faults.reliability import assert_raw_archive_sound, assert_unchanged
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly, warehouse_info

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
# The two halves, one a test module: up to staging, and from the model to the swap.
EARLY = POINTS[: POINTS.index(("model.territory", False))]
LATE = [p for p in POINTS if p not in EARLY]

Killed = dict[str, tuple[Path, bytes, ChildResult]]


def kill_each(baseline: Path, root: Path, points: list[tuple[str, bool]]) -> Killed:
    """Every point killed once, in a copy of the baseline: point → (home, warehouse before, child)."""
    homes = []
    for i, _ in enumerate(points):
        home = root / f"{i:02d}"
        shutil.copytree(baseline, home)
        homes.append(home)
    jobs = [(home, point, http) for home, (point, http) in zip(homes, points, strict=True)]
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


def assert_survived(point: str, killed: Killed) -> None:
    """After a kill at `point`: the previous warehouse untouched, opening, its checks passing, the raw
    archive sound; and a new refresh completes and cleans what the killed one left."""
    home, before, child = killed[point]
    assert child.returncode == KILLED, f"{point} not reached (exit {child.returncode}): {child.stderr}"
    assert_unchanged(warehouse_path(home), before, f"kill -9 at {point}")
    assert warehouse_checks_pass(warehouse_path(home))
    assert_raw_archive_sound(home / "raw", f"kill -9 at {point}")
    # Forced: a kill before anything was staged changed nothing, and an unforced refresh would rightly
    # stop with "nothing changed".
    report = run_refresh(home=home, env="sample", force=True)
    assert report.success, report.error
    assert warehouse_checks_pass(warehouse_path(home))
    assert warehouse_path(home).read_bytes() != before
    assert not list(home.glob(".warehouse.duckdb.building-*"))
    assert_raw_archive_sound(home / "raw", f"refresh after kill -9 at {point}")
