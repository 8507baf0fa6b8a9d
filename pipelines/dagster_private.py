"""Every name Quartiers takes from Dagster's private modules (``dagster._core…``), in one place.

Dagster is pinned in pyproject; these names are not part of its public API and may move in any release.
An upgrade checks this module (importing it is enough: tests/integration/test_definitions.py loads the
definitions, tests/unit/test_inprocess.py runs a job through them), and no other module imports
``dagster._``. What each is for:
- the run-execution sequence of ``execute_in_process`` without its output capture (pipelines/inprocess.py);
- the run tags that give a run a partition range (pipelines/refresh.py);
- the type of an asset job before it is resolved against the definitions (assets/period_triggers.py,
  assets/period_source.py).
"""

from __future__ import annotations

from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.execution.api import (
    ExecuteRunWithPlanIterable,
    create_execution_plan,
    job_execution_iterator,
)
from dagster._core.execution.context_creation_job import (
    PlanOrchestrationContextManager,
    orchestration_context_event_generator,
)
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "ExecuteRunWithPlanIterable",
    "InMemoryJob",
    "PlanOrchestrationContextManager",
    "UnresolvedAssetJobDefinition",
    "create_execution_plan",
    "job_execution_iterator",
    "merge_run_tags",
    "orchestration_context_event_generator",
]
