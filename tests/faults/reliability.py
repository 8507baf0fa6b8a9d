"""The ledger behind the reliability report: what each fault test tried, and any data it lost.

A test marked ``@pytest.mark.fault("<category>")`` counts as one fault tried; it survived if it
passed. A known weakness is marked ``xfail(strict=True)`` and counted apart. Data lost is counted
by the guards below, *before* they fail the test, so that the report says what was lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Ledger:
    lost: list[str] = field(default_factory=list)
    checked: int = 0

    def record_loss(self, what: str) -> None:
        self.lost.append(what)


LEDGER = Ledger()


def assert_unchanged(path: Path, before: bytes, what: str) -> None:
    """The previous warehouse (or any published file) must be byte-identical after a fault."""
    LEDGER.checked += 1
    after = path.read_bytes() if path.exists() else b""
    if after != before:
        LEDGER.record_loss(f"{what}: {path} changed ({len(before)} → {len(after)} bytes)")
    assert after == before, f"{path} changed after {what}"


def assert_raw_archive_sound(raw: Path, what: str) -> None:
    """Every file kept in the raw archive ``<sha[:2]>/<sha>/<name>`` still has that sha256."""
    LEDGER.checked += 1
    bad = []
    for folder in raw.glob("??/*"):
        for f in folder.iterdir():
            if f.name == "meta.json" or not f.is_file():
                continue
            if hashlib.sha256(f.read_bytes()).hexdigest() != folder.name:
                bad.append(str(f))
    if bad:
        LEDGER.record_loss(f"{what}: raw files whose bytes no longer match their sha256: {bad}")
    assert not bad, bad
