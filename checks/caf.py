"""Checks of the CAF tables: Pandera models, and totals that do not add up (flagged, never corrected)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from checks.period_source import PeriodObservationModel, PeriodStagedModel, totals_report_schema

STAGED_KINDS = ["iris", "commune", "qpv2015", "qpv2024", "france", "aggregate", "unlocated"]


class CafStagedModel(PeriodStagedModel):
    """The staged CAF frame (sources.caf.CAF_STAGED_SCHEMA)."""

    territory_kind: str = pa.Field(isin=STAGED_KINDS)
    commune_code: str = pa.Field(nullable=True)
    period: str = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    period_type: str = pa.Field(isin=["date"])
    variable: str
    dimension: str = pa.Field(nullable=True)
    value: float = pa.Field(nullable=True, ge=0)


class CafObservationModel(PeriodObservationModel):
    """CAF observations: counts/amounts ≥ 0, QPV kinds carry their own geography."""

    indicator_id: str = pa.Field(str_startswith="caf_")
    territory_kind: str = pa.Field(isin=["iris", "commune", "qpv2015", "qpv2024", "france"])
    period_type: str = pa.Field(isin=["date", "year", "quarter"])
    value: float = pa.Field(nullable=True, ge=0)


# total variable → its parts. Verified on the real IRIS files 2016-2020 (0 offender where computable).
CAF_TOTAL_RULES: dict[str, tuple[str, ...]] = {
    "A": ("AI", "AM", "ACSSENF", "ACAVENF"),
    "ENF": ("ENF_2", "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24"),
}

TOTALS_REPORT_SCHEMA = totals_report_schema({"source_row": pl.Int64()})


def caf_totals_not_adding_up(
    staged: pl.DataFrame,
    rules: dict[str, tuple[str, ...]] | None = None,
    *,
    tolerance: float = 0.0,
) -> pl.DataFrame:
    """Rows whose published total differs from the sum of its published parts by more than `tolerance`.

    Returns the offending rows (file, row, territory, period, rule, total, parts_sum, difference); the
    data are not changed. A rule is not judged on a row where the total or a part is not published.
    """
    rules = CAF_TOTAL_RULES if rules is None else rules
    keys = ["source_file", "source_row", "territory_code", "period"]
    needed = {v for total, parts in rules.items() for v in (total, *parts)}
    sub = staged.filter(pl.col("variable").is_in(list(needed)) & pl.col("dimension").is_null())
    wide = sub.pivot(on="variable", index=keys, values="value", aggregate_function="first")
    reports: list[pl.DataFrame] = []
    for total, parts in rules.items():
        if total not in wide.columns or any(p not in wide.columns for p in parts):
            continue
        parts_sum = pl.sum_horizontal([pl.col(p) for p in parts])
        complete = pl.all_horizontal([pl.col(c).is_not_null() for c in (total, *parts)])
        rep = (
            wide.filter(complete)
            .with_columns(parts_sum.alias("parts_sum"))
            .with_columns((pl.col(total) - pl.col("parts_sum")).alias("difference"))
            .filter(pl.col("difference").abs() > tolerance)
            .select(
                *keys,
                pl.lit(f"{total} = {' + '.join(parts)}").alias("rule"),
                pl.col(total).alias("total"),
                "parts_sum",
                "difference",
            )
        )
        reports.append(rep)
    if not reports:
        return pl.DataFrame(schema=TOTALS_REPORT_SCHEMA)
    return pl.concat([r.cast(TOTALS_REPORT_SCHEMA) for r in reports]).sort(["source_file", "source_row"])  # type: ignore[arg-type]


def validate_caf_staged(staged: pl.DataFrame) -> pl.DataFrame:
    """Validate the staged frame (raises pandera.errors.SchemaError(s) with the failing rows)."""
    return CafStagedModel.validate(staged, lazy=True)


def validate_caf_observations(observations: pl.DataFrame) -> pl.DataFrame:
    """Validate CAF observations."""
    return CafObservationModel.validate(observations, lazy=True)
