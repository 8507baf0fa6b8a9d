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

from models.contracts import load_contract
from pipelines.cli import app
from pipelines.paths import warehouse_path
from tests.integration.fiche_sample import sample_home
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
    # Its note: source dataset, release, data year and geography.
    assert re.search(
        rf"{re.escape(dataset)}\), millésime {vintage} ; données {period} ; périmètre QPV 2024", text
    )
    # Perimeter change from the crosswalk, grid estimate with its bound and method note.
    assert "QP099001" in text and "inchangé" in text
    assert re.search(r"\[\d[\d\s]*–\s*\d[\d\s]*\]", text), "a grid estimate with its bound"
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
    assert absent.exit_code == 2 and "not in this warehouse" in absent.output
    assert not list(tmp_path.iterdir())
    unknown = runner.invoke(app, ["fiches", "no-such-contract", "--home", str(home)])
    assert unknown.exit_code == 2
