"""Analyst query latency: the profile of one QPV with its reference territories (commune(s), EPCI,
département, France, all QPVs), p50/p95, on the national warehouse, without and with a full refresh
running in a subprocess against the same warehouse.

    python -m bench.query [--n 60] [--no-refresh]

Uses the `v_profile` view when the warehouse has it, else `observation` joined to `territory_link`.
Target: p50 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import duckdb

from bench._common import PYTHON, bench_home, load_average

FALLBACK = """
WITH refs AS (
    SELECT ?::VARCHAR AS kind, ?::VARCHAR AS code
    UNION ALL
    SELECT parent_kind, parent_code FROM territory_link WHERE child_kind = $1 AND child_code = $2
    UNION ALL
    SELECT p.parent_kind, p.parent_code FROM territory_link c JOIN territory_link p
      ON p.child_kind = c.parent_kind AND p.child_code = c.parent_code
    WHERE c.child_kind = $1 AND c.child_code = $2
)
SELECT o.* FROM observation o JOIN refs r ON o.territory_kind = r.kind AND o.territory_code = r.code
"""


def _has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0])  # type: ignore[index]


def _pick_qpv(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    row = con.execute(
        "SELECT territory_kind, territory_code FROM observation WHERE territory_kind = 'qpv2024' "
        "GROUP BY ALL ORDER BY count(*) DESC, territory_code LIMIT 1"
    ).fetchone()
    if row is None:
        raise SystemExit("no QPV observation in the warehouse")
    return str(row[0]), str(row[1])


def measure(
    path: Path, n: int, *, until: subprocess.Popen[bytes] | None = None
) -> tuple[list[float], int, str]:
    from warehouse.store import connect_readonly

    con = connect_readonly(path, spatial=False)
    kind, code = _pick_qpv(con)
    if con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'profile_of'").fetchone()[
        0
    ]:  # type: ignore[index]
        sql, params, how = ("SELECT * FROM profile_of(?, ?)", [kind, code], "profile_of()")
    elif _has_view(con, "v_profile"):
        sql, params, how = (
            "SELECT * FROM v_profile WHERE geography = ? AND qpv_code = ?",
            [kind, code],
            "v_profile",
        )
    else:
        sql, params, how = FALLBACK, [kind, code], "observation ⋈ territory_link"
    con.execute(sql, params).fetchall()  # warm-up
    times: list[float] = []
    rows = 0
    while len(times) < n or (until is not None and until.poll() is None and len(times) < 10 * n):
        start = time.perf_counter()
        rows = len(con.execute(sql, params).fetchall())
        times.append((time.perf_counter() - start) * 1000)
        if until is not None and until.poll() is not None and len(times) >= n:
            break
    con.close()
    return times, rows, f"{how}, {kind} {code}"


def _pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--no-refresh", action="store_true")
    args = parser.parse_args()
    from warehouse.paths import warehouse_path

    path = warehouse_path(bench_home())
    print(load_average())
    times, rows, how = measure(path, args.n)
    print(
        f"profile query ({how}, {rows} rows), idle: "
        f"p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms "
        f"over {len(times)} runs"
    )
    if args.no_refresh:
        return
    # A forced full rebuild (the mirror is unchanged, so an unforced one would stop early in ~1 s and the
    # queries would run beside nothing): analysts must not be slowed down or blocked while it runs.
    proc = subprocess.Popen(
        [PYTHON, "-m", "bench.refresh", "--child", "full"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # let the refresh get going
        times, rows, how = measure(path, args.n, until=proc)
    finally:
        still_running = proc.poll() is None
        out, _ = proc.communicate()
    print(
        "profile query during a full refresh "
        f"(subprocess{' still running at the end' if still_running else ''}): "
        f"p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms over {len(times)} runs; {load_average()}"
    )
    lines = out.decode().strip().splitlines()
    if lines:
        res = json.loads(lines[-1])
        print(
            f"the concurrent refresh (forced full rebuild): {res['wall_s']} s, "
            f"peak RSS {res['peak_rss_mib']} MiB, {res['assets_materialised']} assets materialised, "
            f"success={res['success']}, stopped early={res.get('skipped')} ({res.get('reason')})"
        )


if __name__ == "__main__":
    main()
