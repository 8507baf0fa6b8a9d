"""The fault suite's marker. Its reliability report is added up in tests/reliability_report.py (loaded by
tests/conftest.py, so that the process printing the summary has it under pytest-xdist too)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(category): a fault injected; counted in the reliability report")
