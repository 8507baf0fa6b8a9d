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
    keys = (
        perimeters.select(KEYS)
        .with_row_index("perimeter_index")
        .with_columns(pl.col("perimeter_index").cast(pl.Int64))
    )
    frames: list[pl.DataFrame] = []
    geoms = shapely.from_wkb(perimeters["geom_wkb"].to_numpy())
    crs_values = cells["cell_crs"].unique().drop_nulls().sort().to_list()
    for cell_crs in crs_values:
        source = perimeter_crs or published_crs(cell_crs)
        pi, ix, iy, area = grid_overlap_areas(to_crs(geoms, source, cell_crs), float(CELL_SIZE_M))
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
        # Hash join on one integer per cell (its grid column and row), the cells of this grid only.
        grid = cells.select("cell_x", "cell_y").with_row_index("cell_index")
        if len(crs_values) > 1:
            grid = grid.filter(cells["cell_crs"] == cell_crs)
        index = grid.select(
            pl.col("cell_index").cast(pl.Int64),
            _cell_key_expr(CELL_SIZE_M).alias("_key"),
            pl.col("cell_x").cast(pl.Int64),
            pl.col("cell_y").cast(pl.Int64),
        )
        frames.append(
            pairs.join(index, on="_key", how="inner").select(
                "perimeter_index",
                "cell_index",
                pl.lit(cell_crs).alias("cell_crs"),
                "cell_x",
                "cell_y",
                "area_share",
                "inside",
            )
        )
    schema = {
        "perimeter_index": pl.Int64,
        "cell_index": pl.Int64,
        "cell_crs": pl.String,
        "cell_x": pl.Int64,
        "cell_y": pl.Int64,
        "area_share": pl.Float64,
        "inside": pl.Boolean,
    }
    out = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
    return (
        out.join(keys, on="perimeter_index", how="left")
        .select(*KEYS, "cell_index", "cell_crs", "cell_x", "cell_y", "area_share", "inside")
        .sort([*KEYS, "cell_index"])
    )


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

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(x), np.asarray(y)])

    return np.asarray(shapely.transform(geoms, move))


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
    empty = (np.zeros(0, np.int64),) * 3 + (np.zeros(0, np.float64),)
    if len(polys) == 0:
        return empty
    s = float(cell_size)
    bounds = shapely.bounds(polys)
    ix0 = np.floor(bounds[:, 0] / s).astype(np.int64)
    iy0 = np.floor(bounds[:, 1] / s).astype(np.int64)
    nx = np.maximum(np.ceil(bounds[:, 2] / s).astype(np.int64) - ix0, 1)
    ny = np.maximum(np.ceil(bounds[:, 3] / s).astype(np.int64) - iy0, 1)
    offset = np.concatenate([[0], np.cumsum(nx * ny)])
    total = int(offset[-1])

    # Edges of every ring, in coordinates local to the part's grid origin (keeps the numbers small).
    rings, ring_part = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[:-1] == ring_of[1:]
    part = ring_part[ring_of[:-1][same_ring]]
    xa = coords[:-1, 0][same_ring] - ix0[part] * s
    ya = coords[:-1, 1][same_ring] - iy0[part] * s
    xb = coords[1:, 0][same_ring] - ix0[part] * s
    yb = coords[1:, 1][same_ring] - iy0[part] * s
    moving = xa != xb  # vertical edges contribute nothing to ∫ … dx
    part, xa, ya, xb, yb = part[moving], xa[moving], ya[moving], xb[moving], yb[moving]
    sign = np.where(xb > xa, -1.0, 1.0)  # −σ: edges running left (the top of a CCW ring) add area
    xl, xr = np.minimum(xa, xb), np.maximum(xa, xb)

    # Cut each edge at the column lines: one piece per column it crosses.
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
    weight = sign[e] * width
    base = offset[p] + col * ny[p]  # flat index of (part, column, row 0): column-major inside a part

    # Rows the piece spans: exact integral of clamp(y − row·s, 0, s) along the piece.
    ylo, yhi = np.minimum(y_left, y_right), np.maximum(y_left, y_right)
    r0 = np.clip(np.floor(ylo / s).astype(np.int64), 0, ny[p] - 1)
    r1 = np.clip(np.floor(yhi / s).astype(np.int64), r0, ny[p] - 1)
    k, row = _expand(r0, r1)
    area = np.bincount(
        base[k] + row,
        weights=weight[k] * _mean_clamped(y_left[k] - row * s, y_right[k] - row * s, s),
        minlength=total,
    )
    # Rows below the piece: the whole strip of the column under it, s · width each (summed down).
    below = r0 >= 1
    drop = np.bincount(base[below] + r0[below] - 1, weights=weight[below] * s, minlength=total)
    suffix = np.concatenate([np.cumsum(drop[::-1])[::-1], [0.0]])
    cell_part = np.repeat(np.arange(len(polys)), nx * ny)
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
    if len(polys) > len(np.unique(owner)):  # parts of one multipolygon may share a cell: add them up
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
    pairs = cell_overlaps(cells, perimeters, perimeter_crs=perimeter_crs)
    # Only the cells that overlap a perimeter are read (a gather on the pairs' row numbers).
    sources = sorted({c for cols in _DERIVED.values() for c in cols} | (set(value_cols) - set(_DERIVED)))
    attrs = _with_derived(cells.select(pl.col([*sources, "imputed_200m"]).gather(pairs["cell_index"])))
    pairs = pl.concat([pairs, attrs.select([*value_cols, "imputed_200m"])], how="horizontal")

    agg = [pl.len().alias("_cells")]
    for c in value_cols:
        agg += [
            (pl.col(c) * pl.col("area_share")).sum().alias(f"{c}__est"),
            pl.col(c).filter(pl.col("inside")).sum().alias(f"{c}__low"),
            pl.col(c).sum().alias(f"{c}__high"),
        ]
    sums = pairs.group_by(KEYS).agg(agg)
    base = perimeters.select(KEYS).unique(maintain_order=True)
    sums = base.join(sums, on=KEYS, how="left").with_columns(pl.exclude(KEYS).fill_null(0))
    bounds = _rate_bounds(pairs, base)
    sums = sums.join(bounds, on=KEYS, how="left")

    small = pl.col("men__est") < min_households
    rows: list[pl.DataFrame] = []
    for ind_id, (col, household, _unit, _label) in COUNT_INDICATORS.items():
        suppressed = small | (pl.col(f"{col}__est") < min_households) if household else small
        rows.append(
            sums.select(
                *KEYS,
                pl.lit(ind_id).alias("indicator_id"),
                pl.when(suppressed).then(None).otherwise(pl.col(f"{col}__est")).alias("value"),
                pl.when(suppressed).then(None).otherwise(pl.col(f"{col}__low")).alias("interval_low"),
                pl.when(suppressed).then(None).otherwise(pl.col(f"{col}__high")).alias("interval_high"),
                pl.when(suppressed).then(pl.lit("suppressed")).otherwise(pl.lit("estimated")).alias("status"),
            )
        )
    for ind_id, (num, den, scale, _unit, _kind, _label) in RATE_INDICATORS.items():
        suppressed = small | (pl.col(f"{den}__est") <= 0)
        if num in _HOUSEHOLD_COLUMNS:
            suppressed = suppressed | (pl.col(f"{num}__est") < min_households)
        rows.append(
            sums.select(
                *KEYS,
                pl.lit(ind_id).alias("indicator_id"),
                pl.when(suppressed)
                .then(None)
                .otherwise(scale * pl.col(f"{num}__est") / pl.col(f"{den}__est"))
                .alias("value"),
                pl.when(suppressed).then(None).otherwise(pl.col(f"{num}__est")).alias("numerator"),
                pl.when(suppressed).then(None).otherwise(pl.col(f"{den}__est")).alias("denominator"),
                pl.when(suppressed)
                .then(None)
                .otherwise(scale * pl.col(f"{ind_id}__lo"))
                .alias("interval_low"),
                pl.when(suppressed)
                .then(None)
                .otherwise(scale * pl.col(f"{ind_id}__hi"))
                .alias("interval_high"),
                pl.when(suppressed).then(pl.lit("suppressed")).otherwise(pl.lit("estimated")).alias("status"),
            )
        )
    for ind_id in NOT_ESTIMABLE_INDICATORS:
        rows.append(
            base.with_columns(pl.lit(ind_id).alias("indicator_id"), pl.lit("not_applicable").alias("status"))
        )
    observations = conform_observations(
        pl.concat(rows, how="diagonal_relaxed").with_columns(
            pl.lit(period).alias("period"),
            pl.lit("year").alias("period_type"),
            pl.lit(METHOD).alias("method"),
            pl.lit(SOURCE_DATASET).alias("source_dataset"),
            pl.lit(source_vintage).alias("source_vintage"),
            pl.lit(sha256).alias("source_sha256"),
        )
    ).sort([*KEYS, "indicator_id"])
    return GridEstimates(observations=observations, quality=_quality(pairs, base, min_households))


def _rate_bounds(pairs: pl.DataFrame, base: pl.DataFrame) -> pl.DataFrame:
    """Bounds of each rate (before scaling): columns `<indicator>__lo`, `<indicator>__hi` per perimeter.

    `part` (numerator households ⊆ denominator households), with a = numerator and b = denominator over the
    wholly-inside cells, X and Y over the cut cells: the perimeter may hold any part of the cut cells, so
    the rate lies in [a / (b + Y - X), (a + X) / (b + X)], an assumption-free bound.
    `mean` (e.g. sum of standards of living / individuals): the individuals of a cut cell are not known one
    by one, so the bound assumes each cut cell is homogeneous (any share of it has its mean): the extremes
    of (a + Σ fᵢxᵢ) / (b + Σ fᵢyᵢ), fᵢ ∈ [0, 1], are reached by taking the cut cells in order of their mean.
    """
    inside = pl.col("inside")
    parts = {i: (num, den) for i, (num, den, _s, _u, kind, _l) in RATE_INDICATORS.items() if kind == "part"}
    columns = sorted({c for pair in parts.values() for c in pair})
    # One pass for every `part` rate: sums over the inside cells and over the cut cells, per perimeter.
    sums = pairs.group_by(KEYS).agg(
        *(pl.col(c).filter(inside).sum().alias(f"{c}__in") for c in columns),
        *(pl.col(c).filter(~inside).sum().alias(f"{c}__cut") for c in columns),
    )
    bounds: list[pl.Expr] = []
    for ind_id, (num, den) in parts.items():
        a, b = pl.col(f"{num}__in"), pl.col(f"{den}__in")
        x, y = pl.col(f"{num}__cut"), pl.col(f"{den}__cut")
        bounds += [
            _safe_div(a, b + y - x).alias(f"{ind_id}__lo"),
            _safe_div(a + x, b + x).alias(f"{ind_id}__hi"),
        ]
    out = base.join(sums.select(*KEYS, *bounds), on=KEYS, how="left")
    for ind_id, (num, den, _scale, _unit, kind, _label) in RATE_INDICATORS.items():
        if kind != "part":
            out = out.join(_homogeneous_bounds(pairs, num, den, ind_id), on=KEYS, how="left")
    return out


def _safe_div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(None)


def _homogeneous_bounds(pairs: pl.DataFrame, num: str, den: str, ind_id: str) -> pl.DataFrame:
    ab = pairs.group_by(KEYS).agg(
        pl.col(num).filter(pl.col("inside")).sum().alias("a"),
        pl.col(den).filter(pl.col("inside")).sum().alias("b"),
    )
    cut = pairs.filter(~pl.col("inside") & (pl.col(den) > 0)).with_columns(
        (pl.col(num) / pl.col(den)).alias("_r")
    )
    results = []
    for label, descending in (("hi", True), ("lo", False)):
        ordered = cut.sort([*KEYS, "_r"], descending=[False, False, False, descending])
        cand = (
            ordered.with_columns(
                pl.col(num).cum_sum().over(KEYS).alias("_cx"), pl.col(den).cum_sum().over(KEYS).alias("_cy")
            )
            .join(ab, on=KEYS, how="left")
            .with_columns(((pl.col("a") + pl.col("_cx")) / (pl.col("b") + pl.col("_cy"))).alias("_c"))
        )
        agg = pl.col("_c").max() if descending else pl.col("_c").min()
        extremes = cand.group_by(KEYS).agg(agg.alias("_c"))
        joined = ab.join(extremes, on=KEYS, how="left").with_columns(
            _safe_div(pl.col("a"), pl.col("b")).alias("_c0")
        )
        combine = pl.max_horizontal if descending else pl.min_horizontal
        results.append(joined.select(*KEYS, combine("_c", "_c0").alias(f"{ind_id}__{label}")))
    return results[0].join(results[1], on=KEYS, how="full", coalesce=True)


def _quality(pairs: pl.DataFrame, base: pl.DataFrame, min_households: float) -> pl.DataFrame:
    """Per perimeter: cells wholly inside / cut, the estimated population and how much of it comes from cut
    cells and from imputed cells (INSEE models cells of fewer than 11 households)."""
    w_ind = pl.col("ind") * pl.col("area_share")
    q = pairs.group_by(KEYS).agg(
        pl.col("inside").sum().cast(pl.Int64).alias("cells_inside"),
        (~pl.col("inside")).sum().cast(pl.Int64).alias("cells_cut"),
        w_ind.sum().alias("ind_estimate"),
        pl.col("ind").filter(pl.col("inside")).sum().alias("ind_inside"),
        pl.col("ind").sum().alias("ind_touching"),
        w_ind.filter(~pl.col("inside")).sum().alias("ind_cut_weighted"),
        pl.col("ind").filter(~pl.col("inside")).sum().alias("ind_cut_cells"),
        w_ind.filter(pl.col("imputed_200m")).sum().alias("ind_imputed_weighted"),
        (pl.col("men") * pl.col("area_share")).sum().alias("men_estimate"),
    )
    q = base.join(q, on=KEYS, how="left").with_columns(
        pl.col("cells_inside", "cells_cut").fill_null(0),
        pl.col(
            "ind_estimate",
            "ind_inside",
            "ind_touching",
            "ind_cut_weighted",
            "ind_cut_cells",
            "ind_imputed_weighted",
            "men_estimate",
        ).fill_null(0.0),
    )
    return q.select(
        *KEYS,
        "cells_inside",
        "cells_cut",
        _safe_div(pl.col("ind_cut_weighted"), pl.col("ind_estimate")).alias("cut_estimate_share"),
        _safe_div(pl.col("ind_cut_cells"), pl.col("ind_touching")).alias("cut_cells_population_share"),
        _safe_div(pl.col("ind_imputed_weighted"), pl.col("ind_estimate")).alias("imputed_population_share"),
        (pl.col("men_estimate") < min_households).alias("suppressed"),
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
