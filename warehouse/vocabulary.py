"""The words users read for the warehouse's codes: dataset names, methods, statuses (French).

One place, so that a profile, a series, a headline table and an export name a source the same way."""

from __future__ import annotations

DATASET_FR = {
    "insee_qpv_demo": "Insee QPV démographie",
    "insee_qpv_revn": "Insee QPV revenus",
    "insee_qpv_ipro": "Insee QPV insertion pro.",
    "insee_qpv_filosofi": "Insee Filosofi QPV",
    "filosofi_disp": "Insee Filosofi",
    "filosofi_cc": "Insee Filosofi comm.",
    "filosofi_iris": "Insee Filosofi IRIS",
    "insee_comparateur": "Insee comparateur",
    "filosofi_grid": "Filosofi carroyé",
    "insee_rp": "Insee RP IRIS",
    "caf_cnaf_iris": "Cnaf (IRIS)",
}
STATUS_FR = {
    "published": "publié",
    "suppressed": "secret statistique",
    "not_computable": "non calculable : une partie sous secret statistique",
    "missing": "non disponible",
    "not_applicable": "non calculable",
    "estimated": "estimé",
}
METHOD_FR = {"recomputed": "recalculé", "summed": "somme", "grid_estimate": "estimation carroyée"}


def dataset_fr(dataset: object) -> str:
    """« France Travail (QPV 2015) », « Cnaf (QPV 2024) », « Insee QPV revenus »; an unknown id as is."""
    text = str(dataset or "")
    if text in DATASET_FR:
        return DATASET_FR[text]
    geo = next((f" (QPV {g[3:]})" for g in ("qpv2015", "qpv2024") if text.endswith(g)), "")
    if text.startswith("defm"):
        return "France Travail" + (geo or (" (part de la commune)" if "part_commune" in text else ""))
    if text.startswith("caf"):
        return "Cnaf" + geo
    return text
LEVEL_FR = {"ecole": "école", "college": "collège", "lycee": "lycée"}
COORD_FR = {
    "ok": "",
    "imprecise": "coordonnées imprécises",
    "missing": "sans coordonnées",
    "out_of_bounds": "coordonnées hors du territoire",
    "swapped": "coordonnées inversées",
}
