"""The national mirror's Filosofi 200 m grid (~2.3 million inhabited cells), drawn per commune from its
population, written as INSEE's CSV."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import shapely

from synthetic.filosofi_grid import (
    AGE_SHARES,
    AGE_SHARES_DENSE,
    PERIOD_SHARES,
    PERIOD_SHARES_DENSE,
    cell_values,
)
from synthetic.national_geography import _as_national
from synthetic.national_territory import _L93_TO_LAEA, _LAEA_TO_L93, COMMUNE_SIZE_M, NX_FULL, NY_FULL, X0, Y0
from synthetic.territory import Territory

TARGET_CELLS = 2_300_000


def _largest_remainder(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole-number split of each `total` by `shares` (rows sum exactly to round(total))."""
    raw = total[:, None] * (shares / shares.sum())[None, :]
    floors = np.floor(raw)
    missing = (np.round(total) - floors.sum(axis=1)).astype(np.int64)
    rank = np.argsort(np.argsort(-(raw - floors), axis=1, kind="stable"), axis=1, kind="stable")
    return floors + (rank < missing[:, None])


def _tenths(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """One-decimal split; the last part takes the rest (rows sum to total)."""
    parts = np.round(total[:, None] * (shares / shares.sum())[None, :], 1)
    parts[:, -1] = np.round(total - parts[:, :-1].sum(axis=1), 1)
    return parts


def national_grid_frame(territory: Territory, seed: int, target_cells: int = TARGET_CELLS) -> pl.DataFrame:
    """The 200 m cells (2021 CSV columns, numbers as floats) of a national territory."""
    nat = _as_national(territory)
    rng = np.random.default_rng(seed + 21)
    ny, nx = nat.grid_shape
    target_cells = round(target_cells * nx * ny / (NX_FULL * NY_FULL))  # a smaller territory, fewer cells
    comm_geoms = np.array([c.geometry_l93 for c in nat.communes], dtype=object)
    ccx, ccy = shapely.get_x(shapely.centroid(comm_geoms)), shapely.get_y(shapely.centroid(comm_geoms))
    pop = np.array([c.population for c in nat.communes], dtype=np.float64)
    codes = np.array([c.code for c in nat.communes])
    # Full LAEA grid over the territory's bounding box, in row chunks (bounded memory).
    minx, miny, maxx, maxy = shapely.total_bounds(comm_geoms)
    lx, ly = _L93_TO_LAEA.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    x0, x1 = int(min(lx)) // 200 * 200, int(max(lx)) // 200 * 200 + 200
    y0, y1 = int(min(ly)) // 200 * 200, int(max(ly)) // 200 * 200 + 200
    xs_all = np.arange(x0, x1 + 1, 200)
    rows_all = np.arange(y0, y1 + 1, 200)
    # Presence: rural cells at a base rate, town cells by distance to the town centre.
    base_p = min(0.9, max(0.02, target_cells / (nx * ny * COMMUNE_SIZE_M**2 / 40_000) - 0.066))
    keep_x: list[np.ndarray] = []
    keep_y: list[np.ndarray] = []
    keep_c: list[np.ndarray] = []
    keep_e: list[np.ndarray] = []
    chunk = max(1, 600_000 // len(xs_all))
    for start in range(0, len(rows_all), chunk):
        gy2, gx2 = np.meshgrid(rows_all[start : start + chunk], xs_all, indexing="ij")
        gx, gy = gx2.ravel(), gy2.ravel()
        cx, cy = _LAEA_TO_L93.transform(gx + 100.0, gy + 100.0)
        cx, cy = np.asarray(cx), np.asarray(cy)
        i = np.floor((cx - X0) / COMMUNE_SIZE_M).astype(np.int64)
        j = np.floor((cy - Y0) / COMMUNE_SIZE_M).astype(np.int64)
        on = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        gx, gy, cx, cy, i, j = gx[on], gy[on], cx[on], cy[on], i[on], j[on]
        k = j * nx + i  # approximate commune (the grid cell before jitter): for density only
        d = np.hypot(cx - ccx[k], cy - ccy[k])
        scale = pop[k] / 20_000
        expected = 50 * scale * np.exp(-((d / 1_300) ** 2)) + 1.5
        p = np.clip(base_p + expected / 40, 0, 1)
        keep = rng.random(len(gx)) < p
        keep_x.append(gx[keep])
        keep_y.append(gy[keep])
        keep_c.append(np.stack([cx[keep], cy[keep]], axis=1))
        keep_e.append(expected[keep])
    gx = np.concatenate(keep_x)
    gy = np.concatenate(keep_y)
    centres = np.concatenate(keep_c)
    expected = np.concatenate(keep_e)
    n = len(gx)
    pts = shapely.points(centres)
    # Exact commune of each cell centre, and whether it lies in a (current) QPV.
    tree = shapely.STRtree(comm_geoms)
    pi, ci = tree.query(pts, predicate="intersects")
    commune_of = np.full(n, -1, dtype=np.int64)
    commune_of[pi] = ci
    qgeoms = np.array([q.geometry_l93 for q in nat.qpv2024], dtype=object)
    qdens = np.array([q.population / 2.6 / (q.geometry_l93.area / 40_000.0) for q in nat.qpv2024])
    qtree = shapely.STRtree(qgeoms)
    qi_pts, qi = qtree.query(pts, predicate="intersects")
    in_qpv = np.zeros(n, dtype=bool)
    in_qpv[qi_pts] = True
    near_pts, _ = qtree.query(pts, predicate="dwithin", distance=300.0)
    near_qpv = np.zeros(n, dtype=bool)
    near_qpv[near_pts] = True
    expected = expected.copy()
    expected[qi_pts] = qdens[qi]
    expected[near_qpv & ~in_qpv] += 15
    valid = commune_of >= 0
    men_true = np.maximum(1, np.round(expected * rng.uniform(0.8, 1.2, n) + rng.gamma(1.5, 3.0, n)))
    rate = np.where(in_qpv, 0.32, np.where(near_qpv, 0.16, 0.07 + 0.04 * rng.random(n)))
    dense = in_qpv
    imputed = men_true < 11
    whole = ~imputed
    men = np.where(whole, men_true, np.minimum(10.9, np.round(men_true * rng.uniform(0.9, 1.1, n), 1)))
    size = np.where(dense, 2.6, 2.2)
    ind = np.maximum(men_true, np.round(men_true * size))

    def part(share: np.ndarray | float, total: np.ndarray = men) -> np.ndarray:
        v = total * share
        return np.where(whole, np.round(v), np.round(v, 1))

    men_pauv = np.minimum(men, part(rate))
    men_1ind = part(np.where(dense, 0.30, 0.35))
    men_5ind = np.minimum(men - men_1ind, part(np.where(dense, 0.10, 0.05)))
    men_prop = part(np.where(dense, 0.15, 0.65))
    men_fmp = np.minimum(men - men_1ind, part(np.where(dense, 0.18, 0.07)))
    men_coll = part(np.where(dense, 0.9, 0.3 + 0.3 * rng.random(n)))
    men_mais = np.round(men - men_coll, 1)
    log_shares_d = np.array(PERIOD_SHARES_DENSE)
    log_shares = np.array(PERIOD_SHARES)
    log = np.empty((n, 5))
    for m, shares in ((dense, log_shares_d), (~dense, log_shares)):
        log[m & whole] = _largest_remainder(men[m & whole], shares)
        log[m & ~whole] = _tenths(men[m & ~whole], shares)
    log_soc = np.minimum(men, part(np.where(in_qpv, 0.75, 0.06)))
    age_d = np.array(AGE_SHARES_DENSE)
    age = np.array(AGE_SHARES)
    ages = np.empty((n, 11))
    ages[dense] = _largest_remainder(ind[dense], age_d)
    ages[~dense] = _largest_remainder(ind[~dense], age)
    level = np.where(dense, 14_500, 23_500) * rng.uniform(0.9, 1.1, n)
    ind_snv = np.round(ind * level, 1)
    men_surf = np.round(men * np.where(dense, 64, 92))
    people = (ind, men, men_pauv, men_1ind, men_5ind, men_prop, men_fmp)
    # The transposes' rows are the period and age-band columns.
    values = cell_values((*people, ind_snv, men_surf, men_coll, men_mais), log.T, log_soc, ages.T)
    frame = pl.DataFrame(
        {
            "x": gx,
            "y": gy,
            "imputed": imputed,
            "lcog_geo": np.where(valid, codes[np.maximum(commune_of, 0)], ""),
            **values,
        }
    ).filter(pl.col("lcog_geo") != "")
    return frame.sort("y", "x")


def _num(col: str) -> pl.Expr:
    """INSEE's number format: whole numbers without decimals, else one decimal."""
    v = pl.col(col)
    return (
        pl.when(v == v.round(0))
        .then(v.cast(pl.Int64).cast(pl.String))
        .otherwise(v.round(1).cast(pl.String))
        .alias(col)
    )


def write_national_filosofi_grid(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """`Filosofi2021_carreaux_200m_csv.zip` (member `carreaux_200m_met.csv`), ~2.3 million cells."""
    from sources.filosofi_grid.settings import CSV_HEADER_2021, RELEASES

    release = RELEASES["2021"]
    cells = national_grid_frame(territory, seed)
    x, y = pl.col("x"), pl.col("y")
    km_x, km_y = (x // 1000 * 1000).cast(pl.String), (y // 1000 * 1000).cast(pl.String)
    out = cells.with_columns(
        pl.format("CRS3035RES200mN{}E{}", y, x).alias("idcar_200m"),
        pl.format("CRS3035RES1000mN{}E{}", km_y, km_x).alias("idcar_1km"),
        pl.format("CRS3035RES2000mN{}E{}", (y // 2000 * 2000), (x // 2000 * 2000)).alias("idcar_nat"),
        pl.when(pl.col("imputed")).then(pl.lit("1")).otherwise(pl.lit("0")).alias("i_est_200"),
    )
    out = out.with_columns(
        pl.when(pl.col("men").sum().over("idcar_1km") < 11)
        .then(pl.lit("1"))
        .otherwise(pl.lit("0"))
        .alias("i_est_1km")
    )
    out = out.select(*CSV_HEADER_2021[:6], *(_num(c) for c in CSV_HEADER_2021[6:])).sort("idcar_200m")
    text = out.write_csv(line_terminator="\n", quote_style="never")
    target = mirror / release.csv_url.removeprefix("https://")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        info = zipfile.ZipInfo(release.csv_members["met"], date_time=(2026, 2, 16, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return [target]
