"""Job seekers (DEFM): staged frames → observations, the indicator catalog, the QPV share of the commune.

DARES communal values are T4 averages of month-end stocks, rounded to 5; QPV values follow their file
(period given at parse time). Aggregate lines (`Total`) and arrondissements never become commune
observations: Paris, Lyon and Marseille are published whole, and adding arrondissements would double them.
"""

from __future__ import annotations

import polars as pl

from models.observation import INDICATOR_SCHEMA, conform_observations
from models.series import share_of_parent

SOURCE = "France Travail / Dares"
OBSERVED_KINDS = ("commune", "qpv2015", "qpv2024")

CATEGORY_LABELS = {
    "ABCDE": "catégories A, B, C, D, E",
    "ABC": "catégories A, B, C",
    "A": "catégorie A",
    "B": "catégorie B",
    "C": "catégorie C",
    "D": "catégorie D",
    "E": "catégorie E",
}
BREAKDOWN_LABELS = {
    "femmes": "femmes",
    "hommes": "hommes",
    "moins_25": "moins de 25 ans",
    "25_49": "25 à 49 ans",
    "moins_26": "moins de 26 ans",
    "26_49": "26 à 49 ans",
    "50_plus": "50 ans ou plus",
    "dur1": "ancienneté, tranche 1 (NV)",
    "dur2": "ancienneté, tranche 2 (NV)",
    "dur3": "ancienneté, tranche 3 (NV)",
    "dur4": "ancienneté, tranche 4 (NV)",
    "rsa": "bénéficiaires du RSA",
    "inf_cap_bep": "niveau de formation inférieur au CAP-BEP",
    "cap_bep": "niveau CAP-BEP",
    "bac": "niveau bac",
    "sup_bac": "niveau supérieur au bac",
    "francais": "de nationalité française",
    "etrangers": "de nationalité étrangère",
}
_DIMS = ("rsa", "age_band", "nationality", "training_level", "seniority", "sex")
_PREFIX = {
    "age_band": "age_",
    "training_level": "formation_",
    "nationality": "",
    "seniority": "",
    "sex": "",
    "rsa": "",
}


def defm_indicator_id(breakdown: dict[str, str]) -> str:
    """`{"category": "ABC", "sex": "femmes", …}` → ``defm_abc_femmes``; evolution → ``defm_evol_…_pct``."""
    parts = ["defm"]
    if breakdown.get("measure") == "evolution_pct":
        parts.append("evol")
    parts.append(breakdown["category"].lower())
    for dim in _DIMS:
        v = breakdown.get(dim, "total")
        if v and v != "total":
            parts.append(_PREFIX[dim] + v)
    if breakdown.get("measure") == "evolution_pct":
        parts.append("t4_pct")
    return "_".join(parts)


def _id_expr() -> pl.Expr:
    parts: list[pl.Expr] = [
        pl.lit("defm"),
        pl.when(pl.col("measure") == "evolution_pct").then(pl.lit("evol")),
        pl.col("category").str.to_lowercase(),
    ]
    for dim in _DIMS:
        parts.append(pl.when(pl.col(dim) != "total").then(pl.lit(_PREFIX[dim]) + pl.col(dim)))
    parts.append(pl.when(pl.col("measure") == "evolution_pct").then(pl.lit("t4_pct")))
    return pl.concat_list(parts).list.drop_nulls().list.join("_")


def defm_observations(
    staged: pl.DataFrame, *, source_dataset: str, source_vintage: str, sha256: str
) -> pl.DataFrame:
    """Staged DEFM rows → observations (communes and QPVs only; aggregates/arrondissements stay staged)."""
    kept = staged.filter(pl.col("territory_kind").is_in(list(OBSERVED_KINDS)))
    obs = kept.with_columns(
        _id_expr().alias("indicator_id"),
        pl.lit("published").alias("method"),  # as the publisher gave it; status says if hidden
        pl.lit(source_dataset).alias("source_dataset"),
        pl.lit(source_vintage).alias("source_vintage"),
        pl.lit(sha256).alias("source_sha256"),
    )
    return conform_observations(obs)


def _label(breakdown: dict[str, str]) -> str:
    text = f"Demandeurs d'emploi {CATEGORY_LABELS[breakdown['category']]}"
    extras = [BREAKDOWN_LABELS[breakdown[d]] for d in _DIMS if breakdown.get(d, "total") != "total"]
    if extras:
        text += ", " + ", ".join(extras)
    if breakdown.get("measure") == "evolution_pct":
        text = "Évolution sur un an (T4) – " + text
    return text


def defm_indicator_catalog(staged: pl.DataFrame | None = None) -> pl.DataFrame:
    """Catalog (INDICATOR_SCHEMA) of the DEFM indicators: the standard breakdowns, plus every breakdown
    present in `staged`, plus the QPV share of the commune."""
    combos: list[dict[str, str]] = []
    base = {"measure": "count", **dict.fromkeys(_DIMS, "total")}
    for cat in ("ABCDE", "ABC", "A", "B", "C"):
        combos.append({**base, "category": cat})
        combos += [{**base, "category": cat, "sex": s} for s in ("femmes", "hommes")]
    for age in ("moins_25", "25_49", "50_plus", "moins_26", "26_49"):
        combos.append({**base, "category": "ABC", "age_band": age})
    combos += [{**base, "category": "ABC", "seniority": f"dur{i}"} for i in range(1, 5)]
    combos += [{**base, "category": "ABC", "rsa": "rsa"}]
    combos += [
        {**base, "category": "ABC", "training_level": t} for t in ("inf_cap_bep", "cap_bep", "bac", "sup_bac")
    ]
    if staged is not None:
        for row in staged.select("measure", "category", *_DIMS).unique().iter_rows(named=True):
            combos.append({k: str(v) for k, v in row.items()})
    rows: dict[str, dict[str, object]] = {}
    for b in combos:
        iid = defm_indicator_id(b)
        evol = b.get("measure") == "evolution_pct"
        rows[iid] = {
            "indicator_id": iid,
            "theme": "demandeurs_emploi",
            "label_fr": _label(b),
            "definition": "Demandeurs d'emploi inscrits à France Travail (DEFM). Commune : moyenne "
            "des fins de "
            "mois du trimestre, arrondie à 5 par la Dares. QPV : selon le fichier (voir README).",
            "unit": "percent" if evol else "count",
            "summable": not evol,
            "aggregation": "not_aggregable" if evol else "sum",
            "source": SOURCE,
            "method": "published",
        }
    rows["defm_abc_part_commune_pct"] = {
        "indicator_id": "defm_abc_part_commune_pct",
        "theme": "demandeurs_emploi",
        "label_fr": "Part des demandeurs d'emploi (A, B, C) de la commune qui habitent le quartier",
        "definition": "DEFM ABC du QPV / DEFM ABC de sa (ses) commune(s), même période",
        "unit": "percent",
        "numerator_def": "DEFM ABC résidant dans le QPV",
        "denominator_def": "DEFM ABC de la (des) commune(s) du QPV",
        "summable": False,
        "aggregation": "ratio",
        "source": SOURCE,
        "method": "recomputed",
    }
    frame = pl.DataFrame(list(rows.values()), infer_schema_length=None)
    return frame.select(
        [
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in INDICATOR_SCHEMA.items()
        ]
    )


def defm_share_of_commune(
    observations: pl.DataFrame, links: pl.DataFrame, *, indicator_id: str = "defm_abc"
) -> pl.DataFrame:
    """ "X % des demandeurs d'emploi de la commune habitent le quartier", as observations
    (indicator ``defm_abc_part_commune_pct``). `links`: child_code, child_geo_version, parent_code.
    Periods must be identical on both sides (a QPV stock at 31 December is not matched with a T4 average)."""
    obs = conform_observations(observations)
    qpv = obs.filter(pl.col("territory_kind").is_in(["qpv2015", "qpv2024"]))
    communes = obs.filter(pl.col("territory_kind") == "commune")
    share_id = (
        "defm_abc_part_commune_pct" if indicator_id == "defm_abc" else f"{indicator_id}_part_commune_pct"
    )
    return share_of_parent(qpv, communes, links, indicator_id=indicator_id, share_indicator_id=share_id)
