"""GeoParquet and GeoJSON of a contract's perimeters with their key indicators, for QGIS users.

One feature per perimeter: the contract's QPVs in the 2024 geography, the 2015 QPVs they replace (and
those that left the geography), and the signatory communes. Attributes: code, name, layer, the 2024 QPV
a 2015 perimeter belongs to, and for each key indicator its latest value, data period and status
(`<indicator>`, `<indicator>_periode`, `<indicator>_statut`).

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
from models.contracts import Contract

DEFAULT_KEY_INDICATORS = 8
LAYER_FR = {"qpv": "QPV 2024", "qpv2015": "QPV 2015", "commune": "commune signataire"}


def key_indicators(contract: Contract, catalog_ids: list[str], held_ids: list[str]) -> list[str]:
    """The contract's key indicators that the catalog knows; by default the first ones the warehouse
    holds figures for, in catalog order."""
    if contract.key_indicators:
        return [i for i in contract.key_indicators if i in catalog_ids]
    return [i for i in catalog_ids if i in set(held_ids)][:DEFAULT_KEY_INDICATORS]


def perimeters_frame(
    contract: Contract,
    *,
    territory: pl.DataFrame,
    observation: pl.DataFrame,
    indicator_ids: list[str],
    at: date,
) -> pl.DataFrame:
    """One row per perimeter with geom_wkb (Lambert-93) and the key indicators' latest figures."""
    targets = contract.territory_rows().filter(pl.col("role") != "reference")
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
    if indicator_ids:
        figs = select_figures(observation, targets, indicator_ids, at)
        for ind in indicator_ids:
            part = figs.filter(pl.col("indicator_id") == ind).select(
                "territory_kind",
                "territory_code",
                pl.col("value").alias(ind),
                pl.col("period").alias(f"{ind}_periode"),
                pl.col("status")
                .fill_null("missing")
                .replace_strict(STATUS_FR, default=pl.col("status"))
                .alias(f"{ind}_statut"),
            )
            out = out.join(part, on=["territory_kind", "territory_code"], how="left")
    return out.rename({"territory_code": "code", "territory_kind": "type", "qpv_code": "qpv_2024"}).drop(
        "role"
    )


def write_geo(frame: pl.DataFrame, out_dir: Path, stem: str) -> dict[str, Path]:
    """``<stem>.parquet`` (GeoParquet, EPSG:2154) and ``<stem>.geojson`` (EPSG:4326)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = frame.filter(pl.col("geom_wkb").is_null())["code"].to_list()
    if missing:
        raise ValueError(f"no geometry in the warehouse for {missing}")
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
