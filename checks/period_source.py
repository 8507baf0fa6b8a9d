"""What the checks of the per-period sources (CAF, job seekers) share: the columns and rules common to
their staged tables and to their observations (Pandera base models, extended by checks/caf.py and
checks/france_travail.py)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from models.observation import STATUSES

STAGED_STATUSES = ["published", "suppressed", "not_applicable"]


def totals_report_schema(
    located: dict[str, pl.DataType], extra: dict[str, pl.DataType] | None = None
) -> dict[str, pl.DataType]:
    """The columns of a totals-check report: the file, where in it (`located`: a row, a territory
    kind), the territory and period, the rule broken, the total, the sum of its parts and the
    difference, then `extra`."""
    return {
        "source_file": pl.String(),
        **located,
        "territory_code": pl.String(),
        "period": pl.String(),
        "rule": pl.String(),
        "total": pl.Float64(),
        "parts_sum": pl.Float64(),
        "difference": pl.Float64(),
        **(extra or {}),
    }


class PeriodStagedModel(pa.DataFrameModel):
    """Columns every staged per-period table has (sources/_period_csv.py classifies their cells)."""

    layout: str
    territory_code: str
    geo_version: str
    status: str = pa.Field(isin=STAGED_STATUSES)
    raw_value: str = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)
    source_file: str
    source_row: int = pa.Field(ge=2)

    @pa.dataframe_check
    def value_iff_published(cls, data: pa.PolarsData) -> pl.LazyFrame:  # type: ignore[misc]
        """A value is present exactly when the status is published (suppressed → NULL)."""
        return data.lazyframe.select(
            (pl.col("value").is_not_null() == (pl.col("status") == "published")).alias("ok")
        )

    class Config:
        strict = True
        coerce = False


class PeriodObservationModel(pa.DataFrameModel):
    """Columns and rules every per-period source's observations share."""

    territory_code: str
    geo_version: str
    period: str
    status: str = pa.Field(isin=list(STATUSES))

    @pa.dataframe_check
    def qpv_geography_exact(cls, data: pa.PolarsData) -> pl.LazyFrame:  # type: ignore[misc]
        """A qpv2015/qpv2024 territory is never labelled with another geography."""
        kind = pl.col("territory_kind")
        return data.lazyframe.select(
            (~kind.is_in(["qpv2015", "qpv2024"]) | (pl.col("geo_version") == kind)).alias("ok")
        )

    class Config:
        strict = False
