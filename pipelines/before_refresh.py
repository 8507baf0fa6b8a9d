"""What a refresh checks and says before any step: the sample mirror generated on first use, a mirror
that lacks the geography files refused up front, and the files of ``--files`` listed (recognised or
ignored, with the reason)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from sources._errors import FetchError
from sources._http import mirror_path
from sources.registry import ScanResult, default_urls

# The datasets every full refresh (or `--only geography`) needs: the geography layer's URLs.
GEOGRAPHY_DATASETS = (
    "qpv2024",
    "qpv2015",
    "cog_communes",
    "cog_departements",
    "cog_regions",
    "cog_epci",
    "cog_unites_urbaines",
    "commune_contours",
)

REASONS_FR = {"no known layout": "pas un fichier de données connu"}


def ensure_sample_mirror(mirror: Path, console: Console | None) -> int:
    """Generate the synthetic sample mirror when its folder is absent or empty; the files written
    (0 when it was already there)."""
    if mirror.is_dir() and any(mirror.iterdir()):
        return 0
    from synthetic.sample import generate_sample

    files = generate_sample(mirror)
    if console is not None:
        console.print(
            f"Miroir d'exemple absent : données synthétiques générées ({len(files)} fichiers) dans "
            f"{escape(str(mirror))}"
        )
    return len(files)


def missing_mirror_files(
    mirror: Path, datasets: tuple[str, ...] = GEOGRAPHY_DATASETS
) -> list[tuple[str, Path]]:
    """(URL, expected path) of every file of `datasets` the mirror does not hold (each URL once)."""
    missing: list[tuple[str, Path]] = []
    for dataset in datasets:
        for entry in default_urls().get(dataset, []):
            path = mirror_path(mirror, entry.url)
            if not path.is_file() and (entry.url, path) not in missing:
                missing.append((entry.url, path))
    return missing


def required_by_group() -> dict[str, tuple[str, ...]]:
    """Per asset group, the URL datasets its assets require when reading from a mirror (the rule each
    asset module applies: `required=None` for these, optional for the others)."""
    from pipelines.assets import caf, education, filosofi_grid, france_travail, insee, insee_rp

    return {
        "geography": GEOGRAPHY_DATASETS,
        "caf": tuple(sorted(caf.VERIFIED)),
        "france_travail": tuple(sorted(france_travail.VERIFIED)),
        "education": tuple(sorted(education.CORE_DATASETS)),
        "insee": tuple(sorted(d for d in insee.URLS if d not in insee.OPTIONAL_URLS)),
        "insee_rp": (insee_rp.s.DATASET,),
        "filosofi_grid": (filosofi_grid.DATASET,),
    }


def check_mirror(mirror: Path, only: list[str] | None) -> None:
    """Refuse, before any step, a mirror lacking files that the selected sources require, naming each
    URL and where the mirror should hold it."""
    if not mirror.is_dir():
        raise FetchError(f"mirror folder {mirror} does not exist (expected <mirror>/<host>/<path>)")
    groups = required_by_group()
    datasets = [d for g, ds in groups.items() if not only or g in only for d in ds]
    missing = missing_mirror_files(mirror, tuple(datasets))
    if missing:
        lines = "\n".join(f"  {url} → expected {path}" for url, path in missing)
        raise FetchError(
            f"the mirror {mirror} lacks {len(missing)} required file(s); nothing was run:\n{lines}"
        )


def _names(paths: list[Path]) -> dict[Path, str]:
    """A file's name, or parent/name when two files given share the name (two PROVENANCE.md)."""
    count: dict[str, int] = {}
    for p in paths:
        count[p.name] = count.get(p.name, 0) + 1
    return {p: p.name if count[p.name] == 1 else f"{p.parent.name}/{p.name}" for p in paths}


def print_scan(result: ScanResult, console: Console) -> None:
    """The files of ``--files``: recognised (dataset · vintage · file) and ignored (file : reason)."""
    names = _names([p for p, _ in result.recognised] + [p for p, _ in result.unrecognised])
    console.print(f"[bold]Fichiers reconnus : {len(result.recognised)}[/]")
    console.print("  [dim]jeu de données · millésime · fichier[/]")
    for path, layout in sorted(result.recognised, key=lambda r: (r[1].dataset, r[1].vintage, str(r[0]))):
        vintage = layout.vintage
        if vintage in (layout.dataset, path.stem, "unknown", ""):
            vintage = "—"  # the layout names no release: the file name says it
        console.print(
            f"  {escape(layout.dataset)} · {escape(vintage)} · {escape(names[path])}", overflow="fold"
        )
    if result.unrecognised:
        console.print(f"[bold]Ignorés : {len(result.unrecognised)}[/]")
        for path, reason in result.unrecognised:
            console.print(f"  {escape(names[path])} : {REASONS_FR.get(reason, reason)}", overflow="fold")
