"""The `indicator` catalog table (INDICATOR_SCHEMA of models/observation.py).

`indicator_catalog()` returns the INSEE rows (models/insee_indicators.py); other sources can pass their
own rows (any objects with the same fields) to `catalog_frame` and concatenate.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from models.insee_indicators import INSEE_INDICATORS, Ind
from models.observation import INDICATOR_SCHEMA

AGGREGATIONS = ("sum", "ratio", "not_aggregable")


def catalog_frame(rows: Iterable[Ind], *, source: str, method: str = "published") -> pl.DataFrame:
    data = [
        {
            "indicator_id": r.indicator_id,
            "theme": r.theme,
            "label_fr": r.label_fr,
            "definition": r.definition,
            "unit": r.unit,
            "numerator_def": r.numerator_def,
            "denominator_def": r.denominator_def,
            "summable": r.summable,
            "aggregation": r.aggregation,
            "source": source,
            "method": method,
        }
        for r in rows
    ]
    frame = pl.DataFrame(data, schema=INDICATOR_SCHEMA)
    bad = frame.filter(~pl.col("aggregation").is_in(AGGREGATIONS))
    if bad.height:
        raise ValueError(f"unknown aggregation in {bad['indicator_id'].to_list()}")
    dup = frame.filter(pl.col("indicator_id").is_duplicated())
    if dup.height:
        raise ValueError(f"duplicated indicator ids {dup['indicator_id'].unique().to_list()}")
    return frame


def indicator_catalog() -> pl.DataFrame:
    """INSEE indicators (QPV bases, Filosofi, comparateur)."""
    return catalog_frame(INSEE_INDICATORS, source="insee")
