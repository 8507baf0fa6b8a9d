"""The shape of every territory code Quartiers reads: one definition, used by parsers, checks and commands.

QPV 2015 (décret 2014-1750): ``QP`` + département (3 characters: ``061``, ``02A``, ``974``) + 3 digits.
QPV 2024 (décret 2023-1314): ``QN`` + département (3) + 2 digits + a letter saying how the perimeter
came about: ``I`` unchanged, ``M`` modified, ``N`` new (``QN06101M``, ``QN09901I``).
Communes: 5 characters (``61006``, ``2A004``); IRIS: the commune + 4 digits.
"""

from __future__ import annotations

import re

import polars as pl

_DEP3 = r"(\d{3}|02A|02B)"
QPV2015_CODE = rf"^QP{_DEP3}\d{{3}}$"
QPV2024_CODE = rf"^QN{_DEP3}\d{{2}}[A-Z]$"
COMMUNE_CODE = r"^(\d{2}|2[AB])\d{3}$"
IRIS_CODE = r"^(\d{2}|2[AB])\d{7}$"
EPCI_CODE = r"^\d{9}$"

QPV2015_RE = re.compile(QPV2015_CODE)
QPV2024_RE = re.compile(QPV2024_CODE)
QPV_CODE_RE = re.compile(rf"^(QP{_DEP3}\d{{3}}|QN{_DEP3}\d{{2}}[A-Z])$")
# The département of a QPV code, named: QN06101M → 061 (the parsers map it to a COG département).
QPV_DEP_RE = {
    "qpv2015": re.compile(r"^QP(?P<dep>\d{3}|02A|02B)\d{3}$"),
    "qpv2024": re.compile(r"^QN(?P<dep>\d{3}|02A|02B)\d{2}[A-Z]$"),
}
# What a territory argument of a command may be: a QPV of either geography, a commune or an IRIS.
TERRITORY_CODE_RE = re.compile(
    rf"^(QN{_DEP3}\d{{2}}[A-Z]|QP{_DEP3}\d{{3}}|(\d{{2}}|2[AB])\d{{3}}(\d{{4}})?)$"
)


def qpv_kind(code: str) -> str | None:
    """``qpv2015``, ``qpv2024``, or None for anything else."""
    if QPV2015_RE.match(code):
        return "qpv2015"
    if QPV2024_RE.match(code):
        return "qpv2024"
    return None


_KIND_CODES = {"iris": IRIS_CODE, "commune": COMMUNE_CODE, "qpv2015": QPV2015_CODE, "qpv2024": QPV2024_CODE}
# The rows of the publishers' files that total every territory (CAF, DEFM): kept, but located nowhere.
AGGREGATE_CODES = ("ENSEMBLE", "TOTAL")


def kind_expr(code: pl.Expr, kinds: tuple[str, ...]) -> pl.Expr:
    """The kind of each code (a Polars expression), among `kinds` (``iris``, ``commune``, ``qpv2015``,
    ``qpv2024``); ``aggregate`` for a total row, ``unlocated`` for anything else."""
    cases = [(code.str.contains(_KIND_CODES[k]), k) for k in kinds]
    cases.append((code.is_in(list(AGGREGATE_CODES)), "aggregate"))
    out: pl.Expr = pl.lit("unlocated")
    for matches, kind in reversed(cases):  # the first case that matches wins
        out = pl.when(matches).then(pl.lit(kind)).otherwise(out)
    return out
