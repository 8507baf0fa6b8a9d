"""Parsers of the job-seeker (DEFM) files: the DARES communal export and the QPV files (INSEE names).

Both return DEFM_STAGED_SCHEMA: one row per territory × period × breakdown (category, sex, age band,
seniority, RSA, training level, nationality), the value as published, NULL + status when hidden.
Aggregate lines (``Total``) and arrondissements are kept and labelled, never silently dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources._period_csv import classify_cells, decode_text, refuse_negative, refuse_repeated_keys
from sources.france_travail import settings
from sources.territory_codes import kind_expr

DEFM_STAGED_SCHEMA: dict[str, pl.DataType] = {
    "layout": pl.String(),
    "territory_kind": pl.String(),  # commune, arrondissement, qpv2015, qpv2024, aggregate, unlocated
    "territory_code": pl.String(),
    "territory_label": pl.String(),
    "geo_version": pl.String(),
    "period": pl.String(),  # "2024-Q4" or "2022-12-31"
    "period_type": pl.String(),  # quarter | date
    "measure": pl.String(),  # count | evolution_pct
    "category": pl.String(),  # ABC, A, ABCDE, B, C, D, E
    "sex": pl.String(),  # total, femmes, hommes
    "age_band": pl.String(),  # total, moins_25, 25_49, 50_plus (DARES) | moins_26, 26_49, 50_plus (QPV)
    "seniority": pl.String(),  # total, dur1…dur4
    "rsa": pl.String(),  # total, rsa
    "training_level": pl.String(),  # total, inf_cap_bep, cap_bep, bac, sup_bac
    "nationality": pl.String(),  # total, francais, etrangers
    "value": pl.Float64(),
    "status": pl.String(),  # published | suppressed | not_applicable
    "raw_value": pl.String(),
    "note": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
}

_DARES_DATE = re.compile(r"(\d{4})-T([1-4])")
_QUARTER = re.compile(r"\d{4}-Q[1-4]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLM_ARR = r"^(?:751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6]))$"


def _read_strings(path: Path) -> pl.DataFrame:
    """String frame of a `;` CSV with `source_row` (header = 1), trailing empty padding columns removed."""
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise SourceFormatError(str(path), "empty file", row=1)
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=";",
            infer_schema=False,
            has_header=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise SourceFormatError(str(path), f"unreadable `;` CSV: {exc}".splitlines()[0]) from None
    keep = [c for c in frame.columns if c.strip() and not c.startswith("_duplicated_")]
    dropped = [c for c in frame.columns if c not in keep]
    for c in dropped:
        filled = frame.filter(pl.col(c).str.strip_chars() != "")
        if filled.height:
            raise SourceFormatError(str(path), "value under an unnamed header column", row=None, column=c)
    frame = frame.select(keep).rename({c: c.strip() for c in keep})
    return frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))


def _refuse_negative(frame: pl.DataFrame, path: Path, header_of: dict[str, str]) -> None:
    """A published job-seeker count below zero (evolutions in % are signed and not checked)."""
    refuse_negative(
        frame,
        pl.col("measure") == "count",
        path=path,
        column="_col",
        header_of=header_of,
        what="job-seeker count",
    )


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in DEFM_STAGED_SCHEMA.items()
    ]
    return frame.select(exprs)


def _first_bad(frame: pl.DataFrame, mask: pl.Expr) -> dict[str, object] | None:
    bad = frame.filter(mask)
    return None if bad.height == 0 else bad.sort("source_row").row(0, named=True)


def parse_defm_communes(path: Path) -> pl.DataFrame:
    """DARES ``dares_defm_communales-brutes`` export (label or technical header, `;`, UTF-8 BOM).

    Values are T4 averages of month-end stocks, rounded to 5 by the DARES (see README). The period is
    the quarter (``2024-T4`` → ``2024-Q4``). Rows whose code is ``Total`` are kept as ``aggregate``
    (label in territory_label); arrondissements of Paris/Lyon/Marseille as ``arrondissement``.
    """
    frame = _read_strings(path)
    names: dict[str, str] = {}
    for col in frame.columns:
        if col == "source_row":
            continue
        key = col.strip().lower()
        internal = settings.DEFM_COMMUNES_LABELS.get(key) or settings.DEFM_COMMUNES_TECHNICAL.get(key)
        if internal is not None:
            names[col] = internal
    found = set(names.values())
    missing = [c for c in settings.DEFM_COMMUNES_REQUIRED if c not in found]
    if missing:
        raise SourceFormatError(
            str(path),
            f"missing column(s) {missing} in header {[c for c in frame.columns if c != 'source_row']}",
            row=1,
            column=missing[0],
        )
    header_of = {v: k for k, v in names.items()}
    f = frame.rename(names)
    # Label columns absent from the technical export.
    if "commune" not in f.columns:
        f = f.with_columns(pl.lit(None, pl.String()).alias("commune"))
    s = pl.col
    checks: list[tuple[str, pl.Expr, str]] = [
        (
            "date",
            ~s("date").str.strip_chars().str.contains(r"^\d{4}-T[1-4]$"),
            "quarter label YYYY-Tn expected",
        ),
        (
            "type",
            ~s("type").str.strip_chars().is_in(list(settings.DEFM_COMMUNES_TYPES)),
            "unexpected data type",
        ),
        (
            "categorie",
            ~s("categorie").str.strip_chars().is_in(list(settings.DEFM_COMMUNES_CATEGORIES)),
            "unexpected category",
        ),
        (
            "sexe",
            ~s("sexe").str.strip_chars().str.to_lowercase().is_in(list(settings.DEFM_SEXES)),
            "unknown sex",
        ),
        (
            "tranche_age",
            ~s("tranche_age").str.strip_chars().str.to_lowercase().is_in(list(settings.DEFM_COMMUNES_AGES)),
            "unknown age band",
        ),
    ]
    for col, mask, message in checks:
        bad = _first_bad(f, mask)
        if bad is not None:
            raise SourceFormatError(
                str(path), f"{message}: {bad[col]!r}", row=int(str(bad["source_row"])), column=header_of[col]
            )
    code = s("code_commune").str.strip_chars()
    kind = (
        pl.when(code == settings.DEFM_AGGREGATE_CODE)
        .then(pl.lit("aggregate"))
        .when(code.str.contains(_PLM_ARR))
        .then(pl.lit("arrondissement"))
        .when(code.str.contains(r"^(?:\d{2}|2[AB])\d{3}$"))
        .then(pl.lit("commune"))
        .otherwise(pl.lit("unlocated"))
    )
    m = s("date").str.strip_chars().str.extract_groups(r"^(\d{4})-T([1-4])$")
    out = f.select(
        pl.lit("dares_communes").alias("layout"),
        kind.alias("territory_kind"),
        code.alias("territory_code"),
        s("commune").str.strip_chars().alias("territory_label"),
        pl.lit(settings.DEFM_COMMUNES_GEO_VERSION).alias("geo_version"),
        (m.struct.field("1") + "-Q" + m.struct.field("2")).alias("period"),
        pl.lit("quarter").alias("period_type"),
        pl.lit("count").alias("measure"),
        s("categorie").str.strip_chars().alias("category"),
        s("sexe").str.strip_chars().str.to_lowercase().replace_strict(settings.DEFM_SEXES).alias("sex"),
        s("tranche_age")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(settings.DEFM_COMMUNES_AGES)
        .alias("age_band"),
        s("valeur").alias("raw_value"),
        pl.lit("valeur").alias("_col"),
        "source_row",
    )
    # Key: quarter × commune × category × sex × age band. The cumulative lines share the code `Total`
    # and differ by their label: without a label column (technical export) they cannot be told apart and
    # are left out of the check (kept as published).
    aggregate = pl.col("territory_kind") == "aggregate"
    keyed = out.filter(~(aggregate & pl.col("territory_label").is_null()))
    refuse_repeated_keys(
        keyed.with_columns(
            pl.when(aggregate).then(pl.col("territory_label")).otherwise(pl.lit("")).alias("_label")
        ),
        ["period", "territory_code", "_label", "category", "sex", "age_band"],
        path=path,
        column=header_of["code_commune"],
        what="key",
    )
    out = classify_cells(out, path=path, column="_col", header_of=header_of)
    _refuse_negative(out, path, {"valeur": header_of["valeur"]})
    out = out.with_columns(
        pl.lit("total").alias("seniority"),
        pl.lit("total").alias("rsa"),
        pl.lit("total").alias("training_level"),
        pl.lit("total").alias("nationality"),
        pl.lit(path.name).alias("source_file"),
    )
    return _conform(out)


_QPV_VAR = re.compile(
    r"^(?P<cat>ABCDE|ABC|A|B|C|D|E)"
    r"(?:_(?P<rsa>RSA))?"
    r"(?:_(?P<age>25|2649|50))?"
    r"(?:_(?P<nat>FR|E))?"
    r"(?:_(?P<train>INFCAPBEP|CAPBEP|BAC|SUPBAC))?"
    r"(?:_(?P<dur>DUR[1-4]))?"
    r"(?:_(?P<sex>F|H))?$"
)
_QPV_EVOL = re.compile(r"^EVOL_(?P<cat>ABC|A)(?:_(?P<sex>F|H))?_T4$")


def describe_qpv_variable(name: str) -> dict[str, str] | None:
    """Breakdown of one INSEE/Pôle emploi QPV variable name (`ABC_RSA_F`, `ABC_DUR1`…), None if unknown."""
    upper = name.strip().upper()
    m = _QPV_VAR.fullmatch(upper)
    measure = "count"
    if m is None:
        m = _QPV_EVOL.fullmatch(upper)
        measure = "evolution_pct"
        if m is None:
            return None
    g = m.groupdict()
    return {
        "measure": measure,
        "category": g["cat"],
        "rsa": "rsa" if g.get("rsa") else "total",
        "age_band": settings.DEFM_QPV_AGES[g["age"]] if g.get("age") else "total",
        "nationality": settings.DEFM_QPV_NATIONALITIES[g["nat"]] if g.get("nat") else "total",
        "training_level": settings.DEFM_QPV_TRAINING[g["train"]] if g.get("train") else "total",
        "seniority": g["dur"].lower() if g.get("dur") else "total",
        "sex": settings.DEFM_QPV_SEXES[g["sex"]] if g.get("sex") else "total",
    }


def parse_defm_qpv(path: Path, period: str) -> pl.DataFrame:
    """DEFM by QPV in INSEE's variable names (CODGEO[;LIBGEO];ABCDE;…;ABC_DUR4_H[;NOTE_PE]).

    `period` is explicit: a quarter ``2023-Q4`` or a date ``2022-12-31`` (the file does not say it).
    The geography of each row comes from its code (QPxxxxxx → qpv2015, QNxxxxxx → qpv2024). An unknown
    column raises (naming it): nothing is silently dropped. NOTE_PE is kept in `note`.
    """
    if _QUARTER.fullmatch(period):
        period_type = "quarter"
    elif _DATE.fullmatch(period):
        period_type = "date"
    else:
        raise SourceFormatError(str(path), f"period {period!r}: expected 'YYYY-Qn' or 'YYYY-MM-DD'")
    frame = _read_strings(path)
    cols = [c for c in frame.columns if c != "source_row"]
    upper = {c: c.strip().upper() for c in cols}
    code_cols = [c for c in cols if upper[c] == "CODGEO"]
    if not code_cols:
        raise SourceFormatError(str(path), f"no CODGEO column in header {cols}", row=1, column="CODGEO")
    code_col = code_cols[0]
    label_col = next((c for c in cols if upper[c] == "LIBGEO"), None)
    note_col = next((c for c in cols if upper[c] == "NOTE_PE"), None)
    variables: dict[str, dict[str, str]] = {}
    for c in cols:
        if upper[c] in settings.DEFM_QPV_ID_COLUMNS or upper[c] in settings.DEFM_QPV_NOTE_COLUMNS:
            continue
        desc = describe_qpv_variable(c)
        if desc is None:
            raise SourceFormatError(str(path), f"unknown DEFM QPV column {c!r}", row=1, column=c)
        variables[c] = desc
    if not variables:
        raise SourceFormatError(str(path), "no job-seeker variable in header", row=1)
    code = pl.col(code_col).str.strip_chars().str.to_uppercase()
    kind = kind_expr(code, ("qpv2015", "qpv2024"))
    empty = _first_bad(frame, code == "")
    if empty is not None:
        raise SourceFormatError(
            str(path), "empty QPV code", row=int(str(empty["source_row"])), column=code_col
        )
    base = frame.select(
        kind.alias("territory_kind"),
        code.alias("territory_code"),
        (pl.col(label_col).str.strip_chars() if label_col else pl.lit(None, pl.String())).alias(
            "territory_label"
        ),
        (
            pl.col(note_col).str.strip_chars().replace("", None) if note_col else pl.lit(None, pl.String())
        ).alias("note"),
        "source_row",
        *variables,
    )
    long = base.unpivot(
        index=["territory_kind", "territory_code", "territory_label", "note", "source_row"],
        variable_name="_col",
        value_name="raw_value",
    )
    desc_frame = pl.DataFrame([{"_col": c, **d} for c, d in variables.items()])
    long = long.join(desc_frame, on="_col", how="left")
    long = classify_cells(long, path=path, column="_col", header_of={c: c for c in variables})
    _refuse_negative(long, path, {c: c for c in variables})
    refuse_repeated_keys(
        base.select("territory_code", "source_row"),
        ["territory_code"],
        path=path,
        column=code_col,
        what="key",
    )
    out = long.with_columns(
        pl.lit("insee_defm_qpv").alias("layout"),
        pl.when(pl.col("territory_kind").is_in(["qpv2015", "qpv2024"]))
        .then(pl.col("territory_kind"))
        .otherwise(pl.col("territory_kind"))
        .alias("geo_version"),
        pl.lit(period).alias("period"),
        pl.lit(period_type).alias("period_type"),
        pl.lit(path.name).alias("source_file"),
    )
    return _conform(out).sort(["source_row"], maintain_order=True)
