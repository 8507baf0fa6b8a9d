"""The Filosofi 200 m grid estimates: what is estimated (counts, rates, what cannot be) and its catalog."""

from __future__ import annotations

import polars as pl

from models.observation import INDICATOR_SCHEMA

SOURCE_DATASET = "filosofi_grid"
METHOD = "grid_estimate"
MIN_HOUSEHOLDS = 11
KEYS = ["territory_kind", "territory_code", "geo_version"]

# Counts that are sums over the cell (indicator id → cell column). `household` marks counts of households:
# below MIN_HOUSEHOLDS they are suppressed.
COUNT_INDICATORS: dict[str, tuple[str, bool, str, str]] = {
    # id: (column, is a household count, unit, French label)
    "filo_grid_ind": ("ind", False, "count", "Individus (ménages fiscaux)"),
    "filo_grid_men": ("men", True, "count", "Ménages fiscaux"),
    "filo_grid_men_pauv": ("men_pauv", True, "count", "Ménages pauvres"),
    "filo_grid_men_1ind": ("men_1ind", True, "count", "Ménages d'une personne"),
    "filo_grid_men_5ind": ("men_5ind", True, "count", "Ménages de 5 personnes ou plus"),
    "filo_grid_men_prop": ("men_prop", True, "count", "Ménages propriétaires"),
    "filo_grid_men_fmp": ("men_fmp", True, "count", "Ménages monoparentaux"),
    "filo_grid_men_coll": ("men_coll", True, "count", "Ménages en logement collectif"),
    "filo_grid_men_mais": ("men_mais", True, "count", "Ménages en maison"),
    "filo_grid_log_soc": ("log_soc", False, "count", "Logements sociaux"),
    "filo_grid_ind_0_17": ("ind_0_17", False, "count", "Individus de moins de 18 ans"),
    "filo_grid_ind_65p": ("ind_65p", False, "count", "Individus de 65 ans ou plus"),
}


# Rates and means: (numerator column, denominator column, scale, unit, kind, label). kind "part" means the
# numerator is a subset of the denominator (households among households): its bound needs no assumption.
RATE_INDICATORS: dict[str, tuple[str, str, float, str, str, str]] = {
    "filo_grid_taux_pauvrete_men": ("men_pauv", "men", 100.0, "percent", "part", "Part de ménages pauvres"),
    "filo_grid_part_men_1ind": (
        "men_1ind",
        "men",
        100.0,
        "percent",
        "part",
        "Part de ménages d'une personne",
    ),
    "filo_grid_part_men_5ind": (
        "men_5ind",
        "men",
        100.0,
        "percent",
        "part",
        "Part de ménages de 5 personnes ou +",
    ),
    "filo_grid_part_men_prop": ("men_prop", "men", 100.0, "percent", "part", "Part de ménages propriétaires"),
    "filo_grid_part_men_fmp": ("men_fmp", "men", 100.0, "percent", "part", "Part de familles monoparentales"),
    "filo_grid_part_men_coll": ("men_coll", "men", 100.0, "percent", "part", "Part de ménages en collectif"),
    "filo_grid_part_log_soc": ("log_soc", "log_total", 100.0, "percent", "part", "Part de logements sociaux"),
    "filo_grid_part_ind_0_17": ("ind_0_17", "ind", 100.0, "percent", "part", "Part des moins de 18 ans"),
    "filo_grid_part_ind_65p": ("ind_65p", "ind", 100.0, "percent", "part", "Part des 65 ans ou plus"),
    "filo_grid_niveau_vie_moyen": ("ind_snv", "ind", 1.0, "euro", "mean", "Niveau de vie moyen (winsorisé)"),
    "filo_grid_surface_moyenne": ("men_surf", "men", 1.0, "m2", "mean", "Surface moyenne des logements"),
}


# Median-type indicators: never rebuilt from cells.
NOT_ESTIMABLE_INDICATORS: dict[str, str] = {
    "filo_grid_niveau_vie_median": "Niveau de vie médian (non estimable sur carreaux)",
    "filo_grid_niveau_vie_d1": "1er décile de niveau de vie (non estimable sur carreaux)",
    "filo_grid_niveau_vie_d9": "9e décile de niveau de vie (non estimable sur carreaux)",
    "filo_grid_rapport_interdecile": "Rapport interdécile D9/D1 (non estimable sur carreaux)",
}


# Household counts that appear as numerators: a rate on fewer than MIN_HOUSEHOLDS of them is suppressed.
_HOUSEHOLD_COLUMNS = {col for col, household, _, _ in COUNT_INDICATORS.values() if household}


_DERIVED = {
    "ind_0_17": ["ind_0_3", "ind_4_5", "ind_6_10", "ind_11_17"],
    "ind_65p": ["ind_65_79", "ind_80p"],
    "log_total": ["log_av45", "log_45_70", "log_70_90", "log_ap90", "log_inc"],
}


def indicator_catalog() -> pl.DataFrame:
    """The `indicator` rows of the grid estimates (INDICATOR_SCHEMA)."""
    rows: list[dict[str, object]] = []
    for ind_id, (col, _household, unit, label) in COUNT_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": unit,
                "numerator_def": col,
                "summable": True,
                "aggregation": "sum",
            }
        )
    for ind_id, (num, den, _scale, unit, _kind, label) in RATE_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": unit,
                "numerator_def": num,
                "denominator_def": den,
                "summable": False,
                "aggregation": "ratio",
            }
        )
    for ind_id, label in NOT_ESTIMABLE_INDICATORS.items():
        rows.append(
            {
                "indicator_id": ind_id,
                "label_fr": label,
                "unit": "euro",
                "summable": False,
                "aggregation": "not_aggregable",
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.lit("revenus").alias("theme"),
        pl.lit("Filosofi, données carroyées à 200 m (Insee)").alias("source"),
        pl.lit(METHOD).alias("method"),
        pl.lit(
            "Estimation sur carreaux de 200 m pondérés par la part de leur surface dans le périmètre"
        ).alias("definition"),
    )
    return frame.select(
        [
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in INDICATOR_SCHEMA.items()
        ]
    )
