"""Gather one QPV's fiche from the warehouse: read-only, every value bound as a parameter.

The fiche of a QPV shows its own figures, those of the perimeters it replaces or that replace it (labelled
with their geography: a 2015-perimeter figure on a 2024 fiche says so), and the same indicator for its
commune(s), EPCI and France métropolitaine. Each cell carries the number of a note that names its source
dataset, release (millésime), data year and geography version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from sources._errors import QuartiersError
from warehouse.fiche import fmt
from warehouse.qpv_lookup import QpvLookupError, predecessors, resolve_qpv
from warehouse.vocabulary import COORD_FR, LEVEL_FR

QPV_CODE_RE = re.compile(r"^(QP(\d{3}|02A|02B)\d{3}|QN(\d{3}|02A|02B)\d{2}[0-9A-Z])$")


class FicheError(QuartiersError):
    """A fiche cannot be built: unknown QPV code, or a warehouse without it."""


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
PUBLISHER_PREFIX = [
    ("filosofi_grid", "Insee, Filosofi carroyé 200 m"),
    ("insee_", "Insee"),
    ("filosofi", "Insee, Filosofi"),
    ("caf_", "Cnaf"),
    ("defm_", "France Travail / Dares"),
    ("fr-en-", "Éducation nationale (DEPP)"),
]
STATUS_TEXT = {"suppressed": "secret statistique", "missing": "non disponible"}
GRID_NOTE = (
    "Estimation carroyée (Insee, Filosofi 200 m) : chaque carreau touchant le périmètre compte au prorata "
    "de sa surface incluse. L'encadrement (bas–haut), imprimé après l'estimation, va des seuls carreaux "
    "entièrement inclus à tous les carreaux qui recouvrent le périmètre ; médianes et déciles ne sont pas "
    "estimables ainsi."
)

SCHOOL_NOTE = (
    "Écoles et collèges listés : ceux situés dans le quartier ou à proximité (écoles à moins de 100 m, "
    "collèges et lycées à moins de 300 m : convention Insee) et les collèges de secteur déclarés par le "
    "contrat de ville, à leur dernière rentrée connue ; numérotés comme sur la carte."
)


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


@dataclass(frozen=True)
class Column:
    kind: str  # qpv2024 | qpv2015 | commune | epci | france
    code: str
    label: str  # heading (full name)
    sublabel: str  # second line: code or "périmètre 2015"
    role: str  # self | perimeter | commune | epci | france
    head: str = ""  # short heading for narrow (PDF) tables: "EPCI" rather than its long name
    subhead: str = ""  # short second line for narrow tables


@dataclass
class Note:
    number: int
    text: str  # the whole note: source, release, data year, geography (file, method)
    group: str = ""  # what the note shares with others: source and release (and file)
    detail: str = ""  # what is its own within the group: data year, geography, method


@dataclass
class Cell:
    text: str
    status: str | None  # published | estimated | suppressed | not_applicable | missing | None (no figure)
    note: int | None = None
    period: str | None = None  # shown when it differs from the row's year
    value: float | None = None
    bound: str | None = None  # grid estimates: "3 768–5 029" (low–high)


@dataclass
class Row:
    indicator_id: str
    label: str
    unit: str | None
    period: str | None  # data year of the QPV's figure
    cells: list[Cell]
    estimate: bool = False


@dataclass
class Section:
    id: str
    title: str
    rows: list[Row]
    notes: list[int] = field(default_factory=list)


@dataclass
class School:
    uai: str
    name: str
    level: str
    sector: str
    ep_status: str
    ips: str
    pupils: str
    where: str  # "dans le quartier" | "à 198 m"
    rentree: str
    x: float | None
    y: float | None
    inside: bool
    note: int | None = None
    coord_status: str = "ok"  # ok | imprecise | missing | out_of_bounds | swapped (as in `school`)
    placed: bool = True  # False: no usable coordinates, listed from the QPV's communes, not on the map
    commune_code: str = ""
    located: bool = False  # usable coordinates (a collège de secteur beyond 1 km has some, off the map)
    number: int | None = None  # the school's number on the map (placed schools only), its key in the fiche


@dataclass
class PerimeterChange:
    code_2015: str | None
    name_2015: str | None
    code_2024: str | None
    relation: str
    text: str


@dataclass
class Geometries:
    outline_2024: list[tuple[str, bytes]]
    outline_2015: list[tuple[str, bytes]]
    communes: list[tuple[str, str, bytes]]  # code, name, wkb: every commune the map's frame touches
    frame: tuple[float, float, float, float] | None = None  # map extent (Lambert-93): minx, miny, maxx, maxy
    own_communes: list[str] = field(default_factory=list)  # codes of the QPV's own communes
    # other QPVs (either geography) whose perimeter falls in the frame: kind, code, wkb (drawn lighter)
    neighbours: list[tuple[str, str, bytes]] = field(default_factory=list)


@dataclass
class Fiche:
    code: str
    name: str
    geography: str  # qpv2024 | qpv2015
    area_m2: float | None
    synthetic: bool
    data_label: str
    built_at: str
    communes: list[tuple[str, str, float | None]]  # code, name, area share
    epcis: list[tuple[str, str]]
    departements: list[tuple[str, str]]
    changes: list[PerimeterChange]
    columns: list[Column]
    sections: list[Section]
    schools: list[School]
    notes: list[Note]
    method_notes: list[str]
    geometries: Geometries
    # chart inputs: {indicator: {column label: value}} and series {line label: [(period, value | None)]}
    ages: dict[str, dict[str, float]]
    deciles: dict[str, dict[str, float]]
    series: dict[str, list[tuple[str, float | None]]]
    labels: dict[str, str]
    # what the perimeter section says when no perimeter of the other geography overlaps this one: "Aucun
    # recouvrement…" only when that geography's perimeters of the département are held
    no_change_text: str = ""


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


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def cell_text(r: dict[str, Any] | None) -> tuple[str, str | None, str | None]:
    """The text standing for one figure (value, or what stands in for it), its status and its bound."""
    if r is None or r["status"] is None:
        return "—", None, None
    status = r["status"]
    if status in STATUS_TEXT:
        return STATUS_TEXT[status], status, None
    if status == "not_computable":
        # our own sum: the producer hid some of its parts, not this figure (explained in the notes)
        parts = f" ({r.get('parts_hidden')} sur {r.get('parts_total')})" if r.get("parts_total") else ""
        return "non calculable" + parts, status, None
    if status == "not_applicable" or r["value"] is None:
        text = "non estimable" if r["method"] == "grid_estimate" else "non calculable"
        return text, "not_applicable", None
    bound = None
    if r["interval_low"] is not None and r["interval_high"] is not None:
        bound = fmt.bound_fr(r["interval_low"], r["interval_high"], r["unit"])
    return fmt.value_fr(r["value"], r["unit"]), status, bound


# The ranking of v_observation_best (warehouse/views_insee.sql), applied here to the fiche's own territories
# and indicators *before* ranking: the view ranks the whole observation table, and a filter on its output is
# not pushed below the window. tests/integration/test_fiche_e2e.py checks both agree.
BEST_SQL = """
WITH o AS (
    SELECT * FROM observation
    WHERE list_contains(?, indicator_id) AND list_contains(?, territory_code)
      AND list_contains(?, territory_kind || ':' || territory_code)
), best AS (
    SELECT o.*, row_number() OVER (
        PARTITION BY indicator_id, territory_kind, territory_code, period,
                     CASE WHEN territory_kind = 'ensemble_qpv' THEN geo_version END
        ORDER BY CASE status WHEN 'published' THEN 0 WHEN 'estimated' THEN 0 WHEN 'suppressed' THEN 1
                             WHEN 'not_computable' THEN 1 WHEN 'not_applicable' THEN 2 ELSE 3 END,
                 CASE method WHEN 'published' THEN 0 WHEN 'grid_estimate' THEN 1 WHEN 'recomputed' THEN 2
                             ELSE 3 END,
                 source_vintage DESC, source_dataset, geo_version DESC
    ) AS rk
    FROM o
)
SELECT o.indicator_id, o.territory_kind, o.territory_code, o.geo_version, o.period, o.period_type, o.value,
       o.status, o.method, o.interval_low, o.interval_high, o.parts_hidden, o.parts_total,
       o.source_dataset, o.source_vintage, i.label_fr, i.unit, sf.file_name
FROM best o
LEFT JOIN indicator i ON i.indicator_id = o.indicator_id
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
WHERE o.rk = 1
ORDER BY list_position(?, o.territory_kind || ':' || o.territory_code),
         o.indicator_id, o.period, o.geo_version
"""
# The same rows read from the figures flagged `best` when `observation` was staged (no window per fiche), one
# territory at a time: `observation` is stored sorted by territory, so an equality on kind and code reads a
# row group or two (a list_contains over the codes cannot use the zonemaps and scans the whole table:
# 88 ms → 32 ms per fiche on the national warehouse). Sorted in the order of ``keys`` (the fiche's columns),
# so the charts list the territories in that order.
BEST_OF_ONE_TERRITORY = """
SELECT o.indicator_id, o.territory_kind, o.territory_code, o.geo_version, o.period, o.period_type, o.value,
       o.status, o.method, o.interval_low, o.interval_high, o.parts_hidden, o.parts_total,
       o.source_dataset, o.source_vintage, o.source_sha256
FROM observation o
WHERE o.best AND o.territory_kind = ? AND o.territory_code = ? AND list_contains(?, o.indicator_id)
"""
BEST_TABLE_SQL = """
SELECT o.* EXCLUDE (source_sha256), i.label_fr, i.unit, sf.file_name
FROM ({territories}) o
LEFT JOIN indicator i ON i.indicator_id = o.indicator_id
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
ORDER BY list_position(?, o.territory_kind || ':' || o.territory_code),
         o.indicator_id, o.period, o.geo_version
"""


def best_figures(
    con: duckdb.DuckDBPyConnection, indicators: list[str], keys: list[str]
) -> list[dict[str, Any]]:
    """The v_observation_best rows of ``indicators`` for the territories ``keys`` (``kind:code``), in the
    order of ``keys``."""
    if not keys:
        return []
    # The statement's shape depends on the number of territories only; every value is bound.
    sql = BEST_TABLE_SQL.format(
        territories=" UNION ALL ".join(["(" + BEST_OF_ONE_TERRITORY + ")"] * len(keys))
    )
    params: list[Any] = []
    for key in keys:
        kind, code = key.split(":", 1)
        params += [kind, code, indicators]
    try:
        return _rows(con, sql, [*params, keys])
    except (duckdb.CatalogException, duckdb.BinderException):  # a warehouse built before `observation.best`
        codes = sorted({k.split(":", 1)[1] for k in keys})
        return _rows(con, BEST_SQL, [indicators, codes, keys, keys])


def _pick(figures: list[dict[str, Any]], period: str | None) -> dict[str, Any] | None:
    """The figure of ``period`` if there is one, else the latest that is not a publication gap."""
    if not figures:
        return None
    if period is not None:
        for f in figures:
            if f["period"] == period:
                return f
    usable = [f for f in figures if f["status"] != "missing"] or figures
    return max(usable, key=lambda f: f["period"])


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


def _school_datasets(s: dict[str, Any]) -> list[str]:
    return [
        d for d in (s["directory_dataset"], s["ep_dataset"], s["ips_dataset"], s["effectifs_dataset"]) if d
    ]


class _EducationFiles:
    """The files an education figure comes from, from the datasets its rows name (`school.*_dataset`, and
    the "+"-joined `source_dataset` of the education figures): `observation.source_sha256` and
    `source_vintage` of an education figure join every file of every education dataset loaded (a
    Pays de la Loire extract on a Pas-de-Calais fiche), so the note is rebuilt from the row's own datasets.
    A dataset held in one file names that file; held in several, the row's file is not kept in the
    warehouse: the note names the dataset and says so, never a file the figure may not come from."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.files: dict[str, list[tuple[str, str | None]]] = {}
        for dataset, name, vintage in con.execute(
            "SELECT dataset, coalesce(file_name, url), vintage FROM source_file ORDER BY dataset, file_name"
        ).fetchall():
            self.files.setdefault(dataset, []).append((name, vintage))

    def of(self, dataset: str) -> list[tuple[str, str | None]]:
        if dataset in self.files:
            return self.files[dataset]
        # `school.ep_dataset` names the rentrée list ("liste-des-rep-et-rep-rentree-2022") of a dataset
        # registered without it ("liste-des-rep-et-rep")
        prefixes = [d for d in self.files if dataset.startswith(d + "-")]
        return self.files[max(prefixes, key=len)] if prefixes else []

    def describe(self, datasets: list[str]) -> str:
        """« fr-en-ips-ecoles-ap2022 : fichier fr-en-ips-ecoles-ap2022_national.parquet ; … »."""
        parts = []
        for d in dict.fromkeys(datasets):
            files = self.of(d)
            if len(files) == 1:
                parts.append(f"{d} : fichier {files[0][0]}")
            elif files:
                parts.append(
                    f"{d} : l'un des {len(files)} fichiers chargés "
                    "(fichier de chaque établissement non conservé)"
                )
            else:
                parts.append(d)
        return " ; ".join(parts)

    def fix_figure(self, r: dict[str, Any]) -> None:
        """An education figure: its release and file(s) from its own datasets only."""
        datasets = [d for d in (r["source_dataset"] or "").split("+") if d]
        files = [f for d in datasets for f in self.of(d)]
        vintages = sorted({v for d in datasets for _, v in self.of(d) if len(self.of(d)) == 1 and v})
        names = [d for d in datasets if len(self.of(d)) == 1]
        r["source_vintage"] = ", ".join(vintages) if vintages else None
        r["file_name"] = ", ".join(self.of(d)[0][0] for d in names) if files and names else None


def _school(s: dict[str, Any], where: str, note: int, placed: bool) -> School:
    if s["ips_status"] == "suppressed":
        ips = "secret statistique"
    elif s["ips"] is None:
        ips = "—"
    else:
        ips = fmt.number_fr(s["ips"], 1)
    return School(
        uai=s["uai"],
        name=s["name"] or s["uai"],
        level=LEVEL_FR.get(s["level"] or "", s["level"] or ""),
        sector="public" if s["sector"] == "public" else "privé" if s["sector"] == "prive" else "",
        ep_status=s["ep_status"] or "inconnu",
        ips=ips,
        pupils=fmt.number_fr(s["pupils"], 0) if s["pupils"] is not None else "—",
        where=where,
        rentree=s["rentree_label"],
        x=s["x_l93"] if placed else None,
        y=s["y_l93"] if placed else None,
        inside=placed and s.get("relation") == "inside",
        note=note,
        coord_status=s["coord_status"] or "missing",
        placed=placed,
        commune_code=s["commune_code"] or "",
        located=s["x_l93"] is not None,
    )


def _schools(
    con: duckdb.DuckDBPyConnection, geography: str, code: str, commune_codes: list[str], notes: _Notes
) -> list[School]:
    """Schools inside or near the perimeter, at their latest rentrée (school_qpv × school); then the
    schools of the QPV's communes without usable coordinates (never dropped: listed with their flag, as
    `quartiers schools` does), at the latest rentrée of those communes."""
    edu_files = _EducationFiles(con)
    rows = _rows(
        con,
        # Each school at its latest rentrée: a window over the joined rows (a correlated max per school
        # cost 120 ms on the national warehouse); UAI last, so schools of the same name keep one order.
        # Inside, or within INSEE's proximity convention (écoles 100 m, collèges and lycées 300 m), or a
        # collège de secteur a contract declares for this QPV (whatever its distance: NULL beyond 1 km).
        "SELECT s.*, r.relation, r.distance_m, c.uai IS NOT NULL AS college_secteur FROM school s "
        "LEFT JOIN school_qpv r ON r.uai = s.uai AND r.territory_kind = ? AND r.territory_code = ? "
        "LEFT JOIN (SELECT DISTINCT uai FROM contract_college_secteur WHERE code_2024 = ?) c "
        "ON c.uai = s.uai "
        "WHERE (r.uai IS NOT NULL AND r.distance_m <= CASE s.level WHEN 'ecole' THEN 100 ELSE 300 END) "
        "OR c.uai IS NOT NULL "
        "QUALIFY s.rentree = max(s.rentree) OVER (PARTITION BY s.uai) "
        "ORDER BY r.relation NULLS LAST, s.level DESC, r.distance_m, s.name, s.uai",
        [geography, code, code],
    )
    import shapely

    wkb = con.execute(
        "SELECT any_value(geom_wkb) FROM territory WHERE kind = ? AND code = ? AND geom_wkb IS NOT NULL",
        [geography, code],
    ).fetchone()
    perimeter = shapely.from_wkb(wkb[0]) if wkb and wkb[0] is not None else None
    out: list[School] = []
    # One note per rentrée for the listed schools, naming the files of their rows' datasets.
    by_rentree: dict[str, list[str]] = {}
    for s in rows:
        by_rentree.setdefault(s["rentree_label"], []).extend(_school_datasets(s))
    for s in rows:
        files = edu_files.describe(by_rentree[s["rentree_label"]])
        group = f"Éducation nationale (DEPP), établissements ({files})"
        # the proximity convention is stated once, in the method notes (SCHOOL_NOTE)
        detail = f"rentrée {s['rentree_label']} ; position par rapport au {geography_fr(geography)}"
        note = notes.number(("school", s["rentree_label"], geography), f"{group} ; {detail}", group, detail)
        if s["relation"] == "inside":
            where = "dans le quartier"
        elif s["distance_m"] is not None:
            where = f"à {fmt.distance_fr(s['distance_m'])}"
        elif s["x_l93"] is not None and perimeter is not None:
            # a collège de secteur beyond the 1 km school_qpv keeps: its true distance, measured here
            far = float(shapely.distance(perimeter, shapely.Point(s["x_l93"], s["y_l93"])))
            where = f"à {fmt.distance_fr(far)}"
        else:
            where = "distance inconnue (sans coordonnées)"
        if s["college_secteur"]:
            where += ", collège de secteur"
        if s["coord_status"] not in (None, "ok"):
            where += f" ({COORD_FR.get(s['coord_status'], s['coord_status'])})"
        # a collège de secteur beyond 1 km stays off the map (it would zoom the map out of the quartier)
        out.append(_school(s, where, note, placed=s["relation"] is not None))
    if not commune_codes:
        return out
    unplaced = _rows(
        con,
        "SELECT s.* FROM school s WHERE list_contains(?, s.commune_code) AND s.x_l93 IS NULL "
        "AND s.rentree = (SELECT max(rentree) FROM school s2 WHERE list_contains(?, s2.commune_code)) "
        "ORDER BY s.commune_code, s.name, s.uai",
        [commune_codes, commune_codes],
    )
    for s in unplaced:
        datasets = ", ".join(_school_datasets(s))
        group = f"Éducation nationale (DEPP), établissements ({edu_files.describe(_school_datasets(s))})"
        detail = (
            f"rentrée {s['rentree_label']} ; établissement de la commune {s['commune_code']} sans "
            "coordonnées utilisables : ni placé sur la carte, ni situé par rapport au périmètre"
        )
        note = notes.number(
            ("school-unplaced", datasets, s["rentree_label"], s["commune_code"]),
            f"{group} ; {detail}",
            group,
            detail,
        )
        flag = COORD_FR.get(s["coord_status"], s["coord_status"] or "sans coordonnées")
        out.append(_school(s, f"non situé ({flag}), commune {s['commune_code']}", note, placed=False))
    return out


def map_frame(geoms: Geometries, schools: list[School]) -> tuple[float, float, float, float] | None:
    """The map's extent (Lambert-93): the outlines and the placed schools, with a margin."""
    import shapely

    parts = [shapely.from_wkb(w) for _, w in geoms.outline_2024 + geoms.outline_2015]
    parts += [shapely.Point(s.x, s.y) for s in schools if s.x is not None and s.y is not None]
    if not parts:
        return None
    minx, miny, maxx, maxy = shapely.GeometryCollection(parts).bounds
    pad = max(maxx - minx, maxy - miny) * 0.12 + 50
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _map_geometries(
    con: duckdb.DuckDBPyConnection,
    geoms: Geometries,
    schools: list[School],
    commune_codes: list[str],
    departement_codes: list[str],
) -> None:
    """Set the map's frame and every commune it touches (the QPV's own and their neighbours).

    Candidates are the communes of the QPV's département(s), kept when they touch the frame; when they do
    not cover the frame (a département or regional border, the coast), those of the région(s) are tried.
    """
    import shapely

    geoms.own_communes = list(commune_codes)
    geoms.frame = map_frame(geoms, schools)
    if geoms.frame is None:
        return
    frame = shapely.box(*geoms.frame)
    sql = (
        "SELECT code, name, geom_wkb FROM territory WHERE kind = 'commune' AND geom_wkb IS NOT NULL "
        "AND (list_contains(?, code) OR code IN (SELECT child_code FROM territory_link "
        "WHERE child_kind = 'commune' AND parent_kind = 'departement' AND list_contains(?, parent_code))) "
        "QUALIFY row_number() OVER (PARTITION BY code ORDER BY geo_version DESC) = 1 ORDER BY code"
    )
    found: list[tuple[str, str, bytes]] = []
    for scope in ("departement", "region"):
        if scope == "region":
            regions = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT parent_code FROM territory_link WHERE child_kind = 'departement' "
                    "AND parent_kind = 'region' AND list_contains(?, child_code)",
                    [departement_codes],
                ).fetchall()
            ]
            wider = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT child_code FROM territory_link WHERE child_kind = 'departement' "
                    "AND parent_kind = 'region' AND list_contains(?, parent_code)",
                    [regions],
                ).fetchall()
            ]
            if set(wider) <= set(departement_codes):
                break
            departement_codes = wider
        rows = con.execute(sql, [commune_codes, departement_codes]).fetchall()
        if not rows:
            continue
        shapes = shapely.from_wkb([r[2] for r in rows])
        touch = shapely.intersects(shapes, frame)
        found = [(r[0], r[1] or r[0], r[2]) for r, t in zip(rows, touch, strict=True) if t]
        covered = shapely.union_all(shapely.intersection(shapes[touch], frame)).area
        if covered >= frame.area * 0.999:
            break
    geoms.communes = found
    # Neighbouring QPVs: the perimeters (both geographies) of the QPVs of the same départements (by their
    # code) that fall in the frame, other than those already drawn.
    drawn = {c for c, _ in geoms.outline_2024 + geoms.outline_2015}
    prefixes = sorted({departement_of(c) for c in drawn})
    rows = con.execute(
        "SELECT kind, code, any_value(geom_wkb) FROM territory WHERE kind IN ('qpv2024', 'qpv2015') "
        "AND geom_wkb IS NOT NULL AND list_contains(?, substr(code, 3, 3)) AND NOT list_contains(?, code) "
        "GROUP BY kind, code ORDER BY kind DESC, code",
        [prefixes, sorted(drawn)],
    ).fetchall()
    if rows:
        shapes = shapely.from_wkb([r[2] for r in rows])
        touch = shapely.intersects(shapes, frame)
        geoms.neighbours = [(r[0], r[1], r[2]) for r, t in zip(rows, touch, strict=True) if t]
