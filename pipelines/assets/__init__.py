"""Every source's Dagster module, discovered: a module of this package that defines ``ASSETS`` plugs
in without editing a shared file.

A source module may define:
- ``ASSETS``, ``CHECKS``: its assets and asset checks;
- ``PUBLISHED``: names of its assets that are warehouse tables;
- ``EXTENDS``: (table, asset) pairs: the asset's rows are added to a table another module publishes;
- ``STAGED``: names of its assets carrying ``source_sha256`` (their files land in ``source_file``);
- ``OBSERVATIONS``: names of its assets in the observation shape (concatenated into ``observation``);
- ``CATALOGS``: names of its assets in the indicator-catalog shape (concatenated into ``indicator``);
- ``SERIES``: (source label, observations asset, revisions asset) of a per-period source (read by
  the shared series tables, pipelines/assets/series.py);
- ``JOBS``, ``SCHEDULES``, ``SENSORS``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

# Modules that are framework, not sources: they consume the lists above.
_FRAMEWORK = {"warehouse", "observations", "series"}


def source_modules() -> list[ModuleType]:
    """Source modules in name order (geography first: everything hangs on it)."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _FRAMEWORK)
    names.sort(key=lambda n: n != "geography")
    modules = [importlib.import_module(f"{__name__}.{n}") for n in names]
    return [m for m in modules if hasattr(m, "ASSETS")]


def collect(attribute: str) -> list[object]:
    out: list[object] = []
    for module in source_modules():
        out.extend(getattr(module, attribute, []))
    return out
