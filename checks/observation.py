"""Rules every row of the `observation` table obeys, whatever its source."""

from __future__ import annotations

import polars as pl

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
