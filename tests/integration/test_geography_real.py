"""The geography layer built from real files: 105 Occitanie QPV 2015 perimeters (ANCT, via the
Hackaviz 2021 consolidation) and Etalab's découpage administratif 2026 (COG)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.refresh import run_refresh
from warehouse.locate import locate
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("occitanie")
    files = [
        shared_data / "hackaviz2021_occitanie_qpv2015",
        shared_data / "cog" / "decoupage-administratif_2026_v6.0.0",
    ]
    report = run_refresh(home=home, files=files)
    assert report.success, (report.failed_step, report.error)
    return home, shared_data


def test_105_qpvs_each_linked_to_its_declared_commune(built: tuple[Path, Path]) -> None:
    home, shared = built
    # hackaviz2021_occitanie_qpv2015/qp.geojson: properties code_qp and code_commune.
    features = json.loads((shared / "hackaviz2021_occitanie_qpv2015" / "qp.geojson").read_text())["features"]
    declared = {f["properties"]["code_qp"]: f["properties"]["code_commune"] for f in features}
    assert len(declared) == 105
    con = connect_readonly(warehouse_path(home))
    qpvs = {r[0] for r in con.execute("SELECT code FROM territory WHERE kind = 'qpv2015'").fetchall()}
    assert qpvs == set(declared)
    links = con.execute(
        "SELECT child_code, parent_code FROM territory_link WHERE child_kind = 'qpv2015'"
    ).fetchall()
    linked: dict[str, set[str]] = {}
    for qpv, commune in links:
        linked.setdefault(qpv, set()).add(commune)
    for qpv, commune in declared.items():
        assert commune in linked[qpv], qpv


def test_every_commune_in_its_epci(built: tuple[Path, Path]) -> None:
    home, shared = built
    # decoupage-administratif_2026_v6.0.0/epci.json: membres[].code of each EPCI.
    epcis = json.loads((shared / "cog" / "decoupage-administratif_2026_v6.0.0" / "epci.json").read_text())
    members = {m["code"]: e["code"] for e in epcis for m in e["membres"]}
    con = connect_readonly(warehouse_path(home))
    got = dict(
        con.execute(
            "SELECT child_code, parent_code FROM territory_link WHERE parent_kind = 'epci'"
        ).fetchall()
    )
    assert got == {c: e for c, e in members.items() if c in got} and len(got) == len(members)
    # Argentan (61006) is in CC Argentan Intercom (200068450), as the contract says.
    assert got["61006"] == "200068450"


def test_locate_a_point_inside_a_known_qpv(built: tuple[Path, Path]) -> None:
    home, shared = built
    features = json.loads((shared / "hackaviz2021_occitanie_qpv2015" / "qp.geojson").read_text())["features"]
    first = features[0]  # QP066007 Bas-Vernet Nouveau QPV, Perpignan
    ring = first["geometry"]["coordinates"][0]
    import shapely

    inside = shapely.Polygon(ring).representative_point()
    con = connect_readonly(warehouse_path(home), spatial=False)
    hits = {h.geography: h for h in locate(con, inside.x, inside.y)}
    assert hits["qpv2015"].code == first["properties"]["code_qp"] and hits["qpv2015"].inside
