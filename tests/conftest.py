"""Shared test fixtures: paths to the committed fixtures and to the real extracts in ../shared, and the
sample and real-data warehouses built once per test run."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import hypothesis  # noqa: F401  (see below)
import pytest

from tests.reliability_report import (  # noqa: F401  (hooks: pytest finds them by name here)
    pytest_runtest_logreport,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)

# hypothesis is imported here, at a shallow stack: otherwise the first Pandera polars validation imports it
# deep inside a Dagster call, pytest rewrites it there, and CPython 3.11.7's ast.parse fails with
# « AST constructor recursion depth mismatch » (seen running tests/unit/test_staged_assets.py alone).
REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real extracts beside the repo; tests that use them skip cleanly when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


def _built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]
) -> tuple[Path, object]:
    """A home built once for the whole test run, with its refresh report. Under pytest-xdist every worker
    asks: the first builds it in the run's common temp folder under a file lock, the others wait for it
    and read its report."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' temp folders are siblings in the run's
    home, done = root / name, root / f"{name}.report.pickle"
    with (root / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not done.exists():
            report = build(home)
            assert getattr(report, "success", False), getattr(report, "error", report)
            done.write_bytes(pickle.dumps(report))
    return home, pickle.loads(done.read_bytes())  # written above, by this test run


@pytest.fixture(scope="session")
def real_build(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One warehouse built from the whole of ../shared/data (`quartiers refresh --files ../shared/data`)
    for the test run, shared by the tests that only read it (a test that writes copies the home)."""
    from pipelines.refresh import run_refresh

    def build(home: Path) -> object:
        return run_refresh(home=home, files=[shared_data])

    return _built_once(tmp_path_factory, "real_build", build)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One warehouse built from the synthetic sample mirror for the test run, shared by the tests that
    only read it (a test that writes copies it: `sample_copy`)."""
    from pipelines.refresh import run_refresh
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    def build(home: Path) -> object:
        generate_sample(sample_mirror(home))
        return run_refresh(home=home, env="sample")

    return _built_once(tmp_path_factory, "sample_build", build)


@pytest.fixture(scope="session")
def built(sample_build: tuple[Path, object]) -> Path:
    """The home of the session's sample build, read only. A module that writes in its home defines its
    own `built` (a `sample_copy`), which takes precedence in that module."""
    return sample_build[0]


@pytest.fixture(scope="session")
def sample_copy(
    sample_build: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """A fresh copy of the session's sample build (`sample_copy("name")` → its home), for a module or a
    test that refreshes, corrupts or kills in its home: the 12 MB copy costs far less than a build."""

    def copy(name: str = "home") -> Path:
        target = tmp_path_factory.mktemp(name) / "home"
        shutil.copytree(sample_build[0], target)
        return target

    return copy


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect garbage while sqlite is still alive: a Dagster storage engine collected at interpreter exit
    prints « Cannot operate on a closed database » tracebacks under pytest's summary line."""
    import gc

    gc.collect()
