"""The long `observation` table and the `indicator` catalog: the shape every statistical source lands in.

One row of `observation` is one figure: an indicator, for one territory of one geography version, for
one period. Suppressed figures keep a NULL value with status ``suppressed``; nothing is imputed.
"""

from __future__ import annotations

import polars as pl

# Status of a figure. `suppressed`: the publisher hid it (secret statistique, NOTE_* block, `s`, `nd`…);
# `missing`: the publisher gives nothing for it; `not_applicable`: the indicator cannot be computed
# for that territory (e.g. a median on a perimeter rebuilt from grid cells: "non estimable");
# `not_computable`: a figure Quartiers computes (a sum, a recomputed share) that cannot be computed because
# some of its parts are secret. It is ours, never the producer's « secret statistique »: `parts_hidden`
# of `parts_total` parts were hidden, and `interval_low` may hold the sum of the published parts.
STATUSES = ("published", "suppressed", "estimated", "missing", "not_applicable", "not_computable")
# A part that hides a computation built on it: the producer's secret, or our own not-computable figure.
SECRET = ["suppressed", "not_computable"]

# How a value was obtained.
METHODS = ("published", "recomputed", "summed", "grid_estimate")

PERIOD_TYPES = ("year", "quarter", "date", "school_year")

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "territory_kind": pl.String(),  # qpv2024, qpv2015, iris, commune, epci, departement, region, france…
    "territory_code": pl.String(),
    "geo_version": pl.String(),  # e.g. qpv2024, qpv2015, cog2024, iris2021
    "period": pl.String(),  # "2021", "2023-Q4", "2022-12-31", "2023-2024"
    "period_type": pl.String(),
    "value": pl.Float64(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "status": pl.String(),
    "method": pl.String(),
    "interval_low": pl.Float64(),
    "interval_high": pl.Float64(),
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),  # release label (the year in the file name), not the data year
    "source_sha256": pl.String(),
    "parts_hidden": pl.Int64(),  # not_computable: how many parts of the computation the producer hid…
    "parts_total": pl.Int64(),  # …out of how many
}

# One figure per indicator, territory, geography, period, method and release (the same census figure
# republished in several releases is kept once per release; views pick the latest).
OBSERVATION_KEY = (
    "indicator_id",
    "territory_kind",
    "territory_code",
    "geo_version",
    "period",
    "method",
    "source_dataset",
    "source_vintage",
)

# When a figure was measured and which file it comes from; with where (territory and geography
# version), what the figures of several indicators must share to be summed or divided together.
PERIOD_AND_FILE = ("period", "period_type", "source_dataset", "source_vintage", "source_sha256")
SAME_PLACE_AND_FILE = ("territory_kind", "territory_code", "geo_version", *PERIOD_AND_FILE)

INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "theme": pl.String(),  # population, menages, revenus, emploi, caf, demandeurs_emploi, education, logement
    "label_fr": pl.String(),
    "definition": pl.String(),
    "unit": pl.String(),  # count, percent, euro, index, ratio
    "numerator_def": pl.String(),
    "denominator_def": pl.String(),
    "summable": pl.Boolean(),  # counts sum across territories; rates and medians do not
    "aggregation": pl.String(),  # sum | ratio | not_aggregable
    "source": pl.String(),
    "method": pl.String(),
}


def not_computable_fr(parts_hidden: object, parts_total: object) -> str:
    """« non calculable : une partie sous secret statistique (2 sur 5) » — the words of `not_computable`."""
    text = "non calculable : une partie sous secret statistique"
    if isinstance(parts_hidden, int | float) and isinstance(parts_total, int | float) and parts_total:
        text += f" ({int(parts_hidden)} sur {int(parts_total)})"
    return text


def empty_observations() -> pl.DataFrame:
    """An empty frame with the observation schema."""
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def as_published(
    staged: pl.DataFrame, indicator_id: pl.Expr, *, source_dataset: str, source_vintage: str, sha256: str
) -> pl.DataFrame:
    """Staged rows of a publisher's file as observations of that file: their indicator, method
    ``published`` (the status says whether the publisher hid the value), and the file's provenance."""
    return staged.with_columns(
        indicator_id.alias("indicator_id"),
        pl.lit("published").alias("method"),
        pl.lit(source_dataset).alias("source_dataset"),
        pl.lit(source_vintage).alias("source_vintage"),
        pl.lit(sha256).alias("source_sha256"),
    )


def conform_observations(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the missing observation columns as NULL, cast, and order the columns."""
    exprs = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in OBSERVATION_SCHEMA.items()
    ]
    return frame.select(exprs)
