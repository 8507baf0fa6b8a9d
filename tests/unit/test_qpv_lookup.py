"""A QPV by its code: unknown codes refused with close matches in both geographies."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.qpv_lookup import QpvLookupError, predecessors, resolve_qpv


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE territory (kind VARCHAR, code VARCHAR, name VARCHAR, geom_wkb BLOB)")
    con.execute(
        "INSERT INTO territory VALUES ('qpv2024', 'QN06101M', 'Les Provinces', 'x'), "
        "('qpv2015', 'QP061001', 'Les Provinces', NULL), ('qpv2015', 'QP061007', 'Courteille', NULL), "
        "('qpv2015', 'QP081009', 'Rajol', 'x')"
    )
    con.execute(
        "CREATE TABLE observation (territory_kind VARCHAR, territory_code VARCHAR); "
        "INSERT INTO observation VALUES ('qpv2015', 'QP061099')"
    )
    con.execute(
        "CREATE TABLE qpv_predecessor (code_2024 VARCHAR, code_2015 VARCHAR, basis VARCHAR, "
        "share_of_2015 DOUBLE, share_of_2024 DOUBLE, relation VARCHAR, declared_by VARCHAR, used BOOLEAN); "
        "INSERT INTO qpv_predecessor VALUES ('QN06101M', 'QP061001', 'contract', NULL, NULL, NULL, "
        "'argentan', true)"
    )
    return con


def test_known_codes_of_both_geographies(con: duckdb.DuckDBPyConnection) -> None:
    qn = resolve_qpv(con, " qn06101m ")
    assert (qn.kind, qn.code, qn.name, qn.has_perimeter) == ("qpv2024", "QN06101M", "Les Provinces", True)
    qp = resolve_qpv(con, "QP061001")
    assert (qp.kind, qp.has_perimeter) == ("qpv2015", False)
    # a QPV with figures but no territory row is still a QPV
    assert resolve_qpv(con, "QP061099").name is None
    (p,) = predecessors(con, "QN06101M")
    assert p.perimeter_label() == "périmètre 2015 — QP061001 Les Provinces"
    assert "contrat argentan" in p.evidence() and "non mesuré" in p.evidence()


def test_unknown_code_names_close_matches_in_both_geographies(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QpvLookupError) as info:
        resolve_qpv(con, "QN06109M")
    message = str(info.value)
    assert "géographie 2024 : QN06101M" in message
    # the predecessor of the close 2024 QPV first, then the same département's
    assert "géographie 2015 : QP061001 (Les Provinces), QP061007" in message
    assert "QP081009" not in message


@pytest.mark.parametrize("bad", ["QN0610M", "QPV061001", "61006", "QN061'01M", ""])
def test_malformed_codes_are_refused(con: duckdb.DuckDBPyConnection, bad: str) -> None:
    with pytest.raises(QpvLookupError, match="n'est pas un code de QPV"):
        resolve_qpv(con, bad)
