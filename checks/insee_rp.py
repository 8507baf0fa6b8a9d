"""Checks of the census IRIS tables: Pandera models of the staged table and of the observations, and
cross checks returning the offending rows (empty frame = pass)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from checks.observation import ObservationModel, value_iff_published

THEMES = ["population", "logement", "familles", "activite", "diplomes"]
KINDS = ["iris", "commune", "epci", "departement", "france"]


class StagedInseeRpModel(pa.DataFrameModel):
    """sources.insee_rp.STAGED_SCHEMA plus source_sha256."""

    dataset: str = pa.Field(isin=["insee_rp"])
    theme: str = pa.Field(isin=THEMES)
    vintage: str = pa.Field(str_matches=r"^20\d\d$")
    geo_version: str = pa.Field(str_matches=r"^(iris|cog)20\d\d$")
    level: str = pa.Field(isin=["iris", "commune"])
    code: str = pa.Field(str_matches=r"^(\d{5}|2[AB]\d{3})(\d{4})?$")
    com: str = pa.Field(str_matches=r"^(\d{5}|2[AB]\d{3})$")
    typ_iris: str = pa.Field(nullable=True)
    lab_iris: str = pa.Field(nullable=True)
    variable: str = pa.Field(str_matches=r"^[PC]_[A-Z0-9_]+$")
    column: str
    raw: str
    value: float = pa.Field(nullable=True, ge=0)
    status: str = pa.Field(isin=["published", "suppressed", "missing"])
    source_row: pl.Int32 = pa.Field(ge=2)
    source_sha256: str

    @pa.dataframe_check
    @classmethod
    def value_iff_published(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return value_iff_published(data)

    @pa.dataframe_check
    @classmethod
    def iris_in_its_commune(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("level") != "iris") | (pl.col("code").str.slice(0, 5) == pl.col("com"))
        )

    class Config:
        strict = True


class InseeRpObservationModel(ObservationModel):
    territory_kind: str = pa.Field(isin=KINDS)
    period: str = pa.Field(str_matches=r"^20\d\d$")
    numerator: float = pa.Field(nullable=True, ge=0)
    denominator: float = pa.Field(nullable=True, ge=0)
    source_dataset: str = pa.Field(isin=["insee_rp"])

    @pa.dataframe_check
    @classmethod
    def iris_code_matches_kind(cls, data: pa.PolarsData) -> pl.LazyFrame:
        kind, code = pl.col("territory_kind"), pl.col("territory_code")
        return data.lazyframe.select(
            pl.when(kind == "iris")
            .then(code.str.len_chars() == 9)
            .when(kind == "commune")
            .then(code.str.len_chars() == 5)
            .otherwise(True)
        )


def numerator_exceeds_denominator(observations: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Shares whose numerator exceeds the denominator (a subset larger than its whole). Indices (the
    youth index: under-20s over 60+) are not shares and are not checked. A relative tolerance of 1e-9
    absorbs the float sums of weighted estimates."""
    pct = catalog.filter(pl.col("unit") == "percent").select("indicator_id")
    return observations.join(pct, on="indicator_id", how="semi").filter(
        pl.col("numerator").is_not_null()
        & pl.col("denominator").is_not_null()
        & (pl.col("numerator") > pl.col("denominator") * (1 + 1e-9))
    )


def communes_not_sum_of_iris(observations: pl.DataFrame) -> pl.DataFrame:
    """Commune counts that differ from the sum of their IRIS counts (same indicator, file and period)."""
    counts = observations.filter(
        pl.col("method").is_in(["published", "summed"]) & pl.col("value").is_not_null()
    )
    iris = (
        counts.filter(pl.col("territory_kind") == "iris")
        .group_by(
            "indicator_id",
            pl.col("territory_code").str.slice(0, 5).alias("territory_code"),
            "period",
            "source_sha256",
        )
        .agg(pl.col("value").sum().alias("iris_sum"))
    )
    communes = counts.filter(pl.col("territory_kind") == "commune")
    return communes.join(
        iris, on=["indicator_id", "territory_code", "period", "source_sha256"], how="left"
    ).filter(
        pl.col("iris_sum").is_null()
        | ((pl.col("value") - pl.col("iris_sum")).abs() > 1e-6 * (1 + pl.col("value").abs()))
    )
