"""Staged INSEE tables (long, sources.insee_common.layouts.STAGED_SCHEMA) → observations.

Every observation carries the data period of its own source block (census year, Filosofi income year,
Cnaf or Pôle emploi reference date) as staged, never the year in the file name (that is
`source_vintage`). Suppressed figures stay NULL with status `suppressed`.
"""

from __future__ import annotations

import re

import polars as pl

from models.insee_indicators import INDICATORS_BY_ID, RECOMPUTED, VARIABLE_MAP
from models.observation import (
    OBSERVATION_KEY,
    SAME_PLACE_AND_FILE,
    SECRET,
    conform_observations,
    empty_observations,
)

DATASET_FAMILY = {
    "insee_qpv_demo": "demo",
    "insee_qpv_revn": "revn",
    "insee_qpv_ipro": "ipro",
    "insee_qpv_filosofi": "qpv_filo",
    "filosofi_disp": "filo_disp",
    "filosofi_cc": "filo_cc",
    "filosofi_iris": "filo_iris",
    "insee_comparateur": "comparateur",
}
ENSEMBLE_KIND = "ensemble_qpv"  # INSEE's "Ensemble des QPV" rows: all QPs of the geography


def indicator_of(family: str, variable: str) -> str | None:
    for families, regex, indicator in VARIABLE_MAP:
        if family in families and re.match(regex, variable):
            return indicator
    return None


def insee_observations(staged: pl.DataFrame, sha256: str) -> pl.DataFrame:
    """Map the columns that carry a catalogued indicator to observation rows (others stay staged only)."""
    if staged.is_empty():
        return empty_observations()
    datasets = staged["dataset"].unique().to_list()
    if len(datasets) != 1:
        raise ValueError(f"one staged table at a time, got datasets {datasets}")
    family = DATASET_FAMILY[datasets[0]]
    variables = staged["variable"].unique().to_list()
    mapping = pl.DataFrame(
        {"variable": variables, "indicator_id": [indicator_of(family, v) for v in variables]},
        schema={"variable": pl.String, "indicator_id": pl.String},
    ).drop_nulls("indicator_id")
    rows = staged.join(mapping, on="variable", how="inner")
    obs = rows.select(
        pl.col("indicator_id"),
        pl.when(pl.col("is_aggregate"))
        .then(pl.lit(ENSEMBLE_KIND))
        .otherwise(pl.col("territory_kind"))
        .alias("territory_kind"),
        pl.when(pl.col("is_aggregate"))
        .then(pl.lit("ensemble"))
        .otherwise(pl.col("codgeo"))
        .alias("territory_code"),
        pl.col("geo_version"),
        pl.col("period"),
        pl.col("period_type"),
        pl.col("value"),
        pl.col("status"),
        pl.lit("published").alias("method"),
        pl.col("dataset").alias("source_dataset"),
        pl.col("release").alias("source_vintage"),
        pl.lit(sha256).alias("source_sha256"),
    )
    obs = conform_observations(obs)
    extra = _recomputed(obs)
    out = pl.concat([obs, extra]) if extra.height else obs
    dup = out.filter(pl.struct("indicator_id", "territory_kind", "territory_code", "period").is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        raise ValueError(
            f"two figures for {first['indicator_id']} {first['territory_code']} {first['period']}"
        )
    return out


def _recomputed(obs: pl.DataFrame) -> pl.DataFrame:
    parts = []
    keys = list(SAME_PLACE_AND_FILE)
    for indicator, num_id, den_id in RECOMPUTED:
        num = obs.filter(pl.col("indicator_id") == num_id).select(
            *keys, pl.col("value").alias("numerator"), pl.col("status").alias("_ns")
        )
        den = obs.filter(pl.col("indicator_id") == den_id).select(
            *keys, pl.col("value").alias("denominator"), pl.col("status").alias("_ds")
        )
        if num.is_empty() or den.is_empty():
            continue
        both = num.join(den, on=keys, how="inner")
        ok = (pl.col("_ns") == "published") & (pl.col("_ds") == "published") & (pl.col("denominator") > 0)
        hidden = pl.col("_ns").is_in(SECRET).cast(pl.Int64) + pl.col("_ds").is_in(SECRET).cast(pl.Int64)
        scale = 100.0 if INDICATORS_BY_ID[indicator].unit == "percent" else 1.0
        parts.append(
            both.with_columns(
                pl.lit(indicator).alias("indicator_id"),
                pl.when(ok)
                .then(pl.col("numerator") / pl.col("denominator") * scale)
                .otherwise(None)
                .alias("value"),
                pl.when(ok)
                .then(pl.lit("published"))
                .when(hidden > 0)
                .then(pl.lit("not_computable"))  # ours: a part is secret, not this share
                .when((pl.col("_ns") == "published") & (pl.col("_ds") == "published"))
                .then(pl.lit("not_applicable"))  # nobody in the denominator: no share
                .otherwise(pl.lit("missing"))
                .alias("status"),
                pl.lit("recomputed").alias("method"),
                pl.when(~ok & (hidden > 0)).then(hidden).alias("parts_hidden"),
                pl.when(~ok & (hidden > 0)).then(pl.lit(2, pl.Int64)).alias("parts_total"),
            ).drop("_ns", "_ds")
        )
    if not parts:
        return empty_observations()
    return conform_observations(pl.concat(parts, how="diagonal"))


# INSEE's code of France métropolitaine in the FILO*_DISP_METROPOLE files, and the territory code it is in
# the `territory` table (models/territory.py FRANCE_METRO).
FRANCE_CODES = {"1": "FRM"}
KEY = list(OBSERVATION_KEY)


def combine_file_observations(frames: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Observations of several files → (observations, conflicts).

    The same release can come in two physical layouts (INSEE's `data_DEMO_2019_V1_QP.csv` and its
    spreadsheet re-export `DEMO_2019.csv`): their figures share a key; the first file given wins and
    every key whose files disagree (value or status) is returned in `conflicts` (key, values, files).
    France métropolitaine is renamed to its `territory` code.
    """
    parts = [f for f in frames if f.height]
    if not parts:
        return empty_observations(), pl.DataFrame()
    out = pl.concat(parts).with_columns(
        pl.when(pl.col("territory_kind") == "france")
        .then(pl.col("territory_code").replace(FRANCE_CODES))
        .otherwise(pl.col("territory_code"))
        .alias("territory_code")
    )
    dup = out.filter(pl.struct(KEY).is_duplicated())
    conflicts = (
        dup.group_by(KEY)
        .agg(
            pl.col("value").n_unique().alias("_nv"),
            pl.col("status").n_unique().alias("_ns"),
            pl.col("value").alias("values"),
            pl.col("source_sha256").alias("files"),
        )
        .filter((pl.col("_nv") > 1) | (pl.col("_ns") > 1))
        .drop("_nv", "_ns")
    )
    return out.unique(subset=KEY, keep="first", maintain_order=True), conflicts
