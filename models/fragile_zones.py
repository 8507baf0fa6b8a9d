"""Fragile zones: pockets of poverty outside the QPVs, found on the Filosofi 200 m grid.

A fragile zone is a set of contiguous 200 m cells, outside every QPV, each with a household poverty rate
(poor households / households) at least `poverty_ratio` times that of its EPCI, that together hold at least
`min_households` households or `min_individuals` individuals. A zone is never published below the
confidentiality threshold (11 households). Cells are assigned to the EPCI of the first commune of their
`lcog_geo`; zones never straddle two EPCIs. Thresholds are parameters (`FragileZoneSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely

from models.grid_overlap import cell_overlaps
from sources.filosofi_grid.parse import cell_squares, published_crs

ZONE_SCHEMA: dict[str, pl.DataType] = {
    "zone_id": pl.String(),
    "epci_code": pl.String(),
    "households": pl.Float64(),
    "individuals": pl.Float64(),
    "poor_households": pl.Float64(),
    "poverty_rate": pl.Float64(),  # percent of households
    "epci_poverty_rate": pl.Float64(),  # percent of households, the reference the cells were compared with
    "cells": pl.Int64(),
    "cell_ids": pl.List(pl.String()),
    "geom_wkb": pl.Binary(),  # merged cells, in the cells' published CRS (Lambert-93 for metropolitan France)
}


@dataclass(frozen=True)
class FragileZoneSettings:
    poverty_ratio: float = 2.0  # cell rate ≥ ratio × EPCI rate
    min_households: float = 50.0  # zone kept if households ≥ this …
    min_individuals: float = 100.0  # … or individuals ≥ this
    confidentiality_households: float = 11.0  # never a zone below this, whatever the thresholds above
    max_qpv_overlap_share: float = (
        0.0  # a cell overlapping QPVs on more than this share of its area is "in QPV"
    )
    contiguity: str = "rook"  # "rook" (shared edge) or "queen" (shared edge or corner)


def epci_poverty_rates(cells: pl.DataFrame, commune_epci: pl.DataFrame) -> pl.DataFrame:
    """Household poverty rate of each EPCI from the grid itself: Σ men_pauv / Σ men × 100 (epci_code,
    epci_poverty_rate), cells assigned to the EPCI of their first commune."""
    return _rates(_assign_epci(cells.select("lcog_geo", "men", "men_pauv"), commune_epci))


def _rates(assigned: pl.DataFrame) -> pl.DataFrame:
    return assigned.group_by("epci_code").agg(
        (pl.col("men_pauv").sum() / pl.col("men").sum() * 100).alias("epci_poverty_rate")
    )


def _assign_epci(cells: pl.DataFrame, commune_epci: pl.DataFrame) -> pl.DataFrame:
    mapping = commune_epci.select(
        pl.col("commune_code").cast(pl.String), pl.col("epci_code").cast(pl.String)
    ).unique("commune_code")
    return cells.with_columns(pl.col("lcog_geo").str.slice(0, 5).alias("commune_code")).join(
        mapping, on="commune_code", how="inner"
    )


def detect_fragile_zones(
    cells: pl.DataFrame,
    qpvs: pl.DataFrame,
    commune_epci: pl.DataFrame,
    *,
    settings: FragileZoneSettings | None = None,
    epci_rates: pl.DataFrame | None = None,
    perimeter_crs: str | None = None,
) -> pl.DataFrame:
    """Fragile zones (ZONE_SCHEMA), sorted by zone_id.

    `cells`: the staged grid (cell_id, cell_crs, cell_x, cell_y, lcog_geo, ind, men, men_pauv; no geometry).
    `qpvs`: perimeters (territory_kind, territory_code, geo_version, geom_wkb) in `perimeter_crs`, by default
    the cells' published CRS (Lambert-93 for metropolitan France). Only the cells of the zones found get a
    polygon (built from their corners), merged per zone in that published CRS.
    `commune_epci`: commune_code → epci_code. `epci_rates`: optional (epci_code, epci_poverty_rate in %),
    by default from the grid (`epci_poverty_rates`), so cell and EPCI rates are the same measure.
    """
    s = settings or FragileZoneSettings()
    if s.contiguity not in ("rook", "queen"):
        raise ValueError(f"contiguity must be 'rook' or 'queen', not {s.contiguity!r}")
    needed = ["cell_id", "cell_crs", "cell_x", "cell_y", "lcog_geo", "ind", "men", "men_pauv"]
    staged = cells.select(needed).with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    assigned = _assign_epci(staged, commune_epci)  # once: the join on 2.3 M cells is the costly step
    rates = epci_rates if epci_rates is not None else _rates(assigned)
    # Share of each cell's area inside QPVs (summed over QPVs).
    if qpvs.height:
        overlaps = (
            cell_overlaps(staged, qpvs, perimeter_crs=perimeter_crs)
            .group_by("cell_index")
            .agg(pl.col("area_share").sum().alias("_qpv_share"))
            .rename({"cell_index": "_row"})
        )
    else:
        overlaps = pl.DataFrame(schema={"_row": pl.Int64, "_qpv_share": pl.Float64})
    candidates = (
        assigned.join(
            rates.select(pl.col("epci_code").cast(pl.String), "epci_poverty_rate"),
            on="epci_code",
            how="inner",
        )
        .join(overlaps, on="_row", how="left")
        .with_columns(pl.col("_qpv_share").fill_null(0.0))
        .filter(
            (pl.col("men") > 0)
            & (pl.col("_qpv_share") <= s.max_qpv_overlap_share)
            & (pl.col("men_pauv") / pl.col("men") * 100 >= s.poverty_ratio * pl.col("epci_poverty_rate"))
        )
        .sort("cell_id")
    )
    if candidates.height == 0:
        return pl.DataFrame(schema=ZONE_SCHEMA)
    labels = _components(candidates, s.contiguity)
    zones = (
        candidates.with_columns(pl.Series("_zone", labels, dtype=pl.Int64))
        .group_by("_zone")
        .agg(
            pl.col("epci_code").first(),
            pl.col("men").sum().alias("households"),
            pl.col("ind").sum().alias("individuals"),
            pl.col("men_pauv").sum().alias("poor_households"),
            pl.col("epci_poverty_rate").first(),
            pl.len().cast(pl.Int64).alias("cells"),
            pl.col("cell_id").sort().alias("cell_ids"),
            pl.col("cell_crs").first(),
            pl.col("cell_x"),
            pl.col("cell_y"),
        )
        .filter(
            ((pl.col("households") >= s.min_households) | (pl.col("individuals") >= s.min_individuals))
            & (pl.col("households") >= max(s.confidentiality_households, 0.0))
        )
        .with_columns(
            (pl.col("poor_households") / pl.col("households") * 100).alias("poverty_rate"),
            pl.col("cell_ids").list.first().alias("_first"),
        )
        .sort("epci_code", "_first")
    )
    if zones.height == 0:
        return pl.DataFrame(schema=ZONE_SCHEMA)
    merged = [
        _merged_squares(crs, np.asarray(xs, dtype=np.int64), np.asarray(ys, dtype=np.int64), perimeter_crs)
        for crs, xs, ys in zones.select("cell_crs", "cell_x", "cell_y").iter_rows()
    ]
    numbers = zones.select(pl.int_range(pl.len()).over("epci_code") + 1)["literal"].to_list()
    ids = [f"FZ-{e}-{n:03d}" for e, n in zip(zones["epci_code"].to_list(), numbers, strict=True)]
    out = zones.with_columns(pl.Series("zone_id", ids), pl.Series("geom_wkb", merged, dtype=pl.Binary))
    return out.select([pl.col(c).cast(t) for c, t in ZONE_SCHEMA.items()]).sort("zone_id")


def _merged_squares(cell_crs: str, xs: np.ndarray, ys: np.ndarray, crs: str | None) -> bytes:
    """WKB of the union of the cells' squares, built in the grid CRS and reprojected corner by corner."""
    squares, _, _ = cell_squares(xs, ys, cell_crs, crs or published_crs(cell_crs))
    return bytes(shapely.to_wkb(shapely.union_all(squares)))


def _components(candidates: pl.DataFrame, contiguity: str) -> list[int]:
    """Connected components of the candidate cells (same EPCI, same grid CRS, adjacent on the 200 m grid)."""
    crs = candidates["cell_crs"].to_list()
    xs = candidates["cell_x"].to_list()
    ys = candidates["cell_y"].to_list()
    epcis = candidates["epci_code"].to_list()
    index = {(c, x, y): i for i, (c, x, y) in enumerate(zip(crs, xs, ys, strict=True))}
    parent = list(range(len(xs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    step = 200
    offsets = [(step, 0), (0, step)]
    if contiguity == "queen":
        offsets += [(step, step), (step, -step)]
    for i, (c, x, y) in enumerate(zip(crs, xs, ys, strict=True)):
        for dx, dy in offsets:
            j = index.get((c, x + dx, y + dy))
            if j is not None and epcis[j] == epcis[i]:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(len(xs))]
