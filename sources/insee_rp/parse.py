"""Parse one census "base infracommunale" (IRIS) file into a long staged table.

The theme (population, logement, familles, activité, diplômes) and the census vintage are read from the
header, never from the file name: the variables are `P<yy>_…` / `C<yy>_…`, all of one vintage, and each
theme has columns no other theme has (settings.SIGNATURES). Variable names lose their vintage
(`P22_NSCOL15P_DIPLMIN` → `P_NSCOL15P_DIPLMIN`) so that every vintage lands under the same names.
Values are weighted estimates with decimals (decimal comma); codes stay strings.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources._archive import is_zip
from sources._errors import SourceFormatError
from sources.insee_common.read import (
    MARKERS,
    RawTable,
    _decode,
    _find_header,
    _rows_from_csv,
    canonical_name,
    read_table,
)
from sources.insee_rp import settings as rp_settings

STAGED_SCHEMA: dict[str, pl.DataType] = {
    "dataset": pl.String(),
    "theme": pl.String(),  # population | logement | familles | activite | diplomes
    "vintage": pl.String(),  # census vintage (RP 2022 → "2022"): the data period and the release label
    "geo_version": pl.String(),  # iris<geography year> (RP 2022 → iris2024)
    "level": pl.String(),  # iris | commune (commune rows only when kept)
    "code": pl.String(),  # IRIS code (9 characters) or commune code of a commune row
    "com": pl.String(),
    "typ_iris": pl.String(),
    "lab_iris": pl.String(),
    "variable": pl.String(),  # stable name, vintage stripped: P_POP, C_MEN, P_NSCOL15P_DIPLMIN
    "column": pl.String(),  # the column as written in the file (P22_POP)
    "raw": pl.String(),
    "value": pl.Float64(),
    "status": pl.String(),  # published | suppressed | missing
    "source_row": pl.Int32(),  # 1-based row in the file (header = row 1)
}

_NUMBER = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"


@dataclass(frozen=True)
class RpLayout:
    """What the header says: theme, vintage, and the stable name of every value column."""

    theme: str
    vintage: str
    geo_version: str
    variables: dict[str, str]  # column as written (canonical upper-case) → stable name


def identify_header(names: list[str], file: str, header_row: int = 1) -> RpLayout:
    """Theme and vintage of a header (canonical names); SourceFormatError naming the column at fault."""
    labels = set(rp_settings.REQUIRED_LABELS) | set(rp_settings.OPTIONAL_LABELS)
    if rp_settings.CODE_COLUMN not in names:
        raise SourceFormatError(file, "no IRIS column: not a base infracommunale", row=header_row)
    variables: dict[str, str] = {}
    years: dict[str, list[str]] = {}
    for n in names:
        if n in labels:
            continue
        m = re.match(rp_settings.VARIABLE_PATTERN, n)
        if m is None:
            raise SourceFormatError(
                file,
                f"column {n!r} is neither a known label column nor a P<yy>_/C<yy>_ census variable",
                row=header_row,
                column=n,
            )
        variables[n] = f"{m.group('kind')}_{m.group('name')}"
        years.setdefault(m.group("yy"), []).append(n)
    if not variables:
        raise SourceFormatError(file, "no census variable (P<yy>_/C<yy>_) in the header", row=header_row)
    yy = max(years, key=lambda y: len(years[y]))
    if len(years) > 1:
        odd = next(n for y, cols in years.items() if y != yy for n in cols)
        raise SourceFormatError(
            file,
            f"column {odd!r} is of another vintage than the file's {sorted(years)} (20{yy}): "
            "one file holds one census vintage",
            row=header_row,
            column=odd,
        )
    stable = set(variables.values())
    themes = [t for t, sig in rp_settings.SIGNATURES.items() if set(sig) <= stable]
    if len(themes) != 1:
        scores = sorted(
            ((len(set(sig) & stable) / len(sig), t) for t, sig in rp_settings.SIGNATURES.items()),
            reverse=True,
        )
        raise SourceFormatError(
            file,
            f"header fits {'no' if not themes else 'several'} census IRIS theme(s) {themes}; "
            f"closest: {', '.join(f'{t} ({sc:.0%})' for sc, t in scores[:3])}",
            row=header_row,
        )
    theme = themes[0]
    for label in rp_settings.REQUIRED_LABELS:
        if label not in names:
            raise SourceFormatError(
                file, f"required column {label!r} missing (renamed?)", row=header_row, column=label
            )
    for need in rp_settings.REQUIRED[theme]:
        if need not in stable:
            kind, name = need.split("_", 1)
            raise SourceFormatError(
                file,
                f"required column {kind}{yy}_{name} of the {theme} base missing (renamed or dropped?)",
                row=header_row,
                column=f"{kind}{yy}_{name}",
            )
    vintage = f"20{yy}"
    geo_year = rp_settings.GEOGRAPHY_YEAR.get(vintage, str(int(vintage) + 2))
    return RpLayout(theme, vintage, f"iris{geo_year}", variables)


def _code_kind(code: str) -> str:
    if re.match(rp_settings.IRIS_CODE, code):
        return "iris"
    if re.match(rp_settings.COMMUNE_CODE, code):
        return "commune"
    if (
        code.strip().upper() in rp_settings.TOTAL_CODES
        or code.strip() == ""
        or code.strip().upper().startswith("TOTAL")
    ):
        return "total"
    return "bad"


def parse_insee_rp(path: Path, *, member: str | None = None, commune_rows: str = "drop") -> pl.DataFrame:
    """One IRIS census file (zip with its `.CSV` member, or the bare CSV) → STAGED_SCHEMA rows.

    Refused (SourceFormatError naming file, row, column): a header of no theme or several vintages, a
    renamed or missing required column, a code that is no IRIS code, a total row, an IRIS twice, COM
    not the IRIS's commune, a value that is no number or is negative. Commune rows (5-character codes):
    dropped by default (`commune_rows="drop"`: figures of communes are rebuilt from their IRIS), or kept
    with level `commune` (`"keep"`).
    """
    if commune_rows not in rp_settings.COMMUNE_ROWS:
        raise ValueError(f"commune_rows must be one of {rp_settings.COMMUNE_ROWS}, got {commune_rows!r}")
    table = read_table(path, member=member)
    return stage_table(table, commune_rows=commune_rows)


def stage_table(table: RawTable, *, commune_rows: str = "drop") -> pl.DataFrame:
    file = table.file
    layout = identify_header(table.names, file, table.header_row)
    ix = {n: j for j, n in enumerate(table.names)}
    code_j, com_j = ix["IRIS"], ix["COM"]
    kinds: list[str] = []
    seen: dict[str, int] = {}
    for r, rownum in zip(table.rows, table.row_numbers, strict=True):
        code = r[code_j].strip()
        kind = _code_kind(code)
        if kind == "total":
            raise SourceFormatError(
                file, f"a total row ({code!r}) inside the data: IRIS rows only", row=rownum, column="IRIS"
            )
        if kind == "bad":
            raise SourceFormatError(file, f"{code!r} is not an IRIS code", row=rownum, column="IRIS")
        if kind == "iris" and r[com_j].strip() != code[:5]:
            raise SourceFormatError(
                file, f"COM {r[com_j]!r} is not the commune of IRIS {code}", row=rownum, column="COM"
            )
        key = code.upper()
        if key in seen:
            raise SourceFormatError(
                file, f"IRIS {code!r} repeats row {seen[key]}: one row per IRIS", row=rownum, column="IRIS"
            )
        seen[key] = rownum
        kinds.append(kind)
    keep = [k == "iris" or (k == "commune" and commune_rows == "keep") for k in kinds]
    rows = [r for r, k in zip(table.rows, keep, strict=True) if k]
    numbers = [n for n, k in zip(table.row_numbers, keep, strict=True) if k]
    levels = [k for k, kk in zip(kinds, keep, strict=True) if kk]
    value_js = [ix[c] for c in layout.variables]

    def col(name: str) -> list[str | None]:
        j = ix.get(name)
        return [r[j] if j is not None else None for r in rows]

    wide = pl.DataFrame(
        {
            "source_row": pl.Series(numbers, dtype=pl.Int32),
            "level": pl.Series(levels, dtype=pl.String),
            "code": pl.Series([r[code_j].strip().upper() for r in rows], dtype=pl.String),
            "com": pl.Series([r[com_j].strip().upper() for r in rows], dtype=pl.String),
            "typ_iris": pl.Series(col("TYP_IRIS"), dtype=pl.String),
            "lab_iris": pl.Series(col("LAB_IRIS"), dtype=pl.String),
            **{f"v{j}": pl.Series([r[j] for r in rows], dtype=pl.String) for j in value_js},
        }
    )
    mapping = pl.DataFrame(
        {
            "__col": [f"v{j}" for j in value_js],
            "variable": [layout.variables[table.names[j]] for j in value_js],
            "column": [table.original_names[j].strip() for j in value_js],
        }
    )
    long = wide.unpivot(
        index=["source_row", "level", "code", "com", "typ_iris", "lab_iris"],
        variable_name="__col",
        value_name="raw",
    ).join(mapping, on="__col", how="left")
    raw = pl.col("raw")
    cleaned = raw.str.replace_all("[\u202f\u00a0\u2009 ]", "")
    number = (
        pl.when(
            cleaned.str.contains(_NUMBER)
            & ~(cleaned.str.contains(",", literal=True) & cleaned.str.contains(".", literal=True))
        )
        .then(cleaned.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
        .otherwise(None)
    )
    low = raw.str.strip_chars().str.to_lowercase()
    marker = pl.lit(None, dtype=pl.String)
    for mk, st in MARKERS.items():
        if st == "suppressed":
            marker = pl.when(low == mk).then(pl.lit(st)).otherwise(marker)
    long = long.with_columns(number.alias("__number"), marker.alias("__marker"))
    bad = long.filter((raw != "") & pl.col("__marker").is_null() & pl.col("__number").is_null())
    if bad.height:
        first = bad.sort("source_row", "column").row(0, named=True)
        raise SourceFormatError(
            file, f"not a number: {first['raw']!r}", row=first["source_row"], column=first["column"]
        )
    negative = long.filter(pl.col("__number") < 0)
    if negative.height:
        first = negative.sort("source_row", "column").row(0, named=True)
        raise SourceFormatError(
            file,
            f"negative value {first['raw']!r}: census estimates are counts",
            row=first["source_row"],
            column=first["column"],
        )
    status = (
        pl.when(pl.col("__number").is_not_null())
        .then(pl.lit("published"))
        .when(pl.col("__marker").is_not_null())
        .then(pl.lit("suppressed"))
        .otherwise(pl.lit("missing"))
    )
    out = long.with_columns(
        pl.lit(rp_settings.DATASET).alias("dataset"),
        pl.lit(layout.theme).alias("theme"),
        pl.lit(layout.vintage).alias("vintage"),
        pl.when(pl.col("level") == "iris")
        .then(pl.lit(layout.geo_version))
        .otherwise(pl.lit(layout.geo_version.replace("iris", "cog")))
        .alias("geo_version"),
        pl.col("__number").alias("value"),
        status.alias("status"),
    )
    return out.select([pl.col(k).cast(t) for k, t in STAGED_SCHEMA.items()]).sort("source_row", "variable")


def sniff_header(path: Path, head: bytes) -> tuple[RpLayout, str | None] | None:
    """(layout, member) of a census IRIS file from its first bytes (a zip: its members' first bytes),
    or None when it is not one. Never raises."""
    try:
        if head[:4] == b"PK\x03\x04" and is_zip(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename
                    if not name.lower().endswith(".csv") or Path(name).name.lower().startswith("meta"):
                        continue
                    with zf.open(info) as fh:
                        block = fh.read(65_536)
                    found = _layout_of_text(block, f"{path}!{name}")
                    if found is not None:
                        return found, name
            return None
        found = _layout_of_text(head, str(path))
        return (found, None) if found is not None else None
    except Exception:
        return None


def _layout_of_text(block: bytes, file: str) -> RpLayout | None:
    if b"\n" in block:
        block = block[: block.rfind(b"\n") + 1] if len(block) >= 65_536 else block
    rows = _rows_from_csv(_decode(block), file)
    h = _find_header(rows)
    if h is None:
        return None
    names = [canonical_name(c) for c in rows[h] if c.strip() != ""]
    if not names or names[0] != "IRIS":
        return None
    try:
        return identify_header(names, file, h + 1)
    except SourceFormatError:
        return None
