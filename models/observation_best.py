"""Which observation is *the* figure of an indicator, territory and period (`observation.best`).

Several rows may give a figure for the same indicator, territory and period: releases of a census
figure, a published QPV figure and its grid estimate, a commune figure as published and as summed from
IRIS. Views, profiles and fiches show one, chosen in this order:

1. status: a published or estimated figure, then a suppressed one (secret statistique, shown as such
   when nothing was published nor estimated), then not applicable, then missing;
2. method: as published, then a grid estimate, then recomputed, then anything else (summed);
3. the latest release (source_vintage, descending), then the dataset name, then the latest geography.

The all-QPV aggregate (``ensemble_qpv``) exists once per geography, so its geography is part of the
group there. The choice is made once, when the `observation` table is staged, instead of a window over
millions of rows at every warehouse build (tests/unit/test_observation_best.py checks it is the same
choice as that window).
"""

from __future__ import annotations

import numpy as np
import polars as pl

# A group: the figures of one indicator, territory and period (and geography, for the all-QPV aggregate).
GROUP = ["territory_kind", "territory_code", "indicator_id", "period"]

STATUS_RANK = {"published": 0, "estimated": 0, "suppressed": 1, "not_computable": 1, "not_applicable": 2}
METHOD_RANK = {"published": 0, "grid_estimate": 1, "recomputed": 2}


def _rank(column: str, ranks: dict[str, int]) -> pl.Expr:
    return pl.col(column).replace_strict(ranks, default=3, return_dtype=pl.Int8)


def _group_geo() -> pl.Expr:
    return (
        pl.when(pl.col("territory_kind") == "ensemble_qpv").then(pl.col("geo_version")).otherwise(pl.lit(""))
    )


def _identity(frame: pl.DataFrame, key: pl.Expr) -> pl.Series:
    """An integer standing for each value of ``key`` (equal values, equal integers; any order): groups
    are compared on these, not on their strings."""
    return frame.select(key.cast(pl.Categorical).to_physical()).to_series()


def _lexical(frame: pl.DataFrame, column: str) -> pl.Series:
    """The rank of each value of a low-cardinality column in its sorted distinct values (NULL stays NULL):
    sorting on it is sorting on the strings, at four bytes a row."""
    values = frame.get_column(column).drop_nulls().unique().sort()
    return frame.get_column(column).replace_strict(
        values, pl.int_range(values.len(), dtype=pl.UInt32, eager=True), return_dtype=pl.UInt32
    )


def best_flag(frame: pl.DataFrame) -> pl.Series:
    """``best``: true on the one preferred figure of each group, rows in ``frame``'s order.

    Memory: the sort runs on integer stand-ins of the string keys (`_identity`, `_lexical`) and yields a
    permutation; no column is copied in sorted order. Sorting the frame itself copied every column and
    row-encoded the string keys (the national observation step peaked at 3.5 GB for a 1.6 GB table)."""
    if frame.height == 0:
        return pl.Series("best", [], dtype=pl.Boolean)
    group = [_identity(frame, pl.col(c)) for c in GROUP] + [_identity(frame, _group_geo())]
    keys = pl.DataFrame(
        [
            *(g.alias(f"g{i}") for i, g in enumerate(group)),
            frame.select(_rank("status", STATUS_RANK)).to_series().alias("status"),
            frame.select(_rank("method", METHOD_RANK)).to_series().alias("method"),
            _lexical(frame, "source_vintage").alias("vintage"),
            _lexical(frame, "source_dataset").alias("dataset"),
            _lexical(frame, "geo_version").alias("geo"),
        ]
    )
    order = keys.select(
        pl.arg_sort_by(
            keys.columns,
            descending=[False] * 7 + [True, False, True],
            nulls_last=True,
            maintain_order=True,
        )
    ).to_series()
    # In sorted order, a group's first row is the one whose group key differs from the previous row's.
    first = np.zeros(frame.height, dtype=bool)
    first[0] = True
    for g in group:
        sorted_key = g.gather(order)
        first |= sorted_key.ne_missing(sorted_key.shift(1)).fill_null(True).to_numpy()
    best = np.empty(frame.height, dtype=bool)
    best[order.to_numpy()] = first
    return pl.Series("best", best)


def with_best(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its ``best`` column (see `best_flag`), rows in the same order."""
    return frame.with_columns(best_flag(frame))
