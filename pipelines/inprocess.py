"""Run a job in this process without keeping its outputs in memory, telling who listens when each step
ends.

Why not ``JobDefinition.execute_in_process``: it captures every step's output value in a dict held by
the run and its result (so that ``result.output_for_node`` works). Our assets hand every output to the
Parquet IO manager, so those captured frames are dead weight; in a national refresh they were held to
the end of the run and the peak RSS became the *sum* of the big tables (8.6 GiB) instead of the
largest step. Success/failure hooks capture outputs too (a hook may read them), so steps are followed
through the run's event stream instead. This is Dagster's own ``core_execute_in_process`` sequence with
the capture turned off and the events handed over as they come (Dagster is pinned in pyproject, and
tests/unit/test_inprocess.py fails if outputs are kept again).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from typing import cast

from dagster import DagsterEvent, DagsterInstance, DagsterRun, ExecuteInProcessResult, JobDefinition

from pipelines.dagster_private import (
    ExecuteRunWithPlanIterable,
    InMemoryJob,
    PlanOrchestrationContextManager,
    create_execution_plan,
    job_execution_iterator,
    merge_run_tags,
    orchestration_context_event_generator,
)

StepListener = Callable[[str, bool], None]  # (step key, succeeded)


def execute_uncaptured(
    job_def: JobDefinition,
    *,
    run_config: Mapping[str, object],
    instance: DagsterInstance,
    tags: Mapping[str, str] | None = None,
    on_step: StepListener | None = None,
) -> ExecuteInProcessResult:
    """``job_def.execute_in_process(run_config=…, instance=…, raise_on_error=False, tags=…)``, except
    that no output value is kept (``result.output_for_node`` is not available; read the IO manager),
    and ``on_step(step_key, succeeded)`` is called as each step succeeds or fails."""
    job = InMemoryJob(job_def=job_def.as_ephemeral_job(resource_defs={}, input_values={}))
    execution_plan = create_execution_plan(job, run_config=run_config)
    run = instance.create_run_for_job(
        job_def=job.get_definition(),
        run_config=run_config,
        tags=merge_run_tags(
            job_def=job_def,
            partition_key=None,
            tags=tags,
            asset_selection=None,
            instance=instance,
            run_config=run_config,
        ),
        execution_plan=execution_plan,
    )
    events: list[DagsterEvent] = []
    # Everything alive now (Dagster, the definitions, the modules) outlives the run: freeze it so that the
    # collection after each step walks only what the run created (0.16 s a step when it walked them all).
    gc.collect()
    gc.freeze()
    try:
        for event in ExecuteRunWithPlanIterable(
            execution_plan=execution_plan,
            iterator=job_execution_iterator,
            execution_context_manager=PlanOrchestrationContextManager(
                context_event_generator=orchestration_context_event_generator,
                job=job,
                execution_plan=execution_plan,
                dagster_run=run,
                instance=instance,
                run_config=run_config,
                executor_defs=None,
                output_capture=None,  # the point of this module
                raise_on_error=False,
            ),
        ):
            events.append(event)
            if event.step_key and (event.is_step_success or event.is_step_failure):
                # A step's frames may sit in reference cycles (its context, a traceback); the cyclic collector
                # runs on counts of Python objects, and a few huge frames are few objects: collect now, or
                # they stay resident under the next steps.
                gc.collect()
                if on_step is not None:
                    on_step(event.step_key, event.is_step_success)
    finally:
        gc.unfreeze()
    return ExecuteInProcessResult(
        job_def=job.get_definition(),
        event_list=events,
        dagster_run=cast(DagsterRun, instance.get_run_by_id(run.run_id)),
        output_capture={},
    )
