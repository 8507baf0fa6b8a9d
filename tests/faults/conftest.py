"""The fault suite's marker. Its reliability report is added up in tests/reliability_report.py (loaded by
tests/conftest.py, so that the process printing the summary has it under pytest-xdist too)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(category): a fault injected; counted in the reliability report")


@pytest.fixture(scope="session")
def sample_mirror_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic sample mirror whose files the bad-file tests corrupt (copies: it stays whole)."""
    from synthetic.sample import generate_sample

    mirror = tmp_path_factory.mktemp("sample") / "mirror"
    generate_sample(mirror)
    return mirror
