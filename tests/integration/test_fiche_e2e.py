"""Fiches d'identité on the synthetic sample: `quartiers fiches sample` writes a PDF and an HTML fiche per
QPV;
the PDF's text holds the figures and their notes (source, release, data year, geography); the first page is
rendered to PNG and kept as a test artifact; HTML is self-contained; bad codes are refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sources.contracts import load_contract
from tests.integration.fiche_sample import sample_home
from warehouse.fiche import build_fiche, gather
from warehouse.fiche.figures import best_figures
from warehouse.fiche.map_data import _map_geometries
from warehouse.fiche.model import Geometries
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly


def _one(con: Any, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return tuple(row)


pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_home(tmp_path_factory)


@pytest.fixture(scope="module")
def fiches_dir(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fiches")
    result = CliRunner().invoke(app, ["fiches", "sample", "--home", str(home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    return re.sub(r"[\u202f\u00a0]", " ", text)


def _fr(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")


def test_every_qpv_of_the_contract_gets_a_pdf_and_an_html(fiches_dir: Path) -> None:
    contract = load_contract("sample")
    for code in [*contract.qpv2024_codes, *contract.former_qpv2015]:
        assert (fiches_dir / f"{code}.pdf").read_bytes()[:5] == b"%PDF-", code
        html = (fiches_dir / f"{code}.html").read_text(encoding="utf-8")
        assert code in html and "<svg" in html


def test_pdf_text_holds_figures_and_their_notes(home: Path, fiches_dir: Path) -> None:
    con = connect_readonly(warehouse_path(home), spatial=False)
    code = "QN09901I"
    name = _one(con, "SELECT name FROM territory WHERE kind = 'qpv2024' AND code = ?", [code])[0]
    value, vintage, period, dataset = _one(
        con,
        "SELECT value, source_vintage, period, source_dataset FROM v_observation_best "
        "WHERE indicator_id = 'taux_pauvrete_60' AND territory_kind = 'qpv2024' AND territory_code = ? "
        "AND status = 'published' ORDER BY period DESC LIMIT 1",
        [code],
    )
    commune_name = _one(
        con,
        "SELECT c.name FROM territory_link l "
        "JOIN territory c ON c.kind = 'commune' AND c.code = l.parent_code "
        "WHERE l.child_kind = 'qpv2024' AND l.child_code = ? AND l.parent_kind = 'commune'",
        [code],
    )[0]
    text = _pdf_text(fiches_dir / f"{code}.pdf")
    assert f"{name} ({code})" in text
    assert "Données synthétiques" in text  # warehouse_info label of the sample
    assert commune_name in text
    assert f"{_fr(value, 1)} %" in text  # the QPV's poverty rate, French format
    # Its note, printed once at the end grouped by source: source dataset and release, then (within the
    # group, before the next group's "millésime") the data year and the geography.
    assert re.search(
        rf"{re.escape(dataset)}\), millésime {vintage}\b(?:(?!millésime).)*?"
        rf"données {period} ; périmètre QPV 2024",
        text,
        re.S,
    )
    # Perimeter change from the crosswalk, grid estimate with its bound on the same line, method note.
    assert "QP099001" in text and "inchangé" in text
    assert re.search(r"\d[\d ]* \(\d[\d ]*–\d[\d ]*\)", text), "a grid estimate with its bound"
    assert "Estimation carroyée" in text
    # Schools inside, with EP status and IPS (from the school table).
    uai, ips, ep = _one(
        con,
        "SELECT s.uai, s.ips, s.ep_status FROM school_qpv r JOIN school s USING (uai) "
        "WHERE r.territory_code = ? AND r.relation = 'inside' AND s.ips IS NOT NULL "
        "ORDER BY s.rentree DESC, s.uai LIMIT 1",
        [code],
    )
    assert uai in text and _fr(ips, 1) in text and ep in text


def test_secret_statistique_where_suppressed(home: Path, fiches_dir: Path) -> None:
    con = connect_readonly(warehouse_path(home), spatial=False)
    suppressed = {
        c
        for (c,) in con.execute(
            "SELECT DISTINCT territory_code FROM v_observation_best WHERE territory_kind = 'qpv2024' "
            "AND status = 'suppressed' AND indicator_id IN ('filo_disp_mediane', 'taux_pauvrete_60')"
        ).fetchall()
    }
    assert suppressed, "the sample blanks one QPV's Filosofi block"
    for code in suppressed:
        assert "secret statistique" in _pdf_text(fiches_dir / f"{code}.pdf"), code


def test_first_page_rendered_to_png(fiches_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    out = tmp_path_factory.mktemp("artifacts") / "QN09903M_page1.png"
    doc = pdfium.PdfDocument(str(fiches_dir / "QN09903M.pdf"))
    image = doc[0].render(scale=1.5).to_pil()
    image.save(out)
    print(f"\nfirst page of the fiche QN09903M: {out}")
    assert image.width > 800
    colours = image.convert("L").getextrema()
    assert colours[0] < 60 and colours[1] > 200, "a page with text on it, not blank"


def test_html_is_self_contained_and_markdown_renders(home: Path, tmp_path: Path) -> None:
    for fmt in ("html", "md"):
        result = CliRunner().invoke(
            app, ["fiche", "QP099005", "--format", fmt, "--home", str(home), "--out", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
    html = (tmp_path / "QP099005.html").read_text(encoding="utf-8")
    # Nothing fetched at view time: no external script, stylesheet, image or font.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"""<link[^>]*href=["'](?!data:)""", html)  # only the inline (data:) favicon
    assert 'class="qpv2015"' in html  # the 2015 outline of a QPV that left the geography
    md = (tmp_path / "QP099005.md").read_text(encoding="utf-8")
    assert md.startswith("> **Données synthétiques**")
    assert "| Indicateur | Année |" in md and "[^1]:" in md
    assert "sorti de la géographie prioritaire" in md


def test_bad_codes_are_refused(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["fiche", "../etc/passwd", "--home", str(home), "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "not a QPV code" in bad.output
    absent = runner.invoke(app, ["fiche", "QN09999Z", "--home", str(home), "--out", str(tmp_path)])
    assert absent.exit_code == 2 and "inconnu de l'entrepôt" in absent.output
    assert not list(tmp_path.iterdir())
    unknown = runner.invoke(app, ["fiches", "no-such-contract", "--home", str(home)])
    assert unknown.exit_code == 2


def _codes() -> list[str]:
    contract = load_contract("sample")
    return [*contract.qpv2024_codes, *contract.former_qpv2015]


def test_pdfs_have_two_or_three_pages_and_no_text_over_text(fiches_dir: Path) -> None:
    """Issue 16: a fiche fits on three pages, and no word of a page is printed over another (the year
    column, the table headings, the charts' legends and axis numbers, the notes)."""
    pytest.importorskip("pypdfium2")
    from tests.integration.fiche_layout import overlapping_words

    for code in _codes():
        pages = len(pypdf.PdfReader(str(fiches_dir / f"{code}.pdf")).pages)
        assert 2 <= pages <= 3, (code, pages)
        assert overlapping_words(fiches_dir / f"{code}.pdf") == [], code


def test_schools_without_coordinates_are_listed_with_their_flag(home: Path, fiches_dir: Path) -> None:
    con = connect_readonly(warehouse_path(home), spatial=False)
    # school: rows without Lambert-93 coordinates in a commune of a QPV of the contract (latest rentrée).
    unplaced = con.execute(
        "SELECT q.qpv_code, s.uai, s.coord_status FROM school s "
        "JOIN v_qpv_communes q ON q.commune_code = s.commune_code "
        "WHERE s.x_l93 IS NULL AND s.rentree = (SELECT max(rentree) FROM school)"
    ).fetchall()
    unplaced = [u for u in unplaced if u[0] in _codes()]
    assert unplaced, "the sample has a school without coordinates in a QPV's commune"
    for code, uai, status in unplaced:
        # Counted in the PDF with the reason, listed in <CODE>-ecoles.csv beside it (issue 16).
        text = _pdf_text(fiches_dir / f"{code}.pdf")
        assert uai not in text, (code, uai)
        assert f"liste dans {code}-ecoles.csv" in text
        if status == "missing":
            assert "sans coordonnées dans le fichier source" in text
        raw = (fiches_dir / f"{code}-ecoles.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
        lines = raw.decode("utf-8-sig").splitlines()
        assert lines[0].split(";")[:3] == ["N° sur la carte", "Nom", "UAI"]
        assert any(line.split(";")[2] == uai and line.split(";")[0] == "" for line in lines[1:]), uai
        fiche = gather(con, code)
        school = next(s for s in fiche.schools if s.uai == uai)
        assert not school.placed and school.coord_status == status and school.x is None


def test_figures_agree_with_v_observation_best(home: Path) -> None:
    con = connect_readonly(warehouse_path(home), spatial=False)
    keys = ["qpv2024:QN09903M", "qpv2015:QP099003", "commune:99104", "france:FRM", "ensemble_qpv:ensemble"]
    indicators = [r[0] for r in con.execute("SELECT DISTINCT indicator_id FROM observation").fetchall()]
    mine = {
        (r["indicator_id"], r["territory_kind"], r["territory_code"], r["period"], r["geo_version"]): (
            r["value"],
            r["status"],
            r["source_dataset"],
            r["source_vintage"],
        )
        for r in best_figures(con, indicators, keys)
    }
    view = {
        tuple(r[:5]): tuple(r[5:])
        for r in con.execute(
            "SELECT indicator_id, territory_kind, territory_code, period, geo_version, value, status, "
            "source_dataset, source_vintage FROM v_observation_best "
            "WHERE list_contains(?, territory_kind || ':' || territory_code)",
            [keys],
        ).fetchall()
    }
    assert mine and mine == view


def test_map_draws_every_commune_in_its_frame(home: Path) -> None:
    shapely = pytest.importorskip("shapely")
    con = connect_readonly(warehouse_path(home), spatial=False)
    communes = con.execute(
        "SELECT code, geom_wkb FROM territory WHERE kind = 'commune' AND geom_wkb IS NOT NULL"
    ).fetchall()
    dept = con.execute(
        "SELECT parent_code FROM territory_link WHERE child_kind = 'commune' AND parent_kind = 'departement' "
        "AND child_code = ?",
        [communes[0][0]],
    ).fetchone()
    assert dept is not None
    # A frame around a whole commune touches its neighbours: all of them are drawn, not only its own.
    geoms = Geometries([("X", communes[0][1])], [], [])
    _map_geometries(con, geoms, [], [communes[0][0]], [dept[0]])
    assert geoms.frame is not None
    frame = shapely.box(*geoms.frame)
    expected = {c for c, w in communes if shapely.from_wkb(w).intersects(frame)}
    assert {c for c, _, _ in geoms.communes} == expected
    assert expected - {communes[0][0]}, "the sample commune has neighbours in its frame"
    # On a fiche: own communes' boundaries drawn, legend not cut (every label inside the viewBox).
    data, _ = build_fiche(con, "QN09903M", ("html",))
    svg = data["map_svg"]
    assert svg.count('class="commune own"') == 2
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    for x, size, label in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" font-size="([\d.]+)">([^<]+)</text>', svg
    ):
        assert float(x) + len(label) * float(size) * 0.62 <= width * 1.01, label
    assert "limite communale" in svg


def test_markdown_draws_no_chart(home: Path) -> None:
    con = connect_readonly(warehouse_path(home), spatial=False)
    data, rendered = build_fiche(con, "QN09901I", ("md",))
    assert data["charts"] == [] and data["map_svg"] is None
    assert b"<svg" not in rendered["md"]
    data, _ = build_fiche(con, "QN09901I", ("html",))
    assert len(data["charts"]) >= 2
