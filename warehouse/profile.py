"""A QPV's profile read from the warehouse: its figures grouped by the perimeter they were measured on.

For a 2024 QPV: the figures measured on its own perimeter, then those of each 2015 QPV it replaces
(`qpv_predecessor`), each beside the 2024 QPV's reference territories (its communes, EPCI, département,
France métropolitaine, all QPVs) at the same data year; and, for a theme with no figure on the 2024
perimeter, the INSEE release on the 2024 perimeters that would answer it (not loaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from sources.insee_qpv.settings import QPV2024_RELEASES, Qpv2024Release
from warehouse.qpv_lookup import Predecessor, Qpv, predecessors

THEME_FR = {
    "population": "Population",
    "menages": "Ménages",
    "revenus": "Revenus et pauvreté",
    "caf": "Allocataires Caf",
    "demandeurs_emploi": "Demandeurs d'emploi",
    "emploi": "Emploi",
    "education": "Éducation",
    "logement": "Logement",
    "sante": "Santé",
}
THEME_ORDER = list(THEME_FR)


@dataclass
class Section:
    """The figures measured on one perimeter (the QPV's own, or a 2015 predecessor's)."""

    measured_kind: str
    measured_code: str
    measured_name: str | None
    predecessor: Predecessor | None
    # (ref_order, role, ref_code) → reference name, in display order
    references: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    # (theme, indicator_id, period) → {(role, ref_code): row}
    cells: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # indicator → (label, unit)

    @property
    def title(self) -> str:
        if self.predecessor is not None:
            return self.predecessor.perimeter_label()
        year = self.measured_kind[3:]
        return f"périmètre {year} — {self.measured_code} {self.measured_name or ''}".strip()


@dataclass
class Profile:
    qpv: Qpv
    sections: list[Section]
    predecessors: list[Predecessor]
    rows: list[dict[str, Any]]  # every row of profile_of(), for csv / json
    # themes shown only through predecessors → the 2024-perimeter releases that would answer them
    not_loaded: dict[str, list[Qpv2024Release]]


def _theme_key(theme: str | None) -> int:
    return THEME_ORDER.index(theme) if theme in THEME_ORDER else len(THEME_ORDER)


def read_profile(con: duckdb.DuckDBPyConnection, qpv: Qpv, *, all_periods: bool = False) -> Profile:
    """The profile of `qpv` (latest data period of each indicator unless `all_periods`)."""
    cursor = con.execute(
        "SELECT * FROM profile_of(?, ?) ORDER BY measured_kind DESC, measured_code, theme, indicator_id, "
        "period DESC, ref_order, ref_code",
        [qpv.kind, qpv.code],
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    preds = predecessors(con, qpv.code) if qpv.kind == "qpv2024" else []
    by_code = {p.code_2015: p for p in preds}
    sections: dict[tuple[str, str], Section] = {}
    latest: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (r["measured_kind"], r["measured_code"])
        section = sections.get(key)
        if section is None:
            section = sections[key] = Section(
                r["measured_kind"],
                r["measured_code"],
                r["measured_name"],
                by_code.get(r["measured_code"]) if r["measured_kind"] != qpv.kind else None,
            )
        ref = (r["ref_order"], r["role"], r["ref_code"], r["ref_name"])
        if ref not in section.references:
            section.references.append(ref)
        indicator = r["indicator_id"]
        if not all_periods:
            seen = latest.setdefault((*key, indicator), r["period"])
            if r["period"] != seen:
                continue
        theme = r["theme"] or ""
        section.cells.setdefault((theme, indicator, r["period"]), {})[(r["role"], r["ref_code"])] = r
        section.labels[indicator] = (r["label_fr"] or indicator, r["unit"])
    for section in sections.values():
        section.references.sort(key=lambda c: (c[0], c[2]))
        section.cells = dict(
            sorted(section.cells.items(), key=lambda kv: (_theme_key(kv[0][0]), kv[0][1], _desc(kv[0][2])))
        )
    ordered = sorted(sections.values(), key=lambda s: (s.measured_kind != qpv.kind, s.measured_code))
    return Profile(qpv, ordered, preds, rows, _not_loaded(qpv, ordered))


def _desc(period: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in period)


def _not_loaded(qpv: Qpv, sections: list[Section]) -> dict[str, list[Qpv2024Release]]:
    """Themes the 2024 QPV shows only through its predecessors, with the INSEE releases on the 2024
    perimeters that would answer them (none of them is loaded: the QPV has no figure of that theme)."""
    if qpv.kind != "qpv2024":
        return {}
    own = {
        theme
        for s in sections
        if s.measured_kind == "qpv2024"
        for (theme, _i, _p), cells in s.cells.items()
        if any(role == "qpv" and r["status"] is not None for (role, _c), r in cells.items())
    }
    borrowed = {theme for s in sections if s.predecessor is not None for (theme, _i, _p) in s.cells}
    out: dict[str, list[Qpv2024Release]] = {}
    for theme in sorted(borrowed - own, key=_theme_key):
        releases = [r for r in QPV2024_RELEASES if theme in r.themes]
        if releases:
            out[theme] = releases
    return out
