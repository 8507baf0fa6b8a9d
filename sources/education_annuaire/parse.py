"""Parse the school directories into one staged `school_directory` frame (UAI, type, sector, EP, location)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources._errors import SourceFormatError
from sources.education_annuaire.settings import (
    ANNUAIRE_ALIASES,
    ANNUAIRE_DATASET,
    ANNUAIRE_REQUIRED,
    DOUBTFUL_MATCHES,
    EP_VALUES,
    GEOLOC_ALIASES,
    GEOLOC_DATASET,
    GEOLOC_REQUIRED,
    IMPRECISE_LOCATIONS,
)
from sources.education_common import (
    RawTable,
    check_uai,
    coord_status_expr,
    first_bad,
    normalise_sector,
    parse_number,
    read_table,
    resolve_columns,
    to_lambert93,
)

DIRECTORY_SCHEMA: dict[str, pl.DataType] = {
    "uai": pl.String(),
    "name": pl.String(),
    "establishment_type": pl.String(),  # type_etablissement (annuaire) or nature_uai_libe (geolocation)
    "level": pl.String(),  # ecole | college | lycee | NULL (other establishments)
    "sector": pl.String(),  # public | prive
    "commune_code": pl.String(),
    "commune_name": pl.String(),
    "departement_code": pl.String(),
    "code_nature": pl.String(),
    "ep_membership": pl.String(),  # REP | REP+ | hors EP (annuaire); NULL when the file does not say
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "x_l93": pl.Float64(),  # projected from lon/lat (metropolitan France only)
    "y_l93": pl.Float64(),
    "coord_precision": pl.String(),  # precision_localisation (annuaire) / localisation (geolocation)
    "coord_match": pl.String(),  # appariement (geolocation only)
    "coord_status": pl.String(),  # ok | missing | imprecise | out_of_bounds | swapped
    "etat": pl.String(),
    "date_maj_ligne": pl.String(),
    "duplicate_uai": pl.Boolean(),  # the UAI appears on more than one row of the file
    "source_dataset": pl.String(),
    "source_row": pl.Int64(),
}


def _level(kind: pl.Series) -> pl.Series:
    k = kind.str.to_uppercase().str.strip_chars()
    k = k.str.replace_all("È", "E").str.replace_all("É", "E").str.replace_all(" É", "E")
    return (
        pl.select(
            pl.when(k.str.starts_with("ECOLE"))
            .then(pl.lit("ecole"))
            .when(k.str.starts_with("COLLEGE"))
            .then(pl.lit("college"))
            .when(k.str.starts_with("LYCEE"))
            .then(pl.lit("lycee"))
            .otherwise(None)
            .alias("level")
        )
        .to_series()
        .cast(pl.String)
    )


# The column of each shared directory field in the annuaire (_ANNUAIRE) and the geolocation file (_GEOLOC).
_ANNUAIRE, _GEOLOC = 0, 1
_SOURCE_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("nom_etablissement", "appellation_officielle"),
    "establishment_type": ("type_etablissement", "nature_uai_libe"),
    "commune_code": ("code_commune", "code_commune"),
    "commune_name": ("nom_commune", "libelle_commune"),
    "departement_code": ("code_departement", "code_departement"),
    "code_nature": ("code_nature", "nature_uai"),
    "coord_precision": ("precision_localisation", "localisation"),
    "etat": ("etat", "etat_etablissement_libe"),
}
_SECTOR_COLUMNS = ("statut_public_prive", "secteur_public_prive_libe")


def _directory(
    table: RawTable, frame: pl.DataFrame, source: int, uai: pl.Series, lon: pl.Series, lat: pl.Series
) -> dict[str, pl.Series]:
    """The fields both directories have; `source` is _ANNUAIRE or _GEOLOC. The sector is checked last, after
    the UAI and the coordinates the caller has read (the order in which a bad file's errors are found)."""
    fields = {field: frame[columns[source]] for field, columns in _SOURCE_COLUMNS.items()}
    return {
        "uai": uai,
        **fields,
        "level": _level(fields["establishment_type"]),
        "sector": normalise_sector(table, frame, _SECTOR_COLUMNS[source]),
        "lon": lon,
        "lat": lat,
    }


def _finish(table: RawTable, out: pl.DataFrame, imprecise: pl.Expr, dataset: str) -> pl.DataFrame:
    x, y = to_lambert93(out["lon"], out["lat"])
    out = out.with_columns(
        coord_status_expr("lon", "lat", imprecise).alias("coord_status"),
        pl.col("uai").is_duplicated().alias("duplicate_uai"),
        pl.lit(dataset).alias("source_dataset"),
        pl.Series("source_row", [table.row(i) for i in range(out.height)], dtype=pl.Int64),
    )
    out = out.with_columns(
        pl.when(pl.col("coord_status").is_in(["ok", "imprecise"])).then(x).otherwise(None).alias("x_l93"),
        pl.when(pl.col("coord_status").is_in(["ok", "imprecise"])).then(y).otherwise(None).alias("y_l93"),
    )
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in DIRECTORY_SCHEMA.items()
    )


def _coords(table: RawTable, frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """WGS84 degrees; a value off the globe (|lat| > 90, |lon| > 180) raises. Points on the globe but
    outside France are kept and flagged by `coord_status` (out_of_bounds / swapped)."""
    lat = parse_number(table, frame, "latitude", markers=("",), bounds=(-90.0, 90.0), what="latitude")
    lon = parse_number(table, frame, "longitude", markers=("",), bounds=(-180.0, 180.0), what="longitude")
    return lon.alias("lon"), lat.alias("lat")


def _refuse_repeated_lines(table: RawTable, key: str) -> None:
    """A line repeated verbatim (every cell equal): an export fault (nothing tells the copies apart), refused
    naming the second occurrence. Rows sharing a UAI with other differences are the national file's known
    duplicates (shared/sources/education.md): kept and flagged `duplicate_uai`, resolved in models."""
    line = pl.concat_str([pl.col(c).fill_null("\x00") for c in table.frame.columns], separator="\x1f")
    marked = table.frame.select(line.alias("_line")).with_row_index("_i")
    marked = marked.with_columns(pl.col("_i").min().over("_line").alias("_first"))
    bad = first_bad(marked["_i"] != marked["_first"])
    if bad is not None:
        first = int(marked["_first"][bad])
        raise table.error(
            f"row repeats row {table.row(first)} verbatim (same {table.header(key)} "
            f"{table.frame[key][bad]!r}): a broken export",
            index=bad,
            column=key,
        )


def parse_annuaire(path: Path) -> pl.DataFrame:
    """Parse `fr-en-annuaire-education` (CSV export, either header casing; API JSON; Parquet)."""
    path = Path(path)
    table = read_table(path)
    frame = resolve_columns(
        table, dataset=ANNUAIRE_DATASET, aliases=ANNUAIRE_ALIASES, required=ANNUAIRE_REQUIRED
    )
    table.headers = {**table.headers, **{k: table.headers.get(k, k) for k in ANNUAIRE_ALIASES}}
    uai = check_uai(table, frame, "identifiant_de_l_etablissement")
    _refuse_repeated_lines(table, "identifiant_de_l_etablissement")
    ep_raw = frame["appartenance_education_prioritaire"].str.strip_chars().str.to_uppercase()
    bad = first_bad(ep_raw.is_not_null() & ~ep_raw.is_in(list(EP_VALUES)))
    if bad is not None:
        raise table.error(
            f"unknown éducation prioritaire value {ep_raw[bad]!r} (expected REP, REP+ or empty)",
            index=bad,
            column="appartenance_education_prioritaire",
        )
    lon, lat = _coords(table, frame)
    out = pl.DataFrame(
        {
            **_directory(table, frame, _ANNUAIRE, uai, lon, lat),
            "ep_membership": ep_raw.fill_null("hors EP"),
            "date_maj_ligne": frame["date_maj_ligne"],
        }
    )
    imprecise = pl.col("coord_precision").str.to_uppercase().is_in(list(IMPRECISE_LOCATIONS))
    return _finish(table, out, imprecise, ANNUAIRE_DATASET)


def parse_geolocalisation(path: Path) -> pl.DataFrame:
    """Parse `fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre` (same frame shape)."""
    path = Path(path)
    table = read_table(path)
    frame = resolve_columns(table, dataset=GEOLOC_DATASET, aliases=GEOLOC_ALIASES, required=GEOLOC_REQUIRED)
    uai = check_uai(table, frame, "numero_uai")
    _refuse_repeated_lines(table, "numero_uai")
    lon, lat = _coords(table, frame)
    out = pl.DataFrame(
        {**_directory(table, frame, _GEOLOC, uai, lon, lat), "coord_match": frame["appariement"]}
    )
    imprecise = pl.col("coord_precision").str.to_uppercase().is_in(list(IMPRECISE_LOCATIONS)) | pl.col(
        "coord_match"
    ).str.to_uppercase().is_in(list(DOUBTFUL_MATCHES))
    return _finish(table, out, imprecise, GEOLOC_DATASET)


def parse_directory(path: Path) -> pl.DataFrame:
    """Either directory, recognised from its header."""
    table = read_table(Path(path))
    cols = set(table.frame.columns)
    if "identifiant_de_l_etablissement" in cols:
        return parse_annuaire(path)
    if "numero_uai" in cols and "appariement" in cols:
        return parse_geolocalisation(path)
    raise SourceFormatError(
        str(path),
        "neither the annuaire (identifiant_de_l_etablissement) nor the geolocation file (numero_uai)",
        row=1,
    )
