"""How the registry knows the CAF source: its official URLs and the recogniser of its files (Cnaf bases of
INSEE by header and first code, data.caf.fr exports by their date and measure columns)."""

from __future__ import annotations

import re
from pathlib import Path

from sources._period_csv import first_code, sniff_header
from sources.caf import detect_cnaf_base_layout
from sources.caf import settings as caf_settings
from sources.registry import Layout, UrlEntry


def _insee_url(file: str) -> str:
    return f"https://{caf_settings.INSEE_HOST}/{caf_settings.CNAF_BASE_PATH.format(file=file)}"


URLS: dict[str, list[UrlEntry]] = {
    caf_settings.DATASET_ODS_COMMUNE: [
        UrlEntry(
            caf_settings.ODS_EXPORT_URL.format(dataset_id=caf_settings.S_BEN_COM_F),
            "ods_export",
            "export",
            caf_settings.LICENCE,
        )
    ],
    caf_settings.DATASET_CNAF_IRIS: [
        UrlEntry(
            _insee_url(caf_settings.CNAF_BASE_IRIS_FILE.format(year=y)),
            "insee_cnaf",
            str(y),
            caf_settings.LICENCE,
        )
        for y in caf_settings.CNAF_BASE_IRIS_YEARS
    ],
    **{
        dataset: [
            UrlEntry(
                _insee_url(caf_settings.CNAF_BASE_QPV_FILE.format(year=y, geography=geo.upper())),
                "insee_cnaf",
                str(y),
                caf_settings.LICENCE,
            )
            for y in caf_settings.CNAF_BASE_QPV_YEARS
        ]
        for geo, dataset in caf_settings.DATASET_CNAF_QPV.items()
    },
}


_YEAR_IN_NAME = re.compile(r"(?:^|_)(20\d{2})(?=_|\.)")


def recognise(path: Path, head: bytes) -> Layout | None:
    """CAF files by content: INSEE Cnaf base header (any of the 4 known layouts; IRIS or QPV from the
    first code; year from the file name), or a data.caf.fr export (`dtreffre` + `indfoy_*`…)."""
    sniffed = sniff_header(head)
    if sniffed is None:
        return None
    header, lines = sniffed
    lower = [h.lower() for h in header]
    if detect_cnaf_base_layout(header) is not None:
        found = _YEAR_IN_NAME.findall(path.name)
        year = found[-1] if len(found) == 1 else "unknown"
        first = first_code(lines)
        if first.startswith("QP"):
            return Layout(caf_settings.DATASET_CNAF_QPV["qpv2015"], "insee_cnaf", year)
        if first.startswith("QN"):
            return Layout(caf_settings.DATASET_CNAF_QPV["qpv2024"], "insee_cnaf", year)
        return Layout(caf_settings.DATASET_CNAF_IRIS, "insee_cnaf", year)
    if caf_settings.ODS_DATE in lower and any(h.startswith(caf_settings.ODS_MEASURE_PREFIXES) for h in lower):
        dataset = (
            caf_settings.DATASET_ODS_IRIS
            if caf_settings.ODS_IRIS_SUFFIX in lower
            else caf_settings.DATASET_ODS_COMMUNE
        )
        found = _YEAR_IN_NAME.findall(path.name)
        return Layout(dataset, "ods_export", found[-1] if len(found) == 1 else "export")
    return None
