"""The status rule of the observation table (checks/observation.py), on inline rows."""

from __future__ import annotations

import polars as pl

from checks.observation import secret_not_ours
from models.observation import conform_observations, not_computable_fr


def _rows(*rows: tuple[str, str, int | None, int | None]) -> pl.LazyFrame:
    frame = pl.DataFrame(
        {
            "indicator_id": "x",
            "status": [r[0] for r in rows],
            "method": [r[1] for r in rows],
            "parts_hidden": [r[2] for r in rows],
            "parts_total": [r[3] for r in rows],
        }
    )
    return conform_observations(frame).lazy()


def test_secret_is_the_producers_word_only() -> None:
    ok = _rows(
        ("suppressed", "published", None, None),
        ("suppressed", "grid_estimate", None, None),
        ("not_computable", "summed", 1, 3),
        ("published", "summed", None, None),
    )
    assert secret_not_ours(ok).collect().is_empty()
    bad = _rows(
        ("suppressed", "summed", None, None),  # our sum shown as the producer's secret
        ("not_computable", "published", 1, 1),  # a published cell called ours
        ("not_computable", "recomputed", None, 2),  # how many parts is not said
    )
    assert secret_not_ours(bad).collect().height == 3


def test_not_computable_words_say_how_many_parts() -> None:
    assert not_computable_fr(2, 5) == "non calculable : une partie sous secret statistique (2 sur 5)"
    assert not_computable_fr(None, None) == "non calculable : une partie sous secret statistique"
