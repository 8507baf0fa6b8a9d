"""Contracts checked against the warehouse's tables: every code known, every collège de secteur a collège.

`check_contract_territories` names the close matches of an unknown code (difflib); the contract files
themselves are read and structurally validated by sources/contracts.py.
"""

from __future__ import annotations

import difflib

import polars as pl

from sources.contracts import Contract, ContractError


def check_colleges_secteur(contract: Contract, schools: pl.DataFrame) -> None:
    """Every collège de secteur is a collège of the school table (columns uai, name, level): an unknown
    UAI is named with its close matches, a school of another level with that level."""
    if not contract.colleges_secteur:
        return
    levels = {u: lv for u, lv in schools.select("uai", "level").iter_rows()}
    names = {u: n for u, n in schools.select("uai", "name").iter_rows() if n}
    colleges = sorted(u for u, lv in levels.items() if lv == "college")
    problems: list[str] = []
    for c in contract.colleges_secteur:
        if c.uai not in levels:
            close = difflib.get_close_matches(c.uai, colleges, n=4, cutoff=0.6)
            hint = ", ".join(f"{u} ({names.get(u, '?')})" for u in close) or "aucun collège proche"
            problems.append(f"collège de secteur {c.uai} absent de la table des écoles ; proches : {hint}")
        elif levels[c.uai] != "college":
            problems.append(
                f"collège de secteur {c.uai} ({names.get(c.uai, '?')}) n'est pas un collège "
                f"mais un établissement de niveau « {levels[c.uai]} »"
            )
    if problems:
        raise ContractError(f"contract {contract.path or contract.name}: " + "; ".join(problems))


KIND_WORDS = {
    "qpv2024": "QPV 2024", "qpv2015": "QPV 2015", "commune": "commune", "epci": "EPCI",
    "departement": "département", "region": "région", "france": "France",
}  # fmt: skip
# A contract for another territory (the sample's, on a real warehouse) lists every code: a few suffice.
MAX_PROBLEMS_SHOWN = 3


def check_contract_territories(contract: Contract, territory: pl.DataFrame) -> None:
    """Every code of the contract exists in ``territory`` (columns kind, code); an unknown code is
    named with its close matches among the codes and names of the same kind (both QPV geographies
    for a QPV: a 2015 code given as a 2024 one is recognised)."""
    held = {(k, c) for k, c in territory.select("kind", "code").iter_rows()}
    names = {c: n for k, c, n in territory.select("kind", "code", "name").iter_rows() if n}
    wanted: list[tuple[str, str, str]] = [("qpv2024", c, "QPV 2024") for c in contract.qpv2024_codes]
    wanted += [("qpv2015", c, "QPV 2015") for c in contract.qpv2015_codes]
    wanted += [("commune", c, "commune signataire") for c in contract.communes]
    wanted += [("epci", c, "EPCI signataire") for c in contract.epci]
    wanted += [
        (r.kind, r.code, f"{KIND_WORDS.get(r.kind, r.kind)} de comparaison")
        for r in contract.references
        if r.kind != "ensemble_qpv"
    ]
    problems: list[str] = []
    for kind, code, what in wanted:
        if (kind, code) in held:
            continue
        kinds = ("qpv2024", "qpv2015") if kind.startswith("qpv") else (kind,)
        pool = sorted(c for k, c in held if k in kinds)
        close = difflib.get_close_matches(code, pool, n=3, cutoff=0.6)
        elsewhere = sorted(KIND_WORDS.get(k, k) for k, c in held if c == code and k != kind)
        hint = ""
        if elsewhere:
            hint = f" (c'est un code de {', '.join(elsewhere)})"
        if close:
            hint += " ; proches : " + ", ".join(f"{c} ({names[c]})" if c in names else c for c in close)
        elif not elsewhere:
            hint += " ; aucun code proche dans l'entrepôt"
        problems.append(f"{what} {code} absent de l'entrepôt{hint}")
    if problems:
        where = contract.path or contract.name
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        tail = f" ; et {more} autre(s) code(s) absent(s)" if more else ""
        raise ContractError(f"contrat {where} : " + " ; ".join(shown) + tail)
