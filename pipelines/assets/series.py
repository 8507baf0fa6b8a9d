"""Time-series tables shared by the per-period sources (CAF, job seekers): the `revision_log` (a period
published twice with different values: the later release wins, the change is kept here) and
`series_coverage` (per indicator and period, how many QPV figures each geography has: 2015 and 2024
never joined). Their inputs are the sources' own series assets, which each source lists in ``SERIES``
(pipelines/assets/__init__.py): this module names no source.
"""

from __future__ import annotations

from typing import cast

import polars as pl
from dagster import AssetIn, asset

from models.series import REVISION_LOG_SCHEMA, geography_coverage
from pipelines.assets import collect

GROUP = "series"

# Each per-period source's (label, observations asset, revisions asset), as its module lists them.
_SERIES = [cast(tuple[str, str, str], entry) for entry in collect("SERIES")]
REVISION_INPUTS = {source: revisions for source, _, revisions in _SERIES}
SERIES_INPUTS = {source: observations for source, observations, _ in _SERIES}

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


ASSETS = [revision_log, series_coverage]
PUBLISHED = ["revision_log", "series_coverage"]
