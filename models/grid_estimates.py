"""Estimates on arbitrary perimeters (QPV 2024, QPV 2015…) from the Filosofi 200 m grid.

Method (architecture.md, "Methods that must be right"): every cell touching a perimeter contributes its counts
weighted by the share of the cell's area inside the perimeter (the cell's population is taken as spread
evenly over the cell). With each count comes a bound that needs no assumption at all: `interval_low` = sum
over the cells wholly inside, `interval_high` = sum over every cell that overlaps the perimeter (a cell
sharing only an edge or a corner does not overlap). Rates are recomputed from the estimated numerator and
denominator, never averaged. Medians and deciles cannot be rebuilt from cells: they are listed with status
`not_applicable` ("non estimable"). A figure derived from fewer than 11 households is never published.

Inputs are polars frames: the perimeters as WKB in Lambert-93 (EPSG:2154, metropolitan France), the cells
from `sources.filosofi_grid` as integer corners only (`cell_crs`, `cell_x`, `cell_y`, no geometry).

Conformance (`cell_overlaps`) is computed in the grid's own CRS, EPSG:3035 (ETRS89-LAEA) for metropolitan
France, not in Lambert-93: the ~3,000 perimeters are reprojected vertex by vertex (cheap) rather than the
2.3 M cells, the cells of each perimeter's bounding box are enumerated from the integer grid, and the
overlap area of each cell is computed exactly from the perimeter's edges (`grid_overlap_areas`), so no
cell geometry is ever built. The share is area ∩ / 40,000 m². EPSG:3035 is the better base for it: it is
equal-area and the cell is exactly the 200 m square INSEE defines there, whereas Lambert-93 is conformal
(areas scaled by a factor that varies in space) and a cell reprojected to it is only approximated by
the chords between its reprojected corners. The documented method (share of the cell's area inside
the perimeter, population spread evenly) is unchanged; the two bases differ by a few millionths of a cell
(the perimeter's edges, straight in Lambert-93, are straight chords in EPSG:3035 too, off by far under a
millimetre over edges of tens of metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely
from pyproj import Transformer

from models.observation import INDICATOR_SCHEMA, conform_observations
from sources.filosofi_grid.parse import published_crs
from sources.filosofi_grid.settings import CELL_SIZE_M

SOURCE_DATASET = "filosofi_grid"
METHOD = "grid_estimate"
MIN_HOUSEHOLDS = 11
KEYS = ["territory_kind", "territory_code", "geo_version"]

# Counts that are sums over the cell (indicator id → cell column). `household` marks counts of households:
# below MIN_HOUSEHOLDS they are suppressed.
COUNT_INDICATORS: dict[str, tuple[str, bool, str, str]] = {
    # id: (column, is a household count, unit, French label)
    "filo_grid_ind": ("ind", False, "count", "Individus (ménages fiscaux)"),
    "filo_grid_men": ("men", True, "count", "Ménages fiscaux"),
    "filo_grid_men_pauv": ("men_pauv", True, "count", "Ménages pauvres"),
    "filo_grid_men_1ind": ("men_1ind", True, "count", "Ménages d'une personne"),
    "filo_grid_men_5ind": ("men_5ind", True, "count", "Ménages de 5 personnes ou plus"),
    "filo_grid_men_prop": ("men_prop", True, "count", "Ménages propriétaires"),
    "filo_grid_men_fmp": ("men_fmp", True, "count", "Ménages monoparentaux"),
    "filo_grid_men_coll": ("men_coll", True, "count", "Ménages en logement collectif"),
    "filo_grid_men_mais": ("men_mais", True, "count", "Ménages en maison"),
    "filo_grid_log_soc": ("log_soc", False, "count", "Logements sociaux"),
    "filo_grid_ind_0_17": ("ind_0_17", False, "count", "Individus de moins de 18 ans"),
    "filo_grid_ind_65p": ("ind_65p", False, "count", "Individus de 65 ans ou plus"),
}

# Rates and means: (numerator column, denominator column, scale, unit, kind, label). kind "part" means the
# numerator is a subset of the denominator (households among households): its bound needs no assumption.
RATE_INDICATORS: dict[str, tuple[str, str, float, str, str, str]] = {
    "filo_grid_taux_pauvrete_men": ("men_pauv", "men", 100.0, "percent", "part", "Part de ménages pauvres"),
    "filo_grid_part_men_1ind": (
        "men_1ind",
        "men",
        100.0,
        "percent",
        "part",
        "Part de ménages d'une personne",
    ),
    "filo_grid_part_men_5ind": (
        "men_5ind",
        "men",
        100.0,
        "percent",
        "part",
        "Part de ménages de 5 personnes ou +",
    ),
    "filo_grid_part_men_prop": ("men_prop", "men", 100.0, "percent", "part", "Part de ménages propriétaires"),
    "filo_grid_part_men_fmp": ("men_fmp", "men", 100.0, "percent", "part", "Part de familles monoparentales"),
    "filo_grid_part_men_coll": ("men_coll", "men", 100.0, "percent", "part", "Part de ménages en collectif"),
    "filo_grid_part_log_soc": ("log_soc", "log_total", 100.0, "percent", "part", "Part de logements sociaux"),
    "filo_grid_part_ind_0_17": ("ind_0_17", "ind", 100.0, "percent", "part", "Part des moins de 18 ans"),
    "filo_grid_part_ind_65p": ("ind_65p", "ind", 100.0, "percent", "part", "Part des 65 ans ou plus"),
    "filo_grid_niveau_vie_moyen": ("ind_snv", "ind", 1.0, "euro", "mean", "Niveau de vie moyen (winsorisé)"),
    "filo_grid_surface_moyenne": ("men_surf", "men", 1.0, "m2", "mean", "Surface moyenne des logements"),
}

# Median-type indicators: never rebuilt from cells.
NOT_ESTIMABLE_INDICATORS: dict[str, str] = {
    "filo_grid_niveau_vie_median": "Niveau de vie médian (non estimable sur carreaux)",
    "filo_grid_niveau_vie_d1": "1er décile de niveau de vie (non estimable sur carreaux)",
    "filo_grid_niveau_vie_d9": "9e décile de niveau de vie (non estimable sur carreaux)",
    "filo_grid_rapport_interdecile": "Rapport interdécile D9/D1 (non estimable sur carreaux)",
}

# Household counts that appear as numerators: a rate on fewer than MIN_HOUSEHOLDS of them is suppressed.
_HOUSEHOLD_COLUMNS = {col for col, household, _, _ in COUNT_INDICATORS.values() if household}

_DERIVED = {
    "ind_0_17": ["ind_0_3", "ind_4_5", "ind_6_10", "ind_11_17"],
    "ind_65p": ["ind_65_79", "ind_80p"],
    "log_total": ["log_av45", "log_45_70", "log_70_90", "log_ap90", "log_inc"],
}


@dataclass(frozen=True)
class GridEstimates:
    """`observations`: OBSERVATION_SCHEMA rows. `quality`: one row per perimeter (see `_quality`)."""

    observations: pl.DataFrame
    quality: pl.DataFrame


def indicator_catalog() -> pl.DataFrame:
    """The `indicator` rows of the grid estimates (INDICATOR_SCHEMA)."""
    rows: list[dict[str, object]] = []
    for ind_id, (col, _household, unit, label) in COUNT_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": unit,
                "numerator_def": col,
                "summable": True,
                "aggregation": "sum",
            }
        )
    for ind_id, (num, den, _scale, unit, _kind, label) in RATE_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": unit,
                "numerator_def": num,
                "denominator_def": den,
                "summable": False,
                "aggregation": "ratio",
            }
        )
    for ind_id, label in NOT_ESTIMABLE_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": "euro",
                "summable": False,
                "aggregation": "not_aggregable",
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.lit("revenus").alias("theme"),
        pl.lit("Filosofi, données carroyées à 200 m (Insee)").alias("source"),
        pl.lit(METHOD).alias("method"),
        pl.lit(
            "Estimation sur carreaux de 200 m pondérés par la part de leur surface dans le périmètre"
        ).alias("definition"),
    )
    return frame.select(
        [
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in INDICATOR_SCHEMA.items()
        ]
    )


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
    pairs = _overlap_pairs(cells, perimeters, perimeter_crs=perimeter_crs, eps=eps)
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


def _overlap_pairs(
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


def _with_derived(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.with_columns(pl.sum_horizontal(cols).alias(name) for name, cols in _DERIVED.items())


def estimate_on_perimeters(
    cells: pl.DataFrame,
    perimeters: pl.DataFrame,
    *,
    period: str,
    source_vintage: str,
    sha256: str,
    min_households: float = MIN_HOUSEHOLDS,
    perimeter_crs: str | None = None,
) -> GridEstimates:
    """Grid estimates of every indicator for every perimeter (frame with KEYS + geom_wkb).

    `cells`: the staged grid (sources.filosofi_grid: cell_crs, cell_x, cell_y and the counts; no geometry).
    `perimeter_crs`: the CRS of the perimeters, by default the grid's published CRS (Lambert-93 for
    metropolitan France). `period`: the data year (e.g. "2019"); `source_vintage`: the release label;
    `sha256`: of the downloaded grid file.
    Perimeters touching no cell get counts 0 and, having fewer than `min_households`, are suppressed."""
    value_cols = sorted(
        {c for c, *_ in COUNT_INDICATORS.values()}
        | {v for num, den, *_ in RATE_INDICATORS.values() for v in (num, den)}
    )
    # Perimeters are grouped on KEYS (`_g`: row of `base`, in order of first appearance); the pairs carry
    # that integer rather than the three strings.
    grouped = (
        perimeters.select(KEYS)
        .with_row_index("_p")
        .group_by(KEYS, maintain_order=True)
        .agg(pl.col("_p"))
        .with_row_index("_g")
        .with_columns(pl.col("_g").cast(pl.Int64))
    )
    base = grouped.select("_g", *KEYS)
    group_of = grouped.select("_g", "_p").explode("_p").sort("_p")["_g"].to_numpy()
    found = _overlap_pairs(cells, perimeters, perimeter_crs=perimeter_crs, eps=1e-9)
    # Only the cells that overlap a perimeter are read (a gather on the pairs' row numbers).
    sources = sorted({c for cols in _DERIVED.values() for c in cols} | (set(value_cols) - set(_DERIVED)))
    attrs = _with_derived(cells.select(pl.col([*sources, "imputed_200m"]).gather(found["cell_index"])))
    pairs = pl.concat(
        [
            pl.DataFrame({"_g": group_of[found["perimeter_index"].to_numpy()]}, schema={"_g": pl.Int64}),
            found.select("area_share", "inside"),
            attrs.select([*value_cols, "imputed_200m"]),
        ],
        how="horizontal",
    )

    # One pass over the pairs for every sum: estimates, bounds, the `part` rates' cut sums, quality.
    inside, weighted_ind = pl.col("inside"), pl.col("ind") * pl.col("area_share")
    agg = [
        pl.len().alias("_cells"),
        inside.sum().cast(pl.Int64).alias("cells_inside"),
        (~inside).sum().cast(pl.Int64).alias("cells_cut"),
        weighted_ind.filter(~inside).sum().alias("ind_cut_weighted"),
        weighted_ind.filter(pl.col("imputed_200m")).sum().alias("ind_imputed_weighted"),
    ]
    for c in value_cols:
        agg += [
            (pl.col(c) * pl.col("area_share")).sum().alias(f"{c}__est"),
            pl.col(c).filter(inside).sum().alias(f"{c}__low"),
            pl.col(c).sum().alias(f"{c}__high"),
        ]
    agg += [pl.col(c).filter(~inside).sum().alias(f"{c}__cut") for c in sorted({*_part_columns(), "ind"})]
    sums = pairs.group_by("_g").agg(agg)
    sums = base.join(sums, on="_g", how="left", maintain_order="left").with_columns(
        pl.exclude("_g", *KEYS).fill_null(0)
    )
    sums = sums.with_columns(_part_bounds())
    for ind_id, (num, den, _scale, _unit, kind, _label) in RATE_INDICATORS.items():
        if kind != "part":
            sums = sums.join(
                _homogeneous_bounds(pairs, num, den, ind_id), on="_g", how="left", maintain_order="left"
            )

    # One row per perimeter and indicator, ordered on KEYS then indicator_id: the perimeters sorted once,
    # every (indicator, column) computed in one select, then interleaved (numpy) into the long shape.
    small = pl.col("men__est") < min_households
    columns: dict[str, dict[str, pl.Expr]] = {}
    for ind_id, (col, household, _unit, _label) in COUNT_INDICATORS.items():
        suppressed = small | (pl.col(f"{col}__est") < min_households) if household else small
        columns[ind_id] = {
            "value": pl.col(f"{col}__est"),
            "interval_low": pl.col(f"{col}__low"),
            "interval_high": pl.col(f"{col}__high"),
            "suppressed": suppressed,
        }
    for ind_id, (num, den, scale, _unit, _kind, _label) in RATE_INDICATORS.items():
        suppressed = small | (pl.col(f"{den}__est") <= 0)
        if num in _HOUSEHOLD_COLUMNS:
            suppressed = suppressed | (pl.col(f"{num}__est") < min_households)
        columns[ind_id] = {
            "value": scale * pl.col(f"{num}__est") / pl.col(f"{den}__est"),
            "numerator": pl.col(f"{num}__est"),
            "denominator": pl.col(f"{den}__est"),
            "interval_low": scale * pl.col(f"{ind_id}__lo"),
            "interval_high": scale * pl.col(f"{ind_id}__hi"),
            "suppressed": suppressed,
        }
    ids = sorted([*columns, *NOT_ESTIMABLE_INDICATORS])
    ordered = sums.sort(KEYS)
    wide = ordered.select(
        *(
            pl.when(exprs["suppressed"]).then(None).otherwise(expr).cast(pl.Float64).alias(f"{ind_id}|{name}")
            for ind_id, exprs in columns.items()
            for name, expr in exprs.items()
            if name != "suppressed"
        ),
        *(exprs["suppressed"].alias(f"{ind_id}|suppressed") for ind_id, exprs in columns.items()),
    )
    n = ordered.height
    # status codes: 0 estimated, 1 suppressed, 2 not applicable (the medians, never estimated).
    status = np.full((n, len(ids)), 2, dtype=np.int64)
    long: dict[str, pl.Series] = {}
    for name in ("value", "numerator", "denominator", "interval_low", "interval_high"):
        block = np.full((n, len(ids)), np.nan)
        for k, ind_id in enumerate(ids):
            if name in columns.get(ind_id, {}):
                block[:, k] = wide[f"{ind_id}|{name}"].to_numpy()
        # NaN only where the figure is NULL: every published figure is finite (denominators > 0).
        long[name] = pl.Series(name, block.ravel(), dtype=pl.Float64, nan_to_null=True)
    for k, ind_id in enumerate(ids):
        if ind_id in columns:
            status[:, k] = wide[f"{ind_id}|suppressed"].to_numpy().astype(np.int64)
    observations = conform_observations(
        ordered.select(KEYS)[np.repeat(np.arange(n), len(ids))].with_columns(
            pl.Series("indicator_id", ids, dtype=pl.String).gather(np.tile(np.arange(len(ids)), n)),
            *long.values(),
            pl.Series("status", ["estimated", "suppressed", "not_applicable"]).gather(status.ravel()),
            pl.lit(period).alias("period"),
            pl.lit("year").alias("period_type"),
            pl.lit(METHOD).alias("method"),
            pl.lit(SOURCE_DATASET).alias("source_dataset"),
            pl.lit(source_vintage).alias("source_vintage"),
            pl.lit(sha256).alias("source_sha256"),
        )
    )
    return GridEstimates(observations=observations, quality=_quality(sums, min_households))


def _part_columns() -> list[str]:
    return sorted(
        {c for n, d, _s, _u, kind, _l in RATE_INDICATORS.values() if kind == "part" for c in (n, d)}
    )


def _part_bounds() -> list[pl.Expr]:
    """Bounds of each `part` rate (before scaling), `<indicator>__lo` and `<indicator>__hi`, from the sums
    per perimeter over the inside cells (`<col>__low`) and the cut cells (`<col>__cut`).

    `part` (numerator households ⊆ denominator households), with a = numerator and b = denominator over the
    wholly-inside cells, X and Y over the cut cells: the perimeter may hold any part of the cut cells, so
    the rate lies in [a / (b + Y - X), (a + X) / (b + X)], an assumption-free bound."""
    bounds: list[pl.Expr] = []
    for ind_id, (num, den, _s, _u, kind, _l) in RATE_INDICATORS.items():
        if kind != "part":
            continue
        a, b = pl.col(f"{num}__low"), pl.col(f"{den}__low")
        x, y = pl.col(f"{num}__cut"), pl.col(f"{den}__cut")
        bounds += [
            _safe_div(a, b + y - x).alias(f"{ind_id}__lo"),
            _safe_div(a + x, b + x).alias(f"{ind_id}__hi"),
        ]
    return bounds


def _safe_div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(None)


def _homogeneous_bounds(pairs: pl.DataFrame, num: str, den: str, ind_id: str) -> pl.DataFrame:
    """Bounds of a `mean` rate (e.g. sum of standards of living / individuals), `<indicator>__hi` and
    `<indicator>__lo`, per perimeter `_g` of `pairs`. The individuals of a cut cell are not known one by
    one, so the bound assumes each cut cell is homogeneous (any share of it has its mean): the extremes of
    (a + Σ fᵢxᵢ) / (b + Σ fᵢyᵢ), fᵢ ∈ [0, 1] (a, b over the inside cells, x, y over the cut cells) are
    reached by taking the cut cells in order of their mean, so they are among the running sums of the cut
    cells sorted by mean, or a / b.

    numpy on the pairs (a few 10⁴ rows), with the null semantics of polars: a null count adds nothing to a
    sum; a cut cell with a null numerator sorts first and yields no candidate; one with a null or zero
    denominator is left out."""
    g = pairs["_g"].to_numpy()
    inside = pairs["inside"].to_numpy()
    x = pairs[num].cast(pl.Float64).to_numpy()
    y = pairs[den].cast(pl.Float64).to_numpy()
    size = int(g.max()) + 1 if len(g) else 0
    groups = np.flatnonzero(np.bincount(g, minlength=size))
    a = np.bincount(g[inside], weights=np.nan_to_num(x[inside], nan=0.0), minlength=size)
    b = np.bincount(g[inside], weights=np.nan_to_num(y[inside], nan=0.0), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        c0 = np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    cut = ~inside & (y > 0)  # NaN (null) > 0 is False
    gc, xc, yc = g[cut], x[cut], y[cut]
    if len(gc) and bool(np.any(gc[1:] < gc[:-1])):
        by_g = np.argsort(gc, kind="stable")
        gc, xc, yc = gc[by_g], xc[by_g], yc[by_g]
    ratio = xc / yc
    # The cut cells of each perimeter on one row of a padded matrix (a perimeter has a few dozen).
    first = np.flatnonzero(np.r_[True, gc[1:] != gc[:-1]]) if len(gc) else np.zeros(0, np.int64)
    count = np.diff(np.r_[first, len(gc)])
    row = np.repeat(np.arange(len(first)), count)
    pos = np.arange(len(gc)) - first[row]
    width = int(count.max()) if len(count) else 0
    filled = np.arange(width)[None, :] < count[:, None]
    owner = gc[first]
    x0 = np.nan_to_num(xc, nan=0.0)
    out: dict[str, np.ndarray] = {"_g": groups}
    for label, descending in (("hi", True), ("lo", False)):
        key = np.full((len(first), width), np.inf)  # padding sorts last
        key[row, pos] = np.where(np.isnan(ratio), -np.inf, -ratio if descending else ratio)  # nulls first
        src = np.where(filled, first[:, None] + np.argsort(key, axis=1, kind="stable"), 0)
        # Running sums inside each perimeter, from 0, in order of the cells' mean.
        cx = np.cumsum(np.where(filled, x0[src], 0.0), axis=1)
        cy = np.cumsum(np.where(filled, yc[src], 0.0), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cand = (a[owner][:, None] + cx) / (b[owner][:, None] + cy)
        cand = np.where(filled & ~np.isnan(xc[src]), cand, np.nan)
        reduce = np.fmax if descending else np.fmin
        best = np.full(size, np.nan)
        best[owner] = reduce.reduce(cand, axis=1) if width else np.nan
        out[f"{ind_id}__{label}"] = reduce(best, c0)[groups]
    frame = pl.DataFrame(
        out, schema={"_g": pl.Int64, f"{ind_id}__hi": pl.Float64, f"{ind_id}__lo": pl.Float64}
    )
    return frame.with_columns(pl.exclude("_g").fill_nan(None))


def _quality(sums: pl.DataFrame, min_households: float) -> pl.DataFrame:
    """Per perimeter (`sums`: KEYS and the sums of `estimate_on_perimeters`): cells wholly inside / cut,
    the estimated population and how much of it comes from cut cells and from imputed cells (INSEE models
    cells of fewer than 11 households)."""
    return sums.select(
        *KEYS,
        "cells_inside",
        "cells_cut",
        _safe_div(pl.col("ind_cut_weighted"), pl.col("ind__est")).alias("cut_estimate_share"),
        _safe_div(pl.col("ind__cut"), pl.col("ind__high")).alias("cut_cells_population_share"),
        _safe_div(pl.col("ind_imputed_weighted"), pl.col("ind__est")).alias("imputed_population_share"),
        (pl.col("men__est") < min_households).alias("suppressed"),
    )


def measure_grid_error(
    published: pl.DataFrame,
    estimates: pl.DataFrame,
    indicator_map: dict[str, str],
    *,
    match_period: bool = False,
) -> pl.DataFrame:
    """Error of the grid method against figures INSEE published on the same perimeters (e.g. QPV 2015).

    `published` and `estimates` are observation frames; `indicator_map` maps a grid indicator id to the
    published indicator id it estimates (e.g. {"filo_grid_men": "<id of the published households count>"}).
    Only pairs where both values are present are compared. Returns one row per grid indicator: number of
    perimeters compared, mean absolute error, mean relative error (|e − p| / p over p > 0), max absolute
    error, mean signed error (bias), and the share of published values inside [interval_low, interval_high].
    """
    mapping = pl.DataFrame(
        {"indicator_id": list(indicator_map), "published_indicator_id": list(indicator_map.values())},
        schema={"indicator_id": pl.String, "published_indicator_id": pl.String},
    )
    on = ["territory_kind", "territory_code", "published_indicator_id"] + (["period"] if match_period else [])
    est = estimates.filter(pl.col("value").is_not_null()).join(mapping, on="indicator_id")
    pub = published.filter(pl.col("value").is_not_null()).select(
        "territory_kind",
        "territory_code",
        *(["period"] if match_period else []),
        pl.col("indicator_id").alias("published_indicator_id"),
        pl.col("value").alias("published_value"),
    )
    joined = est.join(pub, on=on, how="inner").with_columns(
        (pl.col("value") - pl.col("published_value")).alias("_err")
    )
    within = (pl.col("published_value") >= pl.col("interval_low")) & (
        pl.col("published_value") <= pl.col("interval_high")
    )
    return (
        joined.group_by("indicator_id", "published_indicator_id")
        .agg(
            pl.len().cast(pl.Int64).alias("n_territories"),
            pl.col("_err").abs().mean().alias("mean_absolute_error"),
            (pl.col("_err").abs() / pl.col("published_value"))
            .filter(pl.col("published_value") > 0)
            .mean()
            .alias("mean_relative_error"),
            pl.col("_err").abs().max().alias("max_absolute_error"),
            pl.col("_err").mean().alias("mean_error"),
            within.filter(pl.col("interval_low").is_not_null()).mean().alias("share_within_interval"),
        )
        .sort("indicator_id")
    )


# Grid indicator → the published QPV indicator it estimates (models/insee_indicators.py). Individuals of
# fiscal households ≈ municipal population; the share of poor households ≈ the poverty rate (persons).
GRID_VS_PUBLISHED: dict[str, str] = {
    "filo_grid_ind": "population",
    "filo_grid_men": "menages_fiscaux",
    "filo_grid_taux_pauvrete_men": "taux_pauvrete_60",
}


def grid_error_against_published(
    published: pl.DataFrame,
    estimates: pl.DataFrame,
    *,
    geography: str = "qpv2015",
    indicator_map: dict[str, str] | None = None,
) -> pl.DataFrame:
    """`measure_grid_error` on the perimeters of `geography` where INSEE published the figure: for each
    QPV and published indicator, the published figure (method `published`) of the period closest to the
    grid's data year is compared. Adds `geography`, `grid_period` and `published_periods`
    (e.g. "2018,2021")."""
    mapping = indicator_map or GRID_VS_PUBLISHED
    est = estimates.filter(pl.col("territory_kind") == geography)
    if est.is_empty():
        return measure_grid_error(published.head(0), est, mapping).with_columns(
            pl.lit(geography).alias("geography"),
            pl.lit(None, pl.String).alias("grid_period"),
            pl.lit(None, pl.String).alias("published_periods"),
        )
    grid_period = str(est["period"][0])
    pub = (
        published.filter(
            (pl.col("territory_kind") == geography)
            & (pl.col("method") == "published")
            & pl.col("value").is_not_null()
            & pl.col("indicator_id").is_in(list(mapping.values()))
        )
        .with_columns(
            (pl.col("period").str.slice(0, 4).cast(pl.Int32, strict=False) - int(grid_period[:4]))
            .abs()
            .alias("_gap")
        )
        .sort(["_gap", "source_vintage"], descending=[False, True])
        .unique(
            subset=["territory_kind", "territory_code", "indicator_id"], keep="first", maintain_order=True
        )
    )
    periods = pub.group_by(pl.col("indicator_id").alias("published_indicator_id")).agg(
        pl.col("period").unique().sort().str.join(",").alias("published_periods")
    )
    return (
        measure_grid_error(pub, est, mapping)
        .join(periods, on="published_indicator_id", how="left")
        .with_columns(pl.lit(geography).alias("geography"), pl.lit(grid_period).alias("grid_period"))
    )
