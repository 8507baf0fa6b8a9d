"""A national-scale synthetic France, in the official file formats: the base of the benchmarks (bench/).

    python -m synthetic.national [--out DIR] [--seed N] [--scale S]

`build_national_territory(seed)` returns the same `Territory` type as the sample (a subclass that adds
the départements and régions, and an O(1) `commune()` lookup), so every source's sample writer can
write national files. About 35,000 communes (a jittered 4 km grid tiling 800 × 700 km of Lambert-93),
96 metropolitan départements, 13 régions, ~1,500 EPCIs, ~1,600 QPVs of the 2024 geography and ~1,500
of the 2015 geography with hundreds of vertices each (unchanged, extended, reduced, merged, new and
removed between the two), ~2.3 million inhabited 200 m cells and ~60,000 schools.

Writers: the national variants below replace the sample writers that assume one département or loop in
Python over cells (geography, filosofi_grid, education); every other `write_<stem>` found by
synthetic.sample is used as is, so a source that lands later is written at national scale too.
Deterministic: the same seed and scale write the same bytes. Labelled "données synthétiques".
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from synthetic.national_education import write_national_education
from synthetic.national_geography import write_national_geography
from synthetic.national_grid import write_national_filosofi_grid
from synthetic.national_territory import DEFAULT_SEED, build_national_territory
from synthetic.territory import Territory

Writer = Callable[[Path, Territory, int], list[Path]]


# ----------------------------------------------------------------------------------------------------
# Geography (national variant: many départements; vectorised reprojection)


# ----------------------------------------------------------------------------------------------------
# Filosofi 200 m grid (national variant: numpy over millions of cells, polars CSV writer)


# ----------------------------------------------------------------------------------------------------
# Education (national variant: ~60,000 schools placed with array ops, written by the sample writer)


# ----------------------------------------------------------------------------------------------------
# The whole mirror

NATIONAL_VARIANTS: dict[str, Writer] = {
    "write_geography": write_national_geography,
    "write_filosofi_grid": write_national_filosofi_grid,
    "write_education": write_national_education,
}


def national_writers() -> list[Writer]:
    """Every sample writer, with the national variants in place of those that cannot scale."""
    from synthetic.sample import writers

    return [NATIONAL_VARIANTS.get(w.__name__, w) for w in writers()]


def default_mirror() -> Path:
    from warehouse.paths import default_home

    return default_home() / "mirror-national"


def generate_national(
    mirror: Path | None = None,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the national mirror into `mirror` (replaced whole); returns the files written."""
    mirror = mirror or default_mirror()
    say = log or (lambda _m: None)
    tmp = mirror.with_name(mirror.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    territory = build_national_territory(seed, scale)
    say(
        f"territory: {len(territory.communes)} communes, {len(territory.qpv2024)} QPV 2024, "
        f"{len(territory.qpv2015)} QPV 2015, {len(territory.epcis)} EPCI "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    written: list[Path] = []
    for writer in national_writers():
        t = time.perf_counter()
        files = writer(tmp, territory, seed)
        written.extend(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        say(
            f"{writer.__module__}.{writer.__name__}: {len(files)} files, {size:.1f} MB "
            f"({time.perf_counter() - t:.1f} s)"
        )
    (tmp / "SYNTHETIC.txt").write_text(
        f"Données synthétiques nationales générées par synthetic.national, graine {seed}, échelle {scale}. "
        "Aucun chiffre réel.\n",
        encoding="utf-8",
    )
    if mirror.exists():
        shutil.rmtree(mirror)
    tmp.rename(mirror)
    say(f"total {time.perf_counter() - t0:.1f} s → {mirror}")
    return [mirror / p.relative_to(tmp) for p in written]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=None, help="default: <home>/mirror-national")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the national commune count")
    args = parser.parse_args()
    generate_national(args.out, args.seed, args.scale, log=lambda m: print(m, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
