"""Education end to end: sample mirror → refresh through Dagster → `school`, `school_qpv`, `v_schools`
→ `quartiers schools QPV_CODE`. The truth comes from synthetic.education (shapely on the generator's
polygons) and from the mirror's CSV files read directly, never from the pipeline."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from shapely import Point
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.refresh import run_refresh
from sources._http import mirror_path
from sources.education_ips.settings import export_url
from synthetic.education import (
    IPS_COLLEGES,
    IPS_ECOLES,
    build_schools,
    expected_school_relations,
    expected_unplaced,
)
from synthetic.sample import DEFAULT_SEED
from synthetic.territory import build_territory
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

UAI = re.compile(r"\b(\d{7}[A-Z])\b")
RENTREE = 2024  # the latest rentrée of the sample: the default of `quartiers schools`
WIDE = {"COLUMNS": "200"}


def _mirror_ips(home: Path) -> dict[str, str]:
    """UAI → IPS text of rentrée 2024-2025, read from the mirror's CSV exports (not via the parser)."""
    out: dict[str, str] = {}
    for ds in (IPS_ECOLES, IPS_COLLEGES):
        df = pl.read_csv(mirror_path(sample_mirror(home), export_url(ds)), separator=";", infer_schema=False)
        for uai, ips in df.filter(pl.col("rentree_scolaire") == "2024-2025").select("uai", "ips").iter_rows():
            out[uai] = ips
    return out


def _split(output: str) -> tuple[str, str]:
    main, _, unplaced = output.partition("ne sont pas situés")
    return main, unplaced


def test_every_qpv_lists_exactly_the_schools_inside_and_near(built: Path) -> None:
    t = build_territory(DEFAULT_SEED)
    truth = expected_school_relations(t, DEFAULT_SEED, near_m=300)
    schools = {s.uai: s for s in build_schools(t, DEFAULT_SEED)}
    ips = _mirror_ips(built)
    runner = CliRunner()
    n_rows = 0
    for q in t.qpvs:
        # INSEE's collège distance: the generator's truth is inside or within 300 m
        out = runner.invoke(app, ["schools", q.code, "--within", "300", "--home", str(built)], env=WIDE)
        assert out.exit_code == 0, out.output
        main, _ = _split(out.output)
        lines = {m.group(1): line for line in main.splitlines() if (m := UAI.search(line))}
        want = truth.filter(pl.col("territory_code") == q.code)
        assert set(lines) == set(want["uai"]), q.code
        for uai, relation in want.select("uai", "relation").iter_rows():
            line = lines[uai]
            s = schools[uai]
            assert ("dans le QPV" in line) == (relation == "inside"), (uai, line)
            ep = "privé" if s.sector == "prive" else (s.ep or "hors EP")
            assert f"· {ep} " in line, (uai, line)
            if uai in ips:  # maternelles have no IPS
                text = "secret" if ips[uai] == "NS" else f"{float(ips[uai]):.1f}".replace(".", ",")
                assert text in line, (uai, line)
            n_rows += 1
    assert n_rows >= 10  # the sample is not trivially empty


def test_distances_are_true_distances_to_the_perimeter(built: Path) -> None:
    t = build_territory(DEFAULT_SEED)
    schools = {s.uai: s for s in build_schools(t, DEFAULT_SEED)}
    geoms = {q.code: q.geometry_l93 for q in t.qpvs}
    con = connect_readonly(warehouse_path(built))
    rows = con.execute("SELECT uai, territory_code, relation, distance_m, near_m FROM school_qpv").fetchall()
    assert rows
    for uai, code, relation, distance, near_m in rows:
        s = schools[uai]
        assert s.x is not None and s.y is not None
        d = geoms[code].distance(Point(s.x, s.y))
        assert near_m == 1000  # school_qpv keeps every school within 1 km, whatever the setting
        assert distance <= 1000
        assert distance == pytest.approx(d, abs=1.0)  # coordinates round-trip through WGS84
        assert (relation == "inside") == (d == 0)


def test_unplaced_schools_are_kept_and_flagged(built: Path) -> None:
    t = build_territory(DEFAULT_SEED)
    missing = expected_unplaced(t, DEFAULT_SEED)
    assert missing
    con = connect_readonly(warehouse_path(built))
    for uai in missing:
        (status,) = con.execute(
            "SELECT DISTINCT coord_status FROM school WHERE uai = ?", [uai]
        ).fetchone() or ("absent",)
        assert status == "missing"
        assert con.execute("SELECT count(*) FROM school_qpv WHERE uai = ?", [uai]).fetchone() == (0,)
    # Listed, with its flag, under every QPV of its commune.
    by_uai = {s.uai: s for s in build_schools(t, DEFAULT_SEED)}
    runner = CliRunner()
    seen = 0
    for q in t.qpvs:
        out = runner.invoke(app, ["schools", q.code, "--home", str(built)], env=WIDE)
        _, unplaced = _split(out.output)
        for uai in missing:
            if by_uai[uai].commune_code in q.commune_codes:
                assert uai in unplaced and "sans coordonnées" in unplaced
                seen += 1
            else:
                assert uai not in out.output
    assert seen >= 1


def test_indicators_and_views(built: Path) -> None:
    con = connect_readonly(warehouse_path(built))
    n = con.execute(
        "SELECT count(*) FROM observation o JOIN indicator i USING (indicator_id) "
        "WHERE i.theme = 'education' AND o.territory_kind = 'qpv2024'"
    ).fetchone()
    assert n is not None and n[0] > 0
    comment = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'v_schools'").fetchone()
    assert comment is not None and comment[0]


def test_rentree_option_and_strict_codes(built: Path) -> None:
    runner = CliRunner()
    t = build_territory(DEFAULT_SEED)
    code = t.qpv2024[2].code
    out = runner.invoke(app, ["schools", code, "--home", str(built), "--rentree", "2022"])
    assert out.exit_code == 0 and "2022-2023" in out.output
    # a rentrée the warehouse does not hold is refused, naming those it holds
    out = runner.invoke(app, ["schools", code, "--home", str(built), "--rentree", "1990"])
    assert out.exit_code == 2 and "1990-1991" in out.output and "2022-2023" in out.output
    for bad in ["../../etc", "QN0'; DROP TABLE school; --", "QN9990", "XX09903M", ""]:
        out = runner.invoke(app, ["schools", bad, "--home", str(built)])
        assert out.exit_code == 2, bad
    out = runner.invoke(app, ["schools", "QN99999Z", "--home", str(built)])
    assert out.exit_code == 2 and "inconnu" in out.output


@pytest.mark.real
def test_real_files_build_school_via_files(shared_data: Path, tmp_path: Path) -> None:
    """The real education files, recognised by content, with the 5 real QPV 2024 perimeters."""
    files = [
        shared_data / "qpv2024",
        shared_data / "cog" / "decoupage-administratif_2024_v4.1.0_dep61_62",
        shared_data / "education",
        shared_data / "education_pays_de_la_loire_api",
    ]
    report = run_refresh(home=tmp_path, files=files)
    assert report.success, (report.failed_step, report.error)
    con = connect_readonly(warehouse_path(tmp_path))
    # PROVENANCE-tabular.md: IPS écoles ap2022, 31,976 / 32,610 / 32,494 rows per rentrée (national file;
    # the dep 61/62 extract is a subset and adds nothing).
    counts = dict(
        con.execute(
            "SELECT rentree, count(*) FROM school WHERE ips_dataset = 'fr-en-ips-ecoles-ap2022' GROUP BY 1"
        ).fetchall()
    )
    assert counts == {2022: 31_976, 2023: 32_610, 2024: 32_494}
    # fr-en-ips-ecoles-ap2022_dep61_62.csv first row: 0610102E, 2022-2023, ips 101.4.
    assert con.execute("SELECT ips FROM school WHERE uai = '0610102E' AND rentree = 2022").fetchone() == (
        101.4,
    )
    # Collèges placed from the geolocation file; schools of Saint-Omer / Argentan QPVs found.
    n = con.execute("SELECT count(DISTINCT territory_code) FROM school_qpv").fetchone()
    assert n is not None and n[0] >= 1
