"""Education indicators of a territory from its schools: counts, pupils, REP/REP+ shares, IPS (weighted)."""

from __future__ import annotations

import polars as pl

from models.observation import INDICATOR_SCHEMA, conform_observations, empty_observations
from models.schools import LEVELS

_LEVEL_FR = {"ecole": "écoles", "college": "collèges", "lycee": "lycées"}


# INSEE's proximity convention for the schools of a QPV: écoles within 100 m of the perimeter, collèges
# (and lycées) within 300 m. The « proximity » indicators use it, and say so in their labels.
PROXIMITY_M = {"ecole": 100.0, "college": 300.0, "lycee": 300.0}


_GENDER = {"ecole": "situées", "college": "situés", "lycee": "situés"}


_PUBLIC = {"ecole": "publiques", "college": "publics", "lycee": "publics"}


_OF = {"ecole": "d'écoles", "college": "de collèges", "lycee": "de lycées"}


def _suffix(scope: str, level: str) -> str:
    return "" if scope == "inside" else f"_{round(PROXIMITY_M[level])}m"


def education_indicator_catalog() -> pl.DataFrame:
    """The `indicator` rows of the education observations (INDICATOR_SCHEMA)."""
    rows = []
    src = "data.education.gouv.fr: IPS (DEPP), effectifs, REP/REP+ lists, annuaire"
    for scope in ("inside", "near"):
        for level in LEVELS:
            sfx = _suffix(scope, level)
            where = (
                f"{_GENDER[level]} dans le territoire"
                if scope == "inside"
                else f"{_GENDER[level]} dans le QPV ou à moins de {PROXIMITY_M[level]:g} m (convention Insee)"
            )
            fr = _LEVEL_FR[level]
            rows += [
                (
                    f"educ_{level}_nb_etab{sfx}",
                    f"Nombre {_OF[level]} {where}",
                    f"{fr.capitalize()} (UAI) ayant, pour la rentrée, un IPS, des effectifs ou une ligne REP",
                    "count",
                    None,
                    None,
                    True,
                    "sum",
                ),
                (
                    f"educ_{level}_nb_eleves{sfx}",
                    f"Élèves des {fr} {where}",
                    "Somme des effectifs des établissements (NULL si un effectif manque)",
                    "count",
                    None,
                    None,
                    True,
                    "sum",
                ),
                (
                    f"educ_{level}_ips_moyen_public{sfx}",
                    f"IPS moyen des {fr} {_PUBLIC[level]} {where}, pondéré par les élèves",
                    "Σ(IPS × élèves) / Σ élèves, établissements publics à IPS publié; une seule série d'IPS",
                    "index",
                    "Σ IPS × élèves",
                    "Σ élèves",
                    False,
                    "ratio",
                ),
            ]
            if level != "lycee":
                rows += [
                    (
                        f"educ_{level}_part_eleves_ep{sfx}",
                        f"Part des élèves des {fr} en REP ou REP+ {where}",
                        "Élèves en REP ou REP+ / élèves de tous les établissements (public, privé)",
                        "percent",
                        "élèves en REP ou REP+",
                        "élèves",
                        False,
                        "ratio",
                    ),
                    (
                        f"educ_{level}_part_eleves_repplus{sfx}",
                        f"Part des élèves des {fr} en REP+ {where}",
                        "Élèves des établissements REP+ / élèves de tous les établissements (public, privé)",
                        "percent",
                        "élèves en REP+",
                        "élèves",
                        False,
                        "ratio",
                    ),
                ]
    frame = pl.DataFrame(
        [
            {
                "indicator_id": r[0],
                "theme": "education",
                "label_fr": r[1],
                "definition": r[2],
                "unit": r[3],
                "numerator_def": r[4],
                "denominator_def": r[5],
                "summable": r[6],
                "aggregation": r[7],
                "source": src,
                "method": "recomputed" if r[7] == "ratio" else "summed",
            }
            for r in rows
        ],
        schema=INDICATOR_SCHEMA,
    )
    return frame.unique("indicator_id", keep="first", maintain_order=True)


def _aggregate(frame: pl.DataFrame, keys: list[str], sfx: str) -> pl.DataFrame:
    """Long observations for one scope from (keys, uai, rentree, level, …) rows."""
    series_mix = (
        frame.filter(pl.col("ips_series").is_not_null())
        .group_by([*keys, "rentree", "level"])
        .agg(pl.col("ips_series").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
    )
    if series_mix.height:
        r = series_mix.row(0, named=True)
        raise ValueError(f"IPS series mixed in one aggregate: {r}")
    ep_known = pl.col("ep_status").is_not_null()
    pub = (pl.col("sector") == "public") & (pl.col("ips_status") == "published")
    g = frame.group_by([*keys, "rentree", "level"]).agg(
        pl.col("uai").n_unique().alias("n_etab"),
        pl.col("pupils").sum().alias("pupils"),
        pl.col("pupils").is_null().any().alias("pupils_missing"),
        (pl.col("pupils").is_null() | ~ep_known).any().alias("ep_missing"),
        pl.col("pupils").filter(pl.col("ep_status").is_in(["REP", "REP+"])).sum().alias("pupils_ep"),
        pl.col("pupils").filter(pl.col("ep_status") == "REP+").sum().alias("pupils_repplus"),
        (pl.col("ips") * pl.col("pupils")).filter(pub).sum().alias("ips_num"),
        pl.col("pupils").filter(pub).sum().alias("ips_den"),
        pl.col("pupils").filter(pub).is_null().any().alias("ips_missing"),
        pub.any().alias("has_public_ips"),
        pl.col("src").drop_nulls().unique().sort().str.join("+").alias("source_dataset"),
    )
    parts = []
    lvl = pl.col("level")
    base: list[pl.Expr] = [*(pl.col(k) for k in keys), pl.col("rentree"), pl.col("source_dataset")]
    parts.append(
        g.select(
            *base,
            pl.format("educ_{}_nb_etab" + sfx, lvl).alias("indicator_id"),
            pl.col("n_etab").cast(pl.Float64).alias("value"),
            pl.lit("published").alias("status"),
            pl.lit("summed").alias("method"),
        )
    )
    parts.append(
        g.select(
            *base,
            pl.format("educ_{}_nb_eleves" + sfx, lvl).alias("indicator_id"),
            pl.when(pl.col("pupils_missing"))
            .then(None)
            .otherwise(pl.col("pupils"))
            .cast(pl.Float64)
            .alias("value"),
            pl.when(pl.col("pupils_missing"))
            .then(pl.lit("missing"))
            .otherwise(pl.lit("published"))
            .alias("status"),
            pl.lit("summed").alias("method"),
        )
    )
    for name, num in (("part_eleves_ep", "pupils_ep"), ("part_eleves_repplus", "pupils_repplus")):
        ok = ~pl.col("ep_missing") & (pl.col("pupils") > 0)
        parts.append(
            g.filter(pl.col("level") != "lycee").select(
                *base,
                pl.format("educ_{}_" + name + sfx, lvl).alias("indicator_id"),
                pl.when(ok).then(100.0 * pl.col(num) / pl.col("pupils")).alias("value"),
                pl.when(ok).then(pl.col(num)).cast(pl.Float64).alias("numerator"),
                pl.when(ok).then(pl.col("pupils")).cast(pl.Float64).alias("denominator"),
                pl.when(ok).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
                pl.lit("recomputed").alias("method"),
            )
        )
    ok = pl.col("has_public_ips") & ~pl.col("ips_missing") & (pl.col("ips_den") > 0)
    parts.append(
        g.filter(pl.col("has_public_ips")).select(
            *base,
            pl.format("educ_{}_ips_moyen_public" + sfx, lvl).alias("indicator_id"),
            pl.when(ok).then(pl.col("ips_num") / pl.col("ips_den")).alias("value"),
            pl.when(ok).then(pl.col("ips_num")).alias("numerator"),
            pl.when(ok).then(pl.col("ips_den")).cast(pl.Float64).alias("denominator"),
            pl.when(ok).then(pl.lit("published")).otherwise(pl.lit("missing")).alias("status"),
            pl.lit("recomputed").alias("method"),
        )
    )
    return pl.concat(parts, how="diagonal_relaxed")


def education_observations(
    school: pl.DataFrame,
    school_qpv: pl.DataFrame,
    *,
    sha256: str,
    source_vintage: str,
    commune_geo_version: str | None = None,
) -> pl.DataFrame:
    """Education indicators in the observation shape, period = rentrée ("2022-2023", type school_year).

    Per QPV (each territory of `school_qpv`): schools inside, and schools inside or within INSEE's
    proximity distance of their level (`PROXIMITY_M`: écoles 100 m, collèges and lycées 300 m).
    Per commune (`commune_geo_version` given): the schools whose `commune_code` is that commune.
    Pupil counts are NULL (status missing) when a school of the group has no pupil count; the mean IPS
    uses public schools with a published IPS, weighted by pupils, within one IPS series.
    """
    src = pl.coalesce("ips_dataset", "effectifs_dataset", "ep_dataset").alias("src")
    s = school.filter(pl.col("level").is_not_null()).with_columns(src)
    parts = []
    qpv_keys = ["territory_kind", "territory_code", "geo_version"]
    for scope in ("inside", "near"):
        rel = school_qpv if scope == "near" else school_qpv.filter(pl.col("relation") == "inside")
        joined = rel.select(*qpv_keys, "uai", "distance_m").unique().join(s, on="uai", how="inner")
        for level in LEVELS:
            part = joined.filter(
                (pl.col("level") == level) & (pl.col("distance_m") <= PROXIMITY_M[level] + 1e-6)
            ).drop("distance_m")
            if part.height:
                parts.append(_aggregate(part, qpv_keys, _suffix(scope, level)))
    if commune_geo_version is not None:
        com = s.filter(pl.col("commune_code").is_not_null()).with_columns(
            pl.lit("commune").alias("territory_kind"),
            pl.col("commune_code").alias("territory_code"),
            pl.lit(commune_geo_version).alias("geo_version"),
        )
        if com.height:
            parts.append(_aggregate(com, qpv_keys, ""))
    if not parts:
        return empty_observations()
    obs = pl.concat(parts, how="diagonal_relaxed").with_columns(
        (pl.col("rentree").cast(pl.String) + "-" + (pl.col("rentree") + 1).cast(pl.String)).alias("period"),
        pl.lit("school_year").alias("period_type"),
        pl.lit(source_vintage).alias("source_vintage"),
        pl.lit(sha256).alias("source_sha256"),
    )
    return conform_observations(obs).sort("indicator_id", "territory_kind", "territory_code", "period")
