"""Aggregate observations of child territories to reference territories, only where it is valid.

- `sum` indicators (counts): summed when every child figure is published; otherwise the parent gets
  NULL with status `not_computable` (some part is secret or itself not computable: our figure, never
  the producer's `suppressed`, with `parts_hidden` of `parts_total`) or `missing` (some child has none).
- `ratio` indicators: recomputed as Σ numerators / Σ denominators (× 100 for percentages) when every
  child carries both; otherwise `not_applicable` (a published share without its counts cannot be
  weighted).
- `not_aggregable` (medians, deciles, Gini, indices): never averaged nor summed → `not_applicable`.
A parent figure published by the source itself (e.g. the commune's median in the commune file) always
wins over the aggregate: pass those observations in `published` and they replace the derived row.
"""

from __future__ import annotations

import polars as pl

from models.observation import SECRET, conform_observations, empty_observations

LINK_COLUMNS = ("child_kind", "child_code", "parent_kind", "parent_code")
GROUP = [
    "indicator_id",
    "parent_kind",
    "parent_code",
    "period",
    "period_type",
    "source_dataset",
    "source_vintage",
]


def aggregate_observations(
    observations: pl.DataFrame,
    links: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    parent_geo_version: str,
    published: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Child observations + links (child_kind, child_code, parent_kind, parent_code) → parent observations."""
    missing_cols = [c for c in LINK_COLUMNS if c not in links.columns]
    if missing_cols:
        raise ValueError(f"links lack columns {missing_cols}")
    if observations.is_empty() or links.is_empty():
        return empty_observations()
    cat = catalog.select("indicator_id", "aggregation", "unit")
    obs = observations.join(
        links.select(*LINK_COLUMNS),
        left_on=["territory_kind", "territory_code"],
        right_on=["child_kind", "child_code"],
        how="inner",
    ).join(cat, on="indicator_id", how="left")
    unknown = obs.filter(pl.col("aggregation").is_null())["indicator_id"].unique().to_list()
    if unknown:
        raise ValueError(f"indicators absent from the catalog: {unknown}")
    expected = links.group_by("parent_kind", "parent_code").agg(
        pl.col("child_code").n_unique().alias("_n_expected")
    )
    pub = pl.col("status") == "published"
    agg = (
        obs.group_by(GROUP)
        .agg(
            pl.col("aggregation").first(),
            pl.col("unit").first(),
            pl.col("territory_code").n_unique().alias("_n"),
            pub.all().alias("_all_pub"),
            pl.col("status").is_in(SECRET).sum().alias("_n_hidden"),
            pl.col("value").sum().alias("_sum"),
            pl.col("numerator").sum().alias("_num"),
            pl.col("denominator").sum().alias("_den"),
            (pub & pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null())
            .all()
            .alias("_ratio_ok"),
        )
        .join(expected, on=["parent_kind", "parent_code"], how="left")
    )
    complete = pl.col("_n") == pl.col("_n_expected")
    is_sum = pl.col("aggregation") == "sum"
    is_ratio = pl.col("aggregation") == "ratio"
    scale = pl.when(pl.col("unit") == "percent").then(100.0).otherwise(1.0)
    ratio_ok = is_ratio & complete & pl.col("_ratio_ok") & (pl.col("_den") > 0)
    sum_ok = is_sum & complete & pl.col("_all_pub")
    out = agg.select(
        pl.col("indicator_id"),
        pl.col("parent_kind").alias("territory_kind"),
        pl.col("parent_code").alias("territory_code"),
        pl.lit(parent_geo_version).alias("geo_version"),
        pl.col("period"),
        pl.col("period_type"),
        pl.when(sum_ok)
        .then(pl.col("_sum"))
        .when(ratio_ok)
        .then(pl.col("_num") / pl.col("_den") * scale)
        .otherwise(None)
        .alias("value"),
        pl.when(ratio_ok).then(pl.col("_num")).otherwise(None).alias("numerator"),
        pl.when(ratio_ok).then(pl.col("_den")).otherwise(None).alias("denominator"),
        pl.when(sum_ok | ratio_ok)
        .then(pl.lit("published"))
        .when(is_sum & (pl.col("_n_hidden") > 0))
        .then(pl.lit("not_computable"))
        .when(is_sum)
        .then(pl.lit("missing"))
        .otherwise(pl.lit("not_applicable"))
        .alias("status"),
        pl.when(is_sum).then(pl.lit("summed")).otherwise(pl.lit("recomputed")).alias("method"),
        pl.col("source_dataset"),
        pl.col("source_vintage"),
        pl.when(is_sum & ~sum_ok & (pl.col("_n_hidden") > 0)).then(pl.col("_n_hidden")).alias("parts_hidden"),
        pl.when(is_sum & ~sum_ok & (pl.col("_n_hidden") > 0))
        .then(pl.col("_n_expected"))
        .alias("parts_total"),
    )
    out = conform_observations(out)
    if published is not None and not published.is_empty():
        keys = ["indicator_id", "territory_kind", "territory_code", "period"]
        given = published.filter(pl.col("status") == "published").select(keys).unique()
        out = out.join(given, on=keys, how="anti")
    return out.sort(["indicator_id", "territory_kind", "territory_code", "period"])


ENSEMBLE_KIND = "ensemble_qpv"
ENSEMBLE_CODE = "ensemble"
QPV_KINDS = ("qpv2015", "qpv2024")
FILE = ["source_dataset", "source_vintage"]


def _departement_of(code: pl.Expr) -> pl.Expr:
    return pl.when(code.str.starts_with("97")).then(code.str.slice(0, 3)).otherwise(code.str.slice(0, 2))


def aggregate_to_references(
    observations: pl.DataFrame, links: pl.DataFrame, catalog: pl.DataFrame
) -> pl.DataFrame:
    """Reference-territory figures derived where valid (see the module docstring for the rules).

    - commune → EPCI and commune → département (links of kind commune→epci/departement), then
      département → France (links departement→france): a figure a file publishes for the parent wins.
      A file whose communes are not all in the links' COG (communes merged since) is not aggregated
      to the départements (and their EPCIs) where such communes lie: the sum would miss them.
    - QPV → all QPVs of its geography (`ensemble_qpv` / `ensemble`), per file, unless INSEE's
      "Ensemble des QPV" row gives the figure.
    `links`: the `territory_link` table. Returns observations (method summed / recomputed).
    """
    if observations.is_empty():
        return empty_observations()
    out: list[pl.DataFrame] = []
    cl = links.filter(
        (pl.col("child_kind") == "commune") & pl.col("parent_kind").is_in(["epci", "departement"])
    )
    if cl.height:
        version = str(cl["parent_version"][0])
        communes = observations.filter(pl.col("territory_kind") == "commune")
        known = cl.select(pl.col("child_code").alias("territory_code")).unique()
        orphans = (
            communes.select(*FILE, "territory_code")
            .unique()
            .join(known, on="territory_code", how="anti")
            .select(*FILE, _departement_of(pl.col("territory_code")).alias("departement"))
            .unique()
        )
        derived = aggregate_observations(
            communes, cl, catalog, parent_geo_version=version, published=observations
        )
        if orphans.height:
            parent_deps = pl.concat(
                [
                    cl.filter(pl.col("parent_kind") == "departement").select(
                        pl.col("parent_code"), pl.col("parent_code").alias("departement")
                    ),
                    cl.filter(pl.col("parent_kind") == "epci").select(
                        pl.col("parent_code"), _departement_of(pl.col("child_code")).alias("departement")
                    ),
                ]
            ).unique()
            tainted = parent_deps.join(orphans, on="departement", how="inner").select(
                *FILE, pl.col("parent_code").alias("territory_code")
            )
            derived = derived.join(tainted.unique(), on=[*FILE, "territory_code"], how="anti")
        out.append(derived)
        dl = links.filter((pl.col("child_kind") == "departement") & (pl.col("parent_kind") == "france"))
        deps = pl.concat(
            [
                observations.filter(pl.col("territory_kind") == "departement"),
                derived.filter(pl.col("territory_kind") == "departement"),
            ]
        )
        if dl.height and deps.height:
            out.append(
                aggregate_observations(deps, dl, catalog, parent_geo_version=version, published=observations)
            )
    for geography in QPV_KINDS:
        qpvs = observations.filter(pl.col("territory_kind") == geography)
        for _, part in qpvs.group_by(FILE, maintain_order=True):
            qlinks = part.select(
                pl.lit(geography).alias("child_kind"),
                pl.col("territory_code").alias("child_code"),
                pl.lit(ENSEMBLE_KIND).alias("parent_kind"),
                pl.lit(ENSEMBLE_CODE).alias("parent_code"),
            ).unique()
            given = observations.filter(
                (pl.col("territory_kind") == ENSEMBLE_KIND) & (pl.col("geo_version") == geography)
            )
            out.append(
                aggregate_observations(part, qlinks, catalog, parent_geo_version=geography, published=given)
            )
    parts = [p for p in out if p.height]
    if not parts:
        return empty_observations()
    return pl.concat(parts).sort(["indicator_id", "territory_kind", "territory_code", "period"])
