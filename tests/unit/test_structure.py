"""The code's shape, held (issue 17): data flows one way, Dagster's private API is met in one module, and
no module, code or test, grows past what one reader can hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ("sources", "models", "checks", "warehouse", "synthetic")
CODE = (*CORE, "pipelines", "bench")
MAX_LINES = 600


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


# An import statement at the start of a line (module level or inside a function). Read line by line rather
# than with ast.parse: CPython 3.11.7's parser sometimes fails with « AST constructor recursion depth
# mismatch » when called deep inside a pytest worker.
_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*))")


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _IMPORT.match(line)
        if m:
            names.add(m.group(1) or m.group(2))
    return names


def test_nothing_below_pipelines_imports_it() -> None:
    """sources → models → checks → warehouse: the Dagster wiring in pipelines/ is on top, never under."""
    wrong = {
        str(p.relative_to(ROOT)): sorted(n for n in _imported(p) if n.split(".")[0] == "pipelines")
        for p in _modules(*CORE)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_only_one_module_imports_dagster_private_names() -> None:
    users = {
        str(p.relative_to(ROOT))
        for p in _modules(*CODE, "tests")
        if any(n.startswith("dagster._") for n in _imported(p))
    }
    assert users == {"pipelines/dagster_private.py"}


def test_no_module_over_600_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(*CODE, "tests")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_real_modules() -> None:
    """The three tests above would pass on an empty tree: they read the modules that are there."""
    assert len(_modules(*CORE)) > 100
    assert "pipelines.refresh" in _imported(ROOT / "pipelines" / "cli.py") or any(
        n.startswith("pipelines.") for n in _imported(ROOT / "pipelines" / "cli.py")
    )
    assert any(n.startswith("dagster._") for n in _imported(ROOT / "pipelines" / "dagster_private.py"))
