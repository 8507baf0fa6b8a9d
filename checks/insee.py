"""Pandera models for the staged INSEE tables and their observations, and cross-table checks.

Cross checks return the offending rows (empty frame = pass), so Dagster asset checks can report them.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from checks.observation import ObservationModel, value_iff_published
from models.observation import PERIOD_TYPES

STAGED_STATUSES = ("published", "suppressed", "missing", "not_applicable")
TERRITORY_KINDS = (
    "qpv2015",
    "qpv2024",
    "commune",
    "epci",
    "departement",
    "region",
    "france",
    "iris",
    "ensemble_qpv",
)


class StagedInseeModel(pa.DataFrameModel):
    dataset: str
    release: str = pa.Field(str_matches=r"^(20\d\d|any)$")
    geo_version: str
    territory_kind: str
    codgeo: str
    libgeo: str = pa.Field(nullable=True)
    libcom: str = pa.Field(nullable=True)
    variable: str = pa.Field(str_matches=r"^[A-Z0-9_]+$")
    block: str
    period: str = pa.Field(nullable=True, str_matches=r"^20\d\d(-Q[1-4]|-\d\d-\d\d)?$")
    period_type: str = pa.Field(nullable=True, isin=list(PERIOD_TYPES))
    period_verified: bool
    raw: str
    value: float = pa.Field(nullable=True)
    status: str = pa.Field(isin=list(STAGED_STATUSES))
    marker: str = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)
    is_aggregate: bool
    source_row: pl.Int32 = pa.Field(ge=2)

    @pa.dataframe_check
    @classmethod
    def value_iff_published(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return value_iff_published(data)

    @pa.dataframe_check
    @classmethod
    def one_geography(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("geo_version").n_unique() <= 1)

    class Config:
        strict = True


class InseeObservationModel(ObservationModel):
    territory_kind: str = pa.Field(isin=list(TERRITORY_KINDS))

    @pa.dataframe_check
    @classmethod
    def qpv_code_matches_kind(cls, data: pa.PolarsData) -> pl.LazyFrame:
        kind, code = pl.col("territory_kind"), pl.col("territory_code")
        return data.lazyframe.select(
            pl.when(kind == "qpv2015")
            .then(code.str.starts_with("QP"))
            .when(kind == "qpv2024")
            .then(code.str.starts_with("QN"))
            .otherwise(True)
        )


def numerator_exceeds_denominator(observations: pl.DataFrame) -> pl.DataFrame:
    return observations.filter(
        pl.col("numerator").is_not_null()
        & pl.col("denominator").is_not_null()
        & (pl.col("numerator") > pl.col("denominator"))
    )


def qpv_population_exceeds_communes(
    qpv_observations: pl.DataFrame, commune_observations: pl.DataFrame, links: pl.DataFrame
) -> pl.DataFrame:
    """QPVs whose population exceeds the population of their commune(s) for the same period.

    `links`: qpv_code, commune_code (one row per QPV × commune). Returns qpv_code, period,
    qpv_pop, communes_pop.
    """
    q = qpv_observations.filter(
        (pl.col("indicator_id") == "population") & (pl.col("status") == "published")
    ).select(pl.col("territory_code").alias("qpv_code"), "period", pl.col("value").alias("qpv_pop"))
    c = commune_observations.filter(
        (pl.col("indicator_id") == "population") & (pl.col("status") == "published")
    ).select(pl.col("territory_code").alias("commune_code"), "period", pl.col("value").alias("commune_pop"))
    per_qpv = (
        links.select("qpv_code", "commune_code")
        .join(c, on="commune_code", how="inner")
        .group_by("qpv_code", "period")
        .agg(pl.col("commune_pop").sum().alias("communes_pop"))
    )
    return q.join(per_qpv, on=["qpv_code", "period"], how="inner").filter(
        pl.col("qpv_pop") > pl.col("communes_pop")
    )


def vintages_mixing_geographies(observations: pl.DataFrame) -> pl.DataFrame:
    """Files (source_dataset, source_vintage, source_sha256) whose QPV rows carry more than one geography
    version, or whose QPV rows disagree with their kind (a QPV 2015 code labelled 2024 or the reverse).

    One release may exist in both geographies (Filosofi 2021 by QPV: a qp15 and a qp24 file): that is
    two files, each of one geography; a single file never mixes them."""
    qpv = observations.filter(pl.col("territory_kind").is_in(["qpv2015", "qpv2024"]))
    wrong = (pl.col("territory_kind") != pl.col("geo_version")) | (
        pl.col("territory_code").str.slice(0, 2)
        != pl.when(pl.col("territory_kind") == "qpv2015").then(pl.lit("QP")).otherwise(pl.lit("QN"))
    )
    return (
        qpv.group_by("source_dataset", "source_vintage", "source_sha256")
        .agg(
            pl.col("geo_version").unique().sort().alias("geo_versions"),
            wrong.sum().alias("mislabelled_rows"),
        )
        .filter((pl.col("geo_versions").list.len() > 1) | (pl.col("mislabelled_rows") > 0))
    )


def qpv_population_exceeds_file_communes(staged: pl.DataFrame) -> pl.DataFrame:
    """Rows of INSEE's QPV bases whose QPV population (POP_MUN) exceeds the population of its
    commune(s) given in the same row (POP_COM): codgeo, release, qpv_pop, communes_pop."""
    pop = staged.filter(pl.col("variable").is_in(["POP_MUN", "POP_COM"]) & (pl.col("status") == "published"))
    if pop.is_empty():
        return pl.DataFrame(schema={"codgeo": pl.String, "release": pl.String})
    # Two layouts of one release (DEMO_2019.csv and data_DEMO_2019_V1_QP.csv) share row numbers: key by file.
    index = ["dataset", "release", "codgeo", "source_row"]
    index += [c for c in ("source_sha256",) if c in pop.columns]
    wide = pop.pivot(on="variable", index=index, values="value")
    if not {"POP_MUN", "POP_COM"} <= set(wide.columns):
        return wide.head(0)
    return wide.filter(pl.col("POP_MUN") > pl.col("POP_COM")).rename(
        {"POP_MUN": "qpv_pop", "POP_COM": "communes_pop"}
    )
