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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sources import territory_codes
from sources._archive import is_zip, list_members
from sources._errors import SourceFormatError
from sources.filosofi import settings as fs
from sources.insee_common.read import MARKERS, RawTable, read_table
from sources.insee_comparateur import settings as cs
from sources.insee_qpv import settings as qs

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

    @property
    def parser(self) -> Callable[[Layout], pl.DataFrame]:
        return stage_layout

    def parse(self) -> pl.DataFrame:
        return stage_layout(self)


def _hs(header: str) -> frozenset[str]:
    return frozenset(header.split())


_QPV_LABELS = ("LIBGEO", "LIB_COM")
_FILO_QPV_PATTERN = rf"^(DISP|DEC)_({qs.FILO_QPV_INDICATORS})_A(?P<yy>\d\d)$"
_IRIS_PATTERN = rf"^(DISP|DEC)_({fs.IRIS_INDICATORS})(?P<yy>\d\d)$"

SPECS: tuple[LayoutSpec, ...] = (
    LayoutSpec(
        id="qpv2015_demo",
        dataset="insee_qpv_demo",
        family="demo",
        code_column="CODGEO",
        label_columns=_QPV_LABELS,
        variants=tuple((_hs(h), r) for h, r in qs.HEADER_VARIANTS["qpv2015_demo"]),
        blocks=qs.DEMO_BLOCKS,
        bounds=qs.DEMO_BOUNDS,
        description="INSEE QPV base Démographie (RP population and structure, Cnaf), 2015 geography",
    ),
    LayoutSpec(
        id="qpv2015_revn",
        dataset="insee_qpv_revn",
        family="revn",
        code_column="CODGEO",
        label_columns=_QPV_LABELS,
        variants=tuple((_hs(h), r) for h, r in qs.HEADER_VARIANTS["qpv2015_revn"]),
        blocks=qs.REVN_BLOCKS,
        bounds=qs.REVN_BOUNDS,
        description="INSEE QPV base Revenus (Filosofi, Cnam, Cnaf), 2015 geography",
    ),
    LayoutSpec(
        id="qpv2015_ipro",
        dataset="insee_qpv_ipro",
        family="ipro",
        code_column="CODGEO",
        label_columns=_QPV_LABELS,
        variants=tuple((_hs(h), r) for h, r in qs.HEADER_VARIANTS["qpv2015_ipro"]),
        blocks=qs.IPRO_BLOCKS,
        bounds=qs.IPRO_BOUNDS,
        description="INSEE QPV base Insertion professionnelle (RP, ASP, Pôle emploi), 2015 geography",
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
        bounds=qs.FILO_QPV_BOUNDS,
        description="INSEE Filosofi by QPV (data_filo1x_qp_revdis; revenu-disponible-qp15/qp24-2021_QP)",
    ),
    LayoutSpec(
        id="filo_disp_territory",
        dataset="filosofi_disp",
        family="filo_disp",
        code_column="CODGEO",
        label_columns=("LIBGEO",),
        templates=(fs.FILO_DISP_TEMPLATE,),
        exemplar=tuple(fs.FILO_DISP_TEMPLATE.replace("{yy}", "19").split()),
        bounds=fs.FILO_DISP_BOUNDS,
        description="Filosofi disposable income, FILO<yyyy>_DISP_{COM,EPCI,DEP,REG,METROPOLE}",
    ),
    LayoutSpec(
        id="filo_cc_com",
        dataset="filosofi_cc",
        family="filo_cc",
        code_column="CODGEO",
        templates=(fs.CC_FILO_TEMPLATE,),
        exemplar=tuple(fs.CC_FILO_TEMPLATE.replace("{yy}", "21").split()),
        bounds=fs.CC_FILO_BOUNDS,
        description="Filosofi commune file of the comparateur family, cc_filosofi_<yyyy>_COM",
    ),
    LayoutSpec(
        id="filo_iris",
        dataset="filosofi_iris",
        family="filo_iris",
        code_column="IRIS",
        label_columns=fs.IRIS_LABEL_COLUMNS,
        value_pattern=_IRIS_PATTERN,
        required=("IRIS",),
        exemplar=tuple(
            "IRIS LIBIRIS COM LIBCOM DISP_TP6019 DISP_Q119 DISP_MED19 DISP_Q319 DISP_D119 DISP_D919 DISP_RD19 "  # noqa: E501
            "DISP_PPSOC19 DISP_NOTE19".split()
        ),
        blocks=(("filo", r"^(DISP|DEC)_(?!NOTE)", r"^(DISP|DEC)_NOTE\d\d$"),),
        bounds=fs.IRIS_BOUNDS,
        description="Filosofi by IRIS, BASE_TD_FILO_[DISP_]IRIS_<yyyy>[_DISP|_DEC]",
    ),
    LayoutSpec(
        id="comparateur",
        dataset="insee_comparateur",
        family="comparateur",
        code_column="CODGEO",
        variants=tuple((_hs(h), r) for h, r in cs.HEADER_VARIANTS),
        exemplar=tuple(cs.HEADER_2025.split()),
        bounds=cs.BOUNDS,
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


def _canonical_header(spec: LayoutSpec, names: list[str]) -> list[str]:
    if spec.family != "qpv_filo":
        return names
    out = []
    for n in names:
        m = re.match(r"^(.*)_A(\d\d)$", n)
        if m and m.group(1) in qs.FILO_QPV_LEGACY:
            out.append(f"{qs.FILO_QPV_LEGACY[m.group(1)]}_A{m.group(2)}")
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
        names = _canonical_header(spec, names)
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
        return fs.LEVEL_SUFFIX[m.group(1)], fs.GEO_VERSION.get(("filo_disp", release), f"cog{release}")
    if spec.family == "filo_cc":
        return "commune", fs.GEO_VERSION.get(("filo_cc", release), f"cog{release}")
    if spec.family == "filo_iris":
        return "iris", fs.GEO_VERSION.get(("filo_iris", release), f"iris{release}")
    if spec.family == "comparateur":
        return "commune", cs.GEO_VERSION[release]
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


def _period_for(layout: Layout, variable: str, block: str, file: str) -> tuple[str | None, str | None, bool]:
    fam = layout.spec.family
    if fam in ("demo", "revn", "ipro"):
        periods = qs.RELEASE_PERIODS.get((fam, layout.release))
        if periods is None or block not in periods:
            raise SourceFormatError(
                file, f"no data period recorded for {fam} release {layout.release} block {block}"
            )
        p = periods[block]
        return p.period, p.period_type, p.verified
    if fam in ("qpv_filo", "filo_disp", "filo_cc", "filo_iris"):
        return f"20{layout.yy}", "year", True
    if fam == "comparateur":
        return _comparateur_period(variable)
    return None, None, False


def _comparateur_period(variable: str) -> tuple[str | None, str | None, bool]:
    m = re.match(r"^[PC](\d\d)_", variable)
    if m:
        return f"20{m.group(1)}", "year", True
    m = re.match(r"^(NBMENFISC|PIMP|MED|TP60)(\d\d)$", variable)
    if m:
        return f"20{m.group(2)}", "year", True
    m = re.match(r"^(NAISD|DECESD)(\d\d)$", variable)
    if m:
        return f"20{m.group(2)}", "year", True
    m = re.match(r"^ET[A-Z0-9]+?(\d\d)$", variable)
    if m:
        return f"20{m.group(1)}-12-31", "date", True
    return None, None, False


def _block_of(spec: LayoutSpec, variable: str, file: str, column_row: int) -> tuple[str, str | None]:
    if not spec.blocks:
        if spec.family == "comparateur":
            if re.match(r"^(NBMENFISC|PIMP|MED|TP60)\d\d$", variable):
                return "filo", None
            if variable.startswith("ET"):
                return "sirene", None
            if variable.startswith(("NAIS", "DECE")):
                return "etat_civil", None
            return "rp", None
        return "filo", None
    for block, regex, note in spec.blocks:
        if re.match(regex, variable):
            return block, note
    raise SourceFormatError(
        file, f"column {variable!r} belongs to no known block of {spec.id}", row=column_row, column=variable
    )


def stage_layout(layout: Layout) -> pl.DataFrame:
    """Parse the file of `layout` into the long staged table (STAGED_SCHEMA)."""
    table = read_table(layout.path, sheet=layout.sheet, member=layout.member)
    if tuple(table.names) != layout.header:
        raise SourceFormatError(table.file, "header changed since identification", row=table.header_row)
    return stage_table(layout, table)


def stage_table(layout: Layout, table: RawTable) -> pl.DataFrame:
    spec = layout.spec
    file = table.file
    if spec.family == "meta":
        return _stage_meta(layout, table)
    names = _canonical_header(spec, table.names)
    if spec.family == "qpv_filo":
        names = [f"DISP_NOTE_A{layout.yy}" if n == "DISP_NOTE" else n for n in names]
    code_j = names.index(spec.code_column)
    label_js = [j for j, n in enumerate(names) if n in spec.label_columns]
    label_j = label_js[0] if label_js and names[label_js[0]] in ("LIBGEO", "LIBIRIS") else None
    libcom_j = names.index("LIB_COM") if "LIB_COM" in names else None
    note_cols = {j for j, n in enumerate(names) if re.match(r"^(NOTE_[A-Z_]+|(DISP|DEC)_NOTE(_A)?\d\d)$", n)}
    value_js = [j for j in range(len(names)) if j != code_j and j not in label_js and j not in note_cols]
    # block and note column of every value column
    blocks: dict[int, tuple[str, int | None]] = {}
    for j in value_js:
        block, note_regex = _block_of(spec, names[j], file, table.header_row)
        note_j = None
        if note_regex is not None:
            hits = [
                k
                for k in note_cols
                if re.match(note_regex if note_regex.startswith("^") else f"^{note_regex}$", names[k])
            ]
            note_j = hits[0] if hits else None
        blocks[j] = (block, note_j)
    periods = {j: _period_for(layout, names[j], blocks[j][0], file) for j in value_js}
    code_pattern = _code_pattern(layout)
    empty_status = spec.empty_status
    if spec.family == "comparateur":
        empty_status = cs.EMPTY_STATUS[layout.release]
    codes = [r[code_j].strip() for r in table.rows]
    aggregate = [False] * len(codes)
    for i, code in enumerate(codes):
        if code.upper() in ("ENSEMBLE", "00") and layout.territory_kind.startswith("qpv"):
            if i != 0 and code.upper() == "ENSEMBLE":
                raise SourceFormatError(
                    file,
                    "an 'Ensemble' total row inside the data",
                    row=table.row_numbers[i],
                    column=spec.code_column,
                )
            aggregate[i] = True
        elif not re.match(code_pattern, code):
            raise SourceFormatError(
                file,
                f"code {code!r} is not a {layout.territory_kind} code of the file's geography "
                f"({layout.geo_version})",
                row=table.row_numbers[i],
                column=spec.code_column,
                sheet=table.sheet,
            )
    _refuse_repeated_codes(codes, table, spec.code_column, code_j)
    n = len(codes)
    wide = pl.DataFrame(
        {
            "__row": pl.Series(table.row_numbers, dtype=pl.Int32),
            "codgeo": pl.Series(codes, dtype=pl.String),
            "libgeo": pl.Series(
                [r[label_j] for r in table.rows] if label_j is not None else [None] * n, dtype=pl.String
            ),
            "libcom": pl.Series(
                [r[libcom_j].strip() for r in table.rows] if libcom_j is not None else [None] * n,
                dtype=pl.String,
            ),
            "is_aggregate": pl.Series(aggregate, dtype=pl.Boolean),
            **{f"v{j}": pl.Series([r[j] for r in table.rows], dtype=pl.String) for j in value_js},
        }
    )
    keys = ["__row", "codgeo", "libgeo", "libcom", "is_aggregate"]
    long = wide.unpivot(index=keys, variable_name="__col", value_name="raw")
    mapping = pl.DataFrame(
        {
            "__col": [f"v{j}" for j in value_js],
            "variable": [names[j] for j in value_js],
            "column": [table.original_names[j].strip() for j in value_js],
            "block": [blocks[j][0] for j in value_js],
            "__note_col": [f"n{blocks[j][1]}" if blocks[j][1] is not None else None for j in value_js],
            "note_name": [_note_name(names, blocks[j][1]) for j in value_js],
            "period": [periods[j][0] for j in value_js],
            "period_type": [periods[j][1] for j in value_js],
            "period_verified": [periods[j][2] for j in value_js],
            "__lo": [_bound(spec, names[j])[0] for j in value_js],
            "__hi": [_bound(spec, names[j])[1] for j in value_js],
        },
        schema_overrides={
            "__lo": pl.Float64,
            "__hi": pl.Float64,
            "__note_col": pl.String,
            "note_name": pl.String,
            "period": pl.String,
            "period_type": pl.String,
        },
    )
    long = long.join(mapping, on="__col", how="left")
    used_notes: list[int] = sorted({k for j in value_js if (k := blocks[j][1]) is not None})
    if used_notes:
        notes = pl.DataFrame(
            {
                "__row": pl.Series(table.row_numbers, dtype=pl.Int32),
                **{
                    f"n{k}": pl.Series([r[k].strip() for r in table.rows], dtype=pl.String)
                    for k in used_notes
                },
            }
        ).unpivot(index="__row", variable_name="__note_col", value_name="note")
        long = long.join(notes, on=["__row", "__note_col"], how="left")
    else:
        long = long.with_columns(pl.lit(None, dtype=pl.String).alias("note"))
    raw = pl.col("raw")
    low = raw.str.strip_chars().str.to_lowercase()
    blanked = (
        pl.col("note").is_not_null()
        & (pl.col("note") != "")
        & ~pl.col("note").is_in(list(qs.NON_BLANKING_NOTES))
    )
    marker_status = pl.lit(None, dtype=pl.String)
    for mk, st in MARKERS.items():
        marker_status = pl.when(low == mk).then(pl.lit(st)).otherwise(marker_status)
    cleaned = raw.str.replace_all("[\u202f\u00a0\u2009 ]", "")
    ambiguous = cleaned.str.contains(",", literal=True) & cleaned.str.contains(".", literal=True)
    number = (
        pl.when(cleaned.str.contains(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$") & ~ambiguous)
        .then(cleaned.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
        .otherwise(None)
    )
    empty_missing = (pl.col("__note_col").is_not_null() & (pl.col("note") == "")) | pl.col("is_aggregate")
    long = long.with_columns(
        blanked.fill_null(False).alias("__blanked"),
        marker_status.alias("__mstatus"),
        number.alias("__number"),
    )
    bad = long.filter(
        ~pl.col("__blanked")
        & pl.col("__mstatus").is_null()
        & (pl.col("raw") != "")
        & pl.col("__number").is_null()
    )
    if bad.height:
        first = bad.sort("__row").row(0, named=True)
        raise SourceFormatError(
            file,
            f"not a number nor a known marker: {first['raw']!r}",
            row=first["__row"],
            column=first["column"],
            sheet=table.sheet,
        )
    status = (
        pl.when(pl.col("__blanked"))
        .then(pl.lit("suppressed"))
        .when(pl.col("__mstatus").is_not_null())
        .then(pl.col("__mstatus"))
        .when(pl.col("raw") == "")
        .then(pl.when(empty_missing).then(pl.lit("missing")).otherwise(pl.lit(empty_status)))
        .otherwise(pl.lit("published"))
    )
    marker = (
        pl.when(pl.col("__blanked"))
        .then(pl.concat_str([pl.col("note_name"), pl.lit("="), pl.col("note")]))
        .when(pl.col("__mstatus").is_not_null())
        .then(raw.str.strip_chars())
        .when(pl.col("raw") == "")
        .then(pl.lit("empty"))
        .otherwise(None)
    )
    _refuse_out_of_range(long.with_columns(status.alias("status")), file, table.sheet)
    out = long.with_columns(
        status.alias("status"),
        marker.alias("marker"),
        pl.when(status == "published").then(pl.col("__number")).otherwise(None).alias("value"),
        pl.lit(spec.dataset).alias("dataset"),
        pl.lit(layout.release).alias("release"),
        pl.lit(layout.geo_version).alias("geo_version"),
        pl.lit(layout.territory_kind).alias("territory_kind"),
        pl.col("__row").alias("source_row"),
    )
    return out.select([pl.col(k).cast(t) for k, t in STAGED_SCHEMA.items()]).sort(["source_row", "variable"])


def _refuse_repeated_codes(codes: list[str], table: RawTable, code_column: str, code_j: int) -> None:
    """A territory code twice in one file: SourceFormatError naming the row of the second occurrence."""
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        key = code.upper()
        if key in seen:
            raise SourceFormatError(
                table.file,
                f"{code_column} {code!r} repeats row {seen[key]}: one row per territory expected",
                row=table.row_numbers[i],
                column=table.original_names[code_j].strip() or code_column,
                sheet=table.sheet,
            )
        seen[key] = table.row_numbers[i]


def _bound(spec: LayoutSpec, variable: str) -> tuple[float | None, float | None]:
    for regex, lo, hi in spec.bounds:
        if re.match(regex, variable):
            return lo, hi
    return None, None


def _refuse_out_of_range(long: pl.DataFrame, file: str, sheet: str | None) -> None:
    """A published value outside the bounds of its column (a share over 100 %, a negative count)."""
    value = pl.col("__number")
    outside = (pl.col("__lo").is_not_null() & (value < pl.col("__lo"))) | (
        pl.col("__hi").is_not_null() & (value > pl.col("__hi"))
    )
    bad = long.filter((pl.col("status") == "published") & outside)
    if bad.height:
        first = bad.sort("__row", "column").row(0, named=True)
        lo = "-inf" if first["__lo"] is None else f"{first['__lo']:g}"
        hi = "+inf" if first["__hi"] is None else f"{first['__hi']:g}"
        raise SourceFormatError(
            file,
            f"value {first['raw']!r} of {first['variable']} is outside its range [{lo}, {hi}]",
            row=first["__row"],
            column=first["column"],
            sheet=sheet,
        )


def _note_name(names: list[str], j: int | None) -> str | None:
    return names[j] if j is not None else None


def _code_pattern(layout: Layout) -> str:
    kind = layout.territory_kind
    if kind == "qpv2015":
        return territory_codes.QPV2015_CODE
    if kind == "qpv2024":
        return territory_codes.QPV2024_CODE
    if layout.spec.family == "comparateur":
        return cs.CODE_PATTERN
    return fs.CODE_PATTERNS.get(kind, r"^.+$")


META_SCHEMA: dict[str, pl.DataType] = {
    "cod_var": pl.String(),
    "lib_var": pl.String(),
    "cod_mod": pl.String(),
    "lib_mod": pl.String(),
    "source_row": pl.Int32(),
}


def _stage_meta(layout: Layout, table: RawTable) -> pl.DataFrame:
    ix = {n: table.names.index(n) for n in ("COD_VAR", "LIB_VAR", "COD_MOD", "LIB_MOD")}
    return pl.DataFrame(
        {
            "cod_var": [r[ix["COD_VAR"]] for r in table.rows],
            "lib_var": [r[ix["LIB_VAR"]] for r in table.rows],
            "cod_mod": [r[ix["COD_MOD"]] or None for r in table.rows],
            "lib_mod": [r[ix["LIB_MOD"]] or None for r in table.rows],
            "source_row": table.row_numbers,
        },
        schema=META_SCHEMA,
    )
