"""INSEE statistical files: QPV bases (census, Cnaf, Cnam, Filosofi, insertion professionnelle) of both
geographies, Filosofi by commune / EPCI / département / région / France / IRIS, and the comparateur base;
then their observations, the indicator catalog, and the figures of the reference territories.

Files are obtained through the `sources` resource (official URLs, a mirror, or `refresh --files`, where
each file is recognised from its header by `sources.insee_common.identify`).
"""

from __future__ import annotations

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetIn,
    AssetOut,
    Output,
    asset,
    asset_check,
    get_dagster_logger,
    multi_asset,
)

from checks import geography as geo_checks
from checks import insee as checks
from checks.observation import shares_out_of_range
from models.aggregate import aggregate_to_references
from models.indicators import indicator_catalog
from models.insee_observations import combine_file_observations, insee_observations
from models.observation import empty_observations
from models.qpv_identity import qpv_identities
from pipelines.assets.check_report import offenders, preview
from pipelines.resources import Obtained, SourcesResource
from sources._archive import is_zip
from sources._errors import SourceFormatError
from sources.insee_common import STAGED_SCHEMA, identify
from sources.insee_common import Layout as InseeLayout
from sources.insee_common.registration import URLS, recognised_layouts

GROUP = "insee"

# Registry datasets (= INSEE layout datasets) obtained by each staged asset.
QPV_DATASETS = ("insee_qpv_demo", "insee_qpv_revn", "insee_qpv_ipro", "insee_qpv_filosofi")
FILOSOFI_DATASETS = ("filosofi_disp", "filosofi_cc", "filosofi_iris")
COMPARATEUR_DATASETS = ("insee_comparateur",)
OPTIONAL_URLS = {"filosofi_iris"}  # not in the synthetic sample: never required
STAGED_COLUMNS: dict[str, pl.DataType] = {**STAGED_SCHEMA, "source_sha256": pl.String()}


# ------------------------------------------------------------------------------------------ staging


def _layouts(ob: Obtained) -> list[InseeLayout]:
    """The INSEE tables of an obtained file: its named member, or every data member of a zip."""
    path = ob.file.path
    if ob.member is not None:
        return [identify(path, member=ob.member)]
    if is_zip(path) and path.suffix.lower() != ".xlsx":
        stat = path.stat()
        found = [
            lay
            for lay in recognised_layouts(str(path), stat.st_mtime_ns, stat.st_size)
            if lay.dataset != "insee_meta"
        ]
        if not found:
            raise SourceFormatError(str(path), "no INSEE table among the archive's members")
        return found
    return [identify(path)]


def _stage(sources: SourcesResource, datasets: tuple[str, ...]) -> pl.DataFrame:
    frames = []
    for dataset in datasets:
        required = None if dataset in URLS and dataset not in OPTIONAL_URLS else False
        for ob in sources.obtain(dataset, required=required):
            for layout in _layouts(ob):
                if layout.dataset != dataset:
                    raise SourceFormatError(
                        str(ob.file.path), f"expected a {dataset} file, the header says {layout.spec.id}"
                    )
                staged = checks.StagedInseeModel.validate(layout.parse())
                frames.append(staged.with_columns(pl.lit(ob.file.sha256).alias("source_sha256")))
    if not frames:
        return pl.DataFrame(schema=STAGED_COLUMNS)
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in STAGED_COLUMNS.items()])


@asset(group_name=GROUP, compute_kind="polars")
def stg_insee_qpv(sources: SourcesResource) -> pl.DataFrame:
    """INSEE's QPV bases, long (one row per QPV × variable × file): Démographie (RP, Cnaf), Revenus
    (Filosofi, Cnam, Cnaf), Insertion professionnelle (RP, ASP, Pôle emploi) and Filosofi by QPV, for the
    2015 and 2024 geographies; each value with its status (secret → NULL, `suppressed`) and the data
    period of its source block (not the release year)."""
    return _stage(sources, QPV_DATASETS)


@asset(group_name=GROUP, compute_kind="polars")
def stg_filosofi(sources: SourcesResource) -> pl.DataFrame:
    """Filosofi disposable / declared income by commune, EPCI, département, région, France
    métropolitaine (FILO*_DISP_*, cc_filosofi_*_COM) and IRIS (BASE_TD_FILO_*IRIS*), long."""
    return _stage(sources, FILOSOFI_DATASETS)


@asset(group_name=GROUP, compute_kind="polars")
def stg_insee_comparateur(sources: SourcesResource) -> pl.DataFrame:
    """INSEE's Comparateur de territoires base (communes: census, Filosofi, births and deaths,
    establishments), long."""
    return _stage(sources, COMPARATEUR_DATASETS)


# ------------------------------------------------------------------------------------------ observations


@asset(group_name=GROUP, compute_kind="polars")
def insee_observation(
    sources: SourcesResource,
    stg_insee_qpv: pl.DataFrame,
    stg_filosofi: pl.DataFrame,
    stg_insee_comparateur: pl.DataFrame,
) -> Output[pl.DataFrame]:
    """INSEE figures as published, in the observation shape: one per indicator × territory ×
    geography × data period × release (rates recomputed from counts of the same file where INSEE gives
    the counts). Two layouts of the same release (INSEE CSV and its spreadsheet re-export) count once;
    if their figures differ, the build is refused naming both files."""
    frames = []
    for staged in (stg_insee_qpv, stg_filosofi, stg_insee_comparateur):
        for (sha, _dataset), part in staged.group_by(["source_sha256", "dataset"], maintain_order=True):
            frames.append(insee_observations(part.drop("source_sha256"), str(sha)))
    out, conflicts = combine_file_observations(frames)
    if conflicts.height:
        _refuse_conflicts(sources, conflicts)
    out = checks.InseeObservationModel.validate(out) if out.height else empty_observations()
    return Output(
        out,
        metadata={"conflicting_keys": conflicts.height, "conflicts": preview(conflicts.drop("files"))}
        if conflicts.height
        else {"conflicting_keys": 0},
    )


@multi_asset(
    outs={
        "insee_qpv_territory": AssetOut(),
        "insee_qpv_territory_link": AssetOut(),
    },
    group_name=GROUP,
    compute_kind="polars",
)
def insee_qpv_territory(
    stg_insee_qpv: pl.DataFrame,
    stg_communes: pl.DataFrame,
    territory: pl.DataFrame,
) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """QPVs the INSEE QPV bases name but whose perimeter is not held: their name (`LIBGEO`, latest
    release) as territory rows without geometry, and their commune(s) (`LIB_COM`, matched by name on the
    COG communes of the code's département) as territory links; the warehouse adds both to `territory`
    and `territory_link`. A commune name matching no commune, or several, is reported, never guessed."""
    held = set(territory.filter(pl.col("kind").str.starts_with("qpv")).select("kind", "code").iter_rows())
    rows, links, report = qpv_identities(stg_insee_qpv, stg_communes, held)
    for r in report.iter_rows(named=True):
        found = f"matches several communes: {r['candidates']}" if r["candidates"] else "matches no commune"
        get_dagster_logger().warning(
            f"{r['qpv_code']}: commune {r['commune_name']!r} of département {r['departement']} {found}"
        )
    meta = {"qpvs": rows.height, "links": links.height, "unmatched_names": report.height}
    return (
        Output(geo_checks.TerritoryModel.validate(rows), metadata=meta),
        Output(geo_checks.TerritoryLinkModel.validate(links), metadata={"unmatched": preview(report)}),
    )


def _refuse_conflicts(sources: SourcesResource, conflicts: pl.DataFrame) -> None:
    """Two files of the same dataset and release disagree on a figure: refused, both files named."""
    archive = sources.archive()
    first = conflicts.row(0, named=True)

    def name(sha: str) -> str:
        meta = archive.meta(sha) or {}
        url = str(meta.get("url", ""))
        return url.removeprefix("file://") or f"file sha256 {sha[:12]}"

    files = list(dict.fromkeys(name(s) for s in first["files"]))
    raise SourceFormatError(
        " and ".join(files),
        f"two files claim the same dataset and release "
        f"({first['source_dataset']}, {first['source_vintage']}) "
        f"with different contents: {conflicts.height} figure(s) differ, e.g. {first['indicator_id']} "
        f"{first['territory_code']} {first['period']}: {first['values']}; keep one of them",
    )


@asset(group_name=GROUP, compute_kind="polars")
def insee_indicator() -> pl.DataFrame:
    """The INSEE indicators: French label, definition, unit, numerator and denominator, aggregation
    rule (counts sum, rates are recomputed, medians and deciles are never aggregated)."""
    return indicator_catalog()


@asset(group_name=GROUP, compute_kind="polars")
def insee_reference_observation(
    insee_observation: pl.DataFrame, insee_indicator: pl.DataFrame, territory_link: pl.DataFrame
) -> pl.DataFrame:
    """Figures of the reference territories that INSEE's files do not give directly, derived where it is
    valid: counts summed and rates recomputed from numerators and denominators, commune → EPCI and
    département → France, and QPVs → all QPVs of the geography; medians are never derived
    (`not_applicable`). A figure a file publishes for the territory always wins."""
    return aggregate_to_references(insee_observation, territory_link, insee_indicator)


# ------------------------------------------------------------------------------------------ checks


def _both(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([a, b]) if b.height else a


@asset_check(
    asset=insee_reference_observation,
    additional_ins={
        "insee_indicator": AssetIn("insee_indicator"),
        "insee_observation": AssetIn("insee_observation"),
    },
    blocking=True,
    description="Shares are in [0, 100] (the tax share in [-100, 0]), published or derived",
)
def insee_shares_in_range(
    insee_observation: pl.DataFrame, insee_indicator: pl.DataFrame, insee_reference_observation: pl.DataFrame
) -> AssetCheckResult:
    bad = shares_out_of_range(_both(insee_observation, insee_reference_observation), insee_indicator)
    return offenders({"rows": bad}, bad)


@asset_check(
    asset=insee_reference_observation,
    additional_ins={"insee_observation": AssetIn("insee_observation")},
    blocking=True,
    description="Numerators never exceed their denominators",
)
def insee_numerators_within_denominators(
    insee_reference_observation: pl.DataFrame, insee_observation: pl.DataFrame
) -> AssetCheckResult:
    bad = checks.numerator_exceeds_denominator(_both(insee_observation, insee_reference_observation))
    return offenders({"rows": bad}, bad)


@asset_check(
    asset=insee_observation,
    additional_ins={"stg_insee_qpv": AssetIn("stg_insee_qpv"), "territory_link": AssetIn("territory_link")},
    blocking=True,
    description="A QPV's population never exceeds its communes' population (same file, or same census year)",
)
def insee_qpv_population_within_communes(
    insee_observation: pl.DataFrame, stg_insee_qpv: pl.DataFrame, territory_link: pl.DataFrame
) -> AssetCheckResult:
    in_file = checks.qpv_population_exceeds_file_communes(stg_insee_qpv)
    links = territory_link.filter(
        pl.col("child_kind").is_in(["qpv2015", "qpv2024"]) & (pl.col("parent_kind") == "commune")
    ).select(pl.col("child_code").alias("qpv_code"), pl.col("parent_code").alias("commune_code"))
    qpv = insee_observation.filter(pl.col("territory_kind").is_in(["qpv2015", "qpv2024"]))
    communes = insee_observation.filter(pl.col("territory_kind") == "commune")
    linked = checks.qpv_population_exceeds_communes(qpv, communes, links)
    found = {"rows_in_file": in_file, "qpv_over_linked_communes": linked}
    return offenders(found, linked if linked.height else in_file)


@asset_check(
    asset=insee_observation,
    blocking=True,
    description="A file (dataset × release) never mixes the 2015 and 2024 geographies",
)
def insee_vintage_one_geography(insee_observation: pl.DataFrame) -> AssetCheckResult:
    bad = checks.vintages_mixing_geographies(insee_observation)
    return offenders({"files": bad}, bad)


ASSETS = [
    stg_insee_qpv,
    stg_filosofi,
    stg_insee_comparateur,
    insee_observation,
    insee_indicator,
    insee_reference_observation,
    insee_qpv_territory,
]
CHECKS = [
    insee_shares_in_range,
    insee_numerators_within_denominators,
    insee_qpv_population_within_communes,
    insee_vintage_one_geography,
]
PUBLISHED: list[str] = []
# Rows the warehouse adds to a table another module publishes (QPVs known only from INSEE files).
EXTENDS = [("territory", "insee_qpv_territory"), ("territory_link", "insee_qpv_territory_link")]
STAGED = ["stg_insee_qpv", "stg_filosofi", "stg_insee_comparateur"]
OBSERVATIONS = ["insee_observation", "insee_reference_observation"]
CATALOGS = ["insee_indicator"]
