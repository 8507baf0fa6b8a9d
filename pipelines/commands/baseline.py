"""`quartiers contracts`, `baseline`, `evaluate` and `export-geo`: a contract's frozen baseline, its
evaluation against the current figures, and its perimeters for GIS users."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipelines.commands._common import HomeOpt, fail, home_dir, out_dir

console = Console()
err = Console(stderr=True, soft_wrap=True)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ContractArg = Annotated[str, typer.Argument(help="Contract name: contracts/<name>.toml (e.g. sample)")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Output folder (default: <home>/exports/<contract>)")
]


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    if not DATE_RE.match(text):
        raise fail(f"{option} {text!r}: expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"{option} {text!r}: {exc}") from exc


def _contract_name(name: str) -> str:
    from sources.contracts import ContractError, validate_contract_name

    try:
        return validate_contract_name(name)
    except ContractError as exc:
        raise fail(str(exc)) from exc


def _files_table(files: dict[str, Path]) -> Table:
    table = Table("format", "file")
    for fmt, path in files.items():
        table.add_row(fmt, str(path))
    return table


def _out(path: Path | None) -> Path | None:
    """A user-given export folder, checked; None lets the export pick its default folder."""
    return None if path is None else out_dir(path)


def register(app: typer.Typer) -> None:
    @app.command()
    def contracts(home: HomeOpt = None) -> None:
        """List the contracts of contracts/ and check each against the warehouse: every code known, every
        2024 perimeter held (export-geo needs it), `replaces` agreeing with ANCT's list or the overlap."""
        import polars as pl

        from models.contracts import check_contract_territories
        from models.predecessors import replaces_conflicts
        from sources.contracts import ContractError, available_contracts, load_contract
        from warehouse.baseline_store import stored_dates
        from warehouse.paths import warehouse_path
        from warehouse.store import WarehouseError, connect_readonly

        territory: pl.DataFrame | None = None
        predecessors: pl.DataFrame | None = None
        perimeters: set[str] = set()
        try:
            con = connect_readonly(warehouse_path(home_dir(home)), spatial=False)
            try:
                territory = con.execute("SELECT kind, code, name, geo_version FROM territory").pl()
                perimeters = {
                    r[0]
                    for r in con.execute(
                        "SELECT code FROM territory WHERE kind = 'qpv2024' AND geom_wkb IS NOT NULL"
                    ).fetchall()
                }
                predecessors = con.execute("SELECT * FROM qpv_predecessor").pl()
            except Exception:  # a warehouse built before qpv_predecessor existed
                predecessors = None
            finally:
                con.close()
        except WarehouseError:
            territory = None
        table = Table("contrat", "QPV 2024", "QPV 2015", "date de référence", "figée", "état")
        table.columns[0].overflow = "fold"  # « pays-de-saint-omer » whole, never « pays-de-s… »
        details: list[str] = []
        for name in available_contracts():
            try:
                c = load_contract(name)
            except ContractError as exc:
                table.add_row(name, "", "", "", "", "[red]fichier invalide")
                details.append(f"{name} : {exc}")
                continue
            verdict = "non vérifié (pas d'entrepôt)"
            if territory is not None:
                problems: list[str] = []
                try:
                    check_contract_territories(c, territory)
                except ContractError as exc:
                    problems.append(str(exc))
                no_perimeter = [q for q in c.qpv2024_codes if q not in perimeters]
                if no_perimeter and not problems:
                    problems.append(
                        f"périmètre 2024 non chargé pour {', '.join(no_perimeter)} : export-geo impossible"
                    )
                warnings = replaces_conflicts(predecessors, c.qpv_rows()) if predecessors is not None else []
                if problems:
                    verdict = "[red]non valide"
                    details.extend(f"{name} : {p}" for p in problems)
                elif warnings:
                    verdict = "[yellow]valide, avec avertissement"
                else:
                    verdict = "valide"
                details.extend(f"{name} (avertissement) : {w}" for w in warnings)
            frozen = ", ".join(d.isoformat() for d in stored_dates(home_dir(home), name)) or "-"
            table.add_row(
                name,
                " ".join(c.qpv2024_codes),
                " ".join(c.qpv2015_codes),
                c.baseline_date.isoformat(),
                frozen,
                verdict,
            )
        console.print(table)
        for line in details:
            err.print(line)

    @app.command()
    def baseline(
        contract: ContractArg,
        home: HomeOpt = None,
        out: OutOpt = None,
        on: Annotated[
            str | None, typer.Option("--date", help="Baseline date YYYY-MM-DD (default: the contract's)")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an already frozen baseline")] = False,
    ) -> None:
        """Freeze the contract's baseline (every indicator × QPV × reference territory) and export it
        as XLSX, CSV and Parquet; a frozen baseline is never overwritten without --force."""
        from sources._errors import QuartiersError
        from warehouse.baseline import make_baseline

        name = _contract_name(contract)
        try:
            produced = make_baseline(
                home_dir(home), name, on=_date(on, "--date"), out_dir=_out(out), force=force
            )
        except (QuartiersError, ValueError) as exc:
            raise fail(str(exc)) from exc
        frame = produced.frame
        console.print(
            f"[green]Baseline of {name}[/] frozen at {produced.frozen}: {frame.height} lines, "
            f"{frame.filter(frame['status'] == 'published').height} published figures"
        )
        console.print(_files_table(produced.files))

    @app.command()
    def evaluate(
        contract: ContractArg,
        home: HomeOpt = None,
        out: OutOpt = None,
        at: Annotated[
            str | None, typer.Option("--at", help="Take figures available at YYYY-MM-DD (default: today)")
        ] = None,
        baseline_on: Annotated[
            str | None,
            typer.Option("--baseline", help="Frozen baseline date (default: the contract's, else latest)"),
        ] = None,
    ) -> None:
        """Compare the current figures with the frozen baseline: change, change of the gap between each
        QPV and each reference territory, and a comparability flag with its reason on every line."""
        from models.evaluation import FLAG_FR
        from sources._errors import QuartiersError
        from warehouse.baseline import make_evaluation

        name = _contract_name(contract)
        try:
            produced = make_evaluation(
                home_dir(home),
                name,
                at=_date(at, "--at"),
                baseline_on=_date(baseline_on, "--baseline"),
                out_dir=_out(out),
            )
        except (QuartiersError, ValueError) as exc:
            raise fail(str(exc)) from exc
        frame = produced.frame
        table = Table("comparability", "lines")
        for flag, n in frame.group_by("comparability").len().sort("comparability").iter_rows():
            table.add_row(FLAG_FR.get(flag, flag), str(n))
        console.print(f"[green]Evaluation of {name}[/]: {frame.height} lines")
        console.print(table)
        console.print(_files_table(produced.files))

    @app.command("export-geo")
    def export_geo(
        contract: ContractArg,
        home: HomeOpt = None,
        out: OutOpt = None,
        at: Annotated[
            str | None, typer.Option("--at", help="Figures available at YYYY-MM-DD (default: today)")
        ] = None,
    ) -> None:
        """GeoParquet (Lambert-93) and GeoJSON (WGS84) of the contract's perimeters with key indicators."""
        from models.contracts import check_contract_territories
        from sources.contracts import ContractError, load_contract
        from warehouse.baseline import exports_dir
        from warehouse.export_geo import key_indicators, perimeters_frame, without_geometry, write_geo
        from warehouse.paths import warehouse_path
        from warehouse.store import WarehouseError, connect_readonly

        name = _contract_name(contract)
        h = home_dir(home)
        try:
            c = load_contract(name)
            con = connect_readonly(warehouse_path(h), spatial=False)
            try:
                territory = con.execute("SELECT kind, code, name, geo_version, geom_wkb FROM territory").pl()
                observation = con.execute("SELECT * FROM observation").pl()
                catalog = [
                    r[0] for r in con.execute("SELECT indicator_id FROM indicator ORDER BY 1").fetchall()
                ]
                preds = con.execute("SELECT code_2024, code_2015 FROM qpv_predecessor WHERE used").pl()
            finally:
                con.close()
            check_contract_territories(c, territory)
            ids = key_indicators(c, catalog, observation["indicator_id"].unique().to_list())
            frame = perimeters_frame(
                c,
                territory=territory,
                observation=observation,
                indicator_ids=ids,
                at=_date(at, "--at") or date.today(),
                predecessors=preds,
            )
            files = write_geo(frame, _out(out) or exports_dir(h, name), f"perimetres-{name}")
            skipped = without_geometry(frame)
        except (ContractError, WarehouseError, ValueError) as exc:
            raise fail(str(exc)) from exc
        console.print(
            f"[green]{frame.height - len(skipped)} périmètres[/] avec {len(ids)} indicateur(s) clé(s) : "
            f"{', '.join(ids) or '-'}"
        )
        if skipped:
            console.print(
                f"sans géométrie dans l'entrepôt, non exportés : {', '.join(skipped)} (les chiffres des QPV "
                "2015 figurent sur leur QPV 2024, colonnes <indicateur>_perimetre)"
            )
        console.print(_files_table(files))
