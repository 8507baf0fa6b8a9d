"""The national synthetic generator, at a small scale: deterministic, official layouts, valid codes."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
import shapely

from checks.geography import COMMUNE, DEPARTEMENT, QPV2015, QPV2024
from synthetic.national import generate_national, national_writers
from synthetic.national_grid import national_grid_frame
from synthetic.national_territory import NationalTerritory, build_national_territory
from synthetic.territory import Territory

SCALE = 0.02  # ~700 communes, a few dozen QPVs


@pytest.fixture(scope="module")
def territory() -> NationalTerritory:
    return build_national_territory(7, SCALE)


def _digest(t: Territory) -> str:
    h = hashlib.sha256()
    for c in t.communes:
        h.update(f"{c.code}{c.name}{c.epci_siren}{c.population}".encode())
        h.update(shapely.to_wkb(c.geometry_l93))
    for q in t.qpvs:
        h.update(f"{q.code}{q.commune_codes}{q.population}".encode())
        h.update(shapely.to_wkb(q.geometry_l93))
    return h.hexdigest()


def test_same_seed_same_territory_other_seed_other(territory: NationalTerritory) -> None:
    assert _digest(build_national_territory(7, SCALE)) == _digest(territory)
    assert _digest(build_national_territory(8, SCALE)) != _digest(territory)


def test_territory_is_a_territory_with_valid_codes_and_geometry(territory: NationalTerritory) -> None:
    assert isinstance(territory, Territory)
    assert len(territory.departements) > 1
    assert all(re.match(COMMUNE, c.code) for c in territory.communes)
    assert all(re.match(DEPARTEMENT, d) for d, _ in territory.departements)
    assert territory.qpv2024 and territory.qpv2015
    assert all(re.match(QPV2024, q.code) for q in territory.qpv2024)
    assert all(re.match(QPV2015, q.code) for q in territory.qpv2015)
    codes = [q.code for q in territory.qpvs]
    assert len(codes) == len(set(codes))
    # Hundreds of vertices per QPV, valid outlines, inside the communes they declare.
    assert min(len(shapely.get_coordinates(q.geometry_l93)) for q in territory.qpv2024) >= 150
    for q in territory.qpvs:
        assert q.geometry_l93.is_valid
        union = shapely.union_all([territory.commune(c).geometry_l93 for c in q.commune_codes])
        assert q.geometry_l93.difference(union).area < 0.01 * q.geometry_l93.area
        assert q.population <= sum(territory.commune(c).population for c in q.commune_codes)
    # Communes tile the rectangle exactly.
    total = sum(c.geometry_l93.area for c in territory.communes)
    assert shapely.union_all([c.geometry_l93 for c in territory.communes]).area == pytest.approx(total)


def test_grid_counts_are_consistent(territory: NationalTerritory) -> None:
    cells = national_grid_frame(territory, 7)
    assert cells.height > 1_000
    assert cells.filter(pl.col("men_pauv") > pl.col("men")).is_empty()
    ages = [c for c in cells.columns if c.startswith("ind_") and c != "ind_snv"]
    assert (cells.select(pl.sum_horizontal(ages) - pl.col("ind")).to_series().abs() < 1e-6).all()
    assert set(cells["lcog_geo"].unique()) <= {c.code for c in territory.communes}
    assert cells.equals(national_grid_frame(territory, 7))


def test_writers_replace_only_what_cannot_scale() -> None:
    names = [f"{w.__module__}.{w.__name__}" for w in national_writers()]
    assert "synthetic.national_geography.write_national_geography" in names
    assert "synthetic.national_grid.write_national_filosofi_grid" in names
    assert "synthetic.geography.write_geography" not in names
    assert any(n.startswith("synthetic.caf.") for n in names)


def test_mirror_files_parse_with_the_project_parsers(tmp_path: Path) -> None:
    from sources.cog import read_insee_communes
    from sources.filosofi_grid import parse_filosofi_grid_csv
    from sources.qpv_perimeters import read_perimeters
    from sources.qpv_perimeters import settings as perimeter_settings

    files = generate_national(tmp_path / "m", seed=3, scale=0.005)
    by_name = {p.name: p for p in files}
    grid = next(p for p in files if p.name.endswith("carreaux_200m_csv.zip"))
    assert zipfile.ZipFile(grid).namelist() == ["carreaux_200m_met.csv"]
    cells = parse_filosofi_grid_csv(grid, territories=["met"])
    assert cells.height > 100
    communes = read_insee_communes(by_name["v_commune_2024.csv"])
    assert communes["departement"].n_unique() > 1
    qpv_zip = next(p for p in files if p.name == Path(perimeter_settings.QPV2024_URL).name)
    perims = read_perimeters(
        qpv_zip, geography="qpv2024", sha256="0" * 64, member=perimeter_settings.QPV2024_MEMBER
    )
    expected = build_national_territory(3, 0.005)
    assert sorted(perims["code"]) == sorted(q.code for q in expected.qpv2024)
    assert perims.height >= 1
    # Deterministic to the byte.
    again = generate_national(tmp_path / "n", seed=3, scale=0.005)
    for a, b in zip(sorted(files), sorted(again), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_the_sample_never_takes_a_national_writer() -> None:
    from synthetic.sample import writers

    assert not [w for w in writers() if w.__module__.startswith("synthetic.national")]
