"""French number formatting of the fiches: narrow no-break spaces, decimal comma, units."""

from __future__ import annotations

from warehouse.fiche import fmt

N = "\u202f"


def test_thousands_and_units() -> None:
    assert fmt.value_fr(7040, "euro") == f"7{N}040{N}€"
    assert fmt.value_fr(42.43, "percent") == f"42,4{N}%"
    assert fmt.value_fr(1234567, "count") == f"1{N}234{N}567"
    assert fmt.value_fr(3.25, "ratio") == "3,2" or fmt.value_fr(3.25, "ratio") == "3,3"
    assert fmt.value_fr(-5.0, "percent") == f"\u22125,0{N}%"
    assert fmt.value_fr(-0.01, "percent") == f"0,0{N}%"  # no "minus zero"


def test_periods_and_distances() -> None:
    assert fmt.period_fr("2023-Q4") == f"T4{N}2023"
    assert fmt.period_fr("2022-12-31") == "31/12/2022"
    assert fmt.period_fr("2021") == "2021"
    assert fmt.distance_fr(198.04) == f"198{N}m"
    assert fmt.area_ha_fr(845205.36) == f"84,5{N}ha"
