"""Security: every CLI command that takes a code, a name or a path refuses `../`, quotes and SQL
fragments (or binds them harmlessly); `quartiers sql` is read-only; nothing is written outside."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipelines.cli import app
from tests.faults.reliability import assert_unchanged
from warehouse.paths import warehouse_path

pytestmark = pytest.mark.fault("security")

PAYLOADS = [
    "../../etc/passwd",
    "..",
    "x'; DROP TABLE territory; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "61006' UNION SELECT * FROM warehouse_info --",
    "QN06101M; ATTACH '/tmp/evil.duckdb' AS e",
    "%' AND 1=1 AND '%'='",
    "read_csv('/etc/passwd')",
    "$(touch /tmp/quartiers-pwned)",
    "a\x00b",
]
# Options that are not user data reaching SQL or a path: the data folder and the mirror are the
# user's own directories; numbers are parsed by typer.
# `refresh --files` takes the user's own files and folders (each recognised by content, or refused).
NOT_VALIDATED = {"home", "mirror", "files", "seed", "lon", "lat", "live"}
# Commands that would run a whole refresh or write the sample: fed their option values, but the
# refresh must fail cleanly rather than run.
SLOW = {"demo", "sample"}


@pytest.fixture(scope="module")
def home(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("home")  # commands write their outputs in it


def _string_params() -> list[tuple[str, str, bool]]:
    """(command, option/argument name, is_argument) for every textual parameter of every command."""
    group = typer.main.get_command(app)
    out = []
    for name, cmd in sorted(group.commands.items()):  # type: ignore[attr-defined]
        if name in SLOW:
            continue
        for p in cmd.params:
            if p.name in NOT_VALIDATED or p.name is None or getattr(p, "is_flag", False):
                continue
            is_argument = p.param_type_name == "argument"
            out.append((name, p.name if is_argument else p.opts[0], is_argument))
    return out


PARAMS = _string_params()


@pytest.mark.parametrize(("command", "param", "is_argument"), PARAMS, ids=[f"{c}-{p}" for c, p, _ in PARAMS])
@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_hostile_values_are_refused_or_bound(
    command: str,
    param: str,
    is_argument: bool,
    payload: str,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A payload that is a harmless relative folder name is written there: inside tmp_path, never the repo.
    monkeypatch.chdir(tmp_path)
    before = warehouse_path(home).read_bytes()
    args = [command, "--home", str(home)]
    args += [payload] if is_argument else [param, payload]
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{command} --{param} {payload!r} crashed: {result.exception!r}"
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    if command == "sql":
        assert result.exit_code == 2, f"sql accepted {payload!r}: {result.output}"
    assert_unchanged(warehouse_path(home), before, f"{command} --{param} {payload!r}")
    assert not Path("/tmp/quartiers-pwned").exists()
    assert not Path("/tmp/evil.duckdb").exists()
    assert not list(home.rglob("passwd"))


@pytest.mark.parametrize(
    "code",
    ["../61006", "61006'", "61006; DROP TABLE territory", "6100", "610066", "2C001", "61006 OR 1=1"],
)
def test_commune_codes_follow_the_insee_pattern(code: str, home: Path) -> None:
    result = CliRunner().invoke(app, ["territories", "--home", str(home), "--commune", code])
    assert result.exit_code == 2 and "not an INSEE commune code" in result.output


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM territory",
        "UPDATE territory SET name = 'x'",
        "INSERT INTO territory SELECT * FROM territory",
        "CREATE TABLE t AS SELECT 1",
        "DROP VIEW IF EXISTS v_qpv_communes",
        "ATTACH '/tmp/evil.duckdb' AS e",
        "DETACH warehouse",
        "COPY territory TO '/tmp/quartiers-out.csv'",
        "EXPORT DATABASE '/tmp/quartiers-export'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "SELECT * FROM ST_Read('/etc/passwd')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "PRAGMA enable_profiling",
        "CALL pragma_database_list()",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE territory",
        "CHECKPOINT",
        "VACUUM",
    ],
)
def test_sql_command_is_read_only(sql: str, home: Path) -> None:
    before = warehouse_path(home).read_bytes()
    result = CliRunner().invoke(app, ["sql", "--home", str(home), sql])
    assert result.exit_code == 2, f"accepted: {sql!r} → {result.output}"
    assert_unchanged(warehouse_path(home), before, f"sql {sql!r}")
    for leftover in ("/tmp/evil.duckdb", "/tmp/quartiers-out.csv", "/tmp/quartiers-export"):
        assert not Path(leftover).exists()
    ok = CliRunner().invoke(app, ["sql", "--home", str(home), "SELECT count(*) AS n FROM territory"])
    assert ok.exit_code == 0


def test_refresh_files_outside_any_known_layout_is_refused_naming_it(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    bad = tmp_path / "v_commune_2024.csv"
    bad.write_bytes(b"<html><body>Erreur</body></html>")
    before = warehouse_path(copy).read_bytes()
    result = CliRunner().invoke(app, ["refresh", "--home", str(copy), "--files", str(bad)])
    assert result.exit_code == 2 and "v_commune_2024.csv" in result.output.replace("\n", "")
    assert_unchanged(warehouse_path(copy), before, "refresh --files with an HTML page")
