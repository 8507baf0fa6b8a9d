"""End to end on the synthetic sample: the census IRIS bases (five RP 2022 zips written by
synthetic/insee_rp.py) through Dagster into `observation`, `indicator` and `quartiers profile`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from synthetic.territory import build_territory
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly

WIDE = {"COLUMNS": "400"}
DIPLOMA = "part_sans_diplome_ou_bepc"


def test_iris_commune_and_reference_figures(built: Path) -> None:
    t = build_territory()
    con = connect_readonly(warehouse_path(built), spatial=False)
    kinds = {
        k: n
        for k, n in con.execute(
            "SELECT territory_kind, count(DISTINCT territory_code) FROM observation "
            "WHERE source_dataset = 'insee_rp' AND indicator_id = ? AND status = 'published' GROUP BY 1",
            [DIPLOMA],
        ).fetchall()
    }
    assert kinds["commune"] == len(t.communes)
    # France métropolitaine (FRM) and France entière (FR): the sample's département links to both
    assert kinds["epci"] == len(t.epcis) and kinds["departement"] == 1 and kinds["france"] == 2
    assert kinds["iris"] > len(t.communes)  # the larger communes are split
    # a commune's census population is the sum of its IRIS and close to the comparateur's P22_POP
    rows = con.execute(
        "SELECT territory_code, value, method, period FROM observation WHERE source_dataset = 'insee_rp' "
        "AND indicator_id = 'population' AND territory_kind = 'commune'"
    ).fetchall()
    comparateur = dict(
        con.execute(
            "SELECT territory_code, value FROM observation WHERE source_dataset = 'insee_comparateur' "
            "AND indicator_id = 'population' AND territory_kind = 'commune'"
        ).fetchall()
    )
    for code, value, method, period in rows:
        assert method == "summed" and period == "2022"
        assert value == pytest.approx(t.commune(code).population, rel=1e-6)
        assert value == pytest.approx(comparateur[code], rel=1e-3)
    # the EPCI share is recomputed from the summed counts, not averaged
    epci = con.execute(
        "SELECT value, numerator, denominator, method FROM observation WHERE source_dataset = 'insee_rp' "
        "AND indicator_id = ? AND territory_kind = 'epci' AND territory_code = ?",
        [DIPLOMA, t.epcis[0].siren],
    ).fetchone()
    assert epci is not None and epci[3] == "recomputed"
    assert epci[0] == pytest.approx(epci[1] / epci[2] * 100)
    catalog = con.execute(
        "SELECT unit, aggregation FROM indicator WHERE indicator_id IN (?, 'part_sans_diplome')", [DIPLOMA]
    ).fetchall()
    assert catalog == [("percent", "ratio")] * 2


def test_profile_shows_diplomas_for_commune_epci_departement(built: Path) -> None:
    t = build_territory()
    q = t.qpv2024[0]
    con = connect_readonly(warehouse_path(built), spatial=False)
    rows = con.execute(
        "SELECT role, ref_code, status, value, source_dataset FROM profile_of(?, ?) WHERE indicator_id = ?",
        [q.geography, q.code, DIPLOMA],
    ).fetchall()
    by_role = {(r[0], r[1]): r for r in rows}
    commune = q.commune_codes[0]
    epci = t.commune(commune).epci_siren
    for key in (("commune", commune), ("epci", epci), ("departement", t.departement[0])):
        assert key in by_role, (key, rows)
        _, _, status, value, dataset = by_role[key]
        assert status == "published" and dataset == "insee_rp" and 0 < value < 100, by_role[key]
    out = CliRunner().invoke(app, ["profile", q.code, "--home", str(built)], env=WIDE)
    assert out.exit_code == 0, out.output
    assert "sans diplôme ou au plus le BEPC" in out.output
    assert "insee_rp 2022" in out.output or "Insee RP IRIS 2022" in out.output
