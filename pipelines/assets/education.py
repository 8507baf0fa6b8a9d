"""Education assets: IPS, school directory, REP/REP+ lists, pupils and IVAC of data.education.gouv.fr;
then `school` (UAI × rentrée), `school_qpv` (inside / near each QPV perimeter, with the true distance)
and the education observations and catalog.

`school_qpv` keeps every school within 1 km of every QPV (`models.school_conformance.SCHOOL_QPV_RADIUS_M`)
with its distance; « inside », 100 m, 300 m and 1 km are views (`v_school_qpv`) and command options,
never a build setting. The proximity indicators use INSEE's convention (écoles 100 m, collèges 300 m).
"""

import re
from collections.abc import Callable

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    MetadataValue,
    asset,
    asset_check,
)

from checks import education as checks
from models.education_indicators import education_indicator_catalog as _catalog
from models.education_indicators import education_observations as _observations
from models.school_conformance import SCHOOL_QPV_RADIUS_M, conform_schools
from models.schools import build_school
from models.territory import qpv_perimeters
from pipelines.resources import Obtained, SourcesResource
from sources._errors import SourceFormatError
from sources.education_annuaire import DIRECTORY_SCHEMA, parse_directory
from sources.education_annuaire import settings as annuaire_settings
from sources.education_common.recognise import EP_MINISTRY_LIST
from sources.education_common.registration import DIRECTORY_DATASETS, EFFECTIFS_DATASETS, IPS_DATASETS
from sources.education_effectifs import EFFECTIFS_SCHEMA, parse_effectifs
from sources.education_ep import EP_SCHEMA, parse_ep
from sources.education_ep import settings as ep_settings
from sources.education_ips import IPS_SCHEMA, parse_ips
from sources.education_iva import IVA_SCHEMA, parse_iva
from sources.education_iva import settings as iva_settings

GROUP = "education"

EP_DATASETS = [ep_settings.EP_DATASET, EP_MINISTRY_LIST]
IVA_DATASETS = [iva_settings.IVA_DATASET]
# Fetched in URL mode (a failure stops the refresh); the others are taken when the mirror/portal has them.
CORE_DATASETS = {
    "fr-en-ips-ecoles-ap2022",
    "fr-en-ips-colleges-ap2023",
    annuaire_settings.ANNUAIRE_DATASET,
    *EFFECTIFS_DATASETS,
}


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


def _obtain(sources: SourcesResource, datasets: list[str]) -> tuple[list[Obtained], list[str]]:
    got: list[Obtained] = []
    absent: list[str] = []
    for ds in datasets:
        found = sources.obtain(ds, required=None if ds in CORE_DATASETS else False)
        got.extend(found)
        if not found:
            absent.append(ds)
    # Largest file first: where a national file and an extract overlap, rows come from the national one.
    got.sort(key=lambda o: (o.layout.dataset, -o.file.size, o.file.sha256))
    return got, absent


def _stage(
    context: AssetExecutionContext,
    sources: SourcesResource,
    datasets: list[str],
    parse: Callable[[Obtained], pl.DataFrame],
    keys: list[str],
    schema: dict[str, pl.DataType],
    *,
    order: Callable[[Obtained], tuple[int, int]] | None = None,
) -> pl.DataFrame:
    """Obtain the files of `datasets` (sorted by `order` when given), stage them (`_merge_copies`), and
    name the datasets none of whose files was found in the asset's metadata."""
    obtained, absent = _obtain(sources, datasets)
    if order is not None:
        obtained.sort(key=order)
    frame = _merge_copies(obtained, parse, keys, schema)
    context.add_output_metadata({"datasets_absent": ", ".join(absent)})
    return frame


def _merge_copies(
    obtained: list[Obtained],
    parse: Callable[[Obtained], pl.DataFrame],
    keys: list[str],
    schema: dict[str, pl.DataType],
) -> pl.DataFrame:
    """Parse every file, tag rows with their file, and merge copies of one dataset: a key given by two
    files of the same dataset must carry the same values (an extract of the national file), else error."""
    frames = []
    for ob in obtained:
        frame = parse(ob).with_columns(
            pl.lit(ob.file.sha256).alias("source_sha256"),
            pl.lit(ob.layout.vintage).alias("source_vintage"),
            pl.lit(ob.file.url).alias("_file"),
        )
        frames.append(frame)
    if not frames:
        return pl.DataFrame(schema={**schema, "source_sha256": pl.String(), "source_vintage": pl.String()})
    out = pl.concat(frames, how="diagonal_relaxed")
    if keys:
        values = [c for c in schema if c not in {*keys, "source_row", "source_dataset"}]
        k = ["source_dataset", *keys]
        dup = out.filter(pl.struct(k).is_duplicated())
        if dup.height:
            differing = (
                dup.group_by(k)
                .agg(pl.struct(values).n_unique().alias("n"), pl.col("_file").unique().alias("files"))
                .filter(pl.col("n") > 1)
            )
            if differing.height:
                r = differing.row(0, named=True)
                raise SourceFormatError(
                    " and ".join(r["files"]),
                    f"dataset {r['source_dataset']}: {dict((c, r[c]) for c in keys)} has different values "
                    "in two copies of the same dataset; keep one copy",
                )
            out = out.unique(subset=k, keep="first", maintain_order=True)
    return out.drop("_file")


@asset(group_name=GROUP, compute_kind="polars")
def stg_education_ips(context: AssetExecutionContext, sources: SourcesResource) -> pl.DataFrame:
    """IPS (indice de position sociale, DEPP) of écoles, collèges and lycées, every series (up to
    2021-22 and from 2022-23), one row per UAI × rentrée × dataset; data.education.gouv.fr."""
    frame = _stage(
        context,
        sources,
        IPS_DATASETS,
        lambda ob: parse_ips(ob.file.path, dataset=ob.layout.dataset),
        ["uai", "rentree"],
        IPS_SCHEMA,
    )
    return checks.IpsStaged.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def stg_education_directory(context: AssetExecutionContext, sources: SourcesResource) -> pl.DataFrame:
    """School directory (annuaire de l'éducation, and the adresse-et-géolocalisation file): type,
    sector, EP membership and WGS84 coordinates with their precision, projected to Lambert-93."""
    frame = _stage(
        context,
        sources,
        DIRECTORY_DATASETS,
        lambda ob: parse_directory(ob.file.path),
        [],
        DIRECTORY_SCHEMA,
        # The annuaire first (it carries the EP membership), then the geolocation file.
        order=lambda o: (DIRECTORY_DATASETS.index(o.layout.dataset), -o.file.size),
    )
    return checks.DirectoryStaged.validate(frame)


def _parse_ep(ob: Obtained) -> pl.DataFrame:
    if ob.layout.dataset == EP_MINISTRY_LIST:
        m = re.search(r"rentr[ée]e[-_ ]?(\d{4})", f"{ob.layout.vintage} {ob.file.path.name}")
        return parse_ep(ob.file.path, rentree=int(m.group(1)) if m else None)
    return parse_ep(ob.file.path)


@asset(group_name=GROUP, compute_kind="polars")
def stg_education_ep(context: AssetExecutionContext, sources: SourcesResource) -> pl.DataFrame:
    """REP / REP+ membership per rentrée: `fr-en-etablissements-ep` and the DGESCO rentrée lists."""
    frame = _stage(context, sources, EP_DATASETS, _parse_ep, ["uai", "rentree"], EP_SCHEMA)
    return checks.EpStaged.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def stg_education_effectifs(context: AssetExecutionContext, sources: SourcesResource) -> pl.DataFrame:
    """Pupils per école and per collège and rentrée, with the rep / rep_plus flags."""
    frame = _stage(
        context,
        sources,
        EFFECTIFS_DATASETS,
        lambda ob: parse_effectifs(ob.file.path, dataset=ob.layout.dataset),
        ["uai", "rentree"],
        EFFECTIFS_SCHEMA,
    )
    return checks.EffectifsStaged.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def stg_education_iva(context: AssetExecutionContext, sources: SourcesResource) -> pl.DataFrame:
    """IVAC: DNB success rate, written mark and their value added per collège and session."""
    frame = _stage(
        context, sources, IVA_DATASETS, lambda ob: parse_iva(ob.file.path), ["uai", "session"], IVA_SCHEMA
    )
    return checks.IvaStaged.validate(frame)


def _nonempty(frame: pl.DataFrame) -> pl.DataFrame | None:
    return frame if frame.height else None


@asset(group_name=GROUP, compute_kind="polars")
def school(
    stg_education_ips: pl.DataFrame,
    stg_education_directory: pl.DataFrame,
    stg_education_ep: pl.DataFrame,
    stg_education_effectifs: pl.DataFrame,
    stg_education_iva: pl.DataFrame,
) -> pl.DataFrame:
    """One row per school (UAI) × rentrée: name, commune, level, sector, EP status (REP list, else
    effectifs flags, else annuaire), IPS and its standard deviation (one IPS series per row), IVAC,
    pupils, coordinates (WGS84 and Lambert-93) with their status. Schools without usable coordinates
    are kept, with `coord_status` saying why."""
    frame = build_school(
        [stg_education_ips] if stg_education_ips.height else [],
        _nonempty(stg_education_directory),
        _nonempty(stg_education_ep),
        _nonempty(stg_education_effectifs),
        _nonempty(stg_education_iva),
    )
    return checks.School.validate(frame)


@asset(group_name=GROUP, compute_kind="duckdb")
def school_qpv(context: AssetExecutionContext, school: pl.DataFrame, territory: pl.DataFrame) -> pl.DataFrame:
    """Each placed school × each QPV (2024 and 2015 geographies): `inside` the perimeter, or `near`
    (outside, within 1 km) with the true distance to the polygon in metres (Lambert-93)."""
    near_m = SCHOOL_QPV_RADIUS_M
    frame = conform_schools(school, qpv_perimeters(territory), near_m=near_m)
    frame = frame.with_columns(pl.lit(near_m).alias("near_m"))
    context.add_output_metadata(
        {
            "near_m": near_m,
            "relations": _preview(
                frame.group_by("geo_version", "relation").len().sort("geo_version", "relation")
            ),
        }
    )
    return checks.SchoolQpv.validate(frame)


@asset(group_name=GROUP, compute_kind="polars")
def education_indicator() -> pl.DataFrame:
    """Catalog rows of the education indicators (schools, pupils, share in REP/REP+, mean IPS)."""
    return _catalog()


@asset(group_name=GROUP, compute_kind="polars")
def education_observation(
    school: pl.DataFrame,
    school_qpv: pl.DataFrame,
    territory: pl.DataFrame,
    stg_education_ips: pl.DataFrame,
    stg_education_effectifs: pl.DataFrame,
    stg_education_ep: pl.DataFrame,
) -> pl.DataFrame:
    """Per QPV (inside; inside or near) and per commune and rentrée: number of schools and pupils by
    level, share of pupils in REP / REP+, pupil-weighted mean IPS of public schools."""
    shas = sorted(
        {
            s
            for f in (stg_education_ips, stg_education_effectifs, stg_education_ep)
            for s in f["source_sha256"].unique().to_list()
            if s
        }
    )
    vintages = sorted(
        {
            v
            for f in (stg_education_ips, stg_education_effectifs, stg_education_ep)
            for v in f["source_vintage"].unique().to_list()
            if v
        }
    )
    communes = territory.filter(pl.col("kind") == "commune")["geo_version"]
    return _observations(
        school,
        school_qpv.drop("near_m"),
        sha256="+".join(shas),
        source_vintage="+".join(vintages)[:200],
        commune_geo_version=communes[0] if len(communes) else None,
    )


@asset_check(
    asset=school,
    description="Schools with missing, imprecise, swapped or out-of-France coordinates (kept, listed)",
)
def school_coordinates_reported(school: pl.DataFrame) -> AssetCheckResult:
    issues = checks.schools_with_coordinate_issues(school)
    counts = dict(issues.group_by("coord_status").len().iter_rows())
    return AssetCheckResult(
        passed=issues.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={
            **{f"coord_{k}": int(v) for k, v in counts.items()},
            "not_placed": int((~issues["placed"]).sum()) if issues.height else 0,
            "examples": _preview(issues),
        },
    )


@asset_check(
    asset=school, blocking=True, description="One row per UAI and rentrée; UAIs are 7 digits + letter"
)
def school_uai_unique_per_rentree(school: pl.DataFrame) -> AssetCheckResult:
    dup = school.filter(pl.struct("uai", "rentree").is_duplicated())
    bad = school.filter(~pl.col("uai").str.contains(checks.UAI_RE))
    return AssetCheckResult(
        passed=dup.is_empty() and bad.is_empty(),
        metadata={"duplicates": dup.height, "malformed_uai": bad.height, "examples": _preview(dup)},
    )


@asset_check(
    asset=school_qpv,
    additional_ins={"school": AssetIn("school")},
    blocking=True,
    description="Every relation is a placed school; inside = 0 m, near ≤ the near distance",
)
def school_qpv_relations_consistent(school_qpv: pl.DataFrame, school: pl.DataFrame) -> AssetCheckResult:
    near_m = SCHOOL_QPV_RADIUS_M
    placed = school.filter(pl.col("x_l93").is_not_null()).select("uai").unique()
    orphan = school_qpv.join(placed, on="uai", how="anti")
    too_far = school_qpv.filter(
        ((pl.col("relation") == "inside") & (pl.col("distance_m") != 0))
        | (
            (pl.col("relation") == "near")
            & ((pl.col("distance_m") <= 0) | (pl.col("distance_m") > near_m + 1e-6))
        )
    )
    return AssetCheckResult(
        passed=orphan.is_empty() and too_far.is_empty(),
        metadata={"unknown_uai": orphan.height, "distance_off": too_far.height, "near_m": near_m},
    )


@asset_check(asset=stg_education_ips, blocking=True, description="One IPS series per level and rentrée")
def ips_one_series_per_rentree(stg_education_ips: pl.DataFrame) -> AssetCheckResult:
    mixed = (
        stg_education_ips.group_by("level", "rentree")
        .agg(pl.col("ips_series").n_unique().alias("n"), pl.col("source_dataset").unique().str.join(", "))
        .filter(pl.col("n") > 1)
    )
    return AssetCheckResult(passed=mixed.is_empty(), metadata={"mixed": _preview(mixed)})


ASSETS = [
    stg_education_ips,
    stg_education_directory,
    stg_education_ep,
    stg_education_effectifs,
    stg_education_iva,
    school,
    school_qpv,
    education_indicator,
    education_observation,
]
CHECKS = [
    school_coordinates_reported,
    school_uai_unique_per_rentree,
    school_qpv_relations_consistent,
    ips_one_series_per_rentree,
]
PUBLISHED = ["school", "school_qpv"]
STAGED = [
    "stg_education_ips",
    "stg_education_directory",
    "stg_education_ep",
    "stg_education_effectifs",
    "stg_education_iva",
]
OBSERVATIONS = ["education_observation"]
CATALOGS = ["education_indicator"]
