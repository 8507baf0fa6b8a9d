"""Bad QPV perimeter files (ANCT GeoJSON and its zip): each fault gives a clear error naming the file (and
the feature's row where one applies), or an invalid geometry repaired and flagged — never a silent
wrong perimeter. The tabular sources' bad files are in test_bad_files.py, whose helpers this uses."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sources._errors import SourceFormatError
from tests.faults.test_bad_files import BOMB_BYTES, HTML, _frame, _zip, check_outcome

pytestmark = pytest.mark.fault("bad file")


def _perimeters(sample: Path) -> dict[str, object]:
    from sources.qpv_perimeters import settings

    z = sample / "www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
    with zipfile.ZipFile(z) as zf:
        data: dict[str, object] = json.loads(zf.read(settings.QPV2024_MEMBER))
    return data


def _read_qpv(path: Path) -> object:
    from sources.qpv_perimeters import read_perimeters

    return read_perimeters(path, geography="qpv2024")


BOWTIE = [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]


def _geo_mutations() -> dict[str, tuple[Callable[[dict[str, object]], object], str]]:
    def feat(d: dict[str, object], i: int = 1) -> dict[str, object]:
        return d["features"][i]  # type: ignore[index,no-any-return]

    def shift(geom: dict[str, object], f: Callable[[float, float], list[float]]) -> None:
        def walk(c: object) -> object:
            if isinstance(c, list) and c and isinstance(c[0], int | float):
                return f(c[0], c[1])
            return [walk(x) for x in c]  # type: ignore[attr-defined]

        geom["coordinates"] = walk(geom["coordinates"])

    def bowtie(d: dict[str, object]) -> None:
        g = feat(d)["geometry"]
        first = g["coordinates"][0][0] if g["type"] == "Polygon" else g["coordinates"][0][0][0]  # type: ignore[index]
        x, y = first[0], first[1]
        feat(d)["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[x + a * 0.01, y + b * 0.01] for a, b in BOWTIE[0]]],
        }

    return {
        "null_geometry": (lambda d: feat(d).__setitem__("geometry", None), "row"),
        "point_geometry": (
            lambda d: feat(d).__setitem__("geometry", {"type": "Point", "coordinates": [2.3, 48.8]}),
            "row",
        ),
        "ring_of_two_points": (  # GDAL refuses the whole file: no row to name
            lambda d: feat(d).__setitem__(
                "geometry", {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8]]]}
            ),
            "error",
        ),
        "coordinates_off_the_globe": (
            lambda d: shift(feat(d)["geometry"], lambda x, y: [x + 400.0, y + 100.0]),  # type: ignore[arg-type]
            "row",
        ),
        "lat_lon_swapped": (lambda d: shift(feat(d)["geometry"], lambda x, y: [y, x]), "row"),  # type: ignore[arg-type]
        "self_intersecting": (bowtie, "repaired_or_row"),
        "duplicated_code": (
            lambda d: feat(d).__setitem__("properties", dict(feat(d, 0)["properties"])),  # type: ignore[call-overload]
            "row",
        ),
        "missing_code_property": (
            lambda d: [f["properties"].pop("code_qp", None) for f in d["features"]],  # type: ignore[attr-defined,union-attr]
            "error",
        ),
    }


GEO_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(m, marks=[pytest.mark.xfail(strict=True, reason=GEO_KNOWN[m])] if m in GEO_KNOWN else [])
        for m in _geo_mutations()
    ],
)
def test_bad_qpv_perimeters(mutation: str, sample_mirror_dir: Path, tmp_path: Path) -> None:
    data = _perimeters(sample_mirror_dir)
    good_path = tmp_path / "good.geojson"
    good_path.write_text(json.dumps(data), encoding="utf-8")
    good = _frame(_read_qpv(good_path))
    apply, expect = _geo_mutations()[mutation]
    apply(data)
    bad = tmp_path / "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    if expect == "repaired_or_row":
        try:
            frame = _frame(_read_qpv(bad))
        except SourceFormatError as exc:
            assert bad.name in str(exc) and exc.row == 2, str(exc)
            return
        assert frame.height == good.height and frame["geom_repaired"][1], (
            "invalid geometry neither refused nor flagged"
        )
        return
    check_outcome(_read_qpv, bad, good, expect, 2, None)


@pytest.mark.parametrize("mutation", ["truncated_zip", "zip_slip", "zip_bomb", "empty", "html_error_page"])
def test_bad_qpv_perimeter_archive(mutation: str, sample_mirror_dir: Path, tmp_path: Path) -> None:
    """The ANCT zip itself: truncated, with a member climbing out, a bomb, empty, an HTML page."""
    from sources.qpv_perimeters import read_perimeters, settings

    good_path = sample_mirror_dir / "www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
    with zipfile.ZipFile(good_path) as zf:
        member = zf.read(settings.QPV2024_MEMBER)
    bad = tmp_path / good_path.name
    expect = "error"
    if mutation == "truncated_zip":
        bad.write_bytes(good_path.read_bytes()[: good_path.stat().st_size // 2])
    elif mutation == "zip_slip":
        bad.write_bytes(_zip({"../" + settings.QPV2024_MEMBER: member, "GEOJSON/../../evil.txt": b"x"}))
    elif mutation == "zip_bomb":
        bad.write_bytes(_zip({settings.QPV2024_MEMBER: member + b" " * BOMB_BYTES}))
        expect = "cap"
    elif mutation == "empty":
        bad.write_bytes(b"")
    else:
        bad.write_bytes(HTML)

    def parse(p: Path) -> object:
        return read_perimeters(p, geography="qpv2024", member=settings.QPV2024_MEMBER)

    check_outcome(parse, bad, None, expect, None, None)
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
