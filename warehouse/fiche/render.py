"""Render a gathered fiche as self-contained HTML (jinja2, inline CSS and SVG), PDF (typst, template vendored
in this package: no ``@preview`` import, nothing fetched) or Markdown."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, replace
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from warehouse.fiche import fmt, svg
from warehouse.fiche.model import Fiche, Geometries
from warehouse.fiche.notes import geography_fr

TEMPLATES = resources.files("warehouse.fiche") / "templates"


def _share(share: float | None) -> str:
    return "" if share is None else f", {fmt.share_fr(share)} de la surface"


def note_groups(fiche: Fiche) -> list[dict[str, Any]]:
    """The notes grouped by what they share (source, release, file), in the order of their numbers: the
    compact form printed once at the end of the PDF."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for n in fiche.notes:
        groups.setdefault(n.group or n.text, []).append({"number": n.number, "detail": n.detail})
    return [{"group": g, "items": items} for g, items in groups.items()]


def view(fiche: Fiche, *, links: dict[str, str] | None = None, charts: bool = True) -> dict[str, Any]:
    """The fiche as plain data (what every renderer shows), pictures included as SVG text. ``charts=False``
    leaves the charts out (Markdown does not show them; matplotlib is the slow part of a fiche)."""
    d = asdict(replace(fiche, geometries=Geometries([], [], [])))
    d.pop("geometries")
    d["geography_label"] = geography_fr(fiche.geography)
    d["area"] = fmt.area_ha_fr(fiche.area_m2) if fiche.area_m2 else "—"
    d["commune_text"] = ", ".join(
        f"{name} ({code}{_share(share) if len(fiche.communes) > 1 else ''})"
        for code, name, share in fiche.communes
    )
    d["epci_text"] = ", ".join(f"{name} ({code})" for code, name in fiche.epcis) or "—"
    d["departement_text"] = ", ".join(f"{name} ({code})" for code, name in fiche.departements) or "—"
    d["map_svg"] = svg.map_svg(fiche) if charts else None
    pictures = (
        [
            ("Âges : part de la population par tranche", svg.ages_svg(fiche.ages, fiche.labels)),
            ("Revenu disponible par UC : déciles et quartiles", svg.deciles_svg(fiche.deciles)),
            ("Demandeurs d'emploi (catégories A, B, C), par trimestre", svg.series_svg(fiche.series)),
        ]
        if charts
        else []
    )
    d["charts"] = [{"title": t, "svg": s} for t, s in pictures if s is not None]
    d["note_groups"] = note_groups(fiche)
    d["unplaced_schools"] = sum(1 for s in fiche.schools if not s.placed)
    d["schools_csv"] = schools_csv_name(fiche.code) if fiche.schools else None
    d["unplaced_summary"] = unplaced_summary(fiche)
    d["map_notes"] = map_notes(fiche)
    d["links"] = links or {}
    d["title"] = f"{fiche.name} ({fiche.code})"
    return d


PLURAL_FR = {"école": "écoles", "collège": "collèges", "lycée": "lycées"}
UNPLACED_REASON_FR = {
    "missing": "sans coordonnées dans le fichier source",
    "out_of_bounds": "aux coordonnées hors du territoire dans le fichier source",
    "swapped": "aux coordonnées inversées dans le fichier source",
}


def map_notes(fiche: Fiche) -> list[str]:
    """What the map cannot show, said under it: communes without a boundary in the warehouse, 2015
    perimeters a 2024 QPV replaces that are not loaded."""
    g = fiche.geometries
    out = []
    drawn = {c for c, _, _ in g.communes}
    missing = [name for code, name, _ in fiche.communes if code not in drawn]
    if missing and g.frame is not None:
        out.append(
            f"Limites communales non chargées dans l'entrepôt ({', '.join(missing)}) : le nom de la commune "
            "est placé sur l'un de ses établissements scolaires, s'il y en a un sur la carte"
        )
    held = {c for c, _ in g.outline_2015}
    absent = sorted({c.code_2015 for c in fiche.changes if c.code_2015 and c.code_2015 not in held})
    if absent and fiche.geography == "qpv2024":
        out.append(f"Périmètre 2015 non chargé ({', '.join(absent)}) : non dessiné")
    return out


def schools_csv_name(code: str) -> str:
    return f"{code}-ecoles.csv"


def unplaced_summary(fiche: Fiche) -> list[str]:
    """The schools of the QPV's communes that cannot be placed, as counts per reason (the PDF lists none of
    them: they are in ``<CODE>-ecoles.csv``): « 203 écoles et 37 collèges sans coordonnées dans le fichier
    source (commune 31555) : liste dans QP031015-ecoles.csv »."""
    by_reason: dict[str, dict[str, int]] = {}
    communes: dict[str, set[str]] = {}
    for s in fiche.schools:
        if s.placed or s.located:
            continue
        counts = by_reason.setdefault(s.coord_status, {})
        counts[s.level] = counts.get(s.level, 0) + 1
        communes.setdefault(s.coord_status, set()).add(s.commune_code)
    out = []
    for reason, counts in by_reason.items():
        parts = [
            f"{n} {(PLURAL_FR.get(level, level + 's') if n > 1 else level) or 'établissement'}"
            for level, n in sorted(counts.items(), key=lambda kv: -kv[1])
        ]
        what = ", ".join(parts[:-1]) + " et " + parts[-1] if len(parts) > 1 else parts[0]
        where = ", ".join(sorted(c for c in communes[reason] if c))
        out.append(
            f"{what} {UNPLACED_REASON_FR.get(reason, 'sans coordonnées utilisables dans le fichier source')}"
            f"{f' (commune {where})' if where else ''} : liste dans {schools_csv_name(fiche.code)}"
        )
    return out


CSV_COLUMNS = [
    ("number", "N° sur la carte"),
    ("name", "Nom"),
    ("uai", "UAI"),
    ("level", "Niveau"),
    ("sector", "Secteur"),
    ("ep_status", "Éducation prioritaire"),
    ("ips", "IPS"),
    ("pupils", "Élèves"),
    ("rentree", "Rentrée"),
    ("where", "Position"),
    ("commune_code", "Commune (code Insee)"),
    ("coord_status", "Coordonnées"),
    ("x", "X Lambert-93"),
    ("y", "Y Lambert-93"),
]


def schools_csv(fiche: Fiche) -> bytes:
    """Every school of the fiche (placed or not) for a spreadsheet: semicolon-separated, UTF-8 with a BOM
    (Excel opens it with its accents), French headers and French decimals."""
    from warehouse.vocabulary import COORD_FR

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for s in fiche.schools:
        row = asdict(s)
        row["coord_status"] = COORD_FR.get(s.coord_status, s.coord_status) or "utilisables"
        for k in ("x", "y"):
            row[k] = "" if row[k] is None else f"{row[k]:.1f}".replace(".", ",")
        row["number"] = "" if s.number is None else s.number
        writer.writerow([str(row[k]).replace("\u202f", " ") for k, _ in CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(data: dict[str, Any]) -> str:
    return _env().get_template("fiche.html.j2").render(f=data)


def render_site_index(
    entries: list[dict[str, Any]], *, synthetic: bool, label: str, exports: list[dict[str, str]]
) -> str:
    return (
        _env()
        .get_template("index.html.j2")
        .render(entries=entries, synthetic=synthetic, label=label, exports=exports)
    )


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(data: dict[str, Any]) -> str:
    out: list[str] = []
    if data["synthetic"]:
        out.append(
            f"> **Données synthétiques** ({_md(data['data_label'])}) : "
            "aucun chiffre de ce document n'est réel.\n"
        )
    out.append(f"# {_md(data['title'])}\n")
    out.append(f"- Géographie : {data['geography_label']}")
    out.append(f"- Commune(s) : {_md(data['commune_text'])}")
    out.append(f"- EPCI : {_md(data['epci_text'])}")
    out.append(f"- Département : {_md(data['departement_text'])}")
    out.append(f"- Surface : {data['area']}")
    for c in data["changes"]:
        out.append(f"- Périmètre : {_md(c['text'])}")
    out.append("")
    cols = data["columns"]
    for s in data["sections"]:
        out.append(f"## {_md(s['title'])}\n")
        out.append(
            "| Indicateur | Année | "
            + " | ".join(_md(f"{c['label']} ({c['sublabel']})") for c in cols)
            + " |"
        )
        out.append("|---|---|" + "---:|" * len(cols))
        for r in s["rows"]:
            cells = []
            for c in r["cells"]:
                t = (
                    c["text"]
                    + (f" ({c['bound']})" if c["bound"] else "")
                    + (f" ({c['period']})" if c["period"] else "")
                    + (f" [^{c['note']}]" if c["note"] else "")
                )
                cells.append(_md(t))
            label = r["label"] + (" (estimation carroyée)" if r["estimate"] else "")
            out.append(f"| {_md(label)} | {r['period'] or ''} | " + " | ".join(cells) + " |")
        out.append("")
        if s["id"] == "education" and data["schools"]:
            out.append(
                "| École / collège | UAI | Secteur | Éducation prioritaire | IPS | Élèves | Position |"
            )
            out.append("|---|---|---|---|---:|---:|---|")
            for sc in data["schools"]:
                out.append(
                    f"| {_md(sc['name'])} ({sc['level']}) | {sc['uai']} | {sc['sector']} | "
                    f"{sc['ep_status']} | "
                    f"{sc['ips']} | {sc['pupils']} | {sc['where']} [^{sc['note']}] |"
                )
            out.append("")
    out.append("## Notes de méthode\n")
    out.extend(f"- {_md(m)}" for m in data["method_notes"])
    out.append("\n## Sources\n")
    out.extend(f"[^{n['number']}]: {_md(n['text'])}" for n in data["notes"])
    out.append(f"\nEntrepôt construit le {data['built_at']}.")
    return "\n".join(out) + "\n"


@cache
def _compiler() -> Any:
    """One typst compiler per process: fonts are loaded once, then each fiche typesets in a few ms."""
    import typst

    return typst.Compiler(str(TEMPLATES / "fiche.typ"))


def render_pdf(data: dict[str, Any]) -> bytes:
    """Typeset the fiche with typst (vendored template ``templates/fiche.typ``, data passed as JSON)."""
    pdf: bytes = _compiler().compile(sys_inputs={"data": json.dumps(data, ensure_ascii=False)}, format="pdf")
    return pdf
