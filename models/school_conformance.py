"""Which schools are in or near which QPV: true distance to the perimeter, one spatial pass (school_qpv)."""

from __future__ import annotations

import numpy as np
import polars as pl
import shapely

from models.schools import PLACEABLE

SCHOOL_QPV_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "geo_version": pl.String(),
    "relation": pl.String(),  # inside | near
    "distance_m": pl.Float64(),  # 0 inside; else the distance to the polygon's edge
    "coord_status": pl.String(),  # ok | imprecise (imprecise points are placed, and say so)
}


def conform_schools(school: pl.DataFrame, perimeters: pl.DataFrame, near_m: float = 300.0) -> pl.DataFrame:
    """`school_qpv`: each placeable school against each perimeter within `near_m` metres.

    relation `inside` (point in or on the polygon, distance 0) or `near` (outside, true distance to the
    polygon ≤ `near_m`, the bound included). All in Lambert-93, with shapely (GEOS): the candidate pairs
    come from the perimeters' bounding boxes widened by `near_m` (a sort of the points on x, no spatial
    index to build) and are kept if the distance to the box is ≤ `near_m`; then one vectorised
    point-in-polygon test (`intersects_xy` on prepared polygons) for the points in the box, and one true
    distance (to the polygon's rings) for every candidate left outside.
    `perimeters`: territory_kind, territory_code, geo_version, geom_wkb (WKB, EPSG:2154).
    """
    if near_m < 0:
        raise ValueError("near_m must be ≥ 0")
    # The last placeable row of each UAI (a point with no y is never near anything).
    points = (
        school.select("uai", "x_l93", "y_l93", "coord_status")
        .filter(pl.col("coord_status").is_in(PLACEABLE) & pl.col("x_l93").is_not_null())
        .unique(subset="uai", keep="last")
        .filter(pl.col("y_l93").is_not_null())
    )
    if points.height == 0 or perimeters.height == 0:
        return pl.DataFrame(schema=SCHOOL_QPV_SCHEMA)
    x = points["x_l93"].to_numpy()
    y = points["y_l93"].to_numpy()
    geoms = shapely.from_wkb(perimeters["geom_wkb"].to_numpy())
    bounds = shapely.bounds(geoms)
    gi, pi = _bbox_candidates(bounds, x, y, float(near_m))
    # Distance to the bounding box: a lower bound of the distance to the polygon (0 only in the box).
    dx = np.maximum(np.maximum(bounds[gi, 0] - x[pi], x[pi] - bounds[gi, 2]), 0.0)
    dy = np.maximum(np.maximum(bounds[gi, 1] - y[pi], y[pi] - bounds[gi, 3]), 0.0)
    box_distance = np.hypot(dx, dy)
    close = box_distance <= near_m + 1e-6
    gi, pi, in_box = gi[close], pi[close], box_distance[close] == 0.0
    shapely.prepare(geoms)
    inside = np.zeros(len(gi), dtype=bool)
    inside[in_box] = shapely.intersects_xy(geoms[gi[in_box]], x[pi[in_box]], y[pi[in_box]])
    # Outside, the distance to the polygon is the distance to its rings (no point-in-polygon test again).
    out = ~inside
    rings = np.empty(len(geoms), dtype=object)
    used = np.unique(gi[out])
    rings[used] = shapely.boundary(geoms[used])
    distance = np.zeros(len(gi), dtype=np.float64)
    distance[out] = shapely.distance(rings[gi[out]], shapely.points(x[pi[out]], y[pi[out]]))
    keep = inside | (distance <= near_m)
    gi, pi, inside, distance = gi[keep], pi[keep], inside[keep], distance[keep]
    rel = pl.concat(
        [
            points.select("uai", "coord_status")[pi],
            perimeters.select("territory_kind", "territory_code", "geo_version")[gi],
            pl.DataFrame(
                {
                    "relation": pl.Series(["near", "inside"]).gather(inside.astype(np.int64)),
                    "distance_m": distance,
                }
            ),
        ],
        how="horizontal",
    )
    return rel.select(pl.col(c).cast(t) for c, t in SCHOOL_QPV_SCHEMA.items()).sort(
        "geo_version", "territory_code", "uai"
    )


def _bbox_candidates(
    bounds: np.ndarray, x: np.ndarray, y: np.ndarray, near: float
) -> tuple[np.ndarray, np.ndarray]:
    """(polygon index, point index) of the points inside each bounding box (rows of `bounds`: minx, miny,
    maxx, maxy; NaN for a missing or empty geometry) widened by `near` plus a metre of slack: a superset
    of the pairs within `near` of each other. Points sorted on x, each box a searchsorted range."""
    valid = ~np.isnan(bounds).any(axis=1)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    pad = near + 1.0
    lo = np.searchsorted(xs, bounds[:, 0] - pad, side="left")
    hi = np.searchsorted(xs, bounds[:, 2] + pad, side="right")
    count = np.where(valid, hi - lo, 0)
    gi = np.repeat(np.arange(len(bounds)), count)
    starts = np.cumsum(count) - count
    pi = order[lo[gi] + np.arange(len(gi)) - starts[gi]]
    yi = y[pi]
    keep = (yi >= bounds[gi, 1] - pad) & (yi <= bounds[gi, 3] + pad)
    return gi[keep], pi[keep]


# `school_qpv` keeps every school within this distance of every QPV perimeter, whatever a user later
# calls « near »: inside, 100 m, 300 m and 1 km are views and command options, never build settings.
SCHOOL_QPV_RADIUS_M = 1000.0
