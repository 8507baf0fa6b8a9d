"""`quartiers profile CODE`: a QPV's figures next to its commune(s), EPCI, département, France
métropolitaine and all QPVs, each with its source and release (read from the `v_profile` view)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

QPV_CODE_RE = re.compile(r"^(QP(\d{3}|02A|02B)\d{3}|QN(\d{3}|02A|02B)\d{2}[0-9A-Z])$")
ROLE_LABEL = {
    "qpv": "QPV",
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "france": "France métro.",
    "all_qpv": "ensemble des QPV",
}
DATASET_SHORT = {
    "insee_qpv_demo": "Insee QPV démo.",
    "insee_qpv_revn": "Insee QPV revenus",
    "insee_qpv_ipro": "Insee QPV insertion pro.",
    "insee_qpv_filosofi": "Insee Filosofi QPV",
    "filosofi_disp": "Insee Filosofi",
    "filosofi_cc": "Insee Filosofi comm.",
    "filosofi_iris": "Insee Filosofi IRIS",
    "insee_comparateur": "Insee comparateur",
    "filosofi_grid": "Filosofi carroyé",
    "insee_rp": "Insee RP IRIS",
}


def _number(value: float, unit: str | None) -> str:
    if unit in ("percent",):
        return f"{value:.1f} %".replace(".", ",")
    if unit in ("count", "euro") and abs(value) >= 100:
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.2f}".replace(".", ",")


def format_figure(row: dict[str, Any]) -> str:
    """One cell: the value (with its bound for a grid estimate), or what stands for it, then its source."""
    status, unit = row["status"], row["unit"]
    if status is None:
        return "—"
    if status == "suppressed":
        text = "secret statistique"
    elif status == "not_applicable":
        text = "non estimable" if row["method"] == "grid_estimate" else "non calculable"
    elif status == "missing":
        text = "non disponible"
    else:
        text = _number(row["value"], unit)
        if row["interval_low"] is not None and row["interval_high"] is not None:
            text += f" [{_number(row['interval_low'], unit)} – {_number(row['interval_high'], unit)}]"
        if row["method"] == "grid_estimate":
            text += " (estimation)"
        elif row["method"] in ("summed", "recomputed"):
            text += f" ({'somme' if row['method'] == 'summed' else 'recalculé'})"
    source = DATASET_SHORT.get(row["source_dataset"], row["source_dataset"] or "")
    return f"{text}\n[dim]{source} {row['source_vintage'] or ''} · {row['geo_version'] or ''}[/]"


def register(app: typer.Typer) -> None:
    @app.command()
    def profile(
        code: Annotated[str, typer.Argument(help="QPV code, 2015 (QP…) or 2024 (QN…) geography")],
        home: Annotated[
            Path | None, typer.Option("--home", help="Data folder (default: $QUARTIERS_HOME or ./var)")
        ] = None,
    ) -> None:
        """A QPV's profile: every indicator and data year, next to its reference territories, each figure
        with its source, release and geography ("secret statistique" where INSEE suppressed it)."""
        from rich.console import Console
        from rich.table import Table

        from pipelines.paths import default_home, warehouse_path
        from warehouse.store import WarehouseError, connect_readonly

        out, err = Console(), Console(stderr=True, soft_wrap=True)
        code = code.strip().upper()
        if not QPV_CODE_RE.match(code):
            err.print(
                f"[bold red]error:[/] {code[:40]!r} is not a QPV code "
                "(QP0dd nnn for 2015, QN0dd nnX for 2024)"
            )
            raise typer.Exit(code=2)
        try:
            con = connect_readonly(warehouse_path((home or default_home()).resolve()), spatial=False)
        except WarehouseError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=2) from exc
        # profile_of() filters on the QPV before joining: milliseconds where the v_profile view
        # would rank the whole observation table.
        geography = "qpv2024" if code.startswith("QN") else "qpv2015"
        cursor = con.execute(
            "SELECT * FROM profile_of(?, ?) ORDER BY theme, indicator_id, period, ref_order, ref_code",
            [geography, code],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        if not rows:
            err.print(f"[bold red]error:[/] no figure for QPV {code} in this warehouse")
            raise typer.Exit(code=2)
        first = rows[0]
        geography = first["geography"]
        out.print(
            f"[bold]{code}[/] {first['qpv_name'] or ''} — géographie {geography[3:]} "
            f"({'périmètres 2015' if geography == 'qpv2015' else 'périmètres 2024'})"
        )
        columns: list[tuple[int, str, str]] = sorted(
            {(r["ref_order"], r["role"], r["ref_code"]) for r in rows}, key=lambda c: (c[0], c[2])
        )
        ref_names = {(r["role"], r["ref_code"]): r["ref_name"] for r in rows}
        table = Table("indicateur", "année", show_lines=True)
        for _, role, ref in columns:
            label = ref_names.get((role, ref)) or ""
            table.add_column(f"{ROLE_LABEL[role]} {ref if role != 'all_qpv' else ''}\n{label}".strip())
        cells: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        labels: dict[str, str] = {}
        for r in rows:
            cells.setdefault((r["indicator_id"], r["period"]), {})[(r["role"], r["ref_code"])] = r
            labels[r["indicator_id"]] = r["label_fr"] or r["indicator_id"]
        for (indicator, period), by_ref in cells.items():
            table.add_row(
                labels[indicator],
                period,
                *[
                    format_figure(by_ref[(role, ref)]) if (role, ref) in by_ref else "—"
                    for _, role, ref in columns
                ],
            )
        out.print(table)
        out.print(
            "[dim]Source et millésime (année de publication) sous chaque chiffre ; l'année est celle des "
            "données. « secret statistique » : valeur masquée par l'Insee ; les estimations carroyées "
            "portent leur encadrement [bas – haut].[/]"
        )
