"""A QPV by its code, in either geography, and the perimeters its figures are measured on.

Every command that takes a QPV code goes through `resolve_qpv`: a 2024 code (QN…) answers with its own
figures and those of the 2015 QPV(s) it replaces (`qpv_predecessor`, the basis used), each labelled by
its perimeter; an unknown code is refused with the close matches of both geographies.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import duckdb

from sources.territory_codes import QPV_CODE_RE

BASIS_FR = {
    "official_list": "liste de correspondance officielle de l'ANCT",
    "overlap": "recouvrement mesuré des périmètres",
    "contract": "déclaration du contrat",
}


class QpvLookupError(ValueError):
    """A code that is not a QPV code, or a QPV the warehouse does not know."""


@dataclass(frozen=True)
class Qpv:
    kind: str  # qpv2015 | qpv2024
    code: str
    name: str | None
    has_perimeter: bool

    @property
    def year(self) -> str:
        return self.kind[3:]

    def label(self) -> str:
        return f"{self.code} {self.name or ''}".strip()


@dataclass(frozen=True)
class Predecessor:
    """A 2015 QPV whose figures a 2024 QPV shows, and why."""

    code_2024: str
    code_2015: str
    name_2015: str | None
    basis: str  # official_list | overlap | contract
    share_of_2015: float | None  # part of the 2015 QPV inside the 2024 one
    share_of_2024: float | None  # part of the 2024 QPV the 2015 one covers
    declared_by: str | None

    def perimeter_label(self) -> str:
        """« périmètre 2015 — QP061001 Les Provinces »"""
        return f"périmètre 2015 — {self.code_2015} {self.name_2015 or ''}".strip()

    def evidence(self) -> str:
        """Why this 2015 QPV, and how much of it: the basis and the measured shares (when measured)."""
        parts = [BASIS_FR.get(self.basis, self.basis)]
        if self.basis == "contract" and self.declared_by:
            parts[0] += f" {self.declared_by}"
        if self.share_of_2015 is not None and self.share_of_2024 is not None:
            parts.append(
                f"{_pct(self.share_of_2015)} du QPV 2015 dans le QPV 2024, "
                f"qui en couvre {_pct(self.share_of_2024)}"
            )
        else:
            parts.append("recouvrement non mesuré (les deux périmètres ne sont pas chargés)")
        return " ; ".join(parts)


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %".replace(".", ",")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def resolve_qpv(con: duckdb.DuckDBPyConnection, code: str) -> Qpv:
    """The QPV of this code, or QpvLookupError naming the close matches of both geographies."""
    code = code.strip().upper()
    if not QPV_CODE_RE.match(code):
        raise QpvLookupError(
            f"{code[:40]!r} n'est pas un code de QPV (QP + département sur 3 caractères + 3 chiffres pour "
            "2015, ex. QP061001 ; QN + département sur 3 caractères + 2 chiffres + une clé pour 2024, "
            "ex. QN06101M)"
        )
    kind = "qpv2024" if code.startswith("QN") else "qpv2015"
    row = con.execute(
        "SELECT any_value(name), bool_or(geom_wkb IS NOT NULL) FROM territory WHERE kind = ? AND code = ?",
        [kind, code],
    ).fetchone()
    if row is not None and row[1] is not None:
        return Qpv(kind, code, row[0], bool(row[1]))
    # a QPV with figures but neither perimeter nor name (a file without LIBGEO)
    seen = con.execute(
        "SELECT count(*) FROM observation WHERE territory_kind = ? AND territory_code = ?", [kind, code]
    ).fetchone()
    if seen and seen[0]:
        return Qpv(kind, code, None, False)
    known = con.execute(
        "SELECT kind, code, any_value(name) FROM territory WHERE kind IN ('qpv2015', 'qpv2024') GROUP BY ALL"
    ).fetchall()
    hints = []
    department = code[2:5]  # three characters in both geographies: 061, 974, 02A
    matched: dict[str, list[str]] = {}
    for geography in ("qpv2024", "qpv2015"):
        names = {c: n for k, c, n in known if k == geography}
        # the QPVs of the code's département first: QN06109M is closer to QN06101M than to QN08109M
        same = sorted(c for c in names if c[2:5] == department)
        close = difflib.get_close_matches(code, same, n=4, cutoff=0.0) or difflib.get_close_matches(
            code, sorted(names), n=4, cutoff=0.6
        )
        if geography == "qpv2015":
            # the 2015 QPVs the close 2024 ones replace come first
            linked = [p.code_2015 for c in matched.get("qpv2024", []) for p in predecessors(con, c)]
            close = list(dict.fromkeys([c for c in linked if c in names] + close))[:4]
        matched[geography] = close
        listed = ", ".join(f"{c} ({names[c]})" if names[c] else c for c in close) or "aucun"
        hints.append(f"proches en géographie {geography[3:]} : {listed}")
    raise QpvLookupError(f"QPV {code} inconnu de l'entrepôt ; " + " ; ".join(hints))


def predecessors(con: duckdb.DuckDBPyConnection, code_2024: str) -> list[Predecessor]:
    """The 2015 QPVs a 2024 QPV replaces, on the most authoritative basis held (empty when none)."""
    if not _has_table(con, "qpv_predecessor"):
        return []
    rows = con.execute(
        "SELECT p.code_2024, p.code_2015, t.name, p.basis, p.share_of_2015, p.share_of_2024, p.declared_by "
        "FROM qpv_predecessor p LEFT JOIN (SELECT code, any_value(name) AS name FROM territory "
        "WHERE kind = 'qpv2015' GROUP BY code) t ON t.code = p.code_2015 "
        "WHERE p.code_2024 = ? AND p.used ORDER BY p.share_of_2024 DESC NULLS LAST, p.code_2015",
        [code_2024],
    ).fetchall()
    return [Predecessor(*r) for r in rows]


def successors(con: duckdb.DuckDBPyConnection, code_2015: str) -> list[tuple[str, str | None]]:
    """The 2024 QPVs that replace a 2015 QPV (code, name), on the basis used for each."""
    if not _has_table(con, "qpv_predecessor"):
        return []
    return [
        (str(c), n)
        for c, n in con.execute(
            "SELECT DISTINCT p.code_2024, t.name FROM qpv_predecessor p LEFT JOIN territory t "
            "ON t.kind = 'qpv2024' AND t.code = p.code_2024 WHERE p.code_2015 = ? AND p.used ORDER BY 1",
            [code_2015],
        ).fetchall()
    ]


def qpv_scope(con: duckdb.DuckDBPyConnection, qpv: Qpv, contracts: list[Any]) -> Any:
    """A contract narrowed to one QPV, for the contract commands given a QPV code: the first contract
    naming it (its references and dates kept), else one built from the warehouse (the QPV, the 2015
    QPVs it replaces, its communes, their EPCI, département, région, France métropolitaine, all QPVs)."""
    from dataclasses import replace
    from datetime import date

    from sources.contracts import Contract, ContractQpv, TerritoryRef

    for contract in contracts:
        for q in contract.qpvs:
            if qpv.code == q.code or qpv.code in q.replaces:
                mine = q if qpv.code == q.code else ContractQpv(q.code, (qpv.code,), q.name)
                return replace(contract, qpvs=(mine,), former_qpv2015=())
        if qpv.code in contract.former_qpv2015:
            return replace(contract, qpvs=(), former_qpv2015=(qpv.code,))
    if qpv.kind == "qpv2024":
        qpvs: tuple[ContractQpv, ...] = (
            ContractQpv(qpv.code, tuple(p.code_2015 for p in predecessors(con, qpv.code)), qpv.name),
        )
        former: tuple[str, ...] = ()
    else:
        qpvs, former = (), (qpv.code,)
    communes = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT parent_code FROM territory_link WHERE child_kind = ? AND child_code = ? "
            "AND parent_kind = 'commune' ORDER BY 1",
            [qpv.kind, qpv.code],
        ).fetchall()
    ]
    parents = con.execute(
        "SELECT DISTINCT l.parent_kind, l.parent_code FROM territory_link l WHERE l.child_kind = 'commune' "
        "AND l.child_code IN (SELECT unnest(?::VARCHAR[])) AND l.parent_kind IN ('epci', 'departement') "
        "UNION SELECT DISTINCT 'region', r.parent_code FROM territory_link r JOIN territory_link d "
        "ON r.child_kind = 'departement' AND r.child_code = d.parent_code AND r.parent_kind = 'region' "
        "WHERE d.child_kind = 'commune' AND d.child_code IN (SELECT unnest(?::VARCHAR[])) "
        "AND d.parent_kind = 'departement' ORDER BY 1, 2",
        [communes, communes],
    ).fetchall()
    refs = [TerritoryRef("commune", c) for c in communes]
    refs += [TerritoryRef(str(k), str(c)) for k, c in parents]
    refs += [TerritoryRef("france", "FRM"), TerritoryRef("ensemble_qpv", "ensemble")]
    name = qpv.code.lower()
    return Contract(
        name=name,
        title=f"{qpv.code} {qpv.name or ''}".strip(),
        baseline_date=date.today(),
        communes=tuple(communes),
        epci=tuple(str(c) for k, c in parents if k == "epci"),
        qpvs=qpvs,
        former_qpv2015=former,
        references=tuple(refs),
    )
