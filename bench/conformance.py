"""Conformance of every 200 m cell and every school to every QPV perimeter (both geographies):
Quartiers' way (models.grid_estimates.estimate_on_perimeters,
models.school_conformance.conform_schools) against
the plain geopandas way (overlay of the cell squares, built from the staged corners in EPSG:3035, with
the perimeters reprojected there; sjoin dwithin + distance for the schools), same run, same inputs (the
staged tables of the last national refresh), same answers checked (households per perimeter, number of
(perimeter, cell) pairs, school pairs), with the ratio.

    python -m bench.conformance [--home DIR] [--skip-geopandas]

Target: Quartiers ≥ 10× faster than geopandas and ≤ 10 s in all.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench._common import bench_home, load_average, peak_rss_mib, timed
from models.territory import qpv_perimeters

NEAR_M = 300.0


def load_inputs(home: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    staged = home / "staged"
    missing = [
        n for n in ("stg_filosofi_grid", "territory", "school") if not (staged / f"{n}.parquet").exists()
    ]
    if missing:
        raise SystemExit(
            f"staged tables {missing} absent under {staged}: run `python -m bench.refresh` first"
        )
    grid = staged / "stg_filosofi_grid.parquet"
    # Staged tables of an older refresh may still carry a per-cell geometry: neither way reads it.
    unused = {"release", "source_sha256", "geom_wkb", "geom_crs", "corner_x", "corner_y"}
    cells = pl.read_parquet(grid, columns=[c for c in pl.read_parquet_schema(grid) if c not in unused])
    perimeters = qpv_perimeters(pl.read_parquet(staged / "territory.parquet"))
    school = pl.read_parquet(staged / "school.parquet")
    return cells, perimeters, school


def _times(
    t_grid: list[float], t_school: list[float], c_grid: list[float], c_school: list[float]
) -> dict[str, float]:
    """The wall and CPU times of both steps, as both ways report them."""
    return {"grid_s": t_grid[0], "school_s": t_school[0], "grid_cpu": c_grid[0], "school_cpu": c_school[0]}


def quartiers_way(cells: pl.DataFrame, perimeters: pl.DataFrame, school: pl.DataFrame) -> dict[str, Any]:
    from models.grid_estimates import estimate_on_perimeters
    from models.school_conformance import conform_schools

    with timed() as t_grid, timed(time.process_time) as c_grid:
        est = estimate_on_perimeters(cells, perimeters, period="2021", source_vintage="2021", sha256="0" * 64)
    with timed() as t_school, timed(time.process_time) as c_school:
        rel = conform_schools(school, perimeters, near_m=NEAR_M)
    men = est.observations.filter(pl.col("indicator_id") == "filo_grid_men").select(
        "territory_kind", "territory_code", pl.col("value").fill_null(0.0).alias("men")
    )
    # The suppressed perimeters carry no value: compare on the rest.
    return {
        **_times(t_grid, t_school, c_grid, c_school),
        "men": men,
        "cell_pairs": int(est.quality.select(pl.col("cells_inside") + pl.col("cells_cut")).to_series().sum()),
        "school_pairs": rel.height,
        "inside": int((rel["relation"] == "inside").sum()),
    }


def geopandas_way(cells: pl.DataFrame, perimeters: pl.DataFrame, school: pl.DataFrame) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    perim_gdf = gpd.GeoDataFrame(
        {
            "territory_kind": perimeters["territory_kind"].to_list(),
            "territory_code": perimeters["territory_code"].to_list(),
        },
        geometry=shapely.from_wkb(perimeters["geom_wkb"].to_numpy()),
        crs="EPSG:2154",
    )
    with timed() as t_grid, timed(time.process_time) as c_grid:
        x = cells["cell_x"].to_numpy().astype(np.float64)
        y = cells["cell_y"].to_numpy().astype(np.float64)
        cell_gdf = gpd.GeoDataFrame(
            {"men": cells["men"].to_numpy()}, geometry=shapely.box(x, y, x + 200, y + 200), crs="EPSG:3035"
        )
        pieces = gpd.overlay(perim_gdf.to_crs("EPSG:3035"), cell_gdf, how="intersection", keep_geom_type=True)
        pieces["share"] = np.minimum(pieces.area / 40_000.0, 1.0)
        pieces = pieces[pieces["share"] > 1e-9]
        pieces["men_est"] = pieces["men"] * pieces["share"]
        men = pieces.groupby(["territory_kind", "territory_code"], as_index=False)["men_est"].sum()
    with timed() as t_school, timed(time.process_time) as c_school:
        placed = school.filter(
            pl.col("coord_status").is_in(["ok", "imprecise"]) & pl.col("x_l93").is_not_null()
        )
        placed = placed.group_by("uai").agg(pl.col("x_l93").last(), pl.col("y_l93").last())
        pts = gpd.GeoDataFrame(
            {"uai": placed["uai"].to_list()},
            geometry=gpd.points_from_xy(placed["x_l93"].to_numpy(), placed["y_l93"].to_numpy()),
            crs="EPSG:2154",
        )
        joined = gpd.sjoin(pts, perim_gdf, predicate="dwithin", distance=NEAR_M)
        dist = joined.geometry.distance(perim_gdf.geometry.loc[joined["index_right"]], align=False)
        n_inside = int((dist.to_numpy() == 0).sum())
    return {
        **_times(t_grid, t_school, c_grid, c_school),
        "men": men,
        "cell_pairs": len(pieces),
        "school_pairs": len(joined),
        "inside": n_inside,
    }


def _print_times(way: str, steps: tuple[str, str], r: dict[str, Any], rss: str) -> tuple[float, float]:
    """Print one way's wall and CPU times per step and in all; return (wall, CPU) in all."""
    total = float(r["grid_s"]) + float(r["school_s"])
    cpu = float(r["grid_cpu"]) + float(r["school_cpu"])
    print(
        f"{way}: {steps[0]} {r['grid_s']:.2f} s + {steps[1]} {r['school_s']:.2f} s = {total:.2f} s wall; "
        f"CPU {r['grid_cpu']:.2f} + {r['school_cpu']:.2f} = {cpu:.2f} s ({rss} {peak_rss_mib():.0f} MiB)"
    )
    return total, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--skip-geopandas", action="store_true")
    args = parser.parse_args()
    home = args.home or bench_home()
    cells, perimeters, school = load_inputs(home)
    print(
        f"{cells.height} cells, {perimeters.height} perimeters, {school['uai'].n_unique()} schools; "
        f"{load_average()}"
    )
    q = quartiers_way(cells, perimeters, school)
    q_total, q_cpu = _print_times("Quartiers", ("grid", "schools"), q, "peak RSS so far")
    if args.skip_geopandas:
        return
    g = geopandas_way(cells, perimeters, school)
    g_total, g_cpu = _print_times("geopandas", ("overlay", "sjoin"), g, "peak RSS")
    print(
        f"ratio geopandas / Quartiers, wall: {g_total / q_total:.1f}× "
        f"(grid {float(g['grid_s']) / float(q['grid_s']):.1f}×, "
        f"schools {float(g['school_s']) / float(q['school_s']):.1f}×); "
        f"CPU: {g_cpu / q_cpu:.1f}× (grid {float(g['grid_cpu']) / float(q['grid_cpu']):.1f}×, "
        f"schools {float(g['school_cpu']) / float(q['school_cpu']):.1f}×); {load_average()}"
    )
    # Same answers? Households per perimeter (unsuppressed ones) and school pairs.
    both = q["men"].join(pl.from_pandas(g["men"]), on=["territory_kind", "territory_code"], how="inner")
    both = both.filter(pl.col("men") > 0)
    diff = (both["men"] - both["men_est"]).abs().max() if both.height else 0.0
    print(
        f"agreement: households per perimeter max |Δ| = {diff:.6f} over {both.height} perimeters; "
        f"(perimeter, cell) pairs {q['cell_pairs']} vs {g['cell_pairs']}; "
        f"school pairs {q['school_pairs']} vs {g['school_pairs']}, inside {q['inside']} vs {g['inside']}"
    )


if __name__ == "__main__":
    main()
