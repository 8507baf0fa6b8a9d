"""The schools of a QPV read from the warehouse: inside it or within a distance, and its collèges de
secteur, each with its latest held rentrée figures (or those of one rentrée) and that rentrée shown.

`school_qpv` holds every school within 1 km of every QPV perimeter with its true distance, so « inside »,
« within 100 m / 300 m » (INSEE's proximity convention: écoles 100 m, collèges 300 m) and « within 1 km »
are filters here, never build settings. Schools of the QPV's communes without usable coordinates are
listed with their flag (relation NULL), never placed by guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl
import shapely

from models.education_indicators import PROXIMITY_M
from models.school_conformance import SCHOOL_QPV_RADIUS_M
from sources.contracts import Contract

LEVELS_ALL = ("ecole", "college", "lycee")

SCHOOLS_SQL = """
WITH rows AS (
    SELECT * FROM school
    WHERE level IN (SELECT unnest($levels::VARCHAR[])) AND ($rentree IS NULL OR rentree = $rentree)
),
latest AS (
    SELECT * FROM rows QUALIFY row_number() OVER (PARTITION BY uai ORDER BY rentree DESC) = 1
),
ips AS (
    SELECT uai, ips, ips_status, ips_series, rentree_label AS ips_rentree FROM rows
    WHERE ips_status IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY uai ORDER BY rentree DESC) = 1
),
ep AS (
    SELECT uai, ep_status, ep_source, rentree_label AS ep_rentree FROM rows
    WHERE ep_status IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY uai ORDER BY rentree DESC, ep_source = 'ep_list' DESC) = 1
),
placed AS (
    SELECT q.qpv_code, r.uai, r.relation, r.distance_m
    FROM _qpvs q
    JOIN school_qpv r ON r.territory_kind = q.qpv_kind AND r.territory_code = q.qpv_code
    WHERE ($within IS NULL AND r.relation = 'inside') OR r.distance_m <= $within
),
secteur AS (
    SELECT qpv_code, uai, 'secteur' AS relation, distance_m FROM _secteur
    WHERE (qpv_code, uai) NOT IN (SELECT qpv_code, uai FROM placed)
),
unplaced AS (
    SELECT q.qpv_code, l.uai, NULL AS relation, NULL::DOUBLE AS distance_m
    FROM _qpvs q
    JOIN territory_link tl ON tl.child_kind = q.qpv_kind AND tl.child_code = q.qpv_code
                          AND tl.parent_kind = 'commune'
    JOIN latest l ON l.commune_code = tl.parent_code AND l.x_l93 IS NULL
)
SELECT p.qpv_code, l.uai, l.name, l.level, l.sector, l.commune_code, p.relation, p.distance_m,
       s.declared_by IS NOT NULL AS college_secteur, s.declared_by,
       l.pupils, l.rentree_label AS latest_rentree,
       ep.ep_status, ep.ep_source, ep.ep_rentree, ips.ips, ips.ips_status, ips.ips_series, ips.ips_rentree,
       l.coord_status
FROM (SELECT * FROM placed UNION ALL SELECT * FROM secteur UNION ALL SELECT * FROM unplaced) p
JOIN latest l ON l.uai = p.uai
LEFT JOIN _secteur s ON s.qpv_code = p.qpv_code AND s.uai = p.uai
LEFT JOIN ips ON ips.uai = p.uai
LEFT JOIN ep ON ep.uai = p.uai
ORDER BY p.qpv_code, p.relation = 'secteur', p.distance_m IS NULL, p.distance_m, l.level, l.uai
"""


class SchoolsError(ValueError):
    """A rentrée the warehouse does not hold, or a distance outside what `school_qpv` keeps."""


@dataclass(frozen=True)
class Secteur:
    """A collège de secteur a contract declares for a 2024 QPV."""

    qpv_code: str
    uai: str
    contract: str


def held_rentrees(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(r[0]) for r in con.execute("SELECT DISTINCT rentree FROM school ORDER BY 1").fetchall()]


def _secteur_distances(
    con: duckdb.DuckDBPyConnection, qpv_kind: str, secteurs: list[Secteur]
) -> pl.DataFrame:
    """Each collège de secteur's true distance to its QPV's perimeter (Lambert-93; NULL without
    coordinates or perimeter): a collège de secteur may lie beyond the 1 km `school_qpv` keeps."""
    schema = {
        "qpv_code": pl.String(),
        "uai": pl.String(),
        "distance_m": pl.Float64(),
        "declared_by": pl.String(),
    }
    if not secteurs:
        return pl.DataFrame(schema=schema)
    codes = sorted({s.qpv_code for s in secteurs})
    uais = sorted({s.uai for s in secteurs})
    geoms = dict(
        con.execute(
            "SELECT code, any_value(geom_wkb) FROM territory WHERE kind = ? AND code IN "
            "(SELECT unnest(?::VARCHAR[])) AND geom_wkb IS NOT NULL GROUP BY code",
            [qpv_kind, codes],
        ).fetchall()
    )
    points = {
        u: (x, y)
        for u, x, y in con.execute(
            "SELECT uai, x_l93, y_l93 FROM school WHERE uai IN (SELECT unnest(?::VARCHAR[])) "
            "AND x_l93 IS NOT NULL QUALIFY row_number() OVER (PARTITION BY uai ORDER BY rentree DESC) = 1",
            [uais],
        ).fetchall()
    }
    rows = []
    by_pair: dict[tuple[str, str], list[str]] = {}
    for s in secteurs:
        by_pair.setdefault((s.qpv_code, s.uai), []).append(s.contract)
    for (code, uai), contracts in by_pair.items():
        distance = None
        if code in geoms and uai in points:
            # 0 inside the polygon, else the true distance to its boundary
            distance = float(shapely.distance(shapely.from_wkb(geoms[code]), shapely.Point(*points[uai])))
        rows.append(
            {
                "qpv_code": code,
                "uai": uai,
                "distance_m": distance,
                "declared_by": ",".join(sorted(contracts)),
            }
        )
    return pl.DataFrame(rows, schema=schema)


def qpv_schools(
    con: duckdb.DuckDBPyConnection,
    qpv_kind: str,
    qpv_codes: list[str],
    *,
    within_m: float | None = SCHOOL_QPV_RADIUS_M,
    rentree: int | None = None,
    levels: tuple[str, ...] = LEVELS_ALL,
    secteurs: list[Secteur] | None = None,
) -> pl.DataFrame:
    """The schools of these QPVs: inside (``within_m`` None) or within ``within_m`` metres (≤ 1 km), the
    collèges de secteur whatever their distance, and the schools of their communes without coordinates.

    Figures of each school's latest rentrée (``latest_rentree``; IPS and EP status of the latest rentrée
    holding them, with theirs), or of ``rentree`` only. ``insee_proximity``: within INSEE's convention
    for its level (écoles 100 m, collèges and lycées 300 m)."""
    if within_m is not None and not 0 <= within_m <= SCHOOL_QPV_RADIUS_M:
        raise SchoolsError(
            f"distance {within_m:g} m : la table school_qpv garde les écoles à 1 km au plus des QPV"
        )
    if rentree is not None:
        held = held_rentrees(con)
        if rentree not in held:
            listed = ", ".join(f"{r}-{r + 1}" for r in held) or "aucune"
            raise SchoolsError(
                f"rentrée {rentree}-{rentree + 1} absente de l'entrepôt ; rentrées tenues : {listed}"
            )
    qpvs = pl.DataFrame(
        {"qpv_kind": [qpv_kind] * len(qpv_codes), "qpv_code": qpv_codes},
        schema={"qpv_kind": pl.String(), "qpv_code": pl.String()},
    )
    secteur = _secteur_distances(con, qpv_kind, secteurs or [])
    con.register("_qpvs", qpvs.to_arrow())
    con.register("_secteur", secteur.to_arrow())
    try:
        frame = con.execute(
            SCHOOLS_SQL, {"levels": list(levels), "rentree": rentree, "within": within_m}
        ).pl()
    finally:
        con.unregister("_qpvs")
        con.unregister("_secteur")
    threshold = pl.col("level").replace_strict(PROXIMITY_M, default=None, return_dtype=pl.Float64)
    return frame.with_columns(
        pl.when(pl.col("distance_m").is_null())
        .then(None)
        .otherwise(pl.col("distance_m") <= threshold)
        .alias("insee_proximity")
    )


def contract_secteurs(contracts: Sequence[Contract]) -> list[Secteur]:
    """The collèges de secteur every given contract declares."""
    return [
        Secteur(q, college.uai, contract.name)
        for contract in contracts
        for college in contract.colleges_secteur
        for q in college.qpvs
    ]


def contract_schools(
    con: duckdb.DuckDBPyConnection, contract: Contract, within_m: float = SCHOOL_QPV_RADIUS_M
) -> pl.DataFrame:
    """Every école and collège inside or within ``within_m`` of each 2024 QPV of the contract, its
    collèges de secteur whatever the distance, and the schools of its communes without coordinates."""
    return qpv_schools(
        con,
        "qpv2024",
        contract.qpv2024_codes,
        within_m=within_m,
        levels=("ecole", "college"),
        secteurs=contract_secteurs([contract]),
    )
