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

from models.grid_catalog import (
    _DERIVED,
    _HOUSEHOLD_COLUMNS,
    COUNT_INDICATORS,
    KEYS,
    METHOD,
    MIN_HOUSEHOLDS,
    NOT_ESTIMABLE_INDICATORS,
    RATE_INDICATORS,
    SOURCE_DATASET,
)
from models.grid_overlap import overlap_pairs
from models.observation import conform_observations


@dataclass(frozen=True)
class GridEstimates:
    """`observations`: OBSERVATION_SCHEMA rows. `quality`: one row per perimeter (see `_quality`)."""

    observations: pl.DataFrame
    quality: pl.DataFrame


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
    found = overlap_pairs(cells, perimeters, perimeter_crs=perimeter_crs, eps=1e-9)
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
