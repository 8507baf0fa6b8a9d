"""`quartiers fiche CODE`, `quartiers fiches CONTRACT`, `quartiers site`: the QPVs' fiches d'identité
(PDF through typst, self-contained HTML, Markdown) and a static site of all of them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from pipelines.commands._common import HomeOpt, connect, fail, home_dir, out_dir
from sources.territory_codes import QPV_CODE_RE

FORMATS = ("pdf", "html", "md")

def _formats(values: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in (values or default)))
    bad = [v for v in chosen if v not in FORMATS]
    if bad:
        raise fail(f"unknown format {bad[0][:20]!r}: choose among {', '.join(FORMATS)}")
    return chosen


def register(app: typer.Typer) -> None:
    @app.command()
    def fiche(
        code: Annotated[str, typer.Argument(help="QPV code, 2015 (QP…) or 2024 (QN…) geography")],
        format: Annotated[
            list[str] | None, typer.Option("--format", "-f", help="pdf, html or md (repeat for several)")
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Output folder (default: <home>/fiches)")
        ] = None,
        home: HomeOpt = None,
    ) -> None:
        """A QPV's fiche d'identité: identity and perimeter change, map, households and ages, income and
        poverty, housing, employment and job seekers, CAF, schools; every figure against its commune, EPCI
        and France, with its source, release, data year and geography in a note."""
        from rich.console import Console

        from warehouse.fiche import FicheError, write_fiche

        code = code.strip().upper()
        if not QPV_CODE_RE.match(code):
            raise fail(f"{code[:40]!r} is not a QPV code (QP0dd nnn for 2015, QN0dd nnX for 2024)")
        formats = _formats(format, ("pdf",))
        h = home_dir(home)
        con = connect(h, spatial=False)
        t0 = time.perf_counter()
        try:
            paths = write_fiche(con, code, out_dir(out or h / "fiches"), formats)
        except FicheError as exc:
            raise fail(str(exc)) from exc
        finally:
            con.close()
        console = Console()
        for path in paths.values():
            console.print(str(path))
        console.print(f"[dim]{code}: {time.perf_counter() - t0:.2f} s[/]")

    @app.command()
    def fiches(
        contract: Annotated[str, typer.Argument(help="Contract name (file contracts/<name>.toml)")],
        format: Annotated[
            list[str] | None, typer.Option("--format", "-f", help="pdf, html, md (default: pdf and html)")
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Output folder (default: <home>/fiches/<contract>)")
        ] = None,
        home: HomeOpt = None,
    ) -> None:
        """The fiches of every QPV of a contract (its 2024 QPVs, then the 2015 QPVs it still follows)."""
        from rich.console import Console
        from rich.table import Table

        from sources.contracts import ContractError, load_contract
        from warehouse.fiche import FicheError, write_fiche

        try:
            c = load_contract(contract.strip())
        except ContractError as exc:
            raise fail(str(exc)) from exc
        formats = _formats(format, ("pdf", "html"))
        h = home_dir(home)
        target = out_dir(out or h / "fiches" / c.name)
        con = connect(h, spatial=False)
        codes = [*c.qpv2024_codes, *c.former_qpv2015]
        table = Table("QPV", *formats, "s", title=c.title)
        t_all = time.perf_counter()
        try:
            for code in codes:
                t0 = time.perf_counter()
                paths = write_fiche(con, code, target, formats)
                table.add_row(code, *[paths[f].name for f in formats], f"{time.perf_counter() - t0:.2f}")
        except FicheError as exc:
            raise fail(str(exc)) from exc
        finally:
            con.close()
        console = Console()
        console.print(table)
        console.print(f"{len(codes)} fiches in {target} ({time.perf_counter() - t_all:.1f} s)")

    @app.command()
    def site(
        out: Annotated[Path, typer.Option("--out", help="Folder of the static site")],
        home: HomeOpt = None,
        pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also typeset every fiche as PDF")] = True,
    ) -> None:
        """A static site: an index of every QPV (search by name, commune, code), one page per fiche, links
        to the PDFs and to the contracts' baseline exports. Opens offline (no CDN, no tile server)."""
        from rich.console import Console

        from warehouse.fiche.site import build_site

        h = home_dir(home)
        con = connect(h, spatial=False)
        t0 = time.perf_counter()
        try:
            index = build_site(con, out_dir(out), home=h, pdf=pdf)
        finally:
            con.close()
        Console().print(f"{index} ({time.perf_counter() - t0:.1f} s)")
