"""Grid staging alone on the national mirror: parse of the Filosofi 200 m CSV zip (metropolitan member)
plus the Pandera check of the staged cells, the work of the `stg_filosofi_grid` asset, in a fresh process.

    python -m bench.grid_staging [--mirror DIR]

Prints the wall time, the peak RSS of the process (ru_maxrss) and the staged shape, as a JSON line last.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench._common import ensure_mirror, load_average, national_mirror, peak_rss_mib, timed

GRID_ZIP = "www.insee.fr/fr/statistiques/fichier/8735162/Filosofi2021_carreaux_200m_csv.zip"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirror", type=Path, default=None)
    args = parser.parse_args()
    mirror = args.mirror or national_mirror()
    ensure_mirror(mirror)
    from checks.filosofi_grid import FilosofiGridCells
    from sources.filosofi_grid import parse_filosofi_grid_csv

    print(load_average())
    with timed() as t_parse:
        cells = parse_filosofi_grid_csv(mirror / GRID_ZIP, territories=["met"])
    with timed() as t_check:
        FilosofiGridCells.validate(cells)
    result = {
        "cells": cells.height,
        "columns": cells.width,
        "estimated_mib": round(cells.estimated_size("mb"), 1),
        "parse_s": round(t_parse[0], 2),
        "check_s": round(t_check[0], 2),
        "peak_rss_mib": round(peak_rss_mib()),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
