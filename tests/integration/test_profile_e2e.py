"""End to end: INSEE files and the Filosofi grid through Dagster into `v_profile` and `quartiers profile`,
on the synthetic sample, and on the real files of ../shared/data when present."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.paths import sample_mirror, warehouse_path
from pipelines.refresh import run_refresh
from synthetic.sample import generate_sample
from synthetic.territory import build_territory
from warehouse.store import connect_readonly

WIDE = {"COLUMNS": "400"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    generate_sample(sample_mirror(home))
    t0 = time.perf_counter()
    report = run_refresh(home=home, env="sample")
    print(f"sample build: {time.perf_counter() - t0:.1f} s")
    assert report.success, (report.failed_step, report.error)
    return home


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
    assert "non estimable" in out.output and "(estimation)" in out.output and " – " in out.output


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
    assert out.exit_code == 2 and "no figure" in out.output


def test_profile_of_macro_equals_the_view_for_every_qpv(built: Path) -> None:
    """profile_of() (the fast path the CLI uses) returns exactly the v_profile rows of a QPV."""
    from pipelines.paths import warehouse_path
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


def test_real_files_build_and_show_filosofi_with_data_year(shared_data: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = [
        shared_data / "qpv2024",
        shared_data / "cog" / "decoupage-administratif_2026_v6.0.0",
        shared_data / "insee",
    ]
    t0 = time.perf_counter()
    report = run_refresh(home=home, files=files)
    print(f"real build: {time.perf_counter() - t0:.1f} s")
    assert report.success, (report.failed_step, report.error)
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
