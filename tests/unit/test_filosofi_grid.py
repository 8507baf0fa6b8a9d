"""Parser of the Filosofi 200 m grid, on tiny files in the official layouts, and the synthetic mirror."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest
import shapely
from pyproj import Transformer

from checks.filosofi_grid import FilosofiGridCells
from sources._errors import SourceFormatError
from sources.filosofi_grid import (
    RELEASES,
    add_cell_geometry,
    parse_filosofi_grid_csv,
    parse_filosofi_grid_gpkg,
)
from sources.filosofi_grid.settings import AGE_COLUMNS
from synthetic.filosofi_grid import write_filosofi_grid
from synthetic.territory import build_territory


@pytest.fixture()
def grid_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "filosofi_grid"


def test_2021_csv_typed_and_corner_parsed(grid_dir: Path) -> None:
    cells = parse_filosofi_grid_csv(grid_dir / "carreaux_200m_met.csv")
    FilosofiGridCells.validate(cells)
    first = cells.row(0, named=True)
    # "CRS3035RES200mN2029800E4252400": N = y, E = x of the south-west corner in EPSG:3035.
    assert (first["cell_crs"], first["cell_x"], first["cell_y"]) == ("EPSG:3035", 4252400, 2029800)
    assert first["men"] == 41.0 and first["men_pauv"] == 9.0 and first["imputed_200m"] is False
    second = cells.row(1, named=True)
    assert second["imputed_200m"] is True and second["men"] == pytest.approx(3.6)
    assert second["lcog_geo"] == "2A0042A006"
    assert cells["groupe"].null_count() == 2  # no groupe column in 2021


def test_staged_cells_carry_no_geometry(grid_dir: Path) -> None:
    cells = parse_filosofi_grid_csv(grid_dir / "carreaux_200m_met.csv")
    assert not {"geom_wkb", "geom_crs", "corner_x", "corner_y"} & set(cells.columns)
    assert cells.schema["cell_x"] == pl.Int64 and cells.schema["cell_y"] == pl.Int64


def test_cell_square_built_in_laea_then_reprojected(grid_dir: Path) -> None:
    # Squares are built on demand from the integer corner, for the cells that need one.
    cells = add_cell_geometry(parse_filosofi_grid_csv(grid_dir / "carreaux_200m_met.csv"))
    assert cells["geom_crs"][0] == "EPSG:2154"
    square = shapely.from_wkb(cells["geom_wkb"][0])
    to_l93 = Transformer.from_crs("EPSG:3035", "EPSG:2154", always_xy=True)
    # Every corner of the 3035 square, reprojected independently, is a vertex of the published square.
    for dx, dy in [(0, 0), (200, 0), (200, 200), (0, 200)]:
        x, y = to_l93.transform(4252400 + dx, 2029800 + dy)
        assert min(shapely.Point(x, y).distance(shapely.Point(c)) for c in square.exterior.coords) < 1e-6
    assert cells["corner_x"][0] == pytest.approx(to_l93.transform(4252400, 2029800)[0])
    # Not an axis-aligned 200 m square in Lambert-93: LAEA and Lambert-93 grids are rotated.
    assert square.area == pytest.approx(40_000, rel=0.01)
    assert square.area != pytest.approx(square.envelope.area, rel=1e-4)


def test_2017_capitalised_layout_with_crlf_and_groupe(grid_dir: Path) -> None:
    cells = parse_filosofi_grid_csv(grid_dir / "Filosofi2017_carreaux_200m_met.csv")
    assert cells["cell_id"].to_list()[0] == "CRS3035RES200mN2893000E3758400"
    assert cells["men"].to_list() == [50.0, 5.3]  # Men is the second to last column in 2017
    assert cells["men_pauv"].to_list() == [18.0, 1.8]
    assert cells["groupe"].to_list() == ["1234", "1234"]
    assert cells["lcog_geo"].to_list() == ["75056", "75056"]


def test_zip_of_csv_members_reads_every_territory(grid_dir: Path) -> None:
    cells = parse_filosofi_grid_csv(grid_dir / "Filosofi2021_carreaux_200m_csv.zip")
    assert sorted(cells["territory"].unique().to_list()) == ["met", "reun"]
    reun = add_cell_geometry(cells.filter(pl.col("territory") == "reun")).row(0, named=True)
    assert reun["cell_crs"] == "EPSG:2975" and reun["geom_crs"] == "EPSG:2975"
    # Overseas cells stay in their local CRS: the square is the id's square.
    assert shapely.from_wkb(reun["geom_wkb"]).bounds == (338800.0, 7665400.0, 339000.0, 7665600.0)
    only_met = parse_filosofi_grid_csv(grid_dir / "Filosofi2021_carreaux_200m_csv.zip", territories=["met"])
    assert only_met.height == 2


def test_negative_count_names_file_row_column(grid_dir: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        parse_filosofi_grid_csv(grid_dir / "negative_carreaux_200m_met.csv")
    assert err.value.row == 3 and err.value.column == "men_pauv"
    assert "negative_carreaux_200m_met.csv" in str(err.value)


def test_bad_id_and_missing_column(tmp_path: Path, grid_dir: Path) -> None:
    text = (grid_dir / "carreaux_200m_met.csv").read_text()
    bad = tmp_path / "carreaux_200m_met.csv"
    bad.write_text(text.replace("CRS3035RES200mN2029800E4252600", "CRS3035RES200mN2029850E4252600"))
    with pytest.raises(SourceFormatError) as err:
        parse_filosofi_grid_csv(bad)
    assert err.value.row == 3 and err.value.column == "idcar_200m"
    bad.write_text(text.replace(",men_pauv,", ",men_pauvres,"))
    with pytest.raises(SourceFormatError, match="men_pauv"):
        parse_filosofi_grid_csv(bad)


def _edit(grid_dir: Path, tmp_path: Path, old: str, new: str, name: str = "carreaux_200m_met.csv") -> Path:
    text = (grid_dir / "carreaux_200m_met.csv").read_text()
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1))
    return out


def _error(path: Path) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as err:
        parse_filosofi_grid_csv(path)
    return err.value


def test_every_bad_value_is_refused_with_row_and_column(tmp_path: Path, grid_dir: Path) -> None:
    # Row 2 is CRS3035RES200mN2029800E4252400 (men 41), row 3 CRS3035RES200mN2029800E4252600 (men 3.6).
    dup = _error(_edit(grid_dir, tmp_path, "N2029800E4252600,", "N2029800E4252400,"))
    assert (dup.row, dup.column) == (3, "idcar_200m") and "duplicate" in str(dup)
    crs = _error(
        _edit(grid_dir, tmp_path, "CRS3035RES200mN2029800E4252600", "CRS4326RES200mN2029800E4252600")
    )
    assert (crs.row, crs.column) == (3, "idcar_200m") and "unknown CRS" in str(crs)
    flag = _error(_edit(grid_dir, tmp_path, "N2028000E4252000,1,0,", "N2028000E4252000,2,0,"))
    assert (flag.row, flag.column) == (3, "i_est_200")
    text = (grid_dir / "carreaux_200m_met.csv").read_text().splitlines()
    header = text[0].split(",")
    # A secret-like marker and a decimal comma in a count: refused, named (all-strings path).
    for marker in ("s", "3,6"):
        row3 = text[2].split(",")
        row3[header.index("men")] = f'"{marker}"' if "," in marker else marker
        bad = tmp_path / "carreaux_200m_met.csv"
        bad.write_text("\n".join([text[0], text[1], ",".join(row3), *text[3:]]) + "\n")
        err = _error(bad)
        assert (err.row, err.column) == (3, "men") and "not a number" in str(err)


def test_first_bad_row_is_named_and_rules_keep_their_order(tmp_path: Path, grid_dir: Path) -> None:
    text = (grid_dir / "carreaux_200m_met.csv").read_text().splitlines()
    header = text[0].split(",")
    rows = [r.split(",") for r in text[1:]]
    rows[0][header.index("ind_80p")] = "-1"  # row 2, a later column
    rows[1][header.index("men")] = "-2"  # row 3, an earlier column: columns are checked in order
    bad = tmp_path / "carreaux_200m_met.csv"
    bad.write_text("\n".join([text[0], *(",".join(r) for r in rows)]) + "\n")
    err = _error(bad)
    assert (err.row, err.column) == (3, "men") and "negative" in str(err)
    rows[1][0] = "CRS3035RES200mN2029850E4252600"  # an id error outranks every count error
    bad.write_text("\n".join([text[0], *(",".join(r) for r in rows)]) + "\n")
    assert (_error(bad).row, _error(bad).column) == (3, "idcar_200m")


def test_bom_crlf_latin1_and_empty_counts(tmp_path: Path, grid_dir: Path) -> None:
    text = (grid_dir / "carreaux_200m_met.csv").read_text().splitlines()
    header = text[0].split(",")
    row2 = text[1].split(",")
    row2[header.index("log_soc")] = ""  # empty → NULL, never 0
    lines = [text[0], ",".join(row2), *text[2:]]
    path = tmp_path / "carreaux_200m_met.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("latin-1") + b"\r\n")
    cells = parse_filosofi_grid_csv(path)
    assert cells.columns[1] == "cell_id" and cells["cell_id"][0] == "CRS3035RES200mN2029800E4252400"
    assert cells["log_soc"][0] is None and cells["men"].to_list() == [41.0, 3.6]
    # A latin-1 byte (not UTF-8) is transcoded, not refused.
    latin = tmp_path / "latin" / "carreaux_200m_met.csv"
    latin.parent.mkdir()
    latin.write_bytes(
        "\n".join([text[0], text[1].replace(",2A004,", ",2A004\u00e9,"), *text[2:]]).encode("latin-1")
    )
    assert parse_filosofi_grid_csv(latin)["lcog_geo"][0] == "2A004\u00e9"


def test_nested_7z_needs_py7zr(tmp_path: Path) -> None:
    pytest.importorskip("sources.filosofi_grid")
    try:
        import py7zr  # noqa: F401

        pytest.skip("py7zr is installed")
    except ImportError:
        pass
    archive = tmp_path / "Filosofi2019_carreaux_200m_csv.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(RELEASES["2019"].csv_inner_7z or "x.7z", b"7z\xbc\xaf\x27\x1c")
    with pytest.raises(SourceFormatError, match="py7zr"):
        parse_filosofi_grid_csv(archive)


def test_gpkg_layer(tmp_path: Path, grid_dir: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    geopandas = pytest.importorskip("geopandas")
    cells = parse_filosofi_grid_csv(grid_dir / "carreaux_200m_met.csv")
    raw = pl.read_csv(grid_dir / "carreaux_200m_met.csv", infer_schema=False).to_pandas()
    gdf = geopandas.GeoDataFrame(
        raw,
        geometry=geopandas.GeoSeries.from_wkb(add_cell_geometry(cells)["geom_wkb"].to_list()),
        crs="EPSG:2154",
    )
    path = tmp_path / "carreaux_200m_met.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="carreaux_200m_met")
    staged = parse_filosofi_grid_gpkg(path)
    assert staged["cell_id"].to_list() == cells["cell_id"].to_list()
    assert staged["men"].to_list() == cells["men"].to_list()


def test_synthetic_mirror_is_parsable_and_consistent(tmp_path: Path) -> None:
    territory = build_territory(2024)
    paths = write_filosofi_grid(tmp_path, territory, seed=7)
    assert paths == [
        tmp_path / "www.insee.fr/fr/statistiques/fichier/8735162/Filosofi2021_carreaux_200m_csv.zip"
    ]
    assert write_filosofi_grid(tmp_path / "again", territory, seed=7)[0].read_bytes() == paths[0].read_bytes()
    cells = parse_filosofi_grid_csv(paths[0])
    FilosofiGridCells.validate(cells)
    assert (cells.select(pl.sum_horizontal(AGE_COLUMNS) - pl.col("ind")).to_series().abs() < 1e-6).all()
    assert (cells["men_pauv"] <= cells["men"]).all()
    assert (cells["ind"] >= cells["men"].floor()).all()
    assert ((cells["men"] < 11) == cells["imputed_200m"]).all()
    codes = {c.code for c in territory.communes}
    assert set(cells["lcog_geo"].str.slice(0, 5).unique().to_list()) <= codes
    # Filosofi covers fiscal households only: fewer individuals than the territory's population.
    assert 0.5 * sum(c.population for c in territory.communes) < cells["ind"].sum()
    assert cells["ind"].sum() < sum(c.population for c in territory.communes)
