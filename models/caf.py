"""CAF / Cnaf: staged frames → observations, the indicator catalog, IRIS → commune sums.

Counts are of *foyers allocataires* (allocataire + spouse + dependants) unless the indicator says
persons; data.caf.fr amounts are for the month of December only. CAF scheme only (MSA excluded).

IRIS → commune aggregation (choice, documented): a commune's sum is ``published``/``summed`` only when
every IRIS part is published. If one part is suppressed, the sum is not knowable: value NULL, status
``not_computable`` (ours: the Cnaf hid a part, not this sum; ``parts_hidden`` of ``parts_total``
IRIS), and ``interval_low`` = the sum of the published parts (a true lower bound, counts are ≥ 0);
interval_high stays NULL. Nothing is imputed and such a sum is never shown as exact.
"""

from __future__ import annotations

import re

import polars as pl

from models.observation import (
    INDICATOR_SCHEMA,
    PERIOD_AND_FILE,
    as_published,
    conform_observations,
    empty_observations,
)
from models.series import REVISION_LOG_SCHEMA, build_series, latest_per_dataset, observations_per_file

SOURCE = "Cnaf (CAF)"

# INSEE Cnaf base variables → (indicator_id, label_fr, definition).
CNAF_BASE_INDICATORS: dict[str, tuple[str, str, str]] = {
    "A": ("caf_allocataires", "Foyers allocataires CAF", "Foyers percevant au moins une prestation CAF"),
    "PERCOU": (
        "caf_personnes_couvertes",
        "Personnes couvertes par la CAF",
        "Allocataires, conjoints, enfants et autres personnes à charge",
    ),
    "AI": ("caf_alloc_isoles", "Allocataires isolés", "Allocataires isolés sans enfant"),
    "AM": (
        "caf_alloc_monoparents",
        "Familles monoparentales allocataires",
        "Allocataires isolés avec enfant(s)",
    ),
    "ACSSENF": ("caf_alloc_couples_sans_enfant", "Couples allocataires sans enfant", "Couples sans enfant"),
    "ACAVENF": (
        "caf_alloc_couples_avec_enfants",
        "Couples allocataires avec enfant(s)",
        "Couples avec enfant(s)",
    ),
    "AC3ENF": (
        "caf_alloc_couples_3_enfants",
        "Couples allocataires avec 3 enfants ou plus",
        "Sous-ensemble de ACAVENF",
    ),
    "ENF": ("caf_enfants_couverts", "Enfants couverts", "Enfants à charge des allocataires"),
    "ENF_2": ("caf_enfants_0_2", "Enfants couverts de moins de 3 ans", "Enfants de 0 à 2 ans"),
    "ENF_3_5": ("caf_enfants_3_5", "Enfants couverts de 3 à 5 ans", "Enfants de 3 à 5 ans"),
    "ENF_6_10": ("caf_enfants_6_10", "Enfants couverts de 6 à 10 ans", "Enfants de 6 à 10 ans"),
    "ENF_11_14": ("caf_enfants_11_14", "Enfants couverts de 11 à 14 ans", "Enfants de 11 à 14 ans"),
    "ENF_15_17": ("caf_enfants_15_17", "Enfants couverts de 15 à 17 ans", "Enfants de 15 à 17 ans"),
    "ENF_18_24": ("caf_enfants_18_24", "Enfants couverts de 18 à 24 ans", "Enfants de 18 à 24 ans"),
    "A_ETUD": ("caf_alloc_etudiants", "Allocataires étudiants", "Allocataires étudiants"),
    "A_NETUD_24": ("caf_alloc_non_etudiants_moins_25", "Allocataires non étudiants de moins de 25 ans", "NV"),
    "AAL": ("caf_alloc_aide_logement", "Allocataires d'une aide au logement", "ALF, ALS ou APL"),
    "AAPL": ("caf_alloc_apl", "Allocataires de l'APL", "Aide personnalisée au logement"),
    "AAAH": ("caf_alloc_aah", "Allocataires de l'AAH", "Allocation aux adultes handicapés"),
    "APPA": ("caf_alloc_prime_activite", "Allocataires de la prime d'activité", "Prime d'activité"),
    "ARSAS": ("caf_alloc_rsa_socle", "Allocataires du RSA socle", "RSA socle"),
    "APRES50": (
        "caf_alloc_dependants_50",
        "Allocataires dont les ressources dépendent à 50 % ou plus des prestations",
        "Bas revenus / dépendance",
    ),
    "APRES100": (
        "caf_alloc_dependants_100",
        "Allocataires dont les ressources dépendent à 100 % des prestations",
        "Dépendance totale",
    ),
}

BENEFITS: dict[str, str] = {
    "rsa": "RSA",
    "ppa": "prime d'activité",
    "aah": "AAH",
    "apl": "APL",
    "als": "ALS",
    "alf": "ALF",
    "af": "allocations familiales",
    "cf": "complément familial",
    "asf": "allocation de soutien familial",
    "ab": "PAJE allocation de base",
    "cmg": "complément de libre choix du mode de garde",
    "ndur": "toutes prestations (hors durée)",
    "ndural": "aide au logement",
}
_ODS_KIND = {
    "indfoy": ("caf_foyers", "Foyers allocataires", "count"),
    "indnbp": ("caf_personnes", "Personnes couvertes", "count"),
    "indmtt": ("caf_montant_decembre", "Montant versé au titre de décembre", "euro"),
}


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def ods_indicator_id(variable: str, dimension: str | None) -> str:
    """`indfoy_rsa` → caf_foyers_rsa; with dimension `rsa_type=RSA majoré` → caf_foyers_rsa__rsa_majore."""
    prefix, _, benefit = variable.partition("_")
    base = f"{_ODS_KIND[prefix][0]}_{benefit}" if prefix in _ODS_KIND else f"caf_{_slug(variable)}"
    if dimension:
        values = [part.partition("=")[2] for part in dimension.split("|")]
        base += "__" + "__".join(_slug(v) for v in values)
    return base


def _indicator_id_expr() -> pl.Expr:
    base = {v: t[0] for v, t in CNAF_BASE_INDICATORS.items()}
    return (
        pl.when(pl.col("layout").str.starts_with("insee_cnaf"))
        .then(pl.col("variable").replace_strict(base, default=None))
        .otherwise(
            pl.struct("variable", "dimension").map_elements(
                lambda r: ods_indicator_id(r["variable"], r["dimension"]), return_dtype=pl.String
            )
        )
    )


LOCATED_KINDS = ("iris", "commune", "qpv2015", "qpv2024", "france")


def caf_observations(
    staged: pl.DataFrame, *, source_dataset: str, source_vintage: str, sha256: str
) -> pl.DataFrame:
    """Staged CAF rows → observations. Unlocated and aggregate rows stay in the staged table only."""
    located = staged.filter(pl.col("territory_kind").is_in(list(LOCATED_KINDS)))
    obs = as_published(
        located,
        _indicator_id_expr(),
        source_dataset=source_dataset,
        source_vintage=source_vintage,
        sha256=sha256,
    )
    unknown = obs.filter(pl.col("indicator_id").is_null())
    if unknown.height:
        raise ValueError(f"no indicator for CAF variable(s) {sorted(set(unknown['variable'].to_list()))}")
    return conform_observations(obs)


def caf_indicator_catalog(observations: pl.DataFrame | None = None) -> pl.DataFrame:
    """Indicator catalog (INDICATOR_SCHEMA): the INSEE Cnaf base variables, the data.caf.fr benefits,
    plus any other id present in `observations` (e.g. a thematic dimension)."""
    rows: list[dict[str, object]] = []
    for var, (iid, label, definition) in CNAF_BASE_INDICATORS.items():
        rows.append(
            {
                "indicator_id": iid,
                "theme": "caf",
                "label_fr": label,
                "definition": f"{definition} (variable {var}, base Cnaf diffusée par l'Insee), "
                "au 31 décembre",
                "unit": "count",
                "summable": True,
                "aggregation": "sum",
                "source": SOURCE,
                "method": "published",
            }
        )
    for prefix, (stem, label, unit) in _ODS_KIND.items():
        for code, benefit in BENEFITS.items():
            rows.append(
                {
                    "indicator_id": f"{stem}_{code}",
                    "theme": "caf",
                    "label_fr": f"{label} – {benefit}",
                    "definition": f"data.caf.fr champ {prefix}_{code}; régime CAF seul (hors MSA); "
                    "arrondi par la Cnaf",
                    "unit": unit,
                    "summable": True,
                    "aggregation": "sum",
                    "source": SOURCE,
                    "method": "published",
                }
            )
    known = {r["indicator_id"] for r in rows}
    if observations is not None:
        for iid in sorted(set(observations["indicator_id"].drop_nulls().to_list()) - known):
            rows.append(
                {
                    "indicator_id": iid,
                    "theme": "caf",
                    "label_fr": iid,
                    "definition": "data.caf.fr, ventilation thématique (voir l'identifiant)",
                    "unit": "euro" if iid.startswith("caf_montant") else "count",
                    "summable": True,
                    "aggregation": "sum",
                    "source": SOURCE,
                    "method": "published",
                }
            )
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.select(
        [
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in INDICATOR_SCHEMA.items()
        ]
    )


def aggregate_iris_to_commune(observations: pl.DataFrame) -> pl.DataFrame:
    """Sum IRIS counts to their commune (first 5 characters of the IRIS code), per indicator × period.

    All parts published → status published, method summed. One part suppressed → value NULL, status
    not_computable with parts_hidden / parts_total, interval_low = sum of published parts.
    geo_version ``irisYYYY`` → ``cogYYYY``.
    Communes not split into IRIS are absent from IRIS files and so absent here.
    """
    iris = conform_observations(observations).filter(pl.col("territory_kind") == "iris")
    grouped = iris.group_by(
        [
            "indicator_id",
            pl.col("territory_code").str.slice(0, 5).alias("commune"),
            "geo_version",
            *PERIOD_AND_FILE,
        ],
        maintain_order=True,
    ).agg(
        pl.col("value").sum().alias("known_sum"),
        (pl.col("status") != "published").sum().alias("n_hidden"),
        pl.len().alias("n_parts"),
    )
    out = grouped.with_columns(
        pl.lit("commune").alias("territory_kind"),
        pl.col("commune").alias("territory_code"),
        pl.col("geo_version").str.replace(r"^iris", "cog").alias("geo_version"),
        pl.when(pl.col("n_hidden") == 0).then(pl.col("known_sum")).alias("value"),
        pl.when(pl.col("n_hidden") == 0)
        .then(pl.lit("published"))
        .otherwise(pl.lit("not_computable"))
        .alias("status"),
        pl.lit("summed").alias("method"),
        pl.when(pl.col("n_hidden") > 0).then(pl.col("known_sum")).alias("interval_low"),
        pl.when(pl.col("n_hidden") > 0).then(pl.col("n_hidden").cast(pl.Int64)).alias("parts_hidden"),
        pl.when(pl.col("n_hidden") > 0).then(pl.col("n_parts").cast(pl.Int64)).alias("parts_total"),
    )
    return conform_observations(out)


def caf_series(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(observations with explicit gaps, revision log) from the staged CAF table.

    Per file: observations (`caf_observations`); IRIS parts also summed to their commune. A period given
    by two releases of a dataset: the later release wins (resolve_revisions, by release label), the change
    is logged. Then each yearly series gets its missing years as explicit `missing` rows."""
    parts = []
    for obs in observations_per_file(staged, caf_observations):
        parts.append(obs)
        if (obs["territory_kind"] == "iris").any():
            parts.append(aggregate_iris_to_commune(obs))
    if not parts:
        return empty_observations(), pl.DataFrame(schema=REVISION_LOG_SCHEMA)
    latest, log = latest_per_dataset(pl.concat(parts))
    series = [
        build_series(frame).with_columns(
            pl.col("source_dataset").fill_null(dataset), pl.col("method").fill_null("published")
        )
        for dataset, frame in latest
    ]
    return pl.concat(series), log
