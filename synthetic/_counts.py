"""Counts of the synthetic per-period files (CAF, job seekers): exact integer splits, publisher rounding."""

from __future__ import annotations

import random


def split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Integer partition of `total` proportional to jittered weights (largest remainder): sums exactly."""
    w = [x * (0.9 + 0.2 * rng.random()) for x in weights]
    s = sum(w)
    raw = [total * x / s for x in w]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def round5(x: float) -> int:
    """Rounded to the nearest multiple of 5, as the publishers round their counts."""
    return int(5 * round(x / 5))
