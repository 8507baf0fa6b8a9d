"""One observation contract: warehouse/schema.sql, the Polars schema and the base Pandera model agree."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from checks.observation import ObservationModel
from models.observation import OBSERVATION_KEY, OBSERVATION_SCHEMA

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "warehouse" / "schema.sql"
SQL_TYPES = {pl.String(): "VARCHAR", pl.Float64(): "DOUBLE", pl.Int64(): "BIGINT", pl.Boolean(): "BOOLEAN"}


def _ddl_columns(table: str) -> dict[str, str]:
    text = SCHEMA_SQL.read_text(encoding="utf-8")
    body = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", text, re.S)
    assert body, table
    columns = {}
    for line in body.group(1).splitlines():
        m = re.match(r"\s+(\w+) (\w+)", line.split("--")[0])
        if m:
            columns[m.group(1)] = m.group(2)
    return columns


def test_schema_sql_holds_exactly_the_observation_schema() -> None:
    ddl = _ddl_columns("observation")
    expected = {name: SQL_TYPES[dtype] for name, dtype in OBSERVATION_SCHEMA.items()} | {"best": "BOOLEAN"}
    assert ddl == expected


def test_the_base_model_checks_every_column_and_the_key_is_in_the_schema() -> None:
    fields = set(ObservationModel.to_schema().columns)
    assert fields == set(OBSERVATION_SCHEMA)
    assert set(OBSERVATION_KEY) <= set(OBSERVATION_SCHEMA)


def test_sources_without_parts_columns_still_validate() -> None:
    from models.observation import conform_observations

    row = conform_observations(pl.DataFrame({"indicator_id": ["x"], "territory_kind": ["commune"],
        "territory_code": ["61006"], "geo_version": ["cog2024"], "period": ["2021"], "period_type": ["year"],
        "value": [1.0], "status": ["published"], "method": ["published"], "source_dataset": ["d"],
        "source_vintage": ["2021"]}))  # fmt: skip
    ObservationModel.validate(row)
    ObservationModel.validate(row.drop("parts_hidden", "parts_total"))
