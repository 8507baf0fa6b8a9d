"""How the registry knows the Filosofi 200 m grid: its official URL and the recogniser of its CSV or zip."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from sources import registry
from sources.filosofi_grid.settings import DATASET, LICENCE, RELEASES

URLS = {DATASET: [registry.UrlEntry(r.csv_url, "csv_zip", r.vintage, LICENCE) for r in [RELEASES["2021"]]]}


_MEMBER = re.compile(r"carreaux_200m_(met|mart|reun)\.(csv|7z)$|carreaux_200m_csv\.7z$", re.IGNORECASE)


def recognise(path: Path, head: bytes) -> registry.Layout | None:
    """The 200 m grid CSV (header with `idcar_200m`) or its zip (a `carreaux_200m_*` member)."""
    year = re.search(r"(20\d\d)", path.name)
    vintage = year.group(1) if year else "2021"
    try:
        if head[:4] == b"PK\x03\x04":
            names = zipfile.ZipFile(path).namelist()
            if any(_MEMBER.search(n) for n in names):
                years = re.findall(r"Filosofi(20\d\d)", " ".join(names))
                return registry.Layout(DATASET, "csv_zip", years[0] if years else vintage)
            return None
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lower()
        if "idcar_200m" in first and "men_pauv" in first:
            return registry.Layout(DATASET, "csv", vintage)
    except Exception:
        return None
    return None
