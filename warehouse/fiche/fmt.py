"""French number formatting for the fiches: ``7 040 €``, ``42,4 %`` with narrow no-break spaces (U+202F)."""

from __future__ import annotations

NNBSP = "\u202f"  # espace fine insécable: thousands separator and before %, €, m²

DECIMALS = {"percent": 1, "euro": 0, "count": 0, "index": 1, "ratio": 1, "m2": 0}
SUFFIX = {"percent": f"{NNBSP}%", "euro": f"{NNBSP}€", "m2": f"{NNBSP}m²"}


def number_fr(value: float, decimals: int = 0) -> str:
    """``7040.0`` → ``7 040``; ``42.43, 1`` → ``42,4``; minus sign U+2212."""
    text = f"{abs(value):,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    if text.strip("0,\u202f") and value < 0:
        return "\u2212" + text
    return text


def decimals_for(value: float, unit: str | None) -> int:
    """Counts and euros without decimals, rates with one; an index or ratio below 1 (a Gini index,
    0,208) with three, as INSEE publishes it."""
    unit = unit or ""
    if unit in ("index", "ratio") and abs(value) < 1:
        return 3
    return DECIMALS.get(unit, 1 if abs(value) < 100 else 0)


def value_fr(value: float, unit: str | None) -> str:
    """A figure in its unit: counts and euros without decimals, rates with one."""
    return number_fr(value, decimals_for(value, unit)) + SUFFIX.get(unit or "", "")


def distance_fr(metres: float) -> str:
    return f"{number_fr(metres, 0)}{NNBSP}m"


def area_ha_fr(square_metres: float) -> str:
    return f"{number_fr(square_metres / 10_000, 1)}{NNBSP}ha"


def share_fr(share: float) -> str:
    """A 0–1 share as a percentage."""
    return value_fr(share * 100, "percent")


def period_fr(period: str) -> str:
    """``2023-Q4`` → ``T4 2023``; ``2022-12-31`` → ``31/12/2022``; others unchanged."""
    if len(period) == 7 and period[4:6] == "-Q":
        return f"T{period[6]}{NNBSP}{period[:4]}"
    if len(period) == 10 and period[4] == "-" and period[7] == "-":
        return f"{period[8:]}/{period[5:7]}/{period[:4]}"
    return period


def bound_fr(low: float, high: float, unit: str | None) -> str:
    """The bounds of an estimate, in the value's unit but without repeating it: ``3 768–5 029``."""
    unit = unit or ""
    decimals = DECIMALS.get(unit, 1 if max(abs(low), abs(high)) < 100 else 0)
    return f"{number_fr(low, decimals)}–{number_fr(high, decimals)}"
