"""The notes of a fiche: each figure's source dataset, release, data year and geography, numbered once."""

from __future__ import annotations

from typing import Any

from warehouse.fiche import fmt
from warehouse.fiche.model import (
    Note,
)

PUBLISHER_PREFIX = [
    ("filosofi_grid", "Insee, Filosofi carroyé 200 m"),
    ("insee_", "Insee"),
    ("filosofi", "Insee, Filosofi"),
    ("caf_", "Cnaf"),
    ("defm_", "France Travail / Dares"),
    ("fr-en-", "Éducation nationale (DEPP)"),
]


def geography_fr(geo_version: str | None) -> str:
    if geo_version is None:
        return ""
    if geo_version in ("qpv2015", "qpv2024"):
        return f"périmètre QPV {geo_version[3:]}"
    if geo_version.startswith("cog"):
        return f"COG {geo_version[3:]}"
    return geo_version


def source_fr(dataset: str | None) -> str:
    if not dataset:
        return "source inconnue"
    for prefix, publisher in PUBLISHER_PREFIX:
        if dataset.startswith(prefix):
            return f"{publisher} ({dataset})"
    return dataset


class _Notes:
    def __init__(self) -> None:
        self.by_key: dict[tuple[Any, ...], int] = {}
        self.notes: list[Note] = []

    def number(self, key: tuple[Any, ...], text: str, group: str = "", detail: str = "") -> int:
        if key not in self.by_key:
            self.by_key[key] = len(self.notes) + 1
            self.notes.append(Note(len(self.notes) + 1, text, group or text, detail))
        return self.by_key[key]

    def figure(self, r: dict[str, Any]) -> int:
        period = r["period"]
        source = f"{source_fr(r['source_dataset'])}, millésime {r['source_vintage'] or 'non daté'}"
        detail = f"données {fmt.period_fr(period)} ; {geography_fr(r['geo_version'])}"
        text = f"{source} ; {detail}"
        group = source
        if r.get("file_name"):
            text += f" ; fichier {r['file_name']}"
            group += f", fichier {r['file_name']}"
        method = ""
        if r["method"] == "grid_estimate":
            method = " ; estimation carroyée (voir la note de méthode)"
        elif r["method"] in ("summed", "recomputed"):
            method = " ; somme des territoires" if r["method"] == "summed" else " ; taux recalculé"
        key = (
            r["source_dataset"],
            r["source_vintage"],
            period,
            r["geo_version"],
            r.get("file_name"),
            r["method"],
        )
        return self.number(
            key, text + method, group, detail + method.replace(" (voir la note de méthode)", "")
        )
