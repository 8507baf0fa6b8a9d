# ruff: noqa: E501  (table rows and reasons read best on one line)
"""Analysts' read-only connections, in separate processes, query in a loop during real refreshes:
they never fail, and never see a mix of two builds.

Each refresh builds from a sample of another seed, so the tables of two builds differ; every read
takes, in one connection, warehouse_info.run_id and a digest of `territory` and `qpv_crosswalk`.
A run_id seen with two digests would be a mix."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.refresh import run_refresh
from synthetic.sample import generate_sample
from warehouse.paths import sample_mirror, warehouse_path

pytestmark = [pytest.mark.fault("concurrent readers"), pytest.mark.slow]

READER = r"""
import sys, time
from pathlib import Path
from warehouse.store import connect_readonly
path, out, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with out.open("w") as fh:
    while not stop.exists():
        try:
            con = connect_readonly(path, spatial=False)
            try:
                run_id = con.execute("SELECT value FROM warehouse_info WHERE key = 'run_id'").fetchone()[0]
                t = con.execute("SELECT count(*), md5(string_agg(code || name, ',' ORDER BY kind, code)) FROM territory").fetchone()
                x = con.execute("SELECT count(*), round(sum(overlap_m2)) FROM qpv_crosswalk").fetchone()
            finally:
                con.close()
            fh.write(f"OK\t{run_id}\t{t[0]}:{t[1]}:{x[0]}:{x[1]}\n")
        except Exception as exc:
            fh.write(f"ERR\t{type(exc).__name__}: {exc}\n".replace("\n", " ") + "\n")
        fh.flush()
"""


def test_readers_in_other_processes_never_fail_nor_see_a_mix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    generate_sample(sample_mirror(home), seed=2024)
    assert run_refresh(home=home, env="sample").success
    stop = tmp_path / "stop"
    outs = [tmp_path / f"reader{i}.tsv" for i in range(2)]
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(warehouse_path(home)), str(o), str(stop)])
        for o in outs
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(o.exists() and o.stat().st_size for o in outs) and time.monotonic() < deadline:
            time.sleep(0.2)
        run_ids = []
        for seed in (2025, 2026, 2027):
            generate_sample(sample_mirror(home), seed=seed)
            report = run_refresh(home=home, env="sample")
            assert report.success, report.error
            time.sleep(0.5)
        stop.touch()
        for r in readers:
            r.wait(timeout=60)
    finally:
        stop.touch()
        for r in readers:
            if r.poll() is None:
                r.kill()
    lines = [line.split("\t") for o in outs for line in o.read_text().splitlines()]
    errors = [line for line in lines if line[0] != "OK"]
    assert errors == [], errors[:5]
    digests: dict[str, set[str]] = defaultdict(set)
    for _, run_id, digest in lines:
        digests[run_id].add(digest)
        run_ids.append(run_id)
    mixed = {k: v for k, v in digests.items() if len(v) > 1}
    assert not mixed, f"a build read with two different contents: {mixed}"
    assert len(digests) >= 2, f"readers saw only {len(digests)} build(s) in {len(lines)} reads"
    assert len({d for v in digests.values() for d in v}) == len(digests)  # each build its own data
