"""What the fiche's map draws, read from the warehouse: the perimeter, its 2015 predecessors when held,
neighbouring QPVs, commune limits (or names placed on a school of the commune) and the frame."""

from __future__ import annotations

import duckdb

from warehouse.fiche.model import Geometries, School
from warehouse.fiche.perimeters import departement_of


def map_frame(geoms: Geometries, schools: list[School]) -> tuple[float, float, float, float] | None:
    """The map's extent (Lambert-93): the outlines and the placed schools, with a margin."""
    import shapely

    parts = [shapely.from_wkb(w) for _, w in geoms.outline_2024 + geoms.outline_2015]
    parts += [shapely.Point(s.x, s.y) for s in schools if s.x is not None and s.y is not None]
    if not parts:
        return None
    minx, miny, maxx, maxy = shapely.GeometryCollection(parts).bounds
    pad = max(maxx - minx, maxy - miny) * 0.12 + 50
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _map_geometries(
    con: duckdb.DuckDBPyConnection,
    geoms: Geometries,
    schools: list[School],
    commune_codes: list[str],
    departement_codes: list[str],
) -> None:
    """Set the map's frame and every commune it touches (the QPV's own and their neighbours).

    Candidates are the communes of the QPV's département(s), kept when they touch the frame; when they do
    not cover the frame (a département or regional border, the coast), those of the région(s) are tried.
    """
    import shapely

    geoms.own_communes = list(commune_codes)
    geoms.frame = map_frame(geoms, schools)
    if geoms.frame is None:
        return
    frame = shapely.box(*geoms.frame)
    sql = (
        "SELECT code, name, geom_wkb FROM territory WHERE kind = 'commune' AND geom_wkb IS NOT NULL "
        "AND (list_contains(?, code) OR code IN (SELECT child_code FROM territory_link "
        "WHERE child_kind = 'commune' AND parent_kind = 'departement' AND list_contains(?, parent_code))) "
        "QUALIFY row_number() OVER (PARTITION BY code ORDER BY geo_version DESC) = 1 ORDER BY code"
    )
    found: list[tuple[str, str, bytes]] = []
    for scope in ("departement", "region"):
        if scope == "region":
            regions = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT parent_code FROM territory_link WHERE child_kind = 'departement' "
                    "AND parent_kind = 'region' AND list_contains(?, child_code)",
                    [departement_codes],
                ).fetchall()
            ]
            wider = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT child_code FROM territory_link WHERE child_kind = 'departement' "
                    "AND parent_kind = 'region' AND list_contains(?, parent_code)",
                    [regions],
                ).fetchall()
            ]
            if set(wider) <= set(departement_codes):
                break
            departement_codes = wider
        rows = con.execute(sql, [commune_codes, departement_codes]).fetchall()
        if not rows:
            continue
        shapes = shapely.from_wkb([r[2] for r in rows])
        touch = shapely.intersects(shapes, frame)
        found = [(r[0], r[1] or r[0], r[2]) for r, t in zip(rows, touch, strict=True) if t]
        covered = shapely.union_all(shapely.intersection(shapes[touch], frame)).area
        if covered >= frame.area * 0.999:
            break
    geoms.communes = found
    # Neighbouring QPVs: the perimeters (both geographies) of the QPVs of the same départements (by their
    # code) that fall in the frame, other than those already drawn.
    drawn = {c for c, _ in geoms.outline_2024 + geoms.outline_2015}
    prefixes = sorted({departement_of(c) for c in drawn})
    rows = con.execute(
        "SELECT kind, code, any_value(geom_wkb) FROM territory WHERE kind IN ('qpv2024', 'qpv2015') "
        "AND geom_wkb IS NOT NULL AND list_contains(?, substr(code, 3, 3)) AND NOT list_contains(?, code) "
        "GROUP BY kind, code ORDER BY kind DESC, code",
        [prefixes, sorted(drawn)],
    ).fetchall()
    if rows:
        shapes = shapely.from_wkb([r[2] for r in rows])
        touch = shapely.intersects(shapes, frame)
        geoms.neighbours = [(r[0], r[1], r[2]) for r, t in zip(rows, touch, strict=True) if t]
