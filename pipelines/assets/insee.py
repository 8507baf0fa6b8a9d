"""INSEE statistical files: QPV bases (census, Cnaf, Cnam, Filosofi, insertion professionnelle) of both
geographies, Filosofi by commune / EPCI / département / région / France / IRIS, and the comparateur base;
then their observations, the indicator catalog, and the figures of the reference territories.

Files are obtained through the `sources` resource (official URLs, a mirror, or `refresh --files`, where
each file is recognised from its header by `sources.insee_common.identify`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetIn,
    AssetOut,
    MetadataValue,
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
from pipelines.resources import Obtained, SourcesResource
from sources import registry
from sources._archive import is_zip, list_members
from sources._errors import SourceFormatError
from sources.filosofi import settings as fs
from sources.insee_common import STAGED_SCHEMA, identify
from sources.insee_common import Layout as InseeLayout
from sources.insee_common.layouts import _identify_table
from sources.insee_common.read import RawTable, _decode, _find_header, _rows_from_csv, canonical_name
from sources.insee_comparateur import settings as cs
from sources.insee_qpv import settings as qs

GROUP = "insee"
LICENCE = "Licence Ouverte 2.0 (Insee)"

# Registry datasets (= INSEE layout datasets) obtained by each staged asset.
QPV_DATASETS = ("insee_qpv_demo", "insee_qpv_revn", "insee_qpv_ipro", "insee_qpv_filosofi")
FILOSOFI_DATASETS = ("filosofi_disp", "filosofi_cc", "filosofi_iris")
COMPARATEUR_DATASETS = ("insee_comparateur",)
OPTIONAL_URLS = {"filosofi_iris"}  # not in the synthetic sample: never required
STAGED_COLUMNS: dict[str, pl.DataType] = {**STAGED_SCHEMA, "source_sha256": pl.String()}

_QP = "revenu-disponible-{tag}-2021_{part}.csv"
URLS: dict[str, list[registry.UrlEntry]] = {
    "insee_qpv_filosofi": [
        registry.UrlEntry(url, "zip_member", f"2021 {geo}{suffix}", LICENCE, _QP.format(tag=tag, part=part))
        for url, tag, geo in (
            (qs.URL_FILO2021_QP15, "qp15", "qpv2015"),
            (qs.URL_FILO2021_QP24, "qp24", "qpv2024"),
        )
        for part, suffix in (("QP", ""), ("ENSQP", " ensemble"))
    ],
    "insee_qpv_demo": [registry.UrlEntry(qs.URL_DEMO_XLSX, "xlsx", "2021 qpv2015", LICENCE)],
    "insee_comparateur": [
        registry.UrlEntry(cs.URL_CSV, "zip_member", "2025 commune", LICENCE, cs.CSV_MEMBER)
    ],
    "filosofi_iris": [
        registry.UrlEntry(fs.URL_IRIS_2021_DISP, "zip", "2021 iris disp", LICENCE),
        registry.UrlEntry(fs.URL_IRIS_2021_DEC, "zip", "2021 iris dec", LICENCE),
    ],
}

# ------------------------------------------------------------------------------------------ recogniser

_SKIP = (".md", ".geojson", ".gpkg", ".shp", ".dbf", ".prj", ".shx", ".cpg", ".json", ".pdf", ".txt")


def vintage_label(layout: InseeLayout) -> str:
    """A label unique per physical file of a dataset: release, territory kind, and what tells two files of
    the same release apart (the layout variant, income concept, the all-QPV file)."""
    parts = [layout.release, layout.territory_kind]
    spec = layout.spec
    if spec.family == "meta":
        return f"meta {Path(layout.member or layout.path.name).name}"
    if spec.variants:
        header = frozenset(layout.header)
        index = next((i for i, (cols, _) in enumerate(spec.variants) if cols == header), 0)
        parts.append(f"layout{index + 1}")
    if any(n.startswith("DEC_") for n in layout.header):
        parts.append("dec")
    name = (layout.member or layout.path.name).upper()
    if "ENSQP" in name:
        parts.append("ensemble")
    return " ".join(parts)


def _head_table(path: Path, head: bytes) -> RawTable | None:
    """The header and the first rows of a CSV from its first bytes (no need to read a large file)."""
    if len(head) >= registry.SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    rows = _rows_from_csv(_decode(head))
    h = _find_header(rows)
    if h is None:
        return None
    header = list(rows[h])
    lead = next(i for i, c in enumerate(header) if c.strip() != "")
    header = header[lead:]
    while header and header[-1].strip() == "":
        header.pop()
    width = len(header)
    body = [[c.strip() for c in r[lead : lead + width]] for r in rows[h + 1 :] if any(c.strip() for c in r)]
    return RawTable(
        file=str(path),
        names=[canonical_name(c) for c in header],
        original_names=header,
        rows=[r + [""] * (width - len(r)) for r in body],
        row_numbers=list(range(h + 2, h + 2 + len(body))),
        header_row=h + 1,
    )


@functools.lru_cache(maxsize=4096)
def _recognised(path_str: str, mtime_ns: int, size: int) -> tuple[InseeLayout, ...]:
    path = Path(path_str)
    if is_zip(path) and path.suffix.lower() != ".xlsx":
        found = []
        for m in list_members(path):
            if m.lower().endswith((".csv", ".xlsx")):
                try:
                    found.append(identify(path, member=m))
                except SourceFormatError:
                    continue
        return tuple(found)
    return (identify(path),)


def recognise_insee(path: Path, head: bytes) -> registry.Layout | None:
    """Registry recogniser: the INSEE layout of a file (a zip counts by its first data member), else None."""
    if path.suffix.lower() in _SKIP:
        return None
    try:
        if head[:4] == b"PK\x03\x04":
            stat = path.stat()
            layouts = [
                lay
                for lay in _recognised(str(path), stat.st_mtime_ns, stat.st_size)
                if lay.dataset != "insee_meta"
            ] or list(_recognised(str(path), stat.st_mtime_ns, stat.st_size))
            if not layouts:
                return None
            form = "xlsx" if path.suffix.lower() == ".xlsx" else "zip"
            return registry.Layout(layouts[0].dataset, form, vintage_label(layouts[0]))
        table = _head_table(path, head)
        if table is None:
            return None
        layout = _identify_table(path, table)
        return registry.Layout(layout.dataset, "csv", vintage_label(layout))
    except Exception:
        return None


registry.register(recognise_insee, URLS)

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
            for lay in _recognised(str(path), stat.st_mtime_ns, stat.st_size)
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


def _preview(frame: pl.DataFrame, n: int = 10) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


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
        metadata={"conflicting_keys": conflicts.height, "conflicts": _preview(conflicts.drop("files"))}
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
        Output(geo_checks.TerritoryLinkModel.validate(links), metadata={"unmatched": _preview(report)}),
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
    return AssetCheckResult(passed=bad.is_empty(), metadata={"rows": bad.height, "examples": _preview(bad)})


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
    return AssetCheckResult(passed=bad.is_empty(), metadata={"rows": bad.height, "examples": _preview(bad)})


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
    return AssetCheckResult(
        passed=in_file.is_empty() and linked.is_empty(),
        metadata={
            "rows_in_file": in_file.height,
            "qpv_over_linked_communes": linked.height,
            "examples": _preview(linked if linked.height else in_file),
        },
    )


@asset_check(
    asset=insee_observation,
    blocking=True,
    description="A file (dataset × release) never mixes the 2015 and 2024 geographies",
)
def insee_vintage_one_geography(insee_observation: pl.DataFrame) -> AssetCheckResult:
    bad = checks.vintages_mixing_geographies(insee_observation)
    return AssetCheckResult(passed=bad.is_empty(), metadata={"files": bad.height, "examples": _preview(bad)})


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
