"""Statuses and data years on the warehouse built from the real files of ../shared/data (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse.store import connect_readonly

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def home(real_build: tuple[Path, object]) -> Path:
    return real_build[0]


def _all(home: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = connect_readonly(home / "warehouse.duckdb")
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_secret_statistique_only_where_the_producer_hid_the_figure(home: Path) -> None:
    rows = _all(
        home,
        "SELECT status, method, count(*) FROM observation "
        "WHERE status IN ('suppressed', 'not_computable') GROUP BY ALL",
    )
    by = {(str(s), str(m)): int(str(n)) for s, m, n in rows}
    allowed = {("suppressed", "published"), ("suppressed", "grid_estimate")}
    allowed |= {("not_computable", "summed"), ("not_computable", "recomputed")}
    assert set(by) <= allowed
    assert by.get(("not_computable", "summed"), 0) > 50_000  # the Cnaf IRIS sums of the communes, mostly


def test_argentan_caf_allocataires_says_how_many_iris_are_secret(home: Path) -> None:
    rows = _all(
        home,
        "SELECT period, status_fr FROM v_series WHERE indicator_id = 'caf_allocataires' "
        "AND territory_kind = 'commune' AND territory_code = '61006' ORDER BY period",
    )
    assert rows, "Argentan's CAF allocataires are summed from its IRIS"
    for period, words in rows:
        assert "secret statistique" != words and str(words).startswith("non calculable"), (period, words)
        assert " sur 9)" in str(words)  # Argentan has 9 IRIS in the Cnaf files


def test_france_menages_fiscaux_2021_is_ours_not_computable(home: Path) -> None:
    rows = _all(
        home,
        "SELECT status, parts_hidden, parts_total FROM observation WHERE indicator_id = 'menages_fiscaux' "
        "AND territory_kind = 'france' AND period = '2021'",
    )
    assert rows and all(r[0] == "not_computable" and 0 < int(str(r[1])) < int(str(r[2])) for r in rows)


def test_one_qpv_figure_per_data_year_across_releases(home: Path) -> None:
    # DEMO_2021 and DEMO_2022 carry the census shares of RP 2017 and RP 2018: never two values of one year
    clashes = _all(
        home,
        """SELECT indicator_id, territory_code, period FROM observation
           WHERE source_dataset LIKE 'insee_qpv%' AND territory_kind = 'qpv2015' AND status = 'published'
           GROUP BY ALL HAVING count(DISTINCT source_vintage) > 1 AND count(DISTINCT value) > 1""",
    )
    assert clashes == []
    years = _all(
        home,
        "SELECT DISTINCT source_vintage, period FROM observation WHERE source_dataset = 'insee_qpv_demo' "
        "AND indicator_id = 'part_femmes' ORDER BY 1",
    )
    assert ("2021", "2017") in years and ("2022", "2018") in years


def test_consistency_no_longer_compares_two_censuses_as_one_year(home: Path) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    out = CliRunner().invoke(app, ["consistency", "argentan", "--home", str(home)], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    both = [line for line in out.output.splitlines() if "DEMO_2021" in line and "DEMO_2022" in line]
    assert both, "population 2018 is in both files and is compared"
    assert not [line for line in both if "diverge" in line]


def test_profile_says_not_computable_with_its_parts_at_80_columns(home: Path) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    out = CliRunner().invoke(app, ["profile", "QN06236M", "--home", str(home)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    legend = [line for line in lines if line.startswith("n. c. (")]
    assert legend and all("non calculable : une partie sous secret statistique (" in line for line in legend)
    # the all-QPV CAF sums are ours: never printed as the producer's « secret »
    caf = out.output[out.output.index("Allocataires Caf") :]
    caf = caf[: caf.index("Demandeurs d'emploi\n")]
    last = [re.split(r"\s{2,}", line.strip())[-1] for line in caf.splitlines() if line.startswith("  ")]
    assert last and not [cell for cell in last if cell.startswith("secret")]
    assert [cell for cell in last if cell.startswith("n. c.")]


def _series_out(home: Path, code: str, indicator: str) -> str:
    from typer.testing import CliRunner

    from pipelines.cli import app

    out = CliRunner().invoke(
        app, ["series", code, "--indicator", indicator, "--home", str(home)], env={"COLUMNS": "80"}
    )
    assert out.exit_code == 0, out.output
    return out.output


def test_series_one_table_per_territory(home: Path) -> None:
    # a commune whose code did not change is one series across COG vintages (not one table per vintage)
    caf = _series_out(home, "QN06236M", "caf_allocataires")
    assert caf.count("62525 Longuenesse") == 1 and "cog2016 à cog2020" in caf
    # a figure published in two files is one point: the latest release, the other cited beside it
    pauvrete = _series_out(home, "QP061001", "taux_pauvrete_60")
    assert pauvrete.count("territoire — QP061001") == 1
    years = [line.split()[0] for line in pauvrete.splitlines() if re.match(r"^ 20\d\d ", line)]
    assert years.count("2017") == 1 and years.count("2018") == 1
    assert "aussi" in pauvrete and "publié dans Insee Filosofi QPV" in pauvrete


ENGLISH = re.compile(
    r"\b(name|where|level|published|suppressed|missing|yes|no|not_applicable|not_computable|closest|none|prive)\b"
)


@pytest.mark.parametrize(
    "args",
    [
        ["headline", "QN06236M"],
        ["schools", "QN06236M"],
        ["contract-schools", "pays-de-saint-omer"],
        ["profile", "QN06236M"],
        ["series", "QN06236M", "--indicator", "caf_allocataires"],
        ["indicators", "--search", "allocataires"],
        ["consistency", "pays-de-saint-omer"],
    ],
)
def test_commands_speak_french_with_whole_counts(home: Path, args: list[str]) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    out = CliRunner().invoke(app, [*args, "--home", str(home)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert not ENGLISH.findall(out.output), ENGLISH.findall(out.output)[:5]
    assert not re.search(r"\d,00\b", out.output)  # « 53 », never « 53,00 » allocataires
