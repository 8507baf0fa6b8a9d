"""The figures of a fiche: the one best figure per indicator, territory and period, and the words standing
for a figure that is not there (secret statistique, non calculable, non disponible)."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.fiche import fmt

STATUS_TEXT = {"suppressed": "secret statistique", "missing": "non disponible"}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def cell_text(r: dict[str, Any] | None) -> tuple[str, str | None, str | None]:
    """The text standing for one figure (value, or what stands in for it), its status and its bound."""
    if r is None or r["status"] is None:
        return "—", None, None
    status = r["status"]
    if status in STATUS_TEXT:
        return STATUS_TEXT[status], status, None
    if status == "not_computable":
        # our own sum: the producer hid some of its parts, not this figure (explained in the notes)
        parts = f" ({r.get('parts_hidden')} sur {r.get('parts_total')})" if r.get("parts_total") else ""
        return "non calculable" + parts, status, None
    if status == "not_applicable" or r["value"] is None:
        text = "non estimable" if r["method"] == "grid_estimate" else "non calculable"
        return text, "not_applicable", None
    bound = None
    if r["interval_low"] is not None and r["interval_high"] is not None:
        bound = fmt.bound_fr(r["interval_low"], r["interval_high"], r["unit"])
    return fmt.value_fr(r["value"], r["unit"]), status, bound


# The ranking of v_observation_best (warehouse/views_insee.sql), applied here to the fiche's own territories
# and indicators *before* ranking: the view ranks the whole observation table, and a filter on its output is
# not pushed below the window. tests/integration/test_fiche_e2e.py checks both agree.
BEST_SQL = """
WITH o AS (
    SELECT * FROM observation
    WHERE list_contains(?, indicator_id) AND list_contains(?, territory_code)
      AND list_contains(?, territory_kind || ':' || territory_code)
), best AS (
    SELECT o.*, row_number() OVER (
        PARTITION BY indicator_id, territory_kind, territory_code, period,
                     CASE WHEN territory_kind = 'ensemble_qpv' THEN geo_version END
        ORDER BY CASE status WHEN 'published' THEN 0 WHEN 'estimated' THEN 0 WHEN 'suppressed' THEN 1
                             WHEN 'not_computable' THEN 1 WHEN 'not_applicable' THEN 2 ELSE 3 END,
                 CASE method WHEN 'published' THEN 0 WHEN 'grid_estimate' THEN 1 WHEN 'recomputed' THEN 2
                             ELSE 3 END,
                 source_vintage DESC, source_dataset, geo_version DESC
    ) AS rk
    FROM o
)
SELECT o.indicator_id, o.territory_kind, o.territory_code, o.geo_version, o.period, o.period_type, o.value,
       o.status, o.method, o.interval_low, o.interval_high, o.parts_hidden, o.parts_total,
       o.source_dataset, o.source_vintage, i.label_fr, i.unit, sf.file_name
FROM best o
LEFT JOIN indicator i ON i.indicator_id = o.indicator_id
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
WHERE o.rk = 1
ORDER BY list_position(?, o.territory_kind || ':' || o.territory_code),
         o.indicator_id, o.period, o.geo_version
"""


# The same rows read from the figures flagged `best` when `observation` was staged (no window per fiche), one
# territory at a time: `observation` is stored sorted by territory, so an equality on kind and code reads a
# row group or two (a list_contains over the codes cannot use the zonemaps and scans the whole table:
# 88 ms → 32 ms per fiche on the national warehouse). Sorted in the order of ``keys`` (the fiche's columns),
# so the charts list the territories in that order.
BEST_OF_ONE_TERRITORY = """
SELECT o.indicator_id, o.territory_kind, o.territory_code, o.geo_version, o.period, o.period_type, o.value,
       o.status, o.method, o.interval_low, o.interval_high, o.parts_hidden, o.parts_total,
       o.source_dataset, o.source_vintage, o.source_sha256
FROM observation o
WHERE o.best AND o.territory_kind = ? AND o.territory_code = ? AND list_contains(?, o.indicator_id)
"""


BEST_TABLE_SQL = """
SELECT o.* EXCLUDE (source_sha256), i.label_fr, i.unit, sf.file_name
FROM ({territories}) o
LEFT JOIN indicator i ON i.indicator_id = o.indicator_id
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
ORDER BY list_position(?, o.territory_kind || ':' || o.territory_code),
         o.indicator_id, o.period, o.geo_version
"""


def best_figures(
    con: duckdb.DuckDBPyConnection, indicators: list[str], keys: list[str]
) -> list[dict[str, Any]]:
    """The v_observation_best rows of ``indicators`` for the territories ``keys`` (``kind:code``), in the
    order of ``keys``."""
    if not keys:
        return []
    # The statement's shape depends on the number of territories only; every value is bound.
    sql = BEST_TABLE_SQL.format(
        territories=" UNION ALL ".join(["(" + BEST_OF_ONE_TERRITORY + ")"] * len(keys))
    )
    params: list[Any] = []
    for key in keys:
        kind, code = key.split(":", 1)
        params += [kind, code, indicators]
    try:
        return _rows(con, sql, [*params, keys])
    except (duckdb.CatalogException, duckdb.BinderException):  # a warehouse built before `observation.best`
        codes = sorted({k.split(":", 1)[1] for k in keys})
        return _rows(con, BEST_SQL, [indicators, codes, keys, keys])


def _pick(figures: list[dict[str, Any]], period: str | None) -> dict[str, Any] | None:
    """The figure of ``period`` if there is one, else the latest that is not a publication gap."""
    if not figures:
        return None
    if period is not None:
        for f in figures:
            if f["period"] == period:
                return f
    usable = [f for f in figures if f["status"] != "missing"] or figures
    return max(usable, key=lambda f: f["period"])
