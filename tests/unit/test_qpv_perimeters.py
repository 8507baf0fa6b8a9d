"""QPV perimeter parsing: both geographies, every file form, and the bad inputs of issue 2."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, mapping

from sources._errors import SourceFormatError
from sources.qpv_perimeters import geography_of, read_perimeters
from synthetic.geography import qpv2024_geojson, write_qpv2015
from synthetic.territory import build_territory

SQUARE = Polygon([(2.0, 46.0), (2.01, 46.0), (2.01, 46.01), (2.0, 46.01)])
BOWTIE = Polygon([(2.0, 46.0), (2.01, 46.01), (2.01, 46.0), (2.0, 46.01)])


def geojson(path: Path, features: list[dict[str, object]], crs: bool = True) -> Path:
    doc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def feature(props: dict[str, object], geom: Polygon = SQUARE) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def test_code_patterns() -> None:
    assert geography_of("QN06101M") == "qpv2024"
    assert geography_of("QN97414I") == "qpv2024"
    assert geography_of("QP061001") == "qpv2015"
    assert geography_of("61006") is None


def test_reads_the_anct_2024_zip_and_reprojects_to_lambert93(tmp_path: Path) -> None:
    t = build_territory()
    z = tmp_path / "942d4ee8-8142-4556-8ea1-335537ce1119"  # the resource id, no extension
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson", qpv2024_geojson(t))
        zf.writestr("SHP/readme.txt", "x")
    frame = read_perimeters(z, geography="qpv2024", sha256="ab" * 32)
    assert frame["code"].to_list() == [q.code for q in t.qpv2024]
    multi = frame.filter(frame["code"] == "QN09903M")
    assert multi["commune_codes"].to_list() == [["99104", "99105"]]
    # Areas in Lambert-93 equal the generator's (built in Lambert-93), to 0.1 %.
    for code, wkb in zip(frame["code"], frame["geom_wkb"], strict=True):
        want = next(q for q in t.qpv2024 if q.code == code).geometry_l93.area
        assert shapely.from_wkb(wkb).area == pytest.approx(want, rel=1e-3)


def test_reads_the_2015_shapefile_zip(tmp_path: Path) -> None:
    t = build_territory()
    z = write_qpv2015(tmp_path, t)
    frame = read_perimeters(z, geography="qpv2015")
    assert sorted(frame["code"].to_list()) == sorted(q.code for q in t.qpv2015)
    assert frame["commune_codes"].to_list() == [[]] * 5  # the 2015 file names communes, not codes
    assert "Montclair" in frame.filter(frame["code"] == "QP099003")["commune_names"].item()


def test_missing_property_names_file_and_column(tmp_path: Path) -> None:
    path = geojson(tmp_path / "qp.geojson", [feature({"lib_qp": "A", "insee_com": "99101"})])
    with pytest.raises(SourceFormatError, match=r"qp\.geojson.*column 'code_qp'.*missing property code_qp"):
        read_perimeters(path, geography="qpv2024")


def test_code_of_the_wrong_geography_names_the_row(tmp_path: Path) -> None:
    feats = [feature({"code_qp": "QN09901I", "lib_qp": "A"}), feature({"code_qp": "QP099001", "lib_qp": "B"})]
    path = geojson(tmp_path / "qp.geojson", feats)
    with pytest.raises(SourceFormatError, match=r"row 2, column 'code_qp'.*not a qpv2024 code"):
        read_perimeters(path, geography="qpv2024")


def test_duplicate_code_is_refused(tmp_path: Path) -> None:
    feats = [feature({"code_qp": "QN09901I", "lib_qp": "A"})] * 2
    with pytest.raises(SourceFormatError, match="already on feature 1"):
        read_perimeters(geojson(tmp_path / "qp.geojson", feats), geography="qpv2024")


def test_invalid_geometry_is_repaired_and_flagged_never_silently(tmp_path: Path) -> None:
    path = geojson(tmp_path / "qp.geojson", [feature({"code_qp": "QN09901I", "lib_qp": "A"}, BOWTIE)])
    frame = read_perimeters(path, geography="qpv2024")
    assert frame["geom_repaired"].to_list() == [True]
    assert shapely.is_valid(shapely.from_wkb(frame["geom_wkb"][0]))


def test_point_geometry_is_refused(tmp_path: Path) -> None:
    feat = {
        "type": "Feature",
        "properties": {"code_qp": "QN09901I", "lib_qp": "A"},
        "geometry": mapping(SQUARE.centroid),
    }
    with pytest.raises(SourceFormatError, match="not a polygon"):
        read_perimeters(geojson(tmp_path / "qp.geojson", [feat]), geography="qpv2024")


def test_shapefile_without_crs_is_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"CODE_QP": ["QP099001"], "NOM_QP": ["A"]}, geometry=[SQUARE], crs=None)
    shp = tmp_path / "qp.shp"
    frame.to_file(shp)
    assert not shp.with_suffix(".prj").exists()
    with pytest.raises(SourceFormatError, match="no coordinate reference system"):
        read_perimeters(shp, geography="qpv2015")


def test_html_page_saved_as_geojson_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qp.geojson"
    path.write_text("<!doctype html><html><body>Erreur 503</body></html>")
    with pytest.raises(SourceFormatError, match="not a readable vector file"):
        read_perimeters(path, geography="qpv2024")


def test_multi_commune_list_in_any_of_its_published_spellings(tmp_path: Path) -> None:
    feats = [
        feature({"code_qp": "QN06236M", "lib_qp": "A", "insee_com": "62040, 62525, 62765"}),
        feature({"code_qp": "QN01301M", "lib_qp": "B", "insee_com": '="13055;13070"'}),
    ]
    frame = read_perimeters(geojson(tmp_path / "qp.geojson", feats), geography="qpv2024")
    assert frame["commune_codes"].to_list() == [["62040", "62525", "62765"], ["13055", "13070"]]
