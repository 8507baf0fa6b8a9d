"""qpv_predecessor: which 2015 QPVs a 2024 QPV replaces, on the most authoritative evidence held."""

from __future__ import annotations

import polars as pl

from models.predecessors import CONTRACT_QPV_SCHEMA, build_predecessors, replaces_conflicts

CROSS = {
    "code_2015": pl.String(),
    "code_2024": pl.String(),
    "share_of_2015": pl.Float64(),
    "share_of_2024": pl.Float64(),
    "relation": pl.String(),
}
CORR = {"code_2024": pl.String(), "code_2015": pl.String(), "status": pl.String()}


def _cross(rows: list[tuple[str | None, str | None, float, float, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CROSS, orient="row")


def _contract(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(c, q24, None, q15) for c, q24, q15 in rows], schema=CONTRACT_QPV_SCHEMA, orient="row"
    )


def _used(frame: pl.DataFrame, code: str) -> list[tuple[str, str]]:
    part = frame.filter((pl.col("code_2024") == code) & pl.col("used"))
    return sorted(part.select("code_2015", "basis").iter_rows())


def test_official_list_wins_and_carries_the_measured_shares() -> None:
    cross = _cross(
        [("QP099001", "QN09901I", 0.9, 0.8, "reduced"), ("QP099002", "QN09901I", 0.1, 0.2, "sliver")]
    )
    corr = pl.DataFrame([("QN09901I", "QP099001", "modifié")], schema=CORR, orient="row")
    contract = _contract([("c", "QN09901I", "QP099009")])
    frame = build_predecessors(cross, corr, contract)
    assert _used(frame, "QN09901I") == [("QP099001", "official_list")]
    official = frame.filter(pl.col("basis") == "official_list").row(0, named=True)
    shares = (official["share_of_2015"], official["share_of_2024"], official["relation"])
    assert shares == (0.9, 0.8, "modifié")
    # the sliver is no predecessor; the contract's and the overlap's rows stay, not used
    assert "QP099002" not in frame["code_2015"].to_list()
    assert frame.filter(~pl.col("used"))["basis"].sort().to_list() == ["contract", "overlap"]


def test_overlap_wins_over_the_contract_and_a_merged_qpv_keeps_each_share() -> None:
    cross = _cross(
        [("QP099003", "QN09903M", 1.0, 0.11, "merged"), ("QP099004", "QN09903M", 1.0, 0.12, "merged")]
    )
    contract = _contract([("c", "QN09903M", "QP099003")])
    frame = build_predecessors(cross, pl.DataFrame(schema=CORR), contract)
    assert _used(frame, "QN09903M") == [("QP099003", "overlap"), ("QP099004", "overlap")]
    shares = dict(frame.filter(pl.col("used")).select("code_2015", "share_of_2024").iter_rows())
    assert shares == {"QP099003": 0.11, "QP099004": 0.12}
    assert frame.filter(pl.col("code_2015") == "QP099003")["declared_by"].to_list() == ["c", "c"]


def test_the_contract_is_used_when_nothing_else_is_held() -> None:
    frame = build_predecessors(
        _cross([]), pl.DataFrame(schema=CORR), _contract([("argentan", "QN06101M", "QP061001")])
    )
    assert _used(frame, "QN06101M") == [("QP061001", "contract")]
    assert frame["share_of_2015"].to_list() == [None]


def test_a_qpv_the_official_list_calls_new_takes_no_contract_predecessor() -> None:
    corr = pl.DataFrame([("QN09904N", None, "nouveau")], schema=CORR, orient="row")
    contract = _contract([("c", "QN09904N", "QP099005")])
    frame = build_predecessors(_cross([]), corr, contract)
    assert _used(frame, "QN09904N") == []


def test_a_contradicting_declaration_is_reported_naming_both() -> None:
    cross = _cross([("QP099001", "QN09901I", 1.0, 1.0, "unchanged")])
    contract = _contract([("sample", "QN09901I", "QP099002")])
    frame = build_predecessors(cross, pl.DataFrame(schema=CORR), contract)
    (message,) = replaces_conflicts(frame, contract)
    assert "QP099002" in message and "QP099001" in message and "recouvrement" in message
    agreeing = _contract([("sample", "QN09901I", "QP099001")])
    assert replaces_conflicts(build_predecessors(cross, pl.DataFrame(schema=CORR), agreeing), agreeing) == []
