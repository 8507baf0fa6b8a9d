"""`quartiers schools QPV_CODE`: the schools table of a fiche d'identité (inside the QPV and near it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

# Same patterns as checks.geography (not imported: it pulls pandera into a quick command).
QPV_CODE_RE = re.compile(r"^(QN(\d{3}|02A|02B)\d{2}[A-Z]|QP(\d{3}|02A|02B)\d{3})$")

SCHOOLS_SQL = """
SELECT uai, name, commune_name, commune_code, level, ep_status, pupils, ips, ips_status, ips_ecart_type,
       iva_va_du_taux_de_reussite_g, relation, distance_m, coord_status, near_m
FROM v_schools
WHERE qpv_code = ? AND rentree = ?
ORDER BY relation = 'near', distance_m, level, name, uai
"""

UNPLACED_SQL = """
SELECT s.uai, s.name, c.commune_name, s.commune_code, s.level, s.ep_status, s.pupils, s.ips,
       s.coord_status
FROM school s
JOIN (SELECT DISTINCT commune_code, commune_name FROM v_qpv_communes WHERE qpv_code = ?) c
  ON c.commune_code = s.commune_code
WHERE s.rentree = ? AND s.x_l93 IS NULL
ORDER BY s.commune_code, s.name, s.uai
"""


def _num(value: object, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def register(app: typer.Typer) -> None:
    @app.command()
    def schools(
        qpv_code: Annotated[str, typer.Argument(help="QPV code: QN… (2024) or QP… (2015)")],
        rentree: Annotated[
            int | None,
            typer.Option("--rentree", help="Rentrée (first year: 2024 = 2024-2025); default latest"),
        ] = None,
        home: Annotated[
            Path | None, typer.Option("--home", help="Data folder (default: $QUARTIERS_HOME or ./var)")
        ] = None,
    ) -> None:
        """Schools inside a QPV and near it (≤ 300 m by default): name, commune, EP status, pupils, IPS,
        écart-type, IVA, inside/near, distance; then the schools of its communes that have no usable
        coordinates, with their flag."""
        from pipelines.paths import default_home, warehouse_path
        from warehouse.store import WarehouseError, connect_readonly

        err = Console(stderr=True, soft_wrap=True)
        code = qpv_code.strip().upper()
        if not QPV_CODE_RE.match(code):
            err.print(f"[bold red]error:[/] {qpv_code!r} is not a QPV code (QN06101M, QP062019…)")
            raise typer.Exit(code=2)
        if rentree is not None and not 1990 <= rentree <= 2100:
            err.print(f"[bold red]error:[/] rentrée {rentree} is not a plausible year")
            raise typer.Exit(code=2)
        try:
            con = connect_readonly(warehouse_path((home or default_home()).resolve()))
        except WarehouseError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=2) from exc
        found = con.execute(
            "SELECT kind, name FROM territory WHERE code = ? AND kind IN ('qpv2024', 'qpv2015')", [code]
        ).fetchone()
        if found is None:
            err.print(f"[bold red]error:[/] no QPV {code} in the warehouse")
            raise typer.Exit(code=2)
        if rentree is None:
            latest = con.execute(
                "SELECT max(rentree) FROM school s WHERE s.commune_code IN "
                "(SELECT commune_code FROM v_qpv_communes WHERE qpv_code = ?) "
                "OR s.uai IN (SELECT uai FROM school_qpv WHERE territory_code = ?)",
                [code, code],
            ).fetchone()
            rentree = latest[0] if latest and latest[0] is not None else None
        out = Console(width=max(Console().width, 160))
        kind, name = found
        if rentree is None:
            out.print(f"{code} {name} ({kind}): no school data in the warehouse")
            return
        rows = con.execute(SCHOOLS_SQL, [code, rentree]).fetchall()
        near_m = rows[0][-1] if rows else None
        near_txt = f"{near_m:g} m" if near_m is not None else "the near distance"
        out.print(
            f"[bold]{code}[/] {name} ({kind}) — schools inside and within {near_txt}, "
            f"rentrée {rentree}-{rentree + 1}"
        )
        table = Table(
            "UAI",
            "name",
            "commune",
            "level",
            "EP",
            "pupils",
            "IPS",
            "écart-type",
            "IVA (VA réussite)",
            "where",
            "distance (m)",
        )
        for r in rows:
            uai, sname, cname, ccode, level, ep, pupils, ips, ips_status, sd, iva, rel, dist, cs, _ = r
            ips_txt = "NS" if ips_status == "suppressed" else _num(ips)
            where = rel if cs == "ok" else f"{rel} ({cs} coordinates)"
            table.add_row(
                uai,
                sname or "",
                cname or ccode or "",
                level or "",
                ep or "",
                _num(pupils),
                ips_txt,
                _num(sd),
                _num(iva),
                where,
                f"{dist:.0f}",
            )
        out.print(table)
        unplaced = con.execute(UNPLACED_SQL, [code, rentree]).fetchall()
        if unplaced:
            out.print(
                f"Schools of the QPV's communes without usable coordinates ({len(unplaced)}), not placed:"
            )
            t2 = Table("UAI", "name", "commune", "level", "EP", "pupils", "IPS", "coordinates")
            for uai, sname, cname, ccode, level, ep, pupils, ips, cs in unplaced:
                t2.add_row(
                    uai,
                    sname or "",
                    cname or ccode or "",
                    level or "",
                    ep or "",
                    _num(pupils),
                    _num(ips),
                    cs,
                )
            out.print(t2)
