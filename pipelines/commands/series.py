"""`quartiers series CODE --indicator ID`: an indicator's time series for a territory, with status flags.

For a QPV: its own series (one per source and release family), then its commune(s) as the reference
territory, then the QPV(s) of the other geography (qpv_crosswalk) as separate series: a 2015 series and a
2024 series are never joined. A gap is printed as « manquant », a hidden cell as « secret statistique ».
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.commands._common import HomeOpt, connect, fail
from sources.territory_codes import TERRITORY_CODE_RE
from warehouse.fiche.fmt import value_fr

# Strict patterns (a value is validated before it reaches SQL): QPV 2015/2024, commune, IRIS.
CODE_RE = TERRITORY_CODE_RE
INDICATOR_RE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")

STATUS_FR = {
    "published": "",
    "suppressed": "« secret statistique »",
    "missing": "manquant (période non publiée)",
    "not_applicable": "sans objet",
    "estimated": "estimé",
}

KIND_FR = {
    "qpv2015": "QPV 2015",
    "qpv2024": "QPV 2024",
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "france": "France",
    "ensemble_qpv": "ensemble des QPV",
    "iris": "IRIS",
}

SERIES_SQL = """
SELECT territory_kind, territory_code, territory_name, geo_version, source, period_type, period,
       value, status, source_vintage, interval_low, status_fr
FROM v_series
WHERE indicator_id = ? AND territory_code = ?
ORDER BY geo_version, source, period_type, period
"""


def _fmt(value: float | None, unit: str | None) -> str:
    """Counts and euros whole (a weighted census count 6 799,51 reads 6 800), rates with one decimal."""
    if value is None:
        return ""
    return value_fr(float(value), unit)


def series_rows(
    con: object, indicator: str, code: str
) -> list[tuple[object, ...]]:  # pragma: no cover - thin
    return con.execute(SERIES_SQL, [indicator, code]).fetchall()  # type: ignore[attr-defined, no-any-return]


REVISIONS_SQL = """
SELECT geo_version, period, old_value, old_vintage FROM revision_log
WHERE indicator_id = ? AND territory_code = ? ORDER BY old_vintage
"""


def revisions(con: object, indicator: str, code: str, unit: str | None) -> dict[tuple[str, str], str]:
    """(geo_version, period) → "révisé (diffusion X : valeur)" for the periods a later release changed."""
    out: dict[tuple[str, str], str] = {}
    try:
        rows = con.execute(REVISIONS_SQL, [indicator, code]).fetchall()  # type: ignore[attr-defined]
    except Exception:  # a warehouse built before revision_log existed
        return out
    for geo, period, old_value, old_vintage in rows:
        out[(str(geo), str(period))] = f"révisé (diffusion {old_vintage} : {_fmt(old_value, unit) or 's'})"
    return out


def _source_fr(source: object) -> str:
    from warehouse.vocabulary import dataset_fr

    return dataset_fr(source)


def _series_key(r: tuple[object, ...]) -> tuple[object, ...]:
    """One series per territory and period type: a commune whose code did not change is one series
    across COG vintages; QPV geographies (and their all-QPV aggregates) are never joined."""
    kind, code, _name, geo, _source, ptype = r[:6]
    keep_geo = str(kind).startswith("qpv") or kind == "ensemble_qpv"
    return (kind, code, geo if keep_geo else None, ptype)


def _print_series(
    out: Console,
    rows: list[tuple[object, ...]],
    unit: str | None,
    role: str,
    revised: dict[tuple[str, str], str] | None = None,
) -> int:
    """One table per territory (and period type); a figure published in several files is one point:
    the latest release, the others cited. Returns the number of tables."""
    groups: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
    for r in rows:
        groups.setdefault(_series_key(r), []).append(r)
    for (kind, code, _geo, _ptype), items in groups.items():
        name = next((str(r[2]) for r in items if r[2]), "")
        geos = sorted({str(r[3]) for r in items if r[3]})
        geo_text = geos[0] if len(geos) == 1 else f"{geos[0]} à {geos[-1]}"
        sources = ", ".join(dict.fromkeys(_source_fr(r[4]) for r in items))
        heading = (
            f"{role} — {code} {name} · {KIND_FR.get(str(kind), kind)} · géographie {geo_text} · "
            f"source {sources}"
        )
        out.print(escape(heading), style="bold")
        by_period: dict[str, list[tuple[object, ...]]] = {}
        for r in items:
            by_period.setdefault(str(r[6]), []).append(r)
        several = len({r[4] for r in items}) > 1
        table = Table("période", "valeur", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("statut", min_width=22)  # « secret statistique » on one line
        table.add_column("source (diffusion)" if several else "diffusion", overflow="fold")
        for period in sorted(by_period):
            # the latest release wins; a usable figure wins over a gap of a later file
            ranked = sorted(
                by_period[period],
                key=lambda r: (r[8] in ("published", "estimated"), str(r[9] or "")),
                reverse=True,
            )
            best, others = ranked[0], ranked[1:]
            _k, _c, _n, geo, source, _p, _period, value, status, vintage, low, words = best
            # our own sum prevented by a secret part says how many parts (v_series.status_fr)
            flag = str(words) if status == "not_computable" else STATUS_FR.get(str(status), str(status))
            if status in ("suppressed", "not_computable") and low is not None:
                flag += f" (au moins {_fmt(float(str(low)), unit)})"
            note = (revised or {}).get((str(geo), str(period)))
            if note:
                flag = f"{flag} {note}".strip()
            also = ", ".join(
                f"{_source_fr(o[4])} {o[9] or ''}".strip()
                + ("" if o[7] == value else f" : {_fmt(o[7], unit) or STATUS_FR.get(str(o[8]), o[8])}")  # type: ignore[arg-type]
                for o in others
            )
            origin = f"{_source_fr(source)} ({vintage or '?'})" if several else str(vintage or "?")
            table.add_row(
                _period_fr(period),
                _fmt(value, unit),  # type: ignore[arg-type]
                flag,
                origin + (f" ; aussi publié dans {also}" if also else ""),
            )
        out.print(table)
    return len(groups)


def _period_fr(period: str) -> str:
    from warehouse.fiche.fmt import period_fr

    return period_fr(period)


def register(app: typer.Typer) -> None:
    @app.command()
    def series(
        code: Annotated[str, typer.Argument(help="Territory code: QPV (QN…/QP…), commune, IRIS")],
        indicator: Annotated[str, typer.Option("--indicator", help="Indicator id, e.g. defm_abc")],
        home: HomeOpt = None,
    ) -> None:
        """An indicator's series for a territory, period by period, with status flags (« secret
        statistique », « manquant »); for a QPV also its commune(s) and the other geography's QPV(s),
        each as a separate series (2015 and 2024 geographies are never joined)."""

        err = Console(stderr=True, soft_wrap=True)
        code = code.strip().upper()
        if not CODE_RE.match(code):
            err.print(
                f"[bold red]erreur :[/] {code!r} is not a territory code "
                "(QPV QN06101M / QP062019, commune 06088, IRIS 060880101)"
            )
            raise typer.Exit(code=2)
        if not INDICATOR_RE.match(indicator):
            raise fail(f"{indicator!r} is not an indicator id (lower-case, digits, _)")
        con = connect(home, spatial=False)
        known = con.execute(
            "SELECT unit, label_fr FROM indicator WHERE indicator_id = ?", [indicator]
        ).fetchone()
        if known is None:
            from pipelines.commands.indicators import suggestions

            close = suggestions(con, indicator)
            hint = (" ; proches : " + ", ".join(close)) if close else " ; aucun identifiant ni libellé proche"
            raise fail(
                f"indicateur {indicator!r} inconnu{escape(hint)}. "
                "Tous les indicateurs : quartiers indicators (--search TEXTE)"
            )
        unit, label = known
        kinds = [
            r[0] for r in con.execute("SELECT DISTINCT kind FROM territory WHERE code = ?", [code]).fetchall()
        ]
        own = series_rows(con, indicator, code)
        if not kinds and not own:
            from warehouse.qpv_lookup import QpvLookupError, resolve_qpv

            hint = ""
            if code.startswith(("QN", "QP")):
                try:
                    resolve_qpv(con, code)
                except QpvLookupError as exc:
                    hint = f" ({exc})"
            raise fail(f"no territory {code} in the warehouse{hint}")
        out = Console()
        unit_fr = {"count": "nombre", "percent": "%", "euro": "€", "index": "indice", "ratio": "rapport"}
        out.print(f"[bold]{indicator}[/] — {label} ({unit_fr.get(str(unit), unit)})")
        n = _print_series(out, own, unit, "territoire", revisions(con, indicator, code, unit))
        if not own:
            out.print(f"{code} : aucune donnée publiée sur son propre périmètre pour {indicator}")
        qpv_kinds = [k for k in kinds if k.startswith("qpv")]
        if code.startswith("QN"):
            from warehouse.qpv_lookup import predecessors

            # the figures of the 2015 QPV(s) it replaces, each its own series, labelled by perimeter
            for p in predecessors(con, code):
                rows = series_rows(con, indicator, p.code_2015)
                role = f"périmètre 2015 ({p.evidence()})"
                if rows:
                    n += _print_series(out, rows, unit, role, revisions(con, indicator, p.code_2015, unit))
                else:
                    out.print(f"{role} : aucune donnée pour {indicator}")
        if qpv_kinds:
            communes = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT parent_code FROM territory_link WHERE child_code = ? "
                    "AND child_kind IN ('qpv2015', 'qpv2024') AND parent_kind = 'commune' ORDER BY 1",
                    [code],
                ).fetchall()
            ]
            for commune in communes:
                rows = series_rows(con, indicator, commune)
                if rows:
                    n += _print_series(
                        out, rows, unit, "référence (commune)", revisions(con, indicator, commune, unit)
                    )
                else:
                    out.print(f"référence (commune) {commune} : aucune donnée pour {indicator}")
            if code.startswith("QP"):
                from warehouse.qpv_lookup import successors

                for other, _name in successors(con, code):
                    rows = series_rows(con, indicator, other)
                    if rows:
                        n += _print_series(
                            out,
                            rows,
                            unit,
                            "QPV 2024 qui le remplace (série distincte, non raccordée)",
                            revisions(con, indicator, other, unit),
                        )
        if n == 0:
            out.print("aucune série")
