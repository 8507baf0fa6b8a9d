"""Time one fiche and all fiches of the sample contract, or the fiches of every QPV of France on the
national warehouse, in parallel processes (prints figures; not a timed test).

    python -m bench.bench_fiche [--home DIR] [--contract sample]
    python -m bench.bench_fiche --france [--workers 2] [--limit N]   # national warehouse (bench.refresh)

Uses a built warehouse (default: $QUARTIERS_HOME or ./var; build it with `quartiers sample` and
`quartiers refresh --env sample`). Prints wall and CPU time: on a shared machine the CPU time is the
figure to compare with the target (one fiche well under a second).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench._common import bench_home
from sources.contracts import load_contract
from warehouse.fiche import build_fiche, write_fiche
from warehouse.paths import default_home, warehouse_path
from warehouse.store import connect_readonly


def _write_many(home: Path, codes: list[str], out: Path) -> tuple[int, float]:
    """One worker: its own read-only connection, its share of the fiches; (fiches written, CPU s)."""
    con = connect_readonly(warehouse_path(home), spatial=False)
    c = time.process_time()
    try:
        for code in codes:
            write_fiche(con, code, out, ("pdf", "html"))
    finally:
        con.close()
    return len(codes), time.process_time() - c


def france(home: Path, workers: int, limit: int | None) -> None:
    """Every QPV of both geographies of the national warehouse (or the first ``limit``), PDF + HTML,
    split over ``workers`` processes (each opens the warehouse read-only; DuckDB readers never block)."""
    con = connect_readonly(warehouse_path(home), spatial=False)
    codes = [
        r[0]
        for r in con.execute(
            "SELECT code FROM territory WHERE kind IN ('qpv2024', 'qpv2015') ORDER BY kind DESC, code"
        ).fetchall()
    ]
    con.close()
    total = len(codes)
    codes = codes[:limit] if limit else codes
    # Interleaved shares: both geographies and every département in each worker.
    shares = [codes[i::workers] for i in range(workers)]
    with tempfile.TemporaryDirectory() as tmp:
        w = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_write_many, [home] * workers, shares, [Path(tmp)] * workers))
        wall = time.perf_counter() - w
        n_files = sum(1 for _ in Path(tmp).iterdir())
    n, cpu = sum(d[0] for d in done), sum(d[1] for d in done)
    result = {
        "fiches": n,
        "qpv_in_warehouse": total,
        "files": n_files,
        "workers": workers,
        "wall_s": round(wall, 1),
        "cpu_s_all_workers": round(cpu, 1),
        "per_fiche_wall_s": round(wall / n, 3),
        "per_fiche_cpu_s": round(cpu / n, 3),
        "all_of_france_wall_s_at_this_rate": round(wall / n * total, 1),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--contract", default="sample")
    parser.add_argument("--france", action="store_true", help="every QPV of the national warehouse")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N QPVs (--france)")
    args = parser.parse_args()
    if args.france:
        france((args.home or bench_home()).resolve(), args.workers, args.limit)
        return
    args.home = args.home or default_home()
    contract = load_contract(args.contract)
    codes = [*contract.qpv2024_codes, *contract.former_qpv2015]
    con = connect_readonly(warehouse_path(args.home.resolve()), spatial=False)
    t0 = time.perf_counter()
    build_fiche(con, codes[0], ("pdf", "html"))  # warm-up: imports, fonts, matplotlib
    warm = time.perf_counter() - t0
    one: dict[str, dict[str, float]] = {}
    for fmt in ("pdf", "html", "md"):
        w, c = time.perf_counter(), time.process_time()
        build_fiche(con, codes[0], (fmt,))
        one[fmt] = {"wall_s": round(time.perf_counter() - w, 3), "cpu_s": round(time.process_time() - c, 3)}
    with tempfile.TemporaryDirectory() as tmp:
        w, c = time.perf_counter(), time.process_time()
        for code in codes:
            write_fiche(con, code, Path(tmp), ("pdf", "html"))
        all_wall, all_cpu = time.perf_counter() - w, time.process_time() - c
    result = {
        "contract": contract.name,
        "fiches": len(codes),
        "first_fiche_with_imports_s": round(warm, 3),
        "one_fiche": one,
        "all_fiches_pdf_html": {"wall_s": round(all_wall, 3), "cpu_s": round(all_cpu, 3)},
        "per_fiche_pdf_html": {
            "wall_s": round(all_wall / len(codes), 3),
            "cpu_s": round(all_cpu / len(codes), 3),
        },
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
