"""End to end: INSEE files and the Filosofi grid through Dagster into `v_profile` and `quartiers profile`,
on the synthetic sample, and on the real files of ../shared/data when present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from synthetic.territory import build_territory
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly

WIDE = {"COLUMNS": "400"}


@pytest.fixture(scope="module")
def built(sample_build: tuple[Path, object]) -> Path:
    """The session's sample build (tests/conftest.py), read only."""
    return sample_build[0]


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


# The profile_of() macro as it was before the `profile` table (warehouse/views_insee.sql, Nov 2026): the
# ranking of observation_best joined with the reference territories at query time, for one QPV.
OLD_PROFILE_OF = """
WITH qpv AS (
    SELECT DISTINCT territory_kind AS geography, territory_code AS qpv_code
    FROM observation_best WHERE territory_kind = $1 AND territory_code = $2
    UNION
    SELECT kind, code FROM territory WHERE kind = $1 AND code = $2
),
qpv_commune AS (
    SELECT q.geography, q.qpv_code, l.parent_code AS commune_code
    FROM qpv q JOIN territory_link l
      ON l.child_kind = q.geography AND l.child_code = q.qpv_code AND l.parent_kind = 'commune'
),
refs AS (
    SELECT geography, qpv_code, 1 AS ref_order, 'qpv' AS role, geography AS ref_kind, qpv_code AS ref_code
    FROM qpv
    UNION ALL
    SELECT geography, qpv_code, 2, 'commune', 'commune', commune_code FROM qpv_commune
    UNION ALL
    SELECT DISTINCT c.geography, c.qpv_code, 3, 'epci', 'epci', e.parent_code
    FROM qpv_commune c JOIN territory_link e
      ON e.child_kind = 'commune' AND e.child_code = c.commune_code AND e.parent_kind = 'epci'
    UNION ALL
    SELECT DISTINCT c.geography, c.qpv_code, 4, 'departement', 'departement', d.parent_code
    FROM qpv_commune c JOIN territory_link d
      ON d.child_kind = 'commune' AND d.child_code = c.commune_code AND d.parent_kind = 'departement'
    UNION ALL
    SELECT geography, qpv_code, 5, 'france', 'france', 'FRM' FROM qpv
    UNION ALL
    SELECT geography, qpv_code, 6, 'all_qpv', 'ensemble_qpv', 'ensemble' FROM qpv
),
figures AS (
    SELECT DISTINCT q.geography, q.qpv_code, o.indicator_id, o.period
    FROM qpv q JOIN observation_best o ON o.territory_kind = q.geography AND o.territory_code = q.qpv_code
),
ref_obs AS (
    SELECT o.* FROM observation_best o
    SEMI JOIN refs r ON o.territory_kind = r.ref_kind AND o.territory_code = r.ref_code
),
names AS (
    SELECT kind, code, any_value(name) AS name FROM territory
    SEMI JOIN refs ON kind = ref_kind AND code = ref_code GROUP BY kind, code
)
SELECT f.geography, f.qpv_code, qn.name AS qpv_name,
       i.theme, f.indicator_id, i.label_fr, i.unit, f.period,
       r.role, r.ref_order, r.ref_kind, r.ref_code,
       CASE WHEN r.ref_kind = 'ensemble_qpv' THEN 'Ensemble des QPV' ELSE rn.name END AS ref_name,
       o.value, o.status, o.method, o.interval_low, o.interval_high, o.numerator, o.denominator,
       o.source_dataset, o.source_vintage, o.geo_version, sf.file_name AS source_file
FROM figures f
JOIN refs r ON r.geography = f.geography AND r.qpv_code = f.qpv_code
LEFT JOIN ref_obs o
  ON o.territory_kind = r.ref_kind AND o.territory_code = r.ref_code
 AND o.indicator_id = f.indicator_id AND o.period = f.period
 AND (r.ref_kind <> 'ensemble_qpv' OR o.geo_version = f.geography)
LEFT JOIN indicator i ON i.indicator_id = f.indicator_id
LEFT JOIN names qn ON qn.kind = f.geography AND qn.code = f.qpv_code
LEFT JOIN names rn ON rn.kind = r.ref_kind AND rn.code = r.ref_code
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
"""
CLI_ORDER = " ORDER BY theme, indicator_id, period, ref_order, ref_code"
OLD_QUERY = "SELECT * FROM (" + OLD_PROFILE_OF + ")" + CLI_ORDER  # noqa: S608 (constant text)
# The profile's own rows (measured on the QPV itself) in the old macro's columns; since issue 15 a 2024
# QPV also carries rows measured on the 2015 QPVs it replaces (measured_code), checked apart.
OLD_COLUMNS = (
    "geography, qpv_code, qpv_name, theme, indicator_id, label_fr, unit, period, role, ref_order, ref_kind, "
    "ref_code, ref_name, value, status, method, interval_low, interval_high, numerator, denominator, "
    "source_dataset, source_vintage, geo_version, source_file"
)
NEW_QUERY = (
    f"SELECT {OLD_COLUMNS} FROM profile_of(?, ?) "  # noqa: S608 (constant text)
    "WHERE measured_kind = geography AND measured_code = qpv_code" + CLI_ORDER
)


def test_profile_table_gives_the_rows_of_the_old_macro(built: Path) -> None:
    """The materialised `profile` table (what `quartiers profile` reads through profile_of) holds,
    for every sample QPV, exactly the rows the old query-time macro computed, in the CLI's order; and
    it is physically sorted by geography and QPV code (DuckDB's zonemaps prune on it)."""
    con = connect_readonly(warehouse_path(built), spatial=False)
    qpvs = con.execute("SELECT kind, code FROM territory WHERE kind IN ('qpv2024', 'qpv2015')").fetchall()
    assert len(qpvs) == 9
    for kind, code in qpvs:
        now = con.execute(NEW_QUERY, [kind, code]).fetchall()
        before = con.execute(OLD_QUERY, [kind, code]).fetchall()
        # Since then the profile also shows the census IRIS figures (source insee_rp) of the QPV's
        # commune(s) that no QPV file gives: those (indicator, period) lines are new, the rest unchanged.
        old_lines = {(r[4], r[7]) for r in before}
        assert [r for r in now if (r[4], r[7]) in old_lines] == before and len(before) > 100, code
        added = {(r[4], r[7]) for r in now} - old_lines
        census = {(r[4], r[7]) for r in now if r[20] == "insee_rp"}
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
