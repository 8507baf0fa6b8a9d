# ruff: noqa: E501  (the column tables below read best one column per line)
"""Exports of baselines and evaluations for French spreadsheet users and analysts.

- XLSX (openpyxl): a "LISEZ-MOI" sheet, one sheet per theme with French column labels and number
  formats per unit (counts `# ##0`, percentages `42,4 %`, euros `7 040 €`, changes of a rate in
  points), a "Sources et définitions" sheet (every source file with its sha256, every indicator's
  definition) and a "Dictionnaire" sheet (the export's columns and the indicator catalog).
  Number formats are stored in Excel's neutral notation (`#,##0.0`); a French-locale spreadsheet shows
  them with a space as thousands separator and a decimal comma.
- CSV: `;` separator, decimal comma, UTF-8 with BOM, French headers and French status words.
- Parquet: the raw lines (codes, not labels) for analysts.
- `dictionnaire.md`: the data dictionary generated from the indicator catalog.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.baseline import METHOD_FR, STATUS_FR
from models.evaluation import FLAG_FR
from warehouse.vocabulary import dataset_fr

THEME_FR = {
    "population": "Population",
    "menages": "Ménages",
    "revenus": "Revenus",
    "emploi": "Emploi",
    "caf": "CAF",
    "demandeurs_emploi": "Demandeurs d'emploi",
    "education": "Éducation",
    "logement": "Logement",
    "sante": "Santé",
}
ROLE_FR = {"qpv": "QPV 2024", "qpv2015": "QPV 2015 remplacé", "reference": "territoire de comparaison"}
KIND_FR = {
    "qpv2024": "QPV (géographie 2024)",
    "qpv2015": "QPV (géographie 2015)",
    "iris": "IRIS",
    "commune": "commune",
    "epci": "EPCI",
    "unite_urbaine": "unité urbaine",
    "departement": "département",
    "region": "région",
    "france": "France",
    "ensemble_qpv": "ensemble des QPV",
}
UNIT_FR = {"count": "effectif", "percent": "%", "euro": "€", "index": "indice", "ratio": "ratio"}

# Excel number formats (neutral notation, shown localised): value by unit, change by unit.
VALUE_FORMAT = {
    "count": "#,##0",
    "percent": '#,##0.0" %"',
    "euro": '#,##0" €"',
    "index": "#,##0.00",
    "ratio": "#,##0.00",
}
CHANGE_FORMAT = {
    "count": "+#,##0;-#,##0;0",
    "percent": '+#,##0.0" pt";-#,##0.0" pt";0.0" pt"',
    "euro": '+#,##0" €";-#,##0" €";0" €"',
    "index": "+#,##0.00;-#,##0.00;0.00",
    "ratio": "+#,##0.00;-#,##0.00;0.00",
}
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"

# (column, French label, description, kind) — kind: text | value | change | count | date | bool
Column = tuple[str, str, str, str]

BASELINE_COLUMNS: list[Column] = [
    ("qpv_code", "QPV 2024 de rattachement", "Code du QPV 2024 auquel la ligne se rattache (vide : territoire de comparaison)", "text"),
    ("role", "Rôle", "QPV 2024, QPV 2015 remplacé, ou territoire de comparaison", "text"),
    ("territory_kind", "Type de territoire", "Nature du territoire (QPV 2024/2015, commune, EPCI…)", "text"),
    ("territory_code", "Code territoire", "Code officiel du territoire", "text"),
    ("territory_name", "Territoire", "Nom du territoire", "text"),
    ("label_fr", "Indicateur", "Libellé de l'indicateur (catalogue)", "text"),
    ("value", "Valeur", "Valeur de l'indicateur (vide si secret, absent ou non applicable)", "value"),
    ("unit", "Unité", "effectif, %, €, indice", "text"),
    ("numerator", "Numérateur", "Numérateur du taux (quand il est connu)", "count"),
    ("denominator", "Dénominateur", "Dénominateur du taux (quand il est connu)", "count"),
    ("status", "Statut", "publié, secret statistique (masqué par le producteur), non calculable (somme dont une partie est secrète), estimé, absent, non applicable", "text"),
    ("period", "Période des données", "Année, trimestre, date ou année scolaire décrite par les données", "text"),
    ("missing_reason", "Raison de l'absence", "Pourquoi la ligne n'a pas de chiffre : non chargé, non publié pour ce territoire, secret statistique…", "text"),
    ("period_note", "Note sur l'année", "Territoire de comparaison pris à une autre année que les QPV, faute de chiffre pour la leur", "text"),
    ("geo_version", "Version géographique", "Géographie du chiffre (qpv2024, qpv2015, cog2024…)", "text"),
    ("method", "Méthode", "publié, recalculé, somme, estimation carroyée", "text"),
    ("interval_low", "Borne basse", "Borne basse d'une estimation", "value"),
    ("interval_high", "Borne haute", "Borne haute d'une estimation", "value"),
    ("source_dataset", "Jeu de données", "Jeu de données source (producteur et fichier)", "text"),
    ("source_vintage", "Millésime de diffusion", "Millésime de diffusion (année du fichier, pas des données)", "text"),
    ("source_file_name", "Fichier source", "Nom du fichier officiel", "text"),
    ("source_sha256", "SHA-256 du fichier", "Empreinte SHA-256 du fichier officiel (table source_file)", "text"),
    ("indicator_id", "Identifiant indicateur", "Identifiant stable de l'indicateur", "text"),
    ("baseline_date", "Date de référence", "Date de la situation de référence du contrat", "date"),
    ("frozen_at", "Figée le", "Date et heure du gel de la situation de référence", "text"),
]  # fmt: skip

EVALUATION_COLUMNS: list[Column] = [
    ("qpv_code", "QPV 2024 de rattachement", "Code du QPV 2024 auquel la ligne se rattache", "text"),
    ("territory_code", "Code QPV", "Code du QPV (géographie 2024 ou 2015) dont le chiffre est suivi", "text"),
    ("territory_name", "QPV", "Nom du QPV", "text"),
    ("territory_kind", "Géographie du QPV", "QPV (géographie 2024) ou QPV (géographie 2015)", "text"),
    ("label_fr", "Indicateur", "Libellé de l'indicateur", "text"),
    ("unit", "Unité", "effectif, %, €, indice", "text"),
    ("reference_kind", "Type du territoire de comparaison", "commune, EPCI, département, France…", "text"),
    ("reference_code", "Code du territoire de comparaison", "Code officiel", "text"),
    ("reference_name", "Territoire de comparaison", "Nom", "text"),
    ("qpv_period_baseline", "Période initiale (QPV)", "Période des données de la situation de référence", "text"),
    ("qpv_value_baseline", "Valeur QPV initiale", "Valeur du QPV dans la situation de référence figée", "value"),
    ("qpv_period_now", "Période actuelle (QPV)", "Période des dernières données disponibles", "text"),
    ("qpv_value_now", "Valeur QPV actuelle", "Dernière valeur disponible à la date d'évaluation", "value"),
    ("qpv_change", "Évolution QPV", "Valeur actuelle − valeur initiale (en points pour un taux)", "change"),
    ("ref_period_baseline", "Période initiale (comparaison)", "Période des données initiales du territoire de comparaison", "text"),
    ("ref_value_baseline", "Valeur comparaison initiale", "Valeur initiale du territoire de comparaison", "value"),
    ("ref_period_now", "Période actuelle (comparaison)", "Période des dernières données du territoire de comparaison", "text"),
    ("ref_value_now", "Valeur comparaison actuelle", "Dernière valeur du territoire de comparaison", "value"),
    ("ref_change", "Évolution comparaison", "Évolution du territoire de comparaison", "change"),
    ("gap_baseline", "Écart initial (QPV − comparaison)", "Écart QPV − territoire de comparaison, situation de référence (pas calculé pour un effectif)", "change"),
    ("gap_now", "Écart actuel (QPV − comparaison)", "Écart QPV − territoire de comparaison, aujourd'hui", "change"),
    ("gap_change", "Évolution de l'écart", "Écart actuel − écart initial", "change"),
    ("gap_reduced", "Écart réduit", "oui si l'écart (en valeur absolue) a diminué", "bool"),
    ("comparability", "Comparabilité (évolution du QPV)", "comparable, comparable avec réserve, non comparable, évolution non mesurable", "text"),
    ("gap_comparability", "Comparabilité (évolution de l'écart)", "La moins bonne des comparabilités du QPV et du territoire de comparaison ; vide pour un effectif", "text"),
    ("reason", "Motif", "Pourquoi la ligne est (ou n'est pas) comparable, en clair", "text"),
    ("qpv_status_baseline", "Statut QPV initial", "Statut du chiffre initial du QPV", "text"),
    ("qpv_status_now", "Statut QPV actuel", "Statut du chiffre actuel du QPV", "text"),
    ("qpv_geo_baseline", "Géographie initiale", "Version géographique du chiffre initial", "text"),
    ("qpv_geo_now", "Géographie actuelle", "Version géographique du chiffre actuel", "text"),
    ("qpv_source_baseline", "Fichier source initial", "Fichier officiel du chiffre initial du QPV", "text"),
    ("qpv_sha256_baseline", "SHA-256 initial", "Empreinte du fichier initial", "text"),
    ("qpv_source_now", "Fichier source actuel", "Fichier officiel du chiffre actuel du QPV", "text"),
    ("qpv_sha256_now", "SHA-256 actuel", "Empreinte du fichier actuel", "text"),
    ("indicator_id", "Identifiant indicateur", "Identifiant stable de l'indicateur", "text"),
    ("baseline_date", "Date de référence", "Date de la situation de référence figée", "date"),
    ("evaluated_at", "Date d'évaluation", "Date à laquelle les données actuelles sont prises", "date"),
]  # fmt: skip

_TRANSLATE = {
    "role": ROLE_FR,
    "territory_kind": KIND_FR,
    "reference_kind": KIND_FR,
    "status": STATUS_FR,
    "qpv_status_baseline": STATUS_FR,
    "qpv_status_now": STATUS_FR,
    "method": METHOD_FR,
    "unit": UNIT_FR,
    "comparability": FLAG_FR,
    "gap_comparability": FLAG_FR,
}


def theme_label(theme: str | None) -> str:
    if theme is None:
        return "Autres"
    return THEME_FR.get(theme, theme.replace("_", " ").capitalize())


def french_frame(frame: pl.DataFrame, columns: Sequence[Column]) -> pl.DataFrame:
    """The export's columns, codes translated into French words, headers in French (values typed)."""
    exprs = []
    for name, label, _desc, kind in columns:
        expr = pl.col(name)
        if name in _TRANSLATE:
            mapping = _TRANSLATE[name]
            expr = expr.replace_strict(mapping, default=expr, return_dtype=pl.String)
        if name == "source_dataset" and name in frame.columns:
            # « Cnaf (IRIS) », « Insee QPV revenus »: the dataset's name, not its id
            ids = [str(v) for v in frame[name].drop_nulls().unique().to_list()]
            expr = expr.replace_strict({i: dataset_fr(i) for i in ids}, default=expr, return_dtype=pl.String)
        if kind == "bool":
            expr = pl.when(expr).then(pl.lit("oui")).when(expr.not_()).then(pl.lit("non")).otherwise(None)
        exprs.append(expr.alias(label))
    return frame.select(exprs)


def write_csv_fr(frame: pl.DataFrame, columns: Sequence[Column], path: Path) -> Path:
    """CSV as French spreadsheets expect: `;`, decimal comma, dates dd/mm/yyyy, UTF-8 with BOM."""
    out = french_frame(frame, columns).with_columns(pl.selectors.float().round(6))
    tmp = path.with_name(f".{path.name}.tmp")
    out.write_csv(tmp, separator=";", include_bom=True, decimal_comma=True, date_format="%d/%m/%Y")
    os.replace(tmp, path)
    return path


_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_BOLD = Font(bold=True)


def _autosize(ws: Worksheet, widths: dict[int, int]) -> None:
    for idx, width in widths.items():
        ws.column_dimensions[get_column_letter(idx)].width = max(8, min(60, width + 2))


def _cell(
    ws: Worksheet, value: object, *, fmt: str | None = None, bold: bool = False, fill: bool = False
) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if fmt is not None:
        cell.number_format = fmt
    if bold:
        cell.font = _BOLD
    if fill:
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _header(ws: Worksheet, labels: Sequence[object]) -> None:
    ws.append([_cell(ws, v, bold=True, fill=True) for v in labels])


def _title(ws: Worksheet, text: str, size: int = 12) -> None:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True, size=size)
    ws.append([cell])


def _table_sheet(ws: Worksheet, frame: pl.DataFrame, columns: Sequence[Column]) -> None:
    """Header row + rows, number format per cell from the line's unit (write-only sheet)."""
    fr = french_frame(frame, columns)
    units = frame["unit"].to_list() if "unit" in frame.columns else [None] * frame.height
    kinds = [k for _n, _l, _d, k in columns]
    widths = {i: len(label) for i, (_n, label, _d, _k) in enumerate(columns, start=1)}
    for i, kind in enumerate(kinds, start=1):
        if kind == "text":
            longest = fr.get_column(columns[i - 1][1]).cast(pl.String).str.len_chars().max()
            widths[i] = max(widths[i], int(longest) if isinstance(longest, int) else 0)
        elif kind in ("value", "change", "date"):
            widths[i] = max(widths[i], 12)
    _autosize(ws, widths)
    ws.freeze_panes = "A2"
    _header(ws, [label for _n, label, _d, _k in columns])
    formats: dict[str, list[str | None]] = {}
    for unit in set(units):
        formats[str(unit)] = [
            VALUE_FORMAT.get(str(unit), "#,##0.00")
            if kind == "value"
            else CHANGE_FORMAT.get(str(unit), "+#,##0.00;-#,##0.00;0.00")
            if kind == "change"
            else COUNT_FORMAT
            if kind == "count"
            else DATE_FORMAT
            if kind == "date"
            else None
            for kind in kinds
        ]
    for row, unit in zip(fr.iter_rows(), units, strict=True):
        fmts = formats[str(unit)]
        ws.append(
            [v if f is None or v is None else _cell(ws, v, fmt=f) for v, f in zip(row, fmts, strict=True)]
        )
    if frame.height:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{frame.height + 1}"


STATUS_ORDER = {
    "published": 0,
    "estimated": 0,
    "suppressed": 1,
    "not_computable": 1,
    "not_applicable": 2,
    "missing": 3,
}


def _figures_first(part: pl.DataFrame) -> pl.DataFrame:
    """A theme sheet starts with its figures; lines without one follow, grouped by their reason."""
    for name in ("status", "qpv_status_baseline"):
        if name in part.columns:
            rank = pl.col(name).replace_strict(STATUS_ORDER, default=4, return_dtype=pl.Int8)
            reason = [c for c in ("missing_reason",) if c in part.columns]
            return part.with_row_index("_i").sort([rank, *reason, "_i"], nulls_last=True).drop("_i")
    return part


def _sheet_title(label: str, used: set[str]) -> str:
    title = "".join(ch for ch in label if ch not in "[]:*?/\\")[:31]
    base, n = title, 2
    while title in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title)
    return title


def write_xlsx(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    path: Path,
    *,
    title: str,
    readme: list[tuple[str, str]],
    indicator: pl.DataFrame,
    source_file: pl.DataFrame,
    extra_sheets: Sequence[tuple[str, pl.DataFrame]] = (),
) -> Path:
    """One workbook: LISEZ-MOI, one sheet per theme, the extra sheets, Sources et définitions,
    Dictionnaire."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("LISEZ-MOI")
    used = {"LISEZ-MOI", "Sources et définitions", "Dictionnaire"}
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 110
    _title(ws, title, 14)
    ws.append([])
    wrap = Alignment(wrap_text=True, vertical="top")
    for key, value in readme:
        cell = WriteOnlyCell(ws, value=value)
        cell.alignment = wrap
        ws.append([_cell(ws, key, bold=True), cell])
    themes = frame.select(pl.col("theme")).unique().to_series().to_list()
    order = list(THEME_FR)
    themes.sort(key=lambda t: (t is None, order.index(t) if t in order else len(order), t or ""))
    for theme in themes:
        part = frame.filter(pl.col("theme").is_null() if theme is None else pl.col("theme") == theme)
        part = _figures_first(part)
        _table_sheet(wb.create_sheet(_sheet_title(theme_label(theme), used)), part, columns)
    for title, sheet in extra_sheets:
        ws_extra = wb.create_sheet(_sheet_title(title, used))
        _header(ws_extra, sheet.columns)
        for row in sheet.iter_rows():
            ws_extra.append(list(row))
    _sources_sheet(wb.create_sheet("Sources et définitions"), frame, indicator, source_file)
    _dictionary_sheet(wb.create_sheet("Dictionnaire"), columns, indicator)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    return path


def _sha_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if "sha256" in c]


# The first columns of both indicator tables of a workbook (sources sheet, data dictionary).
_INDICATOR_HEADER = [
    "Identifiant",
    "Indicateur",
    "Thème",
    "Définition",
    "Unité",
    "Numérateur",
    "Dénominateur",
]


def _indicator_cells(r: dict[str, Any]) -> list[object]:
    """The cells under `_INDICATOR_HEADER` for one row of the `indicator` table."""
    return [
        r["indicator_id"],
        r["label_fr"],
        theme_label(r["theme"]),
        r["definition"],
        UNIT_FR.get(str(r["unit"]), r["unit"]),
        r["numerator_def"],
        r["denominator_def"],
    ]


def _sources_sheet(
    ws: Worksheet, frame: pl.DataFrame, indicator: pl.DataFrame, source_file: pl.DataFrame
) -> None:
    for col, width in zip("ABCDEFGH", (28, 40, 30, 70, 66, 30, 22, 14), strict=True):
        ws.column_dimensions[col].width = width
    shas: set[str] = set()
    for c in _sha_columns(frame):
        for joined in frame[c].drop_nulls().unique().to_list():
            shas.update(joined.split("+"))  # a figure built from several files
    _title(ws, "Fichiers sources")
    _header(
        ws,
        ["Jeu de données", "Millésime de diffusion", "Fichier", "Adresse", "SHA-256", "Licence", "Obtenu le"],
    )
    cols = ["dataset", "vintage", "file_name", "url", "sha256", "licence", "fetched_at"]
    files = source_file.filter(pl.col("sha256").is_in(sorted(shas)))
    files = files.sort([c for c in ("dataset", "vintage", "sha256") if c in files.columns])
    for row in files.iter_rows(named=True):
        ws.append([dataset_fr(row.get(c)) if c == "dataset" else row.get(c) for c in cols])
    for sha in sorted(shas - set(files["sha256"].to_list())):
        ws.append([None, None, None, None, sha, None, "absent de la table source_file"])
    ws.append([])
    _title(ws, "Définitions des indicateurs")
    _header(ws, [*_INDICATOR_HEADER, "Source"])
    used = set(frame["indicator_id"].unique().to_list())
    for r in (
        indicator.filter(pl.col("indicator_id").is_in(sorted(used)))
        .sort("theme", "indicator_id")
        .iter_rows(named=True)
    ):
        ws.append([*_indicator_cells(r), r["source"]])


def _dictionary_sheet(ws: Worksheet, columns: Sequence[Column], indicator: pl.DataFrame) -> None:
    for col, width in zip("ABCDEFGHI", (34, 40, 18, 70, 10, 30, 30, 14, 8), strict=True):
        ws.column_dimensions[col].width = width
    _title(ws, "Colonnes de l'export")
    _header(ws, ["Colonne", "Nom technique", "Description"])
    for name, label, desc, _kind in columns:
        ws.append([label, name, desc])
    ws.append([])
    _title(ws, "Catalogue des indicateurs")
    _header(ws, [*_INDICATOR_HEADER, "Agrégation", "Additif"])
    for r in indicator.sort("theme", "indicator_id", nulls_last=True).iter_rows(named=True):
        ws.append([*_indicator_cells(r), r["aggregation"], "oui" if r["summable"] else "non"])


def data_dictionary_markdown(
    indicator: pl.DataFrame, *, columns: Sequence[Column] = (), title: str = ""
) -> str:
    """The data dictionary in Markdown: the export's columns, then the indicator catalog by theme."""
    lines = [f"# Dictionnaire des données{(' — ' + title) if title else ''}", ""]
    if columns:
        lines += ["## Colonnes", "", "| Colonne | Nom technique | Description |", "|---|---|---|"]
        lines += [f"| {label} | `{name}` | {_md(desc)} |" for name, label, desc, _k in columns]
        lines.append("")
    lines += [
        "## Indicateurs",
        "",
        "Unités : effectif (nombre), % (sur 100 ; une évolution ou un écart s'exprime en points), € "
        "(montant annuel par unité de consommation pour les revenus), indice. Agrégation : `sum` (effectif "
        "additif), `ratio` (recalculé à partir des sommes du numérateur et du dénominateur), "
        "`not_aggregable` (médianes, déciles, indices : jamais sommés ni moyennés).",
        "",
    ]
    themes = indicator["theme"].unique().to_list()
    order = list(THEME_FR)
    themes.sort(key=lambda t: (t is None, order.index(t) if t in order else len(order), t or ""))
    for theme in themes:
        part = indicator.filter(pl.col("theme").is_null() if theme is None else pl.col("theme") == theme)
        lines += [
            f"### {theme_label(theme)}",
            "",
            "| Identifiant | Indicateur | Définition | Unité | Numérateur | Dénominateur | Agrégation | Source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in part.sort("indicator_id").iter_rows(named=True):
            lines.append(
                f"| `{r['indicator_id']}` | {_md(r['label_fr'])} | {_md(r['definition'])} | "
                f"{UNIT_FR.get(str(r['unit']), r['unit'] or '')} | {_md(r['numerator_def'])} | "
                f"{_md(r['denominator_def'])} | {r['aggregation'] or ''} | {_md(r['source'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def _md(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def write_all(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    out_dir: Path,
    stem: str,
    *,
    title: str,
    readme: list[tuple[str, str]],
    indicator: pl.DataFrame,
    source_file: pl.DataFrame,
    extra_sheets: Sequence[tuple[str, pl.DataFrame]] = (),
) -> dict[str, Path]:
    """XLSX, CSV, Parquet and the Markdown dictionary of one export, under ``out_dir``; each extra sheet
    (title, frame with French column names) goes into the workbook and its own CSV."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "xlsx": write_xlsx(
            frame,
            columns,
            out_dir / f"{stem}.xlsx",
            title=title,
            readme=readme,
            indicator=indicator,
            source_file=source_file,
            extra_sheets=extra_sheets,
        ),
        "csv": write_csv_fr(frame, columns, out_dir / f"{stem}.csv"),
    }
    for title, sheet in extra_sheets:
        slug = re.sub(
            r"[^a-z0-9]+",
            "-",
            unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower(),
        )
        path = out_dir / f"{stem}-{slug.strip('-')}.csv"
        tmp_csv = path.with_name(f".{path.name}.tmp")
        tmp_csv.write_bytes(b"\xef\xbb\xbf" + sheet.write_csv(separator=";").encode("utf-8"))
        os.replace(tmp_csv, path)
        paths[title] = path
    pq = out_dir / f"{stem}.parquet"
    tmp = pq.with_name(f".{pq.name}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, pq)
    paths["parquet"] = pq
    md = out_dir / f"dictionnaire-{stem}.md"
    md.write_text(data_dictionary_markdown(indicator, columns=columns, title=title), encoding="utf-8")
    paths["dictionary"] = md
    return paths


def french_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")
