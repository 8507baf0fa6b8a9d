"""What every command shares: the `--home` option, the home folder, a read-only connection, a checked output
folder, the refusal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    import duckdb

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Dossier des données (par défaut : $QUARTIERS_HOME ou ./var)")
]

err = Console(stderr=True, soft_wrap=True)


def home_dir(home: Path | None) -> Path:
    """The data folder: `--home`, else $QUARTIERS_HOME, else the gitignored ./var."""
    from warehouse.paths import default_home

    return (home or default_home()).resolve()


def fail(message: str) -> typer.Exit:
    """Print the refusal on stderr and return the exit (status 2) for the caller to raise."""
    err.print(f"[bold red]erreur :[/] {message}")
    return typer.Exit(code=2)


def connect(home: Path | None, *, spatial: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse of `home`, or the refusal naming why (absent, locked…)."""
    from warehouse.paths import warehouse_path
    from warehouse.store import WarehouseError, connect_readonly

    try:
        return connect_readonly(warehouse_path(home_dir(home)), spatial=spatial)
    except WarehouseError as exc:
        raise fail(str(exc)) from exc


def out_dir(path: Path) -> Path:
    """A user-given output folder, checked (never a file, never a system folder), or the refusal."""
    from warehouse.paths import OutputPathError, output_dir

    try:
        return output_dir(path)
    except OutputPathError as exc:
        raise fail(str(exc)) from exc
