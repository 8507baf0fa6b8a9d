"""Gather one QPV's fiche from the warehouse: read-only, every value bound as a parameter.

The fiche of a QPV shows its own figures, those of the perimeters it replaces or that replace it (labelled
with their geography: a 2015-perimeter figure on a 2024 fiche says so), and the same indicator for its
commune(s), EPCI and France métropolitaine. Each cell carries the number of a note that names its source
dataset, release (millésime), data year and geography version.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sources.territory_codes import QPV_CODE_RE
from warehouse.fiche import fmt
from warehouse.fiche.figures import _pick, _rows, best_figures, cell_text
from warehouse.fiche.map_data import _map_geometries
from warehouse.fiche.model import (
    Cell,
    Column,
    Fiche,
    FicheError,
    Geometries,
    PerimeterChange,
    Row,
    Section,
)
from warehouse.fiche.notes import _Notes, geography_fr
from warehouse.fiche.perimeters import _change, _no_change_text
from warehouse.fiche.schools import SCHOOL_NOTE, _EducationFiles, _schools
from warehouse.qpv_lookup import QpvLookupError, predecessors, resolve_qpv

# Sections of the fiche: (id, title, indicators in display order). Rows without any figure are left out.
SECTIONS: list[tuple[str, str, list[str]]] = [
    ("population", "Population", ["population", "filo_grid_ind", "part_femmes", "part_etrangers"]),
    (
        "menages_ages",
        "Ménages et âges",
        [
            "menages", "filo_grid_men", "part_menages_1_personne", "filo_grid_part_men_1ind",
            "part_menages_6_personnes", "filo_grid_part_men_5ind", "filo_grid_part_men_fmp",
            "part_moins_25_ans", "filo_grid_part_ind_0_17", "part_60_ans_et_plus",
            "filo_grid_part_ind_65p", "indice_jeunesse",
        ],
    ),
    (
        "revenus",
        "Revenus et pauvreté",
        [
            "filo_disp_mediane", "filo_grid_niveau_vie_median", "filo_grid_niveau_vie_moyen",
            "taux_pauvrete_60", "filo_grid_taux_pauvrete_men", "filo_disp_d1", "filo_disp_q1",
            "filo_disp_q3", "filo_disp_d9", "filo_disp_rapport_d9_d1", "part_prestations_sociales",
            "part_minima_sociaux", "part_menages_imposes", "menages_fiscaux",
        ],
    ),
    (
        "logement",
        "Logement",
        [
            "logements", "residences_principales", "logements_vacants", "rp_proprietaires",
            "filo_grid_part_men_prop", "filo_grid_log_soc", "filo_grid_part_log_soc",
            "filo_grid_part_men_coll", "filo_grid_surface_moyenne",
        ],
    ),
    (
        "emploi",
        "Emploi et demandeurs d'emploi",
        [
            "taux_activite_15_64", "taux_emploi_15_64", "taux_chomage_15_64", "part_emplois_precaires",
            "defm_abc", "defm_a", "defm_abc_femmes", "defm_abc_age_moins_26", "defm_abc_age_moins_25",
            "defm_abc_age_50_plus", "defm_abc_rsa", "defm_abc_part_commune_pct", "de_abc",
        ],
    ),
    (
        "caf",
        "Allocataires CAF",
        [
            "caf_allocataires", "caf_personnes_couvertes", "caf_alloc_rsa", "caf_foyers_rsa",
            "caf_alloc_prime_activite", "caf_foyers_ppa", "caf_alloc_aide_logement", "caf_foyers_apl",
            "caf_alloc_monoparents", "caf_alloc_dependants_50", "caf_alloc_dependants_100", "caf_foyers_aah",
        ],
    ),
    (
        "education",
        "Écoles et collèges",
        [
            "educ_ecole_nb_etab", "educ_ecole_nb_eleves", "educ_ecole_part_eleves_ep",
            "educ_ecole_ips_moyen_public", "educ_ecole_nb_etab_300m", "educ_ecole_ips_moyen_public_300m",
            "educ_college_nb_etab", "educ_college_ips_moyen_public", "educ_college_nb_etab_300m",
            "educ_college_ips_moyen_public_300m", "educ_college_part_eleves_ep_300m",
        ],
    ),
]  # fmt: skip

AGE_INDICATORS = [
    "part_moins_25_ans",
    "filo_grid_part_ind_0_17",
    "part_60_ans_et_plus",
    "filo_grid_part_ind_65p",
]
DECILE_INDICATORS = ["filo_disp_d1", "filo_disp_q1", "filo_disp_mediane", "filo_disp_q3", "filo_disp_d9"]
SERIES_INDICATOR = "defm_abc"

GRID_NOTE = (
    "Estimation carroyée (Insee, Filosofi 200 m) : chaque carreau touchant le périmètre compte au prorata "
    "de sa surface incluse. L'encadrement (bas–haut), imprimé après l'estimation, va des seuls carreaux "
    "entièrement inclus à tous les carreaux qui recouvrent le périmètre ; médianes et déciles ne sont pas "
    "estimables ainsi."
)


def gather(con: duckdb.DuckDBPyConnection, code: str) -> Fiche:
    """Everything a fiche shows, for the QPV ``code`` (2015 ``QP…`` or 2024 ``QN…`` geography)."""
    code = code.strip().upper()
    if not QPV_CODE_RE.match(code):
        raise FicheError(f"{code[:40]!r} is not a QPV code (QP0dd nnn for 2015, QN0dd nnX for 2024)")
    found = _rows(
        con,
        "SELECT kind, code, name, geo_version, area_m2, geom_wkb FROM territory "
        "WHERE kind IN ('qpv2024', 'qpv2015') AND code = ? ORDER BY geo_version DESC LIMIT 1",
        [code],
    )
    if not found:
        try:
            resolve_qpv(con, code)
        except QpvLookupError as exc:
            raise FicheError(str(exc)) from exc
        raise FicheError(f"QPV {code} is not in this warehouse (neither the 2015 nor the 2024 geography)")
    me = found[0]
    geography: str = me["kind"]
    info = dict(con.execute("SELECT key, value FROM warehouse_info").fetchall())
    label = info.get("label", "")

    # Identity: communes (area share), their EPCI and département.
    communes = _rows(
        con,
        "SELECT l.parent_code AS code, any_value(c.name) AS name, max(l.area_share) AS share "
        "FROM territory_link l "
        "LEFT JOIN territory c ON c.kind = 'commune' AND c.code = l.parent_code "
        "WHERE l.child_kind = ? AND l.child_code = ? AND l.parent_kind = 'commune' "
        "GROUP BY l.parent_code ORDER BY share DESC NULLS LAST, code",
        [geography, code],
    )
    commune_codes = [c["code"] for c in communes]
    parents = _rows(
        con,
        "SELECT DISTINCT l.parent_kind AS kind, l.parent_code AS code, "
        "(SELECT any_value(t.name) FROM territory t WHERE t.kind = l.parent_kind AND t.code = l.parent_code) "
        "AS name FROM territory_link l WHERE l.child_kind = 'commune' AND list_contains(?, l.child_code) "
        "AND l.parent_kind IN ('epci', 'departement') ORDER BY kind, code",
        [commune_codes],
    )
    epcis = [(p["code"], p["name"] or p["code"]) for p in parents if p["kind"] == "epci"]
    departements = [(p["code"], p["name"] or p["code"]) for p in parents if p["kind"] == "departement"]

    # Perimeter change, from the crosswalk.
    cross = _rows(
        con,
        "SELECT x.*, t15.name AS name_2015, t24.name AS name_2024, t15.geom_wkb AS geom_2015, "
        "t24.geom_wkb AS geom_2024 FROM qpv_crosswalk x "
        "LEFT JOIN territory t15 ON t15.kind = 'qpv2015' AND t15.code = x.code_2015 "
        "LEFT JOIN territory t24 ON t24.kind = 'qpv2024' AND t24.code = x.code_2024 "
        "WHERE (? = 'qpv2024' AND x.code_2024 = ?) OR (? = 'qpv2015' AND x.code_2015 = ?) "
        "ORDER BY x.code_2015 NULLS LAST, x.code_2024 NULLS LAST",
        [geography, code, geography, code],
    )
    changes = [_change(x, geography) for x in cross]
    declared = [] if cross or geography != "qpv2024" else predecessors(con, code)
    for pred in declared:
        # No overlap measured (the 2015 perimeter is not in the build): ANCT's list or the contract's
        # declaration says which 2015 QPV this one replaces; its figures are shown, labelled 2015.
        c15, name15 = pred.code_2015, pred.name_2015
        # the 2015 perimeter itself when the warehouse holds it (drawn on the map)
        held = con.execute(
            "SELECT any_value(geom_wkb) FROM territory WHERE kind = 'qpv2015' AND code = ? "
            "AND geom_wkb IS NOT NULL",
            [c15],
        ).fetchone()
        cross.append(
            {
                "code_2015": c15,
                "code_2024": code,
                "name_2015": name15,
                "name_2024": me["name"],
                "geom_2015": held[0] if held else None,
                "geom_2024": None,
                "relation": "declared",
            }
        )
        basis = "le contrat de ville" if pred.basis == "contract" else "la liste de correspondance de l'ANCT"
        changes.append(
            PerimeterChange(
                c15,
                name15,
                code,
                "declared",
                f"Remplace {c15}{' ' + name15 if name15 else ''} (2015), selon {basis} ; "
                "périmètre 2015 non fourni, recouvrement non mesuré.",
            )
        )
    other_kind = "qpv2015" if geography == "qpv2024" else "qpv2024"
    others = [
        (x["code_2015"] if geography == "qpv2024" else x["code_2024"], x)
        for x in cross
        if (x["code_2015"] if geography == "qpv2024" else x["code_2024"]) is not None
    ]
    geoms = Geometries([], [], [])
    own = (code, me["geom_wkb"]) if me["geom_wkb"] is not None else None
    for other_code, x in others:
        wkb = x["geom_2015"] if other_kind == "qpv2015" else x["geom_2024"]
        if wkb is not None:
            (geoms.outline_2015 if other_kind == "qpv2015" else geoms.outline_2024).append((other_code, wkb))
    if own is not None:
        (geoms.outline_2024 if geography == "qpv2024" else geoms.outline_2015).insert(0, own)

    # Columns: the QPV, the 2015 perimeters it takes over (2024 fiche only), communes, EPCI, France.
    columns = [
        Column(
            geography,
            code,
            "Quartier",
            f"{code} ({geography_fr(geography)})",
            "self",
            "Quartier",
            f"{code} ({geography[3:]})",
        )
    ]
    if geography == "qpv2024":
        for other_code, x in others:
            columns.append(
                Column(
                    "qpv2015",
                    other_code,
                    x["name_2015"] or other_code,
                    f"{other_code} (périmètre 2015)",
                    "perimeter",
                    x["name_2015"] or other_code,
                    f"{other_code} (2015)",
                )
            )
    for c in communes:
        name = c["name"] or c["code"]
        columns.append(Column("commune", c["code"], name, f"commune {c['code']}", "commune", name, c["code"]))
    for e_code, e_name in epcis:
        # The EPCI's name is often long ("CA de Valbourg Agglomération"): narrow tables say "EPCI" and
        # name it in the identity block and under the table.
        columns.append(Column("epci", e_code, e_name, f"EPCI {e_code}", "epci", "EPCI", e_code))
    columns.append(
        Column("france", "FRM", "France", "France métropolitaine", "france", "France", "métropole")
    )

    indicators = sorted(
        {i for _, _, ids in SECTIONS for i in ids} | set(AGE_INDICATORS) | set(DECILE_INDICATORS)
    )
    keys = [f"{c.kind}:{c.code}" for c in columns] + ["ensemble_qpv:ensemble"]
    figures = best_figures(con, indicators, keys)
    edu_files = _EducationFiles(con)
    for fig in figures:
        if fig["indicator_id"].startswith("educ_"):
            edu_files.fix_figure(fig)
    catalog = {
        r["indicator_id"]: (r["label_fr"], r["unit"])
        for r in _rows(
            con,
            "SELECT indicator_id, label_fr, unit FROM indicator WHERE list_contains(?, indicator_id)",
            [indicators],
        )
    }
    by: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for fig in figures:
        by.setdefault((fig["indicator_id"], fig["territory_kind"], fig["territory_code"]), []).append(fig)

    notes = _Notes()
    sections: list[Section] = []
    has_estimate = False
    for sid, title, ids in SECTIONS:
        rows: list[Row] = []
        for ind in ids:
            if ind not in catalog:
                continue
            qpv_figs = [
                _pick(by.get((ind, c.kind, c.code), []), None)
                for c in columns
                if c.role in ("self", "perimeter")
            ]
            anchor = next((f["period"] for f in qpv_figs if f is not None and f["status"] != "missing"), None)
            cells: list[Cell] = []
            for col in columns:
                best = _pick(
                    by.get((ind, col.kind, col.code), []),
                    None if col.role in ("self", "perimeter") else anchor,
                )
                text, status, bound = cell_text(best)
                cell = Cell(text, status, value=best["value"] if best is not None else None, bound=bound)
                if best is not None:
                    cell.note = notes.figure(best)
                    if best["period"] != anchor:
                        cell.period = fmt.period_fr(best["period"])
                cells.append(cell)
            if all(c.status is None for c in cells):
                continue
            estimate = ind.startswith("filo_grid_")
            has_estimate |= estimate
            label_fr, unit = catalog[ind]
            rows.append(Row(ind, label_fr, unit, fmt.period_fr(anchor) if anchor else None, cells, estimate))
        section_notes = sorted({c.note for r in rows for c in r.cells if c.note is not None})
        sections.append(Section(sid, title, rows, section_notes))

    schools = _schools(con, geography, code, commune_codes, notes)
    for number, school in enumerate((s for s in schools if s.placed), start=1):
        school.number = number
    _map_geometries(con, geoms, schools, commune_codes, [d for d, _ in departements])
    school_notes = sorted({s.note for s in schools if s.note is not None})
    if schools:
        edu = next((s for s in sections if s.id == "education"), None)
        if edu is not None:
            edu.notes = sorted(set(edu.notes) | set(school_notes))

    # Charts.
    col_label = {
        (c.kind, c.code): (c.label if c.role != "self" else f"{me['name'] or code}") for c in columns
    }
    col_label[("ensemble_qpv", "ensemble")] = "Ensemble des QPV"
    ages: dict[str, dict[str, float]] = {}
    for ind in AGE_INDICATORS:
        for (i, kind, tcode), figs in by.items():
            if i != ind or (kind, tcode) not in col_label:
                continue
            best = _pick(figs, None)
            if best is not None and best["value"] is not None:
                ages.setdefault(ind, {})[col_label[(kind, tcode)]] = float(best["value"])
    deciles: dict[str, dict[str, float]] = {}
    for (i, kind, tcode), figs in by.items():
        if i in DECILE_INDICATORS and (kind, tcode) in col_label:
            best = _pick(figs, None)
            if best is not None and best["value"] is not None:
                deciles.setdefault(col_label[(kind, tcode)], {})[i] = float(best["value"])
    deciles = {k: v for k, v in deciles.items() if len(v) >= 3 or k == col_label[(geography, code)]}
    # The job-seeker series comes with the figures already read (every period of every column).
    series_rows = sorted(
        (
            f
            for f in figures
            if f["indicator_id"] == SERIES_INDICATOR
            and f["territory_kind"] in ("qpv2024", "qpv2015")
            and f["period_type"] == "quarter"
        ),
        key=lambda f: (f["period"], f["territory_kind"], f["territory_code"]),
    )
    series: dict[str, list[tuple[str, float | None]]] = {}
    for r in series_rows:
        name = (
            f"{col_label[(r['territory_kind'], r['territory_code'])]} ({geography_fr(r['territory_kind'])})"
        )
        series.setdefault(name, []).append((r["period"], r["value"]))

    method_notes = [GRID_NOTE] if has_estimate else []
    if schools:
        method_notes.append(SCHOOL_NOTE)
    method_notes.append(
        "« secret statistique » : valeur masquée par le producteur (trop peu d'effectifs) ; "
        "« non calculable (2 sur 9) » : somme calculée par Quartiers dont 2 parties sur 9 sont sous secret "
        "statistique ; « non disponible » : période non publiée ; « — » : pas de chiffre pour ce territoire. "
        "Une année entre parenthèses signale un "
        "chiffre d'une autre année que celle du quartier. Les séries 2015 et 2024 sont distinctes et ne se "
        "raccordent pas."
    )
    return Fiche(
        code=code,
        name=me["name"] or code,
        geography=geography,
        area_m2=me["area_m2"],
        synthetic="synth" in label.lower(),
        data_label=label,
        built_at=info.get("built_at", ""),
        communes=[(c["code"], c["name"] or c["code"], c["share"]) for c in communes],
        epcis=epcis,
        departements=departements,
        changes=changes,
        columns=columns,
        sections=[s for s in sections if s.rows],
        schools=schools,
        notes=notes.notes,
        method_notes=method_notes,
        geometries=geoms,
        ages=ages,
        deciles=deciles,
        series=series,
        labels={k: v[0] for k, v in catalog.items()},
        no_change_text="" if changes else _no_change_text(con, code, other_kind),
    )
