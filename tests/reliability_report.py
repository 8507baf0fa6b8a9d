"""The fault suite's reliability report, printed at the end of the run from the tests actually run.

The tests may run in pytest-xdist workers while the report is printed by the controlling process: a
worker writes what each fault test tried, and the integrity checks and data losses of the fault
ledger (tests/faults/reliability.py), into the test's report (`user_properties` travel with it); the
controller adds them up as the reports arrive. Without xdist the same hooks run in the one process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest
from _pytest.terminal import TerminalReporter

CATEGORY = "fault_category"
LEDGER_DELTA = "fault_ledger"


@dataclass
class _Tally:
    tried: Counter[str] = field(default_factory=Counter)
    survived: Counter[str] = field(default_factory=Counter)
    known: Counter[str] = field(default_factory=Counter)
    failed: dict[str, list[str]] = field(default_factory=dict)
    checked: int = 0
    lost: list[str] = field(default_factory=list)


_TALLY = _Tally()
# How much of the worker's ledger was already put into a report: a worker runs one test at a time,
# so what the ledger gained since belongs to the report being made.
_cursor = {"checked": 0, "lost": 0}


def _category(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("fault")
    return str(marker.args[0]) if marker is not None and marker.args else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """In the process that ran the test: put its fault category and the ledger's gain into its report."""
    from tests.faults.reliability import LEDGER

    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    category = _category(item)
    if category is not None:
        report.user_properties.append((CATEGORY, category))
    checked, lost = LEDGER.checked - _cursor["checked"], LEDGER.lost[_cursor["lost"] :]
    if checked or lost:
        report.user_properties.append((LEDGER_DELTA, [checked, list(lost)]))
        _cursor["checked"], _cursor["lost"] = LEDGER.checked, len(LEDGER.lost)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In the process that prints the report (the controller under xdist): add the test up."""
    props = dict(report.user_properties)
    if LEDGER_DELTA in props:
        checked, lost = props[LEDGER_DELTA]  # type: ignore[misc]
        _TALLY.checked += int(checked)
        _TALLY.lost.extend(str(x) for x in lost)
    category = props.get(CATEGORY)
    if category is None or (report.skipped and not hasattr(report, "wasxfail")):
        return
    category = str(category)
    if report.when == "call" or (report.when == "setup" and report.failed):
        _TALLY.tried[category] += 1
        if hasattr(report, "wasxfail"):
            _TALLY.known[category] += 1
        elif report.passed:
            _TALLY.survived[category] += 1
        else:
            _TALLY.failed.setdefault(category, []).append(report.nodeid)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    t = _TALLY
    if not t.tried:
        return
    tr = terminalreporter
    tr.section("Quartiers reliability report")
    tr.write_line(f"{'category':<22}{'tried':>7}{'survived':>10}{'known bug':>11}{'failed':>8}")
    for category in sorted(t.tried):
        tr.write_line(
            f"{category:<22}{t.tried[category]:>7}{t.survived[category]:>10}{t.known[category]:>11}"
            f"{len(t.failed.get(category, [])):>8}"
        )
    total, survived, known = sum(t.tried.values()), sum(t.survived.values()), sum(t.known.values())
    tr.write_line(
        f"faults tried: {total}; survived: {survived}; known bugs (xfail): {known}; "
        f"failed: {total - survived - known}; integrity checks: {t.checked}; data lost: {len(t.lost)}"
    )
    for loss in t.lost:
        tr.write_line(f"DATA LOST: {loss}", red=True)
