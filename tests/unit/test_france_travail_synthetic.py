"""Synthetic DEFM files: official layouts, a missing quarter, a suppressed QPV, QPV ≤ communes."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from checks.france_travail import DARES_ROUNDING_TOLERANCE, defm_totals_not_adding_up, validate_defm_staged
from models.france_travail import defm_observations, defm_share_of_commune
from models.series import build_series, series_gaps
from sources.france_travail import parse_defm_communes, parse_defm_qpv
from synthetic.france_travail import write_france_travail
from synthetic.territory import build_territory


def test_write_france_travail(tmp_path: Path) -> None:
    territory = build_territory(2024)
    paths = write_france_travail(tmp_path / "m", territory, seed=3)
    assert [p.read_bytes() for p in paths] == [
        p.read_bytes() for p in write_france_travail(tmp_path / "n", territory, 3)
    ]
    dares = next(p for p in paths if "data.dares.travail-emploi.gouv.fr" in p.parts)
    communes = parse_defm_communes(dares)
    validate_defm_staged(communes)
    assert defm_totals_not_adding_up(communes, tolerance=DARES_ROUNDING_TOLERANCE).height == 0
    qpv_frames = []
    revised = [p for p in paths if p.stem.endswith("_v2")]
    for p in paths:
        if p is dares or p in revised:
            continue
        _, _, year, quarter = p.stem.split("_")
        qpv_frames.append(parse_defm_qpv(p, f"{year}-Q{quarter[-1]}"))
    qpv = pl.concat(qpv_frames)
    validate_defm_staged(qpv)
    # one quarter is republished corrected: same QPVs, other values, totals still adding up
    assert [p.stem for p in revised] == ["defm_qpv2024_2024_T2_v2"]
    again = parse_defm_qpv(revised[0], "2024-Q2")
    first = qpv.filter((pl.col("period") == "2024-Q2") & (pl.col("territory_kind") == "qpv2024"))
    assert set(again["territory_code"]) == set(first["territory_code"])
    assert again["value"].to_list() != first["value"].to_list()
    assert defm_totals_not_adding_up(again).height == 0
    assert defm_totals_not_adding_up(qpv).height == 0
    obs = pl.concat(
        [
            defm_observations(communes, source_dataset="dares", source_vintage="s", sha256="0"),
            defm_observations(qpv, source_dataset="qpv", source_vintage="s", sha256="0"),
        ]
    )
    abc = obs.filter(pl.col("indicator_id") == "defm_abc")
    gaps = series_gaps(build_series(abc.filter(pl.col("territory_kind") == "qpv2015")))
    assert set(gaps["period"]) == {"2022-Q3"}
    hidden = abc.filter(pl.col("status") == "suppressed")
    assert hidden.select("territory_code", "period").rows() == [("QP099005", "2022-Q4")]
    links = pl.DataFrame(
        [
            {"child_code": q.code, "child_geo_version": q.geography, "parent_code": c}
            for q in territory.qpvs
            for c in q.commune_codes
        ]
    )
    share = defm_share_of_commune(abc, links).filter(pl.col("status") == "published")
    assert share.height > 0 and share["value"].max() <= 100.0  # type: ignore[operator]
