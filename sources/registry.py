"""Which official file is this? Layouts recognised from content, and the default URL of each dataset.

A refresh obtains files in one of two ways:
- by URL (over HTTP, or from a mirror directory): each dataset lists its official URLs below;
- from local files (``quartiers refresh --files PATH…``): each file is recognised by its content
  (header, keys, archive members), never by its name alone.

Each source owns how it is known: ``sources/<source>/registration.py`` defines ``URLS`` (dataset → its
official URLs) and ``recognise(path, head)``. The registry lists those modules explicitly, in the order
their recognisers are asked (``SOURCES``); the geography files (COG, ANCT perimeters and correspondence
list) are recognised here.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sources._errors import SourceFormatError
from sources.cog import settings as cog_settings
from sources.qpv_perimeters import settings as perimeter_settings

SNIFF_BYTES = 65_536


@dataclass(frozen=True)
class Layout:
    """A known file layout: the dataset it feeds, its form (which parser), and its vintage."""

    dataset: str
    form: str
    vintage: str


@dataclass(frozen=True)
class UrlEntry:
    url: str
    form: str
    vintage: str
    licence: str
    member: str | None = None


Recogniser = Callable[[Path, bytes], Layout | None]

DEFAULT_URLS: dict[str, list[UrlEntry]] = {
    "qpv2024": [
        UrlEntry(
            perimeter_settings.QPV2024_URL,
            "anct_perimeters",
            perimeter_settings.QPV2024_VINTAGE,
            perimeter_settings.LICENCE,
            perimeter_settings.QPV2024_MEMBER,
        )
    ],
    "qpv2015": [
        UrlEntry(
            perimeter_settings.QPV2015_URL,
            "anct_perimeters",
            perimeter_settings.QPV2015_VINTAGE,
            perimeter_settings.LICENCE,
            perimeter_settings.QPV2015_MEMBER,
        )
    ],
    "cog_communes": [
        UrlEntry(cog_settings.COMMUNES_URL, "insee_csv", str(cog_settings.COG_YEAR), cog_settings.LICENCE)
    ],
    "cog_departements": [
        UrlEntry(cog_settings.DEPARTEMENTS_URL, "insee_csv", str(cog_settings.COG_YEAR), cog_settings.LICENCE)
    ],
    "cog_regions": [
        UrlEntry(cog_settings.REGIONS_URL, "insee_csv", str(cog_settings.COG_YEAR), cog_settings.LICENCE)
    ],
    "cog_epci": [
        UrlEntry(
            cog_settings.EPCI_URL,
            "insee_xlsx",
            str(cog_settings.COG_YEAR),
            cog_settings.LICENCE,
            cog_settings.EPCI_MEMBER,
        )
    ],
    "cog_unites_urbaines": [
        UrlEntry(
            cog_settings.UU_URL,
            "insee_xlsx",
            str(cog_settings.COG_YEAR),
            cog_settings.LICENCE,
            cog_settings.UU_MEMBER,
        )
    ],
    "commune_contours": [
        UrlEntry(
            cog_settings.CONTOURS_URL,
            "geojson",
            str(cog_settings.COG_YEAR),
            "Licence Ouverte 2.0 (IGN, Etalab)",
        )
    ],
}

# Headers of the CSV layouts we know, to name the closest ones when a file fits none.
KNOWN_HEADERS: dict[str, list[str]] = {
    "cog_communes (INSEE v_commune)": [
        "TYPECOM",
        "COM",
        "REG",
        "DEP",
        "CTCD",
        "ARR",
        "TNCC",
        "NCC",
        "NCCENR",
        "LIBELLE",
    ],
    "cog_departements (INSEE v_departement)": ["DEP", "REG", "CHEFLIEU", "TNCC", "NCC", "NCCENR", "LIBELLE"],
    "cog_regions (INSEE v_region)": ["REG", "CHEFLIEU", "TNCC", "NCC", "NCCENR", "LIBELLE"],
}


def _year(path: Path, default: str = "unknown") -> str:
    found = re.findall(r"(20\d\d)", str(path))
    return found[-1] if found else default


def _decode(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
    try:
        return head.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        return head[: exc.start].decode("utf-8-sig") if exc.start > 100 else head.decode("latin-1")


def recognise_geography(path: Path, head: bytes) -> Layout | None:
    if head[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            return _recognise_workbook(path)
        joined = " ".join(names).lower()
        if "qp2024" in joined and any(n.lower().endswith((".geojson", ".shp", ".gpkg")) for n in names):
            return Layout("qpv2024", "anct_perimeters", "2024")
        if "qp_metropole" in joined or ("qp_" in joined and any(n.lower().endswith(".shp") for n in names)):
            return Layout("qpv2015", "anct_perimeters", "2015")
        if any(re.match(r"(epci|intercommunalite).*\.xlsx$", n.lower()) for n in names):
            return Layout("cog_epci", "insee_xlsx", _year(Path(" ".join(names)), _year(path)))
        if any(re.match(r"uu2020.*\.xlsx$", n.lower()) for n in names):
            return Layout("cog_unites_urbaines", "insee_xlsx", _year(Path(" ".join(names)), _year(path)))
        return None
    text = _decode(head[:SNIFF_BYTES])
    stripped = text.lstrip()
    if stripped.startswith("{") and '"FeatureCollection"' in text:
        m = re.search(r'"code_qp"\s*:\s*"(Q[NP])', text, re.IGNORECASE)
        if m:
            geography = "qpv2024" if m.group(1).upper() == "QN" else "qpv2015"
            return Layout(geography, "anct_perimeters", geography[3:])
        if re.search(r'"(code|code_commune|insee_com)"\s*:', text):
            return Layout("commune_contours", "geojson", _year(path))
        return None
    if stripped.startswith("["):
        m = re.search(r"\{[^{}]*\}", text)
        if m is None:
            return None
        first_obj = m.group(0)
        keys = set(re.findall(r'"(\w+)"\s*:', first_obj))
        if '"membres"' in text[:5000]:
            kind = re.search(r'"type"\s*:\s*"([^"]+)"', text[:5000])
            # EPT (établissements publics territoriaux of Grand Paris) are not EPCIs.
            if kind is not None and kind.group(1) != "EPT":
                return Layout("cog_epci", "etalab_json", _year(path))
            return None
        if re.search(r'"type"\s*:\s*"commune-', first_obj) and {"code", "nom", "departement"} <= keys:
            return Layout("cog_communes", "etalab_json", _year(path))
        if {"code", "region", "chefLieu", "nom"} <= keys and "departement" not in keys:
            return Layout("cog_departements", "etalab_json", _year(path))
        if {"code", "chefLieu", "nom"} <= keys and not keys & {"region", "departement"}:
            return Layout("cog_regions", "etalab_json", _year(path))
        return None
    first = text.splitlines()[0] if text else ""
    header = [h.strip().strip('"').upper() for h in re.split(r"[;,]", first)]
    if header[:2] == ["TYPECOM", "COM"]:
        return Layout("cog_communes", "insee_csv", _year(path))
    if header[:3] == ["DEP", "REG", "CHEFLIEU"]:
        return Layout("cog_departements", "insee_csv", _year(path))
    if header[:2] == ["REG", "CHEFLIEU"]:
        return Layout("cog_regions", "insee_csv", _year(path))
    if {"QP2024", "QP2015_1"} <= set(header):
        # ANCT's correspondence list QPV 2024 ↔ 2015 (sources/qpv_correspondence)
        return Layout("qpv_correspondence", "anct_csv", _year(path, "2024"))
    return None


def _recognise_workbook(path: Path) -> Layout | None:
    import fastexcel

    try:
        sheets = set(fastexcel.read_excel(path).sheet_names)
    except Exception:
        return None
    if {"EPCI", "Composition_communale"} <= sheets:
        return Layout("cog_epci", "insee_xlsx", _year(path))
    if {"UU2020", "Composition_communale"} <= sheets:
        return Layout("cog_unites_urbaines", "insee_xlsx", _year(path))
    return None


# Every source's registration module, in the order its recogniser is asked. The census IRIS bases come
# before the generic INSEE recogniser: it claims any zip holding a `meta_*.CSV` member as `insee_meta`,
# and the census zips hold one, while the census recogniser only says yes to a header with IRIS,
# P<yy>_/C<yy>_ variables and a theme's signature columns.
SOURCES = (
    "sources.insee_rp.registration",
    "sources.caf.registration",
    "sources.education_common.registration",
    "sources.filosofi_grid.registration",
    "sources.france_travail.registration",
    "sources.insee_common.registration",
)


@functools.cache
def _sources() -> tuple[ModuleType, ...]:
    # Imported on first use: the registration modules import this one for Layout and UrlEntry.
    modules = tuple(importlib.import_module(name) for name in SOURCES)
    for module in modules:
        for dataset, entries in module.URLS.items():
            DEFAULT_URLS.setdefault(dataset, entries)
    return modules


def recognisers() -> list[Recogniser]:
    """Every recogniser, geography first, then the sources' in ``SOURCES`` order."""
    return [recognise_geography, *(m.recognise for m in _sources())]


def default_urls() -> dict[str, list[UrlEntry]]:
    """Dataset → its official URLs, every source's included (``DEFAULT_URLS`` once the sources loaded)."""
    _sources()
    return DEFAULT_URLS


def recognise(path: Path) -> Layout | None:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    for recogniser in recognisers():
        layout = recogniser(path, head)
        if layout is not None:
            return layout
    return None


def closest_layouts(path: Path, n: int = 3) -> list[str]:
    """Names of the known layouts whose header looks most like this file's first line."""
    try:
        with path.open("rb") as fh:
            first = _decode(fh.read(4096)).splitlines()[0]
    except (OSError, IndexError):
        return []
    header = " ".join(h.strip().strip('"').upper() for h in re.split(r"[;,]", first))
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, header, " ".join(cols)).ratio(), name)
            for name, cols in KNOWN_HEADERS.items()
        ),
        reverse=True,
    )
    return [name for _, name in scored[:n]]


@dataclass(frozen=True)
class ScanResult:
    recognised: list[tuple[Path, Layout]]
    unrecognised: list[tuple[Path, str]]


def scan(paths: list[Path]) -> ScanResult:
    """Recognise files; directories are walked, and what they hold that is not data is reported."""
    recognised: list[tuple[Path, Layout]] = []
    unrecognised: list[tuple[Path, str]] = []
    for given in paths:
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                layout = recognise(path)
                if layout is None:
                    unrecognised.append((path, "no known layout"))
                else:
                    recognised.append((path, layout))
        elif given.is_file():
            layout = recognise(given)
            if layout is None:
                closest = closest_layouts(given)
                raise SourceFormatError(
                    str(given),
                    f"no known layout fits this file; closest known layouts: {closest or 'none'}",
                    row=1,
                )
            recognised.append((given, layout))
        else:
            raise SourceFormatError(str(given), "no such file or directory")
    return ScanResult(recognised, unrecognised)
