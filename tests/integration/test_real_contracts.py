"""Issue 11: the two real contracts (Argentan, Pays de Saint-Omer) built end to end from ../shared/data.

One real build per module (`quartiers refresh --files ../shared/data`, schools placed up to 1 km). Every
expected value is read from the official files themselves in this test (a comment names file and
column), never from the code under test.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from models.contracts import check_contract_territories
from pipelines.assets.insee import QPV_DATASETS, _stage, insee_observation
from pipelines.cli import app
from pipelines.refresh import RefreshReport
from pipelines.resources import SourcesResource
from sources._errors import SourceFormatError
from sources.contracts import ContractError, load_contract, parse_contract
from sources.registry import scan
from warehouse.consistency import (
    consistency_report,
    headline_figures,
    territory_for_contract_check,
)
from warehouse.qpv_schools import contract_schools
from warehouse.store import connect_readonly

pytestmark = pytest.mark.real

QPVS = {  # issue 11 table: 2024 code → 2015 code it replaces
    "argentan": {"QN06101M": "QP061001", "QN06102M": "QP061002"},
    "pays-de-saint-omer": {"QN06236M": "QP062036", "QN06237M": "QP062037", "QN06256M": "QP062058"},
}
ALL_QP2015 = [c for m in QPVS.values() for c in m.values()]


# ------------------------------------------------------------------------------ reading the files


def _number(raw: str) -> float | None:
    """A figure as written in INSEE's files: U+202F / U+00A0 thousands separators, decimal comma."""
    text = raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".").strip()
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else None


def read_rows(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a `;` CSV keyed by their first column, header names stripped and upper-cased."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [h.strip().upper() for h in rows[0]]
    return {r[0].strip(): dict(zip(header, (c.strip() for c in r), strict=False)) for r in rows[1:] if r}


@pytest.fixture(scope="module")
def qpv_dir(shared_data: Path) -> Path:
    return shared_data / "insee" / "qpv2015"


# ------------------------------------------------------------------------------ the real build


@pytest.fixture(scope="module")
def built(real_build: tuple[Path, RefreshReport]) -> Iterator[tuple[Path, RefreshReport]]:
    """The session's real build (tests/conftest.py), read only."""
    yield real_build


@pytest.fixture(scope="module")
def con(built: tuple[Path, RefreshReport]) -> Iterator[duckdb.DuckDBPyConnection]:
    home, report = built
    assert report.success, f"real build failed at {report.failed_step}: {report.error}"
    c = connect_readonly(home / "warehouse.duckdb")
    yield c
    c.close()


def _obs(con: duckdb.DuckDBPyConnection, indicator: str, code: str) -> pl.DataFrame:
    return con.execute(  # type: ignore[attr-defined,no-any-return]
        """SELECT o.*, sf.file_name FROM observation o LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
           WHERE indicator_id = ? AND territory_code = ?""",
        [indicator, code],
    ).pl()


# ------------------------------------------------------------------------------ contracts


@pytest.mark.parametrize("name", sorted(QPVS))
def test_contract_builds_and_every_code_is_held(
    con: duckdb.DuckDBPyConnection, built: tuple[Path, RefreshReport], name: str
) -> None:
    home, _ = built
    contract = load_contract(name)
    assert {q.code: q.replaces for q in contract.qpvs} == {k: (v,) for k, v in QPVS[name].items()}
    territory = territory_for_contract_check(con)  # type: ignore[arg-type]
    check_contract_territories(contract, territory)  # raises on any unknown code
    for command in (["consistency", name], ["headline", name], ["contract-schools", name]):
        result = CliRunner().invoke(app, [*command, "--home", str(home)])
        assert result.exit_code == 0, result.output
    for qpv in [*QPVS[name], *QPVS[name].values()]:
        profile = CliRunner().invoke(app, ["profile", qpv, "--home", str(home)])
        assert profile.exit_code == 0, profile.output


def test_unknown_qpv_code_in_a_contract_names_close_matches(con: duckdb.DuckDBPyConnection) -> None:
    contract = parse_contract(
        {
            "name": "typo",
            "baseline_date": load_contract("argentan").baseline_date,
            "signatories": {"communes": ["61006"]},
            "qpv": [{"code": "QN06101N", "replaces": ["QP061011"]}],
        }
    )
    territory = territory_for_contract_check(con)  # type: ignore[arg-type]
    with pytest.raises(ContractError) as exc:
        check_contract_territories(contract, territory)
    message = str(exc.value)
    assert "QN06101N" in message and "QN06101M" in message  # the real code is named as a close match
    assert "QP061011" in message and "QP061001" in message


# ------------------------------------------------------------------------------ profiles


def test_filosofi_median_and_poverty_rate_every_vintage_with_its_data_year(
    con: duckdb.DuckDBPyConnection, qpv_dir: Path
) -> None:
    for path in sorted(qpv_dir.glob("data_filo*_qp_revdis.csv")):
        rows = read_rows(path)
        header = next(iter(rows.values())).keys()
        # data_filo16/17: disp_q2_a16 / tp60_a16; data_filo18/19: DISP_MED_A19 / DISP_TP60_A19 — the
        # income year is the column suffix.
        med_col = next(h for h in header if re.fullmatch(r"DISP_(Q2|MED)_A\d\d", h))
        tp_col = next(h for h in header if re.fullmatch(r"(DISP_)?TP60_A\d\d", h))
        year = "20" + med_col[-2:]
        for code in ALL_QP2015:
            med = _obs(con, "filo_disp_mediane", code).filter(
                (pl.col("period") == year) & (pl.col("file_name") == path.name)
            )
            tp = _obs(con, "taux_pauvrete_60", code).filter(
                (pl.col("period") == year) & (pl.col("file_name") == path.name)
            )
            assert med["value"].to_list() == [_number(rows[code][med_col])], (path.name, med_col, code)
            assert tp["value"].to_list() == [_number(rows[code][tp_col])], (path.name, tp_col, code)


def test_revn_filosofi_block_carries_its_income_year(con: duckdb.DuckDBPyConnection, qpv_dir: Path) -> None:
    # REVN_2022.csv DISP_Q2 / TP60 equal data_filo18_qp_revdis.csv DISP_MED_A18 / DISP_TP60_A18: the
    # block of the 2022 release is income 2018, not 2022.
    revn, filo18 = read_rows(qpv_dir / "REVN_2022.csv"), read_rows(qpv_dir / "data_filo18_qp_revdis.csv")
    for code in ALL_QP2015:
        assert _number(revn[code]["DISP_Q2"]) == _number(filo18[code]["DISP_MED_A18"])
        got = _obs(con, "filo_disp_mediane", code).filter(pl.col("file_name") == "REVN_2022.csv")
        assert got.select("period", "value").rows() == [("2018", _number(revn[code]["DISP_Q2"]))]
        tp = _obs(con, "taux_pauvrete_60", code).filter(pl.col("file_name") == "REVN_2022.csv")
        assert tp.select("period", "value").rows() == [("2018", _number(revn[code]["TP60"]))]
        assert not _obs(con, "filo_disp_mediane", code).filter(pl.col("period") == "2022").height


def test_population_from_the_census(con: duckdb.DuckDBPyConnection, qpv_dir: Path, shared_data: Path) -> None:
    demo22 = read_rows(qpv_dir / "DEMO_2022.csv")
    comparateur = read_rows(
        shared_data / "insee" / "comparateur" / "base_cc_comparateur_2022release_dep61_62.CSV"
    )
    # DEMO_2022.csv POP_COM of QP061001 (Argentan only) equals P18_POP of Argentan in the comparateur
    # 2022 release: DEMO_2022's population is census 2018.
    assert _number(demo22["QP061001"]["POP_COM"]) == _number(comparateur["61006"]["P18_POP"])
    for code in ALL_QP2015:
        got = _obs(con, "population", code).filter(pl.col("file_name") == "DEMO_2022.csv")
        assert got.select("period", "value", "status").rows() == [
            ("2018", _number(demo22[code]["POP_MUN"]), "published")  # DEMO_2022.csv POP_MUN
        ]


def test_cnaf_allocataires(con: duckdb.DuckDBPyConnection, qpv_dir: Path) -> None:
    demo, revn = read_rows(qpv_dir / "DEMO_2022.csv"), read_rows(qpv_dir / "REVN_2022.csv")
    for code in ALL_QP2015:
        got = _obs(con, "caf_allocataires", code)
        for name, rows in (("DEMO_2022.csv", demo), ("REVN_2022.csv", revn)):
            mine = got.filter(pl.col("file_name") == name)
            assert mine["value"].to_list() == [_number(rows[code]["A"])], (name, "A", code)
        # both releases of 2022 give the Cnaf block of the same reference date
        assert (
            got.filter(pl.col("file_name").is_in(["DEMO_2022.csv", "REVN_2022.csv"]))["period"].n_unique()
            == 1
        )


def test_job_seekers_published_or_secret_never_zero(con: duckdb.DuckDBPyConnection, qpv_dir: Path) -> None:
    ipro = read_rows(qpv_dir / "IPRO_2022.csv")
    for code in ALL_QP2015:
        got = _obs(con, "de_abc", code).filter(pl.col("file_name") == "IPRO_2022.csv")
        assert got.height == 1
        if ipro[code]["NOTE_PE"] == "0":  # IPRO_2022.csv NOTE_PE 0 = published
            assert got.select("value", "status").row(0) == (_number(ipro[code]["ABC"]), "published")
        else:  # QP062036: NOTE_PE 5, the PE block blanked
            assert ipro[code]["ABC"] == ""
            assert got.select("value", "status").row(0) == (None, "suppressed")
    assert ipro["QP062036"]["NOTE_PE"] == "5"


def test_note_blanked_figure_is_secret_in_the_profile(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(  # type: ignore[attr-defined]
        """SELECT value, status FROM v_profile WHERE qpv_code = 'QP062036' AND indicator_id = 'de_abc'
           AND role = 'qpv' AND source_vintage = '2022'"""
    ).fetchall()
    assert rows and all(v is None and s == "suppressed" for v, s in rows)


# ------------------------------------------------------------------------------ schools


def test_schools_within_1km_joined_by_uai(con: duckdb.DuckDBPyConnection, shared_data: Path) -> None:
    edu = shared_data / "education"
    annuaire = read_rows(edu / "fr-en-annuaire-education_ecoles_saint-omer_arques_longuenesse_aire.csv")
    # liste-des-rep-et-rep-rentree-2022_dep061_062.csv: NUMERO = UAI of the school, EP = REP / REP+
    rep = {r["NUMERO"]: r for r in _all_rows(edu / "liste-des-rep-et-rep-rentree-2022_dep061_062.csv")}
    frame = contract_schools(con, load_contract("pays-de-saint-omer"), 1000.0)  # type: ignore[arg-type]
    placed = frame.filter(pl.col("relation").is_in(["inside", "near"]))
    assert (placed["distance_m"] <= 1000.0).all() and placed["level"].is_in(["ecole", "college"]).all()
    # Every row of the REP list (columns NUMERO = UAI, EP) near a QPV carries that EP status, by UAI.
    near_rep = placed.filter(pl.col("uai").is_in(list(rep)))
    assert near_rep.height > 0
    for r in near_rep.iter_rows(named=True):
        assert r["ep_status"] == rep[r["uai"]]["EP"].strip(), r["uai"]
    # Collège La Morinie 0622907Y (REP+ in the 2022 list) and école Jules Ferry 0621700L (annuaire,
    # Saint-Omer) are listed with their IPS (fr-en-ips-*-ap2022, joined by UAI).
    for uai in ("0622907Y", "0621700L"):
        row = placed.filter(pl.col("uai") == uai)
        assert row.height >= 1 and row["ips"].drop_nulls().len() >= 1, uai
    # Annuaire rows inside a QPV (distance 0) are écoles whose coordinates the annuaire gives.
    inside = placed.filter(pl.col("relation") == "inside")
    assert inside["uai"].is_in([*annuaire, "0622907Y"]).any()
    # INSEE's proximity flag: écoles ≤ 100 m, collèges ≤ 300 m.
    for r in placed.iter_rows(named=True):
        assert r["insee_proximity"] == (r["distance_m"] <= {"ecole": 100.0, "college": 300.0}[r["level"]])


def test_schools_without_coordinates_are_listed_with_their_flag(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    ips = read_rows(shared_data / "education" / "fr-en-ips-ecoles-ap2022_dep61_62.csv")
    header = next(iter(ips.values())).keys()
    commune_col = next(h for h in header if "COMMUNE" in h and "CODE" in h)
    uai_col = next(h for h in header if h in ("UAI", "CODE_UAI", "UAI_ETAB"))
    argentan = {
        r[uai_col]
        for r in _all_rows(shared_data / "education" / "fr-en-ips-ecoles-ap2022_dep61_62.csv")
        if r[commune_col] == "61006"
    }
    assert argentan  # fr-en-ips-ecoles-ap2022_dep61_62.csv: Argentan's écoles (code commune 61006)
    frame = contract_schools(con, load_contract("argentan"), 1000.0)  # type: ignore[arg-type]
    unplaced = frame.filter(pl.col("relation").is_null())
    # no coordinates in the real folder for Argentan's écoles: each listed, flagged, never dropped
    assert argentan <= set(unplaced["uai"].to_list())
    assert unplaced["coord_status"].is_in(["missing"]).all()


def _all_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [h.strip().upper() for h in rows[0]]
    return [dict(zip(header, (c.strip() for c in r), strict=False)) for r in rows[1:] if r]


# ------------------------------------------------------------------------------ consistency, headline


def test_consistency_report_lists_both_values_and_files(
    con: duckdb.DuckDBPyConnection, built: tuple[Path, RefreshReport]
) -> None:
    home, _ = built
    report = consistency_report(
        con, load_contract("pays-de-saint-omer"), home / "staged" / "stg_insee_qpv.parquet"
    )  # type: ignore[arg-type]
    cnaf = report.filter(
        (pl.col("check") == "same_figure_across_files")
        & (pl.col("indicator") == "caf_allocataires")
        & (pl.col("territory_code") == "QP062036")
        & pl.col("file_a").str.contains("DEMO_2022.csv|REVN_2022.csv")
        & pl.col("file_b").str.contains("DEMO_2022.csv|REVN_2022.csv")
    )
    assert cnaf["outcome"].to_list() == ["agree"]  # DEMO_2022 A = REVN_2022 A (1,081)
    within = report.filter(pl.col("check") == "qpv_population_within_communes")
    assert within.height and within["outcome"].is_in(["ok"]).all()
    census = report.filter(pl.col("check") == "commune_population_census_vs_qpv_file")
    # DEMO_2022.csv POP_COM of QP062037 (Saint-Omer) = comparateur 2022 P18_POP of 62765 (14,726)
    row = census.filter(
        pl.col("file_a").str.contains("DEMO_2022.csv") & (pl.col("territory_code") == "62765")
    )
    assert row.height >= 1 and set(row["outcome"]) == {"agree"}
    assert (row["value_a"] == row["value_b"]).all()


def test_headline_figures_name_year_and_file(con: duckdb.DuckDBPyConnection) -> None:
    frame = headline_figures(con, load_contract("argentan"))  # type: ignore[arg-type]
    assert set(frame["qpv_code"]) == set(QPVS["argentan"])
    assert frame["source_file"].null_count() == 0 and frame["period"].null_count() == 0


# ------------------------------------------------------------------------------ bad input


def test_unknown_local_file_names_closest_layouts(tmp_path: Path) -> None:
    odd = tmp_path / "notes.csv"
    odd.write_text("CODGEO;LIBGEO;POP_MUN_X\nQP061001;Les Provinces;1\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as exc:
        scan([odd])  # what `quartiers refresh --files notes.csv` runs first
    assert "notes.csv" in str(exc.value) and "closest known layouts" in str(exc.value)


def _altered_copy(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    # DEMO_2021.csv / DEMO_2022.csv: QP061001's POP_MUN 1 471 (U+202F separator) becomes 1 472
    old = "QP061001;Les Provinces;1\u202f471".encode()
    assert old in data
    dst.write_bytes(data.replace(old, "QP061001;Les Provinces;1\u202f472".encode(), 1))


def test_same_dataset_and_release_with_different_contents_refused(tmp_path: Path, qpv_dir: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir()
    two.mkdir()
    shutil.copy(qpv_dir / "DEMO_2022.csv", one / "DEMO_2022.csv")
    _altered_copy(qpv_dir / "DEMO_2022.csv", two / "DEMO_2022.csv")
    sources = SourcesResource(home=str(tmp_path / "home"), files=[str(one), str(two)])
    with pytest.raises(SourceFormatError) as exc:
        sources.obtain("insee_qpv_demo")
    assert str(one / "DEMO_2022.csv") in str(exc.value) and str(two / "DEMO_2022.csv") in str(exc.value)


def test_two_layouts_of_one_release_disagreeing_refused(tmp_path: Path, qpv_dir: Path) -> None:
    # data_DEMO_2021_V1_QP.csv (INSEE CSV) and DEMO_2021.csv (its spreadsheet re-export) are the same
    # release: both are kept when their figures agree (the real folder), refused when they differ.
    shutil.copy(qpv_dir / "data_DEMO_2021_V1_QP.csv", tmp_path / "data_DEMO_2021_V1_QP.csv")
    _altered_copy(qpv_dir / "DEMO_2021.csv", tmp_path / "DEMO_2021.csv")
    sources = SourcesResource(home=str(tmp_path / "home"), files=[str(tmp_path)])
    staged = _stage(sources, QPV_DATASETS)
    empty = staged.head(0)
    with pytest.raises(SourceFormatError) as exc:
        insee_observation(
            sources=sources, stg_insee_qpv=staged, stg_filosofi=empty, stg_insee_comparateur=empty
        )
    message = str(exc.value)
    assert "data_DEMO_2021_V1_QP.csv" in message and "DEMO_2021.csv" in message and "QP061001" in message


# ------------------------------------------------------------------------------ fiches and baselines


def test_fiche_of_each_2024_qpv_shows_its_2015_figures_labelled_as_such(
    built: tuple[Path, RefreshReport], con: duckdb.DuckDBPyConnection, qpv_dir: Path, tmp_path: Path
) -> None:
    """No 2015 perimeter for these QPVs in shared/data: the contract's declaration links each 2024 QPV
    to the 2015 QPV whose published figures it shows, labelled 2015 perimeter."""
    home, _ = built
    # data_filo19_qp_revdis.csv, column DISP_MED_A19 (median, income 2019) of the 2015 QPV.
    filo = read_rows(qpv_dir / "data_filo19_qp_revdis.csv")
    for contract in ("argentan", "pays-de-saint-omer"):
        for q in load_contract(contract).qpvs:
            out = CliRunner().invoke(
                app, ["fiche", q.code, "--format", "md", "--out", str(tmp_path), "--home", str(home)]
            )
            assert out.exit_code == 0, out.output
            text = (tmp_path / f"{q.code}.md").read_text(encoding="utf-8")
            (old,) = q.replaces
            # issue 15: the 2015 QPV now has its name (LIBGEO of the INSEE files)
            name = read_rows(qpv_dir / "DEMO_2022.csv")[old]["LIBGEO"]
            assert f"{old} (périmètre 2015)" in text and f"Remplace {old} {name} (2015)" in text
            median = _number(filo[old]["DISP_MED_A19"])
            assert median is not None
            assert str(int(median)) in re.sub(r"[\s\u202f\u00a0]", "", text), (q.code, median)


def test_baseline_of_both_real_contracts(built: tuple[Path, RefreshReport], tmp_path: Path) -> None:
    # freezing writes <home>/baselines: a copy of the shared build's warehouse, never the build itself
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy2(built[0] / "warehouse.duckdb", home / "warehouse.duckdb")
    for contract in ("argentan", "pays-de-saint-omer"):
        out = CliRunner().invoke(
            app, ["baseline", contract, "--home", str(home), "--out", str(tmp_path / contract)]
        )
        assert out.exit_code == 0, out.output
        assert any(p.suffix == ".xlsx" for p in (tmp_path / contract).iterdir())
    # issue 15: the collèges de secteur the contract declares, with their distance, in the baseline
    from openpyxl import load_workbook

    (xlsx,) = (tmp_path / "pays-de-saint-omer").glob("baseline-*.xlsx")
    ws = load_workbook(xlsx)["Collèges de secteur"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = rows[0]
    by_pair = {(r[head.index("QPV 2024")], r[head.index("UAI")]): r for r in rows[1:]}
    assert ("QN06236M", "0622093N") in by_pair and ("QN06256M", "0622094P") in by_pair
    assert by_pair[("QN06236M", "0622093N")][head.index("Distance au périmètre (m)")] > 0
