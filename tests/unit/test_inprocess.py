"""`execute_uncaptured` runs a job like `execute_in_process` but keeps no output in memory: an output is
released once the IO manager has stored it (what kept a national refresh's big frames alive)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from dagster import (
    DagsterInstance,
    Definitions,
    InputContext,
    IOManager,
    OutputContext,
    asset,
    define_asset_job,
)

from pipelines.inprocess import execute_uncaptured


class Big:
    """Stands for a large frame: weak-referenceable, so the test sees whether anything still holds it."""

    def __init__(self, n: int) -> None:
        self.n = n


REFS: list[weakref.ref[Big]] = []
STORED: dict[str, int] = {}


class RememberingIO(IOManager):
    """Stores the size only (like the Parquet IO manager, which writes the frame and forgets it)."""

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        REFS.append(weakref.ref(obj))
        STORED[context.asset_key.to_user_string()] = obj.n

    def load_input(self, context: InputContext) -> Any:
        return Big(STORED[context.asset_key.to_user_string()])


@asset
def upstream_big() -> Big:
    return Big(3)


@asset
def downstream_big(upstream_big: Big) -> Big:
    return Big(upstream_big.n + 1)


def _job() -> Any:
    defs = Definitions(
        assets=[upstream_big, downstream_big],
        jobs=[define_asset_job("both")],
        resources={"io_manager": RememberingIO()},
    )
    return defs.resolve_job_def("both")


def test_outputs_are_released_after_the_io_manager_stored_them() -> None:
    REFS.clear()
    STORED.clear()
    seen: list[tuple[str, bool]] = []
    with DagsterInstance.ephemeral() as instance:
        result = execute_uncaptured(
            _job(), run_config={}, instance=instance, on_step=lambda s, ok: seen.append((s, ok))
        )
    assert result.success
    assert seen == [("upstream_big", True), ("downstream_big", True)]
    assert STORED == {"upstream_big": 3, "downstream_big": 4}
    gc.collect()
    assert len(REFS) == 2
    assert all(ref() is None for ref in REFS)  # nothing holds the outputs any more
    del result


def test_execute_in_process_keeps_them_which_is_why_it_is_not_used() -> None:
    REFS.clear()
    STORED.clear()
    with DagsterInstance.ephemeral() as instance:
        result = _job().execute_in_process(instance=instance)
    gc.collect()
    assert result.success
    assert any(ref() is not None for ref in REFS)


def test_a_failing_step_is_reported_not_raised() -> None:
    @asset(name="upstream_big")
    def failing() -> Big:
        raise ValueError("boom")

    defs = Definitions(
        assets=[failing], jobs=[define_asset_job("one")], resources={"io_manager": RememberingIO()}
    )
    seen: list[tuple[str, bool]] = []
    with DagsterInstance.ephemeral() as instance:
        result = execute_uncaptured(
            defs.resolve_job_def("one"),
            run_config={},
            instance=instance,
            tags={"t": "1"},
            on_step=lambda s, ok: seen.append((s, ok)),
        )
    assert not result.success
    assert seen == [("upstream_big", False)]
    assert any(e.is_step_failure for e in result.all_events)
    assert result.dagster_run.tags.get("t") == "1"
