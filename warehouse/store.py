"""Build the DuckDB warehouse into a new file, then swap it in with one atomic rename.

Readers hold read-only connections; a connection opened before the swap keeps reading the previous
file (the rename does not touch its inode), a connection opened after sees the new one. A refresh
killed at any point leaves the previous warehouse file untouched: only ``os.replace`` publishes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sources._errors import QuartiersError
from sources._faults import checkpoint
from warehouse.spatial import load_spatial

if TYPE_CHECKING:  # polars is imported where tables are written: readers (the CLI) start faster
    import polars as pl

# Tables stored in the order their queries read them: DuckDB skips row groups by min/max, so a
# territory's figures sit together (the profile, a fiche, a series read one territory at a time).
TABLE_ORDER: dict[str, tuple[str, ...]] = {
    "observation": ("territory_kind", "territory_code", "indicator_id", "period"),
}

# Memory DuckDB may hold while building (it spills sorts and joins to its temp folder beyond that). The
# build runs inside the refresh process, after the Polars steps: 2 GB keeps the national refresh under
# 4 GiB of RSS (measured: the build took 33 s with 12 GB and 40 s with 2 GB, peak 6.0 vs 2.7 GiB). A
# fixed 1 GB was too little for some operators that cannot spill (the real contracts' build failed with
# "Out of Memory"). QUARTIERS_BUILD_MEMORY (a DuckDB size, "8GB") gives a large machine more.
BUILD_MEMORY_LIMIT = os.environ.get("QUARTIERS_BUILD_MEMORY", "2GB")


class WarehouseError(QuartiersError):
    """The warehouse is absent, locked by another refresh, or a statement is refused."""


def _sql(name: str) -> str:
    return (resources.files("warehouse") / name).read_text(encoding="utf-8")


def _sql_files(prefix: str) -> list[str]:
    """``schema.sql`` then ``schema_<source>.sql`` (likewise views): each source adds its own file."""
    names = [
        p.name
        for p in resources.files("warehouse").iterdir()
        if p.name.startswith(prefix) and p.name.endswith(".sql")
    ]
    return sorted(names, key=lambda n: (n != f"{prefix}.sql", n))


def _statements(text: str) -> list[str]:
    return [s.strip() for s in text.split("\n;;") if s.strip() and not s.strip().startswith(";;")]


@contextmanager
def refresh_lock(path: Path) -> Iterator[None]:
    """One refresh at a time per warehouse; a second one fails at once with a clear message."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseError(f"une autre actualisation écrit {path} (verrou {lock_path} tenu)") from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_warehouse(
    path: Path,
    tables: Mapping[str, pl.DataFrame | Path | Sequence[Path]],
    info: dict[str, str],
    *,
    before_swap: Callable[[Path], None] | None = None,
) -> Path:
    """Write every table into a fresh DuckDB file next to ``path`` and rename it over ``path``.

    A table is a frame or its staged Parquet file(s) (read by DuckDB; a table declared in SQL gets
    the files' columns; an undeclared table with no file at all is not created).

    ``before_swap`` receives the finished new file (used by tests and by the checks that must pass on
    the new warehouse before it is published).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with refresh_lock(path):
        for stale in path.parent.glob(f".{path.name}.building-*"):
            # left by a killed refresh (the file, its WAL, DuckDB's spill folder); we hold the lock
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
        con = duckdb.connect(str(tmp), config={"memory_limit": BUILD_MEMORY_LIMIT})
        try:
            load_spatial(con)
            for name in _sql_files("schema"):
                for stmt in _statements(_sql(name).replace(";\n", "\n;;\n")):
                    con.execute(stmt)
            known = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            stamped = {**info, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
            everything = {**tables, "warehouse_info": _info_frame(stamped)}
            for name, source in everything.items():
                _write_table(con, name, source, exists=name in known)
                checkpoint(f"write.{name}")
            for name in _sql_files("views"):
                _create_views(con, name)
            checkpoint("write.views")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            raise WarehouseError(f"{tmp}: a WAL file survived the checkpoint; refusing to publish")
        checkpoint("swap.before_fsync")
        _fsync(tmp)
        if before_swap is not None:
            before_swap(tmp)
        checkpoint("swap.before_rename")
        os.replace(tmp, path)
        checkpoint("swap.after_rename")
        _fsync(path.parent)
    return path


def _create_views(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run one views file. A file whose source tables this build does not hold (a partial build: a
    test, or `--only` on a fresh home) is skipped whole, from the statement that needs them on; any
    other error fails the build."""
    for stmt in _statements(_sql(name)):
        try:
            con.execute(stmt)
        except duckdb.CatalogException as exc:
            if "does not exist" not in str(exc):
                raise
            return


def _info_frame(stamped: dict[str, str]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame({"key": list(stamped), "value": list(stamped.values())})


def _write_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    source: pl.DataFrame | Path | Sequence[Path],
    *,
    exists: bool,
) -> None:
    if not name.isidentifier():
        raise WarehouseError(f"invalid table name {name!r}")
    import polars as pl

    order = TABLE_ORDER.get(name, ())
    params: list[object] = []
    if isinstance(source, pl.DataFrame):
        con.register("_incoming", source.to_arrow())
        relation, columns = "_incoming", list(source.columns)
    else:
        # Staged Parquet (one file, or one per partition): DuckDB reads it itself, in parallel, and the
        # rows never become Python or Arrow objects.
        files = [str(p) for p in ([source] if isinstance(source, Path) else source)]
        if not files:
            return  # no staged partition yet: a declared table stays empty, an undeclared one absent
        relation, params = "read_parquet(?, union_by_name = true)", [files]
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()]  # noqa: S608 (no value)
    try:
        order_sql = ""
        if order and set(order) <= set(columns):
            order_sql = " ORDER BY " + ", ".join(f'"{c}"' for c in order)
        if exists:
            cols = ", ".join(f'"{c}"' for c in columns)
            sql = f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {relation}{order_sql}'  # noqa: S608 (identifiers)
        else:
            sql = f'CREATE TABLE "{name}" AS SELECT * FROM {relation}{order_sql}'  # noqa: S608 (identifier)
        con.execute(sql, params)
    finally:
        if relation == "_incoming":
            con.unregister("_incoming")


def connect_readonly(path: Path, *, spatial: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-only connection (spatial loaded unless told not to); never blocks a refresh."""
    if not path.exists():
        raise WarehouseError(f"pas d'entrepôt dans {path} : lancer d'abord `quartiers refresh`")
    con = duckdb.connect(str(path), read_only=True)
    if spatial:
        load_spatial(con)
    return con


def warehouse_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM warehouse_info").fetchall())
