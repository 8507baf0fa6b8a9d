"""Schools: the `school` table (UAI × rentrée), its placement in QPV perimeters (`school_qpv`), and the
education indicators per QPV and per commune in the long observation shape.

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

import numpy as np
import polars as pl
import shapely

from models.observation import INDICATOR_SCHEMA, conform_observations, empty_observations

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

SCHOOL_QPV_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "geo_version": pl.String(),
    "relation": pl.String(),  # inside | near
    "distance_m": pl.Float64(),  # 0 inside; else the distance to the polygon's edge
    "coord_status": pl.String(),  # ok | imprecise (imprecise points are placed, and say so)
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
        df = df.join(
            ips_all.select(
                "uai",
                "rentree",
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
            ),
            on=["uai", "rentree"],
            how="left",
        )
    if eff is not None:
        df = df.join(
            eff.select(
                "uai",
                "rentree",
                pl.col("name").alias("e_name"),
                pl.col("level").alias("e_level"),
                pl.col("sector").alias("e_sector"),
                pl.col("rep").alias("e_rep"),
                pl.col("rep_plus").alias("e_rep_plus"),
                pl.col("pupils").alias("e_pupils"),
                pl.col("source_dataset").alias("effectifs_dataset"),
            ),
            on=["uai", "rentree"],
            how="left",
        )
    if ep_all is not None:
        df = df.join(
            ep_all.select(
                "uai",
                "rentree",
                pl.col("ep_status").alias("l_ep"),
                pl.col("name").alias("l_name"),
                pl.col("establishment_type").alias("l_type"),
                pl.col("commune_code").alias("l_commune"),
                pl.col("source_dataset").alias("ep_dataset"),
            ),
            on=["uai", "rentree"],
            how="left",
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
        df = df.join(
            iva_all.select(
                "uai",
                "rentree",
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
            ),
            on=["uai", "rentree"],
            how="left",
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


def unplaced_schools(school: pl.DataFrame) -> pl.DataFrame:
    """Schools (one row per UAI) that `conform_schools` cannot place, with the reason."""
    return (
        school.filter(~pl.col("coord_status").is_in(PLACEABLE) | pl.col("x_l93").is_null())
        .group_by("uai")
        .agg(
            pl.col("name").last(),
            pl.col("commune_code").last(),
            pl.col("level").last(),
            pl.col("coord_status").last(),
            pl.col("lon").last(),
            pl.col("lat").last(),
        )
        .with_columns(
            pl.when(pl.col("coord_status").is_in(PLACEABLE))
            .then(pl.lit("outside metropolitan France: no Lambert-93 perimeter"))
            .otherwise(pl.col("coord_status"))
            .alias("reason")
        )
        .sort("uai")
    )


def conform_schools(school: pl.DataFrame, perimeters: pl.DataFrame, near_m: float = 300.0) -> pl.DataFrame:
    """`school_qpv`: each placeable school against each perimeter within `near_m` metres.

    relation `inside` (point in or on the polygon, distance 0) or `near` (outside, true distance to the
    polygon ≤ `near_m`, the bound included). All in Lambert-93, with shapely (GEOS): the candidate pairs
    come from the perimeters' bounding boxes widened by `near_m` (a sort of the points on x, no spatial
    index to build) and are kept if the distance to the box is ≤ `near_m`; then one vectorised
    point-in-polygon test (`intersects_xy` on prepared polygons) for the points in the box, and one true
    distance (to the polygon's rings) for every candidate left outside.
    `perimeters`: territory_kind, territory_code, geo_version, geom_wkb (WKB, EPSG:2154).
    """
    if near_m < 0:
        raise ValueError("near_m must be ≥ 0")
    # The last placeable row of each UAI (a point with no y is never near anything).
    points = (
        school.select("uai", "x_l93", "y_l93", "coord_status")
        .filter(pl.col("coord_status").is_in(PLACEABLE) & pl.col("x_l93").is_not_null())
        .unique(subset="uai", keep="last")
        .filter(pl.col("y_l93").is_not_null())
    )
    if points.height == 0 or perimeters.height == 0:
        return pl.DataFrame(schema=SCHOOL_QPV_SCHEMA)
    x = points["x_l93"].to_numpy()
    y = points["y_l93"].to_numpy()
    geoms = shapely.from_wkb(perimeters["geom_wkb"].to_numpy())
    bounds = shapely.bounds(geoms)
    gi, pi = _bbox_candidates(bounds, x, y, float(near_m))
    # Distance to the bounding box: a lower bound of the distance to the polygon (0 only in the box).
    dx = np.maximum(np.maximum(bounds[gi, 0] - x[pi], x[pi] - bounds[gi, 2]), 0.0)
    dy = np.maximum(np.maximum(bounds[gi, 1] - y[pi], y[pi] - bounds[gi, 3]), 0.0)
    box_distance = np.hypot(dx, dy)
    close = box_distance <= near_m + 1e-6
    gi, pi, in_box = gi[close], pi[close], box_distance[close] == 0.0
    shapely.prepare(geoms)
    inside = np.zeros(len(gi), dtype=bool)
    inside[in_box] = shapely.intersects_xy(geoms[gi[in_box]], x[pi[in_box]], y[pi[in_box]])
    # Outside, the distance to the polygon is the distance to its rings (no point-in-polygon test again).
    out = ~inside
    rings = np.empty(len(geoms), dtype=object)
    used = np.unique(gi[out])
    rings[used] = shapely.boundary(geoms[used])
    distance = np.zeros(len(gi), dtype=np.float64)
    distance[out] = shapely.distance(rings[gi[out]], shapely.points(x[pi[out]], y[pi[out]]))
    keep = inside | (distance <= near_m)
    gi, pi, inside, distance = gi[keep], pi[keep], inside[keep], distance[keep]
    rel = pl.concat(
        [
            points.select("uai", "coord_status")[pi],
            perimeters.select("territory_kind", "territory_code", "geo_version")[gi],
            pl.DataFrame(
                {
                    "relation": pl.Series(["near", "inside"]).gather(inside.astype(np.int64)),
                    "distance_m": distance,
                }
            ),
        ],
        how="horizontal",
    )
    return rel.select(pl.col(c).cast(t) for c, t in SCHOOL_QPV_SCHEMA.items()).sort(
        "geo_version", "territory_code", "uai"
    )


def _bbox_candidates(
    bounds: np.ndarray, x: np.ndarray, y: np.ndarray, near: float
) -> tuple[np.ndarray, np.ndarray]:
    """(polygon index, point index) of the points inside each bounding box (rows of `bounds`: minx, miny,
    maxx, maxy; NaN for a missing or empty geometry) widened by `near` plus a metre of slack: a superset
    of the pairs within `near` of each other. Points sorted on x, each box a searchsorted range."""
    valid = ~np.isnan(bounds).any(axis=1)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    pad = near + 1.0
    lo = np.searchsorted(xs, bounds[:, 0] - pad, side="left")
    hi = np.searchsorted(xs, bounds[:, 2] + pad, side="right")
    count = np.where(valid, hi - lo, 0)
    gi = np.repeat(np.arange(len(bounds)), count)
    starts = np.cumsum(count) - count
    pi = order[lo[gi] + np.arange(len(gi)) - starts[gi]]
    yi = y[pi]
    keep = (yi >= bounds[gi, 1] - pad) & (yi <= bounds[gi, 3] + pad)
    return gi[keep], pi[keep]


# ----------------------------------------------------------------------------------------------------
# Indicators
# ----------------------------------------------------------------------------------------------------

_LEVEL_FR = {"ecole": "écoles", "college": "collèges", "lycee": "lycées"}


# `school_qpv` keeps every school within this distance of every QPV perimeter, whatever a user later
# calls « near »: inside, 100 m, 300 m and 1 km are views and command options, never build settings.
SCHOOL_QPV_RADIUS_M = 1000.0
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
