"""Every known INSEE statistical file layout, recognised from its header, and the long staged table.

`identify(path)` reads the header (case-insensitive, trimmed; column order ignored) and returns a
:class:`Layout`: dataset, release label, geography version, territory kind, and the parser. A header
that fits nothing raises SourceFormatError naming the file and the closest known layouts.

Staged table (one per file, same long shape for every layout): one row per territory × variable,
with the value as published (NULL when not published) and its status. See STAGED_SCHEMA.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sources import territory_codes
from sources._archive import is_zip, list_members
from sources._errors import SourceFormatError
from sources.filosofi import settings as filosofi_settings
from sources.insee_common.read import RawTable, read_table
from sources.insee_comparateur import settings as comparateur_settings
from sources.insee_qpv import settings as qpv_settings

STAGED_SCHEMA: dict[str, pl.DataType] = {
    "dataset": pl.String(),
    "release": pl.String(),  # release label (the year in the file name / the header), not the data year
    "geo_version": pl.String(),
    "territory_kind": pl.String(),
    "codgeo": pl.String(),
    "libgeo": pl.String(),
    "libcom": pl.String(),  # LIB_COM of the QPV bases: the commune name(s) as INSEE writes them
    "variable": pl.String(),  # canonical column name (trimmed, upper-case, old names mapped)
    "block": pl.String(),  # source block (rp, cnaf, filo, cnam, pe…)
    "period": pl.String(),  # data period of the block (see settings.RELEASE_PERIODS)
    "period_type": pl.String(),
    "period_verified": pl.Boolean(),
    "raw": pl.String(),  # the cell as written
    "value": pl.Float64(),
    "status": pl.String(),  # published | suppressed | missing | not_applicable
    "marker": pl.String(),  # s, nd, ns, so, nc, "empty", "NOTE_PE=5"
    "note": pl.String(),  # the NOTE_* code of the row's block, as written
    "is_aggregate": pl.Boolean(),  # "Ensemble" (all QPs) / "00" row
    "source_row": pl.Int32(),  # 1-based row in the file
}


@dataclass(frozen=True)
class LayoutSpec:
    id: str
    dataset: str  # staged table name and observation source_dataset
    family: str  # demo | revn | ipro | qpv_filo | filo_disp | filo_cc | filo_iris | comparateur | meta
    code_column: str
    label_columns: tuple[str, ...] = ()
    # explicit header sets: (header, releases); matched as sets
    variants: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = ()
    # pattern layouts: every value column must match; group "yy" = two-digit year, all equal
    value_pattern: str | None = None
    required: tuple[str, ...] = ()  # with {yy} placeholders for pattern layouts
    templates: tuple[str, ...] = ()  # header templates with {yy} (exact set after substitution)
    exemplar: tuple[str, ...] = ()  # a real header, to name the closest layouts
    blocks: tuple[tuple[str, str, str | None], ...] = ()
    empty_status: str = "suppressed"
    # values bounded by definition: (regex on the canonical column, min or None, max or None), first
    # match wins; a published value outside raises SourceFormatError naming file, row and column
    bounds: tuple[tuple[str, float | None, float | None], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Layout:
    """What `identify` found: enough to parse the file and label every figure."""

    path: Path
    spec: LayoutSpec
    release: str
    geo_version: str
    territory_kind: str
    yy: str | None = None
    member: str | None = None
    sheet: str | None = None
    header: tuple[str, ...] = field(default=(), repr=False)

    @property
    def dataset(self) -> str:
        return self.spec.dataset

    def parse(self) -> pl.DataFrame:
        """The staged long table of this file (sources/insee_common/stage.py)."""
        from sources.insee_common.stage import stage_layout  # stage.py builds on this module

        return stage_layout(self)


def _hs(header: str) -> frozenset[str]:
    return frozenset(header.split())


_QPV_LABELS = ("LIBGEO", "LIB_COM")
_FILO_QPV_PATTERN = rf"^(DISP|DEC)_({qpv_settings.FILO_QPV_INDICATORS})_A(?P<yy>\d\d)$"
_IRIS_PATTERN = rf"^(DISP|DEC)_({filosofi_settings.IRIS_INDICATORS})(?P<yy>\d\d)$"


def _qpv2015_spec(
    family: str,
    blocks: tuple[tuple[str, str, str | None], ...],
    bounds: tuple[tuple[str, float | None, float | None], ...],
    description: str,
) -> LayoutSpec:
    """One of the three QPV 2015 bases: they differ only in family, blocks, bounds and description."""
    return LayoutSpec(
        id=f"qpv2015_{family}",
        dataset=f"insee_qpv_{family}",
        family=family,
        code_column="CODGEO",
        label_columns=_QPV_LABELS,
        variants=tuple((_hs(h), r) for h, r in qpv_settings.HEADER_VARIANTS[f"qpv2015_{family}"]),
        blocks=blocks,
        bounds=bounds,
        description=description,
    )


SPECS: tuple[LayoutSpec, ...] = (
    _qpv2015_spec(
        "demo",
        qpv_settings.DEMO_BLOCKS,
        qpv_settings.DEMO_BOUNDS,
        "INSEE QPV base Démographie (RP population and structure, Cnaf), 2015 geography",
    ),
    _qpv2015_spec(
        "revn",
        qpv_settings.REVN_BLOCKS,
        qpv_settings.REVN_BOUNDS,
        "INSEE QPV base Revenus (Filosofi, Cnam, Cnaf), 2015 geography",
    ),
    _qpv2015_spec(
        "ipro",
        qpv_settings.IPRO_BLOCKS,
        qpv_settings.IPRO_BOUNDS,
        "INSEE QPV base Insertion professionnelle (RP, ASP, Pôle emploi), 2015 geography",
    ),
    LayoutSpec(
        id="qpv_filosofi",
        dataset="insee_qpv_filosofi",
        family="qpv_filo",
        code_column="CODGEO",
        label_columns=("LIBGEO",),
        value_pattern=_FILO_QPV_PATTERN,
        required=("CODGEO", "DISP_MED_A{yy}"),
        exemplar=tuple(
            "CODGEO DISP_Q1_A19 DISP_MED_A19 DISP_Q3_A19 DISP_EQ_A19 DISP_D1_A19 DISP_D9_A19 DISP_RD_A19 "
            "DISP_GINI_A19 DISP_PPSOC_A19 DISP_TP60_A19 DISP_NOTE_A19".split()
        ),
        blocks=(("filo", r"^(DISP|DEC)_(?!NOTE)", r"^(DISP|DEC)_NOTE_A\d\d$"),),
        bounds=qpv_settings.FILO_QPV_BOUNDS,
        description="INSEE Filosofi by QPV (data_filo1x_qp_revdis; revenu-disponible-qp15/qp24-2021_QP)",
    ),
    LayoutSpec(
        id="filo_disp_territory",
        dataset="filosofi_disp",
        family="filo_disp",
        code_column="CODGEO",
        label_columns=("LIBGEO",),
        templates=(filosofi_settings.FILO_DISP_TEMPLATE,),
        exemplar=tuple(filosofi_settings.FILO_DISP_TEMPLATE.replace("{yy}", "19").split()),
        bounds=filosofi_settings.FILO_DISP_BOUNDS,
        description="Filosofi disposable income, FILO<yyyy>_DISP_{COM,EPCI,DEP,REG,METROPOLE}",
    ),
    LayoutSpec(
        id="filo_cc_com",
        dataset="filosofi_cc",
        family="filo_cc",
        code_column="CODGEO",
        templates=(filosofi_settings.CC_FILO_TEMPLATE,),
        exemplar=tuple(filosofi_settings.CC_FILO_TEMPLATE.replace("{yy}", "21").split()),
        bounds=filosofi_settings.CC_FILO_BOUNDS,
        description="Filosofi commune file of the comparateur family, cc_filosofi_<yyyy>_COM",
    ),
    LayoutSpec(
        id="filo_iris",
        dataset="filosofi_iris",
        family="filo_iris",
        code_column="IRIS",
        label_columns=filosofi_settings.IRIS_LABEL_COLUMNS,
        value_pattern=_IRIS_PATTERN,
        required=("IRIS",),
        exemplar=tuple(
            "IRIS LIBIRIS COM LIBCOM DISP_TP6019 DISP_Q119 DISP_MED19 DISP_Q319 DISP_D119 DISP_D919 DISP_RD19 "  # noqa: E501
            "DISP_PPSOC19 DISP_NOTE19".split()
        ),
        blocks=(("filo", r"^(DISP|DEC)_(?!NOTE)", r"^(DISP|DEC)_NOTE\d\d$"),),
        bounds=filosofi_settings.IRIS_BOUNDS,
        description="Filosofi by IRIS, BASE_TD_FILO_[DISP_]IRIS_<yyyy>[_DISP|_DEC]",
    ),
    LayoutSpec(
        id="comparateur",
        dataset="insee_comparateur",
        family="comparateur",
        code_column="CODGEO",
        variants=tuple((_hs(h), r) for h, r in comparateur_settings.HEADER_VARIANTS),
        exemplar=tuple(comparateur_settings.HEADER_2025.split()),
        bounds=comparateur_settings.BOUNDS,
        description="Comparateur de territoires, base_cc_comparateur",
    ),
    LayoutSpec(
        id="insee_meta",
        dataset="insee_meta",
        family="meta",
        code_column="COD_VAR",
        variants=(
            (_hs("COD_VAR LIB_VAR LIB_VAR_LONG COD_MOD LIB_MOD TYPE_VAR LONG_VAR"), ("any",)),
            (_hs("COD_VAR LIB_VAR COD_MOD LIB_MOD"), ("any",)),
        ),
        description="INSEE variable/modality metadata file (meta_*.CSV)",
    ),
)
SPECS_BY_ID = {s.id: s for s in SPECS}


def _exemplar(spec: LayoutSpec) -> tuple[str, ...]:
    if spec.exemplar:
        return spec.exemplar
    return tuple(sorted(spec.variants[-1][0])) if spec.variants else ()


def canonical_header(spec: LayoutSpec, names: list[str]) -> list[str]:
    if spec.family != "qpv_filo":
        return names
    out = []
    for n in names:
        m = re.match(r"^(.*)_A(\d\d)$", n)
        if m and m.group(1) in qpv_settings.FILO_QPV_LEGACY:
            out.append(f"{qpv_settings.FILO_QPV_LEGACY[m.group(1)]}_A{m.group(2)}")
        elif n in ("NOTE",):
            out.append("DISP_NOTE")  # year added once known
        else:
            out.append(n)
    return out


def _match(spec: LayoutSpec, names: list[str]) -> tuple[tuple[str, ...], str | None] | None:
    """(candidate releases, yy) when the header fits the spec, else None."""
    header = frozenset(names)
    if spec.variants:
        for cols, releases in spec.variants:
            if header == cols:
                return releases, None
        return None
    if spec.templates:
        anchors = {m.group(1) for n in names if (m := re.match(r"^(?:Q2|MED)(\d\d)$", n))}
        for yy in anchors:
            for t in spec.templates:
                if header == frozenset(t.replace("{yy}", yy).split()):
                    return (f"20{yy}",), yy
        return None
    if spec.value_pattern:
        names = canonical_header(spec, names)
        if spec.code_column not in names:
            return None
        years = set()
        for n in names:
            if n == spec.code_column or n in spec.label_columns or n == "DISP_NOTE":
                continue
            m = re.match(spec.value_pattern, n)
            if not m:
                return None
            years.add(m.group("yy"))
        if len(years) != 1:
            return None
        yy = years.pop()
        if any(r.replace("{yy}", yy) not in names for r in spec.required):
            return None
        return (f"20{yy}",), yy
    return None


def _closest(names: list[str], k: int = 3) -> list[tuple[str, float]]:
    target = sorted(names)
    scored = [
        (spec.id, round(difflib.SequenceMatcher(None, target, sorted(_exemplar(spec))).ratio(), 2))
        for spec in SPECS
    ]
    return sorted(scored, key=lambda t: -t[1])[:k]


def _release_from_name(name: str, candidates: tuple[str, ...]) -> str | None:
    years = re.findall(r"(?<!\d)(20[12]\d)(?!\d)", name)
    for y in years:
        if y in candidates:
            return y
    return None


def _qpv_geography(table: RawTable, code_col: str, file: str) -> str:
    j = table.names.index(code_col)
    kinds = set()
    for row in table.rows:
        code = row[j]
        if re.match(territory_codes.QPV2015_CODE, code):
            kinds.add("qpv2015")
        elif re.match(territory_codes.QPV2024_CODE, code):
            kinds.add("qpv2024")
    if len(kinds) > 1:
        raise SourceFormatError(file, "the file mixes QPV codes of the 2015 (QP…) and 2024 (QN…) geographies")
    name = Path(file).name.lower()
    if not kinds:
        only_totals = table.rows and all(r[j].upper() in ("ENSEMBLE", "00") for r in table.rows)
        if only_totals and ("qp24" in name or "qp15" in name):
            return "qpv2024" if "qp24" in name else "qpv2015"  # the all-QPV file (…_ENSQP.csv)
        raise SourceFormatError(file, "no QPV code (QP…/QN…) in the file", column=code_col)
    geo = kinds.pop()
    if ("qp24" in name and geo != "qpv2024") or ("qp15" in name and geo != "qpv2015"):
        raise SourceFormatError(
            file, f"the file name says {'qp24' if 'qp24' in name else 'qp15'} but the codes are {geo}"
        )
    return geo


def identify(path: Path, *, sheet: str | None = None, member: str | None = None) -> Layout:
    """Recognise an INSEE file from its header; raise SourceFormatError naming the closest layouts."""
    table = read_table(path, sheet=sheet, member=member)
    return _identify_table(path, table)


def parse_family(
    path: Path,
    families: tuple[str, ...],
    expected: str,
    *,
    sheet: str | None = None,
    member: str | None = None,
) -> pl.DataFrame:
    """Identify and stage one file that must be of one of `families`; any other layout is refused with
    "not <expected>: recognised as <layout id>" (the per-source parse_*_file entry points)."""
    layout = identify(path, sheet=sheet, member=member)
    if layout.spec.family not in families:
        raise SourceFormatError(str(path), f"not {expected}: recognised as {layout.spec.id}")
    return layout.parse()


def _identify_table(path: Path, table: RawTable) -> Layout:
    file = table.file
    name = Path(table.member).name if table.member else path.name
    for spec in SPECS:
        hit = _match(spec, table.names)
        if hit is None:
            continue
        releases, yy = hit
        if len(releases) == 1:
            release = releases[0]
        else:
            found = _release_from_name(name, releases)
            if found is None:
                raise SourceFormatError(
                    file,
                    f"header fits {spec.id} of releases {list(releases)}; the file name does not say which",
                    row=table.header_row,
                )
            release = found
        kind, geo = _territory(spec, release, table, name, file)
        return Layout(
            path=path,
            spec=spec,
            release=release,
            geo_version=geo,
            territory_kind=kind,
            yy=yy,
            member=table.member,
            sheet=table.sheet,
            header=tuple(table.names),
        )
    closest = ", ".join(f"{i} ({s:.0%})" for i, s in _closest(table.names))
    raise SourceFormatError(
        file,
        f"header fits no known INSEE layout; closest: {closest}; header starts {table.names[:8]}",
        row=table.header_row,
        sheet=table.sheet,
    )


def _territory(spec: LayoutSpec, release: str, table: RawTable, name: str, file: str) -> tuple[str, str]:
    if spec.family in ("demo", "revn", "ipro", "qpv_filo"):
        geo = _qpv_geography(table, spec.code_column, file)
        return geo, geo
    if spec.family == "filo_disp":
        m = re.search(r"_(COM|EPCI|DEP|REG|METROPOLE)\.", name.upper())
        if not m:
            raise SourceFormatError(
                file, "FILO*_DISP file: the name must end with _COM, _EPCI, _DEP, _REG or _METROPOLE"
            )
        return filosofi_settings.LEVEL_SUFFIX[m.group(1)], filosofi_settings.GEO_VERSION.get(
            ("filo_disp", release), f"cog{release}"
        )
    if spec.family == "filo_cc":
        return "commune", filosofi_settings.GEO_VERSION.get(("filo_cc", release), f"cog{release}")
    if spec.family == "filo_iris":
        return "iris", filosofi_settings.GEO_VERSION.get(("filo_iris", release), f"iris{release}")
    if spec.family == "comparateur":
        return "commune", comparateur_settings.GEO_VERSION[release]
    return "meta", "none"


def scan(directory: Path) -> tuple[list[Layout], list[tuple[Path, str]]]:
    """Recursively recognise every file under `directory`: (layouts, [(unrecognised path, reason)]).

    Zips are opened and each CSV/XLSX member is identified on its own. Markdown and geometry files
    are not INSEE statistical tables and are skipped silently.
    """
    found: list[Layout] = []
    bad: list[tuple[Path, str]] = []
    skip = (".md", ".geojson", ".gpkg", ".shp", ".dbf", ".prj", ".shx", ".cpg", ".txt", ".json", ".pdf")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.suffix.lower() in skip:
            continue
        try:
            if is_zip(path) and path.suffix.lower() != ".xlsx":
                for m in list_members(path):
                    if not m.lower().endswith((".csv", ".xlsx")):
                        continue
                    try:
                        found.append(identify(path, member=m))
                    except SourceFormatError as exc:
                        bad.append((Path(f"{path}!{m}"), str(exc)))
            else:
                found.append(identify(path))
        except SourceFormatError as exc:
            bad.append((path, str(exc)))
        except Exception as exc:  # unreadable file: report, do not stop the scan
            bad.append((path, f"{type(exc).__name__}: {exc}"))
    return found, bad


# ---------------------------------------------------------------------------------------------- staging
