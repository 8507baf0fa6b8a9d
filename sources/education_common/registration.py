"""How the registry knows the Éducation nationale files: the portal's export URLs of every dataset and the
recogniser of the files given with `refresh --files`."""

from __future__ import annotations

import re
from pathlib import Path

from sources.education_annuaire import settings as annuaire_settings
from sources.education_common.recognise import recognise_education_file
from sources.education_effectifs import settings as effectifs_settings
from sources.education_ep import settings as ep_settings
from sources.education_ips import settings as ips_settings
from sources.education_iva import settings as iva_settings
from sources.registry import Layout, UrlEntry

LICENCE = "Licence Ouverte 2.0 (Ministère de l'Éducation nationale)"


URL_VINTAGE = "export"  # the portal's CSV export is always the latest publication


IPS_DATASETS = [
    d for d in ips_settings.IPS_DATASETS if d != "fr-en-ips_ecoles_v2"
]  # same as fr-en-ips_ecoles


DIRECTORY_DATASETS = [annuaire_settings.ANNUAIRE_DATASET, annuaire_settings.GEOLOC_DATASET]


EFFECTIFS_DATASETS = list(effectifs_settings.EFFECTIFS_DATASETS)


def _url_entries() -> dict[str, list[UrlEntry]]:
    urls = {d: ips_settings.export_url(d) for d in IPS_DATASETS}
    urls |= {d: annuaire_settings.export_url(d) for d in DIRECTORY_DATASETS}
    urls[ep_settings.EP_DATASET] = ep_settings.export_url()
    urls |= {d: effectifs_settings.export_url(d) for d in EFFECTIFS_DATASETS}
    urls[iva_settings.IVA_DATASET] = iva_settings.export_url()
    return {d: [UrlEntry(u, "csv", URL_VINTAGE, LICENCE)] for d, u in urls.items()}


def recognise(path: Path, head: bytes) -> Layout | None:
    """Education files given with `refresh --files`: the dataset from the content; the vintage names
    the local copy (two copies of one dataset, e.g. national and an extract, are both kept)."""
    found = recognise_education_file(path, head)
    if found is None:
        return None
    dataset, form, _ = found
    return Layout(dataset, form, re.sub(r"[^\w.\-]+", "_", path.stem)[:80])


URLS = _url_entries()
