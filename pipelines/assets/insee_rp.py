"""INSEE census "bases infracommunales" (IRIS): population, logement, couples-familles-ménages,
activité des résidents, diplômes-formation; their IRIS and commune figures (sum of the IRIS weighted
estimates), and the EPCI / département / France figures derived from the communes.

Files come through the `sources` resource: the five RP 2022 zips at their official URLs (or a mirror),
or any vintage given with `refresh --files` (recognised from the header: theme and vintage).
"""

from __future__ import annotations

import polars as pl
from dagster import AssetCheckResult, AssetIn, asset, asset_check

from checks import insee_rp as checks
from checks.observation import shares_out_of_range
from models.insee_rp import insee_rp_catalog, insee_rp_observations, insee_rp_reference_observations
from models.observation import empty_observations
from pipelines.assets.check_report import offenders
from pipelines.resources import SourcesResource
from sources._errors import SourceFormatError
from sources.insee_rp import STAGED_SCHEMA, parse_insee_rp
from sources.insee_rp import settings as s

GROUP = "insee_rp"
STAGED_COLUMNS: dict[str, pl.DataType] = {**STAGED_SCHEMA, "source_sha256": pl.String()}


@asset(group_name=GROUP, compute_kind="polars")
def stg_insee_rp(sources: SourcesResource) -> pl.DataFrame:
    """Census IRIS bases (RP, INSEE), long: one row per IRIS × variable × file, variables under their
    stable names (P22_POP → P_POP), weighted estimates as published (decimals), theme and census vintage
    read from the header; commune rows some editions carry are dropped (communes are rebuilt from IRIS)."""
    frames = []
    for ob in sources.obtain(s.DATASET):
        staged = parse_insee_rp(ob.file.path, member=ob.member)
        if staged.height:
            label = f"{staged['vintage'][0]} {staged['theme'][0]}"
            expected = ob.layout.vintage
            if expected != label and expected.split()[-1] in s.THEMES:
                raise SourceFormatError(
                    ob.file.url or str(ob.file.path),
                    f"expected the census IRIS base {expected!r}, the header says {label!r}",
                )
        staged = staged.with_columns(pl.lit(ob.file.sha256).alias("source_sha256"))
        frames.append(checks.StagedInseeRpModel.validate(staged))
    if not frames:
        return pl.DataFrame(schema=STAGED_COLUMNS)
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in STAGED_COLUMNS.items()])


@asset(group_name=GROUP, compute_kind="polars")
def insee_rp_indicator() -> pl.DataFrame:
    """Indicators fed by the census IRIS bases: population and age bands, households, single-parent
    families, social housing, activity and unemployment of the 15-64, diplomas of the non-students aged
    15 or more, schooling of the 18-24 (ids shared with the other INSEE sources where they mean the same)."""
    return insee_rp_catalog()


@asset(group_name=GROUP, compute_kind="polars")
def insee_rp_observation(stg_insee_rp: pl.DataFrame) -> pl.DataFrame:
    """IRIS figures (INSEE's weighted estimates; shares recomputed from the file's counts) and commune
    figures (sum of the commune's IRIS estimates, method `summed`; shares recomputed from the summed
    counts, method `recomputed`); period = census vintage."""
    out = insee_rp_observations(stg_insee_rp)
    return checks.InseeRpObservationModel.validate(out) if out.height else empty_observations()


@asset(group_name=GROUP, compute_kind="polars")
def insee_rp_reference_observation(
    insee_rp_observation: pl.DataFrame, insee_rp_indicator: pl.DataFrame, territory_link: pl.DataFrame
) -> pl.DataFrame:
    """EPCI, département and France métropolitaine figures from the IRIS-summed commune figures: counts
    summed when every commune has one, shares recomputed from numerators and denominators."""
    out = insee_rp_reference_observations(insee_rp_observation, territory_link, insee_rp_indicator)
    return checks.InseeRpObservationModel.validate(out) if out.height else empty_observations()


@asset_check(
    asset=insee_rp_reference_observation,
    additional_ins={
        "insee_rp_observation": AssetIn("insee_rp_observation"),
        "insee_rp_indicator": AssetIn("insee_rp_indicator"),
    },
    blocking=True,
    description="Census IRIS shares are in [0, 100] and their numerators never exceed their denominators",
)
def insee_rp_shares_valid(
    insee_rp_reference_observation: pl.DataFrame,
    insee_rp_observation: pl.DataFrame,
    insee_rp_indicator: pl.DataFrame,
) -> AssetCheckResult:
    both = pl.concat([insee_rp_observation, insee_rp_reference_observation])
    out_of_range = shares_out_of_range(both, insee_rp_indicator)
    over = checks.numerator_exceeds_denominator(both, insee_rp_indicator)
    found = {"out_of_range": out_of_range, "numerator_over_denominator": over}
    return offenders(found, out_of_range if out_of_range.height else over)


@asset_check(
    asset=insee_rp_observation,
    blocking=True,
    description="Every commune count is the sum of its IRIS counts (same file and census vintage)",
)
def insee_rp_communes_sum_their_iris(insee_rp_observation: pl.DataFrame) -> AssetCheckResult:
    bad = checks.communes_not_sum_of_iris(insee_rp_observation)
    return offenders({"rows": bad}, bad)


ASSETS = [stg_insee_rp, insee_rp_indicator, insee_rp_observation, insee_rp_reference_observation]
CHECKS = [insee_rp_shares_valid, insee_rp_communes_sum_their_iris]
PUBLISHED: list[str] = []
STAGED = ["stg_insee_rp"]
OBSERVATIONS = ["insee_rp_observation", "insee_rp_reference_observation"]
CATALOGS = ["insee_rp_indicator"]
