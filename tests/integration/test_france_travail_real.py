"""Real job-seeker values: hackaviz qp.csv (Occitanie QPVs, 2015 geography; consolidation, not the
official layout, so it is read directly here and only the checks run on it)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from checks.france_travail import defm_totals_not_adding_up
from sources.france_travail import DEFM_STAGED_SCHEMA

pytestmark = pytest.mark.real


def _staged_from_hackaviz(path: Path) -> pl.DataFrame:
    qp = pl.read_csv(path, infer_schema=False)
    rows = []
    for i, r in enumerate(qp.iter_rows(named=True), start=2):
        for col, sex in (("abcde", "total"), ("abcde_f", "femmes"), ("abcde_h", "hommes")):
            v = r[col]
            rows.append(
                {
                    "layout": "hackaviz",
                    "territory_kind": "qpv2015",
                    "territory_code": r["code_qp"],
                    "geo_version": "qpv2015",
                    "period": "2020-12-31",
                    "period_type": "date",
                    "measure": "count",
                    "category": "ABCDE",
                    "sex": sex,
                    "age_band": "total",
                    "seniority": "total",
                    "rsa": "total",
                    "training_level": "total",
                    "nationality": "total",
                    "value": float(v) if v not in (None, "") else None,
                    "status": "published" if v not in (None, "") else "suppressed",
                    "raw_value": v,
                    "source_file": path.name,
                    "source_row": i,
                }
            )
    return pl.DataFrame(rows).select(
        [
            pl.col(c).cast(t) if c in rows[0] else pl.lit(None).cast(t).alias(c)
            for c, t in DEFM_STAGED_SCHEMA.items()
        ]
    )


def test_hackaviz_sex_totals(shared_data: Path) -> None:
    path = shared_data / "hackaviz2021_occitanie_qpv2015" / "qp.csv"
    staged = _staged_from_hackaviz(path)
    # qp.csv row 2, QP009001 Coeur De Ville: abcde 255 = abcde_f 112 + abcde_h 143
    first = staged.filter((pl.col("territory_code") == "QP009001") & (pl.col("sex") == "total"))
    assert first["value"][0] == 255.0
    report = defm_totals_not_adding_up(staged)
    # every QPV of the file where the three cells are published satisfies abcde_f + abcde_h = abcde
    assert report.height == 0
    assert staged["territory_code"].n_unique() == 105


@pytest.mark.parametrize("name", ["IPRO_2019.csv", "IPRO_2022.csv"])
def test_seniority_bands_partition_abc(shared_data: Path, name: str) -> None:
    """The basis of `defm_abc_un_an_ou_plus` (models/france_travail.LONG_TERM): in INSEE's real QPV files
    the four seniority bands ABC_DUR1..4 add up to ABC on every QPV where all five are published, and the
    bands 3 + 4 hold close to half of ABC (Dares: ≈ 48 % registered for a year or more, end 2022)."""
    path = shared_data / "insee" / "qpv2015" / name
    frame = pl.read_csv(path, separator=";", infer_schema=False, encoding="utf8-lossy")
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    cols = ["ABC", "ABC_DUR1", "ABC_DUR2", "ABC_DUR3", "ABC_DUR4"]
    num = frame.select(
        "CODGEO", *[pl.col(c).str.replace(",", ".").cast(pl.Float64, strict=False).alias(c) for c in cols]
    ).drop_nulls()
    assert num.height > 1_000  # QPVs with the whole block published
    gap = num.select((pl.sum_horizontal(cols[1:]) - pl.col("ABC")).abs().max()).item()
    assert gap == 0
    long_share = num.select(pl.col("ABC_DUR3").sum() + pl.col("ABC_DUR4").sum()).item() / num["ABC"].sum()
    assert 0.40 < long_share < 0.55
