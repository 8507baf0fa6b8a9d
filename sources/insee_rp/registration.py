"""How the registry knows the census IRIS bases: their official URLs and the recogniser of their files."""

from __future__ import annotations

from pathlib import Path

from sources import registry
from sources.insee_rp import settings as rp_settings
from sources.insee_rp import sniff_header

URLS: dict[str, list[registry.UrlEntry]] = {
    rp_settings.DATASET: [
        registry.UrlEntry(
            rp_settings.url(theme, rp_settings.DEFAULT_VINTAGE),
            "zip_member",
            f"{rp_settings.DEFAULT_VINTAGE} {theme}",
            rp_settings.LICENCE,
            rp_settings.member(theme, rp_settings.DEFAULT_VINTAGE),
        )
        for theme in rp_settings.THEMES
    ]
}


def recognise(path: Path, head: bytes) -> registry.Layout | None:
    """Registry recogniser: a census IRIS base (zip or CSV) by its header → vintage label
    "<vintage> <theme>" (one file per theme and vintage); None for any other file."""
    found = sniff_header(path, head)
    if found is None:
        return None
    layout, member = found
    return registry.Layout(
        rp_settings.DATASET, "zip" if member else "csv", f"{layout.vintage} {layout.theme}"
    )
