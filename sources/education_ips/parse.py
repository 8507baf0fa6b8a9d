"""Parse the IPS datasets (écoles, collèges, lycées; legacy, ap2022, ap2023 series) into staged frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources.education_common import (
    IPS_MAX,
    IPS_MIN,
    RawTable,
    check_uai,
    dataset_from_path,
    ensure_unique,
    first_bad,
    is_marker,
    normalise_sector,
    parse_number,
    parse_school_year,
    read_table,
    resolve_columns,
)
from sources.education_ips.settings import (
    COMMON_ALIASES,
    ECOLE_COLLEGE_ALIASES,
    IPS_DATASETS,
    LYCEE_ALIASES,
    LYCEE_TYPES,
    REFERENCE_COLUMNS,
    REQUIRED,
)

IPS_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "rentree": pl.Int32(),  # starting year: 2022 for "2022-2023"
    "rentree_label": pl.String(),  # "2022-2023"
    "level": pl.String(),  # ecole | college | lycee
    "ips_series": pl.String(),  # legacy | ap2022 | ap2023: never compare across
    "source_dataset": pl.String(),
    "name": pl.String(),
    "commune_code": pl.String(),
    "departement_code": pl.String(),  # as published: 062 (legacy, collèges ap2022) or 62
    "academie": pl.String(),
    "sector": pl.String(),  # public | prive
    "sector_label": pl.String(),  # as published
    "lycee_type": pl.String(),  # LEGT | LPO | LP (lycées only)
    "pupils": pl.Int64(),  # `effectifs` of the IPS file (collèges ap2022; lycées: ensemble GT + pro)
    "ips": pl.Float64(),  # école/collège IPS; lycées: whole establishment
    "ips_status": pl.String(),  # published | suppressed
    "ips_ecart_type": pl.Float64(),
    "ips_voie_gt": pl.Float64(),
    "ips_voie_pro": pl.Float64(),
    "ips_post_bac": pl.Float64(),
    "ips_ecart_type_voie_gt": pl.Float64(),
    "ips_ecart_type_voie_pro": pl.Float64(),
    "pupils_voie_gt": pl.Int64(),
    "pupils_voie_pro": pl.Int64(),
    **{c: pl.Float64() for c in REFERENCE_COLUMNS},  # lycées: the references of the lycée's own type
    "source_row": pl.Int64(),  # row in the file (header = 1) or record number (JSON, Parquet)
}


def ips_dataset_of(path: Path, table: RawTable | None = None) -> str | None:
    """The IPS dataset id named by the path, or by the API links inside a JSON answer."""
    found = dataset_from_path(path, IPS_DATASETS)
    if found is None and table is not None and table.dataset_hint in IPS_DATASETS:
        found = table.dataset_hint
    return found


def parse_ips(path: Path, dataset: str | None = None) -> pl.DataFrame:
    """Parse one IPS file (CSV export with label or technical header, API JSON, or Parquet copy).

    `dataset` is the data.education.gouv.fr id (e.g. ``fr-en-ips-ecoles-ap2022``); when omitted it is read
    from the path (mirror layout or file name) or from the API links of a JSON answer.
    Returns one row per UAI × rentrée with the `IPS_SCHEMA` columns.
    """
    path = Path(path)
    table = read_table(path)
    dataset = dataset or ips_dataset_of(path, table)
    if dataset is None or dataset not in IPS_DATASETS:
        raise SourceFormatError(
            str(path),
            f"cannot tell which IPS dataset this is ({dataset!r}); "
            f"pass dataset= one of {sorted(IPS_DATASETS)}",
        )
    level, series = IPS_DATASETS[dataset]
    aliases = {**COMMON_ALIASES, **(LYCEE_ALIASES if level == "lycee" else ECOLE_COLLEGE_ALIASES)}
    vintage = _vintage(table)
    frame = resolve_columns(
        table, dataset=dataset, aliases=aliases, required=REQUIRED[(level, series)], vintage=vintage
    )
    # Names in errors are the file's own headers: map canonical → header through the slug mapping.
    table.headers = {**table.headers, **_canonical_headers(table, aliases)}

    uai = check_uai(table, frame, "uai")
    rentree, label = parse_school_year(table, frame, "rentree_scolaire")
    sector = normalise_sector(table, frame, "secteur")
    bad = int(sector.is_null().arg_true()[0]) if sector.null_count() else None
    if bad is not None:
        raise table.error("empty sector", index=bad, column="secteur")

    def ips_col(name: str) -> pl.Series:
        return parse_number(table, frame, name, bounds=(IPS_MIN, IPS_MAX), what="IPS")

    def num(name: str, *, integer: bool = False) -> pl.Series:
        return parse_number(table, frame, name, bounds=(0.0, 1e6), integer=integer, what=name)

    ips = ips_col("ips")
    status = pl.Series(
        "ips_status", ["suppressed" if m else "published" for m in is_marker(frame["ips"]).to_list()]
    )
    out = pl.DataFrame(
        {
            "uai": uai,
            "rentree": rentree,
            "rentree_label": label,
            "level": pl.Series([level] * frame.height, dtype=pl.String),
            "ips_series": pl.Series([series] * frame.height, dtype=pl.String),
            "source_dataset": pl.Series([dataset] * frame.height, dtype=pl.String),
            "name": frame["nom_de_l_etablissement"],
            "commune_code": frame["code_insee_de_la_commune"],
            "departement_code": frame["code_du_departement"],
            "academie": frame["academie"],
            "sector": sector,
            "sector_label": frame["secteur"],
            "ips": ips,
            "ips_status": status,
            "ips_ecart_type": num("ecart_type_de_l_ips"),
            "pupils": num("effectifs", integer=True),
            "source_row": pl.Series([table.row(i) for i in range(frame.height)], dtype=pl.Int64),
        }
    )
    bad_commune = (~out["commune_code"].str.contains(r"^(\d{5}|2[AB]\d{3})$")).fill_null(True).arg_true()
    if len(bad_commune):
        i = int(bad_commune[0])
        raise table.error(
            f"commune code {out['commune_code'][i]!r} is not an INSEE code",
            index=i,
            column="code_insee_de_la_commune",
        )
    if level == "lycee":
        types = frame["type_de_lycee"].str.strip_chars().str.to_uppercase()
        bad_type = first_bad(~types.is_in(LYCEE_TYPES).fill_null(False))
        if bad_type is not None:
            raise table.error(
                f"unknown type_de_lycee {types[bad_type]!r}", index=bad_type, column="type_de_lycee"
            )
        out = out.with_columns(
            types.alias("lycee_type"),
            ips_col("ips_voie_gt").alias("ips_voie_gt"),
            ips_col("ips_voie_pro").alias("ips_voie_pro"),
            ips_col("ips_post_bac").alias("ips_post_bac"),
            num("ecart_type_voie_gt").alias("ips_ecart_type_voie_gt"),
            num("ecart_type_voie_pro").alias("ips_ecart_type_voie_pro"),
            num("effectifs_voie_gt", integer=True).alias("pupils_voie_gt"),
            num("effectifs_voie_pro", integer=True).alias("pupils_voie_pro"),
        )
        refs = {}
        for ref in REFERENCE_COLUMNS:
            scale_suffix = ref.removeprefix("ips_")
            scale, _, suffix = scale_suffix.partition("_")
            per_type = {
                t: ips_col(f"ips_{scale}_{t.lower()}" + (f"_{suffix}" if suffix else "")) for t in LYCEE_TYPES
            }
            value = pl.select(
                pl.when(types == "LEGT")
                .then(per_type["LEGT"])
                .when(types == "LPO")
                .then(per_type["LPO"])
                .otherwise(per_type["LP"])
                .alias(ref)
            ).to_series()
            refs[ref] = value
        out = out.with_columns(**refs)
    else:
        out = out.with_columns(**{ref: ips_col(ref) for ref in REFERENCE_COLUMNS})
    ensure_unique(table, out, ["uai", "rentree"], "UAI within one rentrée")
    bad_sd = first_bad(out["ips_ecart_type"] > 100)
    if bad_sd is not None:
        raise table.error("IPS standard deviation above 100", index=bad_sd, column="ecart_type_de_l_ips")
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c) for c, t in IPS_SCHEMA.items()
    )


def _vintage(table: RawTable) -> str | None:
    """The rentrées a file holds, for error messages (before validation: raw labels)."""
    for col in ("rentree_scolaire", "annee_scolaire"):
        if col in table.frame.columns:
            values = sorted({v for v in table.frame[col].drop_nulls().to_list()})
            return ", ".join(values[:5]) + (" …" if len(values) > 5 else "")
    return None


def _canonical_headers(table: RawTable, aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, accepted in aliases.items():
        for a in (canonical, *accepted):
            if a in table.headers:
                out[canonical] = table.headers[a]
                break
    return out
