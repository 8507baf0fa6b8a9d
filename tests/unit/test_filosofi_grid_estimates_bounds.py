"""Grid estimates: the overlap areas on edges that stay inside one cell or run along the grid lines, and
the bounds of a mean (standard of living) checked against every way of taking the cut cells."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
import shapely
from shapely.geometry import Polygon, box

from models.grid_estimates import estimate_on_perimeters
from models.grid_overlap import cell_overlaps, to_crs
from sources.filosofi_grid.settings import COUNT_COLUMNS
from tests.unit.test_filosofi_grid_estimates import assert_areas_match_shapely


def test_overlap_areas_with_short_edges_and_vertices_on_grid_lines() -> None:
    # A finely sampled circle (short edges, nearly all inside one cell), a diamond through cell corners,
    # a clockwise ring (oriented before use) whose edges run along grid lines, and a tiny triangle inside
    # one cell.
    angles = np.linspace(0, 2 * np.pi, 2_000, endpoint=False)
    circle = Polygon(
        np.column_stack([4_000_123.4 + 530 * np.cos(angles), 2_000_077.7 + 530 * np.sin(angles)])
    )
    diamond = Polygon([(400, 0), (800, 400), (400, 800), (0, 400)])
    clockwise = Polygon([(0, 0), (0, 400), (600, 400), (600, 200), (200, 200), (200, 0)])
    tiny = Polygon([(1_010, 1_010), (1_020, 1_010), (1_015, 1_019)])
    shapes = [circle, diamond, clockwise, tiny]
    gi, _, _, area = assert_areas_match_shapely(shapes)  # all four valid: make_valid leaves them as they are
    assert area[gi == 3].tolist() == [pytest.approx(45.0)]  # ½ · 10 · 9 m², in cell (5, 5)


def _cells(values: list[tuple[int, float, float]]) -> pl.DataFrame:
    """One row of 200 m cells from x = 0: (men, individuals, sum of standards of living) per cell."""
    rows = []
    for k, (men, ind, snv) in enumerate(values):
        row: dict[str, object] = dict.fromkeys(COUNT_COLUMNS, 1.0)
        row.update(
            cell_id=f"c{k}",
            men=float(men),
            men_pauv=0.0,
            ind=ind,
            ind_snv=snv,
            imputed_200m=False,
            cell_crs="EPSG:2154",
            cell_x=200 * k,
            cell_y=0,
        )
        rows.append(row)
    return pl.DataFrame(rows)


def test_mean_bound_is_the_extreme_over_every_subset_of_cut_cells() -> None:
    # Cells 0 and 5 are cut (a quarter inside), cells 1–4 wholly inside for P; Q cuts cells 2, 3, 4, 5 only
    # (none wholly inside) and one of them has no individual (left out of the mean's bound).
    values = [(50, 120.0, 120.0 * 15_000), (60, 150.0, 150.0 * 22_000), (40, 90.0, 90.0 * 18_000)]
    values += [(30, 70.0, 70.0 * 31_000), (20, 0.0, 0.0), (45, 100.0, 100.0 * 9_000)]
    cells = _cells(values)
    per = pl.DataFrame(
        {
            "territory_kind": ["qpv2024", "qpv2024"],
            "territory_code": ["P", "Q"],
            "geo_version": ["qpv2024", "qpv2024"],
            "geom_wkb": [
                shapely.to_wkb(box(150, 0, 1_050, 200)),
                shapely.to_wkb(box(450, 50, 1_150, 150)),
            ],
        }
    )
    est = estimate_on_perimeters(cells, per, period="2021", source_vintage="2021", sha256="x")
    obs = est.observations.filter(pl.col("indicator_id") == "filo_grid_niveau_vie_moyen")
    for code, whole, cut in (("P", [1, 2, 3, 4], [0, 5]), ("Q", [], [2, 3, 4, 5])):
        a = sum(values[k][2] for k in whole)
        b = sum(values[k][1] for k in whole)
        candidates = []
        for taken in itertools.product([0, 1], repeat=len(cut)):
            num = a + sum(t * values[k][2] for t, k in zip(taken, cut, strict=True))
            den = b + sum(t * values[k][1] for t, k in zip(taken, cut, strict=True))
            if den > 0:
                candidates.append(num / den)
        row = obs.filter(pl.col("territory_code") == code).row(0, named=True)
        assert row["status"] == "estimated"
        assert row["interval_low"] == pytest.approx(min(candidates))
        assert row["interval_high"] == pytest.approx(max(candidates))
        assert row["interval_low"] <= row["value"] <= row["interval_high"]


def test_lambert93_perimeters_on_the_laea_grid_whatever_their_orientation() -> None:
    # Perimeters given in Lambert-93 with rings turning either way (an exterior clockwise, a hole
    # counter-clockwise), a multipolygon and an empty polygon; then the same with an invalid bow tie
    # among them (repaired, which takes the general path). Shares against shapely on the squares of the
    # EPSG:3035 cells, the perimeters reprojected to EPSG:3035.
    x0, y0 = 652_013.7, 6_862_041.3  # Lambert-93, near Paris
    exterior = [(x0, y0), (x0, y0 + 900), (x0 + 1_100, y0 + 900), (x0 + 1_100, y0)]  # clockwise
    hole = [(x0 + 300, y0 + 300), (x0 + 700, y0 + 300), (x0 + 700, y0 + 600), (x0 + 300, y0 + 600)]  # ccw
    shapes = {
        "HOLED": Polygon(exterior, [hole]),
        "MULTI": shapely.MultiPolygon(  # two parts 50 m apart, sharing cells
            [box(x0 + 2_000, y0, x0 + 2_250, y0 + 250), box(x0 + 2_300, y0 + 100, x0 + 2_600, y0 + 180)]
        ),
        "EMPTY": Polygon(),
    }
    in_laea = to_crs(np.array(list(shapes.values()), dtype=object), "EPSG:2154", "EPSG:3035")
    x_min, y_min, x_max, y_max = shapely.total_bounds(in_laea)
    xs, ys = np.meshgrid(
        np.arange(x_min // 200 * 200 - 400, x_max + 400, 200),
        np.arange(y_min // 200 * 200 - 400, y_max + 400, 200),
    )
    cells = pl.DataFrame(
        {
            "cell_crs": "EPSG:3035",
            "cell_x": xs.ravel().astype(np.int64),
            "cell_y": ys.ravel().astype(np.int64),
        }
    )
    # Reference areas in coordinates relative to the grid's corner (no cancellation on 7-digit values).
    ox, oy = float(cells["cell_x"].to_numpy().min()), float(cells["cell_y"].to_numpy().min())
    cx, cy = cells["cell_x"].to_numpy() - ox, cells["cell_y"].to_numpy() - oy
    squares = shapely.box(cx, cy, cx + 200, cy + 200)
    expected = {
        (code, k): share
        for code, geom in zip(shapes, in_laea, strict=True)
        for k, share in enumerate(
            shapely.area(shapely.intersection(shapely.transform(geom, lambda c: c - [ox, oy]), squares))
            / 40_000
        )
        if share > 1e-9
    }
    bow_tie = Polygon([(x0, y0 - 2_000), (x0 + 400, y0 - 1_600), (x0 + 400, y0 - 2_000), (x0, y0 - 1_600)])
    for extra in ({}, {"BOWTIE": bow_tie}):
        geoms = {**shapes, **extra}
        per = pl.DataFrame(
            {
                "territory_kind": "qpv2024",
                "territory_code": list(geoms),
                "geo_version": "qpv2024",
                "geom_wkb": [shapely.to_wkb(g) for g in geoms.values()],
            }
        )
        pairs = cell_overlaps(cells, per).filter(pl.col("territory_code") != "BOWTIE")
        got = {(r["territory_code"], r["cell_index"]): r["area_share"] for r in pairs.iter_rows(named=True)}
        assert set(got) == set(expected)
        assert max(abs(got[k] - expected[k]) for k in got) < 1e-9
        assert {c for c, _ in got} == {"HOLED", "MULTI"}
        # The hole is left out: the cells wholly inside it get nothing, those wholly in the ring count 1.
        assert any(s == pytest.approx(1.0) for (c, _), s in got.items() if c == "HOLED")
