"""The `qpv_crosswalk` table: how each 2015 QPV became the 2024 ones, measured on the perimeters.

Rows partition both geographies. Every overlapping 2015 × 2024 pair is a row; the part of a 2024 QPV
outside every 2015 QPV is a row with no 2015 code, and the part of a 2015 QPV outside every 2024 QPV
a row with no 2024 code. Hence, per QPV, the shares sum to 1 (an asset check holds us to it).

Relations:
- ``unchanged``: one-to-one, each covering ≥ 99 % of the other;
- ``extended`` / ``reduced``: one-to-one, the 2024 perimeter larger / smaller;
- ``merged``: the 2024 QPV overlaps several 2015 QPVs; ``split``: the 2015 QPV overlaps several 2024 ones;
- ``new``: a 2024 QPV outside every 2015 QPV; ``removed``: a 2015 QPV outside every 2024 QPV;
- ``added_area`` / ``dropped_area``: the part of a QPV outside the other geography when the rest of it
  overlaps (the area an extension added, or a reduction dropped);
- ``sliver``: an overlap too small to count (below 1 % of both), kept so the areas add up.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
import shapely

from sources._faults import checkpoint

CROSSWALK_SCHEMA: dict[str, pl.DataType] = {
    "code_2015": pl.String(),
    "code_2024": pl.String(),
    "area_2015_m2": pl.Float64(),
    "area_2024_m2": pl.Float64(),
    "overlap_m2": pl.Float64(),
    "share_of_2015": pl.Float64(),  # overlap / area of the 2015 QPV
    "share_of_2024": pl.Float64(),  # overlap / area of the 2024 QPV
    "relation": pl.String(),
}

UNCHANGED_SHARE = 0.99
# An overlap below this share of both QPVs is a digitising sliver: it keeps its row and its area
# (so shares still sum to 1) but does not make a QPV "merged" or "split".
SIGNIFICANT_SHARE = 0.01
# Residuals below this share are coordinate rounding between two publications of the same outline.
RESIDUAL_SHARE = 5e-4


def build_crosswalk(perimeters: pl.DataFrame) -> pl.DataFrame:
    """Crosswalk from the staged perimeters (columns code, geography, geom_wkb in Lambert-93)."""
    old = perimeters.filter(pl.col("geography") == "qpv2015")
    new = perimeters.filter(pl.col("geography") == "qpv2024")
    if old.is_empty() or new.is_empty():
        # With one geography missing nothing can be compared: no row rather than all "new"/"removed".
        return pl.DataFrame(schema=CROSSWALK_SCHEMA)
    old_codes, new_codes = old["code"].to_list(), new["code"].to_list()
    old_geoms = np.array([shapely.from_wkb(w) for w in old["geom_wkb"].to_list()], dtype=object)
    new_geoms = np.array([shapely.from_wkb(w) for w in new["geom_wkb"].to_list()], dtype=object)
    old_area = shapely.area(old_geoms) if len(old_geoms) else np.array([])
    new_area = shapely.area(new_geoms) if len(new_geoms) else np.array([])

    pairs: list[tuple[int, int, float]] = []
    if len(old_geoms) and len(new_geoms):
        tree = shapely.STRtree(old_geoms)
        new_idx, old_idx = tree.query(new_geoms, predicate="intersects")
        if len(new_idx):
            overlap = shapely.area(shapely.intersection(new_geoms[new_idx], old_geoms[old_idx]))
            pairs = [
                (int(o), int(n), float(a)) for n, o, a in zip(new_idx, old_idx, overlap, strict=True) if a > 0
            ]

    def significant(o: int, n: int, a: float) -> bool:
        return a / old_area[o] >= SIGNIFICANT_SHARE or a / new_area[n] >= SIGNIFICANT_SHARE

    olds_of_new: dict[int, set[int]] = {}
    news_of_old: dict[int, set[int]] = {}
    for o, n, a in pairs:
        if significant(o, n, a):
            olds_of_new.setdefault(n, set()).add(o)
            news_of_old.setdefault(o, set()).add(n)

    checkpoint("model.crosswalk")
    rows: list[dict[str, object]] = []
    covered_new = np.zeros(len(new_codes))
    covered_old = np.zeros(len(old_codes))
    for o, n, a in pairs:
        covered_new[n] += a
        covered_old[o] += a
        s_old, s_new = a / old_area[o], a / new_area[n]
        if not significant(o, n, a):
            relation = "sliver"
        elif len(olds_of_new.get(n, ())) > 1:
            relation = "merged"
        elif len(news_of_old.get(o, ())) > 1:
            relation = "split"
        elif s_old >= UNCHANGED_SHARE and s_new >= UNCHANGED_SHARE:
            relation = "unchanged"
        elif new_area[n] >= old_area[o]:
            relation = "extended"
        else:
            relation = "reduced"
        rows.append(_row(old_codes[o], new_codes[n], old_area[o], new_area[n], a, s_old, s_new, relation))
    # A partial layer (one region's 2015 perimeters, say) says nothing of the départements it does not
    # cover: a QPV there is not "new" nor "removed", it is unknown, and gets no row.
    old_deps = {_departement(c) for c in old_codes}
    new_deps = {_departement(c) for c in new_codes}
    for code, area, rest, matched in _residuals(new_codes, new_area, covered_new, olds_of_new, old_deps):
        relation = "added_area" if matched else "new"
        rows.append(_row(None, code, None, area, rest, None, rest / area, relation))
    for code, area, rest, matched in _residuals(old_codes, old_area, covered_old, news_of_old, new_deps):
        relation = "dropped_area" if matched else "removed"
        rows.append(_row(code, None, area, None, rest, rest / area, None, relation))
    return pl.DataFrame(rows, schema=CROSSWALK_SCHEMA).sort(["code_2024", "code_2015"], nulls_last=True)


def _residuals(
    codes: list[str],
    area: np.ndarray,
    covered: np.ndarray,
    matched: dict[int, set[int]],
    other_deps: set[str],
) -> Iterator[tuple[str, float, float, bool]]:
    """(code, area, residual area, matched by some QPV of the other geography) of each QPV of one
    geography with more than RESIDUAL_SHARE of its area outside the other geography; a QPV matched by
    none in a département the other layer does not cover is left out (unknown, not new nor removed)."""
    for i, code in enumerate(codes):
        rest = max(0.0, area[i] - covered[i])
        if not matched.get(i) and _departement(code) not in other_deps:
            continue
        if rest / area[i] > RESIDUAL_SHARE:
            yield code, area[i], rest, bool(matched.get(i))


def _departement(code: str) -> str:
    """QN06101M → 061, QP062036 → 062: the département part of either geography's code."""
    return code[2:5]


def _row(
    c15: str | None,
    c24: str | None,
    a15: float | None,
    a24: float | None,
    overlap: float,
    s15: float | None,
    s24: float | None,
    relation: str,
) -> dict[str, object]:
    return {
        "code_2015": c15,
        "code_2024": c24,
        "area_2015_m2": a15,
        "area_2024_m2": a24,
        "overlap_m2": overlap,
        "share_of_2015": s15,
        "share_of_2024": s24,
        "relation": relation,
    }
