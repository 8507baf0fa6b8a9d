"""The sample mirror is the same bytes at every generation (the proof that a refactoring changes no table
compares two builds of it: bench/dump_tables.py)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from synthetic.sample import generate_sample


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_generations_write_the_same_bytes(tmp_path: Path) -> None:
    generate_sample(tmp_path / "a")
    time.sleep(1.1)  # a timestamp written into a file (openpyxl's, to the second) would differ
    generate_sample(tmp_path / "b")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a and a == b, sorted(k for k in a if a[k] != b.get(k))
