"""`quartiers consistency CONTRACT`: figures that should agree across official files, checked and listed;
`quartiers headline CONTRACT`: each QPV's headline figures with data year and source file;
`quartiers contract-schools CONTRACT`: écoles and collèges inside or within 1 km of the contract's QPVs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.commands._common import HomeOpt, connect, fail, home_dir
from sources.territory_codes import QPV_CODE_RE
from warehouse.fiche.fmt import period_fr
from warehouse.vocabulary import METHOD_FR, STATUS_FR, dataset_fr

if TYPE_CHECKING:
    import duckdb

    from sources.contracts import Contract

console = Console(width=200)
err = Console(stderr=True, soft_wrap=True)

ContractArg = Annotated[
    str,
    typer.Argument(help="Contract name: contracts/<name>.toml (e.g. argentan), or a QPV code (QN06101M)"),
]
def _num(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}".replace(".", "#")
        return text.replace(",", "\u202f").replace("#", ",")
    return str(value)


OUTCOME_FR = {"agree": "concorde", "disagree": "diverge", "ok": "respecté", "violated": "non respecté"}
CHECK_FR = {
    "same_figure_across_files": "même chiffre, deux fichiers",
    "commune_population_census_vs_qpv_file": "population communale : recensement / fichier QPV",
    "qpv_population_within_communes": "population des QPV ≤ celle des communes",
    "qpv_population_sum_vs_pop_com_qp": "somme des QPV / population des QPV de la commune",
}


def _open(name: str, home: Path | None) -> tuple[Contract, duckdb.DuckDBPyConnection, Path]:
    """(contract, read-only connection, home) with every contract code checked against the warehouse."""
    from models.contracts import check_contract_territories
    from sources.contracts import ContractError, load_contract
    from warehouse.consistency import territory_for_contract_check

    h = home_dir(home)
    by_code = QPV_CODE_RE.match(name.strip().upper())
    try:
        contract = None if by_code else load_contract(name)
    except ContractError as exc:
        raise fail(str(exc)) from exc
    con = connect(h)
    if contract is None:
        # a QPV code: the contract naming it, narrowed to it (or its own territories)
        from sources.contracts import available_contracts
        from warehouse.qpv_lookup import QpvLookupError, qpv_scope, resolve_qpv

        try:
            qpv = resolve_qpv(con, name)
        except QpvLookupError as exc:
            raise fail(str(exc)) from exc
        contract = qpv_scope(con, qpv, [load_contract(n) for n in available_contracts()])
    territory = territory_for_contract_check(con)
    try:
        check_contract_territories(contract, territory)
    except ContractError as exc:
        raise fail(str(exc)) from exc
    return contract, con, h


def register(app: typer.Typer) -> None:
    @app.command()
    def consistency(
        contract_name: ContractArg,
        home: HomeOpt = None,
        only_problems: Annotated[
            bool, typer.Option("--problems", help="Show only disagreements and violations")
        ] = False,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit with status 1 when a check disagrees or is violated")
        ] = False,
    ) -> None:
        """Figures of the contract's territories that should agree across files (the same figure in two
        files, a commune's population in the census and in the QPV files, the sum of the QPV populations
        against their communes'): both values and both files, and whether they agree."""
        from warehouse.consistency import consistency_report

        contract, con, h = _open(contract_name, home)
        report = consistency_report(con, contract, h / "staged" / "stg_insee_qpv.parquet")
        bad = report.filter(report["outcome"].is_in(["disagree", "violated"]))
        shown = bad if only_problems else report
        out = Console()
        out.print(f"[bold]Cohérence entre fichiers — {escape(contract.title)}[/]")
        table = Table()
        for col in ("contrôle", "territoire · indicateur · période", "valeur A · fichier A"):
            table.add_column(col, overflow="fold")
        table.add_column("valeur B · fichier B", overflow="fold")
        table.add_column("résultat", overflow="fold")
        for r in shown.iter_rows(named=True):
            style = "red" if r["outcome"] in ("disagree", "violated") else None
            outcome = OUTCOME_FR.get(r["outcome"], r["outcome"])
            note = f" ({r['note']})" if r["note"] else ""
            table.add_row(
                CHECK_FR.get(r["check"], r["check"]),
                escape(f"{r['territory_kind']} {r['territory_code']} · {r['indicator']} · {r['period']}"),
                escape(f"{_num(r['value_a'])} · {r['file_a'] or ''}"),
                escape(f"{_num(r['value_b'])} · {r['file_b'] or ''}"),
                (f"[{style}]{outcome}[/]" if style else outcome) + escape(note),
            )
        out.print(table)
        counts = report.group_by("outcome").len().sort("outcome")
        summary = ", ".join(f"{OUTCOME_FR.get(o, o)} : {n}" for o, n in counts.iter_rows())
        out.print(summary or "aucun chiffre à comparer")
        if strict and bad.height:
            raise typer.Exit(code=1)

    @app.command()
    def headline(contract_name: ContractArg, home: HomeOpt = None) -> None:
        """Each QPV's headline figures (population, Cnaf allocataires, Filosofi median, poverty rate, job
        seekers) over every data period held: value or status, data period, geography, release, file."""
        from warehouse.consistency import headline_figures

        contract, con, _ = _open(contract_name, home)
        frame = headline_figures(con, contract)
        out = Console()
        out.print(f"[bold]Chiffres clés — {escape(contract.title)}[/]")
        labels = dict(con.execute("SELECT indicator_id, label_fr FROM indicator").fetchall())
        names = dict(
            con.execute(
                "SELECT code, any_value(name) FROM territory WHERE kind IN ('qpv2015', 'qpv2024') GROUP BY 1"
            ).fetchall()
        )
        for (qpv, geography, code), part in frame.group_by(
            ["qpv_code", "geography", "territory_code"], maintain_order=True
        ):
            where = "son propre périmètre" if geography == "qpv2024" else f"le périmètre {str(geography)[3:]}"
            out.print(
                escape(f"{qpv} {names.get(qpv) or ''} — mesuré sur {where} : {code} {names.get(code) or ''}"),
                style="bold",
            )
            table = Table("indicateur", "période", "valeur", "statut", "source (diffusion) · fichier")
            seen: set[tuple[object, ...]] = set()
            for r in part.iter_rows(named=True):
                key = (r["indicator_id"], r["period"], r["value"], r["status"])
                if key in seen:
                    continue  # the same figure in a second file of one release (DEMO and REVN)
                seen.add(key)
                status = STATUS_FR.get(r["status"], r["status"])
                if r["method"] != "published":
                    status += f" ({METHOD_FR.get(r['method'], r['method'])})"
                table.add_row(
                    escape(labels.get(r["indicator_id"]) or r["indicator_id"]),
                    period_fr(str(r["period"])),
                    _num(r["value"]),
                    status,
                    escape(f"{dataset_fr(r['source_dataset'])} "
                           f"({r['source_vintage']}) · {r['source_file'] or ''}"),
                )
            out.print(table)

    @app.command("contract-schools")
    def contract_schools_command(
        contract_name: ContractArg,
        home: HomeOpt = None,
        within: Annotated[
            str, typer.Option("--within", help="inside, 100, 300 or 1000 (metres from the perimeter)")
        ] = "1000",
    ) -> None:
        """Écoles and collèges inside or within 1 km of each QPV 2024 of the contract, with the distance,
        INSEE's proximity flag (écoles ≤ 100 m, collèges ≤ 300 m), EP status and IPS joined by UAI; the
        collèges de secteur the contract declares, whatever the distance; then the schools of its
        communes without coordinates, with their flag."""
        from models.contracts import check_colleges_secteur
        from pipelines.commands.education import WITHIN, print_schools
        from sources.contracts import ContractError
        from warehouse.qpv_schools import SchoolsError, contract_secteurs, qpv_schools

        if within not in WITHIN:
            raise fail(f"--within {within[:20]!r} : inside, 100, 300 ou 1000")
        contract, con, _ = _open(contract_name, home)
        try:
            check_colleges_secteur(contract, con.execute("SELECT DISTINCT uai, name, level FROM school").pl())
            secteurs = contract_secteurs([contract])
            out = Console()
            out.print(f"[bold]Écoles et collèges — {escape(contract.title)}[/]")
            for q in contract.qpvs:
                frame = qpv_schools(
                    con,
                    "qpv2024",
                    [q.code],
                    within_m=WITHIN[within],
                    levels=("ecole", "college"),
                    secteurs=[s for s in secteurs if s.qpv_code == q.code],
                )
                print_schools(out, f"{q.code} {q.name or ''}".strip(), "qpv2024", frame, within, None)
        except (ContractError, SchoolsError) as exc:
            raise fail(str(exc)) from exc
