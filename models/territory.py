"""The `territory` and `territory_link` tables: every territory kind, both QPV geographies, and the
links from a QPV to its communes (with the share of the QPV's area in each) and up the commune →
EPCI → département → région → France chain; and `qpv_perimeters`, the QPV perimeters of that table
in the shape the models placing grid cells and schools read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import polars as pl
import shapely

from sources._faults import checkpoint

log = logging.getLogger(__name__)

TERRITORY_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "code": pl.String(),
    "name": pl.String(),
    "geo_version": pl.String(),
    "area_m2": pl.Float64(),
    "geom_wkb": pl.Binary(),
    "geom_repaired": pl.Boolean(),
    "source_sha256": pl.String(),
}

LINK_SCHEMA: dict[str, pl.DataType] = {
    "child_kind": pl.String(),
    "child_code": pl.String(),
    "child_version": pl.String(),
    "parent_kind": pl.String(),
    "parent_code": pl.String(),
    "parent_version": pl.String(),
    "area_share": pl.Float64(),  # share of the child's area inside the parent (NULL: not measured)
    "method": pl.String(),  # spatial | declared | cog | insee_lib_com (name in INSEE QPV bases)
    "declared": pl.Boolean(),  # the publisher lists this parent for the child
}

FRANCE = ("FR", "France")
FRANCE_METRO = ("FRM", "France métropolitaine")
# Below this share, a QPV/commune overlap is a digitising sliver, not a real link (unless declared).
SLIVER_SHARE = 0.005


def _union_wkb(wkbs: list[bytes | None]) -> bytes | None:
    geoms = [shapely.from_wkb(w) for w in wkbs if w is not None]
    if not geoms:
        return None
    return bytes(shapely.to_wkb(shapely.union_all(geoms)))


def _territory_rows(
    frame: pl.DataFrame, kind: str, geo_version: str, geom_of: Callable[[str], bytes | None]
) -> list[dict[str, object]]:
    """The rows of one administrative level; `geom_of` gives a territory's contour from its code."""
    return [
        {
            "kind": kind,
            "code": r["code"],
            "name": r["name"],
            "geo_version": geo_version,
            "geom_wkb": geom_of(r["code"]),
            "geom_repaired": False,
            "source_sha256": r["source_sha256"],
        }
        for r in frame.iter_rows(named=True)
    ]


def _union_of(
    members_of: dict[str, list[str]], contour_by_code: dict[str, bytes]
) -> Callable[[str], bytes | None]:
    """A territory's contour as the union of its member communes' contours."""
    return lambda code: _union_wkb([contour_by_code.get(c) for c in members_of.get(code, [])])


def build_territory(
    perimeters: pl.DataFrame,
    communes: pl.DataFrame,
    epci: pl.DataFrame,
    epci_members: pl.DataFrame,
    departements: pl.DataFrame,
    regions: pl.DataFrame,
    contours: pl.DataFrame,
    *,
    geo_version: str,
    unites_urbaines: pl.DataFrame | None = None,
    uu_members: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per territory: QPVs of both geographies, communes, EPCIs, unités urbaines,
    départements, régions, France."""
    contour_by_code = dict(zip(contours["code"].to_list(), contours["geom_wkb"].to_list(), strict=True))
    rows: list[dict[str, object]] = []
    for r in perimeters.iter_rows(named=True):
        rows.append(
            {
                "kind": r["geography"],
                "code": r["code"],
                "name": r["name"],
                "geo_version": r["geography"],
                "geom_wkb": r["geom_wkb"],
                "geom_repaired": r["geom_repaired"],
                "source_sha256": r["source_sha256"],
            }
        )
    rows += _territory_rows(communes, "commune", geo_version, contour_by_code.get)
    members = epci_members.group_by("epci").agg(pl.col("commune"))
    members_of = dict(zip(members["epci"].to_list(), members["commune"].to_list(), strict=True))
    rows += _territory_rows(epci, "epci", geo_version, _union_of(members_of, contour_by_code))
    if unites_urbaines is not None and uu_members is not None:
        uu_grouped = uu_members.group_by("unite_urbaine").agg(pl.col("commune"))
        uu_of = dict(zip(uu_grouped["unite_urbaine"].to_list(), uu_grouped["commune"].to_list(), strict=True))
        rows += _territory_rows(
            unites_urbaines, "unite_urbaine", geo_version, _union_of(uu_of, contour_by_code)
        )
    by_dep = communes.group_by("departement").agg(pl.col("code"))
    dep_communes = dict(zip(by_dep["departement"].to_list(), by_dep["code"].to_list(), strict=True))
    rows += _territory_rows(
        departements, "departement", geo_version, _union_of(dep_communes, contour_by_code)
    )
    rows += _territory_rows(regions, "region", geo_version, lambda _code: None)
    for code, name in (FRANCE, FRANCE_METRO):
        rows.append({"kind": "france", "code": code, "name": name, "geo_version": geo_version})
    checkpoint("model.territory")
    frame = pl.DataFrame(rows, schema={k: v for k, v in TERRITORY_SCHEMA.items() if k != "area_m2"})
    areas = [
        None if w is None else float(shapely.area(shapely.from_wkb(w))) for w in frame["geom_wkb"].to_list()
    ]
    return frame.with_columns(pl.Series("area_m2", areas, dtype=pl.Float64())).select(list(TERRITORY_SCHEMA))


def qpv_perimeters(territory: pl.DataFrame) -> pl.DataFrame:
    """The QPV perimeters of both geographies from the `territory` table, in the shape the models that place
    cells and schools in them expect (territory_kind, territory_code, geo_version, geom_wkb)."""
    return territory.filter(
        pl.col("kind").is_in(["qpv2024", "qpv2015"]) & pl.col("geom_wkb").is_not_null()
    ).select(
        pl.col("kind").alias("territory_kind"),
        pl.col("code").alias("territory_code"),
        "geo_version",
        "geom_wkb",
    )


def qpv_commune_links(perimeters: pl.DataFrame, contours: pl.DataFrame, *, geo_version: str) -> pl.DataFrame:
    """QPV → commune links with the share of the QPV's area in each commune.

    With commune contours: every overlap above the sliver threshold, plus every commune the publisher
    declares (even below it). Without contours for a QPV's area: the declared communes, share NULL
    (1.0 when there is only one).
    """
    rows: list[dict[str, object]] = []
    tree_geoms = np.array([shapely.from_wkb(w) for w in contours["geom_wkb"].to_list()], dtype=object)
    tree = shapely.STRtree(tree_geoms) if len(tree_geoms) else None
    codes = contours["code"].to_list()
    for r in perimeters.iter_rows(named=True):
        qpv = shapely.from_wkb(r["geom_wkb"])
        declared = set(r["commune_codes"] or [])
        found: dict[str, float] = {}
        if tree is not None:
            idx = tree.query(qpv, predicate="intersects")
            if len(idx):
                inter = shapely.area(shapely.intersection(qpv, tree_geoms[idx]))
                total = qpv.area
                for i, a in zip(idx, inter, strict=True):
                    share = float(a / total) if total else 0.0
                    if share >= SLIVER_SHARE or codes[i] in declared:
                        found[codes[i]] = share
        covered = sum(found.values())
        if found and covered >= 0.5:
            for code, share in found.items():
                rows.append(_link(r, code, geo_version, share, "spatial", code in declared))
            for code in sorted(declared - set(found)):
                log.warning("QPV %s declares commune %s, which its perimeter does not touch", r["code"], code)
                rows.append(_link(r, code, geo_version, 0.0, "spatial", True))
        else:
            for code in sorted(declared):
                rows.append(
                    _link(r, code, geo_version, 1.0 if len(declared) == 1 else None, "declared", True)
                )
    return pl.DataFrame(rows, schema=LINK_SCHEMA)


def _link(
    r: dict[str, object], commune: str, geo_version: str, share: float | None, method: str, declared: bool
) -> dict[str, object]:
    return {
        "child_kind": r["geography"],
        "child_code": r["code"],
        "child_version": r["geography"],
        "parent_kind": "commune",
        "parent_code": commune,
        "parent_version": geo_version,
        "area_share": share,
        "method": method,
        "declared": declared,
    }


def hierarchy_links(
    communes: pl.DataFrame,
    epci_members: pl.DataFrame,
    departements: pl.DataFrame,
    *,
    geo_version: str,
    uu_members: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """commune → EPCI, commune → unité urbaine, commune → département, département → région,
    département → France (and France métropolitaine)."""
    v = geo_version

    def frame(child_kind: str, parent_kind: str, pairs: pl.DataFrame) -> pl.DataFrame:
        return pairs.select(
            pl.lit(child_kind).alias("child_kind"),
            pl.col("child").alias("child_code"),
            pl.lit(v).alias("child_version"),
            pl.lit(parent_kind).alias("parent_kind"),
            pl.col("parent").alias("parent_code"),
            pl.lit(v).alias("parent_version"),
            pl.lit(1.0).alias("area_share"),
            pl.lit("cog").alias("method"),
            pl.lit(True).alias("declared"),
        )

    epci_pairs = epci_members.filter(pl.col("epci").is_not_null()).select(
        pl.col("commune").alias("child"), pl.col("epci").alias("parent")
    )
    known = set(communes["code"].to_list())
    epci_pairs = epci_pairs.filter(pl.col("child").is_in(list(known)))
    dep_pairs = communes.select(pl.col("code").alias("child"), pl.col("departement").alias("parent"))
    reg_pairs = departements.select(pl.col("code").alias("child"), pl.col("region").alias("parent"))
    fr_pairs = departements.select(pl.col("code").alias("child"), pl.lit(FRANCE[0]).alias("parent"))
    frm_pairs = departements.filter(~pl.col("code").str.starts_with("97")).select(
        pl.col("code").alias("child"), pl.lit(FRANCE_METRO[0]).alias("parent")
    )
    uu_pairs = (
        pl.DataFrame(schema={"child": pl.String(), "parent": pl.String()})
        if uu_members is None
        else uu_members.select(
            pl.col("commune").alias("child"), pl.col("unite_urbaine").alias("parent")
        ).filter(pl.col("child").is_in(list(known)))
    )
    out = pl.concat(
        [
            frame("commune", "epci", epci_pairs),
            frame("commune", "unite_urbaine", uu_pairs),
            frame("commune", "departement", dep_pairs),
            frame("departement", "region", reg_pairs),
            frame("departement", "france", fr_pairs),
            frame("departement", "france", frm_pairs),
        ]
    )
    return out.cast(LINK_SCHEMA)  # type: ignore[arg-type]
