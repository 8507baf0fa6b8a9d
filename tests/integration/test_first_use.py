"""First use (issue 16): `quartiers refresh` on an empty home, what `--files` recognised and ignored,
`locate --csv`, `indicators`, and the suggestions of `series` for an unknown indicator.

One warehouse for the whole module, built the way a new user builds it: `quartiers refresh` on an
empty home (the sample mirror generated on the way)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipelines.before_refresh import print_scan
from pipelines.cli import app
from sources.registry import scan
from synthetic.territory import build_territory, to_wgs84
from warehouse.paths import sample_mirror, warehouse_path
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

CLEAN_ENV = {"QUARTIERS_ENV": None, "QUARTIERS_MIRROR": None, "QUARTIERS_FILES": None, "COLUMNS": "80"}


@pytest.fixture(scope="module")
def first_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An empty home, refreshed by `quartiers refresh` (default env: sample); its output."""
    home = tmp_path_factory.mktemp("first-use")
    result = CliRunner().invoke(app, ["refresh", "--home", str(home)], env=CLEAN_ENV)
    return home, result.output + (f"\nexit {result.exit_code}" if result.exit_code else "")


# --------------------------------------------------------------------------- 1. refresh, first use


def test_refresh_on_an_empty_home_generates_the_sample(first_home: tuple[Path, str]) -> None:
    home, output = first_home
    assert "exit" not in output, output
    assert "Miroir d'exemple absent : données synthétiques générées" in output
    assert any(sample_mirror(home).iterdir()) and warehouse_path(home).is_file()
    con = connect_readonly(warehouse_path(home), spatial=False)
    assert con.execute("SELECT count(*) FROM territory WHERE kind = 'qpv2024'").fetchone()[0] > 0  # type: ignore[index]
    # Second run: the mirror is there, nothing generated again.
    again = CliRunner().invoke(app, ["refresh", "--home", str(home)], env=CLEAN_ENV)
    assert again.exit_code == 0 and "Miroir d'exemple absent" not in again.output


def test_a_mirror_without_the_files_is_refused_before_any_step(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["refresh", "--home", str(home), "--mirror", str(mirror)], env=CLEAN_ENV)
    assert result.exit_code == 2
    assert "nothing was run" in result.output and "v_commune_2024.csv" in result.output
    assert "https://www.insee.fr/" in result.output and "https://data.caf.fr/" in result.output
    assert not (home / "staged").exists() and not warehouse_path(home).exists()


# --------------------------------------------------------------------------- 2. --files listing


def test_refresh_files_lists_recognised_and_ignored(fixtures_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "depot"
    folder.mkdir()
    (folder / "data_CAF_2019_IRIS.csv").write_bytes(
        (fixtures_dir / "caf/data_CAF_2019_IRIS.csv").read_bytes()
    )
    (folder / "README.txt").write_text("Notes de l'équipe : fichiers reçus en mars.\n", encoding="utf-8")
    extra = tmp_path / "fr-en-etablissements-ep.csv"
    extra.write_bytes((fixtures_dir / "education_ep/fr-en-etablissements-ep.csv").read_bytes())
    result = CliRunner().invoke(
        app, ["refresh", "--home", str(tmp_path / "home"), "--files", str(folder), str(extra)], env=CLEAN_ENV
    )
    out = result.output
    assert "Fichiers reconnus : 2" in out, out
    assert "caf_cnaf_iris · 2019 · data_CAF_2019_IRIS.csv" in out
    assert "fr-en-etablissements-ep · — · fr-en-etablissements-ep.csv" in out
    assert "Ignorés : 1" in out and "README.txt : pas un fichier de données connu" in out
    # The listing comes before the run (which then fails: no geography among these files).
    assert out.index("Fichiers reconnus") < out.index("error")


def test_scan_listing_of_the_real_cog_folder(shared_data: Path) -> None:
    folder = shared_data / "cog"
    if not folder.is_dir():
        pytest.skip("../shared/data/cog is absent")
    console = Console(record=True, width=80)
    result = scan([folder])
    print_scan(result, console)
    text = console.export_text()
    assert f"Fichiers reconnus : {len(result.recognised)}" in text and len(result.recognised) >= 4
    assert "cog_communes · 2026 · communes.json" in text
    assert "PROVENANCE.md : pas un fichier de données connu" in text
    assert all(len(line) <= 80 for line in text.splitlines())


# --------------------------------------------------------------------------- 3. locate --csv


def _inside_points() -> tuple[tuple[float, float], tuple[float, float]]:
    t = build_territory()
    inside = t.qpv2024[2].geometry_l93.representative_point()  # in QN09903M
    lon, lat = to_wgs84(inside).coords[0]
    return (lon, lat), (inside.x, inside.y)


def test_locate_csv_lon_lat_comma_separated(first_home: tuple[Path, str], tmp_path: Path) -> None:
    home, _ = first_home
    (lon, lat), _ = _inside_points()
    src = tmp_path / "points.csv"
    src.write_text(
        f"id,nom,lon,lat\n1,école,{lon},{lat}\n2,sans coordonnées,,\n3,illisible,abc,{lat}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app, ["locate", "--csv", str(src), "--out", str(out), "--home", str(home)], env=CLEAN_ENV
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: spreadsheets read the accents
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["id", "nom", "lon", "lat"]
    assert header[4:] == [
        "qpv2024_code",
        "qpv2024_nom",
        "qpv2024_relation",
        "qpv2024_distance_m",
        "qpv2015_code",
        "qpv2015_nom",
        "qpv2015_relation",
        "qpv2015_distance_m",
        "motif",
    ]
    assert len(body) == 3 and [r[0] for r in body] == ["1", "2", "3"]
    first = dict(zip(header, body[0], strict=True))
    assert first["qpv2024_code"] == "QN09903M" and first["qpv2024_relation"] == "dans le périmètre"
    assert first["qpv2024_distance_m"] == "0" and first["nom"] == "école" and first["motif"] == ""
    assert first["qpv2015_code"].startswith("QP099")
    assert body[1][-1] == "coordonnées manquantes" and body[1][4] == ""
    assert "illisible" in body[2][-1] and "lon" in body[2][-1] and body[2][4] == ""


def test_locate_csv_x_y_lambert93_semicolon(first_home: tuple[Path, str], tmp_path: Path) -> None:
    home, _ = first_home
    _, (x, y) = _inside_points()
    t = build_territory()
    gare = t.qpv2024[3].geometry_l93
    east_x, east_y = gare.bounds[2] + 1000, gare.centroid.y
    src = tmp_path / "pts.csv"
    text = f"site;x;y\nA;{x:.2f};{y:.2f}\nB;{east_x:.1f};{east_y:.1f}\n".replace(".", ",")
    src.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["locate", "--csv", str(src), "--home", str(home)], env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith(("site;", "A;", "B;"))]
    rows = [ln.split(";") for ln in lines]
    assert rows[0][:3] == ["site", "x", "y"] and len(rows) == 3
    assert rows[1][3] == "QN09903M" and rows[1][5] == "dans le périmètre"
    assert rows[2][5] == "au plus près" and 900 <= int(rows[2][6]) <= 1100


def test_locate_csv_bad_file_names_file_and_row(first_home: tuple[Path, str], tmp_path: Path) -> None:
    home, _ = first_home
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id;lon;lat\n1;2.3;46.9\n2;2.3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["locate", "--csv", str(ragged), "--home", str(home)], env=CLEAN_ENV)
    assert result.exit_code == 2 and "ragged.csv, row 3" in result.output
    nocoord = tmp_path / "nocoord.csv"
    nocoord.write_text("id;adresse\n1;rue de la Gare\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["locate", "--csv", str(nocoord), "--home", str(home)], env=CLEAN_ENV)
    assert result.exit_code == 2 and "nocoord.csv, row 1" in result.output and "lon and lat" in result.output
    result = CliRunner().invoke(
        app, ["locate", "--csv", str(nocoord), "--crs", "Lambert", "--home", str(home)], env=CLEAN_ENV
    )
    assert result.exit_code == 2


# --------------------------------------------------------------------------- 4. indicators, series


def test_indicators_table_at_80_columns(first_home: tuple[Path, str]) -> None:
    home, _ = first_home
    result = CliRunner().invoke(app, ["indicators", "--home", str(home)], env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    out = result.output
    con = connect_readonly(warehouse_path(home), spatial=False)
    (n,) = con.execute("SELECT count(*) FROM indicator").fetchone()  # type: ignore[misc]
    assert f"Indicateurs : {n}" in out
    assert "defm_abc — Demandeurs d'emploi catégories A, B, C" in out
    assert "de_abc — Demandeurs d'emploi de catégories A, B, C" in out
    assert "IPRO" in out and "trimestrielle" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_indicators_search_ignores_case_and_accents(first_home: tuple[Path, str]) -> None:
    home, _ = first_home
    result = CliRunner().invoke(
        app, ["indicators", "--search", "CATEGORIES a, b, c", "--home", str(home)], env=CLEAN_ENV
    )
    assert result.exit_code == 0 and "defm_abc —" in result.output and "de_abc —" in result.output
    assert "caf_" not in result.output
    none = CliRunner().invoke(app, ["indicators", "--search", "zzzz", "--home", str(home)], env=CLEAN_ENV)
    assert none.exit_code == 0 and "Aucun indicateur" in none.output


def test_indicators_csv_lists_every_indicator_with_periods(first_home: tuple[Path, str]) -> None:
    home, _ = first_home
    result = CliRunner().invoke(app, ["indicators", "--format", "csv", "--home", str(home)], env=CLEAN_ENV)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output), delimiter=";"))
    con = connect_readonly(warehouse_path(home), spatial=False)
    ids = {r[0] for r in con.execute("SELECT indicator_id FROM indicator").fetchall()}
    assert {r["indicateur"] for r in rows} == ids
    by_id = {r["indicateur"]: r for r in rows}
    assert by_id["defm_abc"]["unité"] == "nombre" and "-Q" in by_id["defm_abc"]["périodes"]
    assert "defm_" in by_id["defm_abc"]["source"]
    pct = [r for r in rows if r["unité"] == "%"]
    assert pct, "percent indicators are shown as %"


def test_series_unknown_indicator_suggests_close_ids(first_home: tuple[Path, str]) -> None:
    home, _ = first_home
    result = CliRunner().invoke(
        app, ["series", "QN09901I", "--indicator", "defm_abd", "--home", str(home)], env=CLEAN_ENV
    )
    assert result.exit_code == 2
    assert "defm_abc (Demandeurs d'emploi" in result.output and "quartiers indicators" in result.output
    by_label = CliRunner().invoke(
        app, ["series", "QN09901I", "--indicator", "allocataires", "--home", str(home)], env=CLEAN_ENV
    )
    assert by_label.exit_code == 2 and "caf_alloc" in by_label.output
