"""Frozen baselines of a contract and their evaluation: pure Polars, no I/O.

A baseline line is one indicator × one territory the contract follows (its 2024 QPVs, the 2015 QPVs
they replace, its reference territories) with the figure that was the latest available at the baseline
date: value, numerator, denominator, status, data period, geography version, method, source file.
An indicator the warehouse holds nothing for is still a line, with status ``missing``: the baseline says
explicitly what it lacks.

The evaluation puts each QPV line next to each reference territory, at the baseline and now: change of
the QPV, change of the reference, gap (QPV − reference) then and now, change of the gap, and a
comparability flag of the QPV's change and one of the gap's change (the worse of the QPV's and the
reference's), with the reasons in words (same definition? same geography? vintages comparable?).

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

# Kinds below the commune: INSEE's warnings on consecutive vintages apply to them.
INFRA_COMMUNAL = ("qpv2024", "qpv2015", "iris", "ensemble_qpv")
# Figures from the rolling census (five annual surveys per vintage): INSEE advises comparing vintages at
# least five years apart, and never two consecutive vintages below the commune. Identified by theme for
# the INSEE datasets that carry census blocks (QPV DEMO/IPRO bases, comparateur).
CENSUS_DATASETS = ("insee_qpv_demo", "insee_qpv_ipro", "insee_comparateur", "insee_rp")
CENSUS_THEMES = ("population", "menages", "logement", "emploi")
CENSUS_MIN_YEARS = 5
# INSEE infra-communal figures (Filosofi, Fidéli…): two consecutive vintages must not measure change.
INSEE_DATASET_PREFIXES = ("insee", "filosofi")

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
# Comparability flags, from best to worst.
FLAGS = ("comparable", "avec_reserve", "non_comparable", "non_mesurable")
FLAG_FR = {
    "comparable": "comparable",
    "avec_reserve": "comparable avec réserve",
    "non_comparable": "non comparable",
    "non_mesurable": "évolution non mesurable",
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


# --- evaluation -------------------------------------------------------------------------------------

EVALUATION_SCHEMA: dict[str, pl.DataType] = {
    "contract": pl.String(),
    "baseline_date": pl.Date(),
    "evaluated_at": pl.Date(),
    "indicator_id": pl.String(),
    "theme": pl.String(),
    "label_fr": pl.String(),
    "unit": pl.String(),
    "role": pl.String(),
    "qpv_code": pl.String(),
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "territory_name": pl.String(),
    "reference_kind": pl.String(),
    "reference_code": pl.String(),
    "reference_name": pl.String(),
    "qpv_period_baseline": pl.String(),
    "qpv_value_baseline": pl.Float64(),
    "qpv_status_baseline": pl.String(),
    "qpv_geo_baseline": pl.String(),
    "qpv_period_now": pl.String(),
    "qpv_value_now": pl.Float64(),
    "qpv_status_now": pl.String(),
    "qpv_geo_now": pl.String(),
    "qpv_change": pl.Float64(),
    "ref_period_baseline": pl.String(),
    "ref_value_baseline": pl.Float64(),
    "ref_period_now": pl.String(),
    "ref_value_now": pl.Float64(),
    "ref_change": pl.Float64(),
    "gap_baseline": pl.Float64(),
    "gap_now": pl.Float64(),
    "gap_change": pl.Float64(),
    "gap_reduced": pl.Boolean(),
    "comparability": pl.String(),  # of the QPV's change
    "gap_comparability": pl.String(),  # of the change of the gap (NULL for counts: no gap)
    "reason": pl.String(),
    "qpv_source_baseline": pl.String(),
    "qpv_sha256_baseline": pl.String(),
    "qpv_source_now": pl.String(),
    "qpv_sha256_now": pl.String(),
}

_SIDE = [
    "period",
    "period_type",
    "value",
    "status",
    "geo_version",
    "method",
    "source_dataset",
    "source_vintage",
]


def compare_figures(
    before: dict[str, object],
    after: dict[str, object],
    *,
    kind: str,
    theme: str | None,
    definition_now: tuple[str | None, str | None] | None,
) -> tuple[str, list[str]]:
    """Comparability of one territory's figure at the baseline (``before``) and now (``after``).

    Both are dicts with _SIDE keys plus ``unit`` and ``definition`` for ``before``; ``definition_now``
    is the current catalog's (unit, definition), None when the indicator left the catalog. Returns the
    flag (FLAGS) and the reasons in French."""
    flags: list[str] = []
    reasons: list[str] = []

    def add(flag: str, reason: str) -> None:
        flags.append(flag)
        reasons.append(reason)

    b_ok = before.get("status") in USABLE and before.get("value") is not None
    a_ok = after.get("status") in USABLE and after.get("value") is not None
    if not b_ok:
        st = STATUS_FR.get(str(before.get("status") or "missing"), str(before.get("status")))
        add("non_mesurable", f"valeur initiale : {st}" + _in(before))
    if not a_ok:
        st = STATUS_FR.get(str(after.get("status") or "missing"), str(after.get("status")))
        add("non_mesurable", f"valeur actuelle : {st}" + _in(after))
    if definition_now is None:
        add("non_comparable", "indicateur retiré du catalogue actuel")
    elif (before.get("unit"), before.get("definition")) != definition_now:
        add(
            "non_comparable",
            f"définition modifiée depuis la référence (unité {before.get('unit')} → {definition_now[0]}, "
            f"« {before.get('definition')} » → « {definition_now[1]} »)",
        )
    if b_ok and a_ok:
        bp, ap = str(before["period"]), str(after["period"])
        by, ay = period_year(bp), period_year(ap)
        if before.get("period_type") != after.get("period_type"):
            add(
                "non_comparable",
                f"types de période différents ({before.get('period_type')} → {after.get('period_type')})",
            )
        elif bp == ap:
            add("non_mesurable", f"pas de nouveau millésime depuis la référence (période {bp})")
        elif (
            (pe := period_end(ap, str(after.get("period_type"))))
            and (pb := period_end(bp, str(before.get("period_type"))))
            and pe < pb
        ):
            add("non_comparable", f"période actuelle {ap} antérieure à la référence {bp}")
        if before.get("geo_version") != after.get("geo_version"):
            if kind in INFRA_COMMUNAL:
                add(
                    "non_comparable",
                    f"géographie différente ({before.get('geo_version')} → {after.get('geo_version')}) : "
                    "les périmètres ne sont pas les mêmes",
                )
            else:
                add(
                    "avec_reserve",
                    f"version du code officiel géographique différente ({before.get('geo_version')} → "
                    f"{after.get('geo_version')}) : vérifier que le territoire n'a pas changé",
                )
        bm, am = before.get("method"), after.get("method")
        if bm != am:
            bmf, amf = METHOD_FR.get(str(bm), str(bm)), METHOD_FR.get(str(am), str(am))
            if "grid_estimate" in (bm, am):
                add("non_comparable", f"méthode différente ({bmf} → {amf})")
            else:
                add("avec_reserve", f"méthode différente ({bmf} → {amf})")
        elif bm == "grid_estimate":
            add("avec_reserve", "deux estimations carroyées : comparer aussi leurs intervalles")
        if before.get("source_dataset") != after.get("source_dataset"):
            add(
                "avec_reserve",
                f"source différente ({before.get('source_dataset')} → {after.get('source_dataset')})",
            )
        census = str(before.get("source_dataset")) in CENSUS_DATASETS and theme in CENSUS_THEMES
        insee = str(before.get("source_dataset") or "").startswith(INSEE_DATASET_PREFIXES)
        if by is not None and ay is not None and ay > by:
            gap = ay - by
            if census and gap < CENSUS_MIN_YEARS:
                if kind in INFRA_COMMUNAL:
                    add(
                        "non_comparable",
                        f"recensement {by} → {ay} : INSEE déconseille de mesurer une évolution entre deux "
                        f"millésimes distants de moins de {CENSUS_MIN_YEARS} ans, et l'interdit entre deux "
                        "millésimes consécutifs à l'échelle infra-communale",
                    )
                else:
                    add(
                        "avec_reserve",
                        f"recensement {by} → {ay} : INSEE recommande au moins {CENSUS_MIN_YEARS} ans "
                        "d'écart entre millésimes",
                    )
            elif insee and kind in INFRA_COMMUNAL and gap == 1:
                add(
                    "non_comparable",
                    f"millésimes consécutifs {by} → {ay} à l'échelle infra-communale : INSEE avertit qu'ils "
                    "ne doivent pas servir à mesurer une évolution",
                )
    if not flags:
        return "comparable", [
            f"même définition, même géographie ({after.get('geo_version')}), même méthode et source, "
            f"millésimes {before.get('period')} → {after.get('period')} comparables"
        ]
    return max(flags, key=FLAGS.index), reasons


def _in(side: dict[str, object]) -> str:
    return f" ({side['period']})" if side.get("period") else ""


def evaluate(
    baseline: pl.DataFrame,
    current: pl.DataFrame,
    *,
    indicator: pl.DataFrame,
    evaluated_at: date,
    crosswalk: pl.DataFrame | None = None,
    links: pl.DataFrame | None = None,
    keep_empty: bool = False,
) -> pl.DataFrame:
    """Evaluation lines (EVALUATION_SCHEMA): every QPV line of the baseline × its reference territories.

    ``current`` = current_figures(baseline, …); ``indicator`` = the current catalog; ``crosswalk`` (the
    qpv_crosswalk table) lets a 2015 QPV line say how much of its 2024 QPV it covers; ``links`` (the
    territory_link table) pairs a QPV only with the reference communes, EPCI and unités urbaines it lies
    in (départements, régions, France: always); without links, with every reference territory.
    Unless ``keep_empty``, an indicator × QPV with no figure at either date (status ``missing`` twice)
    gives no line: the baseline already lists it as absent."""
    key = ["role", "qpv_code", "territory_kind", "territory_code", "indicator_id"]
    b = baseline.select(
        *key,
        "contract",
        "baseline_date",
        "theme",
        "label_fr",
        "unit",
        "definition",
        "territory_name",
        "source_file_name",
        "source_sha256",
        *_SIDE,
    )
    c = current.select(*key, "source_file_name", "source_sha256", *_SIDE)
    both = b.join(c, on=key, how="left", suffix="_now", nulls_equal=True)
    qpv = both.filter(pl.col("role") != "reference")
    ref = both.filter(pl.col("role") == "reference").select(
        "indicator_id",
        pl.col("territory_kind").alias("reference_kind"),
        pl.col("territory_code").alias("reference_code"),
        pl.col("territory_name").alias("reference_name"),
        *[pl.col(s).alias(f"ref_{s}") for s in _SIDE],
        *[pl.col(f"{s}_now").alias(f"ref_{s}_now") for s in _SIDE],
    )
    if not keep_empty:
        qpv = qpv.filter(
            (pl.col("status") != "missing") | (pl.col("status_now").fill_null("missing") != "missing")
        )
    lines = qpv.join(ref, on="indicator_id", how="inner")
    pairs = _reference_pairs(links)
    if pairs is not None:
        linked = (
            pairs.select("territory_kind", "territory_code").unique().with_columns(pl.lit(True).alias("_has"))
        )
        lines = (
            lines.join(
                pairs, on=["territory_kind", "territory_code", "reference_kind", "reference_code"], how="left"
            )
            .join(linked, on=["territory_kind", "territory_code"], how="left")
            .filter(
                ~pl.col("reference_kind").is_in(_LINKED_KINDS)
                | pl.col("_linked").fill_null(False)
                | pl.col("_has").is_null()
            )
            .drop("_linked", "_has")
        )
    catalog_now = {
        r["indicator_id"]: (r["unit"], r["definition"])
        for r in indicator.select("indicator_id", "unit", "definition").iter_rows(named=True)
    }
    shares = _coverage(crosswalk)
    flags: list[str] = []
    gap_flags: list[str | None] = []
    reasons: list[str] = []
    memo: dict[tuple[object, ...], tuple[str, list[str]]] = {}
    for row in lines.iter_rows(named=True):
        parts: list[tuple[str, list[str]]] = []
        for prefix, kind, label in (
            ("", row["territory_kind"], f"QPV {row['territory_code']}"),
            ("ref_", row["reference_kind"], f"{row['reference_kind']} {row['reference_code']}"),
        ):
            before = {s: row[f"{prefix}{s}"] for s in _SIDE} | {
                "unit": row["unit"],
                "definition": row["definition"],
            }
            after = {s: row[f"{prefix}{s}_now"] for s in _SIDE}
            memo_key = (row["indicator_id"], kind, label, *before.values(), *after.values())
            if memo_key not in memo:
                memo[memo_key] = compare_figures(
                    before,
                    after,
                    kind=kind,
                    theme=row["theme"],
                    definition_now=catalog_now.get(row["indicator_id"]),
                )
            flag, why = memo[memo_key]
            parts.append((flag, [f"{label} : {w}" for w in why]))
        qpv_flag, qpv_why = parts[0]
        ref_flag, ref_why = parts[1]
        why = list(qpv_why)
        if row["role"] == "qpv2015":
            cover = shares.get((row["territory_code"], row["qpv_code"]))
            note = "périmètre 2015 (ancien zonage)"
            if row["qpv_code"] is None:
                note += ", sorti de la géographie prioritaire en 2024"
            elif cover is not None:
                pct = f"{cover * 100:.0f}"
                note += f", qui couvre {pct} % de la surface du QPV 2024 {row['qpv_code']}"
            why.append(note)
            if qpv_flag == "comparable":
                qpv_flag = "avec_reserve"
        if row["unit"] == "count":
            gap_flag = None
            why.append("écart non calculé : un effectif ne se compare pas à celui d'un autre territoire")
        else:
            gap_flag = max(qpv_flag, ref_flag, key=FLAGS.index)
            why += ref_why
        flags.append(qpv_flag)
        gap_flags.append(gap_flag)
        reasons.append("; ".join(why))
    out = lines.with_columns(
        pl.Series("comparability", flags, dtype=pl.String()),
        pl.Series("gap_comparability", gap_flags, dtype=pl.String()),
        pl.Series("reason", reasons, dtype=pl.String()),
    )
    usable = pl.col("status").is_in(USABLE) & pl.col("status_now").is_in(USABLE)
    ref_usable = pl.col("ref_status").is_in(USABLE) & pl.col("ref_status_now").is_in(USABLE)
    gap_ok = pl.col("unit") != "count"  # a gap between two head counts means nothing
    out = out.with_columns(
        pl.lit(evaluated_at).alias("evaluated_at"),
        pl.when(usable).then(pl.col("value_now") - pl.col("value")).alias("qpv_change"),
        pl.when(ref_usable).then(pl.col("ref_value_now") - pl.col("ref_value")).alias("ref_change"),
        pl.when(gap_ok & pl.col("status").is_in(USABLE) & pl.col("ref_status").is_in(USABLE))
        .then(pl.col("value") - pl.col("ref_value"))
        .alias("gap_baseline"),
        pl.when(gap_ok & pl.col("status_now").is_in(USABLE) & pl.col("ref_status_now").is_in(USABLE))
        .then(pl.col("value_now") - pl.col("ref_value_now"))
        .alias("gap_now"),
    ).with_columns(
        (pl.col("gap_now") - pl.col("gap_baseline")).alias("gap_change"),
        (pl.col("gap_now").abs() < pl.col("gap_baseline").abs()).alias("gap_reduced"),
    )
    renamed = out.rename(
        {
            "period": "qpv_period_baseline",
            "value": "qpv_value_baseline",
            "status": "qpv_status_baseline",
            "geo_version": "qpv_geo_baseline",
            "period_now": "qpv_period_now",
            "value_now": "qpv_value_now",
            "status_now": "qpv_status_now",
            "geo_version_now": "qpv_geo_now",
            "ref_period": "ref_period_baseline",
            "ref_value": "ref_value_baseline",
            "source_file_name": "qpv_source_baseline",
            "source_sha256": "qpv_sha256_baseline",
            "source_file_name_now": "qpv_source_now",
            "source_sha256_now": "qpv_sha256_now",
        }
    )
    return renamed.select([pl.col(c).cast(t) for c, t in EVALUATION_SCHEMA.items()]).sort(
        "qpv_code",
        "role",
        "territory_code",
        "indicator_id",
        "reference_kind",
        "reference_code",
        nulls_last=True,
    )


_LINKED_KINDS = ("commune", "epci", "unite_urbaine")


def _reference_pairs(links: pl.DataFrame | None) -> pl.DataFrame | None:
    """QPV (kind, code) → the communes it lies in and their EPCI / unité urbaine, as reference pairs."""
    if links is None or links.is_empty():
        return None
    qc = links.filter(
        pl.col("child_kind").is_in(["qpv2024", "qpv2015"]) & (pl.col("parent_kind") == "commune")
    )
    qc = qc.select(
        pl.col("child_kind").alias("territory_kind"),
        pl.col("child_code").alias("territory_code"),
        pl.col("parent_code").alias("commune"),
    ).unique()
    up = links.filter(
        (pl.col("child_kind") == "commune") & pl.col("parent_kind").is_in(["epci", "unite_urbaine"])
    )
    up = up.select(pl.col("child_code").alias("commune"), "parent_kind", "parent_code").unique()
    direct = qc.select(
        "territory_kind",
        "territory_code",
        pl.lit("commune").alias("reference_kind"),
        pl.col("commune").alias("reference_code"),
    )
    above = qc.join(up, on="commune").select(
        "territory_kind",
        "territory_code",
        pl.col("parent_kind").alias("reference_kind"),
        pl.col("parent_code").alias("reference_code"),
    )
    return pl.concat([direct, above]).unique().with_columns(pl.lit(True).alias("_linked"))


def _coverage(crosswalk: pl.DataFrame | None) -> dict[tuple[str, str], float]:
    """(code_2015, code_2024) → share of the 2024 QPV's area covered by the 2015 one."""
    if crosswalk is None or crosswalk.is_empty():
        return {}
    rows = crosswalk.filter(pl.col("code_2015").is_not_null() & pl.col("code_2024").is_not_null())
    return {
        (a, b): s
        for a, b, s in rows.select("code_2015", "code_2024", "share_of_2024").iter_rows()
        if s is not None
    }
