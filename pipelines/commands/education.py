"""`quartiers schools QPV_CODE`: the schools inside a QPV and near it, and its collèges de secteur."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from pipelines.commands._common import HomeOpt, connect, fail
from warehouse.qpv_lookup import QPV_CODE_RE
from warehouse.vocabulary import COORD_FR, LEVEL_FR

__all__ = ["QPV_CODE_RE", "print_schools", "register"]

WITHIN = {"inside": None, "100": 100.0, "300": 300.0, "1000": 1000.0}
WITHIN = {"inside": None, "100": 100.0, "300": 300.0, "1000": 1000.0}


def ep_fr(row: dict[str, Any]) -> str:
    """« REP+ », « REP », « hors EP », « privé » (a private school is outside education prioritaire)."""
    if row["ep_status"] in ("REP", "REP+"):
        return str(row["ep_status"])
    if row["sector"] in ("prive", "private"):
        return "privé"
    return "hors EP" if row["ep_status"] is not None or row["sector"] == "public" else "inconnu"


def where_fr(row: dict[str, Any]) -> str:
    if row["relation"] is None:
        return COORD_FR.get(str(row["coord_status"]), "non situé")
    if row["relation"] == "inside":
        text = "dans le QPV"
    else:
        text = f"{row['distance_m']:,.0f} m".replace(",", "\u202f")
    if row["college_secteur"]:
        text += ", secteur"
    return text


def _short_rentree(label: str | None) -> str:
    """« 2024-2025 » → « 2024-25 » (a narrow column at 80 columns)."""
    text = label or ""
    return f"{text[:5]}{text[7:]}" if len(text) == 9 and text[4] == "-" else text


def _rentree(text: str | None) -> int | None:
    """`2024` or `2024-2025` → 2024."""
    if text is None:
        return None
    head = text.strip().split("-")[0]
    if not head.isdigit() or len(head) != 4:
        raise typer.BadParameter(f"{text[:20]!r} : une année de rentrée, 2024 ou 2024-2025")
    return int(head)


def register(app: typer.Typer) -> None:
    @app.command()
    def schools(
        qpv_code: Annotated[str, typer.Argument(help="QPV code: QN… (2024) or QP… (2015)")],
        rentree: Annotated[
            str | None,
            typer.Option("--rentree", help="One rentrée (2024 or 2024-2025); default: each school's latest"),
        ] = None,
        within: Annotated[
            str, typer.Option("--within", help="inside, 100, 300 or 1000 (metres from the perimeter)")
        ] = "1000",
        home: HomeOpt = None,
    ) -> None:
        """Every school inside the QPV or within --within metres (1 km by default) with its latest held
        rentrée figures and that rentrée: level, sector, EP status, pupils, IPS, distance, INSEE's
        proximity flag (écoles ≤ 100 m, collèges ≤ 300 m); the collèges de secteur that contracts
        declare for it, whatever the distance; the schools of its communes without coordinates."""
        from sources.contracts import ContractError, available_contracts, load_contract
        from warehouse.qpv_lookup import QpvLookupError, resolve_qpv
        from warehouse.qpv_schools import SchoolsError, contract_secteurs, qpv_schools

        if within not in WITHIN:
            raise fail(f"--within {within[:20]!r} : inside, 100, 300 ou 1000")
        try:
            year = _rentree(rentree)
        except typer.BadParameter as exc:
            raise fail(f"{exc}") from exc
        con = connect(home)
        try:
            qpv = resolve_qpv(con, qpv_code)
        except QpvLookupError as exc:
            raise fail(f"{exc}") from exc
        contracts = []
        for name in available_contracts():
            try:
                contracts.append(load_contract(name))
            except ContractError:
                continue  # `quartiers contracts` reports it
        secteurs = [s for s in contract_secteurs(contracts) if s.qpv_code == qpv.code]
        try:
            frame = qpv_schools(
                con, qpv.kind, [qpv.code], within_m=WITHIN[within], rentree=year, secteurs=secteurs
            )
        except SchoolsError as exc:
            raise fail(f"{exc}") from exc
        print_schools(Console(), qpv.label(), qpv.kind, frame, within, year)


def print_schools(out: Console, title: str, kind: str, frame: Any, within: str, year: int | None) -> None:
    """The schools table in French (fits 80 columns), then the count of schools without coordinates."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    scope = "dans le QPV" if within == "inside" else f"dans le QPV ou à moins de {within} m"
    when = f"rentrée {year}-{year + 1}" if year is not None else "dernière rentrée connue de chaque école"
    out.print(f"[bold]{escape(title)}[/] ({kind}) — écoles {scope} ; {when}")
    placed = frame.filter(frame["relation"].is_not_null())
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, padding=(0, 1))
    table.add_column("UAI", no_wrap=True)
    table.add_column("nom", ratio=1, min_width=12)
    table.add_column("niveau · EP", no_wrap=True)
    table.add_column("élèves", justify="right", no_wrap=True)
    table.add_column("IPS", justify="right")
    table.add_column("rentrée", no_wrap=True)
    table.add_column("position", min_width=11)
    for r in placed.iter_rows(named=True):
        ips = "" if r["ips"] is None else f"{r['ips']:.1f}".replace(".", ",")
        if r["ips_status"] == "suppressed":
            ips = "secret"
        rentree_text = _short_rentree(r["latest_rentree"])
        if r["ips"] is not None and r["ips_rentree"] and _short_rentree(r["ips_rentree"]) != rentree_text:
            ips += f" ({_short_rentree(r['ips_rentree'])})"
        table.add_row(
            r["uai"],
            escape((r["name"] or "").title()),
            f"{LEVEL_FR.get(r['level'], r['level'] or '')} · {ep_fr(r)}",
            "" if r["pupils"] is None else f"{int(r['pupils']):,}".replace(",", "\u202f"),
            ips,
            rentree_text,
            where_fr(r),
        )
    out.print(table)
    out.print(
        "[dim]Position : distance au périmètre (proximité Insee : écoles à 100 m, collèges à 300 m) ; "
        "« secteur » : collège de secteur déclaré par le contrat de ville, quelle que soit sa distance. "
        "EP : éducation prioritaire ; IPS : indice de position sociale (rentrée entre parenthèses s'il "
        "date d'une autre rentrée).[/]"
    )
    unplaced = frame.filter(frame["relation"].is_null())
    if unplaced.height:
        reasons = unplaced.group_by("coord_status").len().sort("len", descending=True)
        text = ", ".join(f"{n} {COORD_FR.get(str(c), str(c))}" for c, n in reasons.iter_rows())
        out.print(
            f"{unplaced.height} établissements des communes du QPV ne sont pas situés ({text}) : "
            f"{escape(', '.join(unplaced['uai'].to_list()))}"
        )
