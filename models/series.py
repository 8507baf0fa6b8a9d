"""Time series over observations: explicit gaps, revisions, geography coverage, shares, newer periods.

Pure functions on frames in the observation shape (models/observation.py). Rules:
- a series is (indicator_id, territory_kind, territory_code, geo_version, period_type): figures of two
  geographies (qpv2015 / qpv2024, two COG vintages) are never joined into one series;
- a period absent between the first and last published period is a gap: it becomes an explicit row with
  status ``missing`` and a NULL value, never a zero;
- a period published twice with different values: the later release wins and the change is logged.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import polars as pl

from models.observation import SECRET, conform_observations

SERIES_KEY = ("indicator_id", "territory_kind", "territory_code", "geo_version", "period_type")
PERIOD_KEY = (*SERIES_KEY, "period")

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DARES_QUARTER = re.compile(r"(\d{4})-T([1-4])")


# --- periods ------------------------------------------------------------------------------------------
def normalize_period(raw: str, *, month_reference: bool = False) -> tuple[str, str]:
    """(period, period_type) of a label as publishers write it.

    ``2024-T4``/``2024-Q4`` → quarter; ``2024-12-31`` → date; ``2024`` → year; ``2024-12`` → the month's
    last day (date). With `month_reference` (data.caf.fr ``dtreffre``, stored as the first of the
    reference month, ``2024-12-01``), any ``YYYY-MM[-DD]`` becomes the last day of that month.
    """
    s = raw.strip()
    m = _DARES_QUARTER.fullmatch(s) or _QUARTER.fullmatch(s)
    if m:
        return f"{m.group(1)}-Q{m.group(2)}", "quarter"
    m = _DATE.fullmatch(s[:10])
    if m and not month_reference:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat(), "date"
    m = m or _MONTH.fullmatch(s[:7])
    if m and (month_reference or len(s) == 7):
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{y:04d}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}", "date"
    if _YEAR.fullmatch(s):
        return s, "year"
    raise ValueError(f"unrecognised period label {raw!r}")


def period_ordinal(period: str, period_type: str) -> int:
    """A sortable integer: quarters count quarters, years and dates count days/years."""
    if period_type == "quarter":
        m = _QUARTER.fullmatch(period)
        if not m:
            raise ValueError(f"not a quarter: {period!r}")
        return int(m.group(1)) * 4 + int(m.group(2)) - 1
    if period_type == "year":
        return int(period)
    if period_type == "date":
        return date.fromisoformat(period).toordinal()
    raise ValueError(f"unsupported period_type {period_type!r}")


def period_range(first: str, last: str, period_type: str) -> list[str]:
    """Every period from first to last inclusive: quarters, years, or yearly dates (same month-day)."""
    if period_type == "quarter":
        a, b = period_ordinal(first, "quarter"), period_ordinal(last, "quarter")
        return [f"{q // 4}-Q{q % 4 + 1}" for q in range(a, b + 1)]
    if period_type == "year":
        return [str(y) for y in range(int(first), int(last) + 1)]
    if period_type == "date":
        d0, d1 = date.fromisoformat(first), date.fromisoformat(last)
        if (d0.month, d0.day) != (d1.month, d1.day):
            raise ValueError(f"dates {first} and {last} are not a yearly series (different month-day)")
        out = []
        for y in range(d0.year, d1.year + 1):
            day = min(d0.day, calendar.monthrange(y, d0.month)[1])
            out.append(date(y, d0.month, day).isoformat())
        return out
    raise ValueError(f"unsupported period_type {period_type!r}")


# --- explicit gaps ------------------------------------------------------------------------------------
def _ordinal_expr(period: pl.Expr, period_type: pl.Expr) -> pl.Expr:
    """Vectorised ordinal: quarters count quarters; years and yearly dates count years."""
    year = period.str.slice(0, 4).cast(pl.Int64, strict=False)
    quarter = period.str.extract(r"^\d{4}-Q([1-4])$", 1).cast(pl.Int64, strict=False)
    return pl.when(period_type == "quarter").then(year * 4 + quarter - 1).otherwise(year)


def build_series(
    observations: pl.DataFrame,
    *,
    start: str | None = None,
    end: str | None = None,
    step: int = 1,
) -> pl.DataFrame:
    """Observations with every gap made explicit.

    For each series (SERIES_KEY), every period between its first and last (or `start`/`end` when given,
    same period_type) is present; absent ones are added with status ``missing``, value NULL, method NULL.
    `step` is the publisher's cadence in periods: 4 for a quarterly label published once a year (the
    DARES communal export holds only T4s), so Q1-Q3 are not invented as gaps. Dates are yearly series
    (same month-day). Existing rows are kept untouched. Duplicated periods must be resolved first
    (resolve_revisions).
    """
    if step < 1:
        raise ValueError(f"step must be ≥ 1, got {step}")
    obs = conform_observations(observations)
    dup = obs.group_by(PERIOD_KEY).len().filter(pl.col("len") > 1)
    if dup.height:
        raise ValueError(f"{dup.height} period(s) published more than once: call resolve_revisions first")
    if obs.height == 0:
        return obs
    bad_types = set(obs["period_type"].unique().to_list()) - {"quarter", "year", "date"}
    if bad_types:
        raise ValueError(f"unsupported period_type {sorted(map(str, bad_types))}")
    keyed = obs.with_columns(
        _ordinal_expr(pl.col("period"), pl.col("period_type")).alias("_ord"),
        pl.when(pl.col("period_type") == "date").then(pl.col("period").str.slice(4)).alias("_md"),
    )
    if keyed["_ord"].null_count():
        bad = keyed.filter(pl.col("_ord").is_null()).row(0, named=True)
        raise ValueError(f"unreadable period {bad['period']!r} ({bad['period_type']})")
    spans = keyed.group_by(list(SERIES_KEY), maintain_order=True).agg(
        pl.col("_ord").min().alias("_first"),
        pl.col("_ord").max().alias("_last"),
        pl.col("_md").n_unique().alias("_n_md"),
        pl.col("_md").first().alias("_md"),
    )
    mixed = spans.filter((pl.col("period_type") == "date") & (pl.col("_n_md") > 1))
    if mixed.height:
        raise ValueError(f"{mixed.height} date series are not yearly (different month-day)")
    for bound, name in ((start, "_first"), (end, "_last")):
        if bound is not None:
            spans = spans.with_columns(_ordinal_expr(pl.lit(bound), pl.col("period_type")).alias(name))
    grid = (
        spans.with_columns(pl.int_ranges("_first", pl.col("_last") + 1, step).alias("_ord"))
        .explode("_ord")
        .drop_nulls("_ord")
        .with_columns(
            pl.when(pl.col("period_type") == "quarter")
            .then(
                (pl.col("_ord") // 4).cast(pl.String)
                + pl.lit("-Q")
                + (pl.col("_ord") % 4 + 1).cast(pl.String)
            )
            .when(pl.col("period_type") == "date")
            .then(pl.col("_ord").cast(pl.String).str.zfill(4) + pl.col("_md"))
            .otherwise(pl.col("_ord").cast(pl.String))
            .alias("period")
        )
        .select(*SERIES_KEY, "period")
    )
    gaps = grid.join(obs.select(PERIOD_KEY), on=list(PERIOD_KEY), how="anti", nulls_equal=True)
    if gaps.height == 0:
        return obs
    gaps = conform_observations(gaps.with_columns(pl.lit("missing").alias("status")))
    return pl.concat([obs, gaps]).sort([*SERIES_KEY, pl.col("period")], maintain_order=True)


def series_gaps(series: pl.DataFrame) -> pl.DataFrame:
    """The `missing` rows of a built series (one per gap)."""
    return series.filter(pl.col("status") == "missing").select(PERIOD_KEY)


# --- revisions ----------------------------------------------------------------------------------------
REVISION_LOG_SCHEMA: dict[str, pl.DataType] = {
    **{k: pl.String() for k in PERIOD_KEY},
    "old_value": pl.Float64(),
    "new_value": pl.Float64(),
    "old_status": pl.String(),
    "new_status": pl.String(),
    "old_vintage": pl.String(),
    "new_vintage": pl.String(),
}


def resolve_revisions(
    observations: pl.DataFrame, *, release_order: Sequence[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per period, log of changed figures).

    When a period is published by several releases, the latest release wins. Release order is
    `release_order` (list of source_vintage labels, oldest first) or else the lexical order of
    source_vintage (labels such as ``2024-03-28`` or ``2023-T4`` sort chronologically). The log has one
    row per (period, successive pair of releases) whose value or status differ; identical re-publications
    are not logged.
    """
    obs = conform_observations(observations)
    if release_order is not None:
        rank = {v: i for i, v in enumerate(release_order)}
        unknown = set(obs["source_vintage"].drop_nulls().unique().to_list()) - set(rank)
        if unknown:
            raise ValueError(f"source_vintage not in release_order: {sorted(unknown)}")
        obs = obs.with_columns(
            pl.col("source_vintage").replace_strict(rank, return_dtype=pl.Int64).alias("_rank")
        )
    else:
        obs = obs.with_columns(pl.col("source_vintage").rank("dense").cast(pl.Int64).alias("_rank"))
    # Only periods published more than once need ordering: they are found with one hash pass, sorted
    # by period then release, and compared with the previous row of the same period (a shift along the
    # sorted rows, no window per group). Every other row is kept as it is, in its original order.
    key = list(PERIOD_KEY)
    obs = obs.with_row_index("_i").with_columns(pl.struct(key).is_duplicated().alias("_dup"))
    repeated = obs.filter(pl.col("_dup")).sort([*key, "_rank", "_i"])
    starts = pl.lit(False)
    for c in key:
        starts = starts | ~pl.col(c).eq_missing(pl.col(c).shift(1))
    starts = starts | (pl.int_range(pl.len()) == 0)
    repeated = repeated.with_columns(starts.alias("_start")).with_columns(
        *(
            pl.when(~pl.col("_start")).then(pl.col(c).shift(1)).alias(alias)
            for c, alias in (
                ("value", "old_value"),
                ("status", "old_status"),
                ("source_vintage", "old_vintage"),
            )
        ),
        pl.col("_start").shift(-1, fill_value=True).alias("_last"),
    )
    changed = repeated.filter(
        ~pl.col("_start")
        & (
            (pl.col("value").fill_null(float("nan")) != pl.col("old_value").fill_null(float("nan")))
            | (pl.col("status") != pl.col("old_status"))
        )
    )
    log = changed.select(
        *PERIOD_KEY,
        "old_value",
        pl.col("value").alias("new_value"),
        "old_status",
        pl.col("status").alias("new_status"),
        "old_vintage",
        pl.col("source_vintage").alias("new_vintage"),
    ).cast(REVISION_LOG_SCHEMA)  # type: ignore[arg-type]
    winners = repeated.filter(pl.col("_last"))["_i"]
    latest = obs.filter(~pl.col("_dup") | pl.col("_i").is_in(winners.implode()))
    return conform_observations(latest), log


def observations_per_file(staged: pl.DataFrame, observe: Callable[..., pl.DataFrame]) -> list[pl.DataFrame]:
    """`observe(rows, source_dataset=…, source_vintage=…, sha256=…)` for the rows of each file of a staged
    table (its provenance columns), in the order of the table."""
    return [
        observe(group, source_dataset=str(dataset), source_vintage=str(vintage), sha256=str(sha))
        for (dataset, vintage, sha), group in staged.group_by(
            ["source_dataset", "source_vintage", "source_sha256"], maintain_order=True
        )
    ]


def latest_per_dataset(observations: pl.DataFrame) -> tuple[list[tuple[str, pl.DataFrame]], pl.DataFrame]:
    """([(source dataset, its observations with the latest release of each period)], revision log of
    every dataset): `resolve_revisions` dataset by dataset, in the order of the frame."""
    latest: list[tuple[str, pl.DataFrame]] = []
    logs: list[pl.DataFrame] = []
    for (dataset,), group in observations.group_by(["source_dataset"], maintain_order=True):
        resolved, changes = resolve_revisions(group)
        latest.append((str(dataset), resolved))
        logs.append(changes)
    return latest, pl.concat(logs)


# --- geographies ---------------------------------------------------------------------------------------
QPV_GEOGRAPHIES = ("qpv2015", "qpv2024")


def geography_coverage(observations: pl.DataFrame) -> pl.DataFrame:
    """Per indicator × period: how many QPV figures exist in each geography, and a plain label.

    coverage = ``both``, ``qpv2015_only`` (only the old geography exists: say so), ``qpv2024_only`` or
    ``none``. Only rows with a value or a suppressed status count as published figures.
    """
    obs = conform_observations(observations).filter(
        pl.col("geo_version").is_in(list(QPV_GEOGRAPHIES)) & (pl.col("status") != "missing")
    )
    counts = (
        obs.group_by(["indicator_id", "period", "period_type"])
        .agg(
            (pl.col("geo_version") == "qpv2015").sum().cast(pl.Int64).alias("n_qpv2015"),
            (pl.col("geo_version") == "qpv2024").sum().cast(pl.Int64).alias("n_qpv2024"),
        )
        .with_columns(
            pl.when((pl.col("n_qpv2015") > 0) & (pl.col("n_qpv2024") > 0))
            .then(pl.lit("both"))
            .when(pl.col("n_qpv2015") > 0)
            .then(pl.lit("qpv2015_only"))
            .when(pl.col("n_qpv2024") > 0)
            .then(pl.lit("qpv2024_only"))
            .otherwise(pl.lit("none"))
            .alias("coverage")
        )
    )
    return counts.sort(["indicator_id", "period"])


# --- share of a parent's total ----------------------------------------------------------------------------
def share_of_parent(
    child_obs: pl.DataFrame,
    parent_obs: pl.DataFrame,
    links: pl.DataFrame,
    *,
    indicator_id: str,
    share_indicator_id: str,
) -> pl.DataFrame:
    """Share (%) of the parent territories' total that lives in each child, as observations.

    "X % des demandeurs d'emploi de la commune habitent le quartier": child = QPV, parent = commune(s).
    `links` has columns child_code, child_geo_version, parent_code (one row per QPV × commune; a QPV on
    several communes is compared with their sum). Only identical periods are matched, and a parent
    figure is needed for every linked commune: otherwise the share is ``missing`` (or ``not_computable``
    when a needed figure was secret: ``parts_hidden`` of the QPV's and its communes' figures).
    numerator = child count, denominator = parents' sum.
    """
    child = conform_observations(child_obs).filter(pl.col("indicator_id") == indicator_id)
    parent = conform_observations(parent_obs).filter(pl.col("indicator_id") == indicator_id)
    lk = links.select(
        pl.col("child_code").cast(pl.String),
        pl.col("child_geo_version").cast(pl.String),
        pl.col("parent_code").cast(pl.String),
    ).unique()
    n_parents = lk.group_by(["child_code", "child_geo_version"]).len("n_links")
    joined = child.join(
        lk, left_on=["territory_code", "geo_version"], right_on=["child_code", "child_geo_version"]
    ).join(
        parent.select(
            pl.col("territory_code").alias("parent_code"),
            "period",
            "period_type",
            pl.col("value").alias("parent_value"),
            pl.col("status").alias("parent_status"),
        ),
        on=["parent_code", "period", "period_type"],
        how="left",
    )
    agg = joined.group_by(
        ["territory_kind", "territory_code", "geo_version", "period", "period_type"], maintain_order=True
    ).agg(
        pl.col("value").first().alias("numerator"),
        pl.col("status").first().alias("child_status"),
        pl.col("parent_value").sum().alias("denominator"),
        pl.col("parent_value").is_not_null().sum().alias("n_parent_values"),
        pl.col("parent_status").is_in(SECRET).sum().alias("parent_hidden"),
        pl.col("source_dataset").first(),
        pl.col("source_vintage").first(),
        pl.col("source_sha256").first(),
    )
    agg = agg.join(
        n_parents, left_on=["territory_code", "geo_version"], right_on=["child_code", "child_geo_version"]
    )
    complete = (pl.col("n_parent_values") == pl.col("n_links")) & pl.col("numerator").is_not_null()
    complete = complete & (pl.col("denominator") > 0)
    hidden = pl.col("child_status").is_in(SECRET).cast(pl.Int64) + pl.col("parent_hidden").cast(pl.Int64)
    out = agg.with_columns(
        pl.lit(share_indicator_id).alias("indicator_id"),
        pl.when(complete).then(100.0 * pl.col("numerator") / pl.col("denominator")).alias("value"),
        pl.when(complete).then(pl.col("denominator")).alias("denominator"),
        pl.when(complete)
        .then(pl.lit("published"))
        .when(hidden > 0)
        .then(pl.lit("not_computable"))
        .otherwise(pl.lit("missing"))
        .alias("status"),
        pl.lit("recomputed").alias("method"),
        pl.when(~complete & (hidden > 0)).then(hidden).alias("parts_hidden"),
        pl.when(~complete & (hidden > 0)).then(pl.col("n_links").cast(pl.Int64) + 1).alias("parts_total"),
    )
    return conform_observations(out)


# --- newer period detection (for the sensor) ----------------------------------------------------------------
@dataclass(frozen=True)
class NewerPeriod:
    """Decision of detect_newer_period."""

    newer: bool
    remote_latest: str | None  # normalised latest period seen in the catalogue, if any
    reason: str


def periods_in_catalogue(
    payload: Mapping[str, object], field: str, *, month_reference: bool = False
) -> list[tuple[str, str]]:
    """Normalised (period, period_type) listed by an OpenDataSoft `records?group_by=<field>` answer
    (``{"results": [{"dtreffre": "2024-12"}, …]}``) or a plain ``{"periods": [...]}`` list."""
    results = payload.get("results")
    plain = payload.get("periods")
    raw: list[object] = []
    if isinstance(results, list):
        raw = [r.get(field) for r in results if isinstance(r, Mapping)]
    elif isinstance(plain, list):
        raw = list(plain)
    else:
        raise ValueError("catalogue payload has neither 'results' nor 'periods'")
    return [normalize_period(str(v), month_reference=month_reference) for v in raw if v not in (None, "")]


def _http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def detect_newer_period(
    local_latest: str | None,
    *,
    catalogue: Mapping[str, object] | None = None,
    period_field: str = "dtreffre",
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    known_etag: str | None = None,
    known_last_modified: str | None = None,
) -> NewerPeriod:
    """Does the publisher have a period newer than `local_latest` (our latest period, any label form)?

    1. With a catalogue answer listing periods: newer iff its latest period is after ours.
    2. Else with the answer to a conditional request: 304 → no; a different ETag or a later
       Last-Modified than the ones we stored → yes (the content changed: a new period or a revision;
       the asset run decides which).
    Nothing to compare → no, with the reason.
    """
    month_reference = period_field == "dtreffre"
    local = normalize_period(local_latest, month_reference=month_reference) if local_latest else None
    if catalogue is not None:
        periods = periods_in_catalogue(catalogue, period_field, month_reference=month_reference)
        if not periods:
            return NewerPeriod(False, None, "catalogue lists no period")
        types = {t for _, t in periods}
        if len(types) != 1:
            raise ValueError(f"catalogue mixes period types {sorted(types)}")
        ptype = types.pop()
        latest = max(periods, key=lambda p: period_ordinal(p[0], ptype))[0]
        if local is None:
            return NewerPeriod(True, latest, "no local period yet")
        if local[1] != ptype:
            raise ValueError(f"local period {local[0]!r} ({local[1]}) and catalogue ({ptype}) differ in type")
        if period_ordinal(latest, ptype) > period_ordinal(local[0], ptype):
            return NewerPeriod(True, latest, f"catalogue has {latest}, local latest is {local[0]}")
        return NewerPeriod(False, latest, f"catalogue latest {latest} is not after local {local[0]}")
    if status_code == 304:
        return NewerPeriod(False, None, "304 Not Modified")
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    etag = hdrs.get("etag")
    if etag is not None and known_etag is not None:
        if etag != known_etag:
            return NewerPeriod(True, None, f"ETag changed ({known_etag} → {etag})")
        return NewerPeriod(False, None, "same ETag")
    lm = hdrs.get("last-modified")
    if lm is not None and known_last_modified is not None:
        new, old = _http_date(lm), _http_date(known_last_modified)
        if new is None or old is None:
            return NewerPeriod(
                lm != known_last_modified, None, "Last-Modified not parseable; compared as text"
            )
        if new > old:
            return NewerPeriod(True, None, f"Last-Modified moved from {known_last_modified} to {lm}")
        return NewerPeriod(False, None, "Last-Modified not later")
    if etag is not None or lm is not None:
        return NewerPeriod(True, None, "no stored validator yet")
    return NewerPeriod(False, None, "nothing to compare")


