"""Parse the IVAC file (value added of collèges, per DNB session)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.education_common import (
    check_uai,
    ensure_unique,
    normalise_sector,
    parse_number,
    read_table,
    resolve_columns,
)
from sources.education_iva.settings import (
    ALIASES,
    COUNT_COLUMNS,
    IVA_DATASET,
    NOTE_COLUMNS,
    RATE_COLUMNS,
    REQUIRED,
    VA_COLUMNS,
)

IVA_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "session": pl.Int32(),  # DNB exam year (June)
    "rentree": pl.Int32(),  # session - 1: the school year the exam closes (2023 → 2022-2023)
    "rentree_label": pl.String(),
    "name": pl.String(),
    "commune_name": pl.String(),
    "departement_name": pl.String(),
    "academie": pl.String(),
    "sector": pl.String(),
    **{c: pl.Int64() for c in COUNT_COLUMNS},
    **{c: pl.Float64() for c in (*RATE_COLUMNS, *VA_COLUMNS, *NOTE_COLUMNS)},
    "source_dataset": pl.String(),
    "source_row": pl.Int64(),
}


def parse_iva(path: Path) -> pl.DataFrame:
    """Parse `fr-en-indicateurs-valeur-ajoutee-colleges`. Empty cell = not published (NULL)."""
    path = Path(path)
    table = read_table(path)
    frame = resolve_columns(table, dataset=IVA_DATASET, aliases=ALIASES, required=REQUIRED)
    table.headers = {**table.headers, **{k: table.headers.get(k, k) for k in ALIASES}}
    session = parse_number(
        table, frame, "session", markers=(), bounds=(1990, 2100), integer=True, what="session"
    )
    values: dict[str, pl.Series] = {}
    for c in COUNT_COLUMNS:
        values[c] = parse_number(
            table, frame, c, markers=("", "NS", "NC"), bounds=(0, 1e5), integer=True, what=c
        )
    for c in RATE_COLUMNS:
        values[c] = parse_number(table, frame, c, markers=("", "NS", "NC"), bounds=(0, 100), what=c)
    for c in VA_COLUMNS:
        values[c] = parse_number(table, frame, c, markers=("", "NS", "NC"), bounds=(-100, 100), what=c)
    for c in NOTE_COLUMNS:
        values[c] = parse_number(table, frame, c, markers=("", "NS", "NC"), bounds=(0, 20), what=c)
    start = (session - 1).cast(pl.Int32)
    out = pl.DataFrame(
        {
            "uai": check_uai(table, frame, "uai"),
            "session": session.cast(pl.Int32),
            "rentree": start,
            "rentree_label": start.cast(pl.String) + "-" + session.cast(pl.String),
            "name": frame["nom_de_l_etablissement"],
            "commune_name": frame["commune"],
            "departement_name": frame["departement"],
            "academie": frame["academie"],
            "sector": normalise_sector(table, frame, "secteur"),
            **values,
            "source_dataset": pl.Series([IVA_DATASET] * frame.height, dtype=pl.String),
            "source_row": pl.Series([table.row(i) for i in range(frame.height)], dtype=pl.Int64),
        }
    )
    ensure_unique(table, out, ["uai", "session"], "UAI within one session")
    return out.select(pl.col(c).cast(t) for c, t in IVA_SCHEMA.items())
