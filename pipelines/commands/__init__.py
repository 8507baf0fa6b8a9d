"""CLI commands of each source, discovered: a module here defining ``register(app)`` adds its commands.

Command modules import heavy libraries inside the command bodies, so that `quartiers locate` and
friends stay fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
