"""Which QPV holds a point? The 2024 and 2015 QPV containing it, or the nearest with its distance.

Shapely on the stored WKB rather than DuckDB spatial: a look-up loads a few thousand polygons and
answers in milliseconds, without the cost of loading the extension in a short-lived CLI process.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import shapely

from warehouse.lambert93 import to_lambert93


@dataclass(frozen=True)
class Located:
    geography: str
    code: str
    name: str
    inside: bool
    distance_m: float


def to_l93(lon: float, lat: float) -> tuple[float, float]:
    return to_lambert93(lon, lat)


class Locator:
    """The QPV perimeters of both geographies, loaded once: many points located against one load."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.layers: list[tuple[str, list[tuple[str, str]], np.ndarray, shapely.STRtree]] = []
        for geography in ("qpv2024", "qpv2015"):
            rows = con.execute(
                "SELECT code, name, geom_wkb FROM territory "
                "WHERE kind = ? AND geom_wkb IS NOT NULL ORDER BY code",
                [geography],
            ).fetchall()
            if not rows:
                continue
            geoms = shapely.from_wkb(np.array([r[2] for r in rows], dtype=object))
            self.layers.append((geography, [(r[0], r[1]) for r in rows], geoms, shapely.STRtree(geoms)))

    def at_l93(self, x: float, y: float) -> list[Located]:
        """For each geography: the QPV containing the Lambert-93 point, else the nearest one."""
        point = shapely.Point(x, y)
        out = []
        for geography, names, geoms, tree in self.layers:
            hits = tree.query(point, predicate="intersects")
            if len(hits):
                i = int(min(hits))
                out.append(Located(geography, names[i][0], names[i][1], True, 0.0))
                continue
            i = int(tree.nearest(point))
            out.append(
                Located(geography, names[i][0], names[i][1], False, float(shapely.distance(geoms[i], point)))
            )
        return out


def locate(con: duckdb.DuckDBPyConnection, lon: float, lat: float) -> list[Located]:
    """For each QPV geography in the warehouse: the QPV containing the point, else the nearest one.

    Distance is to the perimeter itself (0 inside), not to its centroid.
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"({lon}, {lat}) is not a WGS84 longitude/latitude")
    return Locator(con).at_l93(*to_l93(lon, lat))
