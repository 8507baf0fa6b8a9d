"""A fiche's perimeter change: what the QPV replaces or is replaced by, and never a false « aucun
recouvrement » when the other geography's perimeters are not held for the département."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.fiche import fmt
from warehouse.fiche.model import (
    PerimeterChange,
)

RELATION_FR = {
    "unchanged": "inchangé",
    "extended": "étendu",
    "reduced": "réduit",
    "merged": "fusionné",
    "split": "scindé",
    "new": "nouveau quartier",
    "removed": "sorti de la géographie prioritaire",
    "added_area": "surface ajoutée",
    "dropped_area": "surface retirée",
    "sliver": "recouvrement marginal",
}


def departement_of(code: str) -> str:
    """The three-character département part of a QPV code: ``QP031015`` → ``031``, ``QN02A01M`` → ``02A``."""
    return code[2:5]


def _no_change_text(con: duckdb.DuckDBPyConnection, code: str, other_kind: str) -> str:
    """What to say when no perimeter of the other geography overlaps this QPV: that none does only when the
    other geography's perimeters of its département are held; else that they are not loaded."""
    held = con.execute(
        "SELECT count(*) FROM territory WHERE kind = ? AND geom_wkb IS NOT NULL AND substr(code, 3, 3) = ?",
        [other_kind, departement_of(code)],
    ).fetchone()
    year = other_kind[3:]
    if held is None or not held[0]:
        return f"Périmètres {year} non chargés pour ce département : recouvrement non mesuré."
    return f"Aucun recouvrement avec un périmètre {year} (périmètres {year} du département chargés)."


def _change(x: dict[str, Any], geography: str) -> PerimeterChange:
    rel = x["relation"]
    rel_fr = RELATION_FR.get(rel, rel)
    if x["code_2015"] is None:
        share = fmt.share_fr(x["share_of_2024"] or 0)
        text = f"Surface hors des périmètres 2015 : {share} du périmètre 2024 ({rel_fr})."
    elif x["code_2024"] is None:
        text = (
            f"{x['code_2015']} {x['name_2015'] or ''} (2015) : {rel_fr} ; "
            f"{fmt.share_fr(x['share_of_2015'] or 0)} de sa surface hors de tout QPV 2024."
        )
    else:
        text = (
            f"{x['code_2015']} {x['name_2015'] or ''} (2015) → "
            f"{x['code_2024']} {x['name_2024'] or ''} (2024) : "
            f"{rel_fr} ; {fmt.share_fr(x['share_of_2015'] or 0)} du périmètre 2015 repris, "
            f"soit {fmt.share_fr(x['share_of_2024'] or 0)} du périmètre 2024."
        )
    return PerimeterChange(x["code_2015"], x["name_2015"], x["code_2024"], rel, text)
