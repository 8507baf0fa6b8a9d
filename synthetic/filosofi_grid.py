"""Synthetic Filosofi 200 m grid of the sample territory, in the official 2021 CSV layout.

Cells are real EPSG:3035 cells (ids `CRS3035RES200mN…E…`) covering the six communes. Households thin out from
each town centre; cells in and around the QPVs are denser and poorer; one poor pocket sits outside every QPV
(in L'Étang-Neuf, 99106), so that a fragile zone appears. Counts are internally consistent: poor, owner,
single-parent… households ≤ households; age bands sum to individuals; dwellings by period sum to
households. Cells with fewer than 11 households are flagged imputed (`i_est_200 = 1`) and carry decimals,
as INSEE's modelled cells do; `ind` stays whole (INSEE does not impute it).

The 2021 release is written (its zip holds the CSV files directly); the 2017/2019 releases nest a .7z that
the standard library cannot write.
"""

from __future__ import annotations

import io
import math
import random
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from sources.filosofi_grid.parse import cell_squares
from sources.filosofi_grid.settings import (
    AGE_COLUMNS,
    CSV_HEADER_2021,
    HOUSEHOLD_COLUMNS,
    PERIOD_COLUMNS,
    RELEASES,
    SOCIAL_COLUMN,
)
from synthetic.territory import Territory

RELEASE = RELEASES["2021"]
POCKET_COMMUNE = "99106"
# Shares of the age bands and of the construction periods, in dense (QPV-like) and other cells; the
# national mirror draws from the same shares.
AGE_SHARES_DENSE = (0.06, 0.03, 0.08, 0.11, 0.10, 0.20, 0.18, 0.10, 0.09, 0.04, 0.01)
AGE_SHARES = (0.04, 0.02, 0.06, 0.08, 0.07, 0.17, 0.20, 0.14, 0.15, 0.06, 0.01)
PERIOD_SHARES_DENSE = (0.05, 0.45, 0.25, 0.2, 0.05)
PERIOD_SHARES = (0.25, 0.2, 0.2, 0.3, 0.05)

T = TypeVar("T")


def cell_values(households: Iterable[T], periods: Iterable[T], social: T, ages: Iterable[T]) -> dict[str, T]:
    """The count columns by name, in CSV order: one cell's numbers (sample) or whole columns (national)."""
    return {
        **dict(zip(HOUSEHOLD_COLUMNS, households, strict=True)),
        **dict(zip(PERIOD_COLUMNS, periods, strict=True)),
        SOCIAL_COLUMN: social,
        **dict(zip(AGE_COLUMNS, ages, strict=True)),
    }


def mirror_path(mirror: Path) -> Path:
    """Where the 2021 CSV zip sits in a mirror laid out as <mirror>/<host>/<url path>."""
    return mirror / RELEASE.csv_url.removeprefix("https://")


def _split(total: float, shares: tuple[float, ...], whole: bool) -> list[float]:
    """Split `total` by `shares`: whole numbers by largest remainder, else one decimal (sum kept)."""
    if whole:
        raw = [total * s / sum(shares) for s in shares]
        floors = [math.floor(r) for r in raw]
        order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
        for i in order[: round(total) - sum(floors)]:
            floors[i] += 1
        return [float(p) for p in floors]
    tenths = [round(total * s / sum(shares), 1) for s in shares]
    tenths[-1] = round(total - sum(tenths[:-1]), 1)
    return tenths


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def grid_cells(territory: Territory) -> list[tuple[int, int, BaseGeometry]]:
    """(x, y, L93 square) of every EPSG:3035 cell whose square overlaps the territory."""
    union = shapely.union_all([c.geometry_l93 for c in territory.communes])
    to_laea = Transformer.from_crs("EPSG:2154", "EPSG:3035", always_xy=True)
    minx, miny, maxx, maxy = union.bounds
    xs, ys = to_laea.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    x0, x1 = int(min(xs) // 200 * 200) - 200, int(max(xs) // 200 * 200) + 200
    y0, y1 = int(min(ys) // 200 * 200) - 200, int(max(ys) // 200 * 200) + 200
    gx, gy = np.meshgrid(np.arange(x0, x1 + 1, 200), np.arange(y0, y1 + 1, 200))
    cx, cy = gx.ravel(), gy.ravel()
    squares, _, _ = cell_squares(cx, cy, "EPSG:3035", "EPSG:2154")
    keep = shapely.intersects(squares, union)
    return [(int(x), int(y), sq) for x, y, sq, k in zip(cx, cy, squares, keep, strict=True) if k]


def write_filosofi_grid(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """Write `Filosofi2021_carreaux_200m_csv.zip` (member `carreaux_200m_met.csv`) into the mirror."""
    rng = random.Random(seed)
    moulin = shapely.union_all([q.geometry_l93 for q in territory.qpv2015 if q.code == "QP099005"])
    current = [q for q in territory.qpvs if q.code != "QP099005"]
    qpv_current = shapely.union_all([q.geometry_l93 for q in current])
    # Households per fully covered cell, so that each QPV holds about its declared population.
    qpv_density = [(q.geometry_l93, q.population / 2.6 / (q.geometry_l93.area / 40_000.0)) for q in current]
    pocket_centre = territory.commune(POCKET_COMMUNE).geometry_l93.centroid
    rows: list[list[str]] = []
    for x, y, square in grid_cells(territory):
        centre = square.centroid
        communes = [
            c
            for c in territory.communes
            if c.geometry_l93.intersects(square) and c.geometry_l93.intersection(square).area > 0
        ]
        if not communes:
            continue
        communes.sort(key=lambda c: -c.geometry_l93.intersection(square).area)
        main = communes[0]
        town = main.geometry_l93.centroid
        d = centre.distance(town)
        scale = main.population / 20_000
        expected = 50 * scale * math.exp(-((d / 1_300) ** 2)) + 1.5
        qpv_share = square.intersection(qpv_current).area / square.area
        near_qpv = centre.distance(qpv_current) <= 300
        in_moulin = square.intersection(moulin).area > 0
        in_pocket = max(abs(centre.x - pocket_centre.x), abs(centre.y - pocket_centre.y)) < 200
        if qpv_share > 0:
            density = max(g.intersection(square).area / square.area * dq for g, dq in qpv_density)
            expected = density + expected * (1 - qpv_share)
        elif near_qpv:
            expected += 15
        if in_pocket:
            expected = 24
        if in_moulin:
            expected = max(expected, 30)
        if qpv_share == 0 and not in_pocket and rng.random() > min(1.0, expected / 4):
            continue  # uninhabited cell: not in the file
        men_true = max(1, round(expected * rng.uniform(0.8, 1.2)))
        if qpv_share > 0:
            rate = 0.12 + 0.30 * qpv_share
        elif in_pocket:
            rate = 0.45
        elif in_moulin:
            rate = 0.17
        elif near_qpv:
            rate = 0.16
        else:
            rate = 0.07 + 0.04 * rng.random()
        dense = qpv_share > 0 or in_pocket
        imputed = men_true < 11
        whole = not imputed
        men = float(men_true) if whole else min(10.9, round(men_true * rng.uniform(0.9, 1.1), 1))
        size = 2.6 if dense else 2.2
        ind = float(max(men_true, round(men_true * size)))

        def part(share: float, total: float = men, _whole: bool = whole) -> float:
            v = total * share
            return float(round(v)) if _whole else round(v, 1)

        men_pauv = min(men, part(rate))
        men_1ind = part(0.30 if dense else 0.35)
        men_5ind = min(men - men_1ind, part(0.10 if dense else 0.05))
        men_prop = part(0.15 if dense else 0.65)
        men_fmp = min(men - men_1ind, part(0.18 if dense else 0.07))
        men_coll = part(0.9 if dense else max(0.05, 0.7 - d / 3_000))
        men_mais = round(men - men_coll, 1)
        log = _split(men, PERIOD_SHARES_DENSE if dense else PERIOD_SHARES, whole)
        log_soc = min(men, part(0.75 if qpv_share > 0 else (0.3 if in_pocket else 0.06)))
        ages = _split(ind, AGE_SHARES_DENSE if dense else AGE_SHARES, True)
        level = (14_500 if dense else 23_500) * rng.uniform(0.9, 1.1)
        ind_snv = round(ind * level, 1)
        men_surf = float(round(men * (64 if dense else 92)))
        codes = "".join(c.code for c in communes)
        km_x, km_y = x // 1000 * 1000, y // 1000 * 1000
        nat_x, nat_y = x // 2000 * 2000, y // 2000 * 2000
        people = (ind, men, men_pauv, men_1ind, men_5ind, men_prop, men_fmp)
        values = cell_values((*people, ind_snv, men_surf, men_coll, men_mais), log, log_soc, ages)
        row = [
            f"CRS3035RES200mN{y}E{x}",
            f"CRS3035RES1000mN{km_y}E{km_x}",
            f"CRS3035RES2000mN{nat_y}E{nat_x}",
            "1" if imputed else "0",
            "0",
            codes,
            *(_fmt(values[c]) for c in CSV_HEADER_2021[6:]),
        ]
        rows.append(row)
    rows.sort(key=lambda r: r[0])
    _flag_1km(rows)
    text = io.StringIO()
    text.write(",".join(CSV_HEADER_2021) + "\n")
    for row in rows:
        text.write(",".join(row) + "\n")
    target = mirror_path(mirror)
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(RELEASE.csv_members["met"], date_time=(2026, 2, 16, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text.getvalue().encode("utf-8"))
    target.write_bytes(buffer.getvalue())
    return [target]


def _flag_1km(rows: list[list[str]]) -> None:
    """i_est_1km = 1 when the 1 km cell holds fewer than 11 households."""
    men_col = CSV_HEADER_2021.index("men")
    totals: dict[str, float] = {}
    for row in rows:
        totals[row[1]] = totals.get(row[1], 0.0) + float(row[men_col])
    for row in rows:
        row[4] = "1" if totals[row[1]] < 11 else "0"
