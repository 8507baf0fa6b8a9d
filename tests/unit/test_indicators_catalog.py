"""`quartiers indicators`: periods shown compactly, search folded (case and accents)."""

from __future__ import annotations

from pipelines.commands.indicators import UNIT_FR, fold, periods_text


def test_periods_text() -> None:
    assert periods_text([]) == "aucune donnée"
    assert periods_text(["2017", "2018", "2019", "2020", "2021"]) == "2017–2021"
    assert periods_text(["2017", "2019"]) == "2017, 2019"
    quarters = [f"{y}-Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)]
    assert periods_text(quarters) == "2021-Q1, 2021-Q2 … 2022-Q4 (8 périodes)"


def test_fold_and_units() -> None:
    assert fold("Évolution CATÉGORIES") == "evolution categories"
    assert UNIT_FR["count"] == "nombre" and UNIT_FR["percent"] == "%" and UNIT_FR["euro"] == "€"
