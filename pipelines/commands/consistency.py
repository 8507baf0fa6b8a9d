"""`quartiers consistency CONTRACT`: figures that should agree across official files, checked and listed;
`quartiers headline CONTRACT`: each QPV's headline figures with data year and source file;
`quartiers contract-schools CONTRACT`: écoles and collèges inside or within 1 km of the contract's QPVs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import duckdb

    from models.contracts import Contract

console = Console(width=200)
err = Console(stderr=True, soft_wrap=True)

ContractArg = Annotated[
    str,
    typer.Argument(help="Contract name: contracts/<name>.toml (e.g. argentan), or a QPV code (QN06101M)"),
]
HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $QUARTIERS_HOME or ./var)")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _num(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}".replace(",", " ") if value.is_integer() else f"{value:,.1f}".replace(",", " ")
    return str(value)


QPV_CODE_RE = re.compile(r"^(QP(\d{3}|02A|02B)\d{3}|QN(\d{3}|02A|02B)\d{2}[0-9A-Z])$")


def _open(name: str, home: Path | None) -> tuple[Contract, duckdb.DuckDBPyConnection, Path]:
    """(contract, read-only connection, home) with every contract code checked against the warehouse."""
    from models.consistency import territory_for_contract_check
    from models.contracts import ContractError, check_contract_territories, load_contract
    from pipelines.paths import default_home, warehouse_path
    from warehouse.store import WarehouseError, connect_readonly

    h = (home or default_home()).resolve()
    by_code = QPV_CODE_RE.match(name.strip().upper())
    try:
        contract = None if by_code else load_contract(name)
    except ContractError as exc:
        raise _fail(str(exc)) from exc
    try:
        con = connect_readonly(warehouse_path(h))
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    if contract is None:
        # a QPV code: the contract naming it, narrowed to it (or its own territories)
        from models.contracts import available_contracts
        from warehouse.qpv_lookup import QpvLookupError, qpv_scope, resolve_qpv

        try:
            qpv = resolve_qpv(con, name)
        except QpvLookupError as exc:
            raise _fail(str(exc)) from exc
        contract = qpv_scope(con, qpv, [load_contract(n) for n in available_contracts()])
    territory = territory_for_contract_check(con)
    try:
        check_contract_territories(contract, territory)
    except ContractError as exc:
        raise _fail(str(exc)) from exc
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
        from models.consistency import consistency_report

        contract, con, h = _open(contract_name, home)
        report = consistency_report(con, contract, h / "staged" / "stg_insee_qpv.parquet")
        bad = report.filter(report["outcome"].is_in(["disagree", "violated"]))
        shown = bad if only_problems else report
        table = Table(title=f"Consistency — {contract.title}")
        for col in ("check", "territory", "indicator", "period", "value A", "file A", "value B", "file B"):
            table.add_column(col, overflow="fold")
        table.add_column("outcome")
        table.add_column("note", overflow="fold")
        for r in shown.iter_rows(named=True):
            style = "red" if r["outcome"] in ("disagree", "violated") else None
            table.add_row(
                r["check"],
                f"{r['territory_kind']} {r['territory_code']}",
                r["indicator"],
                r["period"],
                _num(r["value_a"]),
                r["file_a"] or "",
                _num(r["value_b"]),
                r["file_b"] or "",
                f"[{style}]{r['outcome']}[/]" if style else r["outcome"],
                r["note"] or "",
            )
        console.print(table)
        counts = report.group_by("outcome").len().sort("outcome")
        console.print(", ".join(f"{o}: {n}" for o, n in counts.iter_rows()) or "no figure to compare")
        if strict and bad.height:
            raise typer.Exit(code=1)

    @app.command()
    def headline(contract_name: ContractArg, home: HomeOpt = None) -> None:
        """Each QPV's headline figures (population, Cnaf allocataires, Filosofi median, poverty rate, job
        seekers) over every data period held: value or status, data period, geography, release, file."""
        from models.consistency import headline_figures

        contract, con, _ = _open(contract_name, home)
        frame = headline_figures(con, contract)
        table = Table(title=f"Headline figures — {contract.title}")
        for col in ("QPV 2024", "territory", "indicator", "period", "value", "status", "release", "file"):
            table.add_column(col, overflow="fold")
        for r in frame.iter_rows(named=True):
            table.add_row(
                r["qpv_code"],
                f"{r['geography']} {r['territory_code']}",
                r["indicator_id"],
                r["period"],
                _num(r["value"]),
                r["status"] if r["method"] == "published" else f"{r['status']} ({r['method']})",
                f"{r['source_dataset']} {r['source_vintage']}",
                r["source_file"] or "",
            )
        console.print(table)

    @app.command("contract-schools")
    def contract_schools_command(
        contract_name: ContractArg,
        home: HomeOpt = None,
        within: Annotated[
            float, typer.Option("--within", help="Distance to the perimeter in metres (default 1 km)")
        ] = 1000.0,
    ) -> None:
        """Écoles and collèges inside or within 1 km of each QPV 2024 of the contract, with the distance,
        INSEE's proximity flag (écoles ≤ 100 m, collèges ≤ 300 m), EP status and IPS joined by UAI; then
        the schools of its communes without coordinates, with their flag."""
        from models.consistency import contract_schools

        if not 0 <= within <= 5000:
            raise _fail(f"--within {within}: expected a distance in [0, 5000] metres")
        contract, con, _ = _open(contract_name, home)
        try:
            frame = contract_schools(con, contract, within)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        table = Table(title=f"Schools within {within:.0f} m — {contract.title}")
        for col in ("QPV", "UAI", "name", "level", "commune", "relation", "distance m", "INSEE prox."):
            table.add_column(col, overflow="fold")
        for col in ("EP", "IPS", "coords"):
            table.add_column(col)
        for r in frame.iter_rows(named=True):
            ep = f"{r['ep_status']} ({r['ep_rentree']})" if r["ep_status"] else ""
            ips = f"{r['ips']:.1f} ({r['ips_rentree']})" if r["ips"] is not None else (r["ips_status"] or "")
            prox = "" if r["insee_proximity"] is None else ("yes" if r["insee_proximity"] else "no")
            table.add_row(
                r["qpv_code"],
                r["uai"],
                r["name"] or "",
                r["level"] or "",
                r["commune_code"] or "",
                r["relation"] or "no coordinates",
                "" if r["distance_m"] is None else f"{r['distance_m']:.0f}",
                prox,
                ep,
                ips,
                r["coord_status"] or "",
            )
        console.print(table)
