# ruff: noqa: E501  (observation rows read best one per line)
"""Baseline selection, evaluation arithmetic (change, gap, change of gap) and comparability reasons,
on tiny inline observation frames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from models.baseline import TARGET_SCHEMA, build_baseline, current_figures, period_end
from models.evaluation import compare_figures, evaluate
from models.observation import INDICATOR_SCHEMA, conform_observations
from warehouse.baseline_store import BaselineError, freeze_baseline, load_baseline
from warehouse.export import BASELINE_COLUMNS, EVALUATION_COLUMNS, write_csv_fr, write_xlsx

CATALOG = (
    pl.DataFrame(
        [
            ("taux_pauvrete_60", "revenus", "Taux de pauvreté", "pauvres / pop × 100", "percent", "ratio"),
            ("population", "population", "Population", "Population municipale", "count", "sum"),
            (
                "part_etrangers",
                "population",
                "Part des étrangers",
                "étrangers / pop × 100",
                "percent",
                "ratio",
            ),
            ("de_abc", "demandeurs_emploi", "Demandeurs ABC", "DEFM ABC fin de trimestre", "count", "sum"),
        ],
        schema=["indicator_id", "theme", "label_fr", "definition", "unit", "aggregation"],
        orient="row",
    )
    .with_columns(
        pl.lit(None, pl.String).alias("numerator_def"),
        pl.lit(None, pl.String).alias("denominator_def"),
        (pl.col("aggregation") == "sum").alias("summable"),
        pl.lit("test").alias("source"),
        pl.lit("published").alias("method"),
    )
    .select(list(INDICATOR_SCHEMA))
)

TARGETS = pl.DataFrame(
    [
        ("qpv", "QN09901I", "qpv2024", "QN09901I"),
        ("qpv2015", "QN09901I", "qpv2015", "QP099001"),
        ("reference", None, "commune", "99101"),
        ("reference", None, "france", "FRM"),
    ],
    schema=TARGET_SCHEMA,
    orient="row",
)
TERRITORY = pl.DataFrame(
    {
        "kind": ["qpv2024", "qpv2015", "commune", "france"],
        "code": ["QN09901I", "QP099001", "99101", "FRM"],
        "name": ["Les Tilleuls", "Les Tilleuls (2015)", "Valbourg", "France métropolitaine"],
    }
)
FILES = pl.DataFrame(
    {"sha256": ["a" * 64, "b" * 64], "file_name": ["old.csv", "new.csv"], "url": ["u1", "u2"]}
)


def obs(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """(indicator, kind, code, geo, period, period_type, value, status, method, dataset, sha)."""
    cols = [
        "indicator_id",
        "territory_kind",
        "territory_code",
        "geo_version",
        "period",
        "period_type",
        "value",
    ]
    cols += ["status", "method", "source_dataset", "source_sha256"]
    return conform_observations(pl.DataFrame(rows, schema=cols, orient="row")).with_columns(
        pl.col("source_dataset").alias("source_vintage")
    )


def baseline_of(observation: pl.DataFrame, on: date = date(2024, 1, 1)) -> pl.DataFrame:
    return build_baseline(
        contract="demo",
        baseline_date=on,
        targets=TARGETS,
        observation=observation,
        indicator=CATALOG,
        source_file=FILES,
        territory=TERRITORY,
    )


def evaluation_of(
    observation: pl.DataFrame, at: date, catalog: pl.DataFrame = CATALOG, on: date = date(2024, 1, 1)
) -> pl.DataFrame:
    base = baseline_of(observation, on)
    now = current_figures(
        base, observation=observation, indicator=catalog, source_file=FILES, territory=TERRITORY, at=at
    )
    return evaluate(base, now, indicator=catalog, evaluated_at=at)


A, B = "a" * 64, "b" * 64
# fmt: off
POVERTY = [  # indicator, kind, code, geography, period, period type, value, status, method, dataset, file
    ("taux_pauvrete_60", "qpv2024", "QN09901I", "qpv2024", "2021", "year", 40.0, "published", "published", "filo", A),
    ("taux_pauvrete_60", "qpv2024", "QN09901I", "qpv2024", "2024", "year", 37.0, "published", "published", "filo", B),
    ("taux_pauvrete_60", "commune", "99101", "cog2024", "2021", "year", 20.0, "published", "published", "filo", A),
    ("taux_pauvrete_60", "commune", "99101", "cog2024", "2024", "year", 21.0, "published", "published", "filo", B),
    ("taux_pauvrete_60", "france", "FRM", "cog2024", "2021", "year", 14.5, "published", "published", "filo", A),
    ("taux_pauvrete_60", "france", "FRM", "cog2024", "2024", "year", 14.0, "published", "published", "filo", B),
]
# fmt: on


def _xlsx(base: pl.DataFrame, folder: Path) -> Path:
    """The baseline workbook of `base`, with the tests' catalog and files."""
    return write_xlsx(
        base,
        BASELINE_COLUMNS,
        folder / "b.xlsx",
        title="t",
        readme=[("a", "b")],
        indicator=CATALOG,
        source_file=FILES,
    )


def test_period_end_of_each_period_type() -> None:
    assert period_end("2021", "year") == date(2021, 12, 31)
    assert period_end("2023-Q2", "quarter") == date(2023, 6, 30)
    assert period_end("2022-12-31", "date") == date(2022, 12, 31)
    assert period_end("2023-2024", "school_year") == date(2023, 9, 1)  # the rentrée
    assert period_end("vers 2020", "year") is None


def test_baseline_takes_the_latest_figure_complete_by_its_date_and_lists_what_is_missing() -> None:
    base = baseline_of(obs(POVERTY))
    # every indicator × every territory: 4 × 4
    assert base.height == 16
    qpv = base.filter(
        (pl.col("territory_code") == "QN09901I") & (pl.col("indicator_id") == "taux_pauvrete_60")
    )
    assert qpv["period"].to_list() == ["2021"]  # 2024 ends after the baseline date
    assert qpv["value"].to_list() == [40.0]
    assert qpv["source_file_name"].to_list() == ["old.csv"] and qpv["territory_name"].to_list() == [
        "Les Tilleuls"
    ]
    missing = base.filter(pl.col("indicator_id") == "population")
    assert missing["status"].unique().to_list() == ["missing"] and missing["value"].null_count() == 4


def test_published_figure_wins_over_a_grid_estimate_of_the_same_period() -> None:
    rows = [
        (
            "population",
            "qpv2024",
            "QN09901I",
            "qpv2024",
            "2021",
            "year",
            1500.0,
            "estimated",
            "grid_estimate",
            "g",
            A,
        ),
        (
            "population",
            "qpv2024",
            "QN09901I",
            "qpv2024",
            "2021",
            "year",
            1480.0,
            "published",
            "published",
            "rp",
            A,
        ),
    ]
    base = baseline_of(obs(rows))
    line = base.filter((pl.col("indicator_id") == "population") & (pl.col("role") == "qpv"))
    assert line["value"].to_list() == [1480.0] and line["method"].to_list() == ["published"]


def test_unknown_indicator_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the indicator catalog"):
        build_baseline(
            contract="demo",
            baseline_date=date(2024, 1, 1),
            targets=TARGETS,
            observation=obs(POVERTY),
            indicator=CATALOG,
            source_file=FILES,
            territory=TERRITORY,
            indicator_ids=["taux_chomage_imaginaire"],
        )


def test_change_and_change_of_gap() -> None:
    ev = evaluation_of(obs(POVERTY), date(2025, 6, 30))
    line = ev.filter(
        (pl.col("indicator_id") == "taux_pauvrete_60")
        & (pl.col("territory_code") == "QN09901I")
        & (pl.col("reference_code") == "99101")
    ).row(0, named=True)
    # QPV 40 → 37, commune 20 → 21: gap 20 → 16 points, reduced by 4.
    assert line["qpv_change"] == pytest.approx(-3.0)
    assert line["ref_change"] == pytest.approx(1.0)
    assert line["gap_baseline"] == pytest.approx(20.0)
    assert line["gap_now"] == pytest.approx(16.0)
    assert line["gap_change"] == pytest.approx(-4.0)
    assert line["gap_reduced"] is True
    assert line["comparability"] == "comparable" and line["gap_comparability"] == "comparable"
    assert "2021 → 2024" in line["reason"]
    assert line["qpv_source_baseline"] == "old.csv" and line["qpv_source_now"] == "new.csv"
    france = ev.filter((pl.col("reference_code") == "FRM") & (pl.col("territory_code") == "QN09901I")).row(
        0, named=True
    )
    assert france["gap_baseline"] == pytest.approx(25.5) and france["gap_now"] == pytest.approx(23.0)


def test_every_line_has_a_reason_and_2015_lines_say_so() -> None:
    rows = [*POVERTY]
    rows += [
        (
            "taux_pauvrete_60",
            "qpv2015",
            "QP099001",
            "qpv2015",
            "2021",
            "year",
            41.0,
            "published",
            "published",
            "filo",
            A,
        ),
        (
            "taux_pauvrete_60",
            "qpv2015",
            "QP099001",
            "qpv2015",
            "2024",
            "year",
            38.0,
            "published",
            "published",
            "filo",
            B,
        ),
    ]
    ev = evaluation_of(obs(rows), date(2025, 6, 30))
    assert ev["reason"].null_count() == 0 and (ev["reason"].str.len_chars() > 10).all()
    old = ev.filter(pl.col("territory_code") == "QP099001").row(0, named=True)
    assert old["comparability"] == "avec_reserve" and "périmètre 2015" in old["reason"]


def test_infra_communal_census_vintages_less_than_five_years_apart_are_not_comparable() -> None:
    rows = [
        ("part_etrangers", "qpv2024", "QN09901I", "qpv2024", "2018", "year", 20.0, "published", "published", "insee_qpv_demo", A),
        ("part_etrangers", "qpv2024", "QN09901I", "qpv2024", "2020", "year", 22.0, "published", "published", "insee_qpv_demo", B),
        ("part_etrangers", "commune", "99101", "cog2024", "2018", "year", 8.0, "published", "published", "insee_qpv_demo", A),
        ("part_etrangers", "commune", "99101", "cog2024", "2020", "year", 8.5, "published", "published", "insee_qpv_demo", B),
    ]  # fmt: skip
    ev = evaluation_of(obs(rows), date(2025, 1, 1), on=date(2019, 6, 30))
    line = ev.filter(
        (pl.col("indicator_id") == "part_etrangers") & (pl.col("reference_code") == "99101")
    ).row(0, named=True)
    assert line["comparability"] == "non_comparable"
    assert "recensement 2018 → 2020" in line["reason"] and "infra-communale" in line["reason"]
    # The commune itself: only a caution, and the gap's flag is the worse of the two.
    assert "commune 99101 : recensement 2018 → 2020 : INSEE recommande" in line["reason"]
    assert line["gap_comparability"] == "non_comparable"
    assert line["qpv_change"] == pytest.approx(2.0)  # computed, but flagged


def _pair(
    before: dict[str, object], after: dict[str, object], kind: str = "qpv2024", theme: str = "revenus"
) -> tuple[str, list[str]]:
    base = {
        "period": "2019",
        "period_type": "year",
        "value": 10.0,
        "status": "published",
        "geo_version": kind,
    }
    base |= {"method": "published", "source_dataset": "insee_qpv_filosofi", "source_vintage": "x"}
    b = base | {"unit": "percent", "definition": "d"} | before
    a = base | {"period": "2020"} | after
    return compare_figures(b, a, kind=kind, theme=theme, definition_now=("percent", "d"))


@pytest.mark.parametrize(
    ("before", "after", "kind", "flag", "words"),
    [
        ({}, {}, "qpv2024", "non_comparable", "millésimes consécutifs 2019 → 2020"),
        ({}, {"period": "2022"}, "qpv2024", "comparable", "comparables"),
        (
            {},
            {"period": "2022", "geo_version": "qpv2015"},
            "qpv2024",
            "non_comparable",
            "géographie différente",
        ),
        (
            {"geo_version": "cog2023"},
            {"period": "2022", "geo_version": "cog2024"},
            "commune",
            "avec_reserve",
            "code officiel géographique",
        ),
        (
            {},
            {"period": "2022", "status": "suppressed", "value": None},
            "qpv2024",
            "non_mesurable",
            "valeur actuelle : secret statistique",
        ),
        ({}, {"period": "2019"}, "qpv2024", "non_mesurable", "pas de nouveau millésime"),
        (
            {},
            {"period": "2022", "method": "grid_estimate"},
            "qpv2024",
            "non_comparable",
            "estimation carroyée",
        ),
        ({}, {"period": "2022", "source_dataset": "caf"}, "qpv2024", "avec_reserve", "source différente"),
        ({"unit": "count"}, {"period": "2022"}, "qpv2024", "non_comparable", "définition modifiée"),
    ],
)
def test_comparability_reasons(
    before: dict[str, object], after: dict[str, object], kind: str, flag: str, words: str
) -> None:
    got, reasons = _pair(before, after, kind)
    assert got == flag, reasons
    assert any(words in r for r in reasons), reasons


def test_counts_have_no_gap_but_a_reason() -> None:
    # fmt: off
    rows = [  # job seekers of the QPV and of its commune, Q4 of two years
        ("de_abc", "qpv2024", "QN09901I", "qpv2024", "2023-Q4", "quarter", 300.0, "published", "published", "ft", A),
        ("de_abc", "qpv2024", "QN09901I", "qpv2024", "2024-Q4", "quarter", 280.0, "published", "published", "ft", B),
        ("de_abc", "commune", "99101", "cog2024", "2023-Q4", "quarter", 900.0, "published", "published", "ft", A),
        ("de_abc", "commune", "99101", "cog2024", "2024-Q4", "quarter", 880.0, "published", "published", "ft", B),
    ]
    # fmt: on
    ev = evaluation_of(obs(rows), date(2025, 3, 1))
    line = ev.filter((pl.col("indicator_id") == "de_abc") & (pl.col("reference_code") == "99101")).row(
        0, named=True
    )
    assert line["qpv_change"] == pytest.approx(-20.0) and line["gap_baseline"] is None
    assert line["gap_comparability"] is None and "effectif" in line["reason"]


def test_an_indicator_whose_definition_changed_is_not_comparable() -> None:
    changed = CATALOG.with_columns(
        pl.when(pl.col("indicator_id") == "taux_pauvrete_60")
        .then(pl.lit("seuil à 50 %"))
        .otherwise(pl.col("definition"))
        .alias("definition")
    )
    ev = evaluation_of(obs(POVERTY), date(2025, 6, 30), catalog=changed)
    assert set(ev.filter(pl.col("indicator_id") == "taux_pauvrete_60")["comparability"]) == {"non_comparable"}
    assert ev["reason"].str.contains("définition modifiée").any()


def test_frozen_baseline_is_never_overwritten_silently(tmp_path: Path) -> None:
    base = baseline_of(obs(POVERTY))
    path = freeze_baseline(tmp_path, "demo", date(2024, 1, 1), base)
    first = path.read_bytes()
    with pytest.raises(BaselineError, match="already frozen"):
        freeze_baseline(tmp_path, "demo", date(2024, 1, 1), base.head(1))
    assert path.read_bytes() == first
    assert load_baseline(tmp_path, "demo").height == base.height
    freeze_baseline(tmp_path, "demo", date(2024, 1, 1), base.head(1), force=True)
    assert load_baseline(tmp_path, "demo").height == 1


def test_csv_and_xlsx_are_french(tmp_path: Path) -> None:
    ev = evaluation_of(obs(POVERTY), date(2025, 6, 30))
    csv = write_csv_fr(ev, EVALUATION_COLUMNS, tmp_path / "e.csv")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert "Évolution de l'écart" in header and "Motif" in header
    back = pl.read_csv(csv, separator=";", decimal_comma=True, encoding="utf8")
    line = back.filter(
        (pl.col("Code QPV") == "QN09901I") & (pl.col("Code du territoire de comparaison") == "99101")
    )
    assert line["Évolution de l'écart"].to_list() == [pytest.approx(-4.0)]
    assert line["Comparabilité (évolution du QPV)"].to_list() == ["comparable"]
    assert "-4;" in text or ";-4;" in text or "-4,0" in text
    base = baseline_of(obs(POVERTY))
    xlsx = _xlsx(base, tmp_path)
    wb = load_workbook(xlsx)
    assert (
        wb.sheetnames[0] == "LISEZ-MOI"
        and "Revenus" in wb.sheetnames
        and "Sources et définitions" in wb.sheetnames
    )
    ws = wb["Revenus"]
    labels = [c.value for c in ws[1]]
    col = labels.index("Valeur") + 1
    values = [(ws.cell(r, col).value, ws.cell(r, col).number_format) for r in range(2, ws.max_row + 1)]
    assert (40.0, '#,##0.0" %"') in values


# --- issue 15: one best figure; references at the QPVs' data year ------------------------------------


def test_baseline_and_views_choose_the_same_figure_where_their_orders_used_to_disagree() -> None:
    """A recomputed rate and a grid estimate of one period: the baseline used to rank recomputed first,
    `observation.best` (views, profiles, fiches) the grid estimate. One rule now: the baseline shows
    what the views show."""
    from models.observation_best import with_best

    rows = [
        ("taux_pauvrete_60", "qpv2024", "QN09901I", "qpv2024", "2021", "year", 31.0, "published",
         "recomputed", "filo", A),
        ("taux_pauvrete_60", "qpv2024", "QN09901I", "qpv2024", "2021", "year", 33.0, "estimated",
         "grid_estimate", "grid", A),
    ]  # fmt: skip
    frame = obs(rows)
    shown = with_best(frame).filter(pl.col("best"))
    base = baseline_of(frame)
    line = base.filter((pl.col("indicator_id") == "taux_pauvrete_60") & (pl.col("role") == "qpv"))
    assert line["value"].to_list() == shown["value"].to_list() == [33.0]
    assert line["method"].to_list() == ["grid_estimate"]


def test_the_latest_usable_figure_wins_over_a_later_unusable_one() -> None:
    rows = [
        ("taux_pauvrete_60", "france", "FRM", "cog2026", "2021", "year", None, "not_applicable",
         "recomputed", "filo21", A),
        ("taux_pauvrete_60", "france", "FRM", "cog2021", "2019", "year", 14.6, "published",
         "published", "filo19", A),
    ]  # fmt: skip
    base = baseline_of(obs(rows))
    line = base.filter((pl.col("indicator_id") == "taux_pauvrete_60") & (pl.col("territory_code") == "FRM"))
    assert (line["period"].item(), line["value"].item(), line["status"].item()) == ("2019", 14.6, "published")


def test_references_are_taken_at_the_qpv_data_year_or_say_the_gap() -> None:
    rows = [
        ("taux_pauvrete_60", "qpv2015", "QP099001", "qpv2015", "2019", "year", 46.2, "published",
         "published", "qp", A),
        ("taux_pauvrete_60", "commune", "99101", "cog2021", "2019", "year", 24.0, "published",
         "published", "c19", A),
        ("taux_pauvrete_60", "commune", "99101", "cog2024", "2021", "year", 25.0, "published",
         "published", "c21", A),
        ("taux_pauvrete_60", "france", "FRM", "cog2024", "2021", "year", 14.9, "published",
         "published", "f21", A),
    ]  # fmt: skip
    base = baseline_of(obs(rows))
    lines = {
        r["territory_code"]: r
        for r in base.filter(pl.col("indicator_id") == "taux_pauvrete_60").iter_rows(named=True)
    }
    # the commune has the QPV's year: 2019 beside 2019, not its latest 2021
    assert (lines["99101"]["period"], lines["99101"]["value"], lines["99101"]["period_note"]) == (
        "2019",
        24.0,
        None,
    )
    # France has only 2021: taken, and the line says the gap
    assert lines["FRM"]["period"] == "2021"
    assert "2021" in lines["FRM"]["period_note"] and "2019" in lines["FRM"]["period_note"]


# --- issue 16: baselines that read well: reasons for absent lines, figures first -------------------


def test_absent_lines_say_why_and_theme_sheets_start_with_figures(tmp_path: Path) -> None:
    base = baseline_of(obs(POVERTY))
    reasons = dict(
        base.filter(pl.col("territory_code") == "QN09901I").select("indicator_id", "missing_reason").iter_rows()
    )
    # no file of the population indicator at all, the poverty rate published for this QPV
    assert reasons["population"].startswith("non chargé") and reasons["taux_pauvrete_60"] is None
    xlsx = _xlsx(base, tmp_path)
    ws = load_workbook(xlsx)["Revenus"]
    labels = [c.value for c in ws[1]]
    status = [ws.cell(r, labels.index("Statut") + 1).value for r in range(2, ws.max_row + 1)]
    published = [i for i, s in enumerate(status) if s == "publié"]
    absent = [i for i, s in enumerate(status) if s != "publié"]
    assert published and absent and max(published) < min(absent), status
    assert "Raison de l'absence" in labels
