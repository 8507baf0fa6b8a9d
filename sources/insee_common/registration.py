"""How the registry knows INSEE's statistical files (QPV bases, Filosofi, comparateur): their official URLs
and the recogniser of their layouts (a zip counts by its first data member)."""

from __future__ import annotations

import functools
from pathlib import Path

from sources import registry
from sources._archive import is_zip, list_members
from sources._errors import SourceFormatError
from sources.filosofi import settings as filosofi_settings
from sources.insee_common import Layout as InseeLayout
from sources.insee_common import identify
from sources.insee_common.layouts import _identify_table
from sources.insee_common.read import RawTable, _decode, _find_header, _rows_from_csv, canonical_name
from sources.insee_comparateur import settings as comparateur_settings
from sources.insee_qpv import settings as qpv_settings

LICENCE = "Licence Ouverte 2.0 (Insee)"


_QP = "revenu-disponible-{tag}-2021_{part}.csv"


URLS: dict[str, list[registry.UrlEntry]] = {
    "insee_qpv_filosofi": [
        registry.UrlEntry(url, "zip_member", f"2021 {geo}{suffix}", LICENCE, _QP.format(tag=tag, part=part))
        for url, tag, geo in (
            (qpv_settings.URL_FILO2021_QP15, "qp15", "qpv2015"),
            (qpv_settings.URL_FILO2021_QP24, "qp24", "qpv2024"),
        )
        for part, suffix in (("QP", ""), ("ENSQP", " ensemble"))
    ],
    "insee_qpv_demo": [registry.UrlEntry(qpv_settings.URL_DEMO_XLSX, "xlsx", "2021 qpv2015", LICENCE)],
    "insee_comparateur": [
        registry.UrlEntry(
            comparateur_settings.URL_CSV,
            "zip_member",
            "2025 commune",
            LICENCE,
            comparateur_settings.CSV_MEMBER,
        )
    ],
    "filosofi_iris": [
        registry.UrlEntry(filosofi_settings.URL_IRIS_2021_DISP, "zip", "2021 iris disp", LICENCE),
        registry.UrlEntry(filosofi_settings.URL_IRIS_2021_DEC, "zip", "2021 iris dec", LICENCE),
    ],
}


_SKIP = (".md", ".geojson", ".gpkg", ".shp", ".dbf", ".prj", ".shx", ".cpg", ".json", ".pdf", ".txt")


def vintage_label(layout: InseeLayout) -> str:
    """A label unique per physical file of a dataset: release, territory kind, and what tells two files of
    the same release apart (the layout variant, income concept, the all-QPV file)."""
    parts = [layout.release, layout.territory_kind]
    spec = layout.spec
    if spec.family == "meta":
        return f"meta {Path(layout.member or layout.path.name).name}"
    if spec.variants:
        header = frozenset(layout.header)
        index = next((i for i, (cols, _) in enumerate(spec.variants) if cols == header), 0)
        parts.append(f"layout{index + 1}")
    if any(n.startswith("DEC_") for n in layout.header):
        parts.append("dec")
    name = (layout.member or layout.path.name).upper()
    if "ENSQP" in name:
        parts.append("ensemble")
    return " ".join(parts)


def _head_table(path: Path, head: bytes) -> RawTable | None:
    """The header and the first rows of a CSV from its first bytes (no need to read a large file)."""
    if len(head) >= registry.SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    rows = _rows_from_csv(_decode(head))
    h = _find_header(rows)
    if h is None:
        return None
    header = list(rows[h])
    lead = next(i for i, c in enumerate(header) if c.strip() != "")
    header = header[lead:]
    while header and header[-1].strip() == "":
        header.pop()
    width = len(header)
    body = [[c.strip() for c in r[lead : lead + width]] for r in rows[h + 1 :] if any(c.strip() for c in r)]
    return RawTable(
        file=str(path),
        names=[canonical_name(c) for c in header],
        original_names=header,
        rows=[r + [""] * (width - len(r)) for r in body],
        row_numbers=list(range(h + 2, h + 2 + len(body))),
        header_row=h + 1,
    )


@functools.lru_cache(maxsize=4096)
def recognised_layouts(path_str: str, mtime_ns: int, size: int) -> tuple[InseeLayout, ...]:
    path = Path(path_str)
    if is_zip(path) and path.suffix.lower() != ".xlsx":
        found = []
        for m in list_members(path):
            if m.lower().endswith((".csv", ".xlsx")):
                try:
                    found.append(identify(path, member=m))
                except SourceFormatError:
                    continue
        return tuple(found)
    return (identify(path),)


def recognise(path: Path, head: bytes) -> registry.Layout | None:
    """Registry recogniser: the INSEE layout of a file (a zip counts by its first data member), else None."""
    if path.suffix.lower() in _SKIP:
        return None
    try:
        if head[:4] == b"PK\x03\x04":
            stat = path.stat()
            layouts = [
                lay
                for lay in recognised_layouts(str(path), stat.st_mtime_ns, stat.st_size)
                if lay.dataset != "insee_meta"
            ] or list(recognised_layouts(str(path), stat.st_mtime_ns, stat.st_size))
            if not layouts:
                return None
            form = "xlsx" if path.suffix.lower() == ".xlsx" else "zip"
            return registry.Layout(layouts[0].dataset, form, vintage_label(layouts[0]))
        table = _head_table(path, head)
        if table is None:
            return None
        layout = _identify_table(path, table)
        return registry.Layout(layout.dataset, "csv", vintage_label(layout))
    except Exception:
        return None
