"""Read-only access for analysts: `quartiers sql`, and the sandboxed connection behind it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.store import WarehouseError, connect_readonly

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


def sandboxed(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, and no file system access beyond the warehouse: no ATTACH, COPY TO, read_csv(…)."""
    con = connect_readonly(path)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_sql(path: Path, sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Run one read-only statement; anything but SELECT/EXPLAIN is refused before it runs."""
    con = sandboxed(path)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot parse the query: {exc}") from exc
        if len(statements) != 1:
            raise WarehouseError(f"one statement at a time, got {len(statements)}")
        kind = statements[0].type
        if kind not in ALLOWED:
            raise WarehouseError(f"`quartiers sql` is read-only: a {kind.name} statement is refused")
        try:
            rel = con.execute(sql)
        except duckdb.Error as exc:
            raise WarehouseError(str(exc)) from exc
        columns = [d[0] for d in rel.description or []]
        return columns, rel.fetchall()
    finally:
        con.close()
