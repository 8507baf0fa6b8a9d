"""The `quartiers` command line.

Heavy modules (Dagster, geopandas) are imported inside the commands that need them, so that quick
look-ups such as `quartiers locate` answer fast.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipelines.commands._common import HomeOpt, connect, fail, home_dir

if TYPE_CHECKING:
    pass

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Quartiers: QPV statistics warehouse.")
console = Console()
err = Console(stderr=True, soft_wrap=True)

CODE_RE = re.compile(r"^[A-Z0-9]{2,12}$")
TEXT_RE = re.compile(r"^[\w\s'’\-.,()]{1,80}$", re.UNICODE)


@app.command()
def sample(
    home: HomeOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic territory")] = 2024,
) -> None:
    """Generate the synthetic sample mirror (données synthétiques) into <home>/mirror-sample."""
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    files = generate_sample(sample_mirror(home_dir(home)), seed)
    console.print(f"{len(files)} files written to {sample_mirror(home_dir(home))}")


@app.command()
def refresh(
    home: HomeOpt = None,
    mirror: Annotated[Path | None, typer.Option(help="Mirror directory laid out as <host>/<path>")] = None,
    files: Annotated[
        list[Path] | None, typer.Option("--files", help="Local official files or folders")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Refresh only this source (asset group)")
    ] = None,
    live: Annotated[bool, typer.Option(help="Download from the official URLs")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when no source file, code or setting changed")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="If another refresh runs on this home, wait for it to end")
    ] = False,
    more_files: Annotated[
        list[Path] | None,
        typer.Argument(help="More local files or folders after --files (--files A B C)", show_default=False),
    ] = None,
) -> None:
    """Obtain the sources, rebuild every table, and swap in the new warehouse atomically (or stop at once,
    warehouse untouched, when nothing that shapes it changed since it was built). One refresh at a time
    per home: another one running, it is refused at once (exit 2) naming it, unless --wait."""
    from pipelines.refresh import run_refresh

    env = "live" if live else None
    if more_files:  # `--files A B C`: the paths after the first one arrive as arguments
        if not files:
            raise fail(f"{more_files[0]}: local files go after --files (quartiers refresh --files PATH…)")
        files = [*files, *more_files]
    try:
        report = run_refresh(
            home=home_dir(home),
            env=env,
            mirror=mirror,
            files=files,
            only=only,
            console=console,
            force=force,
            wait=wait,
        )
    except Exception as exc:  # the message names the file, row and column
        raise fail(str(exc)) from exc
    if not report.success:
        raise fail(f"refresh failed at {report.failed_step}: {report.error}")


@app.command()
def demo(home: HomeOpt = None) -> None:
    """Generate the synthetic sample, build the warehouse from it, and print what was built."""
    from pipelines.refresh import run_refresh
    from pipelines.runlock import run_lock
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    h = home_dir(home)
    t0 = time.perf_counter()
    try:
        with run_lock(h, launched_by="quartiers demo"):  # the sample is rewritten under the lock too
            generate_sample(sample_mirror(h))
            report = run_refresh(home=h, env="sample", console=console)
    except Exception as exc:
        raise fail(str(exc)) from exc
    if not report.success:
        raise fail(f"refresh failed at {report.failed_step}: {report.error}")
    console.print(
        f"[green]Warehouse built[/] at {h / 'warehouse.duckdb'} in {time.perf_counter() - t0:.1f} s"
    )
    summary(home=h)


@app.command()
def summary(home: HomeOpt = None) -> None:
    """What the warehouse holds: rows per table, territories per kind, crosswalk relations."""
    from warehouse.store import warehouse_info

    con = connect(home)
    info = warehouse_info(con)
    console.print(
        f"[bold]Entrepôt Quartiers[/] — {info.get('label', '')}, construit le {info.get('built_at', '?')}"
    )
    table = Table("table", "lignes")
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall():
        (n,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone() or (0,)  # noqa: S608 (catalog name)
        table.add_row(name, f"{n:,}".replace(",", "\u202f"))
    console.print(table)
    kinds = Table("type de territoire", "nombre", "dont sans périmètre")
    for kind, n, no_geom in con.execute(
        "SELECT kind, count(*), count(*) FILTER (WHERE geom_wkb IS NULL) FROM territory "
        "GROUP BY kind ORDER BY kind"
    ).fetchall():
        kinds.add_row(kind, f"{n:,}".replace(",", "\u202f"), f"{no_geom:,}".replace(",", "\u202f"))
    console.print(kinds)
    rel = Table("relation 2015 → 2024 (recouvrement mesuré)", "paires")
    for relation, n in con.execute(
        "SELECT relation, count(*) FROM qpv_crosswalk GROUP BY 1 ORDER BY 1"
    ).fetchall():
        rel.add_row(relation, str(n))
    console.print(rel)


@app.command()
def territories(
    home: HomeOpt = None,
    commune: Annotated[str | None, typer.Option(help="QPVs of this commune (INSEE code)")] = None,
    search: Annotated[str | None, typer.Option(help="Text in the name or code")] = None,
    kind: Annotated[str | None, typer.Option(help="qpv2024, qpv2015, commune, epci, …")] = None,
) -> None:
    """List territories: QPVs of a commune, or any territory whose name or code matches."""
    if commune is not None and not re.match(r"^(\d{5}|2[AB]\d{3})$", commune):
        raise fail(f"{commune!r} is not an INSEE commune code")
    if search is not None and not TEXT_RE.match(search):
        raise fail("search text may hold letters, digits, spaces and - ' . , ( ) only")
    if kind is not None and not re.match(r"^[a-z0-9_]{1,20}$", kind):
        raise fail(f"{kind!r} is not a territory kind")
    con = connect(home)
    if commune is not None:
        rows = con.execute(
            "SELECT geography, qpv_code, qpv_name, commune_code, commune_name, round(area_share * 100, 1) "
            "FROM v_qpv_communes WHERE commune_code = ? ORDER BY geography DESC, qpv_code",
            [commune],
        ).fetchall()
        table = Table("géographie", "QPV", "nom", "commune", "nom de la commune", "% de la surface du QPV")
    else:
        pattern = f"%{(search or '').lower()}%"
        rows = con.execute(
            "SELECT kind, code, name, geo_version, round(area_m2 / 10000, 1) FROM territory "
            "WHERE (lower(name) LIKE ? OR lower(code) LIKE ?) AND (? IS NULL OR kind = ?) "
            "ORDER BY kind, code",
            [pattern, pattern, kind, kind],
        ).fetchall()
        table = Table("type", "code", "nom", "géographie", "surface (ha)")
    for row in rows:
        cells = ["" if v is None else str(v).replace(".", ",") if isinstance(v, float) else str(v) for v in row]  # noqa: E501
        table.add_row(*cells)
    console.print(table)


@app.command()
def locate(
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude (WGS84)")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Latitude (WGS84)")] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="CSV of points: columns lon;lat (WGS84) or x;y (--crs), separator , or ;"),
    ] = None,
    crs: Annotated[
        str | None, typer.Option("--crs", help="CRS of the x/y columns of --csv (default EPSG:2154)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV written (; UTF-8); default: standard output")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """The 2024 and 2015 QPV containing a point, or the nearest one with its distance in metres; with
    --csv, the same for every line of a file (one line out per line in, input columns kept)."""
    if csv_file is not None:
        if lon is not None or lat is not None:
            raise fail("give either --csv or --lon/--lat, not both")
        _locate_csv(csv_file, crs, out, home)
        return
    if lon is None or lat is None:
        raise fail("give --lon and --lat (WGS84), or --csv FILE")
    if crs is not None or out is not None:
        raise fail("--crs and --out go with --csv")
    from warehouse.locate import locate as do_locate

    con = connect(home, spatial=False)
    try:
        found = do_locate(con, lon, lat)
    except Exception as exc:
        raise fail(str(exc)) from exc
    for hit in found:
        where = "inside" if hit.inside else f"nearest, {hit.distance_m:,.0f} m away".replace(",", " ")
        console.print(f"{hit.geography}: {hit.code} {hit.name} ({where})")


def _locate_csv(csv_file: Path, crs: str | None, out: Path | None, home: Path | None) -> None:
    from warehouse.locate_csv import LocateCsvError, write_located

    if not csv_file.is_file():
        raise fail(f"{csv_file}: no such file")
    if out is not None and out.resolve() == csv_file.resolve():
        raise fail(f"--out {out} is the input file; choose another name")
    con = connect(home, spatial=False)
    try:
        if out is None:
            n, without = write_located(con, csv_file, sys.stdout, crs)
        else:
            tmp = out.with_name(out.name + ".tmp")
            try:
                with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                    n, without = write_located(con, csv_file, fh, crs)
                os.replace(tmp, out)
            finally:
                tmp.unlink(missing_ok=True)
    except LocateCsvError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{out}: cannot be written ({exc.strerror})") from exc
    err.print(
        f"{n} ligne(s) localisée(s), dont {without} sans résultat (voir la colonne motif)"
        + (f" → {out}" if out is not None else "")
    )


@app.command()
def sql(query: Annotated[str, typer.Argument(help="One SELECT statement")], home: HomeOpt = None) -> None:
    """Run a read-only SQL query on the warehouse (writes, ATTACH and file access are refused)."""
    from warehouse.paths import warehouse_path
    from warehouse.query import run_sql

    try:
        columns, rows = run_sql(warehouse_path(home_dir(home)), query)
    except Exception as exc:
        raise fail(str(exc)) from exc
    table = Table(*columns)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def _register_source_commands() -> None:
    from pipelines.commands import register_all

    register_all(app)


_register_source_commands()


def main() -> None:  # pragma: no cover
    os.environ.setdefault("DAGSTER_HOME", str(home_dir(None) / "dagster"))
    sys.exit(app())
