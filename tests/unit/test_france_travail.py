"""DEFM parsers, model and checks on tiny fixtures in the official layouts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from checks.france_travail import (
    DARES_ROUNDING_TOLERANCE,
    defm_totals_not_adding_up,
    validate_defm_observations,
    validate_defm_staged,
)
from models.france_travail import (
    LONG_TERM,
    defm_indicator_catalog,
    defm_long_term,
    defm_observations,
    defm_share_of_commune,
)
from sources._errors import SourceFormatError
from sources.france_travail import describe_qpv_variable, parse_defm_communes, parse_defm_qpv


@pytest.fixture
def ft_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "france_travail"


def test_dares_communes_labels(ft_dir: Path) -> None:
    df = parse_defm_communes(ft_dir / "dares_defm_communales-brutes.csv")
    validate_defm_staged(df)
    total = df.filter(
        (pl.col("territory_code") == "61006") & (pl.col("sex") == "total") & (pl.col("age_band") == "total")
    )
    assert dict(zip(total["period"], total["value"], strict=True)) == {"2023-Q4": 1455.0, "2024-Q4": 1410.0}
    assert set(df["period_type"]) == {"quarter"}
    kinds = dict(zip(df["territory_code"], df["territory_kind"], strict=False))
    assert kinds["Total"] == "aggregate" and kinds["75101"] == "arrondissement"
    empty = df.filter(pl.col("territory_code") == "61001").row(0, named=True)
    assert empty["value"] is None and empty["status"] == "suppressed"
    ages = df.filter((pl.col("period") == "2023-Q4") & (pl.col("age_band") != "total"))
    assert sorted(ages["age_band"]) == ["25_49", "50_plus", "moins_25"]


def test_dares_technical_header(ft_dir: Path) -> None:
    df = parse_defm_communes(ft_dir / "dares_defm_communales-brutes_technical.csv")
    assert df.select("territory_code", "period", "value").rows() == [("61006", "2024-Q4", 1410.0)]


@pytest.mark.parametrize(
    ("name", "row", "column"),
    [
        ("dares_defm_communales-brutes_bad_date.csv", 3, "Date"),
        ("dares_defm_communales-brutes_wrong_columns.csv", 1, "sexe"),
    ],
)
def test_dares_bad_inputs(ft_dir: Path, name: str, row: int, column: str) -> None:
    with pytest.raises(SourceFormatError) as err:
        parse_defm_communes(ft_dir / name)
    assert (err.value.row, err.value.column) == (row, column)
    assert name in str(err.value)


def test_qpv_layout(ft_dir: Path) -> None:
    df = parse_defm_qpv(ft_dir / "defm_qpv2015_2023_T4.csv", "2023-Q4")
    validate_defm_staged(df)
    abc = df.filter(
        (pl.col("category") == "ABC")
        & pl.all_horizontal(
            [pl.col(c) == "total" for c in ("sex", "age_band", "seniority", "rsa", "training_level")]
        )
    )
    assert dict(zip(abc["territory_code"], abc["value"], strict=True)) == {
        "QP061001": 227.0,
        "QP061002": 339.0,
        "QP062036": None,
    }
    withheld = df.filter(pl.col("territory_code") == "QP062036")
    assert set(withheld["status"]) == {"suppressed"} and set(withheld["note"]) == {"5"}
    abcde = df.filter(
        (pl.col("territory_code") == "QP061002")
        & (pl.col("category") == "ABCDE")
        & (pl.col("sex") == "total")
    )
    assert abcde["value"][0] == 1010.0  # "1 010" with U+202F
    assert set(df["geo_version"]) == {"qpv2015"}


def test_qpv_unknown_column_and_bad_period(ft_dir: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        parse_defm_qpv(ft_dir / "defm_qpv_unknown_column.csv", "2023-Q4")
    assert (err.value.row, err.value.column) == (1, "TX_TOT_EMPL")
    with pytest.raises(SourceFormatError):
        parse_defm_qpv(ft_dir / "defm_qpv2015_2023_T4.csv", "2023-T4")


def test_variable_grammar() -> None:
    assert describe_qpv_variable("ABC_RSA_F") == {
        "measure": "count",
        "category": "ABC",
        "rsa": "rsa",
        "age_band": "total",
        "nationality": "total",
        "training_level": "total",
        "seniority": "total",
        "sex": "femmes",
    }
    assert describe_qpv_variable("ABC_DUR3_H")["seniority"] == "dur3"  # type: ignore[index]
    assert describe_qpv_variable("EVOL_A_F_T4")["measure"] == "evolution_pct"  # type: ignore[index]
    assert describe_qpv_variable("TX_TOT_EMPL") is None


def test_totals_check(ft_dir: Path) -> None:
    bad = parse_defm_qpv(ft_dir / "defm_qpv2015_2023_T4_bad_totals.csv", "2023-Q4")
    report = defm_totals_not_adding_up(bad)
    assert report.select("territory_code", "difference").rows() == [("QP061001", 5.0), ("QP061002", 10.0)]
    assert report["rule"][0] == "A + B + C = ABC"
    assert report["rule"][1].startswith("femmes + hommes = total")
    good = parse_defm_qpv(ft_dir / "defm_qpv2015_2023_T4.csv", "2023-Q4")
    assert defm_totals_not_adding_up(good).height == 0
    communes = parse_defm_communes(ft_dir / "dares_defm_communales-brutes.csv")
    # 2024-Q4: 690 + 740 = 1430 vs 1410, beyond rounding to 5
    flagged = defm_totals_not_adding_up(communes, tolerance=DARES_ROUNDING_TOLERANCE)
    assert flagged.select("territory_code", "period", "difference", "source_rows").rows() == [
        ("61006", "2024-Q4", -20.0, "9,10,11")
    ]


def test_observations_catalog_and_share(ft_dir: Path) -> None:
    qpv = parse_defm_qpv(ft_dir / "defm_qpv2015_2023_T4.csv", "2023-Q4")
    com = parse_defm_communes(ft_dir / "dares_defm_communales-brutes.csv")
    obs = pl.concat(
        [
            defm_observations(qpv, source_dataset="insee_defm_qpv", source_vintage="2024-01", sha256="a"),
            defm_observations(
                com, source_dataset="dares_defm_communales-brutes", source_vintage="2025", sha256="b"
            ),
        ]
    )
    validate_defm_observations(obs)
    assert "Total" not in set(obs["territory_code"]) and "75101" not in set(obs["territory_code"])
    catalog = defm_indicator_catalog(qpv)
    assert set(obs["indicator_id"]) <= set(catalog["indicator_id"])
    links = pl.DataFrame(
        {
            "child_code": ["QP061001", "QP061002", "QP062036"],
            "child_geo_version": ["qpv2015"] * 3,
            "parent_code": ["61006", "61006", "62765"],
        }
    )
    share = defm_share_of_commune(obs, links)
    p = share.filter(pl.col("territory_code") == "QP061001").row(0, named=True)
    assert p["indicator_id"] == "defm_abc_part_commune_pct"
    assert (p["numerator"], p["denominator"]) == (227.0, 1455.0)
    assert p["value"] == pytest.approx(100 * 227 / 1455)
    withheld = share.filter(pl.col("territory_code") == "QP062036").row(0, named=True)
    assert withheld["value"] is None and withheld["status"] == "not_computable"
    assert withheld["parts_hidden"] >= 1 and withheld["parts_total"] >= 2


def _band(code: str, band: int, value: float | None, sha: str = "f1") -> dict[str, object]:
    return {
        "indicator_id": f"defm_abc_dur{band}",
        "territory_kind": "qpv2015",
        "territory_code": code,
        "geo_version": "qpv2015",
        "period": "2022-Q4",
        "period_type": "quarter",
        "value": value,
        "status": "published" if value is not None else "suppressed",
        "method": "published",
        "source_dataset": "defm_qpv2015",
        "source_vintage": "2022",
        "source_sha256": sha,
    }


def test_long_term_job_seekers_are_bands_3_and_4_never_a_partial_sum() -> None:
    obs = pl.DataFrame(
        [
            _band("QP001001", 1, 40.0),
            _band("QP001001", 2, 20.0),
            _band("QP001001", 3, 25.0),
            _band("QP001001", 4, 35.0),
            _band("QP001002", 3, 10.0),
            _band("QP001002", 4, None),  # hidden band: the sum is secret too, not 10
            _band("QP001003", 3, 7.0),  # band 4 absent from the file: no figure at all
            _band("QP001001", 3, 1.0, sha="f2"),  # another file: its own figure, never mixed
            _band("QP001001", 4, 2.0, sha="f2"),
        ]
    )
    out = defm_long_term(obs).sort("territory_code", "source_sha256")
    assert out["indicator_id"].unique().to_list() == [LONG_TERM]
    rows = {(r["territory_code"], r["source_sha256"]): r for r in out.iter_rows(named=True)}
    assert set(rows) == {("QP001001", "f1"), ("QP001001", "f2"), ("QP001002", "f1")}
    assert rows[("QP001001", "f1")]["value"] == 60.0 and rows[("QP001001", "f1")]["status"] == "published"
    assert rows[("QP001001", "f2")]["value"] == 3.0
    hidden = rows[("QP001002", "f1")]
    assert hidden["value"] is None and hidden["status"] == "not_computable"
    assert (hidden["parts_hidden"], hidden["parts_total"]) == (1, 2)
    assert all(r["method"] == "summed" for r in rows.values())
    catalog = defm_indicator_catalog()
    entry = catalog.filter(pl.col("indicator_id") == LONG_TERM).row(0, named=True)
    assert entry["unit"] == "count" and "déduites" in entry["definition"]
