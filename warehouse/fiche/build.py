"""One fiche in the formats asked for: gather once, draw once, render each format."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from warehouse.fiche.data import gather
from warehouse.fiche.render import (
    render_html,
    render_markdown,
    render_pdf,
    schools_csv,
    schools_csv_name,
    view,
)

FORMATS = ("pdf", "html", "md")


def build_fiche(
    con: duckdb.DuckDBPyConnection,
    code: str,
    formats: Sequence[str] = ("pdf",),
    *,
    links: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The fiche's data and its rendered bytes per format (``pdf``, ``html``, ``md``), and under ``csv`` the
    list of its schools (every one, placed or not) when it has any."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown fiche format(s) {unknown}; choose among {', '.join(FORMATS)}")
    # Map and charts only for the formats that show them (matplotlib is the slow part of a fiche).
    fiche = gather(con, code)
    data = view(fiche, links=links, charts=bool({"pdf", "html"} & set(formats)))
    out: dict[str, bytes] = {}
    for f in formats:
        if f == "pdf":
            out[f] = render_pdf(data)
        elif f == "html":
            out[f] = render_html(data).encode("utf-8")
        else:
            out[f] = render_markdown(data).encode("utf-8")
    if fiche.schools:
        out["csv"] = schools_csv(fiche)
    return data, out


def write_fiche(
    con: duckdb.DuckDBPyConnection,
    code: str,
    out_dir: Path,
    formats: Sequence[str] = ("pdf",),
    *,
    links: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``<out_dir>/<CODE>.<format>`` for each format, and ``<CODE>-ecoles.csv`` (the fiche's schools,
    those the PDF only counts included) when it has schools; returns the paths written."""
    data, rendered = build_fiche(con, code, formats, links=links)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for f, content in rendered.items():
        path = out_dir / (schools_csv_name(data["code"]) if f == "csv" else f"{data['code']}.{f}")
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        paths[f] = path
    return paths
