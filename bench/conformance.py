"""Conformance of every 200 m cell and every school to every QPV perimeter (both geographies):
Quartiers' way (models.grid_estimates.estimate_on_perimeters, models.schools.conform_schools) against
the plain geopandas way (overlay for the cells, sjoin dwithin + distance for the schools), same run,
same inputs (the staged tables of the last national refresh), with the ratio.

    python -m bench.conformance [--home DIR] [--skip-geopandas]

Target: Quartiers ≥ 10× faster than geopandas and ≤ 10 s in all.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench._common import bench_home, load_average, peak_rss_mib, timed

NEAR_M = 300.0


def _perimeters(territory: pl.DataFrame) -> pl.DataFrame:
    return territory.filter(
        pl.col("kind").is_in(["qpv2024", "qpv2015"]) & pl.col("geom_wkb").is_not_null()
    ).select(
        pl.col("kind").alias("territory_kind"),
        pl.col("code").alias("territory_code"),
        "geo_version",
        "geom_wkb",
    )


def load_inputs(home: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    staged = home / "staged"
    missing = [
        n for n in ("stg_filosofi_grid", "territory", "school") if not (staged / f"{n}.parquet").exists()
    ]
    if missing:
        raise SystemExit(
            f"staged tables {missing} absent under {staged}: run `python -m bench.refresh` first"
        )
    cells = pl.read_parquet(staged / "stg_filosofi_grid.parquet").drop("release", "source_sha256")
    perimeters = _perimeters(pl.read_parquet(staged / "territory.parquet"))
    school = pl.read_parquet(staged / "school.parquet")
    return cells, perimeters, school


def quartiers_way(cells: pl.DataFrame, perimeters: pl.DataFrame, school: pl.DataFrame) -> dict[str, Any]:
    from models.grid_estimates import estimate_on_perimeters
    from models.schools import conform_schools

    with timed() as t_grid:
        est = estimate_on_perimeters(cells, perimeters, period="2021", source_vintage="2021", sha256="0" * 64)
    with timed() as t_school:
        rel = conform_schools(school, perimeters, near_m=NEAR_M)
    men = est.observations.filter(pl.col("indicator_id") == "filo_grid_men").select(
        "territory_code", pl.col("value").fill_null(0.0).alias("men")
    )
    # The suppressed perimeters carry no value: compare on the rest.
    return {
        "grid_s": t_grid[0],
        "school_s": t_school[0],
        "men": men,
        "school_pairs": rel.height,
        "inside": int((rel["relation"] == "inside").sum()),
    }


def geopandas_way(cells: pl.DataFrame, perimeters: pl.DataFrame, school: pl.DataFrame) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    with timed() as t_grid:
        cell_gdf = gpd.GeoDataFrame(
            {"cell": np.arange(cells.height), "men": cells["men"].to_numpy()},
            geometry=shapely.from_wkb(cells["geom_wkb"].to_numpy()),
            crs="EPSG:2154",
        )
        cell_gdf["cell_area"] = cell_gdf.area
        perim_gdf = gpd.GeoDataFrame(
            {"territory_code": perimeters["territory_code"].to_list()},
            geometry=shapely.from_wkb(perimeters["geom_wkb"].to_numpy()),
            crs="EPSG:2154",
        )
        pieces = gpd.overlay(perim_gdf, cell_gdf, how="intersection", keep_geom_type=True)
        pieces["share"] = np.minimum(pieces.area / pieces["cell_area"], 1.0)
        pieces["men_est"] = pieces["men"] * pieces["share"]
        men = pieces.groupby("territory_code", as_index=False)["men_est"].sum()
    with timed() as t_school:
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
        "grid_s": t_grid[0],
        "school_s": t_school[0],
        "men": men,
        "school_pairs": len(joined),
        "inside": n_inside,
    }


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
    q_total = float(q["grid_s"]) + float(q["school_s"])
    print(
        f"Quartiers: grid {q['grid_s']:.1f} s + schools {q['school_s']:.2f} s = {q_total:.1f} s "
        f"(peak RSS so far {peak_rss_mib():.0f} MiB)"
    )
    if args.skip_geopandas:
        return
    g = geopandas_way(cells, perimeters, school)
    g_total = float(g["grid_s"]) + float(g["school_s"])
    print(
        f"geopandas: overlay {g['grid_s']:.1f} s + sjoin {g['school_s']:.2f} s = {g_total:.1f} s "
        f"(peak RSS {peak_rss_mib():.0f} MiB)"
    )
    print(
        f"ratio geopandas / Quartiers: {g_total / q_total:.1f}× "
        f"(grid {float(g['grid_s']) / float(q['grid_s']):.1f}×, "
        f"schools {float(g['school_s']) / float(q['school_s']):.1f}×)"
    )
    # Same answers? Households per perimeter (unsuppressed ones) and school pairs.
    both = q["men"].join(pl.from_pandas(g["men"]), on="territory_code", how="inner")
    both = both.filter(pl.col("men") > 0)
    diff = (both["men"] - both["men_est"]).abs().max() if both.height else 0.0
    print(
        f"agreement: households per perimeter max |Δ| = {diff:.6f} over {both.height} perimeters; "
        f"school pairs {q['school_pairs']} vs {g['school_pairs']}, inside {q['inside']} vs {g['inside']}"
    )


if __name__ == "__main__":
    main()
