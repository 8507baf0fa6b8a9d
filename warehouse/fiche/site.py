"""A static site of every fiche: ``index.html`` (every QPV of both geographies, searchable by name, commune
or code with a few lines of inline JavaScript), ``fiches/<CODE>.html``, ``pdf/<CODE>.pdf``, and the
contracts' baseline exports copied under ``exports/<contract>/`` when they exist. Nothing is fetched at view
time: CSS, SVG and JavaScript are inline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from warehouse.fiche.build import build_fiche
from warehouse.fiche.render import render_site_index

EXPORT_SUFFIXES = {".xlsx", ".csv", ".parquet", ".geojson", ".md"}


def list_qpvs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(
        "SELECT q.kind AS geography, q.code, any_value(q.name) AS name, "
        "string_agg(DISTINCT c.name || ' (' || c.code || ')', ', ' ORDER BY c.name || ' (' || c.code || ')') "
        "AS communes FROM territory q "
        "LEFT JOIN territory_link l ON l.child_kind = q.kind AND l.child_code = q.code "
        "AND l.parent_kind = 'commune' "
        "LEFT JOIN territory c ON c.kind = 'commune' AND c.code = l.parent_code "
        "WHERE q.kind IN ('qpv2024', 'qpv2015') GROUP BY q.kind, q.code ORDER BY q.kind DESC, q.code"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _copy_exports(home: Path, out: Path) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """Copy ``<home>/exports/<contract>/*`` into the site; return the links and each QPV's contracts."""
    links: list[dict[str, str]] = []
    by_qpv: dict[str, list[str]] = {}
    root = home / "exports"
    if not root.is_dir():
        return links, by_qpv
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES)
        if not files:
            continue
        dest = out / "exports" / folder.name
        for f in files:
            target = dest / f.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            links.append(
                {
                    "contract": folder.name,
                    "name": str(f.relative_to(folder)),
                    "href": str(target.relative_to(out)),
                }
            )
        try:
            from sources.contracts import load_contract

            contract = load_contract(folder.name)
            for code in [*contract.qpv2024_codes, *contract.qpv2015_codes]:
                by_qpv.setdefault(code, []).append(folder.name)
        except Exception:
            pass
    return links, by_qpv


def build_site(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    home: Path | None = None,
    pdf: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the site into ``out``; returns the index path."""
    (out / "fiches").mkdir(parents=True, exist_ok=True)
    exports, by_qpv = _copy_exports(home, out) if home is not None else ([], {})
    info = dict(con.execute("SELECT key, value FROM warehouse_info").fetchall())
    label = info.get("label", "")
    entries: list[dict[str, Any]] = []
    for q in list_qpvs(con):
        code = q["code"]
        links = {"← Tous les quartiers": "../index.html"}
        if pdf:
            links["Fiche PDF"] = f"../pdf/{code}.pdf"
        for contract in by_qpv.get(code, []):
            links[f"Exports du contrat {contract}"] = f"../index.html#exports-{contract}"
        formats = ("html", "pdf") if pdf else ("html",)
        _, rendered = build_fiche(con, code, formats, links=links)
        (out / "fiches" / f"{code}.html").write_bytes(rendered["html"])
        if pdf:
            (out / "pdf").mkdir(exist_ok=True)
            (out / "pdf" / f"{code}.pdf").write_bytes(rendered["pdf"])
        entries.append({**q, "href": f"fiches/{code}.html", "pdf": f"pdf/{code}.pdf" if pdf else None})
        if progress is not None:
            progress(code)
    index = out / "index.html"
    index.write_text(
        render_site_index(entries, synthetic="synth" in label.lower(), label=label, exports=exports),
        encoding="utf-8",
    )
    return index
