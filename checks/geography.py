"""Checks of the geography layer: Pandera models per table, and cross-table checks.

Each cross-table check returns the offending rows (empty = pass), so that an asset check can show
them and a test can assert on them.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import shapely

from sources.territory_codes import COMMUNE_CODE, EPCI_CODE, QPV2015_CODE, QPV2024_CODE

QPV2024 = QPV2024_CODE
QPV2015 = QPV2015_CODE
COMMUNE = COMMUNE_CODE
EPCI = EPCI_CODE
DEPARTEMENT = r"^(\d{2}|2[AB]|9[78]\d)$"
REGION = r"^(\d{2}|9[78]\d)$"
CODE_PATTERNS = {
    "qpv2024": QPV2024,
    "qpv2015": QPV2015,
    "commune": COMMUNE,
    "epci": EPCI,
    "unite_urbaine": r"^[0-9A-Z]{5}$",
    "departement": DEPARTEMENT,
    "region": REGION,
    "france": r"^FRM?$",
}
KINDS = list(CODE_PATTERNS)
RELATIONS = (
    "unchanged",
    "extended",
    "reduced",
    "merged",
    "split",
    "new",
    "removed",
    "added_area",
    "dropped_area",
    "sliver",
)


class PerimeterModel(pa.DataFrameModel):
    code: str = pa.Field(str_matches=rf"{QPV2024}|{QPV2015}", unique=True)
    name: str = pa.Field(str_length={"min_value": 1})
    geography: str = pa.Field(isin=["qpv2024", "qpv2015"])
    geom_wkb: bytes = pa.Field(nullable=False)
    geom_repaired: bool


class TerritoryModel(pa.DataFrameModel):
    kind: str = pa.Field(isin=KINDS)
    code: str
    name: str = pa.Field(nullable=True)
    geo_version: str
    area_m2: float = pa.Field(nullable=True, ge=0)
    geom_wkb: bytes = pa.Field(nullable=True)
    geom_repaired: bool = pa.Field(nullable=True)

    class Config:
        unique = ["kind", "code", "geo_version"]  # noqa: RUF012 (pandera config)

    @pa.dataframe_check
    @classmethod
    def codes_match_their_kind(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expr = pl.lit(False)
        for kind, pattern in CODE_PATTERNS.items():
            expr = expr | ((pl.col("kind") == kind) & pl.col("code").str.contains(pattern))
        return data.lazyframe.select(expr)


class TerritoryLinkModel(pa.DataFrameModel):
    child_kind: str = pa.Field(isin=KINDS)
    child_code: str
    parent_kind: str = pa.Field(isin=KINDS)
    parent_code: str
    area_share: float = pa.Field(nullable=True, ge=0, le=1.000001)
    method: str = pa.Field(isin=["spatial", "declared", "cog", "insee_lib_com"])

    class Config:
        unique = ["child_kind", "child_code", "child_version", "parent_kind", "parent_code", "parent_version"]  # noqa: RUF012


class CrosswalkModel(pa.DataFrameModel):
    code_2015: str = pa.Field(nullable=True, str_matches=QPV2015)
    code_2024: str = pa.Field(nullable=True, str_matches=QPV2024)
    overlap_m2: float = pa.Field(ge=0)
    share_of_2015: float = pa.Field(nullable=True, ge=0, le=1.000001)
    share_of_2024: float = pa.Field(nullable=True, ge=0, le=1.000001)
    relation: str = pa.Field(isin=list(RELATIONS))


class SourceFileModel(pa.DataFrameModel):
    sha256: str = pa.Field(str_matches=r"^[0-9a-f]{64}$", unique=True)
    dataset: str
    url: str
    size_bytes: int = pa.Field(ge=0)


def qpvs_without_commune(territory: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """QPVs with no link to a commune that exists in `territory`."""
    communes = territory.filter(pl.col("kind") == "commune").select(pl.col("code").alias("parent_code"))
    linked = (
        links.filter(pl.col("parent_kind") == "commune")
        .join(communes, on="parent_code", how="inner")
        .select(pl.col("child_kind").alias("kind"), pl.col("child_code").alias("code"))
        .unique()
    )
    qpvs = territory.filter(pl.col("kind").is_in(["qpv2024", "qpv2015"])).select("kind", "code", "name")
    return qpvs.join(linked, on=["kind", "code"], how="anti")


def links_to_unknown_communes(territory: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Links whose commune code is not in the COG of this build (e.g. a commune merged since)."""
    communes = territory.filter(pl.col("kind") == "commune").select(pl.col("code").alias("parent_code"))
    return links.filter(pl.col("parent_kind") == "commune").join(communes, on="parent_code", how="anti")


def invalid_or_repaired_geometries(territory: pl.DataFrame) -> pl.DataFrame:
    """Territories whose geometry is invalid now, or was repaired on the way in (warned, never silent)."""
    with_geom = territory.filter(pl.col("geom_wkb").is_not_null())
    valid = shapely.is_valid(shapely.from_wkb(with_geom["geom_wkb"].to_numpy()))
    return (
        with_geom.with_columns(pl.Series("valid", valid))
        .filter(~pl.col("valid") | pl.col("geom_repaired").fill_null(False))
        .select("kind", "code", "name", "valid", "geom_repaired")
    )


def crosswalk_share_sums(crosswalk: pl.DataFrame, tolerance: float = 1e-3) -> pl.DataFrame:
    """QPVs whose crosswalk shares do not sum to 1 (± tolerance)."""
    s24 = (
        crosswalk.filter(pl.col("code_2024").is_not_null())
        .group_by("code_2024")
        .agg(pl.col("share_of_2024").sum().alias("total"))
        .select(pl.lit("qpv2024").alias("geography"), pl.col("code_2024").alias("code"), "total")
    )
    s15 = (
        crosswalk.filter(pl.col("code_2015").is_not_null())
        .group_by("code_2015")
        .agg(pl.col("share_of_2015").sum().alias("total"))
        .select(pl.lit("qpv2015").alias("geography"), pl.col("code_2015").alias("code"), "total")
    )
    return pl.concat([s24, s15]).filter((pl.col("total") - 1).abs() > tolerance)


def malformed_codes(territory: pl.DataFrame) -> pl.DataFrame:
    expr = pl.lit(False)
    for kind, pattern in CODE_PATTERNS.items():
        expr = expr | ((pl.col("kind") == kind) & pl.col("code").str.contains(pattern))
    return territory.filter(~expr).select("kind", "code", "name")


class CorrespondenceModel(pa.DataFrameModel):
    """ANCT's correspondence list: codes of their geography, one row per (2024, 2015) pair."""

    code_2024: str = pa.Field(str_matches=QPV2024_CODE)
    name_2024: str = pa.Field(nullable=True)
    status: str = pa.Field(nullable=True)
    code_2015: str = pa.Field(nullable=True, str_matches=QPV2015_CODE)
    name_2015: str = pa.Field(nullable=True)
    rank: pl.Int32 = pa.Field(nullable=True, ge=1, le=3)
    source_row: pl.Int32 = pa.Field(ge=2)
    source_sha256: str
