"""Tiny observation frames shared by unit tests (one long observation shape: models/observation.py)."""

from __future__ import annotations

import polars as pl


def observation_rows(codes: list[str], **extra: object) -> pl.DataFrame:
    """One published 2021 `pop` figure per QPV 2024 code, valued 0, 1, 2…; `extra` adds constant columns."""
    n = len(codes)
    return pl.DataFrame(
        {
            "indicator_id": ["pop"] * n,
            "territory_kind": ["qpv2024"] * n,
            "territory_code": codes,
            "geo_version": ["qpv2024"] * n,
            "period": ["2021"] * n,
            "value": [float(i) for i in range(n)],
            "status": ["published"] * n,
            "method": ["published"] * n,
            **{k: [v] * n for k, v in extra.items()},
        }
    )
