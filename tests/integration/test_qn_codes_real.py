"""Issue 15: every command answers for the 2024 codes (QN…) of both real contracts.

Built once per test run from ../shared/data (tests/conftest.py `real_build`). Expected figures are read
from the official files here (file and column named), never from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from warehouse.store import connect_readonly

pytestmark = pytest.mark.real

QN = {  # contract → 2024 code → the 2015 code the contract says it replaces (no 2015 perimeter held)
    "argentan": {"QN06101M": "QP061001", "QN06102M": "QP061002"},
    "pays-de-saint-omer": {"QN06236M": "QP062036", "QN06237M": "QP062037", "QN06256M": "QP062058"},
}


def _rows(path: Path) -> dict[str, dict[str, str]]:
    """A `;` CSV of INSEE keyed by CODGEO (BOM, stray spaces in headers)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    head = [h.strip().upper() for h in rows[0]]
    return {r[0].strip(): dict(zip(head, (c.strip() for c in r), strict=False)) for r in rows[1:] if r}


def _number(raw: str) -> float:
    return float(raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", "."))


def _run(home: Path, *args: str) -> str:
    out = CliRunner().invoke(app, [*args, "--home", str(home)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    return out.output


@pytest.fixture(scope="module")
def home(real_build: tuple[Path, object]) -> Path:
    return real_build[0]


@pytest.fixture(scope="module")
def con(home: Path) -> duckdb.DuckDBPyConnection:
    return connect_readonly(home / "warehouse.duckdb", spatial=False)


@pytest.fixture(scope="module")
def qpv_dir(shared_data: Path) -> Path:
    return shared_data / "insee" / "qpv2015"


def test_2015_qpvs_known_from_insee_files_have_name_and_communes(
    con: duckdb.DuckDBPyConnection, qpv_dir: Path
) -> None:
    # DEMO_2022.csv: LIBGEO and LIB_COM of each 2015 QPV; the communes' codes from the COG by name
    demo = _rows(qpv_dir / "DEMO_2022.csv")
    expected_communes = {
        "QP061001": {"61006"},  # Argentan
        "QP062036": {"62040", "62525", "62765"},  # Arques, Longuenesse, Saint-Omer
        "QP062058": {"62014"},  # Aire-sur-la-Lys
    }
    for code, communes in expected_communes.items():
        name, geom = con.execute(
            "SELECT name, geom_wkb FROM territory WHERE kind = 'qpv2015' AND code = ?", [code]
        ).fetchone() or (None, None)
        assert name == demo[code]["LIBGEO"] and geom is None
        linked = {
            r[0]
            for r in con.execute(
                "SELECT parent_code FROM territory_link WHERE child_kind = 'qpv2015' AND child_code = ? "
                "AND parent_kind = 'commune'",
                [code],
            ).fetchall()
        }
        assert linked == communes, (code, demo[code]["LIB_COM"])


def test_profile_of_qn_shows_the_2015_figures_it_replaces_beside_its_communes(
    home: Path, qpv_dir: Path
) -> None:
    # data_filo18_qp_revdis.csv: DISP_MED_A18 (median 2018) and DISP_TP60_A18 (poverty rate 2018)
    filo18 = _rows(qpv_dir / "data_filo18_qp_revdis.csv")["QP061001"]
    median, poverty = _number(filo18["DISP_MED_A18"]), _number(filo18["DISP_TP60_A18"])
    assert (median, poverty) == (14380, 40.8)  # the figures, as published
    rows = json.loads(_run(home, "profile", "QN06101M", "--format", "json"))
    mine = {
        (r["indicator_id"], r["period"]): r
        for r in rows
        if r["measured_code"] == "QP061001" and r["role"] == "qpv"
    }
    assert mine[("filo_disp_mediane", "2018")]["value"] == median
    assert mine[("taux_pauvrete_60", "2018")]["value"] == poverty
    assert {r["basis"] for r in rows if r["measured_code"] == "QP061001"} == {"contract"}
    refs = {(r["role"], r["ref_code"]) for r in rows if r["measured_code"] == "QP061001"}
    assert ("commune", "61006") in refs and ("epci", "200068450") in refs and ("departement", "61") in refs
    text = _run(home, "profile", "QN06101M", "--all-periods")
    assert "périmètre 2015 — QP061001 Les Provinces" in text
    assert "14 380" in text.replace("\u202f", " ") and "40,8" in text
    assert "Argentan" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_profile_of_qn06236m_compares_with_its_three_communes(home: Path) -> None:
    rows = json.loads(_run(home, "profile", "QN06236M", "--format", "json"))
    communes = {r["ref_code"] for r in rows if r["measured_code"] == "QP062036" and r["role"] == "commune"}
    assert communes == {"62040", "62525", "62765"}
    text = _run(home, "profile", "QN06236M")
    for name in ("Arques", "Longuenesse", "Saint-Omer", "QP062036"):
        assert name in text
    # no figure on the 2024 perimeter: the profile names the INSEE releases that would answer
    assert "Chiffres sur le périmètre 2024 non chargés" in text and "revenus_pauvrete_2021_qp24" in text


@pytest.mark.parametrize(("contract", "code"), [(c, q) for c, m in QN.items() for q in m])
def test_every_command_answers_for_every_qn_code(
    home: Path, contract: str, code: str, tmp_path: Path
) -> None:
    old = QN[contract][code]
    assert old in _run(home, "profile", code)
    assert old in _run(home, "series", code, "--indicator", "caf_allocataires")
    assert old in _run(home, "headline", code)
    assert "concorde" in _run(home, "consistency", code)
    _run(home, "fiche", code, "--format", "html", "--out", str(tmp_path))
    assert old in (tmp_path / f"{code}.html").read_text(encoding="utf-8")
    _run(home, "schools", code)


def test_series_of_qn_is_the_ipro_series_of_its_predecessor(home: Path, qpv_dir: Path) -> None:
    text = _run(home, "series", "QN06101M", "--indicator", "de_abc")
    assert "périmètre 2015" in text and "QP061001" in text
    for release in ("2017", "2018", "2019", "2020", "2021", "2022"):
        # IPRO_<release>.csv, column ABC (job seekers A, B, C at 31 December of release − 1)
        abc = int(_number(_rows(qpv_dir / f"IPRO_{release}.csv")["QP061001"]["ABC"]))
        assert re.search(rf"31/12/{int(release) - 1}\s.*\b{abc}\b", text), (release, abc)


def test_unknown_qn_is_refused_with_close_matches_in_both_geographies(home: Path) -> None:
    out = CliRunner().invoke(app, ["profile", "QN06109M", "--home", str(home)])
    assert out.exit_code == 2
    assert "QN06101M" in out.output and "QP061001" in out.output


def test_export_geo_writes_the_2024_perimeters_with_their_predecessors_figures(
    home: Path, qpv_dir: Path, tmp_path: Path
) -> None:
    _run(home, "export-geo", "argentan", "--out", str(tmp_path))
    features = json.loads((tmp_path / "perimetres-argentan.geojson").read_text(encoding="utf-8"))["features"]
    by_code = {f["properties"]["code"]: f["properties"] for f in features}
    assert set(by_code) == {"QN06101M", "QN06102M"}
    # data_filo19_qp_revdis.csv, DISP_MED_A19: the latest median of each 2015 QPV
    filo19 = _rows(qpv_dir / "data_filo19_qp_revdis.csv")
    for code, old in QN["argentan"].items():
        props = by_code[code]
        assert props["filo_disp_mediane"] == _number(filo19[old]["DISP_MED_A19"])
        assert props["filo_disp_mediane_perimetre"].startswith(f"périmètre 2015 — {old}")
        assert old in props["remplace"]


def test_contracts_and_export_geo_agree(home: Path) -> None:
    text = _run(home, "contracts")
    for contract in QN:
        line = next(line for line in text.splitlines() if contract[:10] in line)
        assert "valide" in line and "non valide" not in line


def test_schools_of_qn06237m_list_every_school_with_its_rentree(home: Path, shared_data: Path) -> None:
    """The maternelle inside the QPV (0620433J, no row for the latest rentrée) and Notre-Dame de Sion
    (0623574Y, collège at 28 m) are listed, each with the rentrée its figures come from."""
    text = _run(home, "schools", "QN06237M")
    lines = {line.split()[0]: line for line in text.splitlines() if re.match(r"^\s*\d{7}[A-Z]\b", line)}
    assert "0620433J" in lines and "dans le QPV" in lines["0620433J"]
    assert re.search(r"\b20\d\d-\d\d\b", lines["0620433J"])
    assert "0623574Y" in lines and re.search(r"\b2\d m\b", lines["0623574Y"])
    assert re.search(r"\b20\d\d-\d\d\b", lines["0623574Y"])
    out = CliRunner().invoke(app, ["schools", "QN06237M", "--rentree", "1990", "--home", str(home)])
    assert out.exit_code == 2 and "1990-1991" in out.output and "rentrées tenues" in out.output


def test_contract_schools_show_the_colleges_de_secteur_with_their_distance(home: Path) -> None:
    text = _run(home, "contract-schools", "pays-de-saint-omer")
    section = text[text.index("QN06236M") : text.index("QN06237M", text.index("QN06236M") + 1)]
    line = next(line for line in section.splitlines() if line.strip().startswith("0622093N"))
    # Pierre Mendès-France: declared for QN06236M, beyond 1 km of it: shown with its distance
    assert "secteur" in section[section.index("0622093N") :].split("\n\n")[0]
    assert re.search(r"\d[\d\u202f]* m", line), line
    con = connect_readonly(home / "warehouse.duckdb", spatial=False)
    declared = con.execute(
        "SELECT code_2024, uai FROM contract_college_secteur WHERE contract = 'pays-de-saint-omer' "
        "ORDER BY 1, 2"
    ).fetchall()
    assert ("QN06236M", "0622093N") in declared and ("QN06256M", "0622094P") in declared


def test_official_list_wins_over_a_contradicting_contract(shared_data: Path, tmp_path: Path) -> None:
    """ANCT's correspondence list given with the real files is the basis of qpv_predecessor; a contract
    whose `replaces` differs is reported by `quartiers contracts`, naming both."""
    listing = tmp_path / "liste-correspondance-qp2024-qp2015.csv"
    listing.write_text(
        "QP2024;Label_QP2024;Statut;QP2015_1;Label_QP2015_1;QP2015_2;Label_QP2015_2;QP2015_3;Label_QP2015_3\n"
        # as the contract says for QN06101M; a different predecessor for QN06102M (to see the warning)
        "QN06101M;Les Provinces;;QP061001;Les Provinces;;;;\n"
        "QN06102M;Saint Michel;;QP061001;Les Provinces;;;;\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    files = [
        shared_data / "qpv2024",
        shared_data / "cog" / "decoupage-administratif_2026_v6.0.0",
        shared_data / "insee" / "qpv2015" / "DEMO_2022.csv",
        listing,
    ]
    out = CliRunner().invoke(app, ["refresh", "--home", str(home), "--files", *map(str, files)])
    assert out.exit_code == 0, out.output
    con = connect_readonly(home / "warehouse.duckdb", spatial=False)
    used = con.execute(
        "SELECT code_2024, code_2015, basis FROM qpv_predecessor WHERE used AND code_2024 LIKE 'QN061%' "
        "ORDER BY 1"
    ).fetchall()
    con.close()
    assert used == [("QN06101M", "QP061001", "official_list"), ("QN06102M", "QP061001", "official_list")]
    result = CliRunner().invoke(app, ["contracts", "--home", str(home)])
    assert "QN06102M remplace QP061002 selon le contrat, QP061001 selon la liste officielle ANCT" in " ".join(
        result.output.split()
    )


def test_fiche_shows_the_colleges_de_secteur_with_their_distance(home: Path, tmp_path: Path) -> None:
    _run(home, "fiche", "QN06236M", "--format", "html", "--out", str(tmp_path))
    html = (tmp_path / "QN06236M.html").read_text(encoding="utf-8")
    for uai in ("0622907Y", "0622093N", "0622575M"):  # declared for QN06236M by the contract
        assert uai in html
    distances = re.findall(r"à ([\d\u202f ]+?)[\u202f ]m, collège de secteur", html)
    assert len(distances) == 3 and all(int(re.sub(r"\D", "", d)) > 0 for d in distances)
