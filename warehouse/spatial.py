"""Loading DuckDB's spatial extension offline, from the wheel pinned in pyproject."""

from __future__ import annotations

from importlib import resources

import duckdb


def spatial_extension_path() -> str:
    """Path of the spatial extension binary shipped by `duckdb-extension-spatial` for this DuckDB."""
    version = duckdb.__version__
    root = (
        resources.files("duckdb_extension_spatial")
        / "extensions"
        / f"v{version}"
        / "spatial.duckdb_extension"
    )
    return str(root)


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD the extension from its file: no INSTALL, nothing written to ~/.duckdb, no network."""
    # LOAD takes a literal path, not a parameter; the path comes from the installed package, not a user.
    con.execute(f"LOAD '{spatial_extension_path()}'")
