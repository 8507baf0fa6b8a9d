"""How the registry knows the census IRIS bases: their official URLs and the recogniser of their files."""

from __future__ import annotations

from pathlib import Path

from sources import registry
from sources.insee_rp import settings as s
from sources.insee_rp import sniff_header

URLS: dict[str, list[registry.UrlEntry]] = {
    s.DATASET: [
        registry.UrlEntry(
            s.url(theme, s.DEFAULT_VINTAGE),
            "zip_member",
            f"{s.DEFAULT_VINTAGE} {theme}",
            s.LICENCE,
            s.member(theme, s.DEFAULT_VINTAGE),
        )
        for theme in s.THEMES
    ]
}


def recognise(path: Path, head: bytes) -> registry.Layout | None:
    """Registry recogniser: a census IRIS base (zip or CSV) by its header → vintage label
    "<vintage> <theme>" (one file per theme and vintage); None for any other file."""
    found = sniff_header(path, head)
    if found is None:
        return None
    layout, member = found
    return registry.Layout(s.DATASET, "zip" if member else "csv", f"{layout.vintage} {layout.theme}")
