"""The real Cnaf IRIS files in ../shared/data/caf (INSEE Cnaf base, 2016-2020)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from checks.caf import caf_totals_not_adding_up, validate_caf_staged
from models.caf import aggregate_iris_to_commune, caf_observations
from sources.caf import parse_cnaf_base

pytestmark = pytest.mark.real

# file → (data rows, layout) as read with `wc -l` minus the header (PROVENANCE.md agrees).
EXPECTED = {
    2016: (13_148, "insee_cnaf_2016"),
    2017: (13_279, "insee_cnaf_2017"),
    2018: (13_349, "insee_cnaf_2018"),
    2019: (13_424, "insee_cnaf_2019"),
    2020: (13_444, "insee_cnaf_2019"),
}


def _file(shared_data: Path, year: int) -> Path:
    return shared_data / "caf" / f"data_CAF_{year}_IRIS.csv"


@pytest.mark.parametrize("year", [2016, 2020])
def test_row_counts_and_layout(shared_data: Path, year: int) -> None:
    df = parse_cnaf_base(_file(shared_data, year))
    rows, layout = EXPECTED[year]
    assert df["source_row"].n_unique() == rows
    assert set(df["layout"]) == {layout}
    assert set(df["territory_kind"]) == {"iris"}
    validate_caf_staged(df.head(5000))


def test_known_iris_values(shared_data: Path) -> None:
    # data_CAF_<year>_IRIS.csv, CODGEO 610060101 (Argentan, Les Provinces), column A: 633 / 609
    a16 = parse_cnaf_base(_file(shared_data, 2016))
    row = a16.filter((pl.col("territory_code") == "610060101") & (pl.col("variable") == "PERCOU")).row(
        0, named=True
    )
    assert row["value"] == 1405.0 and row["raw_value"] == "1\u202f405"  # column PERCOU, U+202F separator
    df = parse_cnaf_base(_file(shared_data, 2020))
    get = {
        (r["territory_code"], r["variable"]): r["value"]
        for r in df.filter(pl.col("territory_code").is_in(["610060101", "627650101"])).iter_rows(named=True)
    }
    assert get[("610060101", "A")] == 609.0  # data_CAF_2020_IRIS.csv, column A
    assert get[("610060101", "ARSAS")] == 162.0  # column ARSAS
    assert get[("627650101", "A")] == 640.0 and get[("627650101", "APPA")] == 246.0  # columns A, APPA
    assert get[("610060101", "A_ETUD")] is None  # empty cell in the file: suppressed, not zero


def test_suppressed_cells_kept_as_null(shared_data: Path) -> None:
    df = parse_cnaf_base(_file(shared_data, 2020))
    # about 30,000 empty cells a year (PROVENANCE.md): 29,981 empty count cells counted with csv in 2020
    assert df.filter(pl.col("status") == "suppressed").height == 29_981
    assert df.filter(pl.col("status") == "suppressed")["value"].null_count() == 29_981


def test_totals_add_up_in_real_files(shared_data: Path) -> None:
    # A = AI + AM + ACSSENF + ACAVENF and ENF = sum of ENF_* hold on every row where all are published.
    df = parse_cnaf_base(_file(shared_data, 2019))
    assert caf_totals_not_adding_up(df).height == 0


def test_iris_to_commune_argentan(shared_data: Path) -> None:
    df = parse_cnaf_base(_file(shared_data, 2020)).filter(pl.col("commune_code") == "61006")
    obs = caf_observations(df, source_dataset="cnaf_base_iris", source_vintage="2020", sha256="-")
    com = (
        aggregate_iris_to_commune(obs).filter(pl.col("indicator_id") == "caf_allocataires").row(0, named=True)
    )
    parts = df.filter(pl.col("variable") == "A")
    if parts["status"].eq("published").all():
        assert com["value"] == parts["value"].sum() and com["status"] == "published"
    else:
        assert com["value"] is None and com["interval_low"] == parts["value"].sum()
