"""Estimates on arbitrary perimeters (QPV 2024, QPV 2015…) from the Filosofi 200 m grid.

Method (architecture.md, "Methods that must be right"): every cell touching a perimeter contributes its counts
weighted by the share of the cell's area inside the perimeter (the cell's population is taken as spread
evenly over the cell). With each count comes a bound that needs no assumption at all: `interval_low` = sum
over the cells wholly inside, `interval_high` = sum over every cell that overlaps the perimeter (a cell
sharing only an edge or a corner does not overlap). Rates are recomputed from the estimated numerator and
denominator, never averaged. Medians and deciles cannot be rebuilt from cells: they are listed with status
`not_applicable` ("non estimable"). A figure derived from fewer than 11 households is never published.

Inputs are polars frames; geometry is WKB in the perimeter CRS (Lambert-93, EPSG:2154, for metropolitan
France), and the cells come from `sources.filosofi_grid` (column `geom_wkb`, same CRS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely

from models.observation import INDICATOR_SCHEMA, conform_observations

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


def cell_overlaps(cells: pl.DataFrame, perimeters: pl.DataFrame, *, eps: float = 1e-9) -> pl.DataFrame:
    """Pairs (perimeter, cell) with a positive overlap: KEYS, `cell_index` (row of `cells`), `area_share`
    (share of the cell's area inside the perimeter, in (0, 1]) and `inside` (the cell is wholly inside)."""
    cell_geoms = shapely.from_wkb(cells["geom_wkb"].to_numpy())
    perim_geoms = shapely.from_wkb(perimeters["geom_wkb"].to_numpy())
    invalid = ~shapely.is_valid(perim_geoms)
    if invalid.any():
        perim_geoms[invalid] = shapely.make_valid(perim_geoms[invalid])
    tree = shapely.STRtree(cell_geoms)
    pi, ci = tree.query(perim_geoms, predicate="intersects")
    shapely.prepare(perim_geoms)
    inside = shapely.covers(perim_geoms[pi], cell_geoms[ci])
    cell_area = shapely.area(cell_geoms)
    share = np.ones(len(pi), dtype=np.float64)
    cut = ~inside
    if cut.any():
        inter = shapely.intersection(perim_geoms[pi[cut]], cell_geoms[ci[cut]])
        share[cut] = np.minimum(shapely.area(inter) / cell_area[ci[cut]], 1.0)
    inside = inside | (share >= 1.0 - eps)
    keep = share > eps
    pairs = pl.DataFrame(
        {
            "perimeter_index": pi[keep].astype(np.int64),
            "cell_index": ci[keep].astype(np.int64),
            "area_share": share[keep],
            "inside": inside[keep],
        }
    )
    keys = (
        perimeters.select(KEYS)
        .with_row_index("perimeter_index")
        .with_columns(pl.col("perimeter_index").cast(pl.Int64))
    )
    return pairs.join(keys, on="perimeter_index", how="left").drop("perimeter_index")


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
) -> GridEstimates:
    """Grid estimates of every indicator for every perimeter (frame with KEYS + geom_wkb).

    `cells`: the staged grid (sources.filosofi_grid), geometry in the perimeters' CRS. `period`: the data
    year (e.g. "2019"); `source_vintage`: the release label; `sha256`: of the downloaded grid file.
    Perimeters touching no cell get counts 0 and, having fewer than `min_households`, are suppressed."""
    cells = _with_derived(cells)
    value_cols = sorted(
        {c for c, *_ in COUNT_INDICATORS.values()}
        | {v for num, den, *_ in RATE_INDICATORS.values() for v in (num, den)}
    )
    pairs = cell_overlaps(cells, perimeters)
    attrs = (
        cells.select([*value_cols, "imputed_200m"])
        .with_row_index("cell_index")
        .with_columns(pl.col("cell_index").cast(pl.Int64))
    )
    pairs = pairs.join(attrs, on="cell_index", how="left")

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
    out = base
    inside = pl.col("inside")
    for ind_id, (num, den, _scale, _unit, kind, _label) in RATE_INDICATORS.items():
        a = pl.col(num).filter(inside).sum()
        b = pl.col(den).filter(inside).sum()
        if kind == "part":
            x = pl.col(num).filter(~inside).sum()
            y = pl.col(den).filter(~inside).sum()
            part = pairs.group_by(KEYS).agg(a.alias("a"), b.alias("b"), x.alias("x"), y.alias("y"))
            part = part.select(
                *KEYS,
                _safe_div(pl.col("a"), pl.col("b") + pl.col("y") - pl.col("x")).alias(f"{ind_id}__lo"),
                _safe_div(pl.col("a") + pl.col("x"), pl.col("b") + pl.col("x")).alias(f"{ind_id}__hi"),
            )
        else:
            part = _homogeneous_bounds(pairs, num, den, ind_id)
        out = out.join(part, on=KEYS, how="left")
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
