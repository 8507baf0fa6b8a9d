"""CAF / Cnaf allocataires: data.caf.fr commune export, INSEE's Cnaf base by QPV (2015 and 2024
geographies) and by IRIS; observations as yearly series (counts as of 31 December), revisions logged.

Partitions: the assets are not partitioned. A data.caf.fr export and a Cnaf base file each hold several
years, the revision rule compares releases across years, and `run_refresh` runs every asset in one
unpartitioned job (a partitioned asset in it would demand a partition key). The cadence lives in the
schedule (yearly) and in the newer-period sensor, which reruns only the CAF assets and what depends on them.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetOut,
    AssetSelection,
    MetadataValue,
    Output,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
)

from checks.caf import caf_totals_not_adding_up, validate_caf_observations, validate_caf_staged
from models.caf import aggregate_iris_to_commune, caf_indicator_catalog, caf_observations
from models.observation import empty_observations
from models.series import build_series, resolve_revisions
from pipelines.assets.series import SHARED_DOWNSTREAM, newer_period_sensor
from pipelines.resources import Obtained, SourcesResource
from sources._errors import SourceFormatError
from sources.caf import CAF_STAGED_SCHEMA, detect_cnaf_base_layout, parse_cnaf_base, parse_ods_export
from sources.caf import settings as s
from sources.registry import Layout, UrlEntry, register

GROUP = "caf"

# --- registry: official URLs and content recogniser ----------------------------------------------------


def _insee_url(file: str) -> str:
    return f"https://{s.INSEE_HOST}/{s.CNAF_BASE_PATH.format(file=file)}"


URLS: dict[str, list[UrlEntry]] = {
    s.DATASET_ODS_COMMUNE: [
        UrlEntry(s.ODS_EXPORT_URL.format(dataset_id=s.S_BEN_COM_F), "ods_export", "export", s.LICENCE)
    ],
    s.DATASET_CNAF_IRIS: [
        UrlEntry(_insee_url(s.CNAF_BASE_IRIS_FILE.format(year=y)), "insee_cnaf", str(y), s.LICENCE)
        for y in s.CNAF_BASE_IRIS_YEARS
    ],
    **{
        dataset: [
            UrlEntry(
                _insee_url(s.CNAF_BASE_QPV_FILE.format(year=y, geography=geo.upper())),
                "insee_cnaf",
                str(y),
                s.LICENCE,
            )
            for y in s.CNAF_BASE_QPV_YEARS
        ]
        for geo, dataset in s.DATASET_CNAF_QPV.items()
    },
}
# Datasets whose URLs are verified (required in URL mode); the others are placeholders (NV): optional.
VERIFIED = {s.DATASET_ODS_COMMUNE}

_YEAR_IN_NAME = re.compile(r"(?:^|_)(20\d{2})(?=_|\.)")


def recognise_caf(path: Path, head: bytes) -> Layout | None:
    """CAF files by content: INSEE Cnaf base header (any of the 4 known layouts; IRIS or QPV from the
    first code; year from the file name), or a data.caf.fr export (`dtreffre` + `indfoy_*`…)."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    lines = text.splitlines()
    if len(lines) < 1 or ";" not in lines[0]:
        return None
    header = [h.strip().strip('"') for h in lines[0].split(";")]
    while header and not header[-1]:
        header.pop()
    lower = [h.lower() for h in header]
    if detect_cnaf_base_layout(header) is not None:
        found = _YEAR_IN_NAME.findall(path.name)
        year = found[-1] if len(found) == 1 else "unknown"
        first = lines[1].split(";")[0].strip().upper() if len(lines) > 1 else ""
        if first.startswith("QP"):
            return Layout(s.DATASET_CNAF_QPV["qpv2015"], "insee_cnaf", year)
        if first.startswith("QN"):
            return Layout(s.DATASET_CNAF_QPV["qpv2024"], "insee_cnaf", year)
        return Layout(s.DATASET_CNAF_IRIS, "insee_cnaf", year)
    if s.ODS_DATE in lower and any(h.startswith(s.ODS_MEASURE_PREFIXES) for h in lower):
        dataset = s.DATASET_ODS_IRIS if s.ODS_IRIS_SUFFIX in lower else s.DATASET_ODS_COMMUNE
        found = _YEAR_IN_NAME.findall(path.name)
        return Layout(dataset, "ods_export", found[-1] if len(found) == 1 else "export")
    return None


register(recognise_caf, URLS)

DATASETS = [s.DATASET_ODS_COMMUNE, s.DATASET_ODS_IRIS, s.DATASET_CNAF_IRIS, *s.DATASET_CNAF_QPV.values()]

STAGED_SCHEMA: dict[str, pl.DataType] = {
    **CAF_STAGED_SCHEMA,
    "source_dataset": pl.String(),
    "source_vintage": pl.String(),
    "source_sha256": pl.String(),
}


def _parse(ob: Obtained) -> pl.DataFrame:
    path = ob.file.path
    if ob.layout.form == "insee_cnaf":
        year = int(ob.layout.vintage) if ob.layout.vintage.isdigit() else None
        frame = parse_cnaf_base(path, year)
        vintage = frame["period"][0][:4] if frame.height else ob.layout.vintage
    elif ob.layout.form == "ods_export":
        frame = parse_ods_export(path)
        # A rolling export: its release label is its latest reference month (sorts chronologically).
        vintage = str(frame["period"].max())[:7] if frame.height else ob.layout.vintage
    else:
        raise SourceFormatError(str(path), f"unknown CAF form {ob.layout.form!r}")
    return frame.with_columns(
        pl.lit(ob.layout.dataset).alias("source_dataset"),
        pl.lit(vintage).alias("source_vintage"),
        pl.lit(ob.file.sha256).alias("source_sha256"),
    )


def _preview(frame: pl.DataFrame, n: int = 20) -> MetadataValue:
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


@asset(group_name=GROUP, compute_kind="polars")
def stg_caf(sources: SourcesResource) -> pl.DataFrame:
    """Every CAF file of this build in one long table (one row per territory × period × variable):
    data.caf.fr `s_ben_com_f` (foyers by benefit, communes, Decembers), INSEE's Cnaf base by QPV
    (2015 and 2024 geographies) and by IRIS. Suppressed cells: value NULL, status `suppressed`, the
    marker in `raw_value`. Unlocated codes kept (kind `unlocated`)."""
    frames = []
    for dataset in DATASETS:
        for ob in sources.obtain(dataset, required=False if dataset not in VERIFIED else None):
            frames.append(_parse(ob))
    if not frames:
        return pl.DataFrame(schema=STAGED_SCHEMA)
    staged = pl.concat([f.select(list(STAGED_SCHEMA)) for f in frames])
    validate_caf_staged(staged.drop("source_dataset", "source_vintage", "source_sha256"))
    return staged


def caf_series(stg: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations with explicit gaps, revision log) from the staged CAF table.

    Per file: observations (models.caf); IRIS parts also summed to their commune. A period given by two
    releases of a dataset: the later release wins (resolve_revisions, by release label), the change is
    logged. Then each yearly series gets its missing years as explicit `missing` rows."""
    parts = []
    for (dataset, vintage, sha), group in stg.group_by(
        ["source_dataset", "source_vintage", "source_sha256"], maintain_order=True
    ):
        obs = caf_observations(
            group, source_dataset=str(dataset), source_vintage=str(vintage), sha256=str(sha)
        )
        parts.append(obs)
        if (obs["territory_kind"] == "iris").any():
            parts.append(aggregate_iris_to_commune(obs))
    if not parts:
        return empty_observations(), pl.DataFrame(schema=_log_schema())
    obs = pl.concat(parts)
    resolved, log = [], []
    for (dataset,), group in obs.group_by(["source_dataset"], maintain_order=True):
        latest, changes = resolve_revisions(group)
        series = build_series(latest).with_columns(
            pl.col("source_dataset").fill_null(str(dataset)),
            pl.col("method").fill_null("published"),
        )
        resolved.append(series)
        log.append(changes)
    return pl.concat(resolved), pl.concat(log)


def _log_schema() -> dict[str, pl.DataType]:
    from models.series import REVISION_LOG_SCHEMA

    return REVISION_LOG_SCHEMA


@multi_asset(
    group_name=GROUP,
    compute_kind="polars",
    outs={"caf_observations": AssetOut(), "caf_revisions": AssetOut()},
)
def caf_observations_asset(
    stg_caf: pl.DataFrame,
) -> tuple[Output[pl.DataFrame], Output[pl.DataFrame]]:
    """`caf_observations`: CAF figures as yearly series (period = 31 December), one series per
    territory and geography (qpv2015, qpv2024, IRIS/COG of the release year: never joined), gaps as
    `missing` rows, suppressed cells as `suppressed`. `caf_revisions`: periods republished with another
    value (the later release wins)."""
    obs, log = caf_series(stg_caf)
    validate_caf_observations(obs)
    meta: dict[str, MetadataValue] = {
        "revisions": MetadataValue.int(log.height),
        "revisions_preview": _preview(log),
        "gaps": MetadataValue.int(int((obs["status"] == "missing").sum())),
        "suppressed": MetadataValue.int(int((obs["status"] == "suppressed").sum())),
    }
    return (
        Output(obs, output_name="caf_observations", metadata=meta),
        Output(log, output_name="caf_revisions", metadata={"revisions": log.height}),
    )


@asset(group_name=GROUP, compute_kind="polars")
def caf_indicators(caf_observations: pl.DataFrame) -> pl.DataFrame:
    """Catalog of the CAF indicators (Cnaf base variables, data.caf.fr benefits), ids `caf_*` shared
    with INSEE's QPV bases (same unit and aggregation: counts, summed)."""
    return caf_indicator_catalog(caf_observations)


@asset_check(
    asset=stg_caf,
    blocking=False,
    description="Totals add up (A = AI+AM+ACSSENF+ACAVENF, ENF = sum of age bands); flagged, never corrected",
)
def caf_totals_add_up(stg_caf: pl.DataFrame) -> AssetCheckResult:
    bad = caf_totals_not_adding_up(stg_caf)
    return AssetCheckResult(
        passed=bad.is_empty(),
        severity=AssetCheckSeverity.WARN,
        metadata={"rows_not_adding_up": bad.height, "rows": _preview(bad, 50)},
    )


# --- jobs, schedule, sensor ----------------------------------------------------------------------------
OWN_ASSETS = ["stg_caf", "caf_observations", "caf_revisions", "caf_indicators"]
refresh_caf = define_asset_job("refresh_caf", selection=AssetSelection.assets(*OWN_ASSETS).downstream())
# Counts as of 31 December, published once a year (data.caf.fr in the first half of the next year, NV):
# a yearly run on 1 July; the sensor catches an earlier publication.
yearly_caf = ScheduleDefinition(name="yearly_caf_refresh", cron_schedule="0 5 1 7 *", job=refresh_caf)
caf_newer_period = newer_period_sensor(
    name="caf_newer_period",
    job=refresh_caf,
    catalogue_url=s.ODS_PERIODS_URL.format(dataset_id=s.S_BEN_COM_F),
    period_field=s.ODS_DATE,
    staged_asset="stg_caf",
    dataset=s.DATASET_ODS_COMMUNE,
    affected=[*OWN_ASSETS, *SHARED_DOWNSTREAM],
)

ASSETS = [stg_caf, caf_observations_asset, caf_indicators]
CHECKS = [caf_totals_add_up]
STAGED = ["stg_caf"]
PUBLISHED: list[str] = []
OBSERVATIONS = ["caf_observations"]
CATALOGS = ["caf_indicators"]
JOBS = [refresh_caf]
SCHEDULES = [yearly_caf]
SENSORS = [caf_newer_period]
