"""One definition of the territory codes (sources/territory_codes.py), used everywhere (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sources.territory_codes import QPV_CODE_RE, TERRITORY_CODE_RE, qpv_kind

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("code", "kind"),
    [("QP061001", "qpv2015"), ("QP02A001", "qpv2015"), ("QP974001", "qpv2015"), ("QN06101M", "qpv2024"),
     ("QN02A01I", "qpv2024"), ("QN97401N", "qpv2024"), ("QN061011", None), ("QN0610M", None),
     ("QP06100", None), ("qn06101m", None), ("QN06101M ", None)],
)  # fmt: skip
def test_qpv_codes_of_both_geographies(code: str, kind: str | None) -> None:
    assert qpv_kind(code) == kind
    assert bool(QPV_CODE_RE.match(code)) == (kind is not None)


def test_territory_arguments() -> None:
    for good in ("QN06101M", "QP061001", "61006", "2A004", "610060101"):
        assert TERRITORY_CODE_RE.match(good)
    for bad in ("6100", "QN0610", "61006'; --", "../x"):
        assert not TERRITORY_CODE_RE.match(bad)


def test_no_other_module_spells_a_qpv_code_pattern() -> None:
    spelled = re.compile(r"Q[NP]\(\\d\{3\}|Q[NP]\\d\{2\}\[|Q[NP]\(\?P<dep>")
    owners = []
    for folder in ("sources", "models", "checks", "warehouse", "pipelines", "synthetic"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name != "territory_codes.py" and spelled.search(path.read_text(encoding="utf-8")):
                owners.append(str(path.relative_to(ROOT)))
    assert owners == [], owners


def test_kind_expr_locates_each_code_among_the_kinds_a_file_may_hold() -> None:
    import polars as pl

    from sources.territory_codes import kind_expr

    codes = ["610060101", "61006", "2A004", "QP061001", "QP02A001", "QN06101M", "ENSEMBLE", "04XXX", ""]
    frame = pl.DataFrame({"code": codes})
    every = ("iris", "commune", "qpv2015", "qpv2024")
    caf = frame.select(kind_expr(pl.col("code"), every).alias("kind"))["kind"]
    assert caf.to_list() == [
        "iris", "commune", "commune", "qpv2015", "qpv2015", "qpv2024", "aggregate", "unlocated", "unlocated"
    ]
    defm = frame.select(kind_expr(pl.col("code"), ("qpv2015", "qpv2024")).alias("kind"))["kind"]
    assert defm.to_list()[:3] == ["unlocated"] * 3 and defm.to_list()[3:7] == [
        "qpv2015", "qpv2015", "qpv2024", "aggregate"
    ]
