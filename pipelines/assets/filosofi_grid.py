"""Filosofi 200 m grid ("données carroyées"): staged cells, estimates on the QPV perimeters of both
geographies (with bounds), their quality, the error of the method against INSEE's published 2015-QPV
figures, and fragile zones (poor pockets outside the QPVs)."""

import polars as pl
from dagster import AssetCheckResult, AssetOut, Config, MetadataValue, Output, asset, asset_check, multi_asset

from checks import filosofi_grid as checks
from models.fragile_zones import ZONE_SCHEMA, FragileZoneSettings, detect_fragile_zones
from models.grid_catalog import indicator_catalog
from models.grid_error import grid_error_against_published
from models.grid_estimates import estimate_on_perimeters
from models.observation import empty_observations
from models.territory import qpv_perimeters
from pipelines.resources import SourcesResource
from sources.filosofi_grid import STAGED_SCHEMA, parse_filosofi_grid_csv
from sources.filosofi_grid import settings as gs

GROUP = "filosofi_grid"
LICENCE = gs.LICENCE
DATASET = gs.DATASET
CELL_COLUMNS: dict[str, pl.DataType] = {**STAGED_SCHEMA, "release": pl.String(), "source_sha256": pl.String()}
QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "geo_version": pl.String(),
    "cells_inside": pl.Int64(),
    "cells_cut": pl.Int64(),
    "cut_estimate_share": pl.Float64(),
    "cut_cells_population_share": pl.Float64(),
    "imputed_population_share": pl.Float64(),
    "suppressed": pl.Boolean(),
    "period": pl.String(),
    "source_vintage": pl.String(),
}
ERROR_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "published_indicator_id": pl.String(),
    "geography": pl.String(),
    "grid_period": pl.String(),
    "published_periods": pl.String(),
    "n_territories": pl.Int64(),
    "mean_absolute_error": pl.Float64(),
    "mean_relative_error": pl.Float64(),
    "max_absolute_error": pl.Float64(),
    "mean_error": pl.Float64(),
    "share_within_interval": pl.Float64(),
}


def _preview(frame: pl.DataFrame, n: int = 10) -> MetadataValue:
    return MetadataValue.md(frame.drop("geom_wkb", strict=False).head(n).to_pandas().to_markdown(index=False))


@asset(group_name=GROUP, compute_kind="polars")
def stg_filosofi_grid(sources: SourcesResource) -> pl.DataFrame:
    """Filosofi 200 m cells (INSEE carreaux_200m_met.csv): households, individuals, poor households,
    age bands, dwellings, income sums, one row per inhabited cell with its EPSG:3035 corner as integers
    (no geometry: the square is [x, x + 200] × [y, y + 200]); `release` = the data year of the grid.
    Optional with local files (the national file is large)."""
    frames = []
    for ob in sources.obtain(DATASET, required=False if sources.files else None):
        cells = checks.FilosofiGridCells.validate(parse_filosofi_grid_csv(ob.file.path, territories=["met"]))
        frames.append(
            cells.with_columns(
                pl.lit(ob.layout.vintage).alias("release"), pl.lit(ob.file.sha256).alias("source_sha256")
            )
        )
    if not frames:
        return pl.DataFrame(schema=CELL_COLUMNS)
    latest = max(f["release"][0] for f in frames)  # one grid year per build: the latest given
    return pl.concat([f for f in frames if f["release"][0] == latest]).select(
        [pl.col(c).cast(t) for c, t in CELL_COLUMNS.items()]
    )


@multi_asset(
    group_name=GROUP,
    compute_kind="shapely",
    outs={"grid_estimate": AssetOut(), "grid_quality": AssetOut()},
)
def grid_estimate(
    stg_filosofi_grid: pl.DataFrame, territory: pl.DataFrame
) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """Estimates on every QPV perimeter of both geographies from the 200 m cells: counts weighted by the
    share of each cell inside the perimeter, with a bound [cells wholly inside, cells touching]; rates
    recomputed from the estimated counts, with their bound; medians and deciles `not_applicable`
    ("non estimable"); below 11 households, suppressed. `grid_quality`: per perimeter, cells inside and
    cut, the share of the estimate from cut cells and from INSEE-imputed cells."""
    perimeters = qpv_perimeters(territory)
    if stg_filosofi_grid.is_empty() or perimeters.is_empty():
        return (
            Output(empty_observations(), output_name="grid_estimate"),
            Output(pl.DataFrame(schema=QUALITY_SCHEMA), output_name="grid_quality"),
        )
    release = str(stg_filosofi_grid["release"][0])
    shas = stg_filosofi_grid["source_sha256"].unique().to_list()
    est = estimate_on_perimeters(
        stg_filosofi_grid.drop("release", "source_sha256"),
        perimeters,
        period=release,
        source_vintage=release,
        sha256=str(shas[0]),
    )
    observations = checks.GridEstimateObservations.validate(est.observations)
    quality = checks.GridEstimateQuality.validate(est.quality).with_columns(
        pl.lit(release).alias("period"), pl.lit(release).alias("source_vintage")
    )
    return (
        Output(observations, output_name="grid_estimate"),
        Output(quality.select(list(QUALITY_SCHEMA)), output_name="grid_quality"),
    )


@asset(group_name=GROUP, compute_kind="polars")
def grid_indicator() -> pl.DataFrame:
    """The grid indicators (counts, rates, and the median-type ones marked not estimable)."""
    return indicator_catalog()


@asset(group_name=GROUP, compute_kind="polars")
def grid_error(grid_estimate: pl.DataFrame, insee_observation: pl.DataFrame) -> Output[pl.DataFrame]:
    """The measured error of the grid method on the 2015 perimeters, against the figures INSEE published
    for the same QPVs (population ↔ individuals, poverty rate ↔ share of poor households, households):
    per indicator, QPVs compared, mean absolute and relative error, bias, and the share of published
    figures inside the estimate's bound. Published figures of the period closest to the grid's year."""
    frames = [
        grid_error_against_published(insee_observation, grid_estimate, geography=g) for g in ("qpv2015",)
    ]
    out = pl.concat([f.select([pl.col(c).cast(t) for c, t in ERROR_SCHEMA.items()]) for f in frames])
    meta = {
        f"{r['indicator_id']}/mean_relative_error": float(r["mean_relative_error"] or 0.0)
        for r in out.iter_rows(named=True)
    }
    return Output(out, metadata={**meta, "table": _preview(out)})


class FragileZoneConfig(Config):
    """Thresholds of the fragile-zone method (defaults: models.fragile_zones.FragileZoneSettings)."""

    poverty_ratio: float = FragileZoneSettings.poverty_ratio
    min_households: float = FragileZoneSettings.min_households
    min_individuals: float = FragileZoneSettings.min_individuals
    contiguity: str = FragileZoneSettings.contiguity


@asset(group_name=GROUP, compute_kind="shapely")
def fragile_zone(
    config: FragileZoneConfig,
    stg_filosofi_grid: pl.DataFrame,
    territory: pl.DataFrame,
    territory_link: pl.DataFrame,
) -> Output[pl.DataFrame]:
    """Fragile zones: contiguous 200 m cells outside the current QPVs whose household poverty rate is at
    least `poverty_ratio` times their EPCI's, holding ≥ `min_households` households or
    ≥ `min_individuals` individuals (never below 11 households); with their figures and merged geometry."""
    settings = FragileZoneSettings(
        poverty_ratio=config.poverty_ratio,
        min_households=config.min_households,
        min_individuals=config.min_individuals,
        contiguity=config.contiguity,
    )
    perimeters = qpv_perimeters(territory)
    current = perimeters.filter(pl.col("territory_kind") == "qpv2024")
    qpvs = current if current.height else perimeters
    commune_epci = territory_link.filter(
        (pl.col("child_kind") == "commune") & (pl.col("parent_kind") == "epci")
    ).select(pl.col("child_code").alias("commune_code"), pl.col("parent_code").alias("epci_code"))
    if stg_filosofi_grid.is_empty():
        zones = pl.DataFrame(schema=ZONE_SCHEMA)
    else:
        zones = detect_fragile_zones(stg_filosofi_grid, qpvs, commune_epci, settings=settings)
    zones = checks.FragileZones.validate(zones)
    release = str(stg_filosofi_grid["release"][0]) if stg_filosofi_grid.height else None
    out = zones.with_columns(pl.lit(release, pl.String).alias("period"))
    return Output(
        out,
        metadata={"zones": out.height, "settings": str(settings), "zones_preview": _preview(out)},
    )


@asset_check(asset="grid_estimate", blocking=True, description="Every grid estimate lies within its bound")
def grid_estimates_within_bounds(grid_estimate: pl.DataFrame) -> AssetCheckResult:
    v, lo, hi = pl.col("value"), pl.col("interval_low"), pl.col("interval_high")
    bad = grid_estimate.filter(v.is_not_null() & lo.is_not_null() & ((v < lo - 1e-6) | (v > hi + 1e-6)))
    return AssetCheckResult(passed=bad.is_empty(), metadata={"rows": bad.height, "examples": _preview(bad)})


@asset_check(
    asset="grid_estimate", blocking=True, description="No grid-derived count published below 11 households"
)
def grid_confidentiality(grid_estimate: pl.DataFrame) -> AssetCheckResult:
    men = grid_estimate.filter(
        (pl.col("indicator_id") == "filo_grid_men")
        & (pl.col("status") == "estimated")
        & (pl.col("value") < 11)
    )
    return AssetCheckResult(passed=men.is_empty(), metadata={"rows": men.height})


ASSETS = [stg_filosofi_grid, grid_estimate, grid_indicator, grid_error, fragile_zone]
CHECKS = [grid_estimates_within_bounds, grid_confidentiality]
PUBLISHED = ["grid_quality", "grid_error", "fragile_zone"]
STAGED = ["stg_filosofi_grid"]
OBSERVATIONS = ["grid_estimate"]
CATALOGS = ["grid_indicator"]
