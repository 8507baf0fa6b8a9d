"""Time-series tables shared by the CAF and job-seeker sources: the `revision_log` (a period published
twice with different values: the later release wins, the change is kept here) and `series_coverage`
(per indicator and period, how many QPV figures each geography has: 2015 and 2024 never joined).

Also the newer-period sensor factory used by pipelines/assets/caf.py and france_travail.py: it asks the
publisher's catalogue (through a small injectable client) whether a period newer than ours exists
(models.series.detect_newer_period) and, if so, requests a run of only the affected assets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl
from dagster import (
    AssetIn,
    AssetKey,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from models.series import REVISION_LOG_SCHEMA, detect_newer_period, geography_coverage

GROUP = "series"

# Asset names, in other modules, holding the revisions and observations of each source.
REVISION_INPUTS = {"caf": "caf_revisions", "france_travail": "defm_revisions"}
SERIES_INPUTS = {"caf": "caf_observations", "france_travail": "defm_observations"}

REVISION_LOG_COLUMNS: dict[str, pl.DataType] = {"source": pl.String(), **REVISION_LOG_SCHEMA}


@asset(
    group_name=GROUP,
    ins={name: AssetIn(name) for name in REVISION_INPUTS.values()},
    compute_kind="polars",
)
def revision_log(**frames: pl.DataFrame) -> pl.DataFrame:
    """Figures republished with a different value or status: one row per indicator × territory ×
    period × (older release, newer release), with both values. The newer release is the one in
    `observation`; the older one is kept only here. From the CAF and job-seeker releases of this build."""
    parts = [
        frames[name].with_columns(pl.lit(source).alias("source")).select(list(REVISION_LOG_COLUMNS))
        for source, name in REVISION_INPUTS.items()
        if name in frames
    ]
    out = pl.concat(parts) if parts else pl.DataFrame(schema=REVISION_LOG_COLUMNS)
    return out.cast(REVISION_LOG_COLUMNS)  # type: ignore[arg-type]


COVERAGE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "indicator_id": pl.String(),
    "period": pl.String(),
    "period_type": pl.String(),
    "n_qpv2015": pl.Int64(),
    "n_qpv2024": pl.Int64(),
    "coverage": pl.String(),
}


@asset(
    group_name=GROUP,
    ins={name: AssetIn(name) for name in SERIES_INPUTS.values()},
    compute_kind="polars",
)
def series_coverage(**frames: pl.DataFrame) -> pl.DataFrame:
    """Per source, indicator and period: QPV figures in the 2015 geography, in the 2024 geography, and
    `coverage` = both | qpv2015_only (only the old geography exists: said, not filled) | qpv2024_only.
    The two geographies are two separate series: this table says which exists when."""
    parts = [
        geography_coverage(frames[name]).with_columns(pl.lit(source).alias("source"))
        for source, name in SERIES_INPUTS.items()
        if name in frames
    ]
    out = pl.concat([p.select(list(COVERAGE_SCHEMA)) for p in parts]) if parts else None
    return (
        out.cast(COVERAGE_SCHEMA)  # type: ignore[arg-type]
        if out is not None
        else pl.DataFrame(schema=COVERAGE_SCHEMA)
    )


# --- newer-period sensor -------------------------------------------------------------------------------
CatalogueClient = Callable[[str], Mapping[str, object]]


def http_catalogue(url: str) -> Mapping[str, object]:
    """GET an OpenDataSoft catalogue query (small JSON answer), 30 s read timeout."""
    import requests

    response = requests.get(url, timeout=(10.0, 30.0), headers={"User-Agent": "quartiers/0.1"})
    response.raise_for_status()
    data: Mapping[str, object] = response.json()
    return data


def latest_local_period(home: Path, staged_asset: str, dataset: str) -> str | None:
    """The latest period of `dataset` in the staged table `<home>/staged/<staged_asset>.parquet`
    (None before the first refresh). Periods of one dataset share one label form, so max() is right
    for `YYYY-Qn` and `YYYY-MM-DD` labels."""
    path = home / "staged" / f"{staged_asset}.parquet"
    if not path.exists():
        return None
    latest = (
        pl.scan_parquet(path)
        .filter(pl.col("source_dataset") == dataset)
        .select(pl.col("period").max())
        .collect()
        .item()
    )
    return None if latest is None else str(latest)


def newer_period_sensor(
    *,
    name: str,
    job: JobDefinition | UnresolvedAssetJobDefinition,
    catalogue_url: str,
    period_field: str,
    staged_asset: str,
    dataset: str,
    affected: Sequence[str],
    client: CatalogueClient | None = None,
    home: Callable[[], Path] | None = None,
    interval_s: int = 24 * 3600,
) -> SensorDefinition:
    """A sensor that asks the publisher's catalogue for its latest period and, when it is newer than the
    latest period of `dataset` staged locally, requests a run of only the `affected` assets.

    The cursor holds the remote period already requested, so one new period triggers one run. `client`
    (URL → JSON) and `home` are injectable for tests.
    """
    fetch = client or http_catalogue

    def _home() -> Path:
        if home is not None:
            return home()
        from pipelines.paths import default_home

        return default_home()

    @sensor(name=name, job=job, minimum_interval_seconds=interval_s)
    def _sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        local = latest_local_period(_home(), staged_asset, dataset)
        try:
            catalogue = fetch(catalogue_url)
        except Exception as exc:  # network trouble: try again next tick, never crash the daemon
            return SkipReason(f"catalogue {catalogue_url} unreachable: {exc}")
        decision = detect_newer_period(local, catalogue=catalogue, period_field=period_field)
        if not decision.newer:
            return SkipReason(decision.reason)
        if decision.remote_latest is not None and context.cursor == decision.remote_latest:
            return SkipReason(f"a run was already requested for {decision.remote_latest}")
        context.update_cursor(decision.remote_latest)
        return RunRequest(
            run_key=f"{dataset}:{decision.remote_latest}",
            asset_selection=[AssetKey(a) for a in affected],
            tags={"quartiers/dataset": dataset, "quartiers/newer_period": str(decision.remote_latest)},
        )

    return _sensor


# Downstream of every source's own assets: what a newer period must also rebuild.
SHARED_DOWNSTREAM = (
    "revision_log",
    "series_coverage",
    "observation",
    "indicator",
    "source_file",
    "warehouse",
)

ASSETS = [revision_log, series_coverage]
PUBLISHED = ["revision_log", "series_coverage"]
