"""models.school_conformance.conform_schools against a brute-force shapely computation: inside (in or on
the polygon), near (true distance ≤ near_m, the bound included), far; holes, multipolygons, several
perimeters."""

from __future__ import annotations

import polars as pl
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from checks.education import SchoolQpv
from models.school_conformance import conform_schools
from models.schools import SCHOOL_SCHEMA

# The columns of `school_qpv`, in order, with or without rows.
COLUMNS = ["uai", "territory_kind", "territory_code", "geo_version", "relation", "distance_m", "coord_status"]

X0, Y0 = 650_000.0, 6_650_000.0
NEAR = 300.0


def _school(
    uai: str, x: float | None, y: float | None, status: str = "ok", rentree: int = 2022
) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(SCHOOL_SCHEMA)
    row.update(uai=uai, rentree=rentree, x_l93=x, y_l93=y, coord_status=status, level="ecole")
    return row


def _perimeters(geoms: dict[str, shapely.Geometry | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "territory_kind": ["qpv2024"] * len(geoms),
            "territory_code": list(geoms),
            "geo_version": ["qpv2024"] * len(geoms),
            "geom_wkb": [None if g is None else shapely.to_wkb(g) for g in geoms.values()],
        },
        schema={
            "territory_kind": pl.String,
            "territory_code": pl.String,
            "geo_version": pl.String,
            "geom_wkb": pl.Binary,
        },
    )


def _brute_force(
    points: dict[str, tuple[float, float, str]], geoms: dict[str, shapely.Geometry | None]
) -> set:
    """Every (point, polygon) pair, one by one: inside if the point intersects the polygon (boundary
    included), else near if its distance to the polygon is ≤ NEAR."""
    out = set()
    for uai, (x, y, status) in points.items():
        pt = shapely.Point(x, y)
        for code, geom in geoms.items():
            if geom is None:
                continue
            if geom.intersects(pt):
                out.add((uai, code, "inside", 0.0, status))
            elif geom.distance(pt) <= NEAR:
                out.add((uai, code, "near", round(geom.distance(pt), 6), status))
    return out


def test_conformance_equals_brute_force_with_boundary_and_exact_bound() -> None:
    square = box(X0, Y0, X0 + 1000, Y0 + 1000)
    # A triangle with a slanted edge, and a square with a hole, and a two-part multipolygon.
    triangle = Polygon([(X0 + 2000, Y0), (X0 + 3000, Y0), (X0 + 2000, Y0 + 1000)])
    holed = Polygon(
        [(X0, Y0 + 3000), (X0 + 2000, Y0 + 3000), (X0 + 2000, Y0 + 5000), (X0, Y0 + 5000)],
        [[(X0 + 500, Y0 + 3500), (X0 + 1500, Y0 + 3500), (X0 + 1500, Y0 + 4500), (X0 + 500, Y0 + 4500)]],
    )
    multi = MultiPolygon([box(X0 + 5000, Y0, X0 + 5200, Y0 + 200), box(X0 + 5800, Y0, X0 + 6000, Y0 + 200)])
    geoms: dict[str, shapely.Geometry | None] = {
        "SQ": square,
        "TRI": triangle,
        "HOLE": holed,
        "MULTI": multi,
        "EMPTY": None,
    }
    points = {
        "0990001A": (X0 + 500, Y0 + 500, "ok"),
        "0990002B": (X0 + 1000, Y0 + 250, "ok"),  # on the square's east edge: inside
        "0990003C": (X0, Y0, "imprecise"),  # on a corner: inside, flagged imprecise
        "0990004D": (X0 + 1300, Y0 + 500, "ok"),  # 300 m east of the square exactly: near (≤)
        "0990005E": (X0 + 1300.001, Y0 + 700, "ok"),  # 300.001 m: not near
        "0990006F": (X0 - 200, Y0 - 200, "ok"),  # 282.84 m from the corner: near
        "0990007G": (X0 - 250, Y0 - 250, "ok"),  # 353.55 m: within the widened box, yet far
        "0990008H": (X0 + 2500, Y0 + 500, "ok"),  # on the triangle's hypotenuse: inside
        "0990009I": (X0 + 2700, Y0 + 700, "ok"),  # 282.84 m beyond the hypotenuse: near
        "0990010J": (X0 + 1000, Y0 + 4000, "ok"),  # in the hole, 500 m from its ring: not near
        "0990011K": (X0 + 1300, Y0 + 4000, "ok"),  # in the hole, 200 m from its ring: near
        "0990012L": (X0 + 5500, Y0 + 100, "ok"),  # 300 m from both parts of the multipolygon: near once
        "0990013M": (X0 + 1150, Y0 + 1150, "ok"),  # near the square (212 m) only
        "0990014N": (X0 + 50_000, Y0, "ok"),
    }
    rows = [_school(uai, x, y, status) for uai, (x, y, status) in points.items()]
    rows += [
        _school("0990015P", X0 + 40_000, Y0, rentree=2021),  # an older row elsewhere: the last row wins
        _school("0990015P", X0 + 500, Y0 + 600, rentree=2022),
        _school("0990016Q", None, None, status="missing"),
        _school("0990017R", 48.8, 2.3, status="swapped"),
        _school("0990018S", X0 + 500, None),
    ]
    points["0990015P"] = (X0 + 500, Y0 + 600, "ok")
    out = conform_schools(pl.DataFrame(rows, schema=SCHOOL_SCHEMA), _perimeters(geoms), near_m=NEAR)
    SchoolQpv.validate(out)
    got = {
        (r["uai"], r["territory_code"], r["relation"], round(r["distance_m"], 6), r["coord_status"])
        for r in out.iter_rows(named=True)
    }
    assert got == _brute_force(points, geoms)
    assert out.height == len(got)
    # The facts the brute force stands on, stated once.
    by_uai = {(u, c): (rel, d) for u, c, rel, d, _s in got}
    assert by_uai[("0990002B", "SQ")] == ("inside", 0.0)
    assert by_uai[("0990003C", "SQ")] == ("inside", 0.0)
    assert by_uai[("0990008H", "TRI")] == ("inside", 0.0)
    assert by_uai[("0990004D", "SQ")] == ("near", 300.0)
    assert by_uai[("0990012L", "MULTI")] == ("near", 300.0)
    assert by_uai[("0990011K", "HOLE")] == ("near", 200.0)
    assert not {u for u, *_ in got} & {"0990005E", "0990007G", "0990010J", "0990014N", "0990018S"}
    assert out.columns == COLUMNS
    assert out["distance_m"].dtype == pl.Float64
    assert out.sort("geo_version", "territory_code", "uai").equals(out)


def test_no_point_or_no_perimeter_gives_the_empty_typed_frame() -> None:
    geoms: dict[str, shapely.Geometry | None] = {"SQ": box(X0, Y0, X0 + 10, Y0 + 10)}
    none_placed = pl.DataFrame([_school("0990016Q", None, None, status="missing")], schema=SCHOOL_SCHEMA)
    for school, perims in (
        (none_placed, _perimeters(geoms)),
        (pl.DataFrame([_school("A", X0, Y0)], schema=SCHOOL_SCHEMA), _perimeters({})),
    ):
        out = conform_schools(school, perims, near_m=NEAR)
        assert out.height == 0
        assert out.columns == COLUMNS
