"""Job seekers (DEFM): staged frames → observations, the indicator catalog, the QPV share of the commune.

DARES communal values are T4 averages of month-end stocks, rounded to 5; QPV values follow their file
(period given at parse time). Aggregate lines (`Total`) and arrondissements never become commune
observations: Paris, Lyon and Marseille are published whole, and adding arrondissements would double them.
"""

from __future__ import annotations

import polars as pl

from models.observation import (
    INDICATOR_SCHEMA,
    SAME_PLACE_AND_FILE,
    SECRET,
    as_published,
    conform_observations,
    empty_observations,
)
from models.series import (
    REVISION_LOG_SCHEMA,
    build_series,
    latest_per_dataset,
    observations_per_file,
    share_of_parent,
)
from sources.france_travail.settings import DATASET_COMMUNES

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
    # Bounds inferred, not read in a data dictionary (see LONG_TERM and sources/france_travail/README.md).
    "dur1": "inscrits depuis moins de 6 mois (bornes déduites)",
    "dur2": "inscrits depuis 6 mois à moins d'un an (bornes déduites)",
    "dur3": "inscrits depuis 1 an à moins de 2 ans (bornes déduites)",
    "dur4": "inscrits depuis 2 ans ou plus (bornes déduites)",
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
    """Staged DEFM rows → observations (communes and QPVs only; aggregates/arrondissements stay staged),
    plus the derived count registered for a year or more (`defm_long_term`) where the file has the bands."""
    kept = staged.filter(pl.col("territory_kind").is_in(list(OBSERVED_KINDS)))
    obs = as_published(
        kept, _id_expr(), source_dataset=source_dataset, source_vintage=source_vintage, sha256=sha256
    )
    published = conform_observations(obs)
    return pl.concat([published, defm_long_term(published)])


# "Demandeurs d'emploi ABC inscrits depuis un an ou plus" = DUR3 + DUR4. INSEE's QPV files carry four
# seniority bands without their bounds in any file we hold. They partition ABC exactly (sum = ABC on
# every published QPV of the real IPRO_2019 and IPRO_2022, tests/integration/test_france_travail_real.py)
# and their national QPV shares (35 / 16 / 18 / 30 % in IPRO_2022) match the Dares bands < 6 months,
# 6–12 months, 1–2 years, ≥ 2 years (≈ 48 % registered for a year or more at end 2022) — an inference,
# said in the indicator's definition, not a verified fact.
LONG_TERM = "defm_abc_un_an_ou_plus"
_LONG_TERM_PARTS = ("defm_abc_dur3", "defm_abc_dur4")


def defm_long_term(observations: pl.DataFrame) -> pl.DataFrame:
    """Job seekers ABC registered for a year or more (DUR3 + DUR4), per territory, period and source file.
    Published only when both bands are published; a band hidden → NULL with status ``not_computable``
    and how many bands were hidden (never a partial sum); a territory/period with only one of the two
    bands in its file gets nothing."""
    obs = conform_observations(observations)
    key = list(SAME_PLACE_AND_FILE)
    parts = obs.filter(pl.col("indicator_id").is_in(list(_LONG_TERM_PARTS)))
    if parts.is_empty():
        return obs.clear()
    summed = (
        parts.group_by(key)
        .agg(
            pl.col("indicator_id").n_unique().alias("_bands"),
            (pl.col("status") == "published").all().alias("_all_published"),
            pl.col("status").is_in(SECRET).sum().alias("_hidden"),
            pl.col("value").sum().alias("_sum"),
        )
        .filter(pl.col("_bands") == len(_LONG_TERM_PARTS))
        .with_columns(
            pl.lit(LONG_TERM).alias("indicator_id"),
            pl.when(pl.col("_all_published")).then(pl.col("_sum")).alias("value"),
            pl.when(pl.col("_all_published"))
            .then(pl.lit("published"))
            .when(pl.col("_hidden") > 0)
            .then(pl.lit("not_computable"))
            .otherwise(pl.lit("missing"))
            .alias("status"),
            pl.lit("summed").alias("method"),
            pl.when(pl.col("_hidden") > 0).then(pl.col("_hidden").cast(pl.Int64)).alias("parts_hidden"),
            pl.when(pl.col("_hidden") > 0).then(pl.lit(len(_LONG_TERM_PARTS), pl.Int64)).alias("parts_total"),
        )
    )
    return conform_observations(summed)


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
    rows[LONG_TERM] = {
        "indicator_id": LONG_TERM,
        "theme": "demandeurs_emploi",
        "label_fr": "Demandeurs d'emploi A, B, C inscrits depuis un an ou plus",
        "definition": "Somme des tranches d'ancienneté 3 et 4 (DUR3 + DUR4) des fichiers QPV. Bornes des "
        "tranches déduites, non lues dans un dictionnaire : les quatre tranches font exactement ABC et leurs "
        "parts correspondent aux tranches Dares < 6 mois, 6-12 mois, 1-2 ans, 2 ans ou plus. "
        "Secret statistique si une des deux tranches est masquée.",
        "unit": "count",
        "numerator_def": None,
        "denominator_def": None,
        "summable": True,
        "aggregation": "sum",
        "source": SOURCE,
        "method": "summed",
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


def _commune_links(territory_link: pl.DataFrame) -> pl.DataFrame:
    """QPV → commune links in the shape models.series.share_of_parent expects."""
    return territory_link.filter(
        pl.col("child_kind").is_in(["qpv2015", "qpv2024"]) & (pl.col("parent_kind") == "commune")
    ).select(
        "child_code",
        pl.col("child_kind").alias("child_geo_version"),
        "parent_code",
    )


def defm_series(staged: pl.DataFrame, territory_link: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations with explicit gaps and the QPV share of commune, revision log).

    Per file: observations (`defm_observations`). A quarter given by two releases: the later wins, the
    change is logged. Gaps: quarterly for the QPV files, yearly (T4 only) for the DARES export. The
    share (`defm_abc_part_commune_pct`) is computed on the resolved figures, same quarter only."""
    parts = observations_per_file(staged, defm_observations)
    if not parts:
        return empty_observations(), pl.DataFrame(schema=REVISION_LOG_SCHEMA)
    resolved, log = latest_per_dataset(pl.concat(parts))
    latest_all = pl.concat([f for _, f in resolved])
    # The share exists only for quarters the communes are published for (the DARES export: T4 only);
    # a QPV quarter without any commune figure is not a gap of the share, it is outside its cadence.
    commune_periods = latest_all.filter(pl.col("territory_kind") == "commune")["period"].unique()
    share = defm_share_of_commune(
        latest_all.filter(pl.col("period").is_in(commune_periods.implode())), _commune_links(territory_link)
    )
    out = []
    for dataset, frame in resolved:
        step = 4 if dataset == DATASET_COMMUNES else 1
        out.append(build_series(frame, step=step).with_columns(pl.col("source_dataset").fill_null(dataset)))
    if share.height:
        share = share.with_columns(pl.lit("defm_qpv_part_commune").alias("source_dataset"))
        out.append(
            build_series(share, step=4).with_columns(
                pl.col("source_dataset").fill_null("defm_qpv_part_commune")
            )
        )
    series = pl.concat(out).with_columns(pl.col("method").fill_null("published"))
    return series, log
