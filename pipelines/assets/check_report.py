"""What the asset checks of the sources report: how many offending rows each rule found, and a preview."""

import polars as pl
from dagster import AssetCheckResult, MetadataValue


def preview(frame: pl.DataFrame, n: int = 10) -> MetadataValue:
    """The first `n` rows as a Markdown table (Dagster metadata)."""
    return MetadataValue.md(frame.head(n).to_pandas().to_markdown(index=False))


def offenders(found: dict[str, pl.DataFrame], examples: pl.DataFrame, n: int = 10) -> AssetCheckResult:
    """Passed when no frame of `found` (offending rows, by metadata name) has a row; metadata: each frame's
    row count, then a preview of `examples`."""
    return AssetCheckResult(
        passed=all(frame.is_empty() for frame in found.values()),
        metadata={**{name: frame.height for name, frame in found.items()}, "examples": preview(examples, n)},
    )
