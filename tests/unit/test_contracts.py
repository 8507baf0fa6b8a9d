"""Contract files: structure, safe names, and unknown codes named with their close matches."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from models.contracts import check_contract_territories
from sources.contracts import ContractError, load_contract, validate_contract_name

TERRITORY = pl.DataFrame(
    {
        "kind": ["qpv2024", "qpv2024", "qpv2015", "qpv2015", "commune", "epci", "departement", "france"],
        "code": ["QN09901I", "QN09902M", "QP099001", "QP099002", "99101", "299000001", "99", "FRM"],
        "name": [
            "Les Tilleuls",
            "Centre Ancien",
            "Les Tilleuls",
            "Centre Ancien",
            "Valbourg",
            "CA",
            "D",
            "F",
        ],
    }
)

GOOD = """
name = "demo"
title = "Contrat démo"
baseline_date = 2024-01-01
former_qpv2015 = []

[signatories]
communes = ["99101"]
epci = ["299000001"]

[reference]
commune = ["99101"]
departement = ["99"]
france = ["FRM"]

[[qpv]]
code = "QN09901I"
replaces = ["QP099001"]

[[qpv]]
code = "QN09902M"
replaces = ["QP099002"]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_contract_loads_with_both_geographies() -> None:
    c = load_contract("sample")
    assert c.qpv2024_codes == ["QN09901I", "QN09902M", "QN09903M", "QN09904N"]
    assert c.qpv2015_codes == ["QP099001", "QP099002", "QP099003", "QP099004", "QP099005"]
    assert c.baseline_date == date(2024, 1, 1)
    assert {(r.kind, r.code) for r in c.references} >= {
        ("departement", "99"),
        ("france", "FRM"),
        ("epci", "299000002"),
    }
    rows = c.territory_rows()
    # QP099003 and QP099004 both attach to the merged 2024 QPV; QP099005 left the geography.
    attached = dict(rows.filter(pl.col("role") == "qpv2015").select("territory_code", "qpv_code").iter_rows())
    assert attached["QP099003"] == attached["QP099004"] == "QN09903M"
    assert attached["QP099005"] is None


def test_a_valid_contract_passes_the_territory_check(tmp_path: Path) -> None:
    _write(tmp_path, "demo", GOOD)
    c = load_contract("demo", directory=tmp_path)
    check_contract_territories(c, TERRITORY)  # no error
    assert c.indicators is None  # default: the whole catalog


def test_unknown_qpv_code_lists_close_matches(tmp_path: Path) -> None:
    _write(tmp_path, "demo", GOOD.replace('code = "QN09902M"', 'code = "QN09920M"'))
    c = load_contract("demo", directory=tmp_path)
    with pytest.raises(ContractError) as exc:
        check_contract_territories(c, TERRITORY)
    message = str(exc.value)
    assert "QN09920M absent de l'entrepôt" in message and "proches :" in message
    assert "QN09902M (Centre Ancien)" in message


def test_a_2015_code_given_as_a_reference_commune_is_refused(tmp_path: Path) -> None:
    _write(
        tmp_path, "demo", GOOD.replace('commune = ["99101"]\ndepartement', 'commune = ["99109"]\ndepartement')
    )
    c = load_contract("demo", directory=tmp_path)
    with pytest.raises(ContractError, match=r"commune de comparaison 99109 .*proches : 99101"):
        check_contract_territories(c, TERRITORY)


@pytest.mark.parametrize("name", ["../etc/passwd", "Sample", "a/b", "", "-x", "x" * 70, "sample.toml", "é"])
def test_contract_names_are_checked_before_any_path(name: str) -> None:
    with pytest.raises(ContractError, match="not a contract name"):
        validate_contract_name(name)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('code = "QN09901I"', 'code = "QP099001"'), "not a QPV 2024 code"),
        (lambda t: t.replace('replaces = ["QP099001"]', 'replaces = ["QN09901I"]'), "malformed"),
        (lambda t: t.replace("baseline_date = 2024-01-01\n", ""), "baseline_date"),
        (lambda t: t.replace('name = "demo"', 'name = "other"'), "file is named"),
        (lambda t: t.replace("[reference]", "[reference]\nplanet = ['X']"), "unknown reference kind"),
        (lambda t: t.replace("former_qpv2015 = []", 'former_qpv2015 = ["QP099001"]'), "listed as former"),
        (lambda t: t + '\n[[qpv]]\ncode = "QN09901I"\n', "listed twice"),
        (lambda t: t.replace("title =", "titel ="), "unknown key"),
    ],
)
def test_malformed_contracts_are_refused_with_the_reason(tmp_path: Path, edit: object, message: str) -> None:
    assert callable(edit)
    _write(tmp_path, "demo", edit(GOOD))
    with pytest.raises(ContractError, match=message):
        load_contract("demo", directory=tmp_path)


def test_missing_contract_suggests_known_names(tmp_path: Path) -> None:
    _write(tmp_path, "pays-de-saint-omer", GOOD.replace('"demo"', '"pays-de-saint-omer"'))
    with pytest.raises(ContractError, match="did you mean pays-de-saint-omer"):
        load_contract("pays-de-st-omer", directory=tmp_path)


# --- issue 15: collèges de secteur ---------------------------------------------------------------

SCHOOLS = pl.DataFrame(
    {
        "uai": ["0622093N", "0622907Y", "0620433J"],
        "name": ["COLLEGE PIERRE MENDES FRANCE", "COLLEGE DE LA MORINIE", "ECOLE MATERNELLE MONTAIGNE"],
        "level": ["college", "college", "ecole"],
    }
)


def _with_colleges(tmp_path: Path, block: str) -> Path:
    return _write(tmp_path, "demo", GOOD + block)


def test_colleges_de_secteur_are_read_and_checked_against_the_school_table(tmp_path: Path) -> None:
    from models.contracts import check_colleges_secteur

    _with_colleges(tmp_path, '\n[[college_secteur]]\nuai = "0622093N"\nqpv = ["QN09901I"]\n')
    contract = load_contract("demo", directory=tmp_path)
    (college,) = contract.colleges_secteur
    assert (college.uai, college.qpvs) == ("0622093N", ("QN09901I",))
    check_colleges_secteur(contract, SCHOOLS)  # a collège of the table: accepted


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('uai = "0622093"\nqpv = ["QN09901I"]', "is not a UAI"),
        ('uai = "0622093N"\nqpv = ["QN09999Z"]', "are not QPVs of this contract"),
        ('uai = "0622093N"\nqpv = []', "at least one"),
    ],
)
def test_malformed_colleges_de_secteur_are_refused(tmp_path: Path, block: str, message: str) -> None:
    _with_colleges(tmp_path, f"\n[[college_secteur]]\n{block}\n")
    with pytest.raises(ContractError, match=message):
        load_contract("demo", directory=tmp_path)


@pytest.mark.parametrize(
    ("uai", "message"),
    [
        ("0622039N", "absent de la table des écoles ; proches : 0622093N"),
        ("0620433J", "n'est pas un collège mais un établissement de niveau « ecole »"),
    ],
)
def test_a_college_de_secteur_must_be_a_known_college(tmp_path: Path, uai: str, message: str) -> None:
    from models.contracts import check_colleges_secteur

    _with_colleges(tmp_path, f'\n[[college_secteur]]\nuai = "{uai}"\nqpv = ["QN09901I"]\n')
    with pytest.raises(ContractError, match=message):
        check_colleges_secteur(load_contract("demo", directory=tmp_path), SCHOOLS)
