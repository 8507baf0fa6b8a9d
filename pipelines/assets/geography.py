"""Geography assets: QPV perimeters of both geographies, the COG, EPCIs, contours; then the
`territory`, `territory_link` and `qpv_crosswalk` tables."""

from __future__ import annotations

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetIn,
    AssetOut,
    MetadataValue,
    Output,
    asset,
    asset_check,
    get_dagster_logger,
    multi_asset,
)

from checks import geography as checks
from models.crosswalk import build_crosswalk
from models.predecessors import build_predecessors, replaces_conflicts
from models.territory import build_territory, hierarchy_links, qpv_commune_links
from pipelines.assets.check_report import offenders, preview
from pipelines.resources import Obtained, SourcesResource
from sources import cog
from sources._errors import SourceFormatError
from sources.qpv_correspondence import SCHEMA as CORRESPONDENCE_SCHEMA
from sources.qpv_correspondence import read_correspondence
from sources.qpv_perimeters import read_perimeters

GROUP = "geography"


def _latest(obtained: list[Obtained]) -> Obtained:
    """One COG vintage per warehouse: the latest given."""
    return max(obtained, key=lambda o: o.layout.vintage)


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return preview(frame, n)


@asset(group_name=GROUP, compute_kind="polars")
def stg_qpv_perimeters(sources: SourcesResource) -> pl.DataFrame:
    """QPV perimeters, 2024 geography (ANCT GeoJSON, décret 2023-1314) and 2015 geography (ANCT
    shapefile, décret 2014-1750), one row per QPV, geometry reprojected to Lambert-93."""
    frames = []
    for geography in ("qpv2024", "qpv2015"):
        for ob in sources.obtain(geography):
            frames.append(
                read_perimeters(
                    ob.file.path,
                    geography=geography,
                    sha256=ob.file.sha256,
                    member=ob.member,
                    display_name=ob.file.url,
                )
            )
    if not frames:
        raise SourceFormatError("(all sources)", "no QPV perimeter file of either geography was given")
    frame = pl.concat(frames)
    dupes = frame.filter(pl.col("code").is_duplicated())["code"].unique().to_list()
    if dupes:
        raise SourceFormatError("(QPV perimeter files)", f"QPV codes given by two files: {dupes}")
    return checks.PerimeterModel.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def stg_communes(sources: SourcesResource) -> pl.DataFrame:
    """Current communes of the COG (INSEE v_commune CSV, or Etalab's découpage administratif JSON)."""
    ob = _latest(sources.obtain("cog_communes", required=True))
    if ob.layout.form == "etalab_json":
        frame = cog.read_etalab_communes(ob.file.path, sha256=ob.file.sha256)
    else:
        frame = cog.read_insee_communes(ob.file.path, sha256=ob.file.sha256)
    return frame.with_columns(pl.lit(f"cog{ob.layout.vintage}").alias("geo_version"))


@multi_asset(
    group_name=GROUP,
    compute_kind="polars",
    outs={"stg_epci": AssetOut(), "stg_epci_members": AssetOut()},
)
def stg_epci(sources: SourcesResource) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """EPCIs and their member communes (INSEE EPCI_au_01-01-YYYY.xlsx, or Etalab epci.json)."""
    ob = _latest(sources.obtain("cog_epci", required=True))
    if ob.layout.form == "etalab_json":
        epci, members = cog.read_etalab_epci(ob.file.path, sha256=ob.file.sha256)
    else:
        epci, members = cog.read_insee_epci(ob.file.path, sha256=ob.file.sha256, member=ob.member)
    return Output(epci, output_name="stg_epci"), Output(members, output_name="stg_epci_members")


@multi_asset(
    group_name=GROUP,
    compute_kind="polars",
    outs={"stg_unites_urbaines": AssetOut(), "stg_uu_members": AssetOut()},
)
def stg_unites_urbaines(sources: SourcesResource) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """Unités urbaines 2020 and their communes (INSEE UU2020_au_01-01-YYYY.xlsx); optional."""
    obtained = sources.obtain("cog_unites_urbaines")
    if not obtained:
        uu = pl.DataFrame(schema=cog.UU_SCHEMA)
        members = pl.DataFrame(schema={"commune": pl.String(), "unite_urbaine": pl.String()})
    else:
        ob = _latest(obtained)
        uu, members = cog.read_insee_unites_urbaines(ob.file.path, sha256=ob.file.sha256, member=ob.member)
    return Output(uu, output_name="stg_unites_urbaines"), Output(members, output_name="stg_uu_members")


@asset(group_name=GROUP, compute_kind="polars")
def stg_departements(sources: SourcesResource) -> pl.DataFrame:
    """Départements of the COG (INSEE v_departement CSV or Etalab departements.json)."""
    ob = _latest(sources.obtain("cog_departements", required=True))
    reader = cog.read_etalab_departements if ob.layout.form == "etalab_json" else cog.read_insee_departements
    return reader(ob.file.path, sha256=ob.file.sha256)


@asset(group_name=GROUP, compute_kind="polars")
def stg_regions(sources: SourcesResource) -> pl.DataFrame:
    """Régions of the COG (INSEE v_region CSV or Etalab regions.json)."""
    ob = _latest(sources.obtain("cog_regions", required=True))
    reader = cog.read_etalab_regions if ob.layout.form == "etalab_json" else cog.read_insee_regions
    return reader(ob.file.path, sha256=ob.file.sha256)


@asset(group_name=GROUP, compute_kind="polars")
def stg_commune_contours(sources: SourcesResource) -> pl.DataFrame:
    """Commune contours (Etalab contours administratifs from IGN ADMIN EXPRESS), Lambert-93; optional
    with local files: without them, QPV → commune links fall back to the communes the QPV file lists."""
    frames = [
        cog.read_commune_contours(ob.file.path, sha256=ob.file.sha256)
        for ob in sources.obtain("commune_contours")
    ]
    if not frames:
        return pl.DataFrame(schema=cog.CONTOURS_SCHEMA)
    return pl.concat(frames).unique(subset="code", keep="first", maintain_order=True)


@asset(group_name=GROUP, compute_kind="polars")
def territory(
    stg_qpv_perimeters: pl.DataFrame,
    stg_communes: pl.DataFrame,
    stg_epci: pl.DataFrame,
    stg_epci_members: pl.DataFrame,
    stg_departements: pl.DataFrame,
    stg_regions: pl.DataFrame,
    stg_commune_contours: pl.DataFrame,
    stg_unites_urbaines: pl.DataFrame,
    stg_uu_members: pl.DataFrame,
) -> pl.DataFrame:
    """Every territory: QPVs of both geographies, communes, EPCIs, unités urbaines, départements,
    régions, France; geometry in Lambert-93. From the staged perimeters, COG, UU2020 and contours."""
    geo_version = stg_communes["geo_version"][0]
    frame = build_territory(
        stg_qpv_perimeters,
        stg_communes.drop("geo_version"),
        stg_epci,
        stg_epci_members,
        stg_departements,
        stg_regions,
        stg_commune_contours,
        geo_version=geo_version,
        unites_urbaines=stg_unites_urbaines,
        uu_members=stg_uu_members,
    )
    return checks.TerritoryModel.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def territory_link(
    stg_qpv_perimeters: pl.DataFrame,
    stg_communes: pl.DataFrame,
    stg_epci_members: pl.DataFrame,
    stg_departements: pl.DataFrame,
    stg_commune_contours: pl.DataFrame,
    stg_uu_members: pl.DataFrame,
) -> pl.DataFrame:
    """QPV → commune links (share of the QPV's area in each commune, measured on the contours) and the
    commune → EPCI → département → région → France chain."""
    geo_version = stg_communes["geo_version"][0]
    frame = pl.concat(
        [
            qpv_commune_links(stg_qpv_perimeters, stg_commune_contours, geo_version=geo_version),
            hierarchy_links(
                stg_communes,
                stg_epci_members,
                stg_departements,
                geo_version=geo_version,
                uu_members=stg_uu_members,
            ),
        ]
    )
    return checks.TerritoryLinkModel.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def qpv_crosswalk(stg_qpv_perimeters: pl.DataFrame) -> pl.DataFrame:
    """Every QPV 2015 × QPV 2024 overlap, with areas, shares and the relation (unchanged, extended,
    reduced, merged, split, new, removed), measured on the ANCT perimeters."""
    return checks.CrosswalkModel.validate(build_crosswalk(stg_qpv_perimeters))


@asset(group_name=GROUP, compute_kind="polars")
def qpv_correspondence(sources: SourcesResource) -> pl.DataFrame:
    """ANCT's correspondence list QPV 2024 ↔ QPV 2015 (`liste-correspondance-qp2024-qp2015.csv`), one
    row per (2024, 2015) pair; empty when no such file is given (it has no known stable URL)."""
    frames = [
        read_correspondence(ob.file.path, sha256=ob.file.sha256, display_name=ob.file.url)
        for ob in sources.obtain("qpv_correspondence", required=False)
    ]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=CORRESPONDENCE_SCHEMA)
    dupes = frame.filter(pl.struct("code_2024", "code_2015").is_duplicated())
    if dupes.height:
        raise SourceFormatError("(correspondence files)", f"pairs given twice: {dupes.head(3).rows()}")
    return checks.CorrespondenceModel.validate(frame)


@asset(group_name=GROUP, compute_kind="polars", ins={"contract_qpv": AssetIn("contract_qpv")})
def qpv_predecessor(
    qpv_crosswalk: pl.DataFrame, qpv_correspondence: pl.DataFrame, contract_qpv: pl.DataFrame
) -> pl.DataFrame:
    """The 2015 QPVs each 2024 QPV replaces, every piece of evidence a row: ANCT's correspondence list
    (`qpv_correspondence`, when given), the measured overlap of the perimeters (`qpv_crosswalk`),
    the contracts' declarations (`contract_qpv`); `used` marks the most authoritative basis held."""
    frame = build_predecessors(qpv_crosswalk, qpv_correspondence, contract_qpv)
    for message in replaces_conflicts(frame, contract_qpv):
        get_dagster_logger().warning(message)
    return frame


@asset_check(
    asset=territory_link,
    additional_ins={"territory": AssetIn("territory")},
    blocking=True,
    description="Every QPV links to ≥ 1 commune of the COG",
)
def every_qpv_has_a_commune(territory: pl.DataFrame, territory_link: pl.DataFrame) -> AssetCheckResult:
    orphans = checks.qpvs_without_commune(territory, territory_link)
    unknown = checks.links_to_unknown_communes(territory, territory_link)
    codes = pl.concat([orphans.select("code"), unknown.select(pl.col("child_code").alias("code"))])
    return offenders({"qpv_without_commune": orphans, "links_to_unknown_communes": unknown}, codes, n=20)


@asset_check(asset=territory, blocking=True, description="Codes match the pattern of their kind")
def territory_codes_match_patterns(territory: pl.DataFrame) -> AssetCheckResult:
    bad = checks.malformed_codes(territory)
    return offenders({"malformed": bad}, bad, n=20)


@asset_check(asset=territory, description="Geometries valid; any repaired on the way in is reported")
def territory_geometries_valid(territory: pl.DataFrame) -> AssetCheckResult:
    bad = checks.invalid_or_repaired_geometries(territory)
    invalid = bad.filter(~pl.col("valid"))
    return AssetCheckResult(
        passed=bad.is_empty(),
        severity=AssetCheckSeverity.ERROR if not invalid.is_empty() else AssetCheckSeverity.WARN,
        metadata={
            "invalid": invalid.height,
            "repaired": bad.height - invalid.height,
            "examples": _preview(bad),
        },
    )


@asset_check(asset=qpv_crosswalk, blocking=True, description="Per QPV, the crosswalk shares sum to 1")
def crosswalk_shares_sum_to_one(qpv_crosswalk: pl.DataFrame) -> AssetCheckResult:
    bad = checks.crosswalk_share_sums(qpv_crosswalk)
    relations = qpv_crosswalk.group_by("relation").len().sort("relation")
    return AssetCheckResult(
        passed=bad.is_empty(),
        metadata={"qpv_off": bad.height, "relations": _preview(relations), "examples": _preview(bad)},
    )


ASSETS = [
    stg_qpv_perimeters,
    stg_communes,
    stg_epci,
    stg_unites_urbaines,
    stg_departements,
    stg_regions,
    stg_commune_contours,
    territory,
    territory_link,
    qpv_crosswalk,
    qpv_correspondence,
    qpv_predecessor,
]
CHECKS = [
    every_qpv_has_a_commune,
    territory_codes_match_patterns,
    territory_geometries_valid,
    crosswalk_shares_sum_to_one,
]
# Tables published in the warehouse by this module, and staged tables whose files are recorded.
PUBLISHED = ["territory", "territory_link", "qpv_crosswalk", "qpv_predecessor", "qpv_correspondence"]
STAGED = [
    "stg_qpv_perimeters",
    "stg_communes",
    "stg_epci",
    "stg_epci_members",
    "stg_unites_urbaines",
    "stg_departements",
    "stg_regions",
    "stg_commune_contours",
    "qpv_correspondence",
]
