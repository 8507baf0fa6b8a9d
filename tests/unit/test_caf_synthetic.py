"""Synthetic CAF files: official layouts, deterministic, consistent (QPV ≤ communes)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from checks.caf import caf_totals_not_adding_up, validate_caf_staged
from models.caf import caf_observations
from models.series import geography_coverage
from sources.caf import parse_caf_file
from synthetic.caf import write_caf
from synthetic.territory import build_territory


def test_write_caf(tmp_path: Path) -> None:
    territory = build_territory(2024)
    paths = write_caf(tmp_path / "m1", territory, seed=7)
    again = write_caf(tmp_path / "m2", territory, seed=7)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]
    commune_file = next(p for p in paths if p.parts[-2] == "exports")
    assert "data.caf.fr" in commune_file.parts and commune_file.read_bytes().startswith(b"\xef\xbb\xbf")
    communes = parse_caf_file(commune_file)
    qpv = pl.concat([parse_caf_file(p) for p in paths if p.name.startswith("data_CAF_")])
    validate_caf_staged(communes)
    validate_caf_staged(qpv)
    assert caf_totals_not_adding_up(qpv).height == 0
    assert set(communes.filter(pl.col("territory_kind") == "commune")["territory_code"]) == {
        c.code for c in territory.communes
    }
    # one suppressed block
    hidden = qpv.filter(pl.col("status") == "suppressed")
    assert set(hidden["territory_code"]) == {"QP099005"} and set(hidden["period"]) == {"2021-12-31"}
    # QPV RSA socle ≤ commune(s) RSA foyers, same December
    rsa = communes.filter(pl.col("variable") == "indfoy_rsa").select("territory_code", "period", "value")
    for q in territory.qpvs:
        for row in qpv.filter(
            (pl.col("territory_code") == q.code) & (pl.col("variable") == "ARSAS")
        ).iter_rows(named=True):
            parent = rsa.filter(
                pl.col("territory_code").is_in(q.commune_codes) & (pl.col("period") == row["period"])
            )
            if row["value"] is not None and parent.height:
                assert row["value"] <= parent["value"].sum()
    obs = caf_observations(qpv, source_dataset="cnaf_qpv", source_vintage="synthetic", sha256="0")
    cov = geography_coverage(obs.filter(pl.col("indicator_id") == "caf_allocataires"))
    assert dict(zip(cov["period"], cov["coverage"], strict=True))["2020-12-31"] == "qpv2015_only"
    assert dict(zip(cov["period"], cov["coverage"], strict=True))["2023-12-31"] == "both"
