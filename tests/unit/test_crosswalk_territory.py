"""Crosswalk relations and QPV → commune links, on tiny inline frames in Lambert-93 metres."""

from __future__ import annotations

import polars as pl
import pytest
import shapely
from shapely.geometry import box

from checks.geography import crosswalk_share_sums, qpvs_without_commune
from models.crosswalk import build_crosswalk
from models.territory import qpv_commune_links


def perims(*rows: tuple[str, str, shapely.Geometry, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [r[0] for r in rows],
            "geography": [r[1] for r in rows],
            "geom_wkb": [shapely.to_wkb(r[2]) for r in rows],
            "commune_codes": [r[3] for r in rows],
        },
        schema={
            "code": pl.String,
            "geography": pl.String,
            "geom_wkb": pl.Binary,
            "commune_codes": pl.List(pl.String),
        },
    )


def relation(cw: pl.DataFrame, c15: str | None, c24: str | None) -> str:
    f = cw.filter(
        (pl.col("code_2015").is_null() if c15 is None else pl.col("code_2015") == c15)
        & (pl.col("code_2024").is_null() if c24 is None else pl.col("code_2024") == c24)
    )
    assert f.height == 1, f
    return str(f["relation"].item())


def test_every_relation_and_shares_partition_each_qpv() -> None:
    frame = perims(
        ("QP099001", "qpv2015", box(0, 0, 100, 100), []),
        ("QN09901I", "qpv2024", box(0, 0, 100, 100), []),  # same outline
        ("QP099002", "qpv2015", box(1000, 0, 1100, 100), []),
        ("QN09902M", "qpv2024", box(1000, 0, 1200, 100), []),  # twice as large
        ("QP099003", "qpv2015", box(2000, 0, 2100, 100), []),
        ("QN09903M", "qpv2024", box(2000, 0, 2050, 100), []),  # half
        ("QP099004", "qpv2015", box(3000, 0, 3100, 100), []),
        ("QP099005", "qpv2015", box(3100, 0, 3200, 100), []),
        ("QN09904M", "qpv2024", box(3000, 0, 3200, 100), []),  # two merged
        ("QP099006", "qpv2015", box(4000, 0, 4200, 100), []),
        ("QN09905M", "qpv2024", box(4000, 0, 4100, 100), []),
        ("QN09906M", "qpv2024", box(4100, 0, 4200, 100), []),  # one split in two
        ("QN09907N", "qpv2024", box(5000, 0, 5100, 100), []),  # new
        ("QP099008", "qpv2015", box(6000, 0, 6100, 100), []),  # removed
    )
    cw = build_crosswalk(frame)
    assert relation(cw, "QP099001", "QN09901I") == "unchanged"
    assert relation(cw, "QP099002", "QN09902M") == "extended"
    assert relation(cw, None, "QN09902M") == "added_area"
    assert relation(cw, "QP099003", "QN09903M") == "reduced"
    assert relation(cw, "QP099003", None) == "dropped_area"
    assert relation(cw, "QP099004", "QN09904M") == relation(cw, "QP099005", "QN09904M") == "merged"
    assert relation(cw, "QP099006", "QN09905M") == relation(cw, "QP099006", "QN09906M") == "split"
    assert relation(cw, None, "QN09907N") == "new"
    assert relation(cw, "QP099008", None) == "removed"
    half = cw.filter((pl.col("code_2015") == "QP099002") & (pl.col("code_2024") == "QN09902M"))
    assert half["share_of_2024"].item() == pytest.approx(0.5)
    assert half["share_of_2015"].item() == pytest.approx(1.0)
    assert crosswalk_share_sums(cw).is_empty()


def test_share_check_catches_a_broken_partition() -> None:
    cw = build_crosswalk(
        perims(
            ("QP099001", "qpv2015", box(0, 0, 100, 100), []), ("QN09901M", "qpv2024", box(0, 0, 200, 100), [])
        )
    )
    broken = cw.filter(pl.col("code_2015").is_not_null())  # drop the added-area row
    assert crosswalk_share_sums(broken)["code"].to_list() == ["QN09901M"]


def test_no_crosswalk_when_one_geography_is_absent() -> None:
    assert build_crosswalk(perims(("QP099001", "qpv2015", box(0, 0, 1, 1), []))).is_empty()


def test_qpv_commune_links_measure_area_shares_and_keep_declared_communes() -> None:
    contours = pl.DataFrame(
        {
            "code": ["99101", "99102"],
            "geom_wkb": [shapely.to_wkb(box(0, 0, 100, 100)), shapely.to_wkb(box(100, 0, 200, 100))],
        }
    )
    frame = perims(
        ("QN09901M", "qpv2024", box(50, 0, 150, 10), ["99101", "99102"]),
        ("QN09902M", "qpv2024", box(10, 10, 20, 20), ["99101"]),
        # 0.2 % in the second commune: a digitising sliver, not a link, since it is not declared.
        ("QN09903M", "qpv2024", box(50, 50, 99.9, 100), ["99101"]),
    )
    links = qpv_commune_links(frame, contours, geo_version="cog2024")
    got = {
        (r["child_code"], r["parent_code"]): round(r["area_share"], 3) for r in links.iter_rows(named=True)
    }
    assert got == {
        ("QN09901M", "99101"): 0.5,
        ("QN09901M", "99102"): 0.5,
        ("QN09902M", "99101"): 1.0,
        ("QN09903M", "99101"): 1.0,
    }


def test_links_fall_back_to_declared_communes_without_contours() -> None:
    empty = pl.DataFrame(schema={"code": pl.String, "geom_wkb": pl.Binary})
    frame = perims(
        ("QN06236M", "qpv2024", box(0, 0, 1, 1), ["62040", "62525", "62765"]),
        ("QN06101M", "qpv2024", box(0, 0, 1, 1), ["61006"]),
    )
    links = qpv_commune_links(frame, empty, geo_version="cog2024")
    assert links.filter(pl.col("child_code") == "QN06236M")["area_share"].to_list() == [None, None, None]
    assert links.filter(pl.col("child_code") == "QN06101M")["area_share"].to_list() == [1.0]
    assert set(links["method"]) == {"declared"}


def test_orphan_qpv_is_reported() -> None:
    territory = pl.DataFrame(
        {
            "kind": ["qpv2024", "qpv2024", "commune"],
            "code": ["QN09901I", "QN09902M", "99101"],
            "name": ["A", "B", "C"],
        }
    )
    links = pl.DataFrame(
        {
            "child_kind": ["qpv2024"],
            "child_code": ["QN09901I"],
            "parent_kind": ["commune"],
            "parent_code": ["99101"],
        }
    )
    assert qpvs_without_commune(territory, links)["code"].to_list() == ["QN09902M"]


def test_a_partial_layer_does_not_make_qpvs_new_elsewhere() -> None:
    """2015 perimeters of one département only: a 2024 QPV of another département is unknown, not new."""
    cw = build_crosswalk(
        perims(
            ("QP031001", "qpv2015", box(0, 0, 100, 100), []),
            ("QN03101M", "qpv2024", box(0, 0, 100, 100), []),
            ("QN06101M", "qpv2024", box(5000, 0, 5100, 100), []),  # Orne: no 2015 perimeter given there
            ("QN03102N", "qpv2024", box(9000, 0, 9100, 100), []),  # Haute-Garonne: covered, so truly new
        )
    )
    assert "QN06101M" not in cw["code_2024"].to_list()
    assert relation(cw, None, "QN03102N") == "new"
