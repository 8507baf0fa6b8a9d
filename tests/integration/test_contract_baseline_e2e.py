"""End to end on the synthetic sample: `quartiers baseline`, `evaluate`, `export-geo` for the sample
contract; the XLSX read back with openpyxl, the CSV with `;` and decimal comma; the frozen baseline
unchanged by a later refresh on different data, and copied into the new warehouse."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.refresh import run_refresh
from synthetic.sample import generate_sample
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def home(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("home")  # baselines are frozen in it


@pytest.fixture(scope="module")
def frozen(home: Path) -> Path:
    result = runner.invoke(app, ["baseline", "sample", "--home", str(home)])
    assert result.exit_code == 0, result.output
    return home / "baselines" / "sample" / "2024-01-01.parquet"


def test_baseline_is_frozen_and_not_overwritten(home: Path, frozen: Path) -> None:
    assert frozen.exists()
    before = _sha(frozen)
    again = runner.invoke(app, ["baseline", "sample", "--home", str(home)])
    assert again.exit_code == 2 and "already frozen" in again.output
    assert _sha(frozen) == before
    base = pl.read_parquet(frozen)
    # every indicator of the catalog × every territory of the contract (4 + 5 QPVs, 10 references)
    con = connect_readonly(warehouse_path(home), spatial=False)
    n_ind = con.execute("SELECT count(*) FROM indicator").fetchone()[0]  # type: ignore[index]
    assert base.height == n_ind * 19
    # A published baseline figure is the warehouse's latest figure complete by 2024-01-01.
    pub = base.filter((pl.col("status") == "published") & (pl.col("territory_kind") == "qpv2024")).row(
        0, named=True
    )
    expected = con.execute(
        "SELECT value FROM observation WHERE indicator_id = ? AND territory_code = ? AND period = ? "
        "AND geo_version = ? AND method = ? AND source_sha256 = ?",
        [
            pub["indicator_id"],
            pub["territory_code"],
            pub["period"],
            pub["geo_version"],
            pub["method"],
            pub["source_sha256"],
        ],
    ).fetchall()
    assert [r[0] for r in expected] == [pub["value"]]
    files = set(con.execute("SELECT sha256 FROM source_file").pl()["sha256"])
    used = {sha for joined in base["source_sha256"].drop_nulls() for sha in joined.split("+")}
    assert used and used <= files  # every figure's files are in source_file


def test_baseline_xlsx_reads_back_with_french_labels_and_formats(home: Path, frozen: Path) -> None:
    xlsx = home / "exports" / "sample" / "baseline-2024-01-01.xlsx"
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames[0] == "LISEZ-MOI"
    assert {"Sources et définitions", "Dictionnaire", "Population", "Revenus"} <= set(wb.sheetnames)
    readme = {r[0]: r[1] for r in wb["LISEZ-MOI"].iter_rows(min_row=3, values_only=True) if r and r[0]}
    assert readme["Données"] == "données synthétiques"
    assert "QN09903M" in readme["QPV"] and "QP099003" in readme["QPV"]
    formats: dict[str, set[str]] = {}
    statuses: set[str] = set()
    for name in wb.sheetnames[1:-2]:
        ws = wb[name]
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        assert header[:6] == [
            "QPV 2024 de rattachement",
            "Rôle",
            "Type de territoire",
            "Code territoire",
            "Territoire",
            "Indicateur",
        ]
        v, u, s = header.index("Valeur"), header.index("Unité"), header.index("Statut")
        for row in ws.iter_rows(min_row=2):
            statuses.add(str(row[s].value))
            if row[v].value is not None:
                assert isinstance(row[v].value, float | int)
                formats.setdefault(str(row[u].value), set()).add(row[v].number_format)
    assert formats["%"] == {'#,##0.0" %"'}
    assert formats["€"] == {'#,##0" €"'}
    assert formats["effectif"] == {"#,##0"}
    assert "publié" in statuses and "absent" in statuses and "published" not in statuses
    sources = [r for r in wb["Sources et définitions"].iter_rows(values_only=True) if len(r) > 4 and r[4]]
    assert any(isinstance(r[4], str) and len(r[4]) == 64 for r in sources)
    dictionary = [r[0] for r in wb["Dictionnaire"].iter_rows(values_only=True) if r]
    assert "Valeur" in dictionary and "population" in dictionary
    md = (home / "exports" / "sample" / "dictionnaire-baseline-2024-01-01.md").read_text(encoding="utf-8")
    assert "| `population` |" in md and "### Revenus" in md


def test_baseline_csv_is_semicolon_decimal_comma_with_bom(home: Path, frozen: Path) -> None:
    csv = home / "exports" / "sample" / "baseline-2024-01-01.csv"
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(csv, separator=";", decimal_comma=True, infer_schema_length=None)
    assert back.height == pl.read_parquet(frozen).height
    assert back["Valeur"].dtype == pl.Float64
    base = pl.read_parquet(frozen)
    fractional = base.filter(pl.col("value").is_not_null() & (pl.col("value") % 1 != 0))
    assert fractional.height > 0  # so the decimal comma is exercised
    text = raw.decode("utf-8-sig")
    v = round(float(fractional["value"][0]), 6)
    assert f"{v}".replace(".", ",").rstrip("0") in text


def test_evaluation_explains_every_line(home: Path, frozen: Path) -> None:
    result = runner.invoke(app, ["evaluate", "sample", "--home", str(home), "--at", "2026-06-30"])
    assert result.exit_code == 0, result.output
    out = home / "exports" / "sample"
    ev = pl.read_parquet(out / "evaluation-2026-06-30.parquet")
    assert ev.height > 0
    assert ev["reason"].null_count() == 0 and (ev["reason"].str.len_chars() > 0).all()
    assert set(ev["comparability"]) <= {"comparable", "avec_reserve", "non_comparable", "non_mesurable"}
    assert "comparable" in set(ev["comparability"])
    # The arithmetic holds on every line where both gaps are known.
    both = ev.filter(pl.col("gap_change").is_not_null())
    assert both.height > 0
    diff = (both["gap_now"] - both["gap_baseline"] - both["gap_change"]).abs().max()
    assert isinstance(diff, float) and diff < 1e-9
    # A QPV is compared with the communes it lies in, not with the other communes of the contract.
    refs = set(ev.filter(pl.col("territory_code") == "QN09903M")["reference_code"])
    assert {"99104", "99105"} <= refs and "99101" not in refs
    wb = load_workbook(out / "evaluation-2026-06-30.xlsx", read_only=True)
    ws = wb[wb.sheetnames[1]]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert "Évolution de l'écart" in header and "Motif" in header
    csv = pl.read_csv(
        out / "evaluation-2026-06-30.csv", separator=";", decimal_comma=True, infer_schema_length=None
    )
    assert csv.height == ev.height and csv["Motif"].null_count() == 0


def test_export_geo_for_qgis(home: Path, frozen: Path) -> None:
    result = runner.invoke(app, ["export-geo", "sample", "--home", str(home)])
    assert result.exit_code == 0, result.output
    gj = json.loads((home / "exports" / "sample" / "perimetres-sample.geojson").read_text(encoding="utf-8"))
    codes = {f["properties"]["code"] for f in gj["features"]}
    assert {"QN09901I", "QN09904N", "QP099005", "99106"} <= codes and len(codes) == 15
    point = gj["features"][0]["geometry"]["coordinates"]
    while isinstance(point[0], list):  # Polygon or MultiPolygon: down to the first position
        point = point[0]
    lon, lat = point[:2]
    assert -10 < lon < 20 and 40 < lat < 55  # WGS84 degrees
    assert "population" in gj["features"][0]["properties"]
    import geopandas as gpd

    gdf = gpd.read_parquet(home / "exports" / "sample" / "perimetres-sample.parquet")
    assert gdf.crs is not None and gdf.crs.to_epsg() == 2154 and len(gdf) == 15


def test_unknown_contract_and_bad_names_are_refused(home: Path) -> None:
    r = runner.invoke(app, ["baseline", "../../etc", "--home", str(home)])
    assert r.exit_code == 2 and "not a contract name" in r.output
    r = runner.invoke(app, ["evaluate", "sampel", "--home", str(home)])
    assert r.exit_code == 2 and "did you mean sample" in r.output


def test_frozen_baseline_survives_a_refresh_on_new_data(home: Path, frozen: Path) -> None:
    before = _sha(frozen)
    frozen_rows = pl.read_parquet(frozen)
    generate_sample(sample_mirror(home), seed=7)  # the sources publish different figures
    report = run_refresh(home=home, env="sample")
    assert report.success, (report.failed_step, report.error)
    assert _sha(frozen) == before
    con = connect_readonly(warehouse_path(home), spatial=False)
    copied = con.execute("SELECT * FROM v_baseline WHERE contract = 'sample'").pl()
    assert copied.height == frozen_rows.height
    key = ["indicator_id", "territory_kind", "territory_code"]
    joined = copied.join(frozen_rows, on=key, suffix="_frozen")
    assert joined.filter(~pl.col("value").eq_missing(pl.col("value_frozen"))).height == 0
    # …while the warehouse's own figures did change for at least one of those lines.
    now = con.execute(
        "SELECT indicator_id, territory_kind, territory_code, period, value FROM observation"
    ).pl()
    changed = frozen_rows.join(now, on=[*key, "period"], suffix="_now").filter(
        pl.col("value").is_not_null() & ~pl.col("value").eq_missing(pl.col("value_now"))
    )
    assert changed.height > 0
    ev = con.execute("SELECT comparability, reason FROM v_evaluation WHERE contract = 'sample'").pl()
    assert ev.height > 0 and ev["reason"].null_count() == 0
