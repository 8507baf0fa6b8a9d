"""ANCT's correspondence list QPV 2024 ↔ 2015: parsed as published, bad files refused by file, row, column."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources._errors import SourceFormatError
from sources.qpv_correspondence import read_correspondence
from sources.registry import recognise

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "qpv_correspondence"
HEADER = "QP2024;Label_QP2024;Statut;QP2015_1;Label_QP2015_1;QP2015_2;Label_QP2015_2;QP2015_3;Label_QP2015_3"


def test_utf8_bom_list_with_stray_header_spaces_and_three_predecessors() -> None:
    path = FIXTURES / "liste-correspondance-qp2024-qp2015.csv"
    frame = read_correspondence(path, sha256="x")
    pairs = {(r["code_2024"], r["code_2015"], r["rank"]) for r in frame.iter_rows(named=True)}
    assert pairs == {
        ("QN97401I", "QP974001", 1),
        ("QN09903M", "QP099003", 1),
        ("QN09903M", "QP099004", 2),
        ("QN09903M", "QP099005", 3),
        ("QN09904N", None, None),  # a new quartier: no predecessor
    }
    first = frame.row(0, named=True)
    assert (first["name_2024"], first["status"], first["source_row"]) == ("Bas de la Rivière", "Modifié", 2)
    layout = recognise(path)
    assert layout is not None and layout.dataset == "qpv_correspondence"


def test_latin1_reexport_keeps_its_accents() -> None:
    frame = read_correspondence(FIXTURES / "liste-correspondance-latin1.csv", sha256="x")
    names = dict(frame.select("code_2024", "name_2024").iter_rows())
    assert names["QN06236M"] == "Saint-Exupéry - Léon Blum"
    assert recognise(FIXTURES / "liste-correspondance-latin1.csv") is not None


@pytest.mark.parametrize(
    ("rows", "row", "column", "message"),
    [
        (["QP061001;Les Provinces;;QP061001;Les Provinces;;;;"], 2, "QP2024", "a 2015 code"),
        (["QN06101M;Les Provinces;;QN06101M;Les Provinces;;;;"], 2, "QP2015_1", "a 2024 code"),
        (["QN06101M;A;;QP061001;A;;;;", "QN06102M;B;;QP061002;B;QN06101M;x;;"], 3, "QP2015_2", "a 2024 code"),
        (["QN06101M;A;;QP061001;A;;;;", "QN06101M;A;;QP061001;A;;;;"], 3, "QP2024", "listed twice"),
    ],
)
def test_codes_of_the_wrong_geography_are_refused(
    tmp_path: Path, rows: list[str], row: int, column: str, message: str
) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=message) as info:
        read_correspondence(path, sha256="x")
    text = str(info.value)
    assert "liste.csv" in text and f"row {row}" in text and column in text


def test_a_missing_column_is_named_with_the_closest_header(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    path.write_text("QP2024;Label_QP2024;Statut;QP2015;Label\nQN06101M;A;;QP061001;A\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"QP2015_1 is missing \(closest: 'QP2015'\)"):
        read_correspondence(path, sha256="x")
