"""Generate the synthetic sample mirror: every source's files for the fictional territory.

    python -m synthetic.sample OUT_DIR [--seed N]

Deterministic: the same seed writes the same bytes. Each source contributes a writer
``write_<stem>(mirror, territory, seed)`` in ``synthetic/<stem>.py``, found by `writers()`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import shutil
from collections.abc import Callable
from pathlib import Path

from synthetic.geography import write_geography
from synthetic.territory import Territory, build_territory

DEFAULT_SEED = 2024

Writer = Callable[[Path, Territory, int], list[Path]]


def writers() -> list[Writer]:
    """Geography first, then every module of this package defining ``write_<module name>``."""
    import synthetic

    found: list[Writer] = [write_geography]
    for info in sorted(pkgutil.iter_modules(synthetic.__path__), key=lambda m: m.name):
        if info.name in {"geography", "sample", "territory"} or info.name.startswith("national"):
            continue  # the national_* modules are the benchmarks' variants, not sample writers
        module = importlib.import_module(f"synthetic.{info.name}")
        writer = getattr(module, f"write_{info.name}", None)
        if writer is not None:
            found.append(writer)
    return found


def generate_sample(mirror: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample mirror into ``mirror`` (replaced whole); returns the files written."""
    tmp = mirror.with_name(mirror.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    territory = build_territory(seed)
    written: list[Path] = []
    for writer in writers():
        written.extend(writer(tmp, territory, seed))
    (tmp / "SYNTHETIC.txt").write_text(
        f"Données synthétiques générées par synthetic.sample, graine {seed}. Aucun chiffre réel.\n",
        encoding="utf-8",
    )
    if mirror.exists():
        shutil.rmtree(mirror)
    tmp.rename(mirror)
    return [mirror / p.relative_to(tmp) for p in written]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for path in generate_sample(args.out, args.seed):
        print(path)


if __name__ == "__main__":
    main()
