"""How far the grid method is from figures INSEE published on the same perimeters (QPV 2015)."""

from __future__ import annotations

import polars as pl


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
