"""`quartiers profile CODE`: a QPV's figures next to its commune(s), EPCI, département, France
métropolitaine and all QPVs, each with its source and release (read from the `profile` table).

A 2024 code (QN…) answers with the figures measured on its own perimeter, then those of each 2015 QPV
it replaces (« périmètre 2015 — QP061001 Les Provinces »), beside the 2024 QPV's own references."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated, Any

import typer

from models.observation import not_computable_fr
from pipelines.commands._common import HomeOpt, connect, fail
from warehouse.fiche.fmt import bound_fr, period_fr, value_fr
from warehouse.qpv_lookup import QPV_CODE_RE
from warehouse.vocabulary import dataset_fr

ROLE_LABEL = {
    "qpv": "QPV",
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "france": "France métro.",
    "all_qpv": "ensemble des QPV",
}
CSV_COLUMNS = (
    "geography", "qpv_code", "qpv_name", "measured_kind", "measured_code", "measured_name", "basis",
    "share_of_2015", "share_of_2024", "theme", "indicator_id", "label_fr", "unit", "period", "role",
    "ref_code", "ref_name", "value", "status", "method", "interval_low", "interval_high",
    "parts_hidden", "parts_total", "source_dataset", "source_vintage", "geo_version", "source_file",
)  # fmt: skip

__all__ = ["QPV_CODE_RE", "format_figure", "register"]


def format_value(row: dict[str, Any]) -> str:
    """One cell's figure, or the words that stand for it (never a number the publisher hid)."""
    status, unit = row["status"], row["unit"]
    if status is None:
        return "—"
    if status == "suppressed":
        return "secret statistique"
    if status == "not_computable":
        return not_computable_fr(row.get("parts_hidden"), row.get("parts_total"))
    if status == "not_applicable":
        return "non estimable" if row["method"] == "grid_estimate" else "non calculable"
    if status == "missing":
        return "non disponible"
    text = value_fr(float(row["value"]), unit)
    if row["interval_low"] is not None and row["interval_high"] is not None:
        text += f" [{bound_fr(float(row['interval_low']), float(row['interval_high']), unit)}]"
    if row["method"] == "grid_estimate":
        text += " (estimation)"
    return text


def source_of(row: dict[str, Any]) -> str:
    """« Insee QPV revenus 2021 · qpv2015 · REVN_2021.csv »"""
    dataset = dataset_fr(row["source_dataset"])
    release = f"{dataset} {row['source_vintage'] or ''}".strip()
    parts = [release, row["geo_version"] or "", row["source_file"] or ""]
    return " · ".join(p for p in parts if p)


def format_figure(row: dict[str, Any]) -> str:
    """One cell: the value (with its bound for a grid estimate), or what stands for it, then its source."""
    if row["status"] is None:
        return "—"
    return f"{format_value(row)}\n[dim]{source_of(row)}[/]"


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Short words in narrow cells, spelled out in the legend under each table.
SHORT_STATUS = {
    "suppressed": ("secret", "secret statistique (valeur masquée par le producteur)"),
    "not_applicable": ("s. o.", "sans objet (indicateur non calculable pour ce territoire)"),
    "missing": ("n. d.", "non disponible"),
}
UNIT_LABEL = {"euro": "€", "percent": "%", "m2": "m²"}


def _cell(row: dict[str, Any]) -> tuple[str, str | None]:
    """A narrow cell: the number without its unit (the unit is in the row label), or a short status."""
    from warehouse.fiche.fmt import decimals_for, number_fr

    status = row["status"]
    if status == "not_computable":
        # ours, not the producer's; how many parts were secret goes to the legend (narrow columns)
        return "n. c.", f"n. c. : {not_computable_fr(row.get('parts_hidden'), row.get('parts_total'))}"
    if status in SHORT_STATUS:
        short, _long = SHORT_STATUS[status]
        if status == "not_applicable" and row["method"] == "grid_estimate":
            return "n. e.", "n. e. : non estimable (médiane d'un périmètre reconstruit)"
        return short, f"{short} : {_long}"
    value = float(row["value"])
    unit = row["unit"] or ""
    text = number_fr(value, decimals_for(value, unit))
    if row["interval_low"] is not None and row["interval_high"] is not None:
        text += f" [{bound_fr(float(row['interval_low']), float(row['interval_high']), unit)}]"
    if row["method"] == "grid_estimate":
        return text + " e", "e : estimation carroyée, encadrement [bas – haut]"
    return text, None


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low} à {high}"


def _not_computable_legend(head: str, parts: list[tuple[int | None, int | None]]) -> str:
    """« n. c. (ens. QPV) : non calculable : une partie sous secret statistique (23 sur 1 352) », or the
    range over the column's indicators when they differ."""
    known = [(h, t) for h, t in parts if h is not None and t is not None]
    if len({*known}) == 1:
        return f"n. c. ({head}) : {not_computable_fr(*known[0])}"
    words = not_computable_fr(None, None)
    if known:
        hs, ts = [h for h, _t in known], [t for _h, t in known]
        words += f" ({_span(hs)} parties sur {_span(ts)} selon l'indicateur)"
    return f"n. c. ({head}) : {words}"


def _short(name: str, width: int = 8) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _print_profile(profile: Any, out: Any) -> None:
    """Per perimeter measured on, per theme: a line with each indicator's label and data year, then a
    line of figures under short column heads (one per reference territory), each with a numbered
    source; legends and sources follow. Fits 80 columns with up to eight reference columns."""
    import textwrap

    from rich.markup import escape

    from warehouse.profile import THEME_FR

    width = max(60, min(out.width, 140))
    qpv = profile.qpv
    out.print(
        f"[bold]{qpv.code}[/] {escape(qpv.name or '')} — QPV de la géographie {qpv.year}"
        + ("" if qpv.has_perimeter else " (périmètre non chargé)")
    )
    if qpv.kind == "qpv2024":
        if profile.predecessors:
            for p in profile.predecessors:
                name = escape(p.name_2015 or "")
                out.print(f"  remplace {escape(p.code_2015)} {name} : {escape(p.evidence())}")
        else:
            out.print("  aucun QPV 2015 connu qu'il remplace (ni liste ANCT, ni recouvrement, ni contrat)")
    for section in profile.sections:
        out.print()
        out.print(f"[bold]Chiffres mesurés sur le {escape(section.title)}[/]")
        if section.predecessor is not None:
            out.print(
                "[dim]Chiffres du QPV 2015 tels que publiés, ni additionnés ni repondérés en chiffre 2024.[/]"
            )
        heads: list[str] = []
        for _order, role, ref, name in section.references:
            if role == "qpv":
                heads.append(f"QPV {section.measured_kind[3:]}")
            elif role == "all_qpv":
                heads.append("ens. QPV")
            elif role == "france":
                heads.append("France")
            else:
                heads.append(_short(name or ref))
        notes: dict[str, int] = {}
        legend: dict[str, None] = {}
        hidden_parts: dict[str, list[tuple[int | None, int | None]]] = {}  # column → (hidden, total)
        lines: list[tuple[str, str, list[str]]] = []  # theme, label line, values
        for (theme, indicator, period), cells in section.cells.items():
            label, unit = section.labels[indicator]
            unit_text = UNIT_LABEL.get(unit or "")
            values = []
            for column, (_order, role, ref, _name) in enumerate(section.references):
                row = cells.get((role, ref))
                if row is None or row["status"] is None:
                    values.append("—")
                    continue
                text, note = _cell(row)
                if row["status"] == "not_computable":
                    parts = (row["parts_hidden"], row["parts_total"])
                    hidden_parts.setdefault(heads[column], []).append(parts)
                elif note:
                    legend[note] = None
                n = notes.setdefault(source_of(row), len(notes) + 1)
                values.append(text + str(n).translate(SUPERSCRIPT))
            unit_part = f" ({unit_text})" if unit_text else ""
            lines.append((theme, f"{label}{unit_part} — {period_fr(period)}", values))
        widths = [max([len(h), *(len(v[i]) for _t, _l, v in lines)]) for i, h in enumerate(heads)]
        header = "  " + " ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))
        theme_seen: str | None = None
        for theme, label_line, values in lines:
            if theme != theme_seen:
                out.print()
                out.print(f"[bold]{escape(THEME_FR.get(theme, theme or 'autres'))}[/]")
                out.print(f"[dim]{escape(header)}[/]", overflow="ignore", crop=False)
                theme_seen = theme
            for part in textwrap.wrap(label_line, width=width - 1) or [""]:
                out.print(escape(part))
            row_text = "  " + " ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))
            out.print(escape(row_text), overflow="ignore", crop=False)
        out.print()
        refs = " ; ".join(
            f"{ROLE_LABEL[role]} {ref}{' ' + name if name and role != 'all_qpv' else ''}"
            for _o, role, ref, name in section.references
            if role not in ("qpv", "all_qpv")
        )
        out.print(
            f"[dim]Comparé à : {escape(refs)} ; ens. QPV : ensemble des QPV de la géographie "
            f"{section.measured_kind[3:]} ; « — » : pas de chiffre pour cette année.[/]"
        )
        for note in [*legend, *(_not_computable_legend(h, parts) for h, parts in hidden_parts.items())]:
            out.print(f"[dim]{escape(note)}[/]")
        for text, n in notes.items():
            out.print(f"[dim]{str(n).translate(SUPERSCRIPT)} {escape(text)}[/]")
    if profile.not_loaded:
        out.print()
        out.print("[bold]Chiffres sur le périmètre 2024 non chargés[/]")
        for theme, releases in profile.not_loaded.items():
            names = " ; ".join(f"« {r.title} » ({r.files}, {r.page})" for r in releases)
            out.print(
                f"  {escape(THEME_FR.get(theme, theme))} : montré sur le périmètre 2015 ; publication Insee "
                f"qui y répondrait : {escape(names)} — non chargée"
            )
    out.print()
    out.print(
        "[dim]L'année est celle des données, non celle de la publication. Dernière année de chaque "
        "indicateur ; --all-periods : toutes les années ; --format csv|json : pour les scripts.[/]"
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def profile(
        code: Annotated[str, typer.Argument(help="QPV code, 2015 (QP…) or 2024 (QN…) geography")],
        all_periods: Annotated[
            bool, typer.Option("--all-periods", help="Every data year (default: each indicator's latest)")
        ] = False,
        output_format: Annotated[
            str, typer.Option("--format", help="table (default), csv or json (every row, for scripts)")
        ] = "table",
        home: HomeOpt = None,
    ) -> None:
        """A QPV's profile: every indicator and data year, next to its reference territories, each figure
        with its source, release and geography ("secret statistique" where the producer hid it). For a
        2024 code, also the figures of the 2015 QPV(s) it replaces, labelled with their perimeter."""
        from rich.console import Console

        from warehouse.profile import read_profile
        from warehouse.qpv_lookup import QpvLookupError, resolve_qpv

        out = Console()
        if output_format not in ("table", "csv", "json"):
            raise fail(f"--format {output_format[:20]!r}: table, csv ou json")
        con = connect(home, spatial=False)
        try:
            qpv = resolve_qpv(con, code)
        except QpvLookupError as exc:
            raise fail(f"{exc}") from exc
        data = read_profile(con, qpv, all_periods=all_periods or output_format != "table")
        if not data.rows:
            raise fail(f"aucun chiffre pour le QPV {qpv.code} dans cet entrepôt")
        if output_format == "csv":
            writer = csv.DictWriter(sys.stdout, CSV_COLUMNS, delimiter=";", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(data.rows)
        elif output_format == "json":
            json.dump([{k: r.get(k) for k in CSV_COLUMNS} for r in data.rows], sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            _print_profile(data, out)
