"""`quartiers indicators [--search TEXT] [--format table|csv]`: the indicator catalog of the warehouse.

Every indicator id with its French label, unit, source dataset(s) and the periods the warehouse holds
figures for; `--search` matches the id or the label, ignoring case and accents. Also the close matches
`quartiers series` suggests for an unknown id.
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.commands._common import HomeOpt, connect, fail

UNIT_FR = {
    "count": "nombre",
    "percent": "%",
    "euro": "€",
    "index": "indice",
    "ratio": "ratio",
    "m2": "m²",
    "years": "années",
}
SEARCH_RE = re.compile(r"^[\w\s'’\-.,()%/]{1,80}$", re.UNICODE)

CATALOG_SQL = """
SELECT i.indicator_id, i.label_fr, i.unit, i.source,
       list_sort(list_distinct(list(o.source_dataset) FILTER (WHERE o.source_dataset IS NOT NULL))),
       list_sort(list_distinct(list(o.period) FILTER (WHERE o.period IS NOT NULL)))
FROM indicator i LEFT JOIN observation o USING (indicator_id)
GROUP BY ALL
ORDER BY i.indicator_id
"""

DE_VS_DEFM = (
    "de_abc et defm_abc ne sont pas la même série. de_abc : demandeurs d'emploi de catégories A, B, C "
    "(DEFM ABC) tels que publiés par l'INSEE dans ses fichiers QPV (bloc IPRO, insertion "
    "professionnelle), sur les QPV 2015, un chiffre par année. defm_abc : série France Travail / Dares, "
    "trimestrielle (commune : moyenne des fins de mois du trimestre, arrondie à 5 par la Dares ; QPV : "
    "selon le fichier). Les deux ne se raccordent pas."
)


@dataclass(frozen=True)
class IndicatorRow:
    indicator_id: str
    label: str
    unit: str
    source: str
    periods: str


def fold(text: str) -> str:
    """Lower case without accents: « Évolution » and « evolution » match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def periods_text(periods: list[str], limit: int = 4) -> str:
    """« 2017–2021 » for consecutive years, else a short list (first, …, last and how many)."""
    if not periods:
        return "aucune donnée"
    if all(re.fullmatch(r"\d{4}", p) for p in periods) and len(periods) > 1:
        years = sorted(int(p) for p in periods)
        if years == list(range(years[0], years[-1] + 1)):
            return f"{years[0]}–{years[-1]}"
    if len(periods) <= limit:
        return ", ".join(periods)
    return f"{periods[0]}, {periods[1]} … {periods[-1]} ({len(periods)} périodes)"


def catalog(con: object, search: str | None = None) -> list[IndicatorRow]:
    """The indicators of the warehouse (matching `search` in id or label, case and accents ignored)."""
    rows = con.execute(CATALOG_SQL).fetchall()  # type: ignore[attr-defined]
    wanted = fold(search.strip()) if search else None
    out = []
    for iid, label, unit, source, datasets, periods in rows:
        if wanted and wanted not in fold(str(iid)) and wanted not in fold(str(label or "")):
            continue
        out.append(
            IndicatorRow(
                str(iid),
                str(label or ""),
                UNIT_FR.get(str(unit), str(unit or "")),
                ", ".join(datasets) if datasets else str(source or ""),
                periods_text([str(p) for p in periods or []]),
            )
        )
    return out


def suggestions(con: object, wanted: str, n: int = 5) -> list[str]:
    """Close indicator ids for an unknown one, by id and by French label: « id (label) »."""
    rows = con.execute("SELECT indicator_id, label_fr FROM indicator").fetchall()  # type: ignore[attr-defined]
    labels = {str(i): str(lab or "") for i, lab in rows}
    key = fold(wanted)
    by_id = difflib.get_close_matches(wanted, list(labels), n=n, cutoff=0.6)
    folded = {fold(lab): i for i, lab in labels.items()}
    by_label = [
        folded[f] for f in difflib.get_close_matches(key.replace("_", " "), list(folded), n=n, cutoff=0.5)
    ]
    contains = [i for i, lab in labels.items() if key and (key in fold(i) or key in fold(lab))]
    chosen: list[str] = []
    for i in [*by_id, *contains, *by_label]:
        if i not in chosen:
            chosen.append(i)
    return [f"{i} ({labels[i]})" for i in chosen[:n]]


def register(app: typer.Typer) -> None:
    @app.command(epilog=DE_VS_DEFM)
    def indicators(
        search: Annotated[
            str | None, typer.Option("--search", help="Text in the id or label (case and accents ignored)")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="table or csv (; separated)")] = "table",
        home: HomeOpt = None,
    ) -> None:
        """Every indicator of the warehouse: id, French label, unit, source dataset, periods held."""

        err = Console(stderr=True, soft_wrap=True)
        if fmt not in ("table", "csv"):
            raise fail(f"--format {escape(fmt)!s}: expected table or csv")
        if search is not None and not SEARCH_RE.match(search):
            err.print(
                "[bold red]erreur :[/] search text may hold letters, digits, spaces and - ' . , ( ) % / only"
            )
            raise typer.Exit(code=2)
        con = connect(home, spatial=False)
        rows = catalog(con, search)
        if fmt == "csv":
            writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
            writer.writerow(["indicateur", "libellé", "unité", "source", "périodes"])
            for r in rows:
                writer.writerow([r.indicator_id, r.label, r.unit, r.source, r.periods])
            return
        out = Console()
        if not rows:
            out.print(f"Aucun indicateur ne correspond à « {escape(search or '')} ».")
            return
        out.print(f"[bold]Indicateurs : {len(rows)}[/]")
        if out.width >= 120:
            table = Table("indicateur", "libellé", "unité", "source", "périodes")
            for r in rows:
                table.add_row(
                    escape(r.indicator_id),
                    escape(r.label),
                    escape(r.unit),
                    escape(r.source),
                    escape(r.periods),
                )
            out.print(table)
        else:  # narrow terminal: two lines each, the id whole (it is what `series --indicator` takes)
            for r in rows:
                out.print(f"[bold]{escape(r.indicator_id)}[/] — {escape(r.label)}", overflow="fold")
                out.print(f"    {escape(r.unit)} · {escape(r.periods)} · {escape(r.source)}", overflow="fold")
        out.print()
        out.print(escape(DE_VS_DEFM), style="dim")
