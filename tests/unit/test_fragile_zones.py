"""Fragile zones on small synthetic grids."""

from __future__ import annotations

import polars as pl
import shapely
from shapely.geometry import box

from checks.filosofi_grid import FragileZones
from models.fragile_zones import FragileZoneSettings, detect_fragile_zones
from sources.filosofi_grid import parse_filosofi_grid_csv
from synthetic.filosofi_grid import write_filosofi_grid
from synthetic.territory import build_territory

COMMUNES = pl.DataFrame({"commune_code": ["99101", "99102"], "epci_code": ["E1", "E2"]})


def cells_frame(spec: dict[tuple[int, int], tuple[float, float, str]]) -> pl.DataFrame:
    """(i, j) → (households, poor, commune): 200 m cells of a local grid (EPSG:2975, no reprojection)."""
    rows = [
        {
            "cell_id": f"CRS2975RES200mN{7_600_000 + 200 * j}E{300_000 + 200 * i}",
            "cell_crs": "EPSG:2975",
            "cell_x": 300_000 + 200 * i,
            "cell_y": 7_600_000 + 200 * j,
            "lcog_geo": commune,
            "men": men,
            "men_pauv": poor,
            "ind": 2.4 * men,
        }
        for (i, j), (men, poor, commune) in spec.items()
    ]
    return pl.DataFrame(rows).with_columns(pl.lit(False).alias("imputed_200m"))  # no geometry needed


def no_qpv() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "territory_kind": pl.String,
            "territory_code": pl.String,
            "geo_version": pl.String,
            "geom_wkb": pl.Binary,
        }
    )


def base_spec() -> dict[tuple[int, int], tuple[float, float, str]]:
    spec = {(i, j): (30.0, 3.0, "99101") for i in range(6) for j in range(6)}  # 10 % everywhere
    for ij in [(1, 1), (1, 2), (2, 2)]:  # an L of 3 poor cells, 40 %: 90 households
        spec[ij] = (30.0, 12.0, "99101")
    spec[(4, 4)] = (30.0, 15.0, "99101")  # a lone poor cell: 30 households < 50, 72 individuals < 100
    return spec


def test_contiguous_poor_cells_form_one_zone() -> None:
    zones = detect_fragile_zones(cells_frame(base_spec()), no_qpv(), COMMUNES)
    FragileZones.validate(zones)
    assert zones.height == 1
    zone = zones.row(0, named=True)
    assert (zone["cells"], zone["households"], zone["poor_households"]) == (3, 90.0, 36.0)
    assert zone["poverty_rate"] == 40.0 and zone["epci_code"] == "E1"
    merged = shapely.from_wkb(zone["geom_wkb"])
    assert merged.geom_type == "Polygon" and abs(merged.area - 3 * 40_000) < 1e-6


def test_thresholds_are_parameters() -> None:
    lone = detect_fragile_zones(
        cells_frame(base_spec()),
        no_qpv(),
        COMMUNES,
        settings=FragileZoneSettings(min_households=30, min_individuals=1e9),
    )
    assert sorted(lone["cells"].to_list()) == [1, 3]
    strict = detect_fragile_zones(
        cells_frame(base_spec()), no_qpv(), COMMUNES, settings=FragileZoneSettings(poverty_ratio=4.5)
    )
    assert strict.height == 0


def test_never_below_confidentiality_threshold() -> None:
    spec = {(i, 0): (30.0, 3.0, "99101") for i in range(5)}
    spec[(2, 0)] = (8.0, 6.0, "99101")  # 75 % poor but 8 households
    zones = detect_fragile_zones(
        cells_frame(spec),
        no_qpv(),
        COMMUNES,
        settings=FragileZoneSettings(min_households=0, min_individuals=0),
    )
    assert zones.height == 0


def test_cells_in_qpv_and_other_epci_are_apart() -> None:
    spec = base_spec()
    spec[(3, 2)] = (30.0, 12.0, "99102")  # poor, adjacent to the L, but in another EPCI (rate 40 % there)
    cells = cells_frame(spec)
    zones = detect_fragile_zones(cells, no_qpv(), COMMUNES)
    assert zones.filter(pl.col("epci_code") == "E1")["cells"].to_list() == [3]
    # A QPV over the L's corner cell (1, 1) removes it: the remaining 2 cells hold 60 households.
    qpv = pl.DataFrame(
        {
            "territory_kind": ["qpv2024"],
            "territory_code": ["Q"],
            "geo_version": ["qpv2024"],
            "geom_wkb": [shapely.to_wkb(box(300_250, 7_600_250, 300_300, 7_600_300))],
        }
    )
    zones = detect_fragile_zones(cells, qpv, COMMUNES)
    assert zones.filter(pl.col("epci_code") == "E1")["cells"].to_list() == [2]


def test_synthetic_territory_has_one_fragile_zone_outside_qpvs(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    territory = build_territory(2024)
    cells = parse_filosofi_grid_csv(write_filosofi_grid(tmp_path, territory, seed=7)[0])
    qpvs = pl.DataFrame(
        {
            "territory_kind": "qpv2024",
            "territory_code": [q.code for q in territory.qpv2024],
            "geo_version": "qpv2024",
            "geom_wkb": [shapely.to_wkb(q.geometry_l93) for q in territory.qpv2024],
        }
    )
    communes = pl.DataFrame(
        {
            "commune_code": [c.code for c in territory.communes],
            "epci_code": [c.epci_siren for c in territory.communes],
        }
    )
    zones = detect_fragile_zones(cells, qpvs, communes)
    FragileZones.validate(zones)
    assert zones.height == 1
    pocket = territory.commune("99106").geometry_l93
    assert shapely.from_wkb(zones["geom_wkb"][0]).intersects(pocket)
