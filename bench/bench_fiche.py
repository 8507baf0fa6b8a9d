"""Time one fiche and all fiches of the sample contract (prints figures; not a timed test).

    python -m bench.bench_fiche [--home DIR] [--contract sample]

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
from pathlib import Path

from models.contracts import load_contract
from pipelines.paths import default_home, warehouse_path
from warehouse.fiche import build_fiche, write_fiche
from warehouse.store import connect_readonly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=default_home())
    parser.add_argument("--contract", default="sample")
    args = parser.parse_args()
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
