"""Which 200 m cells a perimeter overlaps, and by how much: exact overlap areas in the grid's own CRS
(EPSG:3035), computed from the perimeter's edges without building any cell geometry (see
models/grid_estimates.py for why this base)."""

from __future__ import annotations

import numpy as np
import polars as pl
import shapely
from pyproj import Transformer

from models.grid_catalog import KEYS
from sources.filosofi_grid.parse import published_crs
from sources.filosofi_grid.settings import CELL_SIZE_M


def cell_overlaps(
    cells: pl.DataFrame,
    perimeters: pl.DataFrame,
    *,
    perimeter_crs: str | None = None,
    eps: float = 1e-9,
) -> pl.DataFrame:
    """Pairs (perimeter, cell) with a positive overlap: KEYS, `cell_index` (row of `cells`), `cell_crs`,
    `cell_x`, `cell_y`, `area_share` (share of the cell's area inside the perimeter, in (0, 1]) and `inside`
    (the cell is wholly inside, share ≥ 1 − eps).

    `cells` needs only `cell_crs`, `cell_x`, `cell_y` (south-west corner on the 200 m grid of `cell_crs`).
    `perimeters` (KEYS + `geom_wkb`) are in `perimeter_crs`, by default the published CRS of each cell grid
    (`published_crs`: Lambert-93 for the EPSG:3035 grid of metropolitan France). No cell geometry is built:
    the perimeters are reprojected to the grid CRS and their overlap with every cell of their bounding box
    is computed from the grid's integer coordinates (`grid_overlap_areas`); the pairs are then joined to
    `cells` on the integer corner."""
    pairs = overlap_pairs(cells, perimeters, perimeter_crs=perimeter_crs, eps=eps)
    corners = cells.select(pl.col("cell_x", "cell_y").cast(pl.Int64))
    return pl.concat(
        [
            perimeters.select(KEYS)[pairs["perimeter_index"]],
            pairs.select("cell_index", "cell_crs"),
            corners[pairs["cell_index"]],
            pairs.select("area_share", "inside"),
        ],
        how="horizontal",
    ).sort([*KEYS, "cell_index"])


_PAIR_SCHEMA: dict[str, pl.DataType] = {
    "perimeter_index": pl.Int64(),
    "cell_index": pl.Int64(),
    "cell_crs": pl.String(),
    "area_share": pl.Float64(),
    "inside": pl.Boolean(),
}


def overlap_pairs(
    cells: pl.DataFrame, perimeters: pl.DataFrame, *, perimeter_crs: str | None, eps: float
) -> pl.DataFrame:
    """`cell_overlaps` by row numbers only: `perimeter_index` (row of `perimeters`), `cell_index` (row of
    `cells`), `cell_crs`, `area_share`, `inside`, ordered by cell then perimeter (reading the cells' values
    in their own order is the cheaper gather)."""
    frames: list[pl.DataFrame] = []
    geoms = shapely.from_wkb(perimeters["geom_wkb"].to_numpy())
    crs_values = _grid_crs_values(cells["cell_crs"])
    for cell_crs in crs_values:
        source = perimeter_crs or published_crs(cell_crs)
        pi, ix, iy, area = _reprojected_overlap_areas(geoms, source, cell_crs, float(CELL_SIZE_M))
        share = np.minimum(area / float(CELL_SIZE_M) ** 2, 1.0)
        keep = share > eps
        pairs = pl.DataFrame(
            {
                "perimeter_index": pi[keep],
                "_key": _cell_key(ix[keep], iy[keep]),
                "area_share": share[keep],
                "inside": share[keep] >= 1.0 - eps,
            },
            schema={
                "perimeter_index": pl.Int64,
                "_key": pl.Int64,
                "area_share": pl.Float64,
                "inside": pl.Boolean,
            },
        )
        # Hash join on one integer per cell (its grid column and row), the cells of this grid only (all
        # the cells when there is one grid).
        index = cells.select(_cell_key_expr(CELL_SIZE_M).alias("_key")).with_row_index("cell_index")
        if len(crs_values) > 1:
            index = index.filter(cells["cell_crs"] == cell_crs)
        frames.append(
            pairs.join(index, on="_key", how="inner").select(
                "perimeter_index",
                pl.col("cell_index").cast(pl.Int64),
                pl.lit(cell_crs).alias("cell_crs"),
                "area_share",
                "inside",
            )
        )
    out = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=_PAIR_SCHEMA)
    return out.sort("cell_index", "perimeter_index")


def _grid_crs_values(crs: pl.Series) -> list[str]:
    """The distinct non-null CRSs of the cells, sorted (one comparison pass when there is only one)."""
    present = crs.drop_nulls() if crs.null_count() else crs
    if present.len() == 0:
        return []
    first = str(present[0])
    if bool((present == first).all()):
        return [first]
    return [str(v) for v in present.unique().sort().to_list()]


def _cell_key(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """One int64 per cell of a grid: column · 2³² + row (both well inside ±2³¹ for metric CRSs)."""
    return ix.astype(np.int64) * (1 << 32) + iy.astype(np.int64)


def _cell_key_expr(cell_size: int) -> pl.Expr:
    return (pl.col("cell_x").cast(pl.Int64) // cell_size) * (1 << 32) + pl.col("cell_y").cast(
        pl.Int64
    ) // cell_size


def to_crs(geoms: np.ndarray, source: str, target: str) -> np.ndarray:
    """Reproject shapely geometries vertex by vertex (a no-op when the CRSs are the same)."""
    if source == target or len(geoms) == 0:
        return geoms
    transformer = Transformer.from_crs(source, target, always_xy=True)

    def move(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        moved_x, moved_y = transformer.transform(x, y)
        return np.asarray(moved_x), np.asarray(moved_y)

    return np.asarray(shapely.transform(geoms, move, interleaved=False))


def _reprojected_overlap_areas(
    geoms: np.ndarray, source: str, target: str, cell_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`grid_overlap_areas(to_crs(geoms, source, target), cell_size)`, with one extraction of the vertices
    when every geometry is a (multi)polygon still valid once reprojected (the usual case): the reprojected
    vertices go straight to the area computation, rings oriented there, no polygon rebuilt but for the
    validity test. Anything else takes the general path (repair, collections, missing geometries)."""
    types = shapely.get_type_id(geoms)
    if source == target or len(geoms) == 0 or not np.isin(types, (3, 6)).all():
        return grid_overlap_areas(to_crs(geoms, source, target), cell_size)
    coords = shapely.get_coordinates(geoms)
    x, y = Transformer.from_crs(source, target, always_xy=True).transform(coords[:, 0], coords[:, 1])
    coords[:, 0], coords[:, 1] = x, y
    if not shapely.is_valid(shapely.set_coordinates(np.array(geoms, dtype=object), coords)).all():
        return grid_overlap_areas(to_crs(geoms, source, target), cell_size)
    # Same order as get_coordinates: geometry, polygon, ring. Empty polygons hold no ring.
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    count = shapely.get_num_coordinates(rings)
    ring_part = ring_part[count > 0]
    ring_of = np.repeat(np.arange(len(ring_part)), count[count > 0])
    used, ring_part = np.unique(ring_part, return_inverse=True)
    return _ring_overlap_areas(coords, ring_of, ring_part, owner[used], cell_size, orient=True)


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(polygons, index of their geometry): the polygonal parts of each geometry, invalid ones repaired
    (make_valid), lines and points of a repaired collection dropped, rings oriented (exterior
    counter-clockwise, holes clockwise)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    owner = np.flatnonzero(present)[owner]
    while True:  # collections of multipolygons (from make_valid): flatten again
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, sub_owner = shapely.get_parts(parts[multi], return_index=True)
        owner = np.concatenate([owner[~multi], owner[multi][sub_owner]])
        parts = np.concatenate([parts[~multi], sub])
    polygon = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return shapely.orient_polygons(parts[polygon]), owner[polygon]


def grid_overlap_areas(
    geoms: np.ndarray, cell_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Area of overlap of each geometry with every cell of a regular grid (cell (i, j) is the square
    [i·s, (i+1)·s] × [j·s, (j+1)·s], s = `cell_size`, in the geometries' CRS), by integer arithmetic on
    the grid and Green's theorem, without building a cell: returns (geometry index, i, j, area), one row
    per pair with a positive area.

    For a polygon with rings oriented (exterior counter-clockwise, holes clockwise), the area inside cell
    (i, j) is −Σ over boundary edges of ∫ clamp(y − j·s, 0, s) dx, x restricted to the cell's column: each
    edge is cut at the column lines; its exact integral goes to the rows it spans, and the rows below it
    get s·dx (difference array summed down each column). Vectorised over all edges of all perimeters;
    exact up to floating point (≈ 1e-6 m² for 200 m cells)."""
    polys, owner = _polygon_parts(geoms)
    rings, ring_part = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    return _ring_overlap_areas(coords, ring_of, ring_part, owner, float(cell_size), orient=False)


def _ring_overlap_areas(
    coords: np.ndarray,
    ring_of: np.ndarray,
    ring_part: np.ndarray,
    owner: np.ndarray,
    s: float,
    *,
    orient: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`grid_overlap_areas` from the vertices (`coords`, ring of each vertex `ring_of`, polygon of each
    ring `ring_part`, geometry of each polygon `owner`; every polygon has a ring, vertices in polygon,
    ring order). `orient`: the rings' orientation is not known yet (the exterior ring of each polygon is
    its first): edges of a ring turning the wrong way count with the opposite sign."""
    if len(owner) == 0:
        return (np.zeros(0, np.int64),) * 3 + (np.zeros(0, np.float64),)
    vertex_part = ring_part[ring_of]
    start = np.flatnonzero(np.r_[True, vertex_part[1:] != vertex_part[:-1]])
    ix0 = np.floor(np.minimum.reduceat(coords[:, 0], start) / s).astype(np.int64)
    iy0 = np.floor(np.minimum.reduceat(coords[:, 1], start) / s).astype(np.int64)
    nx = np.maximum(np.ceil(np.maximum.reduceat(coords[:, 0], start) / s).astype(np.int64) - ix0, 1)
    ny = np.maximum(np.ceil(np.maximum.reduceat(coords[:, 1], start) / s).astype(np.int64) - iy0, 1)
    offset = np.concatenate([[0], np.cumsum(nx * ny)])
    total = int(offset[-1])

    # Vertices of every ring, in coordinates local to their part's grid origin (keeps the numbers small),
    # with the (column, row) of their cell in the part's box and its flat index (column-major in a part).
    vx = coords[:, 0] - (ix0 * s)[vertex_part]
    vy = coords[:, 1] - (iy0 * s)[vertex_part]
    vcol = np.minimum(np.maximum(np.floor(vx / s), 0), (nx - 1)[vertex_part]).astype(np.int64)
    vrow = np.minimum(np.maximum(np.floor(vy / s), 0), (ny - 1)[vertex_part]).astype(np.int64)
    vcell = offset[:-1][vertex_part] + vcol * ny[vertex_part] + vrow
    # Edges: vertex k → k + 1 of the same ring; vertical ones add nothing to ∫ … dx.
    edge = (ring_of[:-1] == ring_of[1:]) & (vx[:-1] != vx[1:])
    # Fast path, nearly every edge: both ends in one cell. With weight −σ·|dx| = xa − xb (edges running
    # left, the top of a CCW ring, add area), it adds weight · (mean y − row·s) to that cell and weight · s
    # to every cell below it in the column. Computed on every vertex pair, weight 0 off the fast path.
    simple = edge & (vcell[:-1] == vcell[1:])
    weight = np.where(simple, vx[:-1] - vx[1:], 0.0)
    flip = np.ones(len(ring_part))
    if orient:  # shoelace per ring: exterior rings must turn counter-clockwise, holes clockwise
        same_ring = ring_of[:-1] == ring_of[1:]
        twice_area = np.bincount(
            ring_of[:-1][same_ring],
            weights=(vx[:-1] * vy[1:] - vx[1:] * vy[:-1])[same_ring],
            minlength=len(ring_part),
        )
        exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
        flip = np.where(exterior == (twice_area >= 0), 1.0, -1.0)
        weight *= flip[ring_of[:-1]]
    row = vrow[:-1]
    height = np.minimum(np.maximum((vy[:-1] + vy[1:]) / 2 - row * s, 0.0), s)
    area = np.bincount(vcell[:-1], weights=weight * height, minlength=total)
    drop = np.bincount(
        np.maximum(vcell[:-1] - 1, 0), weights=np.where(row >= 1, weight * s, 0.0), minlength=total
    )

    # The other edges, cut at the column lines: one piece per column they cross.
    edge = np.flatnonzero(edge & ~simple)
    part = vertex_part[edge]
    xa, ya, xb, yb = vx[edge], vy[edge], vx[edge + 1], vy[edge + 1]
    sign = np.where(xb > xa, -1.0, 1.0)
    xl, xr = np.minimum(xa, xb), np.maximum(xa, xb)
    c0 = np.clip(np.floor(xl / s).astype(np.int64), 0, nx[part] - 1)
    c1 = np.clip(np.ceil(xr / s).astype(np.int64) - 1, c0, nx[part] - 1)
    e, col = _expand(c0, c1)
    p = part[e]
    left = np.maximum(xl[e], col * s)
    right = np.minimum(xr[e], (col + 1) * s)
    width = right - left
    keep = width > 0
    e, col, p, left, right, width = e[keep], col[keep], p[keep], left[keep], right[keep], width[keep]
    dx = xb[e] - xa[e]
    t_left = np.clip((left - xa[e]) / dx, 0.0, 1.0)
    t_right = np.clip((right - xa[e]) / dx, 0.0, 1.0)
    y_left = ya[e] + t_left * (yb[e] - ya[e])
    y_right = ya[e] + t_right * (yb[e] - ya[e])
    piece_weight = sign[e] * width * flip[ring_of[edge]][e]
    at = offset[p] + col * ny[p]

    # Rows the piece spans: exact integral of clamp(y − row·s, 0, s) along the piece.
    ylo, yhi = np.minimum(y_left, y_right), np.maximum(y_left, y_right)
    r0 = np.clip(np.floor(ylo / s).astype(np.int64), 0, ny[p] - 1)
    r1 = np.clip(np.floor(yhi / s).astype(np.int64), r0, ny[p] - 1)
    k, row = _expand(r0, r1)
    area += np.bincount(
        at[k] + row,
        weights=piece_weight[k] * _mean_clamped(y_left[k] - row * s, y_right[k] - row * s, s),
        minlength=total,
    )
    # Rows below the piece: the whole strip of the column under it, s · width each (summed down).
    below = r0 >= 1
    drop += np.bincount(at[below] + r0[below] - 1, weights=piece_weight[below] * s, minlength=total)
    suffix = np.concatenate([np.cumsum(drop[::-1])[::-1], [0.0]])
    cell_part = np.repeat(np.arange(len(owner)), nx * ny)
    flat = np.arange(total)
    local = flat - offset[cell_part]
    col_all, row_all = local // ny[cell_part], local % ny[cell_part]
    column_end = offset[cell_part] + (col_all + 1) * ny[cell_part]
    area = area + suffix[flat] - suffix[column_end]
    area = np.clip(area, 0.0, s * s)
    hit = area > 0
    frame = pl.DataFrame(
        {
            "g": owner[cell_part[hit]].astype(np.int64),
            "i": (ix0[cell_part] + col_all)[hit],
            "j": (iy0[cell_part] + row_all)[hit],
            "area": area[hit],
        }
    )
    if len(owner) > len(np.unique(owner)):  # parts of one multipolygon may share a cell: add them up
        frame = frame.group_by("g", "i", "j").agg(pl.col("area").sum().clip(upper_bound=s * s))
    frame = frame.sort("g", "i", "j")
    return (
        frame["g"].to_numpy(),
        frame["i"].to_numpy(),
        frame["j"].to_numpy(),
        frame["area"].to_numpy(),
    )


def _expand(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [first[k], last[k]] (last ≥ first): (k repeated, every value of its range)."""
    count = last - first + 1
    k = np.repeat(np.arange(len(first)), count)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    return k, first[k] + np.arange(len(k)) - starts[k]


def _mean_clamped(y0: np.ndarray, y1: np.ndarray, s: float) -> np.ndarray:
    """Mean of clamp(y, 0, s) for y running linearly from y0 to y1 (split at 0 and s: exact, no 0/0)."""
    dy = y1 - y0
    flat = np.abs(dy) < 1e-12
    safe = np.where(flat, 1.0, dy)
    t_at_0 = np.clip(-y0 / safe, 0.0, 1.0)
    t_at_s = np.clip((s - y0) / safe, 0.0, 1.0)
    lo, hi = np.minimum(t_at_0, t_at_s), np.maximum(t_at_0, t_at_s)
    h_lo = np.clip(y0 + lo * dy, 0.0, s)
    h_hi = np.clip(y0 + hi * dy, 0.0, s)
    above = np.where(dy > 0, 1.0 - t_at_s, t_at_s)  # part of the run above s (y increasing or not)
    mean = (hi - lo) * (h_lo + h_hi) / 2 + s * above
    return np.where(flat, np.clip((y0 + y1) / 2, 0.0, s), mean)
