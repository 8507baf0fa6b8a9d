"""GeoParquet and GeoJSON of a contract's perimeters with their key indicators, for QGIS users.

One feature per perimeter held: the contract's QPVs in the 2024 geography (required), the 2015 QPVs
they replace and the signatory communes when their geometry is held (a 2015 QPV known only from INSEE's
files has none: it is named on its 2024 QPV instead, never required). Attributes: code, name, layer, the
2024 QPV a 2015 perimeter belongs to, and for each key indicator its latest value, data period, status
and the perimeter it was measured on (`<indicator>`, `<indicator>_periode`, `<indicator>_statut`,
`<indicator>_perimetre`). A 2024 QPV without a figure of its own shows the figure of the one 2015 QPV
it replaces, labelled « périmètre 2015 — QP061001 Les Provinces »; with several predecessors none is
chosen or summed (their own features carry them).

GeoParquet keeps Lambert-93 (EPSG:2154) as stored; GeoJSON is written in WGS84 (RFC 7946).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import geopandas as gpd
import polars as pl
import shapely

from models.baseline import STATUS_FR, select_figures
from sources.contracts import Contract

DEFAULT_KEY_INDICATORS = 8
LAYER_FR = {"qpv": "QPV 2024", "qpv2015": "QPV 2015", "commune": "commune signataire"}


def key_indicators(contract: Contract, catalog_ids: list[str], held_ids: list[str]) -> list[str]:
    """The contract's key indicators that the catalog knows; by default the first ones the warehouse
    holds figures for, in catalog order."""
    if contract.key_indicators:
        return [i for i in contract.key_indicators if i in catalog_ids]
    return [i for i in catalog_ids if i in set(held_ids)][:DEFAULT_KEY_INDICATORS]


USABLE = ("published", "estimated")


def perimeters_frame(
    contract: Contract,
    *,
    territory: pl.DataFrame,
    observation: pl.DataFrame,
    indicator_ids: list[str],
    at: date,
    predecessors: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per perimeter with geom_wkb (Lambert-93) and the key indicators' latest figures.

    ``predecessors``: the `qpv_predecessor` rows used (code_2024, code_2015); default: the contract's
    declarations."""
    targets = contract.territory_rows().filter(pl.col("role") != "reference")
    if predecessors is None:
        predecessors = targets.filter(pl.col("role") == "qpv2015").select(
            pl.col("qpv_code").alias("code_2024"), pl.col("territory_code").alias("code_2015")
        )
    predecessors = predecessors.filter(pl.col("code_2024").is_in(contract.qpv2024_codes)).select(
        "code_2024", "code_2015"
    )
    listed = set(targets.filter(pl.col("role") == "qpv2015")["territory_code"].to_list())
    extra = predecessors.filter(~pl.col("code_2015").is_in(list(listed))).select(
        pl.lit("qpv2015").alias("role"),
        pl.col("code_2024").alias("qpv_code"),
        pl.lit("qpv2015").alias("territory_kind"),
        pl.col("code_2015").alias("territory_code"),
    )
    targets = pl.concat([targets, extra.cast(targets.schema)])  # type: ignore[arg-type]
    communes = pl.DataFrame(
        {
            "role": ["commune"] * len(contract.communes),
            "qpv_code": [None] * len(contract.communes),
            "territory_kind": ["commune"] * len(contract.communes),
            "territory_code": list(contract.communes),
        },
        schema=targets.schema,
    )
    targets = pl.concat([targets, communes])
    geoms = territory.select(
        pl.col("kind").alias("territory_kind"),
        pl.col("code").alias("territory_code"),
        "name",
        "geo_version",
        "geom_wkb",
    ).unique(["territory_kind", "territory_code"], keep="first")
    out = targets.join(geoms, on=["territory_kind", "territory_code"], how="left").with_columns(
        pl.col("role").replace_strict(LAYER_FR, default=pl.col("role")).alias("couche")
    )
    names = dict(geoms.select("territory_code", "name").iter_rows())
    only_one = predecessors.group_by("code_2024").agg(pl.col("code_2015").first(), pl.len().alias("_n"))
    only_one = only_one.filter(pl.col("_n") == 1).drop("_n")
    if indicator_ids:
        figs = select_figures(observation, targets, indicator_ids, at)
        for ind in indicator_ids:
            part = figs.filter(pl.col("indicator_id") == ind).select(
                "territory_kind", "territory_code", "value", "period", "status"
            )
            own = part.with_columns(
                pl.when(pl.col("territory_kind") == "qpv2015")
                .then(pl.lit("périmètre 2015 — ") + pl.col("territory_code"))
                .when(pl.col("territory_kind") == "qpv2024")
                .then(pl.lit("périmètre 2024 — ") + pl.col("territory_code"))
                .otherwise(pl.lit("commune"))
                .alias("perimetre")
            )
            # a 2024 QPV with no usable figure of its own takes its one predecessor's, labelled
            borrowed = (
                own.filter(pl.col("territory_kind") == "qpv2015")
                .join(only_one, left_on="territory_code", right_on="code_2015")
                .with_columns(
                    pl.lit("qpv2024").alias("territory_kind"),
                    pl.col("code_2024").alias("territory_code"),
                    (
                        pl.col("perimetre")
                        + " "
                        + pl.col("perimetre").str.slice(17).replace_strict(names, default="")
                    ).str.strip_chars(),
                )
                .drop("code_2024")
                .filter(pl.col("status").is_in(USABLE))
            )
            own = own.with_columns(
                pl.when(pl.col("territory_kind") == "qpv2015")
                .then(
                    pl.col("perimetre")
                    + " "
                    + pl.col("territory_code").replace_strict(names, default="")
                )
                .otherwise(pl.col("perimetre"))
                .str.strip_chars()
                .alias("perimetre")
            )
            usable_own = own.filter(pl.col("status").is_in(USABLE))
            borrowed = borrowed.join(usable_own, on=["territory_kind", "territory_code"], how="anti")
            chosen = pl.concat([usable_own, borrowed, own.filter(~pl.col("status").is_in(USABLE))])
            chosen = chosen.unique(["territory_kind", "territory_code"], keep="first", maintain_order=True)
            chosen = chosen.select(
                "territory_kind",
                "territory_code",
                pl.col("value").alias(ind),
                pl.col("period").alias(f"{ind}_periode"),
                pl.col("status")
                .fill_null("missing")
                .replace_strict(STATUS_FR, default=pl.col("status"))
                .alias(f"{ind}_statut"),
                pl.when(pl.col("status").is_in(USABLE))
                .then(pl.col("perimetre"))
                .otherwise(None)
                .alias(f"{ind}_perimetre"),
            )
            out = out.join(chosen, on=["territory_kind", "territory_code"], how="left")
    replaced = (
        predecessors.with_columns(
            (pl.col("code_2015") + " " + pl.col("code_2015").replace_strict(names, default=""))
            .str.strip_chars()
            .alias("_label")
        )
        .group_by("code_2024")
        .agg(pl.col("_label").sort().str.join(", ").alias("remplace"))
    )
    out = out.join(replaced, left_on="territory_code", right_on="code_2024", how="left")
    return out.rename({"territory_code": "code", "territory_kind": "type", "qpv_code": "qpv_2024"}).drop(
        "role"
    )


def write_geo(frame: pl.DataFrame, out_dir: Path, stem: str) -> dict[str, Path]:
    """``<stem>.parquet`` (GeoParquet, EPSG:2154) and ``<stem>.geojson`` (EPSG:4326). A 2024 QPV
    without geometry is an error; other perimeters without one are left out (see `without_geometry`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = frame.filter(pl.col("geom_wkb").is_null() & (pl.col("type") == "qpv2024"))["code"].to_list()
    if missing:
        raise ValueError(f"no 2024 perimeter in the warehouse for {missing}")
    frame = frame.filter(pl.col("geom_wkb").is_not_null())
    geometry = shapely.from_wkb(frame["geom_wkb"].to_list())
    attrs = frame.drop("geom_wkb").to_pandas()
    gdf = gpd.GeoDataFrame(attrs, geometry=geometry, crs="EPSG:2154")
    paths = {"geoparquet": out_dir / f"{stem}.parquet", "geojson": out_dir / f"{stem}.geojson"}
    tmp = paths["geoparquet"].with_name(f".{stem}.parquet.tmp")
    gdf.to_parquet(tmp, index=False)
    os.replace(tmp, paths["geoparquet"])
    tmp = paths["geojson"].with_name(f".{stem}.geojson.tmp")
    gdf.to_crs("EPSG:4326").to_file(tmp, driver="GeoJSON", engine="pyogrio")
    os.replace(tmp, paths["geojson"])
    return paths


def without_geometry(frame: pl.DataFrame) -> list[str]:
    """Perimeters of the contract whose geometry the warehouse does not hold (left out of the files)."""
    return frame.filter(pl.col("geom_wkb").is_null())["code"].to_list()
