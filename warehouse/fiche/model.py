"""What a fiche is: its identity, sections of rows and cells, notes, schools, perimeter changes and
geometries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sources._errors import QuartiersError


class FicheError(QuartiersError):
    """A fiche cannot be built: unknown QPV code, or a warehouse without it."""


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
