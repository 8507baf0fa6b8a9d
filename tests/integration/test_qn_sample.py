"""Issue 15 on the synthetic sample: a 2024 QPV with several predecessors (merged) shows each of them,
labelled with its perimeter and the measured shares; a QN with no predecessor says so."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app


@pytest.fixture(scope="module")
def home(sample_build: tuple[Path, object]) -> Path:
    return sample_build[0]


def _run(home: Path, *args: str) -> str:
    out = CliRunner().invoke(app, [*args, "--home", str(home)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    return out.output


def test_merged_qpv_shows_each_predecessor_with_its_share(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    # the crosswalk measured on the sample's perimeters is the evidence (no official list, contract agrees)
    merged = con.execute(
        "SELECT code_2015, share_of_2015, share_of_2024 FROM qpv_crosswalk WHERE relation = 'merged' "
        "ORDER BY code_2015"
    ).fetchall()
    code_2024 = con.execute(
        "SELECT DISTINCT code_2024 FROM qpv_crosswalk WHERE relation = 'merged'"
    ).fetchone()
    con.close()
    assert code_2024 is not None and len(merged) >= 2
    rows = json.loads(_run(home, "profile", code_2024[0], "--format", "json"))
    measured = {r["measured_code"]: (r["basis"], r["share_of_2015"], r["share_of_2024"]) for r in rows}
    for code_2015, s15, s24 in merged:
        assert measured[code_2015] == ("overlap", s15, s24)
    text = _run(home, "profile", code_2024[0])
    for code_2015, _s15, s24 in merged:
        assert f"Chiffres mesurés sur le périmètre 2015 — {code_2015}" in text
        assert f"qui en couvre {round(s24 * 100)} %" in text
    assert "recouvrement mesuré des périmètres" in text


def test_new_qpv_has_no_predecessor(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    row = con.execute("SELECT code_2024 FROM qpv_crosswalk WHERE relation = 'new'").fetchone()
    con.close()
    assert row is not None
    assert "aucun QPV 2015 connu qu'il remplace" in _run(home, "profile", row[0])


def test_figures_on_the_2024_perimeter_come_first_and_both_stay_visible(home: Path) -> None:
    """The sample holds Filosofi 2021 on the 2024 perimeters (revenu-disponible-qp24-2021_QP.csv): those
    figures head the profile; the predecessor's follow; only themes without a 2024 figure are listed
    with the INSEE release that would answer them."""
    rows = json.loads(_run(home, "profile", "QN09901I", "--format", "json"))
    filo = {
        r["measured_code"]
        for r in rows
        if r["role"] == "qpv" and r["status"] and r["source_dataset"] == "insee_qpv_filosofi"
    }
    assert filo == {"QN09901I", "QP099001"}
    text = _run(home, "profile", "QN09901I")
    assert text.index("périmètre 2024 — QN09901I") < text.index("périmètre 2015 — QP099001")
    missing = text[text.index("non chargés") :]
    assert "Population" in missing and "Revenus" not in missing
