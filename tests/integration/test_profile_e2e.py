"""End to end: INSEE files and the Filosofi grid through Dagster into `v_profile` and `quartiers profile`,
on the synthetic sample, and on the real files of ../shared/data when present."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
from typer.testing import CliRunner

from pipelines.cli import app
from synthetic.territory import build_territory
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly

WIDE = {"COLUMNS": "400"}


def test_profile_of_every_sample_qpv_in_both_geographies(built: Path) -> None:
    t = build_territory()
    con = connect_readonly(warehouse_path(built), spatial=False)
    runner = CliRunner()
    for q in t.qpvs:
        roles = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT role FROM v_profile WHERE qpv_code = ? AND status IS NOT NULL", [q.code]
            ).fetchall()
        }
        # The QPV itself, its commune, EPCI, département, France and all QPVs each carry a figure.
        assert roles >= {"qpv", "commune", "epci", "departement", "france", "all_qpv"}, (q.code, roles)
        out = runner.invoke(app, ["profile", q.code, "--home", str(built)], env=WIDE)
        assert out.exit_code == 0, out.output
        assert q.code in out.output
        for commune in q.commune_codes:
            assert commune in out.output
            epci = t.commune(commune).epci_siren
            assert epci in out.output
        assert "ensemble des QPV" in out.output and "France métro." in out.output
    geographies = {g for (g,) in con.execute("SELECT DISTINCT geography FROM v_profile").fetchall()}
    assert geographies == {"qpv2015", "qpv2024"}


def test_profile_shows_secret_sources_and_grid_bounds(built: Path) -> None:
    t = build_territory()
    runner = CliRunner()
    # synthetic/insee.py blanks the last QPV's Filosofi block (DISP_NOTE_A21 = 2): secret, never 0.
    last = t.qpv2024[-1].code
    out = runner.invoke(app, ["profile", last, "--home", str(built)], env=WIDE)
    assert "secret statistique" in out.output
    assert "Insee Filosofi QPV 2021" in out.output  # source and release under the figure
    con = connect_readonly(warehouse_path(built), spatial=False)
    grid = con.execute(
        "SELECT qpv_code, value, interval_low, interval_high, status FROM v_profile "
        "WHERE indicator_id = 'filo_grid_men' AND role = 'qpv'"
    ).fetchall()
    assert {g[0] for g in grid} == {q.code for q in t.qpvs if q.code != "QP099005"} | {"QP099005"}
    for code, value, low, high, status in grid:
        if status == "estimated":
            assert low <= value <= high, code
    medians = con.execute(
        "SELECT DISTINCT status FROM v_profile "
        "WHERE indicator_id = 'filo_grid_niveau_vie_median' AND role = 'qpv'"
    ).fetchall()
    assert medians == [("not_applicable",)]
    out = runner.invoke(app, ["profile", t.qpv2024[0].code, "--home", str(built)], env=WIDE)
    # grid estimates marked « e » with their bound [low–high], spelled out in the table's legend
    assert "non estimable" in out.output and "estimation carroyée" in out.output
    assert re.search(r"\d \[[\d\u202f,]+–[\d\u202f,]+\] e", out.output)


def test_grid_error_on_2015_perimeters_is_measured(built: Path) -> None:
    con = connect_readonly(warehouse_path(built), spatial=False)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT published_indicator_id, n_territories, mean_relative_error, share_within_interval "
            "FROM grid_error WHERE geography = 'qpv2015'"
        ).fetchall()
    }
    # population of each 2015 QPV (demo XLSX) and its poverty rate (Filosofi QPV file) where published.
    assert rows["population"][0] == len(build_territory().qpv2015)
    assert rows["taux_pauvrete_60"][0] >= 2
    for n, mre, _within in rows.values():
        assert n > 0 and mre is not None and 0 <= mre < 1
    zones = con.execute("SELECT count(*) FROM fragile_zone").fetchone()
    assert zones is not None and zones[0] >= 1


def test_profile_refuses_bad_codes(built: Path) -> None:
    runner = CliRunner()
    for bad in ["../../etc/passwd", "QP099001'; DROP TABLE observation; --", "QN0990", "99104"]:
        out = runner.invoke(app, ["profile", bad, "--home", str(built)])
        assert out.exit_code == 2
    out = runner.invoke(app, ["profile", "QP098001", "--home", str(built)])
    assert out.exit_code == 2 and "inconnu" in out.output


def test_profile_of_macro_equals_the_view_for_every_qpv(built: Path) -> None:
    """profile_of() (the fast path the CLI uses) returns exactly the v_profile rows of a QPV."""
    from warehouse.paths import warehouse_path
    from warehouse.store import connect_readonly

    con = connect_readonly(warehouse_path(built), spatial=False)
    qpvs = con.execute("SELECT kind, code FROM territory WHERE kind IN ('qpv2024', 'qpv2015')").fetchall()
    assert len(qpvs) == 9
    for kind, code in qpvs:
        fast = con.execute("SELECT * FROM profile_of(?, ?) ORDER BY ALL", [kind, code]).fetchall()
        view = con.execute(
            "SELECT * FROM v_profile WHERE geography = ? AND qpv_code = ? ORDER BY ALL", [kind, code]
        ).fetchall()
        assert fast == view and len(fast) > 0, code


def _expected_profile(con: duckdb.DuckDBPyConnection, kind: str, code: str) -> set[tuple[object, ...]]:
    """The rows of a QPV's profile measured on the QPV itself, computed here in Polars from the tables,
    independently of the SQL that builds `profile`: for each (indicator, period) the QPV has a figure
    for, one row per reference territory (the QPV, its communes, their EPCI and département, France
    métropolitaine, all QPVs of its geography) with that territory's figure for the same period, or none."""
    obs = con.execute("SELECT * FROM observation_best").pl()
    links = con.execute("SELECT child_kind, child_code, parent_kind, parent_code FROM territory_link").pl()

    def parents(kinds_codes: list[tuple[str, str]], parent_kind: str) -> list[str]:
        keys = pl.DataFrame(kinds_codes, schema=["child_kind", "child_code"], orient="row")
        found = links.join(keys, on=["child_kind", "child_code"]).filter(pl.col("parent_kind") == parent_kind)
        return sorted(set(found["parent_code"]))

    communes = parents([(kind, code)], "commune")
    of_communes = [("commune", c) for c in communes]
    refs = [
        ("qpv", kind, code),
        *[("commune", "commune", c) for c in communes],
        *[("epci", "epci", e) for e in parents(of_communes, "epci")],
        *[("departement", "departement", d) for d in parents(of_communes, "departement")],
        ("france", "france", "FRM"),
        ("all_qpv", "ensemble_qpv", "ensemble"),
    ]
    own = obs.filter((pl.col("territory_kind") == kind) & (pl.col("territory_code") == code))
    figures = set(own.select("indicator_id", "period").iter_rows())
    rows = set()
    for role, ref_kind, ref_code in refs:
        ref = obs.filter((pl.col("territory_kind") == ref_kind) & (pl.col("territory_code") == ref_code))
        if ref_kind == "ensemble_qpv":
            ref = ref.filter(pl.col("geo_version") == kind)  # the aggregate of the QPV's own geography
        held = {
            (r["indicator_id"], r["period"]): (r["value"], r["status"]) for r in ref.iter_rows(named=True)
        }
        for indicator, period in figures:
            value, status = held.get((indicator, period), (None, None))
            rows.add((indicator, period, role, ref_kind, ref_code, value, status))
    return rows


def test_profile_table_holds_every_reference_figure_of_each_qpv(built: Path) -> None:
    """The materialised `profile` table (what `quartiers profile` reads through profile_of) holds, for
    every sample QPV, exactly the rows computed independently from observation_best and the territory
    links; lines the profile adds (census IRIS figures of the commune that no QPV file gives: source
    insee_rp) are its only others; and it is physically sorted by geography and QPV code (DuckDB's
    zonemaps prune on it)."""
    con = connect_readonly(warehouse_path(built), spatial=False)
    qpvs = con.execute("SELECT kind, code FROM territory WHERE kind IN ('qpv2024', 'qpv2015')").fetchall()
    assert len(qpvs) == 9
    for kind, code in qpvs:
        got = con.execute(
            "SELECT indicator_id, period, role, ref_kind, ref_code, value, status, source_dataset "
            "FROM profile_of(?, ?) WHERE measured_kind = geography AND measured_code = qpv_code",
            [kind, code],
        ).fetchall()
        expected = _expected_profile(con, kind, code)
        assert len(expected) > 100, code
        own = {r[:7] for r in got if (r[0], r[1]) in {(e[0], e[1]) for e in expected}}
        assert own == expected, (code, sorted(own ^ expected)[:5])
        added = {(r[0], r[1]) for r in got} - {(e[0], e[1]) for e in expected}
        census = {(r[0], r[1]) for r in got if r[7] == "insee_rp"}
        assert added <= census, (code, sorted(added - census)[:5])
    stored = con.execute("SELECT geography, qpv_code FROM profile").fetchall()  # storage order
    assert stored == sorted(stored)
    assert {c for (c,) in con.execute("SELECT DISTINCT qpv_code FROM profile").fetchall()} == {
        c for _, c in qpvs
    }


def test_real_files_build_and_show_filosofi_with_data_year(real_build: tuple[Path, object]) -> None:
    home = real_build[0]  # the session's build of the whole of ../shared/data (tests/conftest.py)
    con = connect_readonly(warehouse_path(home), spatial=False)

    def figure(indicator: str, dataset: str, vintage: str) -> tuple[str, float]:
        row = con.execute(
            "SELECT period, value FROM observation WHERE territory_code = 'QP061001' AND indicator_id = ? "
            "AND source_dataset = ? AND source_vintage = ?",
            [indicator, dataset, vintage],
        ).fetchone()
        assert row is not None, (indicator, dataset, vintage)
        return row[0], row[1]

    # insee/qpv2015/REVN_2022.csv, columns DISP_Q2 / TP60: 14 380 / 40,8 — Filosofi 2018 (the same
    # figures as data_filo18_qp_revdis.csv DISP_MED_A18, see PROVENANCE.md and insee_qpv/settings.py).
    assert figure("filo_disp_mediane", "insee_qpv_revn", "2022") == ("2018", 14380.0)
    assert figure("taux_pauvrete_60", "insee_qpv_revn", "2022") == ("2018", 40.8)
    # insee/qpv2015/data_filo19_qp_revdis.csv, DISP_MED_A19 / DISP_TP60_A19: 13 550 / 46,2 — income 2019.
    assert figure("filo_disp_mediane", "insee_qpv_filosofi", "2019") == ("2019", 13550.0)
    assert figure("taux_pauvrete_60", "insee_qpv_filosofi", "2019") == ("2019", 46.2)
    out = CliRunner().invoke(app, ["profile", "QP061001", "--home", str(home)], env=WIDE)
    assert out.exit_code == 0, out.output
    assert "Revenu disponible médian par UC" in out.output and "13\u202f550" in out.output
