"""End to end on the synthetic sample: generate the mirror, refresh through Dagster, query, CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.refresh import run_refresh
from synthetic.territory import build_territory, to_wgs84
from warehouse.locate import locate
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out


@pytest.fixture(scope="module")
def built(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("home")  # a test refreshes it again


def test_warehouse_holds_both_geographies_and_their_links(built: Path) -> None:
    t = build_territory()
    con = connect_readonly(warehouse_path(built))
    qpvs = dict(con.execute("SELECT code, kind FROM territory WHERE kind LIKE 'qpv%'").fetchall())
    assert qpvs == {q.code: q.geography for q in t.qpvs}
    assert con.execute("SELECT value FROM warehouse_info WHERE key = 'label'").fetchone() == (
        "données synthétiques",
    )
    # The 2024 QPV across two communes is linked to both, and its area shares sum to 1.
    shares = dict(
        con.execute(
            "SELECT parent_code, area_share FROM territory_link WHERE child_code = 'QN09903M'"
        ).fetchall()
    )
    assert set(shares) == {"99104", "99105"} and sum(shares.values()) == pytest.approx(1, abs=1e-6)
    # Every commune sits in its EPCI, every QPV in ≥ 1 commune.
    epci = dict(
        con.execute(
            "SELECT child_code, parent_code FROM territory_link WHERE parent_kind = 'epci'"
        ).fetchall()
    )
    assert epci == {c.code: c.epci_siren for c in t.communes}
    uu = dict(
        con.execute(
            "SELECT child_code, parent_code FROM territory_link WHERE parent_kind = 'unite_urbaine'"
        ).fetchall()
    )
    assert uu == {
        "99101": "99701",
        "99102": "99701",
        "99104": "99701",
        "99105": "99701",
    }  # rural communes: none
    rel = dict(
        con.execute(
            "SELECT coalesce(code_2015, '-') || '>' || coalesce(code_2024, '-'), relation FROM qpv_crosswalk"
        ).fetchall()
    )
    assert rel["QP099001>QN09901I"] == "unchanged"
    assert rel["QP099002>QN09902M"] == "extended"
    assert rel["QP099003>QN09903M"] == rel["QP099004>QN09903M"] == "merged"
    assert rel["->QN09904N"] == "new" and rel["QP099005>-"] == "removed"
    # Every figure's file is traceable.
    assert con.execute("SELECT count(*) FROM source_file WHERE origin = 'mirror'").fetchone()[0] >= 7  # type: ignore[index]
    assert con.execute("SELECT count(*) FROM v_territory WHERE geom IS NOT NULL").fetchone()[0] >= 15  # type: ignore[index]


def test_locate_inside_and_nearest(built: Path) -> None:
    t = build_territory()
    con = connect_readonly(warehouse_path(built), spatial=False)
    inside = t.qpv2024[2].geometry_l93.representative_point()
    lon, lat = to_wgs84(inside).coords[0]
    hits = {h.geography: h for h in locate(con, lon, lat)}
    assert hits["qpv2024"].code == "QN09903M" and hits["qpv2024"].inside
    assert hits["qpv2015"].code in {"QP099003", "QP099004"} or not hits["qpv2015"].inside
    # 1 km east of the "Gare" QPV's eastern edge: nearest, at about 1 km.
    gare = t.qpv2024[3].geometry_l93
    east = to_wgs84(type(inside)(gare.bounds[2] + 1000, gare.centroid.y))
    near = {h.geography: h for h in locate(con, *east.coords[0])}
    assert not near["qpv2024"].inside and 900 < near["qpv2024"].distance_m < 1100


def test_cli_territories_locate_sql(built: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["territories", "--home", str(built), "--commune", "99104"])
    assert out.exit_code == 0 and "QN09903M" in out.output and "QP099003" in out.output
    out = runner.invoke(app, ["territories", "--home", str(built), "--search", "gare"])
    assert "Quartier de la Gare" in out.output
    out = runner.invoke(
        app, ["sql", "--home", str(built), "SELECT count(*) AS n FROM territory WHERE kind = 'qpv2024'"]
    )
    assert out.exit_code == 0 and "4" in out.output
    out = runner.invoke(app, ["sql", "--home", str(built), "DROP TABLE territory"])
    assert out.exit_code == 2 and "read-only" in out.output
    for bad in ["../../etc", "99104'; DROP TABLE territory; --"]:
        out = runner.invoke(app, ["territories", "--home", str(built), "--commune", bad])
        assert out.exit_code == 2
    out = runner.invoke(
        app, ["territories", "--home", str(built), "--search", "x'; DROP TABLE territory; --"]
    )
    assert out.exit_code == 2
    assert connect_readonly(warehouse_path(built)).execute("SELECT count(*) FROM territory").fetchone()[0] > 0  # type: ignore[index]


def test_second_refresh_with_nothing_new_gives_the_same_tables(built: Path) -> None:
    con = connect_readonly(warehouse_path(built))
    before = con.execute("SELECT sha256 FROM source_file ORDER BY 1").fetchall()
    con.close()
    report = run_refresh(home=built, env="sample")
    assert report.success
    con = connect_readonly(warehouse_path(built))
    assert con.execute("SELECT sha256 FROM source_file ORDER BY 1").fetchall() == before


def test_bad_input_lands_nothing_and_names_the_file(built: Path, tmp_path: Path) -> None:
    """A corrupted perimeter file: the refresh fails naming it; the previous warehouse stays."""
    import shutil

    from sources._http import mirror_path
    from sources.qpv_perimeters import settings

    home = tmp_path / "home"
    shutil.copytree(built, home)
    before = warehouse_path(home).read_bytes()
    target = mirror_path(sample_mirror(home), settings.QPV2024_URL)
    target.write_bytes(target.read_bytes()[:200])  # truncated zip
    report = run_refresh(home=home, env="sample")
    assert not report.success and report.failed_step == "stg_qpv_perimeters"
    assert "942d4ee8" in (report.error or "") or "zip" in (report.error or "")
    assert warehouse_path(home).read_bytes() == before
