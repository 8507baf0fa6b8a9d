"""Frozen baselines of a contract: pure Polars, no I/O (their evaluation: models/evaluation.py).

A baseline line is one indicator × one territory the contract follows (its 2024 QPVs, the 2015 QPVs
they replace, its reference territories) with the figure that was the latest available at the baseline
date: value, numerator, denominator, status, data period, geography version, method, source file.
An indicator the warehouse holds nothing for is still a line, with status ``missing``: the baseline says
explicitly what it lacks.

Which figure is "available at a date": its data period ends by that date (a year on 31 December, a
quarter on its last day, a date on itself, a school year at its rentrée on 1 September). Among several,
the latest period with a usable figure (published or estimated) wins; within a period, the figure every
view shows (`observation.best`). A reference territory is taken at the QPVs' data year when it has a
usable figure for it (a QPV median of 2019 beside the commune's of 2019, not 2021); otherwise at its
latest, and `period_note` says so.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from models.observation import OBSERVATION_SCHEMA
from models.observation_best import with_best

USABLE = ("published", "estimated")

STATUS_FR = {
    "published": "publié",
    "suppressed": "secret statistique",
    "not_computable": "non calculable : une partie sous secret statistique",
    "estimated": "estimé",
    "missing": "absent",
    "not_applicable": "non applicable",
}
METHOD_FR = {
    "published": "publié",
    "recomputed": "recalculé (numérateur / dénominateur)",
    "summed": "somme",
    "grid_estimate": "estimation carroyée",
}

TARGET_SCHEMA: dict[str, pl.DataType] = {
    "role": pl.String(),  # qpv | qpv2015 | reference
    "qpv_code": pl.String(),  # the 2024 QPV a QPV line belongs to
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
}

BASELINE_SCHEMA: dict[str, pl.DataType] = {
    "contract": pl.String(),
    "baseline_date": pl.Date(),
    "frozen_at": pl.String(),
    **TARGET_SCHEMA,
    "territory_name": pl.String(),
    "indicator_id": pl.String(),
    "theme": pl.String(),
    "label_fr": pl.String(),
    "unit": pl.String(),
    "definition": pl.String(),
    "aggregation": pl.String(),
    "geo_version": pl.String(),
    "period": pl.String(),
    "period_type": pl.String(),
    "value": pl.Float64(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "status": pl.String(),
    "method": pl.String(),
    "interval_low": pl.Float64(),
    "interval_high": pl.Float64(),
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),
    "source_sha256": pl.String(),
    "source_file_name": pl.String(),
    "source_url": pl.String(),
    "warehouse_built_at": pl.String(),
    # a reference figure of another year than the QPVs' (it has none for theirs), said in words
    "period_note": pl.String(),
    # why a line has no figure: not loaded, not published for this territory, not yet available…
    "missing_reason": pl.String(),
}

FIGURE_COLUMNS = [
    "geo_version", "period", "period_type", "value", "numerator", "denominator", "status", "method",
    "interval_low", "interval_high", "source_dataset", "source_vintage", "source_sha256",
    "source_file_name", "source_url",
]  # fmt: skip


def period_end(period: str | None, period_type: str | None) -> date | None:
    """The date by which a data period is complete (see the module docstring); None if unreadable."""
    if period is None:
        return None
    p = period.strip()
    m = re.fullmatch(r"(\d{4})", p)
    if m and period_type in (None, "year"):
        return date(int(m.group(1)), 12, 31)
    m = re.fullmatch(r"(\d{4})-?[QT]([1-4])", p)
    if m:
        return _quarter_end(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", p)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{4})[-/](\d{2}|\d{4})", p)
    if m:  # school year "2023-2024": the rentrée
        return date(int(m.group(1)), 9, 1)
    return None


def _quarter_end(year: int, quarter: int) -> date:
    return {1: date(year, 3, 31), 2: date(year, 6, 30), 3: date(year, 9, 30), 4: date(year, 12, 31)}[quarter]


def period_year(period: str | None) -> int | None:
    """The (first) year of a data period."""
    if period is None:
        return None
    m = re.match(r"\s*(\d{4})", period)
    return int(m.group(1)) if m else None


def select_figures(
    observation: pl.DataFrame,
    targets: pl.DataFrame,
    indicator_ids: list[str],
    at: date,
    prefer: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One figure per indicator × target territory: the latest *usable* one available at ``at``.

    Within a data period the figure is the one every view, profile and fiche shows (`observation.best`,
    models/observation_best.py: one rule in one place). Among periods: a period in ``prefer``
    (indicator_id, period: the QPVs' data year, for reference territories) when usable there, then the
    latest usable period (published or estimated), then the latest period whatever its status (a
    suppressed or missing figure is reported only when nothing usable exists).

    Returns targets × indicators (every pair, missing ones with NULL figure columns), with the
    observation columns of the chosen figure."""
    columns = list(OBSERVATION_SCHEMA) + (["best"] if "best" in observation.columns else [])
    obs = observation.select(columns).filter(pl.col("indicator_id").is_in(indicator_ids))
    places = targets.select("territory_kind", "territory_code").unique()
    obs = obs.join(places, on=["territory_kind", "territory_code"], how="semi")
    obs = (obs if "best" in obs.columns else with_best(obs)).filter(pl.col("best")).drop("best")
    pairs = obs.select("period", "period_type").unique()
    ends = pl.DataFrame(
        {
            "period": pairs["period"],
            "period_type": pairs["period_type"],
            "_end": [period_end(p, t) for p, t in pairs.iter_rows()],
        },
        schema={"period": pl.String(), "period_type": pl.String(), "_end": pl.Date()},
    )
    obs = obs.join(ends, on=["period", "period_type"], how="left", nulls_equal=True)
    obs = obs.filter(pl.col("_end").is_not_null() & (pl.col("_end") <= at))
    usable = pl.col("status").is_in(USABLE)
    if prefer is not None and prefer.height:
        wanted = prefer.select("indicator_id", pl.col("period").alias("_wanted"))
        obs = obs.join(wanted, on="indicator_id", how="left")
        preferred = (pl.col("period") == pl.col("_wanted")).fill_null(False) & usable
    else:
        obs = obs.with_columns(pl.lit(None, dtype=pl.String).alias("_wanted"))
        preferred = pl.lit(False)
    chosen = (
        obs.with_columns((~preferred).alias("_p"), (~usable).alias("_u"))
        .sort(["_p", "_u", "_end"], descending=[False, False, True], nulls_last=True)
        .unique(
            subset=["indicator_id", "territory_kind", "territory_code"], keep="first", maintain_order=True
        )
        .drop("_end", "_p", "_u", "_wanted")
    )
    grid = targets.join(
        pl.DataFrame({"indicator_id": indicator_ids}, schema={"indicator_id": pl.String()}), how="cross"
    )
    return grid.join(chosen, on=["indicator_id", "territory_kind", "territory_code"], how="left")


def qpv_periods(figures: pl.DataFrame) -> pl.DataFrame:
    """The data period of each indicator on the contract's QPVs (the most frequent usable one among
    their lines, the latest on a tie): the year the reference territories are taken at."""
    qpv = figures.filter((pl.col("role") != "reference") & pl.col("status").is_in(USABLE))
    counted = qpv.group_by("indicator_id", "period").len()
    return (
        counted.sort(["indicator_id", "len", "period"], descending=[False, True, True])
        .unique(subset="indicator_id", keep="first", maintain_order=True)
        .select("indicator_id", "period")
    )


def aligned_figures(
    observation: pl.DataFrame, targets: pl.DataFrame, indicator_ids: list[str], at: date
) -> pl.DataFrame:
    """`select_figures` for the QPV lines, then for the reference lines at the QPVs' data year when the
    reference has a usable figure for it; otherwise its latest, and ``period_note`` says the gap."""
    qpv = select_figures(observation, targets.filter(pl.col("role") != "reference"), indicator_ids, at)
    periods = qpv_periods(qpv)
    refs = select_figures(
        observation, targets.filter(pl.col("role") == "reference"), indicator_ids, at, prefer=periods
    )
    wanted = periods.rename({"period": "_qpv_period"})
    refs = refs.join(wanted, on="indicator_id", how="left").with_columns(
        pl.when(
            pl.col("_qpv_period").is_not_null()
            & pl.col("period").is_not_null()
            & (pl.col("period") != pl.col("_qpv_period"))
        )
        .then(
            pl.lit("année ")
            + pl.col("period")
            + pl.lit(", non celle des QPV (")
            + pl.col("_qpv_period")
            + pl.lit(") : ce territoire n'a pas de chiffre pour cette année-là")
        )
        .otherwise(None)
        .alias("period_note")
    )
    qpv = qpv.with_columns(pl.lit(None, dtype=pl.String).alias("period_note"))
    return pl.concat([qpv, refs.drop("_qpv_period")], how="vertical_relaxed")


def build_baseline(
    *,
    contract: str,
    baseline_date: date,
    targets: pl.DataFrame,
    observation: pl.DataFrame,
    indicator: pl.DataFrame,
    source_file: pl.DataFrame,
    territory: pl.DataFrame,
    indicator_ids: list[str] | None = None,
    frozen_at: str = "",
    warehouse_built_at: str = "",
) -> pl.DataFrame:
    """The baseline lines (BASELINE_SCHEMA) of a contract at ``baseline_date``.

    ``targets``: TARGET_SCHEMA rows (sources.contracts.Contract.territory_rows()); ``indicator``: the
    catalog; ``source_file``: sha256, file_name, url; ``territory``: kind, code, name.
    ``indicator_ids`` (default: the whole catalog) must all be in the catalog."""
    catalog_ids = indicator["indicator_id"].to_list()
    ids = list(indicator_ids) if indicator_ids else catalog_ids
    unknown = sorted(set(ids) - set(catalog_ids))
    if unknown:
        raise ValueError(f"indicator(s) {unknown} are not in the indicator catalog")
    figures = aligned_figures(observation, targets.select(list(TARGET_SCHEMA)), ids, baseline_date)
    figures = with_missing_reason(figures, observation, baseline_date)
    return (
        _decorate(figures, indicator, source_file, territory)
        .with_columns(
            pl.lit(contract).alias("contract"),
            pl.lit(baseline_date).alias("baseline_date"),
            pl.lit(frozen_at).alias("frozen_at"),
            pl.lit(warehouse_built_at).alias("warehouse_built_at"),
        )
        .select([pl.col(c).cast(t) for c, t in BASELINE_SCHEMA.items()])
        .sort("role", "qpv_code", "territory_kind", "territory_code", "indicator_id", nulls_last=True)
    )


def with_missing_reason(figures: pl.DataFrame, observation: pl.DataFrame, at: date) -> pl.DataFrame:
    """``missing_reason`` on the lines without a usable figure, in words: the indicator is not loaded at
    all, not published for this kind of territory, not for this territory, only after the date, or not
    applicable (not computable) there."""
    held = observation.select("indicator_id").unique().with_columns(pl.lit(True).alias("_held"))
    kinds = (
        observation.select("indicator_id", "territory_kind")
        .unique()
        .with_columns(pl.lit(True).alias("_kind"))
    )
    places = (
        observation.select("indicator_id", "territory_kind", "territory_code")
        .unique()
        .with_columns(pl.lit(True).alias("_place"))
    )
    out = (
        figures.join(held, on="indicator_id", how="left")
        .join(kinds, on=["indicator_id", "territory_kind"], how="left")
        .join(places, on=["indicator_id", "territory_kind", "territory_code"], how="left")
    )
    status = pl.col("status")
    reason = (
        pl.when(status.is_in(USABLE))
        .then(None)
        .when(status == "suppressed")
        .then(pl.lit("secret statistique : valeur masquée par le producteur"))
        .when(status == "not_computable")
        .then(
            pl.concat_str(
                pl.lit("non calculable : une partie sous secret statistique ("),
                pl.col("parts_hidden").cast(pl.String),
                pl.lit(" sur "),
                pl.col("parts_total").cast(pl.String),
                pl.lit(")"),
            )
        )
        .when(status == "not_applicable")
        .then(pl.lit("non calculable pour ce territoire"))
        .when(pl.col("_held").is_null())
        .then(pl.lit("non chargé : aucun fichier de cet indicateur dans l'entrepôt"))
        .when(pl.col("_kind").is_null())
        .then(pl.lit("non publié pour ce type de territoire"))
        .when(pl.col("_place").is_null())
        .then(pl.lit("non publié pour ce territoire"))
        .when(status.is_null())
        .then(pl.lit(f"aucune période achevée au {at.strftime('%d/%m/%Y')}"))
        .otherwise(pl.lit("période non publiée"))
    )
    return out.with_columns(reason.alias("missing_reason")).drop("_held", "_kind", "_place")


def _decorate(
    figures: pl.DataFrame, indicator: pl.DataFrame, source_file: pl.DataFrame, territory: pl.DataFrame
) -> pl.DataFrame:
    cat = indicator.select("indicator_id", "theme", "label_fr", "unit", "definition", "aggregation")
    # A figure built from several files carries their sha256 joined with "+": name every file.
    name_of = dict(zip(source_file["sha256"].to_list(), source_file["file_name"].to_list(), strict=True))
    url_of = dict(zip(source_file["sha256"].to_list(), source_file["url"].to_list(), strict=True))
    shas = [s for s in figures["source_sha256"].unique().to_list() if s]
    files = pl.DataFrame(
        {
            "source_sha256": shas,
            "source_file_name": [" + ".join(str(name_of.get(x, "?")) for x in s.split("+")) for s in shas],
            "source_url": [" + ".join(str(url_of.get(x, "?")) for x in s.split("+")) for s in shas],
        },
        schema={"source_sha256": pl.String(), "source_file_name": pl.String(), "source_url": pl.String()},
    )
    names = territory.select(
        pl.col("kind").alias("territory_kind"),
        pl.col("code").alias("territory_code"),
        pl.col("name").alias("territory_name"),
    ).unique(["territory_kind", "territory_code"], keep="first")
    out = (
        figures.join(cat, on="indicator_id", how="left")
        .join(files, on="source_sha256", how="left")
        .join(names, on=["territory_kind", "territory_code"], how="left")
    )
    geography = pl.lit("Ensemble des QPV (géographie ") + pl.col("geo_version").str.slice(3) + ")"
    every_qpv = geography.fill_null(pl.lit("Ensemble des QPV"))
    return out.with_columns(
        pl.col("status").fill_null("missing"),
        pl.when(pl.col("territory_kind") == "ensemble_qpv")
        .then(pl.col("territory_name").fill_null(every_qpv))
        .otherwise(pl.col("territory_name"))
        .alias("territory_name"),
    )


def current_figures(
    baseline: pl.DataFrame,
    *,
    observation: pl.DataFrame,
    indicator: pl.DataFrame,
    source_file: pl.DataFrame,
    territory: pl.DataFrame,
    at: date,
) -> pl.DataFrame:
    """The same indicator × territory lines as ``baseline``, with the latest figures available at ``at``
    and the current catalog's definitions (NULL theme/label/unit if the indicator left the catalog)."""
    targets = baseline.select(list(TARGET_SCHEMA)).unique(maintain_order=True)
    ids = baseline["indicator_id"].unique(maintain_order=True).to_list()
    figures = aligned_figures(observation, targets, ids, at)
    return _decorate(figures, indicator, source_file, territory)
