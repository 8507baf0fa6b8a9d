"""The fault suite's reliability report, printed at the end of the run from the tests actually run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator

import pytest
from _pytest.terminal import TerminalReporter

from tests.faults.reliability import LEDGER

_tried: Counter[str] = Counter()
_survived: Counter[str] = Counter()
_known: Counter[str] = Counter()
_failed: dict[str, list[str]] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(category): a fault injected; counted in the reliability report")


def _category(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("fault")
    return str(marker.args[0]) if marker is not None and marker.args else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    category = _category(item)
    if category is None or (report.skipped and not hasattr(report, "wasxfail")):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _tried[category] += 1
        if hasattr(report, "wasxfail"):
            _known[category] += 1
        elif report.passed:
            _survived[category] += 1
        else:
            _failed.setdefault(category, []).append(item.nodeid)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if not _tried:
        return
    tr = terminalreporter
    tr.section("Quartiers reliability report")
    tr.write_line(f"{'category':<22}{'tried':>7}{'survived':>10}{'known bug':>11}{'failed':>8}")
    for category in sorted(_tried):
        tr.write_line(
            f"{category:<22}{_tried[category]:>7}{_survived[category]:>10}{_known[category]:>11}"
            f"{len(_failed.get(category, [])):>8}"
        )
    total, survived, known = sum(_tried.values()), sum(_survived.values()), sum(_known.values())
    tr.write_line(
        f"faults tried: {total}; survived: {survived}; known bugs (xfail): {known}; "
        f"failed: {total - survived - known}; integrity checks: {LEDGER.checked}; "
        f"data lost: {len(LEDGER.lost)}"
    )
    for loss in LEDGER.lost:
        tr.write_line(f"DATA LOST: {loss}", red=True)
