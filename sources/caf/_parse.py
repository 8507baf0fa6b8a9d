"""Parsers of the CAF / Cnaf files: the data.caf.fr exports and INSEE's Cnaf base (IRIS, QPV).

Every parser returns the same long *staged* frame (CAF_STAGED_SCHEMA): one row per territory × period ×
variable (× dimension), the value as published, NULL plus a status when the publisher hid it, and the
file row it came from. Nothing is imputed or dropped: unlocated codes (empty, ``XXXXX``, ``04XXX``) are
kept with territory_kind ``unlocated``; INSEE's ``Ensemble`` line with ``aggregate``.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources._period_csv import classify_cells, decode_text, refuse_negative, refuse_repeated_keys
from sources.caf import settings
from sources.territory_codes import kind_expr

CAF_STAGED_SCHEMA: dict[str, pl.DataType] = {
    "layout": pl.String(),
    "territory_kind": pl.String(),  # iris, commune, qpv2015, qpv2024, france, aggregate, unlocated
    "territory_code": pl.String(),
    "geo_version": pl.String(),
    "commune_code": pl.String(),  # parent commune of an IRIS (first 5 characters), the commune itself
    "period": pl.String(),  # "2020-12-31"
    "period_type": pl.String(),  # "date"
    "variable": pl.String(),  # source field name as published: "A", "ARSAS", "indfoy_rsa"…
    "dimension": pl.String(),  # e.g. "rsa_type=Majoré" for the thematic datasets, else NULL
    "value": pl.Float64(),
    "status": pl.String(),  # published | suppressed | not_applicable
    "raw_value": pl.String(),  # the cell as read (marker kept when suppressed)
    "note": pl.String(),  # INSEE NOTE column (quality/secret note), NULL for data.caf.fr
    "source_file": pl.String(),
    "source_row": pl.Int64(),  # 1-based line in the file, header = 1
}

_YEAR_IN_NAME = re.compile(r"(?:^|_)(20\d{2})(?=_|\.)")
_ODS_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:T.*)?")


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header (trailing empty padding columns removed) and (1-based line, cells) of a `;` CSV.

    Decodes UTF-8 (with or without BOM), falls back to latin-1; accepts CRLF or LF.
    """
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise SourceFormatError(str(path), "empty file", row=1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader)
    while header and not header[-1].strip():
        header.pop()
    if len(header) < 2:
        raise SourceFormatError(str(path), "header has fewer than 2 `;`-separated columns", row=1)

    def rows() -> Iterator[tuple[int, list[str]]]:
        width = len(header)
        for line_no, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue
            extra = cells[width:]
            if any(c.strip() for c in extra):
                raise SourceFormatError(
                    str(path), f"{len(cells)} fields for a {width}-column header", row=line_no
                )
            if len(cells) < width:
                raise SourceFormatError(
                    str(path), f"{len(cells)} fields for a {width}-column header", row=line_no
                )
            yield line_no, cells[:width]

    return [h.strip() for h in header], rows()


def detect_cnaf_base_layout(header: list[str]) -> str | None:
    """Name of the INSEE Cnaf base layout matching this header (case-insensitive), else None."""
    upper = tuple(h.strip().upper() for h in header)
    for name, columns in settings.CNAF_BASE_LAYOUTS.items():
        if upper == columns:
            return name
    return None


def _wide(header: list[str], rows: Iterator[tuple[int, list[str]]]) -> pl.DataFrame:
    """Rows of strings → a wide String frame with `source_row` (column names = header as read)."""
    lines: list[int] = []
    columns: list[list[str]] = [[] for _ in header]
    for line_no, cells in rows:
        lines.append(line_no)
        for j, cell in enumerate(cells):
            columns[j].append(cell)
    data: dict[str, list[str] | list[int]] = {f"c{j}": col for j, col in enumerate(columns)}
    data["source_row"] = lines
    return pl.DataFrame(
        data, schema={**{f"c{j}": pl.String() for j in range(len(header))}, "source_row": pl.Int64()}
    )


def _kind_expr(code: pl.Expr) -> pl.Expr:
    return kind_expr(code, ("iris", "commune", "qpv2015", "qpv2024"))


def _geo_version_expr(kind: pl.Expr, year: pl.Expr) -> pl.Expr:
    return (
        pl.when(kind.is_in(["qpv2015", "qpv2024"]))
        .then(kind)
        .when(kind == "iris")
        .then(pl.lit("iris") + year)
        .when(kind == "commune")
        .then(pl.lit("cog") + year)
        .otherwise(kind)
    )


def parse_cnaf_base(path: Path, year: int | None = None) -> pl.DataFrame:
    """INSEE's Cnaf base (``data_CAF_<year>_IRIS.csv``, 2016-2020 layouts; same layout keyed by QPV codes).

    `year` is the reference year (counts as of 31 December, NV); read from the file name when omitted.
    The territory kind of each row comes from its CODGEO (9-char IRIS, QPxxxxxx, QNxxxxxx, commune).
    """
    if year is None:
        found = _YEAR_IN_NAME.findall(path.name)
        if len(found) != 1:
            raise SourceFormatError(str(path), "reference year not given and not readable from the file name")
        year = int(found[0])
    header, rows = read_rows(path)
    layout = detect_cnaf_base_layout(header)
    if layout is None:
        known = "; ".join(f"{k}: {';'.join(v)}" for k, v in settings.CNAF_BASE_LAYOUTS.items())
        upper_set = {h.upper() for h in header}
        expected = next(iter(settings.CNAF_BASE_LAYOUTS.values()))
        missing = [c for c in ("CODGEO", "NOTE", *expected[7:]) if c not in upper_set]
        raise SourceFormatError(
            str(path),
            f"unknown Cnaf base header {';'.join(header)!r}; known layouts: {known}",
            row=1,
            column=missing[0] if missing else None,
        )
    upper = [h.upper() for h in header]
    i_code = upper.index("CODGEO")
    i_note = upper.index("NOTE")
    wide = _wide(header, rows)
    empty_code = wide.filter(pl.col(f"c{i_code}").str.strip_chars() == "")
    if empty_code.height:
        raise SourceFormatError(
            str(path), "empty territory code", row=int(empty_code["source_row"][0]), column=header[i_code]
        )
    var_cols = {f"c{i}": upper[i] for i in range(i_note + 1, len(upper))}
    code = pl.col(f"c{i_code}").str.strip_chars().str.to_uppercase()
    refuse_repeated_keys(
        wide.select(code.alias("territory_code"), "source_row"),
        ["territory_code"],
        path=path,
        column=header[i_code],
        what="territory code",
    )
    long = (
        wide.select(
            code.alias("territory_code"),
            pl.col(f"c{i_note}").str.strip_chars().replace("", None).alias("note"),
            "source_row",
            *var_cols,
        )
        .unpivot(index=["territory_code", "note", "source_row"], variable_name="_col", value_name="raw_value")
        .with_columns(pl.col("_col").replace_strict(var_cols).alias("variable"))
    )
    header_of = {v: header[upper.index(v)] for v in upper}
    long = classify_cells(long, path=path, column="variable", header_of=header_of)
    # every Cnaf base variable is a count
    refuse_negative(long, pl.lit(True), path=path, column="variable", header_of=header_of, what="count")
    kind = _kind_expr(pl.col("territory_code"))
    out = long.with_columns(kind.alias("territory_kind")).with_columns(
        pl.lit(layout).alias("layout"),
        _geo_version_expr(pl.col("territory_kind"), pl.lit(str(year))).alias("geo_version"),
        pl.when(pl.col("territory_kind").is_in(["iris", "commune"]))
        .then(pl.col("territory_code").str.slice(0, 5))
        .otherwise(None)
        .alias("commune_code"),
        pl.lit(f"{year}-12-31").alias("period"),
        pl.lit("date").alias("period_type"),
        pl.lit(None, pl.String()).alias("dimension"),
        pl.lit(path.name).alias("source_file"),
    )
    return out.select([pl.col(c).cast(t) for c, t in CAF_STAGED_SCHEMA.items()]).sort(
        ["source_row", "variable"], maintain_order=True
    )


def _ods_period(raw: str) -> tuple[int, int, str] | None:
    m = _ODS_DATE.fullmatch(raw.strip())
    if not m:
        return None
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        return None
    last = calendar.monthrange(y, mo)[1]
    return y, mo, f"{y:04d}-{mo:02d}-{last:02d}"


def parse_ods_export(path: Path, *, require_december: bool | None = None) -> pl.DataFrame:
    """A data.caf.fr CSV export (technical field names): ``s_ben_com_f``, ``rsa_s_type_com_f``, the
    ``*_iris_f`` datasets, ``s_ben_nat``.

    Measures are the ``indfoy_*`` (foyers), ``indnbp_*`` (persons covered) and ``indmtt_*`` (December
    amount, €) fields; other non-identifier columns (``rsa_type``, ``qf_400``…) become the dimension.
    Commune and IRIS files hold only Decembers: another month raises (default when ``numcomdo`` is there).
    Periods are the last day of the reference month (``2024-12-31``).
    """
    header, rows = read_rows(path)
    lower = [h.lower() for h in header]
    if settings.ODS_DATE not in lower:
        raise SourceFormatError(
            str(path),
            f"no {settings.ODS_DATE!r} column in header {';'.join(header)!r}",
            row=1,
            column=settings.ODS_DATE,
        )
    measures = [(i, h) for i, h in enumerate(lower) if h.startswith(settings.ODS_MEASURE_PREFIXES)]
    if not measures:
        raise SourceFormatError(
            str(path),
            "no measure column (indfoy_*, indnbp_*, indmtt_*): export with technical field names",
            row=1,
        )
    i_date = lower.index(settings.ODS_DATE)
    i_com = lower.index(settings.ODS_COMMUNE) if settings.ODS_COMMUNE in lower else None
    i_iris = lower.index(settings.ODS_IRIS_SUFFIX) if settings.ODS_IRIS_SUFFIX in lower else None
    if i_iris is not None and i_com is None:
        raise SourceFormatError(str(path), "numirisd without numcomdo", row=1, column=settings.ODS_COMMUNE)
    if i_com is None:
        sub = [h for h in lower if h in settings.ODS_SUBNATIONAL_COLUMNS]
        if sub:
            raise SourceFormatError(
                str(path),
                f"a commune/IRIS export ({', '.join(sub)}) without its key column {settings.ODS_COMMUNE!r}",
                row=1,
                column=settings.ODS_COMMUNE,
            )
    identifiers = {
        settings.ODS_DATE,
        settings.ODS_COMMUNE,
        settings.ODS_IRIS_SUFFIX,
        *settings.ODS_LABEL_COLUMNS,
    }
    measure_idx = {i for i, _ in measures}
    others = [(i, h) for i, h in enumerate(lower) if h not in identifiers and i not in measure_idx]
    unknown = [header[i] for i, h in others if h not in settings.ODS_DIMENSIONS]
    if unknown:
        raise SourceFormatError(
            str(path),
            f"unknown column {unknown[0]!r}: neither an identifier, a measure (indfoy_*, indnbp_*, "
            f"indmtt_*) nor a known dimension {settings.ODS_DIMENSIONS}; refused (it could change the key)",
            row=1,
            column=unknown[0],
        )
    dims = others
    if require_december is None:
        require_december = i_com is not None
    layout = f"ods_{'iris' if i_iris is not None else 'commune' if i_com is not None else 'national'}"
    wide = _wide(header, rows)
    years: list[str] = []
    periods: list[str] = []
    for line_no, raw in zip(wide["source_row"].to_list(), wide[f"c{i_date}"].to_list(), strict=True):
        parsed = _ods_period(raw)
        if parsed is None:
            raise SourceFormatError(
                str(path), f"unreadable reference date {raw!r}", row=line_no, column=header[i_date]
            )
        if require_december and parsed[1] != 12:
            raise SourceFormatError(
                str(path),
                f"reference date {raw!r} is not a December: commune/IRIS files hold only Decembers",
                row=line_no,
                column=header[i_date],
            )
        years.append(str(parsed[0]))
        periods.append(parsed[2])
    wide = wide.with_columns(
        pl.Series("period", periods, pl.String()), pl.Series("_year", years, pl.String())
    )
    if i_com is None:
        ids = [
            pl.lit("FR").alias("territory_code"),
            pl.lit("france").alias("territory_kind"),
            pl.lit(None, pl.String()).alias("commune_code"),
        ]
    else:
        com = pl.col(f"c{i_com}").str.strip_chars().str.to_uppercase()
        com_ok = com.str.contains(r"^(?:\d{2}|2[AB])\d{3}$")
        if i_iris is not None:
            suffix = pl.col(f"c{i_iris}").str.strip_chars().str.to_uppercase()
            ok = com_ok & suffix.str.contains(r"^\d{4}$")
            ids = [
                (com + suffix).alias("territory_code"),
                pl.when(ok).then(pl.lit("iris")).otherwise(pl.lit("unlocated")).alias("territory_kind"),
                pl.when(ok).then(com).otherwise(None).alias("commune_code"),
            ]
        else:
            ids = [
                com.alias("territory_code"),
                pl.when(com_ok)
                .then(pl.lit("commune"))
                .otherwise(pl.lit("unlocated"))
                .alias("territory_kind"),
                pl.when(com_ok).then(com).otherwise(None).alias("commune_code"),
            ]
    if dims:
        dimension = pl.concat_str(
            [pl.lit(f"{h}=") + pl.col(f"c{i}").str.strip_chars() for i, h in dims], separator="|"
        )
    else:
        dimension = pl.lit(None, pl.String())
    measure_cols = {f"c{i}": h for i, h in measures}
    long = (
        wide.select(*ids, dimension.alias("dimension"), "period", "_year", "source_row", *measure_cols)
        .unpivot(
            index=[
                "territory_code",
                "territory_kind",
                "commune_code",
                "dimension",
                "period",
                "_year",
                "source_row",
            ],
            variable_name="_col",
            value_name="raw_value",
        )
        .with_columns(pl.col("_col").replace_strict(measure_cols).alias("variable"))
    )
    header_of = {h: header[i] for i, h in measures}
    long = classify_cells(long, path=path, column="variable", header_of=header_of)
    refuse_negative(
        long,
        pl.col("variable").str.starts_with(settings.ODS_COUNT_PREFIXES[0])
        | pl.col("variable").str.starts_with(settings.ODS_COUNT_PREFIXES[1]),
        path=path,
        column="variable",
        header_of=header_of,
        what="count",
    )
    keyed = long.filter(pl.col("variable") == measures[0][1]).filter(pl.col("territory_kind") != "unlocated")
    refuse_repeated_keys(
        keyed.with_columns(pl.col("dimension").fill_null("")),
        ["territory_code", "period", "dimension"],
        path=path,
        column=header[i_com] if i_com is not None else header[i_date],
        what="territory × reference date" + (" × dimension" if dims else ""),
    )
    out = long.with_columns(
        pl.lit(layout).alias("layout"),
        _geo_version_expr(pl.col("territory_kind"), pl.col("_year")).alias("geo_version"),
        pl.lit("date").alias("period_type"),
        pl.lit(None, pl.String()).alias("note"),
        pl.lit(path.name).alias("source_file"),
    )
    return out.select([pl.col(c).cast(t) for c, t in CAF_STAGED_SCHEMA.items()]).sort(
        ["source_row", "variable"], maintain_order=True
    )


def parse_caf_file(path: Path, year: int | None = None) -> pl.DataFrame:
    """Dispatch on the header: INSEE Cnaf base (CODGEO…) or data.caf.fr export (dtreffre…)."""
    header, _ = read_rows(path)
    lower = {h.lower() for h in header}
    if "codgeo" in lower:
        return parse_cnaf_base(path, year)
    if settings.ODS_DATE in lower:
        return parse_ods_export(path)
    raise SourceFormatError(
        str(path),
        f"neither an INSEE Cnaf base (CODGEO) nor a data.caf.fr export (dtreffre): {header!r}",
        row=1,
    )
