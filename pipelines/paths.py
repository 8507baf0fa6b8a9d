"""Where Quartiers keeps its files (no heavy imports: the CLI's quick commands use it)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def default_home() -> Path:
    """Raw files, staged tables and the warehouse: ``$QUARTIERS_HOME``, else the gitignored ``var/``."""
    return Path(os.environ.get("QUARTIERS_HOME", REPO / "var")).resolve()


def sample_mirror(home: Path) -> Path:
    return home / "mirror-sample"


def warehouse_path(home: Path) -> Path:
    return home / "warehouse.duckdb"
