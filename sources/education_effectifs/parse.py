"""Parse the effectifs datasets (pupils per école / collège, with the rep / rep_plus flags)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources.education_common import (
    check_uai,
    dataset_from_path,
    ensure_unique,
    first_bad,
    normalise_sector,
    parse_number,
    parse_school_year,
    read_table,
    resolve_columns,
)
from sources.education_effectifs.settings import ALIASES, EFFECTIFS_DATASETS, REQUIRED, UNVERIFIED_DATASETS

EFFECTIFS_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "rentree": pl.Int32(),  # the file's 4-digit `rentree_scolaire` (2024 = 2024-2025)
    "rentree_label": pl.String(),
    "level": pl.String(),
    "sector": pl.String(),
    "rep": pl.Boolean(),
    "rep_plus": pl.Boolean(),
    "pupils": pl.Int64(),
    "classes": pl.Int64(),  # écoles only
    "name": pl.String(),
    "commune_name": pl.String(),
    "departement_code": pl.String(),
    "source_dataset": pl.String(),
    "source_row": pl.Int64(),
}


def parse_effectifs(path: Path, dataset: str | None = None) -> pl.DataFrame:
    """Parse one effectifs file (CSV export or API JSON). One row per UAI × rentrée."""
    path = Path(path)
    table = read_table(path)
    known = (*EFFECTIFS_DATASETS, *UNVERIFIED_DATASETS)
    dataset = (
        dataset
        or dataset_from_path(path, known)
        or (table.dataset_hint if table.dataset_hint in known else None)
    )
    if dataset is None:
        cols = set(table.frame.columns)
        dataset = (
            "fr-en-ecoles-effectifs-nb_classes"
            if "numero_ecole" in cols
            else "fr-en-college-effectifs-niveau-sexe-lv"
            if "numero_college" in cols
            else None
        )
    if dataset not in EFFECTIFS_DATASETS:
        raise SourceFormatError(
            str(path),
            f"effectifs dataset {dataset!r} not supported (columns not verified); "
            f"known: {list(EFFECTIFS_DATASETS)}",
        )
    frame = resolve_columns(table, dataset=dataset, aliases=ALIASES, required=REQUIRED)
    table.headers = {**table.headers, **{k: table.headers.get(k, k) for k in ALIASES}}
    flags = {}
    for col in ("rep", "rep_plus"):
        # `SANS OBJET` (rentrées before the 2015 REP map): not applicable → NULL.
        v = frame[col].str.strip_chars().str.to_uppercase().replace("SANS OBJET", None)
        bad = first_bad(v.is_not_null() & ~v.is_in(["0", "1"]))
        if bad is not None:
            raise table.error(
                f"{col} flag {frame[col][bad]!r} is not 0/1 nor SANS OBJET", index=bad, column=col
            )
        flags[col] = (v == "1").alias(col)
    both = first_bad(flags["rep"] & flags["rep_plus"])
    if both is not None:
        raise table.error("school flagged both REP and REP+", index=both, column="rep_plus")
    rentree, label = parse_school_year(table, frame, "rentree_scolaire")
    name = pl.select(
        pl.concat_str(
            [frame["denomination_principale"], frame["patronyme"]], separator=" ", ignore_nulls=True
        )
    ).to_series()
    out = pl.DataFrame(
        {
            "uai": check_uai(table, frame, "uai"),
            "rentree": rentree,
            "rentree_label": label,
            "level": pl.Series([EFFECTIFS_DATASETS[dataset]] * frame.height, dtype=pl.String),
            "sector": normalise_sector(table, frame, "secteur"),
            "rep": flags["rep"],
            "rep_plus": flags["rep_plus"],
            "pupils": parse_number(
                table, frame, "nombre_eleves_total", markers=("",), bounds=(0, 1e5), integer=True
            ),
            "classes": parse_number(
                table, frame, "nombre_total_classes", markers=("",), bounds=(0, 1e4), integer=True
            ),
            "name": name,
            "commune_name": frame["commune"],
            "departement_code": pl.select(
                pl.coalesce(frame["code_departement"], frame["departement"])
            ).to_series(),
            "source_dataset": pl.Series([dataset] * frame.height, dtype=pl.String),
            "source_row": pl.Series([table.row(i) for i in range(frame.height)], dtype=pl.Int64),
        }
    )
    ensure_unique(table, out, ["uai", "rentree"], "UAI within one rentrée")
    return out.select(pl.col(c).cast(t) for c, t in EFFECTIFS_SCHEMA.items())
