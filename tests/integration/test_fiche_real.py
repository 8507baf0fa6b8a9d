"""Issue 16, the fiche, on the warehouse built from ../shared/data (tests/conftest.py `real_build`; skipped
when ../shared is absent): every 2024 QPV of the build and Toulouse's QP031015 (a 2015 QPV whose 200-odd
communal schools have no coordinates) fit on three pages with no text printed over text; the schools that
cannot be placed are counted in the PDF and listed in <CODE>-ecoles.csv; no false « Aucun recouvrement »;
notes cite only the files the fiche's figures come from."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.integration.fiche_layout import overlapping_words
from warehouse.fiche import build_fiche, gather, write_fiche
from warehouse.store import connect_readonly

pytestmark = pytest.mark.real
pypdf = pytest.importorskip("pypdf")
pytest.importorskip("pypdfium2")

TOULOUSE = "QP031015"


@pytest.fixture(scope="module")
def con(real_build: tuple[Path, object]) -> duckdb.DuckDBPyConnection:
    return connect_readonly(real_build[0] / "warehouse.duckdb", spatial=False)


@pytest.fixture(scope="module")
def codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    qn = [
        r[0]
        for r in con.execute("SELECT code FROM territory WHERE kind = 'qpv2024' ORDER BY code").fetchall()
    ]
    assert {"QN06101M", "QN06102M", "QN06236M", "QN06237M"} <= set(qn)
    return [*qn, TOULOUSE]


@pytest.fixture(scope="module")
def fiches(
    con: duckdb.DuckDBPyConnection, codes: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("fiches-real")
    for code in codes:
        write_fiche(con, code, out, ("pdf",))
    return out


def _text(path: Path) -> str:
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " "))


def test_three_pages_at_most_and_no_text_over_text(fiches: Path, codes: list[str]) -> None:
    for code in codes:
        pdf = fiches / f"{code}.pdf"
        assert len(pypdf.PdfReader(str(pdf)).pages) <= 3, code
        assert overlapping_words(pdf) == [], code


def test_unplaced_schools_are_counted_and_listed_in_the_csv(
    con: duckdb.DuckDBPyConnection, fiches: Path
) -> None:
    fiche = gather(con, TOULOUSE)
    unplaced = [s for s in fiche.schools if not s.placed]
    assert len(unplaced) > 100, "Toulouse's schools without coordinates"
    text = _text(fiches / f"{TOULOUSE}.pdf")
    assert f"liste dans {TOULOUSE}-ecoles.csv" in text
    assert re.search(r"\d+ écoles.* sans coordonnées dans le fichier source", text)
    assert not any(s.uai in text for s in unplaced)
    raw = (fiches / f"{TOULOUSE}-ecoles.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = [line.split(";") for line in raw.decode("utf-8-sig").splitlines()]
    assert rows[0][:3] == ["N° sur la carte", "Nom", "UAI"]
    assert {s.uai for s in unplaced} <= {r[2] for r in rows[1:]}
    assert len(rows) - 1 == len(fiche.schools)


def test_no_overlap_claim_without_the_other_perimeters(fiches: Path) -> None:
    # Haute-Garonne: no 2024 perimeter is loaded (only five, in Orne and Pas-de-Calais).
    text = _text(fiches / f"{TOULOUSE}.pdf")
    assert "Aucun recouvrement" not in text
    assert "Périmètres 2024 non chargés pour ce département" in text


def test_notes_cite_only_the_fiches_own_files(fiches: Path) -> None:
    text = _text(fiches / "QN06236M.pdf")
    assert "pays_loire" not in text and "pays-loire" not in text
    assert "dep094" not in text  # an Île-de-France extract of the same annuaire dataset
    assert "fr-en-ips-ecoles-ap2022_national.parquet" in text


def test_map_numbers_schools_and_shows_every_symbol(con: duckdb.DuckDBPyConnection) -> None:
    data, _ = build_fiche(con, "QN06236M", ("html",))
    svg = data["map_svg"]
    placed = [s for s in data["schools"] if s["placed"]]
    assert placed and [s["number"] for s in placed] == list(range(1, len(placed) + 1))
    assert svg.count('class="school-number"') == len(placed)
    for label in ("école REP+", "école REP", "école hors EP", "école privée", "collège (carré)"):
        assert f">{label}<" in svg, label
    # No commune boundary for Pas-de-Calais in this build: the names are placed on their schools, and
    # the caption says the boundaries are not loaded, as is the 2015 perimeter QP062036.
    assert "Saint-Omer" in svg and "Longuenesse" in svg
    notes = " ".join(data["map_notes"])
    assert "Limites communales non chargées" in notes and "QP062036" in notes
    # Toulouse: the neighbouring perimeters drawn are exactly the held Haute-Garonne QPVs in the frame.
    shapely = pytest.importorskip("shapely")
    fiche = gather(con, TOULOUSE)
    assert fiche.geometries.frame is not None
    frame = shapely.box(*fiche.geometries.frame)
    held = con.execute(
        "SELECT code, geom_wkb FROM territory WHERE kind = 'qpv2015' AND code LIKE 'QP031%' "
        "AND code <> ? AND geom_wkb IS NOT NULL",
        [TOULOUSE],
    ).fetchall()
    expected = {c for c, w in held if shapely.from_wkb(w).intersects(frame)}
    assert {c for _, c, _ in fiche.geometries.neighbours} == expected
