"""Pandera models of the staged education tables, `school` and `school_qpv`, and coordinate checks."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl
from pandera.typing.polars import Series

from models.schools import PLACEABLE, last_per_uai

UAI_RE = r"^[0-9]{7}[A-Z]$"
COORD_STATUSES = ["ok", "missing", "imprecise", "out_of_bounds", "swapped"]
LEVELS = ["ecole", "college", "lycee"]
SECTORS = ["public", "prive"]
SERIES = ["legacy", "ap2022", "ap2023"]


class IpsStaged(pa.DataFrameModel):
    """One IPS file (sources.education_ips.parse_ips)."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    rentree: Series[pl.Int32] = pa.Field(ge=2010, le=2100)
    rentree_label: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{4}$")
    level: Series[str] = pa.Field(isin=LEVELS)
    ips_series: Series[str] = pa.Field(isin=SERIES)
    source_dataset: Series[str]
    sector: Series[str] = pa.Field(isin=SECTORS)
    ips: Series[float] = pa.Field(ge=38, le=180, nullable=True)
    ips_status: Series[str] = pa.Field(isin=["published", "suppressed"])
    ips_ecart_type: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    pupils: Series[pl.Int64] = pa.Field(ge=0, nullable=True)

    class Config:
        unique: ClassVar[list[str]] = ["uai", "rentree"]

    @pa.dataframe_check
    @classmethod
    def ips_null_iff_suppressed(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("ips").is_null() == (pl.col("ips_status") == "suppressed"))


class DirectoryStaged(pa.DataFrameModel):
    """The annuaire or the geolocation file (sources.education_annuaire)."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    sector: Series[str] = pa.Field(isin=SECTORS, nullable=True)
    level: Series[str] = pa.Field(isin=LEVELS, nullable=True)
    ep_membership: Series[str] = pa.Field(isin=["REP", "REP+", "hors EP"], nullable=True)
    lon: Series[float] = pa.Field(nullable=True)
    lat: Series[float] = pa.Field(nullable=True)
    x_l93: Series[float] = pa.Field(ge=0, le=1_300_000, nullable=True)
    y_l93: Series[float] = pa.Field(ge=6_000_000, le=7_200_000, nullable=True)
    coord_status: Series[str] = pa.Field(isin=COORD_STATUSES)
    duplicate_uai: Series[bool]

    @pa.dataframe_check
    @classmethod
    def missing_means_no_coordinates(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("coord_status") != "missing") | (pl.col("lon").is_null() | pl.col("lat").is_null())
        )


class EpStaged(pa.DataFrameModel):
    """A REP / REP+ list (sources.education_ep)."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    rentree: Series[pl.Int32] = pa.Field(ge=2010, le=2100)
    ep_status: Series[str] = pa.Field(isin=["REP", "REP+", "hors EP"])
    uai_tete_de_reseau: Series[str] = pa.Field(str_matches=UAI_RE, nullable=True)

    class Config:
        unique: ClassVar[list[str]] = ["uai", "rentree"]


class EffectifsStaged(pa.DataFrameModel):
    """Pupils per school (sources.education_effectifs)."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    rentree: Series[pl.Int32] = pa.Field(ge=2000, le=2100)
    level: Series[str] = pa.Field(isin=LEVELS)
    sector: Series[str] = pa.Field(isin=SECTORS)
    rep: Series[bool] = pa.Field(nullable=True)
    rep_plus: Series[bool] = pa.Field(nullable=True)
    pupils: Series[pl.Int64] = pa.Field(ge=0, nullable=True)

    class Config:
        unique: ClassVar[list[str]] = ["uai", "rentree"]

    @pa.dataframe_check
    @classmethod
    def not_rep_and_rep_plus(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(~(pl.col("rep").fill_null(False) & pl.col("rep_plus").fill_null(False)))


class IvaStaged(pa.DataFrameModel):
    """IVAC (sources.education_iva)."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    session: Series[pl.Int32] = pa.Field(ge=1990, le=2100)
    rentree: Series[pl.Int32]
    sector: Series[str] = pa.Field(isin=SECTORS)
    taux_de_reussite_g: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    va_du_taux_de_reussite_g: Series[float] = pa.Field(ge=-100, le=100, nullable=True)

    class Config:
        unique: ClassVar[list[str]] = ["uai", "session"]

    @pa.dataframe_check
    @classmethod
    def rentree_is_session_minus_one(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("rentree") == pl.col("session") - 1)


class School(pa.DataFrameModel):
    """models.schools.build_school."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    rentree: Series[pl.Int32] = pa.Field(ge=2000, le=2100)
    rentree_label: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{4}$")
    level: Series[str] = pa.Field(isin=LEVELS, nullable=True)
    sector: Series[str] = pa.Field(isin=SECTORS, nullable=True)
    ep_status: Series[str] = pa.Field(isin=["REP", "REP+", "hors EP", "prive"], nullable=True)
    ips: Series[float] = pa.Field(ge=38, le=180, nullable=True)
    ips_status: Series[str] = pa.Field(isin=["published", "suppressed"], nullable=True)
    ips_series: Series[str] = pa.Field(isin=SERIES, nullable=True)
    pupils: Series[pl.Int64] = pa.Field(ge=0, nullable=True)
    coord_status: Series[str] = pa.Field(isin=COORD_STATUSES)
    x_l93: Series[float] = pa.Field(nullable=True)
    y_l93: Series[float] = pa.Field(nullable=True)

    class Config:
        unique: ClassVar[list[str]] = ["uai", "rentree"]

    @pa.dataframe_check
    @classmethod
    def private_schools_are_prive(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("sector") != "prive") | (pl.col("ep_status") == "prive"))

    @pa.dataframe_check
    @classmethod
    def projected_only_if_placeable(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("x_l93").is_null() | pl.col("coord_status").is_in(list(PLACEABLE))
        )


class SchoolQpv(pa.DataFrameModel):
    """models.school_conformance.conform_schools."""

    uai: Series[str] = pa.Field(str_matches=UAI_RE)
    territory_kind: Series[str]
    territory_code: Series[str]
    geo_version: Series[str]
    relation: Series[str] = pa.Field(isin=["inside", "near"])
    distance_m: Series[float] = pa.Field(ge=0)
    coord_status: Series[str] = pa.Field(isin=list(PLACEABLE))

    class Config:
        unique: ClassVar[list[str]] = ["uai", "territory_code", "geo_version"]

    @pa.dataframe_check
    @classmethod
    def inside_has_zero_distance(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("relation") == "inside") == (pl.col("distance_m") == 0))


def schools_with_coordinate_issues(school: pl.DataFrame) -> pl.DataFrame:
    """One row per UAI whose coordinates are not `ok` (missing, imprecise, out_of_bounds, swapped).

    For an asset check: imprecise schools are placed but flagged; the others are not placed.
    """
    return (
        last_per_uai(
            school.filter(pl.col("coord_status") != "ok"),
            ["name", "commune_code", "level", "coord_status", "coord_precision", "lon", "lat"],
        )
        .with_columns(pl.col("coord_status").is_in(list(PLACEABLE)).alias("placed"))
        .sort("coord_status", "uai")
    )
