"""Grid estimates on perimeters: tiny inline grids in Lambert-93, and the conformance of the EPSG:3035 grid
to Lambert-93 perimeters against shapely on explicit cell squares."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from checks.filosofi_grid import GridEstimateObservations, GridEstimateQuality
from models.grid_error import measure_grid_error
from models.grid_estimates import estimate_on_perimeters
from models.grid_overlap import cell_overlaps, grid_overlap_areas
from sources.filosofi_grid import cell_squares
from sources.filosofi_grid.settings import COUNT_COLUMNS


def grid(nx: int, ny: int, men: float = 40.0, pauv: float = 10.0) -> pl.DataFrame:
    """nx × ny cells of 200 m from (0, 0); cell k (row-major) has men = men·(k+1), ind = 2.5·men."""
    rows = []
    for j in range(ny):
        for i in range(nx):
            k = j * nx + i + 1
            row: dict[str, object] = dict.fromkeys(COUNT_COLUMNS, 1.0)
            row.update(
                cell_id=f"c{k}",
                men=men * k,
                men_pauv=pauv * k,
                ind=2.5 * men * k,
                ind_snv=2.5 * men * k * 20_000,
                imputed_200m=False,
                # A 200 m grid in the perimeters' own CRS: no reprojection (see the EPSG:3035 tests below).
                cell_crs="EPSG:2154",
                cell_x=200 * i,
                cell_y=200 * j,
            )
            rows.append(row)
    return pl.DataFrame(rows)


def perimeters(**geoms: shapely.Geometry) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "territory_kind": ["qpv2024"] * len(geoms),
            "territory_code": list(geoms),
            "geo_version": ["qpv2024"] * len(geoms),
            "geom_wkb": [shapely.to_wkb(g) for g in geoms.values()],
        }
    )


def run(cells: pl.DataFrame, per: pl.DataFrame) -> pl.DataFrame:
    est = estimate_on_perimeters(cells, per, period="2021", source_vintage="2021", sha256="abc")
    GridEstimateObservations.validate(est.observations)
    GridEstimateQuality.validate(est.quality)
    return est.observations


def value(obs: pl.DataFrame, code: str, indicator: str) -> dict[str, object]:
    return obs.filter((pl.col("territory_code") == code) & (pl.col("indicator_id") == indicator)).row(
        0, named=True
    )


def test_four_whole_cells_exact_sum_zero_width_bound() -> None:
    cells = grid(3, 3)
    obs = run(cells, perimeters(Q=box(0, 0, 400, 400)))  # cells 1, 2, 4, 5
    men = value(obs, "Q", "filo_grid_men")
    assert men["value"] == 40.0 * (1 + 2 + 4 + 5)
    assert men["interval_low"] == men["interval_high"] == men["value"]
    assert men["status"] == "estimated" and men["method"] == "grid_estimate"
    rate = value(obs, "Q", "filo_grid_taux_pauvrete_men")
    assert rate["value"] == pytest.approx(100 * 10 * 12 / (40 * 12))
    assert rate["interval_low"] == pytest.approx(rate["value"]) and rate["interval_high"] == pytest.approx(
        rate["value"]
    )


def test_half_cell_gets_half() -> None:
    cells = grid(1, 1, men=100.0, pauv=30.0)
    obs = run(cells, perimeters(H=box(0, 0, 100, 200)))
    men = value(obs, "H", "filo_grid_men")
    assert men["value"] == pytest.approx(50.0)
    assert (men["interval_low"], men["interval_high"]) == (0.0, 100.0)
    ind = value(obs, "H", "filo_grid_ind")
    assert ind["value"] == pytest.approx(125.0)
    rate = value(obs, "H", "filo_grid_taux_pauvrete_men")
    assert rate["numerator"] == pytest.approx(15.0) and rate["denominator"] == pytest.approx(50.0)
    assert rate["value"] == pytest.approx(30.0)
    # Assumption-free bound: the half could hold only poor households, or none.
    assert (rate["interval_low"], rate["interval_high"]) == (pytest.approx(0.0), pytest.approx(100.0))


def test_rate_is_recomputed_not_averaged() -> None:
    cells = grid(2, 1, pauv=12.0)  # cell 1: 12 poor of 40; cell 2: set to 0 poor of 80
    cells = cells.with_columns(
        pl.when(pl.col("cell_id") == "c2").then(0.0).otherwise(pl.col("men_pauv")).alias("men_pauv")
    )
    obs = run(cells, perimeters(R=box(0, 0, 400, 200)))
    # (12 + 0) / (40 + 80) = 10 %, not the mean of 30 % and 0 %.
    assert value(obs, "R", "filo_grid_taux_pauvrete_men")["value"] == pytest.approx(100 * 12 / 120)


def test_edge_neighbours_do_not_widen_the_bound() -> None:
    cells = grid(4, 4)
    obs = run(cells, perimeters(E=box(200, 200, 600, 600)))
    men = value(obs, "E", "filo_grid_men")
    assert men["interval_low"] == men["interval_high"] == men["value"] == 40.0 * (6 + 7 + 10 + 11)


def test_medians_not_estimable() -> None:
    obs = run(grid(2, 2), perimeters(M=box(0, 0, 400, 400)))
    medians = obs.filter(pl.col("indicator_id").str.contains("median|_d1|_d9|interdecile"))
    assert medians.height == 4
    assert medians["status"].unique().to_list() == ["not_applicable"]
    assert medians["value"].null_count() == 4


def test_fewer_than_11_households_suppressed() -> None:
    cells = grid(1, 1, men=20.0, pauv=8.0)
    obs = run(cells, perimeters(S=box(0, 0, 100, 200), T=box(0, 0, 200, 200)))
    small = obs.filter((pl.col("territory_code") == "S") & (pl.col("status") != "not_applicable"))
    assert small["status"].unique().to_list() == ["suppressed"]  # 10 households estimated
    for col in ("value", "interval_low", "interval_high", "numerator"):
        assert small[col].null_count() == small.height
    # T has 20 households but only 8 poor households: that count, and its rate, are suppressed.
    assert value(obs, "T", "filo_grid_men")["status"] == "estimated"
    assert value(obs, "T", "filo_grid_men_pauv")["status"] == "suppressed"
    assert value(obs, "T", "filo_grid_taux_pauvrete_men")["value"] is None


def test_quality_reports_cut_population_share() -> None:
    cells = grid(2, 1)  # c1 ind 100, c2 ind 200
    est = estimate_on_perimeters(
        cells, perimeters(Q=box(0, 0, 300, 200)), period="2021", source_vintage="2021", sha256="x"
    )
    q = est.quality.row(0, named=True)
    assert (q["cells_inside"], q["cells_cut"]) == (1, 1)
    assert q["cut_estimate_share"] == pytest.approx(100 / 200)  # 100 (c1) + 0.5·200 (c2)
    assert q["cut_cells_population_share"] == pytest.approx(200 / 300)


def test_perimeter_without_cells_is_suppressed() -> None:
    obs = run(grid(1, 1), perimeters(Z=box(10_000, 10_000, 10_400, 10_400)))
    assert value(obs, "Z", "filo_grid_men")["status"] == "suppressed"


def test_measure_error_against_published() -> None:
    cells = grid(3, 3)
    per = perimeters(A=box(0, 0, 400, 400), B=box(0, 0, 300, 600))
    est = estimate_on_perimeters(cells, per, period="2019", source_vintage="2019", sha256="x").observations
    true_a, est_b = 480.0, value(est, "B", "filo_grid_men")["value"]
    assert isinstance(est_b, float)
    published = pl.DataFrame(
        {
            "indicator_id": ["nb_menages", "nb_menages"],
            "territory_kind": ["qpv2024"] * 2,
            "territory_code": ["A", "B"],
            "period": ["2019", "2019"],
            "value": [true_a, est_b + 20.0],
        }
    )
    err = measure_grid_error(published, est, {"filo_grid_men": "nb_menages"}).row(0, named=True)
    assert err["n_territories"] == 2
    assert err["mean_absolute_error"] == pytest.approx(10.0)
    assert err["mean_relative_error"] == pytest.approx((0 + 20 / (est_b + 20)) / 2)
    assert err["mean_error"] == pytest.approx(-10.0)


def _reference_areas(geom: shapely.Geometry, cell: float) -> dict[tuple[int, int], float]:
    """Overlap area of `geom` with every cell of its bounding box, by shapely on explicit squares."""
    x0, y0, x1, y1 = geom.bounds
    out = {}
    for i in range(int(np.floor(x0 / cell)) - 1, int(np.ceil(x1 / cell)) + 1):
        for j in range(int(np.floor(y0 / cell)) - 1, int(np.ceil(y1 / cell)) + 1):
            area = shapely.intersection(geom, box(i * cell, j * cell, (i + 1) * cell, (j + 1) * cell)).area
            if area > 0:
                out[(i, j)] = area
    return out


def assert_areas_match_shapely(shapes: list[shapely.Geometry], cell: float = 200.0) -> tuple[object, ...]:
    """`grid_overlap_areas` gives, for every shape (repaired when invalid), the cells and overlap areas
    shapely computes on explicit squares, to 1e-6 m²; returns its arrays (shape index, i, j, area)."""
    gi, ix, iy, area = grid_overlap_areas(np.array(shapes, dtype=object), cell)
    for g, shape in enumerate(shapes):
        valid = shapely.make_valid(shape)
        expected = _reference_areas(valid, cell) if not valid.is_empty else {}
        mine = {
            (int(i), int(j)): float(a)
            for i, j, a in zip(ix[gi == g], iy[gi == g], area[gi == g], strict=True)
        }
        assert set(mine) == set(expected), g
        for key, value in expected.items():
            assert mine[key] == pytest.approx(value, abs=1e-6), (g, key)
    return gi, ix, iy, area


def _star(cx: float, cy: float, radius: float, n: int, seed: int) -> Polygon:
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.3, 1.0, n)
    return Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))


def test_grid_overlap_areas_match_shapely_on_awkward_shapes() -> None:
    ring = box(-1_010.0, -390.0, 1_230.5, 777.7).difference(box(-400.0, -200.0, 600.0, 400.0))  # a hole
    shapes = [
        _star(4_321_037.3, 2_910_411.9, 900.0, 300, seed=1),  # hundreds of vertices, EPSG:3035-like values
        ring,
        MultiPolygon([box(0, 0, 150, 150), box(150, 0, 390, 170)]),  # parts sharing cells and an edge
        box(400, 400, 600, 600),  # exactly one cell: wholly inside
        box(600, 0, 800, 0.5),  # a sliver along a grid line
        Polygon([(0, 0), (400, 400), (400, 0), (0, 400)]),  # invalid (bow tie): repaired as two triangles
        Polygon(),  # empty: no pair
    ]
    gi, ix, iy, area = assert_areas_match_shapely(shapes)
    assert {(int(i), int(j)) for i, j in zip(ix[gi == 3], iy[gi == 3], strict=True)} == {
        (2, 2)
    }  # no edge neighbour
    assert area[gi == 3].tolist() == [40_000.0]


def test_laea_cells_against_lambert93_perimeters_match_the_reprojected_squares() -> None:
    """The staged grid (EPSG:3035 corners) against a Lambert-93 perimeter: same pairs and shares as
    intersecting the cells' squares reprojected to Lambert-93 (the former method), to a few millionths."""
    to_l93 = Transformer.from_crs("EPSG:3035", "EPSG:2154", always_xy=True)
    cx, cy = 3_758_400 + 37, 2_893_000 + 81  # near Paris
    perimeter = shapely.transform(
        _star(cx, cy, 700.0, 250, seed=3),
        lambda c: np.column_stack(to_l93.transform(c[:, 0], c[:, 1])),
    )
    xs, ys = np.meshgrid(
        np.arange(cx - 1_200, cx + 1_200, 200) // 200 * 200,
        np.arange(cy - 1_200, cy + 1_200, 200) // 200 * 200,
    )
    cells = pl.DataFrame({"cell_crs": "EPSG:3035", "cell_x": xs.ravel(), "cell_y": ys.ravel()}).sample(
        fraction=0.8, seed=5
    )  # some cells absent (uninhabited): never paired
    pairs = cell_overlaps(cells, perimeters(P=perimeter))
    squares, _, _ = cell_squares(
        cells["cell_x"].to_numpy(), cells["cell_y"].to_numpy(), "EPSG:3035", "EPSG:2154"
    )
    share = shapely.area(shapely.intersection(perimeter, squares)) / shapely.area(squares)
    expected = {k: s for k, s in enumerate(share) if s > 1e-9}
    got = dict(zip(pairs["cell_index"].to_list(), pairs["area_share"].to_list(), strict=True))
    assert set(got) == set(expected) and len(got) > 20
    assert max(abs(got[k] - expected[k]) for k in got) < 1e-5
    inside = pairs.filter("inside")["cell_index"].to_list()
    assert set(inside) == {k for k, s in expected.items() if s >= 1 - 1e-9} and inside
    assert (pairs["cell_x"] == cells["cell_x"].gather(pairs["cell_index"])).all()
