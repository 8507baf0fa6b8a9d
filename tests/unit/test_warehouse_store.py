"""The warehouse: built into a new file and swapped atomically; readers never blocked nor mixed."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest

from tests.frames import observation_rows
from warehouse.query import run_sql
from warehouse.store import WarehouseError, build_warehouse, connect_readonly, refresh_lock

TERRITORY = pl.DataFrame(
    {
        "kind": ["commune"],
        "code": ["99101"],
        "name": ["Valbourg"],
        "geo_version": ["cog2024"],
        "area_m2": [1.0],
    }
)


def build(path: Path, name: str, **kw: object) -> None:
    build_warehouse(
        path,
        {"territory": TERRITORY.with_columns(pl.lit(name).alias("name"))},
        {"label": name},
        **kw,  # type: ignore[arg-type]
    )


def test_reader_opened_before_a_swap_keeps_reading_the_previous_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "old")
    reader = connect_readonly(path)
    build(path, "new")
    assert reader.execute("SELECT name FROM territory").fetchone() == ("old",)
    # DuckDB shares one database instance per path within a process: once the old reader is closed,
    # a new connection opens the new file.
    reader.close()
    assert connect_readonly(path).execute("SELECT name FROM territory").fetchone() == ("new",)


def test_failed_build_leaves_the_previous_warehouse_untouched(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "old")
    before = path.read_bytes()

    def boom(_: Path) -> None:
        raise RuntimeError("check failed on the new warehouse")

    with pytest.raises(RuntimeError):
        build(path, "new", before_swap=boom)
    assert path.read_bytes() == before
    # A later refresh cleans the leftover and succeeds.
    build(path, "newer")
    assert connect_readonly(path).execute("SELECT name FROM territory").fetchone() == ("newer",)
    assert [p.name for p in tmp_path.iterdir() if "building" in p.name] == []


def test_bad_table_lands_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "old")
    bad = TERRITORY.with_columns(pl.lit(None, dtype=pl.String).alias("code"))  # NOT NULL in the schema
    with pytest.raises(Exception, match="NOT NULL"):
        build_warehouse(path, {"territory": bad}, {})
    assert connect_readonly(path).execute(
        "SELECT value FROM warehouse_info WHERE key = 'label'"
    ).fetchone() == ("old",)


def test_a_second_refresh_is_refused_while_one_runs(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with refresh_lock(path), pytest.raises(WarehouseError, match="une autre actualisation"):
        build(path, "x")


def test_readers_in_a_loop_never_fail_nor_see_a_mix(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "gen0")
    errors: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                con = connect_readonly(path, spatial=False)
                name = con.execute("SELECT name FROM territory").fetchone()[0]  # type: ignore[index]
                label = con.execute("SELECT value FROM warehouse_info WHERE key = 'label'").fetchone()[0]  # type: ignore[index]
                con.close()
                if name != label:
                    errors.append(f"mixed: {name} vs {label}")
                seen.add(name)
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(1, 8):
        build(path, f"gen{i}")
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) >= 2


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM territory",
        "DROP TABLE territory",
        "ATTACH '/tmp/x.duckdb' AS x",
        "COPY territory TO '/tmp/out.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT 1; DROP TABLE territory",
        "INSTALL httpfs",
    ],
)
def test_sql_is_read_only(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "x")
    with pytest.raises(WarehouseError):
        run_sql(path, sql)
    assert run_sql(path, "SELECT count(*) FROM territory")[1] == [(1,)]


def test_no_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="lancer d'abord `quartiers refresh`"):
        connect_readonly(tmp_path / "absent.duckdb")


# --- tables given as staged Parquet files (read by DuckDB itself) -------------------------------------
def _obs_frame(codes: list[str]) -> pl.DataFrame:
    return observation_rows(codes)


def test_tables_from_parquet_files_declared_or_not_and_partitioned(tmp_path: Path) -> None:
    staged = tmp_path / "staged"
    staged.mkdir()
    TERRITORY.write_parquet(staged / "territory.parquet")
    # a partitioned table: one file per partition, columns in another order in the second file
    _obs_frame(["QN3", "QN1"]).write_parquet(staged / "p1.parquet")
    _obs_frame(["QN2"]).select(reversed(_obs_frame([]).columns)).write_parquet(staged / "p2.parquet")
    pl.DataFrame({"a": [1, 2], "b": ["x", None]}).write_parquet(staged / "extra.parquet")
    path = tmp_path / "w.duckdb"
    build_warehouse(
        path,
        {
            "territory": staged / "territory.parquet",
            "observation": [staged / "p1.parquet", staged / "p2.parquet"],
            "extra_table": [staged / "extra.parquet"],
            "not_staged_yet": [],
        },
        {"label": "files"},
    )
    con = connect_readonly(path, spatial=False)
    assert con.execute("SELECT kind, code, name FROM territory").fetchall() == [
        ("commune", "99101", "Valbourg")
    ]
    # declared columns the files lack are NULL; rows come out in the territory order the queries use
    rows = con.execute("SELECT territory_code, value, period_type FROM observation").fetchall()
    assert rows == [("QN1", 1.0, None), ("QN2", 0.0, None), ("QN3", 0.0, None)]
    assert con.execute("SELECT * FROM extra_table ORDER BY a").fetchall() == [(1, "x"), (2, None)]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "not_staged_yet" not in tables
    assert con.execute("SELECT value FROM warehouse_info WHERE key = 'label'").fetchone() == ("files",)


def test_bad_parquet_table_lands_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build(path, "old")
    bad = tmp_path / "territory.parquet"
    TERRITORY.with_columns(pl.lit(None, dtype=pl.String).alias("code")).write_parquet(bad)
    with pytest.raises(Exception, match="NOT NULL"):
        build_warehouse(path, {"territory": bad}, {"label": "new"})
    assert connect_readonly(path).execute(
        "SELECT value FROM warehouse_info WHERE key = 'label'"
    ).fetchone() == ("old",)


def test_leftovers_of_a_killed_build_are_cleaned_files_and_folders(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    (tmp_path / ".w.duckdb.building-123").write_bytes(b"half")
    (tmp_path / ".w.duckdb.building-123.wal").write_bytes(b"wal")
    spill = tmp_path / ".w.duckdb.building-123.tmp"  # DuckDB's spill folder
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x")
    build(path, "fresh")
    assert [p.name for p in tmp_path.iterdir() if "building" in p.name] == []
    assert connect_readonly(path).execute("SELECT name FROM territory").fetchone() == ("fresh",)
