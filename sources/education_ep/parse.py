"""Parse the REP / REP+ lists: the ministry's rentrée list and the `fr-en-etablissements-ep` dataset."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources.education_common import (
    RawTable,
    check_uai,
    first_bad,
    parse_number,
    read_table,
    resolve_columns,
)
from sources.education_ep.settings import (
    EP_DATASET,
    EP_DATASET_ALIASES,
    EP_DATASET_REQUIRED,
    EP_STATUS,
    MINISTRY_ALIASES,
    MINISTRY_LIST_STEM,
    MINISTRY_REQUIRED,
)

EP_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "rentree": pl.Int32(),
    "rentree_label": pl.String(),
    "ep_status": pl.String(),  # REP | REP+ | hors EP
    "uai_tete_de_reseau": pl.String(),
    "name": pl.String(),
    "establishment_type": pl.String(),
    "commune_code": pl.String(),  # NULL in the ministry list (names only)
    "commune_name": pl.String(),
    "departement_code": pl.String(),
    "qp_code": pl.String(),  # fr-en-etablissements-ep `qp_a_proximite` (probably QP 2015 codes, not verified)
    "source_dataset": pl.String(),
    "source_row": pl.Int64(),
    "n_source_rows": pl.Int64(),  # identical rows of the file collapsed into this one
}


def _status(table: RawTable, frame: pl.DataFrame, column: str) -> pl.Series:
    raw = frame[column].str.strip_chars().str.to_uppercase()
    out = raw.replace_strict(EP_STATUS, default=None, return_dtype=pl.String)
    bad = first_bad(out.is_null())
    if bad is not None:
        raise table.error(
            f"unknown éducation prioritaire value {frame[column][bad]!r}", index=bad, column=column
        )
    return out.alias("ep_status")


def _refuse_differing_repeats(table: RawTable, out: pl.DataFrame, uai_column: str) -> None:
    """Repeated UAI × rentrée rows must be identical lines of the file (then they are collapsed, counted in
    n_source_rows); a repeat that differs in any cell, kept or not, is refused, naming its row, the UAI
    column and the first differing column."""
    raw = table.frame
    line = pl.concat_str([pl.col(c).fill_null("\x00") for c in raw.columns], separator="\x1f")
    lines = raw.select(line.alias("_line")).with_columns(
        pl.Series("source_row", [table.row(i) for i in range(raw.height)], dtype=pl.Int64)
    )
    o = (
        out.select("uai", "rentree", "source_row")
        .join(lines, on="source_row", how="left")
        .sort("source_row", maintain_order=True)
        .with_columns(
            pl.col("source_row").min().over("uai", "rentree").alias("_first"),
            pl.col("_line").first().over("uai", "rentree").alias("_line0"),
        )
    )
    bad = o.filter(pl.col("_line") != pl.col("_line0"))
    if bad.height == 0:
        return
    second = bad.row(0, named=True)
    a = raw.row(int(second["_first"]) - table.row_offset, named=True)
    b = raw.row(int(second["source_row"]) - table.row_offset, named=True)
    differing = next((c for c in raw.columns if a[c] != b[c]), uai_column)
    raise SourceFormatError(
        table.file,
        f"UAI {second['uai']} (rentrée {second['rentree']}) repeats row {second['_first']} with a "
        f"different {table.header(differing)}: {a[differing]!r} vs {b[differing]!r}",
        row=int(second["source_row"]),
        column=table.header(uai_column),
    )


def _finish(table: RawTable, out: pl.DataFrame, uai_column: str) -> pl.DataFrame:
    out = out.with_columns(
        (pl.col("rentree").cast(pl.String) + "-" + (pl.col("rentree") + 1).cast(pl.String)).alias(
            "rentree_label"
        )
    )
    conflict = (
        out.group_by("uai", "rentree").agg(pl.col("ep_status").n_unique().alias("n")).filter(pl.col("n") > 1)
    )
    if conflict.height:
        u = conflict.row(0, named=True)
        rows = out.filter((pl.col("uai") == u["uai"]) & (pl.col("rentree") == u["rentree"]))[
            "source_row"
        ].to_list()
        raise SourceFormatError(
            table.file,
            f"UAI {u['uai']} has conflicting EP statuses for rentrée {u['rentree']} on rows {rows}",
            row=rows[-1],
        )
    _refuse_differing_repeats(table, out, uai_column)
    out = out.with_columns(pl.len().over("uai", "rentree").alias("n_source_rows")).unique(
        ["uai", "rentree"], keep="first", maintain_order=True
    )
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c) for c, t in EP_SCHEMA.items()
    )


def parse_ministry_list(path: Path, rentree: int | None = None) -> pl.DataFrame:
    """The DGESCO « liste des écoles et collèges REP et REP+ » of one rentrée (year from the file name)."""
    path = Path(path)
    if rentree is None:
        m = re.search(r"rentr[ée]e[-_ ]?(\d{4})", path.name)
        if m is None:
            raise SourceFormatError(str(path), "rentrée not in the file name: pass rentree=")
        rentree = int(m.group(1))
    table = read_table(path)
    frame = resolve_columns(
        table,
        dataset=MINISTRY_LIST_STEM.format(year=rentree),
        aliases=MINISTRY_ALIASES,
        required=MINISTRY_REQUIRED,
        vintage=str(rentree),
    )
    out = pl.DataFrame(
        {
            "uai": check_uai(table, frame, "numero"),
            "rentree": pl.Series([rentree] * frame.height, dtype=pl.Int32),
            "ep_status": _status(table, frame, "ep"),
            "uai_tete_de_reseau": check_uai(table, frame, "uai_tete_de_reseau"),
            "name": frame["nom_de_l_etablissement"],
            "establishment_type": frame["type_detablissement"],
            "commune_name": frame["commune"],
            "departement_code": frame["n_departement"],
            "source_dataset": pl.Series(
                [MINISTRY_LIST_STEM.format(year=rentree)] * frame.height, dtype=pl.String
            ),
            "source_row": pl.Series([table.row(i) for i in range(frame.height)], dtype=pl.Int64),
        }
    )
    return _finish(table, out, "numero")


def parse_ep_dataset(path: Path) -> pl.DataFrame:
    """`fr-en-etablissements-ep`: one row per UAI × rentrée from its `ep_<yyyy>_<yyyy>` columns."""
    path = Path(path)
    table = read_table(path)
    year_cols = [c for c in table.frame.columns if re.fullmatch(r"ep_\d{4}_\d{4}", c)]
    if not year_cols:
        raise SourceFormatError(
            table.file,
            f"dataset {EP_DATASET}: no ep_<yyyy>_<yyyy> column in the header",
            row=1,
            column="ep_yyyy_yyyy",
        )
    frame = resolve_columns(
        table, dataset=EP_DATASET, aliases=EP_DATASET_ALIASES, required=EP_DATASET_REQUIRED
    )
    uai = check_uai(table, frame, "uai")
    parse_number(table, frame, "nombre_d_eleves", bounds=(0.0, float("inf")), what="pupil count")
    parts = []
    for col in year_cols:
        start, end = int(col[3:7]), int(col[8:12])
        if end != start + 1:
            raise table.error(f"column {col} is not one school year", column=col)
        values = table.frame[col]
        present = values.str.strip_chars().is_not_null()
        status = _status(table, table.frame.with_columns(values.fill_null("HORS REP")), col)
        parts.append(
            pl.DataFrame(
                {
                    "uai": uai,
                    "rentree": pl.Series([start] * frame.height, dtype=pl.Int32),
                    "ep_status": status,
                    "present": present,
                    "uai_tete_de_reseau": frame["uai_tete_de_reseau"],
                    "name": frame["nom_etablissement"],
                    "establishment_type": frame["type_etablissement"],
                    "commune_code": frame["code_commune"],
                    "commune_name": frame["nom_commune"],
                    "departement_code": frame["code_departement"],
                    "qp_code": frame["qp_a_proximite"],
                    "source_dataset": pl.Series([EP_DATASET] * frame.height, dtype=pl.String),
                    "source_row": pl.Series([table.row(i) for i in range(frame.height)], dtype=pl.Int64),
                }
            ).filter(pl.col("present"))
        )
    return _finish(table, pl.concat(parts), "uai")


def parse_ep(path: Path, rentree: int | None = None) -> pl.DataFrame:
    """Either REP list, recognised from its header."""
    table = read_table(Path(path))
    cols = set(table.frame.columns)
    if "numero" in cols and "ep" in cols:
        return parse_ministry_list(path, rentree)
    if any(re.fullmatch(r"ep_\d{4}_\d{4}", c) for c in cols):
        return parse_ep_dataset(path)
    raise SourceFormatError(
        str(path), "not a REP/REP+ list (no NUMERO+EP nor ep_<yyyy>_<yyyy> column)", row=1
    )
