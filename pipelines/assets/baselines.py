"""Frozen contract baselines copied into each new warehouse, and their evaluation against its figures.

`contract_baseline` reads every baseline frozen by `quartiers baseline` from the baseline store
(``<home>/baselines/<contract>/<date>.parquet``, outside the warehouse, verified against its sha256):
a refresh never changes a frozen baseline, it only copies it. `contract_evaluation` compares each
frozen baseline with the figures of this build (models/baseline.py), at the build date.
"""

from datetime import date
from pathlib import Path

import polars as pl
from dagster import AssetCheckResult, AssetIn, asset, asset_check

from models.baseline import current_figures
from models.evaluation import EVALUATION_SCHEMA, evaluate
from models.predecessors import CONTRACT_QPV_SCHEMA
from pipelines.resources import SourcesResource
from sources.contracts import available_contracts, load_contract
from warehouse.baseline_store import all_baselines

GROUP = "contracts"


@asset(group_name=GROUP, compute_kind="polars")
def contract_qpv() -> pl.DataFrame:
    """The QPVs of every contract in ``contracts/`` and the 2015 QPVs each declares its 2024 QPVs
    replace (`replaces`): the last evidence `qpv_predecessor` uses, after ANCT's list and the overlap."""
    frames = [load_contract(name).qpv_rows() for name in available_contracts()]
    return pl.concat(frames) if frames else pl.DataFrame(schema=CONTRACT_QPV_SCHEMA)


@asset(group_name=GROUP, compute_kind="polars")
def contract_college_secteur() -> pl.DataFrame:
    """The collèges de secteur every contract in ``contracts/`` declares (`[[college_secteur]]`): the
    collèges the pupils of a 2024 QPV attend, whatever their distance (shown on fiches and baselines)."""
    rows = [
        {"contract": c.name, "code_2024": q, "uai": college.uai}
        for c in (load_contract(name) for name in available_contracts())
        for college in c.colleges_secteur
        for q in college.qpvs
    ]
    return pl.DataFrame(rows, schema={"contract": pl.String(), "code_2024": pl.String(), "uai": pl.String()})


@asset(group_name=GROUP, compute_kind="polars")
def contract_baseline(sources: SourcesResource) -> pl.DataFrame:
    """Every frozen baseline of every contract (from <home>/baselines, written by `quartiers
    baseline`): indicator × territory lines with value, status, period, geography, method, source file."""
    return all_baselines(Path(sources.home))


@asset(
    group_name=GROUP,
    ins={
        "contract_baseline": AssetIn("contract_baseline"),
        "observation": AssetIn("observation"),
        "indicator": AssetIn("indicator"),
        "source_file": AssetIn("source_file"),
        "territory": AssetIn("territory"),
        "qpv_crosswalk": AssetIn("qpv_crosswalk"),
    },
    compute_kind="polars",
)
def contract_evaluation(
    contract_baseline: pl.DataFrame,
    observation: pl.DataFrame,
    indicator: pl.DataFrame,
    source_file: pl.DataFrame,
    territory: pl.DataFrame,
    qpv_crosswalk: pl.DataFrame,
) -> pl.DataFrame:
    """Each frozen baseline against this build's figures (at the build date): change, change of the gap
    QPV − reference territory, comparability flag and its reason (from contract_baseline, observation,
    indicator, source_file, territory, qpv_crosswalk)."""
    today = date.today()
    parts = []
    for _key, base in contract_baseline.group_by(["contract", "baseline_date"], maintain_order=True):
        now = current_figures(
            base,
            observation=observation,
            indicator=indicator,
            source_file=source_file,
            territory=territory,
            at=today,
        )
        parts.append(evaluate(base, now, indicator=indicator, evaluated_at=today, crosswalk=qpv_crosswalk))
    return pl.concat(parts) if parts else pl.DataFrame(schema=EVALUATION_SCHEMA)


@asset_check(asset=contract_evaluation, description="Every evaluation line explains its comparability flag")
def every_evaluation_line_has_a_reason(contract_evaluation: pl.DataFrame) -> AssetCheckResult:
    bad = contract_evaluation.filter(pl.col("reason").is_null() | (pl.col("reason").str.len_chars() == 0))
    return AssetCheckResult(passed=bad.height == 0, metadata={"lines_without_reason": bad.height})


ASSETS = [contract_qpv, contract_college_secteur, contract_baseline, contract_evaluation]
CHECKS = [every_evaluation_line_has_a_reason]
PUBLISHED = ["contract_qpv", "contract_college_secteur", "contract_baseline", "contract_evaluation"]
