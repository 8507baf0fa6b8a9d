"""Shared test fixtures: paths to the committed fixtures and to the real extracts in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def real_build(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One warehouse built from the whole of ../shared/data (`quartiers refresh --files ../shared/data`)
    for the test run, shared by the tests that only read it (a test that writes copies the home)."""
    from pipelines.refresh import run_refresh

    home = tmp_path_factory.mktemp("real_build")
    report = run_refresh(home=home, files=[shared_data])
    assert report.success, report.error
    return home, report


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One warehouse built from the synthetic sample mirror for the test run, shared by the tests that
    only read it (a test that writes copies the home)."""
    from pipelines.refresh import run_refresh
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    home = tmp_path_factory.mktemp("sample_build")
    generate_sample(sample_mirror(home))
    report = run_refresh(home=home, env="sample")
    assert report.success, report.error
    return home, report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect garbage while sqlite is still alive: a Dagster storage engine collected at interpreter exit
    prints « Cannot operate on a closed database » tracebacks under pytest's summary line."""
    import gc

    gc.collect()
