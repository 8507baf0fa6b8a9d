"""Change detection of `quartiers refresh` (pipelines/fingerprint.py) on the synthetic sample: a second
refresh with nothing changed stops at once and leaves the warehouse file untouched; a changed mirror
file, a code change, or `--force` rebuild; a refresh killed just before the swap never leaves a state
where the next one says "nothing changed"."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetSelection
from typer.testing import CliRunner

from pipelines import fingerprint
from pipelines.cli import app
from pipelines.refresh import _change_detection, run_refresh
from pipelines.resources import resources_for
from synthetic.sample import generate_sample
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly, warehouse_info

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

ROOT = Path(__file__).resolve().parents[2]
REAL_CODE_PATHS = list(fingerprint.CODE_PATHS)


@pytest.fixture(scope="module", autouse=True)
def fixed_code() -> Iterator[None]:
    """A file of the tree saved by someone else mid-test must not count as a code change here: these
    tests fingerprint versions and settings only (the file rule is checked on a tree of its own below)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingerprint, "CODE_PATHS", [])
        yield


def _state(path: Path) -> tuple[int, int, str]:
    """What "untouched" means: same inode, same mtime, same bytes."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def _decision(home: Path, only: list[str] | None = None) -> tuple[bool, str]:
    resources = resources_for("sample", home=home)
    selection = AssetSelection.all() if not only else AssetSelection.groups(*only).downstream()
    _, same, why = _change_detection(resources, selection, force=False)
    return same, why


def _ips_file(home: Path) -> Path:
    return next(
        p
        for p in (sample_mirror(home) / "data.education.gouv.fr").rglob("csv")
        if "fr-en-ips-colleges-ap2023" in p.parts
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    generate_sample(sample_mirror(home))
    report = run_refresh(home=home, env="sample")
    assert report.success and not report.skipped, (report.failed_step, report.error)
    return home


def test_second_refresh_does_nothing_and_leaves_the_warehouse_untouched(home: Path) -> None:
    path = warehouse_path(home)
    before = _state(path)
    t0 = time.perf_counter()
    report = run_refresh(home=home, env="sample")
    elapsed = time.perf_counter() - t0
    assert report.success and report.skipped, report
    assert report.steps == [] and report.rows == {}
    assert report.reason is not None and "nothing changed" in report.reason
    assert _state(path) == before
    assert elapsed < 15, elapsed  # a full sample build re-runs ~70 steps; this obtains files and stops
    # The record lives inside the warehouse that was swapped in.
    con = connect_readonly(path, spatial=False)
    assert fingerprint.INFO_KEY in warehouse_info(con)
    con.close()


def test_only_selection_skips_when_its_sources_are_unchanged(home: Path) -> None:
    path = warehouse_path(home)
    before = _state(path)
    for group in (["education"], ["caf"], ["geography"]):
        report = run_refresh(home=home, env="sample", only=group)
        assert report.success and report.skipped, (group, report)
    assert _state(path) == before


def test_a_code_change_means_a_rebuild(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _decision(home) == (True, _decision(home)[1])
    extra = tmp_path / "settings"
    extra.mkdir()
    (extra / "settings.py").write_text("THRESHOLD = 1\n", encoding="utf-8")
    monkeypatch.setattr(fingerprint, "EXTRA_CODE_ROOTS", [extra])
    same, why = _decision(home)
    assert not same and "code or settings changed" in why
    assert not _decision(home, ["education"])[0]


def test_code_fingerprint_follows_the_files_that_shape_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprint, "ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "CODE_PATHS", REAL_CODE_PATHS)
    files = {
        "settings": tmp_path / "sources" / "caf" / "settings.py",
        "views": tmp_path / "warehouse" / "views_caf.sql",
        "asset": tmp_path / "pipelines" / "assets" / "caf.py",
        "notebook": tmp_path / "notebooks" / "explore.py",  # shapes no table
        "fiche": tmp_path / "warehouse" / "fiche" / "render.py",  # reads the warehouse, builds nothing
    }
    for f in files.values():
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("A = 1\n", encoding="utf-8")
    first = fingerprint.code_fingerprint("données synthétiques")
    assert fingerprint.code_fingerprint("données officielles") != first
    for name in ("notebook", "fiche"):
        files[name].write_text("A = 2\n", encoding="utf-8")
        assert fingerprint.code_fingerprint("données synthétiques") == first, name
    seen = {first}
    for name in ("settings", "views", "asset"):
        files[name].write_text("A = 2\n", encoding="utf-8")
        now = fingerprint.code_fingerprint("données synthétiques")
        assert now not in seen, name
        seen.add(now)


def test_changed_file_killed_refresh_then_rebuild_then_force(home: Path) -> None:
    path = warehouse_path(home)
    ips = _ips_file(home)
    lines = ips.read_bytes().split(b"\n")
    header = lines[0].split(b";")
    col = header.index(b"ips")
    fields = lines[1].split(b";")
    fields[col] = f"{float(fields[col]) + 0.1:.1f}".encode()  # a valid value, another figure
    lines[1] = b";".join(fields)
    ips.write_bytes(b"\n".join(lines))
    same, why = _decision(home)
    assert not same and "fr-en-ips-colleges-ap2023" in why, why
    same, why = _decision(home, ["education"])
    assert not same and "fr-en-ips-colleges-ap2023" in why, why
    assert _decision(home, ["caf"])[0]  # the CAF files did not change

    # Killed after the new warehouse (and its record) is written, just before the rename.
    before = _state(path)
    env = {**os.environ, "QUARTIERS_KILL_AT": "swap.before_rename"}
    code = (
        "from pathlib import Path; from pipelines.refresh import run_refresh; "
        f"run_refresh(home=Path({str(home)!r}), env='sample', only=['education'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, check=False)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert _state(path) == before
    assert not _decision(home)[0] and not _decision(home, ["education"])[0]

    # The next refresh rebuilds (only education: its files changed); then a full one has nothing to do.
    report = run_refresh(home=home, env="sample", only=["education"])
    assert report.success and not report.skipped and report.steps, (report.failed_step, report.error)
    assert _state(path) != before
    con = connect_readonly(path, spatial=False)
    got = con.execute(
        "SELECT count(*) FROM source_file WHERE dataset = 'fr-en-ips-colleges-ap2023' AND sha256 = ?",
        [hashlib.sha256(ips.read_bytes()).hexdigest()],
    ).fetchone()
    con.close()
    assert got == (1,)
    assert _decision(home) == (True, _decision(home)[1])
    after = _state(path)
    assert run_refresh(home=home, env="sample").skipped
    assert _state(path) == after

    # --force rebuilds although nothing changed.
    out = CliRunner().invoke(
        app,
        ["refresh", "--home", str(home), "--only", "education", "--force"],
        env={"QUARTIERS_ENV": "sample"},
    )
    assert out.exit_code == 0, out.output
    assert "nothing changed" not in out.output
    assert _state(path)[1] != after[1]
    out = CliRunner().invoke(app, ["refresh", "--home", str(home)], env={"QUARTIERS_ENV": "sample"})
    assert out.exit_code == 0 and "nothing changed" in out.output, out.output
