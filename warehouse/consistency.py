"""The consistency report of a contract read from the warehouse (models/consistency.py holds the checks).

Inputs: a read-only warehouse connection (``observation``, ``source_file``, ``territory_link``) and the
staged INSEE QPV table (``<home>/staged/stg_insee_qpv.parquet``, long: one row per QPV × variable × file).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from models.consistency import (
    CHECK_SCHEMA,
    HEADLINE_INDICATORS,
    contract_territories,
    population_checks,
    same_figure_across_files,
    territory_frame,
)
from sources.contracts import Contract


def contract_observations(con: duckdb.DuckDBPyConnection, contract: Contract) -> pl.DataFrame:
    """The contract territories' observations with their source file name (``file``)."""
    wanted = territory_frame(contract_territories(contract))
    con.register("_wanted_territories", wanted.to_arrow())
    try:
        return con.execute(
            """
            SELECT o.*, coalesce(sf.file_name, o.source_sha256) AS file, sf.url AS file_url
            FROM observation o
            JOIN _wanted_territories w
              ON w.territory_kind = o.territory_kind AND w.territory_code = o.territory_code
            LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
            """
        ).pl()
    finally:
        con.unregister("_wanted_territories")


def qpv_communes(
    con: duckdb.DuckDBPyConnection, codes: list[str], kind: str = "qpv2015"
) -> dict[str, list[str]]:
    """Communes of each QPV as linked in ``territory_link`` (declared or spatial)."""
    if not codes:
        return {}
    rows = con.execute(
        """
        SELECT DISTINCT child_code, parent_code FROM territory_link
        WHERE child_kind = ? AND parent_kind = 'commune' AND list_contains(?, child_code)
        ORDER BY 1, 2
        """,
        [kind, codes],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for qpv, commune in rows:
        out.setdefault(str(qpv), []).append(str(commune))
    return out


def consistency_report(
    con: duckdb.DuckDBPyConnection, contract: Contract, staged_qpv_path: Path | None
) -> pl.DataFrame:
    """Every check of the module for one contract, sorted by check, territory and period."""
    obs = contract_observations(con, contract)
    files = dict(con.execute("SELECT sha256, file_name FROM source_file").fetchall())
    parts = [same_figure_across_files(obs)]
    qpv2015 = contract.qpv2015_codes
    links = qpv_communes(con, qpv2015)
    # A 2015 QPV known only from INSEE's files (no 2015 perimeter in the build) takes the communes of
    # the 2024 QPV that replaces it in the contract.
    by_2024 = qpv_communes(con, contract.qpv2024_codes, kind="qpv2024")
    for q in contract.qpvs:
        for old in q.replaces:
            if old not in links and q.code in by_2024:
                links[old] = by_2024[q.code]
    communes = sorted({c for cs in links.values() for c in cs})
    if communes:
        census = contract_observations_for(con, "commune", communes)
        obs = pl.concat([obs, census], how="diagonal_relaxed").unique(
            ["indicator_id", "territory_kind", "territory_code", "period", "source_sha256", "method"]
        )
    if staged_qpv_path is not None and staged_qpv_path.exists() and links:
        staged = pl.read_parquet(staged_qpv_path)
        everyone = qpv_communes_all(con, communes)
        parts.append(population_checks(staged, obs, links, files, everyone))
    out = pl.concat(parts) if parts else pl.DataFrame(schema=CHECK_SCHEMA)
    return out.sort("check", "territory_kind", "territory_code", "indicator", "period", "file_a", "file_b")


def contract_observations_for(con: duckdb.DuckDBPyConnection, kind: str, codes: list[str]) -> pl.DataFrame:
    return con.execute(
        """
        SELECT o.*, coalesce(sf.file_name, o.source_sha256) AS file, sf.url AS file_url
        FROM observation o LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
        WHERE o.territory_kind = ? AND list_contains(?, o.territory_code)
        """,
        [kind, codes],
    ).pl()


def qpv_communes_all(con: duckdb.DuckDBPyConnection, communes: list[str]) -> dict[str, list[str]]:
    """Every 2015 QPV linked to each of these communes (to know whether a contract holds them all)."""
    rows = con.execute(
        """
        SELECT DISTINCT parent_code, child_code FROM territory_link
        WHERE child_kind = 'qpv2015' AND parent_kind = 'commune' AND list_contains(?, parent_code)
        ORDER BY 1, 2
        """,
        [communes],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for commune, qpv in rows:
        out.setdefault(str(commune), []).append(str(qpv))
    return out


def headline_figures(con: duckdb.DuckDBPyConnection, contract: Contract) -> pl.DataFrame:
    """Per QPV of the contract (its 2024 code and the 2015 QPVs it replaces): the headline indicators
    over every data period held, with status, data period, geography, release and source file."""
    rows = contract.territory_rows().filter(pl.col("role") != "reference")
    con.register("_contract_qpvs", rows.to_arrow())
    try:
        return con.execute(
            """
            SELECT q.qpv_code, o.territory_kind AS geography, o.territory_code, o.indicator_id, o.period,
                   o.value, o.status, o.method, o.source_dataset, o.source_vintage,
                   coalesce(sf.file_name, o.source_sha256) AS source_file
            FROM _contract_qpvs q
            JOIN observation o ON o.territory_kind = q.territory_kind AND o.territory_code = q.territory_code
            LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
            WHERE list_contains(?, o.indicator_id)
            ORDER BY q.qpv_code, o.territory_kind DESC, o.territory_code, o.indicator_id, o.period,
                     o.source_vintage, source_file
            """,
            [list(HEADLINE_INDICATORS)],
        ).pl()
    finally:
        con.unregister("_contract_qpvs")


# INSEE's proximity thresholds in its QPV bases: écoles within 100 m, collèges within 300 m of the perimeter.
def territory_for_contract_check(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The ``territory`` table (kind, code, name) plus the QPVs the build holds figures for without a
    perimeter (the 2015 QPVs of INSEE's QPV bases when no 2015 perimeter file was given): such a code is
    in its geography, and a contract may name it."""
    return con.execute(
        """
        SELECT kind, code, name FROM territory
        UNION
        SELECT DISTINCT o.territory_kind, o.territory_code, NULL FROM observation o
        WHERE o.territory_kind IN ('qpv2015', 'qpv2024')
          AND NOT EXISTS (SELECT 1 FROM territory t
                          WHERE t.kind = o.territory_kind AND t.code = o.territory_code)
        """
    ).pl()
