"""Shared reading and layout recognition for INSEE statistical files (QPV bases, Filosofi, comparateur)."""

from __future__ import annotations

from sources.insee_common.layouts import SPECS, STAGED_SCHEMA, Layout, LayoutSpec, identify, scan
from sources.insee_common.read import RawTable, read_table
from sources.insee_common.stage import stage_layout

__all__ = [
    "SPECS",
    "STAGED_SCHEMA",
    "Layout",
    "LayoutSpec",
    "RawTable",
    "identify",
    "read_table",
    "scan",
    "stage_layout",
]
