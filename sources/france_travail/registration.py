"""How the registry knows the job-seekers source: its official URLs and the recogniser of its files (Dares
commune exports, INSEE's QPV DEFM bases by their variables)."""

from __future__ import annotations

import re
from pathlib import Path

from sources._period_csv import first_code, sniff_header
from sources.france_travail import (
    describe_qpv_variable,
)
from sources.france_travail import settings as ft_settings
from sources.registry import Layout, UrlEntry


def _insee_url(path: str) -> str:
    return f"https://{ft_settings.INSEE_HOST}/{path}"


def _qpv_entries(geography: str) -> list[UrlEntry]:
    out = []
    for year in ft_settings.DEFM_QPV_YEARS:
        for q in (1, 2, 3, 4):
            out.append(
                UrlEntry(
                    _insee_url(ft_settings.DEFM_QPV_PATH.format(geography=geography, year=year, quarter=q)),
                    "insee_defm_qpv",
                    f"{year}-Q{q}",
                    ft_settings.LICENCE,
                )
            )
            for release in ft_settings.DEFM_QPV_RELEASES:
                path = ft_settings.DEFM_QPV_REVISED_PATH.format(
                    geography=geography, year=year, quarter=q, release=release
                )
                out.append(
                    UrlEntry(
                        _insee_url(path), "insee_defm_qpv", f"{year}-Q{q}-v{release}", ft_settings.LICENCE
                    )
                )
    return out


URLS: dict[str, list[UrlEntry]] = {
    ft_settings.DATASET_COMMUNES: [
        UrlEntry(ft_settings.DEFM_COMMUNES_URL, "dares_communes", "export", ft_settings.LICENCE)
    ],
    **{dataset: _qpv_entries(geo) for geo, dataset in ft_settings.DATASET_QPV.items()},
}


_QUARTER_IN_NAME = re.compile(r"(?:^|_)(20\d{2})_T([1-4])(?:_v(\d+))?(?=\.)", re.IGNORECASE)


def recognise(path: Path, head: bytes) -> Layout | None:
    """DEFM files by content: the DARES export (its `Nombre de demandeurs d'emploi` column, label or
    technical header), or a QPV file in INSEE's names (CODGEO + only known DEFM variables). The QPV
    file does not say its quarter: it is read from the name (`…_2023_T4[_v2].csv`), else `unknown`."""
    sniffed = sniff_header(head)
    if sniffed is None:
        return None
    header, lines = sniffed
    lower = {h.lower() for h in header}
    if {"nombre de demandeurs d'emploi", "nombre_de_demandeurs_d_emploi"} & lower and (
        {"code commune", "code_commune"} & lower
    ):
        return Layout(ft_settings.DATASET_COMMUNES, "dares_communes", "export")
    upper = [h.upper() for h in header]
    if "CODGEO" not in upper:
        return None
    variables = [
        h
        for h in upper
        if h not in ft_settings.DEFM_QPV_ID_COLUMNS and h not in ft_settings.DEFM_QPV_NOTE_COLUMNS
    ]
    if not variables or any(describe_qpv_variable(v) is None for v in variables):
        return None
    if not any(v.startswith(("ABC", "ABCDE")) for v in variables):
        return None
    first = first_code(lines)
    geography = "qpv2024" if first.startswith("QN") else "qpv2015"
    m = _QUARTER_IN_NAME.search(path.name)
    vintage = (
        "unknown" if m is None else f"{m.group(1)}-Q{m.group(2)}" + (f"-v{m.group(3)}" if m.group(3) else "")
    )
    return Layout(ft_settings.DATASET_QPV[geography], "insee_defm_qpv", vintage)
