"""The Dagster definitions load, with every asset and its checks wired."""

from __future__ import annotations

from dagster import AssetKey

from pipelines.definitions import defs


def test_definitions_load() -> None:
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    for table in (
        "territory",
        "territory_link",
        "qpv_crosswalk",
        "source_file",
        "warehouse",
        "stg_qpv_perimeters",
    ):
        assert table in keys
    checked = {c.asset_key for c in repo.asset_graph.asset_check_keys}
    assert AssetKey("territory") in checked and AssetKey("qpv_crosswalk") in checked
    assert defs.resolve_job_def("refresh") is not None
