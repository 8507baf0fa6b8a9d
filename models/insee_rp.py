"""Census IRIS bases (staged, sources.insee_rp) → observations of IRIS and communes, and the catalog.

INSEE's IRIS figures are weighted estimates: they are summable counts (decimals included), so
- an IRIS figure is the file's estimate (counts `published`; shares `recomputed` from the file's
  numerator and denominator, kept in the row);
- a commune figure is the sum of its IRIS estimates (counts `summed`, shares `recomputed` from the summed
  numerator and denominator) — never the mean of IRIS shares;
- EPCI, département and France come from the communes through models.aggregate (same rules).
Every figure's period is the census vintage (RP 2022 → "2022"); source_vintage is the same label.
"""

from __future__ import annotations

from functools import reduce
from typing import NamedTuple

import polars as pl

from models.aggregate import aggregate_to_references
from models.indicators import catalog_frame
from models.insee_indicators import INDICATORS_BY_ID, Ind, count, share
from models.observation import conform_observations, empty_observations

DATASET = "insee_rp"
CATALOG_METHOD = (
    "IRIS : estimations pondérées du recensement telles que publiées ; commune : somme des IRIS ; "
    "taux recalculés à partir des numérateurs et dénominateurs sommés"
)


class RpIndicator(NamedTuple):
    indicator_id: str
    theme: str  # the census base (sources.insee_rp.settings.THEMES) holding every variable used
    numerator: tuple[str, ...]  # stable variable names summed (the count itself for a count)
    denominator: tuple[str, ...] | None  # None: a count
    scale: float = 100.0


def _c(i: str, theme: str, *num: str) -> RpIndicator:
    return RpIndicator(i, theme, num, None, 1.0)


def _r(i: str, theme: str, num: tuple[str, ...], den: tuple[str, ...], scale: float = 100.0) -> RpIndicator:
    return RpIndicator(i, theme, num, den, scale)


SIXTY_PLUS = ("P_POP6074", "P_POP75P")
UNDER_25 = ("P_POP0002", "P_POP0305", "P_POP0610", "P_POP1117", "P_POP1824")
HIGHER_EDUCATION = ("P_NSCOL15P_SUP2", "P_NSCOL15P_SUP34", "P_NSCOL15P_SUP5")

INDICATORS: tuple[RpIndicator, ...] = (
    # population (base-ic-evol-struct-pop)
    _c("population", "population", "P_POP"),
    _c("population_0_14", "population", "P_POP0014"),
    _c("population_15_29", "population", "P_POP1529"),
    _c("population_30_44", "population", "P_POP3044"),
    _c("population_45_59", "population", "P_POP4559"),
    _c("population_60_74", "population", "P_POP6074"),
    _c("population_75_plus", "population", "P_POP75P"),
    _r("part_moins_25_ans", "population", UNDER_25, ("P_POP",)),
    _r("part_60_ans_et_plus", "population", SIXTY_PLUS, ("P_POP",)),
    _r("indice_jeunesse", "population", ("P_POP0019",), SIXTY_PLUS, 1.0),
    _r("part_femmes", "population", ("P_POPF",), ("P_POP",)),
    _r("part_etrangers", "population", ("P_POP_ETR",), ("P_POP",)),
    # households and families (base-ic-couples-familles-menages)
    _c("menages", "familles", "C_MEN"),
    _r("part_menages_1_personne", "familles", ("C_MENPSEUL",), ("C_MEN",)),
    _c("familles_monoparentales", "familles", "C_FAMMONO"),
    _r("part_familles_monoparentales", "familles", ("C_FAMMONO",), ("C_FAM",)),
    # housing (base-ic-logement)
    _c("logements", "logement", "P_LOG"),
    _c("residences_principales", "logement", "P_RP"),
    _c("logements_vacants", "logement", "P_LOGVAC"),
    _c("rp_proprietaires", "logement", "P_RP_PROP"),
    _c("rp_locataires_hlm", "logement", "P_RP_LOCHLMV"),
    _r("part_rp_hlm", "logement", ("P_RP_LOCHLMV",), ("P_RP",)),
    # activity of residents (base-ic-activite-residents)
    _c("population_15_64", "activite", "P_POP1564"),
    _c("actifs_15_64", "activite", "P_ACT1564"),
    _c("chomeurs_15_64", "activite", "P_CHOM1564"),
    _r("taux_activite_15_64", "activite", ("P_ACT1564",), ("P_POP1564",)),
    _r("taux_chomage_15_64", "activite", ("P_CHOM1564",), ("P_ACT1564",)),
    _r("taux_emploi_15_64", "activite", ("P_ACTOCC1564",), ("P_POP1564",)),
    # diplomas and schooling (base-ic-diplomes-formation)
    _c("non_scolarises_15_plus", "diplomes", "P_NSCOL15P"),
    _r("part_sans_diplome", "diplomes", ("P_NSCOL15P_DIPLMIN",), ("P_NSCOL15P",)),
    _r(
        "part_sans_diplome_ou_bepc",
        "diplomes",
        ("P_NSCOL15P_DIPLMIN", "P_NSCOL15P_BEPC"),
        ("P_NSCOL15P",),
    ),
    _r("part_diplomes_superieur", "diplomes", HIGHER_EDUCATION, ("P_NSCOL15P",)),
    _r("part_diplomes_bac5", "diplomes", ("P_NSCOL15P_SUP5",), ("P_NSCOL15P",)),
    _r("taux_scolarisation_18_24", "diplomes", ("P_SCOL1824",), ("P_POP1824",)),
)
INDICATORS_BY_ID_RP = {i.indicator_id: i for i in INDICATORS}


# Catalog rows of the indicators no other source defines. The others reuse the INSEE catalog row
# (models/insee_indicators.py) so that unit and aggregation agree by construction.
NEW_INDICATORS: tuple[Ind, ...] = (
    count("population_0_14", "population", "Population de 0 à 14 ans", "Personnes de 0 à 14 ans (RP)"),
    count("population_15_29", "population", "Population de 15 à 29 ans", "Personnes de 15 à 29 ans (RP)"),
    count("population_30_44", "population", "Population de 30 à 44 ans", "Personnes de 30 à 44 ans (RP)"),
    count("population_45_59", "population", "Population de 45 à 59 ans", "Personnes de 45 à 59 ans (RP)"),
    count("population_60_74", "population", "Population de 60 à 74 ans", "Personnes de 60 à 74 ans (RP)"),
    count("population_75_plus", "population", "Population de 75 ans ou plus", "Personnes de 75 ans ou plus"),
    count(
        "familles_monoparentales",
        "menages",
        "Familles monoparentales",
        "Familles monoparentales (exploitation complémentaire du recensement)",
    ),
    share(
        "part_familles_monoparentales",
        "menages",
        "Part des familles monoparentales",
        "familles monoparentales",
        "familles",
    ),
    count(
        "rp_locataires_hlm",
        "logement",
        "Résidences principales louées vides HLM",
        "Résidences principales occupées par des locataires d'un logement HLM loué vide (P_RP_LOCHLMV)",
    ),
    share(
        "part_rp_hlm",
        "logement",
        "Part des résidences principales HLM louées vides",
        "résidences principales HLM louées vides",
        "résidences principales",
    ),
    count(
        "non_scolarises_15_plus",
        "education",
        "Non-scolarisés de 15 ans ou plus",
        "Personnes de 15 ans ou plus non scolarisées (dénominateur des parts de diplômés)",
    ),
    share(
        "part_sans_diplome_ou_bepc",
        "education",
        "Part des non-scolarisés de 15 ans ou plus sans diplôme ou au plus le BEPC",
        "non-scolarisés 15+ sans diplôme, CEP, BEPC, brevet des collèges ou DNB",
        "non-scolarisés de 15 ans ou plus",
    ),
    share(
        "part_diplomes_superieur",
        "education",
        "Part des diplômés du supérieur parmi les non-scolarisés de 15 ans ou plus",
        "non-scolarisés 15+ titulaires d'un diplôme de l'enseignement supérieur (bac+2 ou plus)",
        "non-scolarisés de 15 ans ou plus",
    ),
    share(
        "part_diplomes_bac5",
        "education",
        "Part des diplômés bac+5 ou plus parmi les non-scolarisés de 15 ans ou plus",
        "non-scolarisés 15+ titulaires d'un bac+5 ou plus",
        "non-scolarisés de 15 ans ou plus",
    ),
    share(
        "taux_scolarisation_18_24",
        "education",
        "Taux de scolarisation des 18-24 ans",
        "18-24 ans inscrits dans un établissement d'enseignement",
        "18-24 ans",
    ),
)
_NEW_BY_ID = {i.indicator_id: i for i in NEW_INDICATORS}


def insee_rp_catalog() -> pl.DataFrame:
    """Catalog rows (INDICATOR_SCHEMA) of every indicator this source feeds."""
    rows = [
        _NEW_BY_ID[i.indicator_id] if i.indicator_id in _NEW_BY_ID else INDICATORS_BY_ID[i.indicator_id]
        for i in INDICATORS
    ]
    return catalog_frame(rows, source="insee_rp", method=CATALOG_METHOD)


_FILE_KEYS = ["theme", "vintage", "source_sha256"]


def _indicator_rows(wide: pl.DataFrame, ind: RpIndicator, *, count_method: str) -> pl.DataFrame | None:
    """One indicator over a wide frame (one row per territory, one column per variable)."""
    needed = ind.numerator + (ind.denominator or ())
    if any(v not in wide.columns for v in needed):
        return None  # an optional variable this vintage does not publish

    def total(cols: tuple[str, ...]) -> pl.Expr:
        return reduce(lambda a, b: a + b, [pl.col(c) for c in cols])  # NULL if any part is NULL

    num = total(ind.numerator)
    # Parts hidden by the producer (one IRIS cell each; a commune variable counts its hidden IRIS).
    n_hidden = pl.sum_horizontal([pl.col(f"__h_{c}").fill_null(0) for c in needed]).cast(pl.Int64)
    n_parts = pl.sum_horizontal([pl.col(f"__n_{c}").fill_null(1) for c in needed]).cast(pl.Int64)
    hidden = n_hidden > 0
    own = count_method != "published" or len(needed) > 1  # a sum or share Quartiers computes
    secret = pl.lit("not_computable") if own else pl.lit("suppressed")
    if ind.denominator is None:
        return wide.select(
            "territory_code",
            pl.lit(ind.indicator_id).alias("indicator_id"),
            num.alias("value"),
            pl.lit(None, pl.Float64).alias("numerator"),
            pl.lit(None, pl.Float64).alias("denominator"),
            pl.when(num.is_not_null())
            .then(pl.lit("published"))
            .when(hidden)
            .then(secret)
            .otherwise(pl.lit("missing"))
            .alias("__status"),
            pl.lit(count_method if len(ind.numerator) == 1 else "summed").alias("method"),
            n_hidden.alias("__nh"),
            n_parts.alias("__np"),
        ).pipe(_parts)
    den = total(ind.denominator)
    ok = num.is_not_null() & den.is_not_null() & (den > 0)
    return wide.select(
        "territory_code",
        pl.lit(ind.indicator_id).alias("indicator_id"),
        pl.when(ok).then(num / den * ind.scale).otherwise(None).alias("value"),
        num.alias("numerator"),
        den.alias("denominator"),
        pl.when(ok)
        .then(pl.lit("published"))
        .when(num.is_not_null() & den.is_not_null())
        .then(pl.lit("not_applicable"))  # nobody in the denominator: no share
        .when(hidden)
        .then(pl.lit("not_computable"))  # a share we compute: a part is secret, not the share
        .otherwise(pl.lit("missing"))
        .alias("__status"),
        pl.lit("recomputed").alias("method"),
        n_hidden.alias("__nh"),
        n_parts.alias("__np"),
    ).pipe(_parts)


def _parts(rows: pl.DataFrame) -> pl.DataFrame:
    """`__status` → status, with parts_hidden / parts_total on a not_computable row only."""
    nc = pl.col("__status") == "not_computable"
    return rows.with_columns(
        pl.col("__status").alias("status"),
        pl.when(nc).then(pl.col("__nh")).alias("parts_hidden"),
        pl.when(nc).then(pl.col("__np")).alias("parts_total"),
    ).drop("__status", "__nh", "__np")


def _wide(part: pl.DataFrame, key: str) -> pl.DataFrame:
    """Values and hidden parts of one file, one row per `key` (IRIS code or commune): `<var>`, then
    `__h_<var>` / `__n_<var>` = parts the producer hid / parts summed (an IRIS cell is one part)."""
    if "hidden" not in part.columns:
        part = part.with_columns(
            (pl.col("status") == "suppressed").cast(pl.Int64).alias("hidden"),
            pl.lit(1, pl.Int64).alias("parts"),
        )
    wide = part.pivot(on="variable", index=key, values="value", aggregate_function=None)
    for column, prefix in (("hidden", "__h_"), ("parts", "__n_")):
        extra = part.with_columns((prefix + pl.col("variable")).alias("variable")).pivot(
            on="variable", index=key, values=column, aggregate_function=None
        )
        wide = wide.join(extra, on=key, how="left")
    return wide.rename({key: "territory_code"})


def _commune_sums(part: pl.DataFrame) -> pl.DataFrame:
    """Sum every variable over the IRIS of each commune (NULL as soon as one IRIS has no value)."""
    return (
        part.group_by("com", "variable")
        .agg(
            pl.when(pl.col("value").null_count() == 0).then(pl.col("value").sum()).alias("value"),
            (pl.col("status") == "suppressed").sum().alias("hidden"),
            pl.len().alias("parts"),
            pl.when((pl.col("status") == "suppressed").any())
            .then(pl.lit("suppressed"))
            .when(pl.col("value").null_count() > 0)
            .then(pl.lit("missing"))
            .otherwise(pl.lit("published"))
            .alias("status"),
        )
        .sort("com", "variable")
    )


def insee_rp_observations(staged: pl.DataFrame) -> pl.DataFrame:
    """Staged IRIS files (sources.insee_rp.STAGED_SCHEMA + source_sha256) → IRIS and commune observations.

    Only IRIS rows are used (commune rows a file may carry are never added to their IRIS). Two files of
    the same theme and vintage with different contents are refused (ValueError naming both).
    """
    if staged.is_empty():
        return empty_observations()
    iris = staged.filter(pl.col("level") == "iris")
    files = iris.select(_FILE_KEYS).unique()
    twice = files.filter(pl.struct("theme", "vintage").is_duplicated())
    if twice.height:
        first = twice.sort(_FILE_KEYS).row(0, named=True)
        shas = twice.filter(pl.col("theme") == first["theme"])["source_sha256"].to_list()
        raise ValueError(
            f"two different files of the census IRIS base {first['theme']} {first['vintage']}: "
            f"sha256 {', '.join(sorted(str(x)[:12] for x in shas))}; keep one"
        )
    parts: list[pl.DataFrame] = []
    for (theme, vintage, sha), part in iris.group_by(_FILE_KEYS, maintain_order=True):
        geo = str(part["geo_version"][0])
        meta = {
            "period": str(vintage),
            "source_vintage": str(vintage),
            "source_sha256": str(sha),
        }
        iris_wide = _wide(part.select("code", "variable", "value", "status"), "code")
        commune_wide = _wide(_commune_sums(part), "com")
        for ind in INDICATORS:
            if ind.theme != theme:
                continue
            for kind, wide, version, count_method in (
                ("iris", iris_wide, geo, "published"),
                ("commune", commune_wide, geo.replace("iris", "cog"), "summed"),
            ):
                rows = _indicator_rows(wide, ind, count_method=count_method)
                if rows is None:
                    continue
                parts.append(
                    rows.with_columns(
                        pl.lit(kind).alias("territory_kind"),
                        pl.lit(version).alias("geo_version"),
                        pl.lit(meta["period"]).alias("period"),
                        pl.lit("year").alias("period_type"),
                        pl.lit(DATASET).alias("source_dataset"),
                        pl.lit(meta["source_vintage"]).alias("source_vintage"),
                        pl.lit(meta["source_sha256"]).alias("source_sha256"),
                    )
                )
    if not parts:
        return empty_observations()
    out = conform_observations(pl.concat(parts, how="diagonal"))
    return out.sort("indicator_id", "territory_kind", "territory_code", "period")


def insee_rp_reference_observations(
    observations: pl.DataFrame, links: pl.DataFrame, catalog: pl.DataFrame
) -> pl.DataFrame:
    """EPCI, département and France figures from the IRIS-summed commune figures (models.aggregate)."""
    communes = observations.filter(pl.col("territory_kind") == "commune")
    if communes.is_empty():
        return empty_observations()
    out = aggregate_to_references(communes, links, catalog)
    return out.filter(pl.col("territory_kind").is_in(["epci", "departement", "france"]))
