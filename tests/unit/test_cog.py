"""COG parsers: INSEE CSVs, the EPCI workbook (header on row 6), Etalab JSON, contours."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from openpyxl import Workbook

from sources._errors import SourceFormatError
from sources.cog import (
    read_commune_contours,
    read_etalab_epci,
    read_insee_communes,
    read_insee_departements,
    read_insee_epci,
)
from sources.registry import recognise, scan
from synthetic.geography import epci_workbook, write_cog
from synthetic.territory import build_territory

HEADER = '"TYPECOM","COM","REG","DEP","CTCD","ARR","TNCC","NCC","NCCENR","LIBELLE","CAN","COMPARENT"'


def test_v_commune_keeps_current_communes_only(tmp_path: Path) -> None:
    paths = write_cog(tmp_path, build_territory())
    communes = read_insee_communes(paths[0], sha256="x")
    assert communes.height == 6  # the COMD row is not a current commune
    assert communes.filter(communes["code"] == "99103")["name"].item() == "Les Aulnaies"
    assert read_insee_departements(paths[1])["region"].to_list() == ["99"]


def test_malformed_commune_code_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "v_commune_2024.csv"
    path.write_text(
        f'{HEADER}\n"COM","01001","84","01","","","0","A","A","A","",""\n"COM","1002","84","01","","","0","B","B","B","",""\n'
    )
    with pytest.raises(SourceFormatError, match=r"row 3, column 'COM'.*'1002'"):
        read_insee_communes(path)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "v_commune_2024.csv"
    path.write_text('"TYPECOM","CODE","REG","DEP","LIBELLE"\n"COM","01001","84","01","A"\n')
    with pytest.raises(SourceFormatError, match=r"column 'COM'"):
        read_insee_communes(path)


def test_latin1_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "v_commune_2024.csv"
    path.write_bytes(
        f'{HEADER}\n"COM","01001","84","01","","","0","A","A","Ambérieu","",""\n'.encode("latin-1")
    )
    with pytest.raises(SourceFormatError, match=r"row 2: not UTF-8"):
        read_insee_communes(path)


def test_epci_workbook_header_found_below_the_title_rows(tmp_path: Path) -> None:
    t = build_territory()
    path = tmp_path / "EPCI_au_01-01-2024.xlsx"
    path.write_bytes(epci_workbook(t))
    epci, members = read_insee_epci(path)
    assert epci["code"].to_list() == [e.siren for e in t.epcis]
    assert dict(zip(members["commune"], members["epci"], strict=True)) == {
        c.code: c.epci_siren for c in t.communes
    }


def test_epci_workbook_bad_siren_names_sheet_row_and_column(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "EPCI"
    for _ in range(5):
        ws.append(["titre"])
    ws.append(["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"])
    ws.append(["200068450", "CC Argentan Intercom", "CC", 49])
    ws.append(["20006945", "CA tronquée", "CA", 3])
    comp = wb.create_sheet("Composition_communale")
    comp.append(["CODGEO", "LIBGEO", "EPCI"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "epci.xlsx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(SourceFormatError, match=r"sheet 'EPCI', row 8, column 'EPCI'"):
        read_insee_epci(path)


def test_etalab_epci_json(tmp_path: Path) -> None:
    path = tmp_path / "epci.json"
    path.write_text(
        json.dumps(
            [
                {
                    "code": "200068450",
                    "nom": "CC Argentan Intercom",
                    "type": "CC",
                    "membres": [{"code": "61006"}],
                }
            ]
        )
    )
    epci, members = read_etalab_epci(path)
    assert epci["nature"].to_list() == ["CC"] and members.row(0) == ("61006", "200068450")


def test_contours_drop_arrondissements_and_read_gzip(tmp_path: Path) -> None:
    square = [[[2.0, 46.0], [2.1, 46.0], [2.1, 46.1], [2.0, 46.1], [2.0, 46.0]]]
    feats = [
        {
            "type": "Feature",
            "properties": {"code": "75056", "nom": "Paris", "plm": True},
            "geometry": {"type": "Polygon", "coordinates": square},
        },
        {
            "type": "Feature",
            "properties": {"code": "75101", "nom": "Paris 1er", "commune": "75056"},
            "geometry": {"type": "Polygon", "coordinates": square},
        },
    ]
    path = tmp_path / "communes-100m.geojson.gz"
    path.write_bytes(gzip.compress(json.dumps({"type": "FeatureCollection", "features": feats}).encode()))
    frame = read_commune_contours(path)
    assert frame["code"].to_list() == ["75056"]
    assert recognise(path) is not None and recognise(path).dataset == "commune_contours"  # type: ignore[union-attr]


def _contours_file(tmp_path: Path, feats: list[dict[str, object]]) -> Path:
    path = tmp_path / "communes-100m.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _feature(code: str, geometry: Mapping[str, object] | None) -> dict[str, object]:
    return {"type": "Feature", "properties": {"code": code, "nom": f"C{code}"}, "geometry": geometry}


def test_contours_projected_to_lambert93_and_repaired(tmp_path: Path) -> None:
    import shapely
    from pyproj import Transformer

    ring = [[2.0, 46.0], [2.1, 46.0], [2.1, 46.1], [2.0, 46.1], [2.0, 46.0]]
    square = {"type": "Polygon", "coordinates": [ring]}
    # a bow-tie (self-intersecting ring) is invalid as published: it must come out valid
    bow = [[3.0, 45.0], [3.1, 45.1], [3.1, 45.0], [3.0, 45.1], [3.0, 45.0]]
    bowtie = {"type": "Polygon", "coordinates": [bow]}
    two = {
        "type": "MultiPolygon",
        "coordinates": [[ring], [[[4.0, 44.0], [4.1, 44.0], [4.1, 44.1], [4.0, 44.0]]]],
    }
    feats = [_feature("01001", square), _feature("01002", bowtie), _feature("01003", two)]
    path = _contours_file(tmp_path, feats)
    frame = read_commune_contours(path, sha256="abc")
    assert frame["code"].to_list() == ["01001", "01002", "01003"]
    assert frame["name"].to_list() == ["C01001", "C01002", "C01003"]
    assert frame["source_sha256"].to_list() == ["abc"] * 3
    geoms = shapely.from_wkb(frame["geom_wkb"].to_list())
    assert shapely.is_valid(geoms).all()
    # the first corner, projected on its own with pyproj, is a vertex of the Lambert-93 square
    x, y = Transformer.from_crs("OGC:CRS84", "EPSG:2154", always_xy=True).transform(2.0, 46.0)
    assert shapely.distance(shapely.points(x, y), shapely.boundary(geoms[0])) < 1e-6
    assert 60e6 < shapely.area(geoms[0]) < 100e6  # ~7.7 km × 11.1 km
    assert shapely.get_type_id(geoms[2]) == 6 and shapely.get_num_geometries(geoms[2]) == 2


@pytest.mark.parametrize(
    "geometry",
    [None, {"type": "Polygon", "coordinates": []}],
    ids=["null", "empty"],
)
def test_contours_without_geometry_name_the_feature(
    tmp_path: Path, geometry: dict[str, object] | None
) -> None:
    square = {"type": "Polygon", "coordinates": [[[2.0, 46.0], [2.1, 46.0], [2.1, 46.1], [2.0, 46.0]]]}
    path = _contours_file(tmp_path, [_feature("01001", square), _feature("01002", geometry)])
    with pytest.raises(SourceFormatError, match="commune 01002 has no geometry") as err:
        read_commune_contours(path)
    assert err.value.row == 2 and err.value.column == "geometry"


def test_unknown_file_named_explicitly_is_refused_with_closest_layouts(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("TYPECOMM;CODE;REG;DEP;LIBELLE\n")
    with pytest.raises(SourceFormatError, match=r"notes\.csv.*closest known layouts: \['cog_communes"):
        scan([path])


def test_directory_scan_reports_non_data_files_without_failing(tmp_path: Path) -> None:
    write_cog(tmp_path, build_territory())
    (tmp_path / "README.txt").write_text("notes")
    result = scan([tmp_path])
    assert {lay.dataset for _, lay in result.recognised} == {
        "cog_communes",
        "cog_departements",
        "cog_regions",
    }
    assert [p.name for p, _ in result.unrecognised] == ["README.txt"]


def test_unites_urbaines_skip_communes_outside_any_uu(tmp_path: Path) -> None:
    from sources.cog import read_insee_unites_urbaines
    from synthetic.geography import write_unites_urbaines

    path = write_unites_urbaines(tmp_path, build_territory())
    uu, members = read_insee_unites_urbaines(path)
    assert uu.rows() == [("99701", "Valbourg", "")]
    assert sorted(members["commune"].to_list()) == ["99101", "99102", "99104", "99105"]
    assert recognise(path).dataset == "cog_unites_urbaines"  # type: ignore[union-attr]
