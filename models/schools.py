"""Schools: the `school` table (UAI × rentrée) from the staged Éducation nationale files (their placement
in QPV perimeters: models/school_conformance.py; the indicators: models/education_indicators.py).

Pure functions over the staged frames of `sources.education_*`. Rules:
- IPS values are compared and averaged only within one series (`ips_series`: legacy / ap2022 / ap2023);
  an aggregate that would mix series raises.
- A school is placed only if its coordinates are usable (`coord_status` ok or imprecise, in Lambert-93);
  the others are listed by `unplaced_schools`, never dropped silently nor moved.
- "near" is the true distance from the point to the polygon (shapely/GEOS `distance` in EPSG:2154), not
  to its centroid.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

LEVELS = ("ecole", "college", "lycee")
SERIES_ORDER = ("legacy", "ap2022", "ap2023")
EP_STATUSES = ("REP", "REP+", "hors EP", "prive")
PLACEABLE = ("ok", "imprecise")

SCHOOL_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "rentree": pl.Int32(),
    "rentree_label": pl.String(),
    "name": pl.String(),
    "commune_code": pl.String(),
    "level": pl.String(),  # ecole | college | lycee
    "sector": pl.String(),  # public | prive
    "ep_status": pl.String(),  # REP | REP+ | hors EP | prive | NULL (unknown)
    "ep_source": pl.String(),  # ep_list | effectifs | annuaire | ep_list_absence
    "ips": pl.Float64(),
    "ips_status": pl.String(),  # published | suppressed | NULL (no IPS row)
    "ips_ecart_type": pl.Float64(),
    "ips_series": pl.String(),  # legacy | ap2022 | ap2023: never compare across
    "ips_departemental": pl.Float64(),
    "ips_academique": pl.Float64(),
    "ips_national": pl.Float64(),
    "lycee_type": pl.String(),
    "iva_session": pl.Int32(),
    "iva_taux_de_reussite_g": pl.Float64(),
    "iva_va_du_taux_de_reussite_g": pl.Float64(),
    "iva_note_a_l_ecrit_g": pl.Float64(),
    "iva_va_de_la_note_g": pl.Float64(),
    "iva_taux_d_acces_6eme_3eme": pl.Float64(),
    "pupils": pl.Int64(),
    "pupils_source": pl.String(),  # effectifs | ips
    "x_l93": pl.Float64(),
    "y_l93": pl.Float64(),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "coord_status": pl.String(),  # ok | missing | imprecise | out_of_bounds | swapped
    "coord_precision": pl.String(),
    "ips_dataset": pl.String(),
    "effectifs_dataset": pl.String(),
    "ep_dataset": pl.String(),
    "directory_dataset": pl.String(),
    "iva_dataset": pl.String(),
}


def _concat(frames: pl.DataFrame | Sequence[pl.DataFrame] | None) -> pl.DataFrame | None:
    if frames is None:
        return None
    if isinstance(frames, pl.DataFrame):
        return frames
    frames = [f for f in frames if f.height or f.width]
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def pick_directory(directories: pl.DataFrame | Sequence[pl.DataFrame]) -> pl.DataFrame:
    """One directory row per UAI: earlier frames first, then open, usable coordinates, latest update."""
    frames = [directories] if isinstance(directories, pl.DataFrame) else list(directories)
    ranked = pl.concat(
        [f.with_columns(pl.lit(k).alias("_prio")) for k, f in enumerate(frames)], how="diagonal_relaxed"
    )
    coord_rank = pl.col("coord_status").replace_strict(
        {"ok": 0, "imprecise": 1, "swapped": 2, "out_of_bounds": 3, "missing": 4},
        default=5,
        return_dtype=pl.Int32,
    )
    return (
        ranked.with_columns(
            (pl.col("etat").str.to_uppercase().fill_null("") != "OUVERT").alias("_closed"),
            coord_rank.alias("_coord"),
        )
        .sort(
            ["_prio", "_closed", "_coord", "date_maj_ligne", "source_row"],
            descending=[False, False, False, True, False],
            nulls_last=True,
        )
        .unique("uai", keep="first", maintain_order=True)
        .drop("_prio", "_closed", "_coord")
    )


def _join_yearly(df: pl.DataFrame, frame: pl.DataFrame, *columns: str | pl.Expr) -> pl.DataFrame:
    """`df` with `columns` of a yearly source frame, matched on UAI × rentrée (left join)."""
    return df.join(frame.select("uai", "rentree", *columns), on=["uai", "rentree"], how="left")


def build_school(
    ips: pl.DataFrame | Sequence[pl.DataFrame],
    directory: pl.DataFrame | Sequence[pl.DataFrame] | None = None,
    ep: pl.DataFrame | Sequence[pl.DataFrame] | None = None,
    effectifs: pl.DataFrame | Sequence[pl.DataFrame] | None = None,
    iva: pl.DataFrame | Sequence[pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """The `school` table: one row per UAI × rentrée found in the IPS, effectifs or EP frames.

    `directory` (annuaire and/or geolocation frames, first wins) gives location and fills name, level and
    sector when no yearly source does. EP status: the REP list of that rentrée, else the effectifs
    rep/rep_plus flags, else the annuaire (a current snapshot), else "hors EP" for a public school of a
    département the REP list of that rentrée covers; private schools are "prive".
    Raises ValueError if two IPS frames give the same UAI × rentrée.
    """
    ips_all = _concat(ips)
    eff = _concat(effectifs)
    ep_all = _concat(ep)
    iva_all = _concat(iva)
    keys: list[pl.DataFrame] = []
    if ips_all is not None:
        dup = (
            ips_all.group_by("uai", "rentree")
            .agg(pl.col("source_dataset").unique().sort(), pl.len())
            .filter(pl.col("len") > 1)
        )
        if dup.height:
            r = dup.row(0, named=True)
            raise ValueError(
                f"UAI {r['uai']} rentrée {r['rentree']} has an IPS in several frames {r['source_dataset']}: "
                "pass each dataset once and never mix series for one rentrée"
            )
        keys.append(ips_all.select("uai", "rentree"))
    if eff is not None:
        dup = eff.group_by("uai", "rentree").len().filter(pl.col("len") > 1)
        if dup.height:
            raise ValueError(f"effectifs: UAI {dup['uai'][0]} twice for rentrée {dup['rentree'][0]}")
        keys.append(eff.select("uai", "rentree"))
    if ep_all is not None:
        ep_all = ep_all.unique(["uai", "rentree"], keep="first", maintain_order=True)
        keys.append(ep_all.select("uai", "rentree"))
    if not keys:
        return pl.DataFrame(schema=SCHOOL_SCHEMA)
    spine = pl.concat(keys).unique().sort("uai", "rentree")

    df = spine
    if ips_all is not None:
        df = _join_yearly(
            df,
            ips_all,
            pl.col("name").alias("i_name"),
            pl.col("commune_code").alias("i_commune"),
            pl.col("level").alias("i_level"),
            pl.col("sector").alias("i_sector"),
            "ips",
            "ips_status",
            pl.col("ips_ecart_type"),
            "ips_series",
            "ips_departemental",
            "ips_academique",
            "ips_national",
            "lycee_type",
            pl.col("pupils").alias("i_pupils"),
            pl.col("source_dataset").alias("ips_dataset"),
        )
    if eff is not None:
        df = _join_yearly(
            df,
            eff,
            pl.col("name").alias("e_name"),
            pl.col("level").alias("e_level"),
            pl.col("sector").alias("e_sector"),
            pl.col("rep").alias("e_rep"),
            pl.col("rep_plus").alias("e_rep_plus"),
            pl.col("pupils").alias("e_pupils"),
            pl.col("source_dataset").alias("effectifs_dataset"),
        )
    if ep_all is not None:
        df = _join_yearly(
            df,
            ep_all,
            pl.col("ep_status").alias("l_ep"),
            pl.col("name").alias("l_name"),
            pl.col("establishment_type").alias("l_type"),
            pl.col("commune_code").alias("l_commune"),
            pl.col("source_dataset").alias("ep_dataset"),
        )
        coverage = ep_all.select("rentree", pl.col("uai").str.slice(0, 3).alias("_dep")).unique()
        df = df.join(
            coverage.with_columns(pl.lit(True).alias("l_covers")),
            left_on=["rentree", pl.col("uai").str.slice(0, 3)],
            right_on=["rentree", "_dep"],
            how="left",
        )
    if directory is not None:
        d = pick_directory(directory)
        df = df.join(
            d.select(
                "uai",
                pl.col("name").alias("d_name"),
                pl.col("commune_code").alias("d_commune"),
                pl.col("level").alias("d_level"),
                pl.col("sector").alias("d_sector"),
                pl.col("ep_membership").alias("d_ep"),
                "x_l93",
                "y_l93",
                "lon",
                "lat",
                "coord_status",
                "coord_precision",
                pl.col("source_dataset").alias("directory_dataset"),
            ),
            on="uai",
            how="left",
        )
    if iva_all is not None:
        df = _join_yearly(
            df,
            iva_all,
            pl.col("session").alias("iva_session"),
            *(
                pl.col(c).alias(f"iva_{c}")
                for c in (
                    "taux_de_reussite_g",
                    "va_du_taux_de_reussite_g",
                    "note_a_l_ecrit_g",
                    "va_de_la_note_g",
                    "taux_d_acces_6eme_3eme",
                )
            ),
            pl.col("source_dataset").alias("iva_dataset"),
        )

    def col(name: str, dtype: pl.DataType | None = None) -> pl.Expr:
        return pl.col(name) if name in df.columns else pl.lit(None, dtype=dtype or pl.String())

    ep_level = (
        pl.when(col("l_type").str.to_uppercase().str.starts_with("COLLEGE"))
        .then(pl.lit("college"))
        .when(col("l_type").str.to_uppercase().str.starts_with("ECOLE"))
        .then(pl.lit("ecole"))
    )
    df = df.with_columns(
        pl.coalesce(col("i_name"), col("e_name"), col("d_name"), col("l_name")).alias("name"),
        pl.coalesce(col("i_commune"), col("d_commune"), col("l_commune")).alias("commune_code"),
        pl.coalesce(col("i_level"), col("e_level"), col("d_level"), ep_level).alias("level"),
        pl.coalesce(
            col("i_sector"),
            col("e_sector"),
            col("d_sector"),
            pl.when(col("l_ep").is_not_null()).then(
                pl.lit("public")
            ),  # the REP lists hold public schools only
        ).alias("sector"),
        (pl.col("rentree").cast(pl.String) + "-" + (pl.col("rentree") + 1).cast(pl.String)).alias(
            "rentree_label"
        ),
    )
    eff_ep = (
        pl.when(col("e_rep_plus", pl.Boolean()))
        .then(pl.lit("REP+"))
        .when(col("e_rep", pl.Boolean()))
        .then(pl.lit("REP"))
        .when(col("e_rep", pl.Boolean()).is_not_null() & col("e_rep_plus", pl.Boolean()).is_not_null())
        .then(pl.lit("hors EP"))
    )
    absent = pl.when(col("l_covers", pl.Boolean()).fill_null(False)).then(pl.lit("hors EP"))
    df = df.with_columns(
        pl.when(pl.col("sector") == "prive")
        .then(pl.lit("prive"))
        .otherwise(pl.coalesce(col("l_ep"), eff_ep, absent, col("d_ep")))
        .alias("ep_status"),
        pl.when(pl.col("sector") == "prive")
        .then(pl.lit("sector"))
        .when(col("l_ep").is_not_null())
        .then(pl.lit("ep_list"))
        .when(eff_ep.is_not_null())
        .then(pl.lit("effectifs"))
        .when(absent.is_not_null())
        .then(pl.lit("ep_list_absence"))
        .when(col("d_ep").is_not_null())
        .then(pl.lit("annuaire"))
        .alias("ep_source"),
        pl.coalesce(col("e_pupils", pl.Int64()), col("i_pupils", pl.Int64())).alias("pupils"),
        pl.when(col("e_pupils", pl.Int64()).is_not_null())
        .then(pl.lit("effectifs"))
        .when(col("i_pupils", pl.Int64()).is_not_null())
        .then(pl.lit("ips"))
        .alias("pupils_source"),
        col("coord_status").fill_null("missing").alias("coord_status"),
    )
    return df.select(
        (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c) for c, t in SCHOOL_SCHEMA.items()
    ).sort("uai", "rentree")


def last_per_uai(school: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """One row per UAI (in no set order) with `columns` taken from its last row: what lists of schools
    say of each."""
    return school.group_by("uai").agg(pl.col(c).last() for c in columns)


def unplaced_schools(school: pl.DataFrame) -> pl.DataFrame:
    """Schools (one row per UAI) that `conform_schools` cannot place, with the reason."""
    return (
        last_per_uai(
            school.filter(~pl.col("coord_status").is_in(PLACEABLE) | pl.col("x_l93").is_null()),
            ["name", "commune_code", "level", "coord_status", "lon", "lat"],
        )
        .with_columns(
            pl.when(pl.col("coord_status").is_in(PLACEABLE))
            .then(pl.lit("outside metropolitan France: no Lambert-93 perimeter"))
            .otherwise(pl.col("coord_status"))
            .alias("reason")
        )
        .sort("uai")
    )


