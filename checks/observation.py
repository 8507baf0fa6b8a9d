"""The observation contract as checks: the base Pandera model every source's observations subclass, and
the rules every row of the `observation` table obeys, whatever its source (the shape itself is
models/observation.py; tests/unit/test_observation_contract.py holds warehouse/schema.sql to it)."""

from __future__ import annotations

from typing import Optional

import pandera.polars as pa
import polars as pl

from models.observation import METHODS, PERIOD_TYPES, STATUSES

# Shares of disposable income whose tax term is negative by definition (see shares_out_of_range).
SIGNED_SHARES = frozenset({"part_impots"})
INCOME_COMPOSITION_SHARES = frozenset(
    {
        "part_revenus_activite",
        "part_pensions",
        "part_revenus_patrimoine",
        "part_prestations_sociales",
        "part_impots",
    }
)


def value_iff_published(data: pa.PolarsData) -> pl.LazyFrame:
    """A value is present exactly when the status is published (a hidden figure stays NULL)."""
    return data.lazyframe.select(pl.col("value").is_not_null() == (pl.col("status") == "published"))


class ObservationModel(pa.DataFrameModel):
    """One figure: models/observation.OBSERVATION_SCHEMA. Sources subclass it to narrow kinds and periods."""

    indicator_id: str
    territory_kind: str
    territory_code: str
    geo_version: str
    period: str = pa.Field(str_matches=r"^20\d\d(-Q[1-4]|-\d\d-\d\d)?$")
    period_type: str = pa.Field(isin=list(PERIOD_TYPES))
    value: float = pa.Field(nullable=True)
    numerator: float = pa.Field(nullable=True)
    denominator: float = pa.Field(nullable=True)
    status: str = pa.Field(isin=list(STATUSES))
    method: str = pa.Field(isin=list(METHODS))
    interval_low: float = pa.Field(nullable=True)
    interval_high: float = pa.Field(nullable=True)
    source_dataset: str
    source_vintage: str
    source_sha256: str = pa.Field(nullable=True)
    # Only a not_computable row carries them; a source frame before conform_observations may lack them.
    parts_hidden: Optional[pl.Int64] = pa.Field(nullable=True, ge=1)  # noqa: UP045 (pandera reads Optional)
    parts_total: Optional[pl.Int64] = pa.Field(nullable=True, ge=1)  # noqa: UP045

    @pa.dataframe_check
    @classmethod
    def value_iff_published(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return value_iff_published(data)


def shares_out_of_range(observations: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Percentages outside [0, 100] (the tax share, negative by definition, must be in [-100, 0])."""
    pct = catalog.filter(pl.col("unit") == "percent").select("indicator_id")
    obs = observations.join(pct, on="indicator_id", how="semi").filter(pl.col("value").is_not_null())
    signed = pl.col("indicator_id").is_in(list(SIGNED_SHARES))
    # Income-composition shares (activity, pensions, property, benefits, taxes) are shares of disposable
    # income, whose tax term is negative: activity income is 100.1-111.2 % of it in real communes and
    # IRIS (FILO2019_DISP_COM PACT19, cc_filosofi_2021_COM PACT21), property income can be negative
    # (REVN_2018 PPAT) and a tax share positive (BASE_TD_FILO_DISP_IRIS_2019 DISP_PIMPOT19). Only
    # values no real decomposition gives (a misread decimal comma) are flagged.
    decomposition = pl.col("indicator_id").is_in(list(INCOME_COMPOSITION_SHARES))
    ok = (
        pl.when(decomposition)
        .then(pl.col("value").is_between(-200, 200))
        .when(signed)
        .then(pl.col("value").is_between(-100, 0))
        .otherwise(pl.col("value").is_between(0, 100))
    )
    return obs.filter(~ok)


# Methods whose figure the producer published (a grid estimate is ours, but hidden under INSEE's own
# secret rule of 11 households, so it may carry `suppressed` too).
PRODUCER_METHODS = ["published", "grid_estimate"]


def secret_not_ours(observations: pl.LazyFrame) -> pl.LazyFrame:
    """Rows breaking the status rule: « secret statistique » (`suppressed`) is the producer's word only; a
    sum or share Quartiers computes that a secret part prevents is `not_computable`, with its parts."""
    method, status = pl.col("method"), pl.col("status")
    ours_as_secret = (status == "suppressed") & ~method.is_in(PRODUCER_METHODS)
    theirs_as_ours = (status == "not_computable") & method.is_in(PRODUCER_METHODS)
    no_parts = (status == "not_computable") & (
        pl.col("parts_hidden").is_null() | pl.col("parts_total").is_null()
    )
    return observations.filter(ours_as_secret | theirs_as_ours | no_parts)
