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


# Export folders a command must never write into, whatever the user typed (`../../etc`, symlinks…).
SYSTEM_DIRS = (
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/boot",
    "/proc",
    "/sys",
    "/dev",
    "/var/lib",
)


class OutputPathError(ValueError):
    """An export folder that is a file, or resolves into a system folder."""


def output_dir(path: Path) -> Path:
    """The resolved export folder, refused when it is not a folder or lies in a system folder."""
    text = str(path)
    if any(ch in text for ch in "\x00\r\n"):
        raise OutputPathError(f"{text!r}: control characters in a folder name; refused")
    resolved = path.expanduser().resolve()
    if resolved.exists() and not resolved.is_dir():
        raise OutputPathError(f"{text}: exists and is not a folder; refused")
    for system in SYSTEM_DIRS:
        if resolved == Path(system) or resolved.is_relative_to(system):
            raise OutputPathError(
                f"{text}: resolves to {resolved}, inside the system folder {system}; refused"
            )
    return resolved
