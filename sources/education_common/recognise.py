"""Which data.education.gouv.fr file is this? Recognised from its content (header, API links, Parquet
schema), for `quartiers refresh --files`. Never raises: a file that is not ours gives None.

Returns (dataset id, form, first rentrée seen or None). The dataset id is the portal's (IPS series,
annuaire, effectifs, IVAC, REP lists); the ministry REP list, which has no portal id, is
``liste-des-rep-et-rep``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sources.education_common import slug

EP_MINISTRY_LIST = "liste-des-rep-et-rep"

# Every dataset id a recogniser may return (those of the settings modules).
KNOWN_DATASETS = (
    "fr-en-ips_ecoles",
    "fr-en-ips_colleges",
    "fr-en-ips_lycees",
    "fr-en-ips-ecoles-ap2022",
    "fr-en-ips-colleges-ap2022",
    "fr-en-ips-colleges-ap2023",
    "fr-en-ips-lycees-ap2022",
    "fr-en-ips-lycees-ap2023",
    "fr-en-annuaire-education",
    "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre",
    "fr-en-etablissements-ep",
    "fr-en-ecoles-effectifs-nb_classes",
    "fr-en-college-effectifs-niveau-sexe-lv",
    "fr-en-indicateurs-valeur-ajoutee-colleges",
    EP_MINISTRY_LIST,
)


def classify_columns(columns: Iterable[str], first_rentree: int | None) -> str | None:
    """The dataset id whose fields these (slugged) columns are; None if none fits."""
    cols = set(columns)
    if {"session", "uai", "va_du_taux_de_reussite_g"} <= cols:
        return "fr-en-indicateurs-valeur-ajoutee-colleges"
    if {"identifiant_de_l_etablissement", "appartenance_education_prioritaire"} <= cols:
        return "fr-en-annuaire-education"
    if {"numero_uai", "appariement"} <= cols:
        return "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre"
    if {"numero", "ep", "uai_tete_de_reseau"} <= cols:
        return EP_MINISTRY_LIST
    if "uai" in cols and any(re.fullmatch(r"ep_\d{4}_\d{4}", c) for c in cols):
        return "fr-en-etablissements-ep"
    if {"numero_ecole", "nombre_total_eleves", "rep_plus"} <= cols:
        return "fr-en-ecoles-effectifs-nb_classes"
    if {"numero_college", "nombre_eleves_total", "rep_plus"} <= cols:
        return "fr-en-college-effectifs-niveau-sexe-lv"
    if "uai" not in cols or not cols & {"rentree_scolaire", "annee_scolaire"}:
        return None
    if not cols & {"ips", "ips_etab", "ips_ensemble_gt_pro"}:
        return None
    legacy = first_rentree is not None and first_rentree <= 2021
    if "type_de_lycee" in cols:
        if legacy:
            return "fr-en-ips_lycees"
        if cols & {"ips_etab", "ips_post_bac", "ips_national_legt"}:
            return "fr-en-ips-lycees-ap2023"
        return "fr-en-ips-lycees-ap2022"
    if cols & {"ecart_type_de_l_ips", "ecart_type"}:
        if legacy:
            return "fr-en-ips_colleges"
        if "ips_national" in cols or (first_rentree is not None and first_rentree >= 2023):
            return "fr-en-ips-colleges-ap2023"
        return "fr-en-ips-colleges-ap2022"
    return "fr-en-ips_ecoles" if legacy else "fr-en-ips-ecoles-ap2022"


def _rentree(value: object) -> int | None:
    m = re.match(r"\s*(\d{4})", str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _csv(head: bytes) -> tuple[list[str], int | None] | None:
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return None
    sep = ";" if ";" in lines[0] else ","
    header = [slug(h.strip().strip('"')) for h in lines[0].split(sep)]
    first: int | None = None
    if len(lines) > 1:
        cells = [c.strip().strip('"') for c in lines[1].split(sep)]
        for name in ("rentree_scolaire", "annee_scolaire"):
            if name in header and header.index(name) < len(cells):
                first = _rentree(cells[header.index(name)])
                break
    return header, first


def _json(head: bytes) -> tuple[str | None, list[str], int | None]:
    text = head.decode("utf-8", errors="replace")
    m = re.search(r"/datasets/([A-Za-z0-9_\-]+)", text)
    named = m.group(1) if m and m.group(1) in KNOWN_DATASETS else None
    keys = [slug(k) for k in re.findall(r'"([^"\\]{1,80})"\s*:', text[:20000])]
    r = re.search(r'"(?:rentree_scolaire|annee_scolaire)"\s*:\s*"?(\d{4})', text)
    return named, keys, int(r.group(1)) if r else None


def _parquet(path: Path) -> tuple[list[str], int | None]:
    import polars as pl

    schema = pl.read_parquet_schema(path)
    cols = {slug(c): c for c in schema}
    first: int | None = None
    for name in ("rentree_scolaire", "annee_scolaire"):
        if name in cols:
            value = pl.scan_parquet(path).select(pl.col(cols[name])).head(1).collect()
            first = _rentree(value.item() if value.height else None)
            break
    return list(cols), first


def recognise_education_file(path: Path, head: bytes) -> tuple[str, str, int | None] | None:
    """(dataset id, form csv/json/parquet, first rentrée) of an education file, or None."""
    try:
        if head[:4] == b"PAR1":
            cols, first = _parquet(path)
            ds = classify_columns(cols, first)
            return (ds, "parquet", first) if ds else None
        if head[:2] in (b"PK", b"\x1f\x8b"):
            return None
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped[:1] in (b"[", b"{"):
            if b'"FeatureCollection"' in head or b'"geometry"' in head:
                return None
            named, keys, first = _json(head)
            ds = named or classify_columns(keys, first)
            return (ds, "json", first) if ds else None
        parsed = _csv(head)
        if parsed is None:
            return None
        header, first = parsed
        ds = classify_columns(header, first)
        return (ds, "csv", first) if ds else None
    except Exception:  # a recogniser never raises: the file is simply not ours
        return None
