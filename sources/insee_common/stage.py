"""Staging of a recognised INSEE file: the wide table → one long row per territory × variable, each with
its data period, block, status (secret markers kept as NULL + status) and source row."""

from __future__ import annotations

import re

import polars as pl

from sources import territory_codes
from sources._errors import SourceFormatError
from sources.filosofi import settings as filosofi_settings
from sources.insee_common.layouts import STAGED_SCHEMA, Layout, LayoutSpec, canonical_header
from sources.insee_common.read import MARKERS, RawTable, read_table
from sources.insee_comparateur import settings as comparateur_settings
from sources.insee_qpv import settings as qpv_settings


def _period_for(layout: Layout, variable: str, block: str, file: str) -> tuple[str | None, str | None, bool]:
    fam = layout.spec.family
    if fam in ("demo", "revn", "ipro"):
        periods = qpv_settings.RELEASE_PERIODS.get((fam, layout.release))
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


# Comparateur columns carry their year: (regex whose last group is the two-digit year, period, period type).
_COMPARATEUR_PERIODS: tuple[tuple[str, str, str], ...] = (
    (r"^[PC](\d\d)_", "20{yy}", "year"),
    (r"^(NBMENFISC|PIMP|MED|TP60)(\d\d)$", "20{yy}", "year"),
    (r"^(NAISD|DECESD)(\d\d)$", "20{yy}", "year"),
    (r"^ET[A-Z0-9]+?(\d\d)$", "20{yy}-12-31", "date"),  # establishments on 31 December
)


def _comparateur_period(variable: str) -> tuple[str | None, str | None, bool]:
    for regex, period, period_type in _COMPARATEUR_PERIODS:
        m = re.match(regex, variable)
        if m:
            return period.format(yy=m.groups()[-1]), period_type, True
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
    names = canonical_header(spec, table.names)
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
        empty_status = comparateur_settings.EMPTY_STATUS[layout.release]
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
        & ~pl.col("note").is_in(list(qpv_settings.NON_BLANKING_NOTES))
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
        return comparateur_settings.CODE_PATTERN
    return filosofi_settings.CODE_PATTERNS.get(kind, r"^.+$")


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
