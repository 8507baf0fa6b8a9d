"""Checks of the job-seeker tables: Pandera models and totals that do not add up (flagged only)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from checks.period_source import PeriodObservationModel, PeriodStagedModel, totals_report_schema

BREAKDOWNS = ("sex", "age_band", "seniority", "rsa", "training_level", "nationality")
# The DARES rounds each count to 5: H + F may differ from Total by up to 7.5 (3 independent roundings).
DARES_ROUNDING_TOLERANCE = 7.5


class DefmStagedModel(PeriodStagedModel):
    """The staged DEFM frame (sources.france_travail.DEFM_STAGED_SCHEMA)."""

    territory_kind: str = pa.Field(
        isin=["commune", "arrondissement", "qpv2015", "qpv2024", "aggregate", "unlocated"]
    )
    territory_label: str = pa.Field(nullable=True)
    period: str = pa.Field(str_matches=r"^\d{4}-(Q[1-4]|\d{2}-\d{2})$")
    period_type: str = pa.Field(isin=["quarter", "date"])
    measure: str = pa.Field(isin=["count", "evolution_pct"])
    category: str = pa.Field(isin=["ABCDE", "ABC", "A", "B", "C", "D", "E"])
    sex: str = pa.Field(isin=["total", "femmes", "hommes"])
    age_band: str
    seniority: str
    rsa: str = pa.Field(isin=["total", "rsa"])
    training_level: str
    nationality: str
    value: float = pa.Field(nullable=True)

    @pa.dataframe_check
    def counts_non_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:  # type: ignore[misc]
        """Counts are ≥ 0 (evolutions may be negative)."""
        return data.lazyframe.select(
            ((pl.col("measure") != "count") | pl.col("value").is_null() | (pl.col("value") >= 0)).alias("ok")
        )


class DefmObservationModel(PeriodObservationModel):
    """DEFM observations."""

    indicator_id: str = pa.Field(str_startswith="defm_")
    territory_kind: str = pa.Field(isin=["commune", "qpv2015", "qpv2024"])
    period_type: str = pa.Field(isin=["quarter", "date", "year"])
    value: float = pa.Field(nullable=True)


TOTALS_REPORT_SCHEMA = totals_report_schema({"territory_kind": pl.String()}, {"source_rows": pl.String()})

# (dimension, parts, total value of that dimension). Categories are checked with every breakdown at total.
DEFM_TOTAL_RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("category", ("A", "B", "C"), "ABC"),
    ("sex", ("femmes", "hommes"), "total"),
    ("age_band", ("moins_25", "25_49", "50_plus"), "total"),
    ("age_band", ("moins_26", "26_49", "50_plus"), "total"),
]


def defm_totals_not_adding_up(
    staged: pl.DataFrame,
    *,
    tolerance: float = 0.0,
    rules: list[tuple[str, tuple[str, ...], str]] | None = None,
) -> pl.DataFrame:
    """Offending totals: A+B+C ≠ ABC, femmes+hommes ≠ total, sum of age bands ≠ total (> tolerance).

    Judged only where the total and every part are published; returns the offending rows (with the
    file rows involved), never changes the data. Use tolerance=DARES_ROUNDING_TOLERANCE for the DARES
    communal export (each count rounded to 5).
    """
    rules = DEFM_TOTAL_RULES if rules is None else rules
    counts = staged.filter(pl.col("measure") == "count")
    base_keys = ["source_file", "territory_kind", "territory_code", "period"]
    reports: list[pl.DataFrame] = []
    for dim, parts, total in rules:
        others = [d for d in ("category", *BREAKDOWNS) if d != dim]
        # the other breakdowns at total; for a non-category rule, any category
        fixed = [d for d in others if d != "category"]
        sub = counts.filter(pl.all_horizontal([pl.col(d) == "total" for d in fixed]))
        if dim != "category":
            keys = [*base_keys, "category"]
        else:
            keys = base_keys
        sub = sub.filter(pl.col(dim).is_in([*parts, total]))
        if sub.height == 0:
            continue
        wide = sub.pivot(on=dim, index=keys, values="value", aggregate_function="first")
        rows = sub.group_by(keys).agg(pl.col("source_row").cast(pl.String).str.join(",").alias("source_rows"))
        if total not in wide.columns or any(p not in wide.columns for p in parts):
            continue
        complete = pl.all_horizontal([pl.col(c).is_not_null() for c in (total, *parts)])
        label = f"{' + '.join(parts)} = {total}" + (" (per category)" if dim != "category" else "")
        rep = (
            wide.filter(complete)
            .with_columns(pl.sum_horizontal([pl.col(p) for p in parts]).alias("parts_sum"))
            .with_columns((pl.col(total) - pl.col("parts_sum")).alias("difference"))
            .filter(pl.col("difference").abs() > tolerance)
            .join(rows, on=keys)
            .select(
                *base_keys,
                (pl.lit(label + " [") + pl.col("category") + pl.lit("]")).alias("rule")
                if dim != "category"
                else pl.lit(label).alias("rule"),
                pl.col(total).alias("total"),
                "parts_sum",
                "difference",
                "source_rows",
            )
        )
        reports.append(rep.cast(TOTALS_REPORT_SCHEMA))  # type: ignore[arg-type]
    if not reports:
        return pl.DataFrame(schema=TOTALS_REPORT_SCHEMA)
    return pl.concat(reports).sort(["source_file", "territory_code", "period", "rule"])


def defm_staged_totals_not_adding_up(staged: pl.DataFrame) -> pl.DataFrame:
    """`defm_totals_not_adding_up` of a whole staged table: the DARES communal export judged with its
    rounding tolerance (DARES_ROUNDING_TOLERANCE), every other file exactly."""
    dares = staged.filter(pl.col("layout") == "dares_communes")
    other = staged.filter(pl.col("layout") != "dares_communes")
    return pl.concat(
        [
            defm_totals_not_adding_up(dares, tolerance=DARES_ROUNDING_TOLERANCE),
            defm_totals_not_adding_up(other),
        ]
    )


def validate_defm_staged(staged: pl.DataFrame) -> pl.DataFrame:
    return DefmStagedModel.validate(staged, lazy=True)


def validate_defm_observations(observations: pl.DataFrame) -> pl.DataFrame:
    return DefmObservationModel.validate(observations, lazy=True)
