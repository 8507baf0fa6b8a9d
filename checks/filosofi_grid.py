"""Pandera models of the staged Filosofi 200 m grid, of the grid estimates and of the fragile zones."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from models.observation import STATUSES


class FilosofiGridCells(pa.DataFrameModel):
    """Staged grid (sources.filosofi_grid.STAGED_SCHEMA): one row per inhabited cell, integer corner, no
    geometry."""

    territory: str = pa.Field(isin=["met", "mart", "reun"])
    cell_id: str = pa.Field(unique=True, str_matches=r"^CRS\d+RES200mN\d+E\d+$")
    cell_crs: str = pa.Field(str_matches=r"^EPSG:\d+$")
    cell_x: int = pa.Field()
    cell_y: int = pa.Field()
    imputed_200m: bool = pa.Field()
    imputed_1km: bool = pa.Field()
    lcog_geo: str = pa.Field(nullable=True)
    ind: float = pa.Field(nullable=True, ge=0)
    men: float = pa.Field(nullable=True, ge=0)
    men_pauv: float = pa.Field(nullable=True, ge=0)
    men_1ind: float = pa.Field(nullable=True, ge=0)
    men_5ind: float = pa.Field(nullable=True, ge=0)
    men_prop: float = pa.Field(nullable=True, ge=0)
    men_fmp: float = pa.Field(nullable=True, ge=0)
    ind_snv: float = pa.Field(nullable=True, ge=0)
    men_surf: float = pa.Field(nullable=True, ge=0)
    men_coll: float = pa.Field(nullable=True, ge=0)
    men_mais: float = pa.Field(nullable=True, ge=0)
    log_soc: float = pa.Field(nullable=True, ge=0)

    class Config:
        strict = False

    @pa.dataframe_check
    @classmethod
    def no_cell_geometry(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # Staging keeps the integer corners only; polygons are built for the few cells that need them.
        has_geometry = "geom_wkb" in data.lazyframe.collect_schema().names()
        return data.lazyframe.select(pl.lit(not has_geometry).alias("no_cell_geometry"))

    @pa.dataframe_check
    @classmethod
    def corner_on_grid(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("cell_x") % 200 == 0) & (pl.col("cell_y") % 200 == 0))

    @pa.dataframe_check
    @classmethod
    def poor_households_within_households(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # Imputed cells are modelled: allow rounding (0.5 household).
        return data.lazyframe.select((pl.col("men_pauv") <= pl.col("men") + 0.5).fill_null(True))


class GridEstimateObservations(pa.DataFrameModel):
    """Grid estimates in the observation shape."""

    indicator_id: str = pa.Field(str_startswith="filo_grid_")
    territory_kind: str = pa.Field()
    territory_code: str = pa.Field()
    geo_version: str = pa.Field()
    period: str = pa.Field()
    value: float = pa.Field(nullable=True)
    numerator: float = pa.Field(nullable=True, ge=0)
    denominator: float = pa.Field(nullable=True, ge=0)
    status: str = pa.Field(isin=list(STATUSES))
    method: str = pa.Field(isin=["grid_estimate"])
    interval_low: float = pa.Field(nullable=True)
    interval_high: float = pa.Field(nullable=True)
    source_dataset: str = pa.Field(isin=["filosofi_grid"])
    source_vintage: str = pa.Field()
    source_sha256: str = pa.Field()

    class Config:
        strict = False
        unique = ("indicator_id", "territory_kind", "territory_code", "geo_version", "period")

    @pa.dataframe_check
    @classmethod
    def value_iff_estimated(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("value").is_not_null() == (pl.col("status") == "estimated"))

    @pa.dataframe_check
    @classmethod
    def value_within_interval(cls, data: pa.PolarsData) -> pl.LazyFrame:
        tol = 1e-6
        return data.lazyframe.select(
            (
                (pl.col("interval_low") <= pl.col("value") + tol)
                & (pl.col("value") <= pl.col("interval_high") + tol)
            ).fill_null(True)
        )

    @pa.dataframe_check
    @classmethod
    def rate_recomputed(cls, data: pa.PolarsData) -> pl.LazyFrame:
        ratio = pl.col("numerator") / pl.col("denominator")
        ok = ((pl.col("value") - 100 * ratio).abs() < 1e-6) | ((pl.col("value") - ratio).abs() < 1e-6)
        return data.lazyframe.select(ok.fill_null(True))


class GridEstimateQuality(pa.DataFrameModel):
    territory_kind: str = pa.Field()
    territory_code: str = pa.Field()
    geo_version: str = pa.Field()
    cells_inside: int = pa.Field(ge=0)
    cells_cut: int = pa.Field(ge=0)
    cut_estimate_share: float = pa.Field(nullable=True, ge=0, le=1.000001)
    cut_cells_population_share: float = pa.Field(nullable=True, ge=0, le=1.000001)
    imputed_population_share: float = pa.Field(nullable=True, ge=0, le=1.000001)
    suppressed: bool = pa.Field()

    class Config:
        strict = True
        unique = ("territory_kind", "territory_code", "geo_version")


class FragileZones(pa.DataFrameModel):
    zone_id: str = pa.Field(unique=True)
    epci_code: str = pa.Field()
    households: float = pa.Field(ge=11)  # never a zone below the confidentiality threshold
    individuals: float = pa.Field(ge=0)
    poor_households: float = pa.Field(ge=0)
    poverty_rate: float = pa.Field(ge=0, le=100)
    epci_poverty_rate: float = pa.Field(ge=0, le=100)
    cells: int = pa.Field(ge=1)
    geom_wkb: pl.Binary = pa.Field()

    class Config:
        strict = False

    @pa.dataframe_check
    @classmethod
    def poor_within_households(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("poor_households") <= pl.col("households"))
