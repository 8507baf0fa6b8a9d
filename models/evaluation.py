"""A contract's evaluation against its frozen baseline: pure Polars, no I/O.

Each QPV line is put next to each reference territory, at the baseline and now: change of the QPV, change
of the reference, gap (QPV − reference) then and now, change of the gap, and a comparability flag of the
QPV's change and one of the gap's change (the worse of the QPV's and the reference's), with the reasons in
words (same definition? same geography? vintages comparable?).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from models.baseline import METHOD_FR, STATUS_FR, USABLE, period_end, period_year

# Kinds below the commune: INSEE's warnings on consecutive vintages apply to them.
INFRA_COMMUNAL = ("qpv2024", "qpv2015", "iris", "ensemble_qpv")


# Figures from the rolling census (five annual surveys per vintage): INSEE advises comparing vintages at
# least five years apart, and never two consecutive vintages below the commune. Identified by theme for
# the INSEE datasets that carry census blocks (QPV DEMO/IPRO bases, comparateur).
CENSUS_DATASETS = ("insee_qpv_demo", "insee_qpv_ipro", "insee_comparateur", "insee_rp")


CENSUS_THEMES = ("population", "menages", "logement", "emploi")


CENSUS_MIN_YEARS = 5


# INSEE infra-communal figures (Filosofi, Fidéli…): two consecutive vintages must not measure change.
INSEE_DATASET_PREFIXES = ("insee", "filosofi")


# Comparability flags, from best to worst.
FLAGS = ("comparable", "avec_reserve", "non_comparable", "non_mesurable")


FLAG_FR = {
    "comparable": "comparable",
    "avec_reserve": "comparable avec réserve",
    "non_comparable": "non comparable",
    "non_mesurable": "évolution non mesurable",
}


EVALUATION_SCHEMA: dict[str, pl.DataType] = {
    "contract": pl.String(),
    "baseline_date": pl.Date(),
    "evaluated_at": pl.Date(),
    "indicator_id": pl.String(),
    "theme": pl.String(),
    "label_fr": pl.String(),
    "unit": pl.String(),
    "role": pl.String(),
    "qpv_code": pl.String(),
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "territory_name": pl.String(),
    "reference_kind": pl.String(),
    "reference_code": pl.String(),
    "reference_name": pl.String(),
    "qpv_period_baseline": pl.String(),
    "qpv_value_baseline": pl.Float64(),
    "qpv_status_baseline": pl.String(),
    "qpv_geo_baseline": pl.String(),
    "qpv_period_now": pl.String(),
    "qpv_value_now": pl.Float64(),
    "qpv_status_now": pl.String(),
    "qpv_geo_now": pl.String(),
    "qpv_change": pl.Float64(),
    "ref_period_baseline": pl.String(),
    "ref_value_baseline": pl.Float64(),
    "ref_period_now": pl.String(),
    "ref_value_now": pl.Float64(),
    "ref_change": pl.Float64(),
    "gap_baseline": pl.Float64(),
    "gap_now": pl.Float64(),
    "gap_change": pl.Float64(),
    "gap_reduced": pl.Boolean(),
    "comparability": pl.String(),  # of the QPV's change
    "gap_comparability": pl.String(),  # of the change of the gap (NULL for counts: no gap)
    "reason": pl.String(),
    "qpv_source_baseline": pl.String(),
    "qpv_sha256_baseline": pl.String(),
    "qpv_source_now": pl.String(),
    "qpv_sha256_now": pl.String(),
}


_SIDE = [
    "period",
    "period_type",
    "value",
    "status",
    "geo_version",
    "method",
    "source_dataset",
    "source_vintage",
]


def compare_figures(
    before: dict[str, object],
    after: dict[str, object],
    *,
    kind: str,
    theme: str | None,
    definition_now: tuple[str | None, str | None] | None,
) -> tuple[str, list[str]]:
    """Comparability of one territory's figure at the baseline (``before``) and now (``after``).

    Both are dicts with _SIDE keys plus ``unit`` and ``definition`` for ``before``; ``definition_now``
    is the current catalog's (unit, definition), None when the indicator left the catalog. Returns the
    flag (FLAGS) and the reasons in French."""
    flags: list[str] = []
    reasons: list[str] = []

    def add(flag: str, reason: str) -> None:
        flags.append(flag)
        reasons.append(reason)

    b_ok = before.get("status") in USABLE and before.get("value") is not None
    a_ok = after.get("status") in USABLE and after.get("value") is not None
    if not b_ok:
        st = STATUS_FR.get(str(before.get("status") or "missing"), str(before.get("status")))
        add("non_mesurable", f"valeur initiale : {st}" + _in(before))
    if not a_ok:
        st = STATUS_FR.get(str(after.get("status") or "missing"), str(after.get("status")))
        add("non_mesurable", f"valeur actuelle : {st}" + _in(after))
    if definition_now is None:
        add("non_comparable", "indicateur retiré du catalogue actuel")
    elif (before.get("unit"), before.get("definition")) != definition_now:
        add(
            "non_comparable",
            f"définition modifiée depuis la référence (unité {before.get('unit')} → {definition_now[0]}, "
            f"« {before.get('definition')} » → « {definition_now[1]} »)",
        )
    if b_ok and a_ok:
        bp, ap = str(before["period"]), str(after["period"])
        by, ay = period_year(bp), period_year(ap)
        if before.get("period_type") != after.get("period_type"):
            add(
                "non_comparable",
                f"types de période différents ({before.get('period_type')} → {after.get('period_type')})",
            )
        elif bp == ap:
            add("non_mesurable", f"pas de nouveau millésime depuis la référence (période {bp})")
        elif (
            (pe := period_end(ap, str(after.get("period_type"))))
            and (pb := period_end(bp, str(before.get("period_type"))))
            and pe < pb
        ):
            add("non_comparable", f"période actuelle {ap} antérieure à la référence {bp}")
        if before.get("geo_version") != after.get("geo_version"):
            if kind in INFRA_COMMUNAL:
                add(
                    "non_comparable",
                    f"géographie différente ({before.get('geo_version')} → {after.get('geo_version')}) : "
                    "les périmètres ne sont pas les mêmes",
                )
            else:
                add(
                    "avec_reserve",
                    f"version du code officiel géographique différente ({before.get('geo_version')} → "
                    f"{after.get('geo_version')}) : vérifier que le territoire n'a pas changé",
                )
        bm, am = before.get("method"), after.get("method")
        if bm != am:
            bmf, amf = METHOD_FR.get(str(bm), str(bm)), METHOD_FR.get(str(am), str(am))
            if "grid_estimate" in (bm, am):
                add("non_comparable", f"méthode différente ({bmf} → {amf})")
            else:
                add("avec_reserve", f"méthode différente ({bmf} → {amf})")
        elif bm == "grid_estimate":
            add("avec_reserve", "deux estimations carroyées : comparer aussi leurs intervalles")
        if before.get("source_dataset") != after.get("source_dataset"):
            add(
                "avec_reserve",
                f"source différente ({before.get('source_dataset')} → {after.get('source_dataset')})",
            )
        census = str(before.get("source_dataset")) in CENSUS_DATASETS and theme in CENSUS_THEMES
        insee = str(before.get("source_dataset") or "").startswith(INSEE_DATASET_PREFIXES)
        if by is not None and ay is not None and ay > by:
            gap = ay - by
            if census and gap < CENSUS_MIN_YEARS:
                if kind in INFRA_COMMUNAL:
                    add(
                        "non_comparable",
                        f"recensement {by} → {ay} : INSEE déconseille de mesurer une évolution entre deux "
                        f"millésimes distants de moins de {CENSUS_MIN_YEARS} ans, et l'interdit entre deux "
                        "millésimes consécutifs à l'échelle infra-communale",
                    )
                else:
                    add(
                        "avec_reserve",
                        f"recensement {by} → {ay} : INSEE recommande au moins {CENSUS_MIN_YEARS} ans "
                        "d'écart entre millésimes",
                    )
            elif insee and kind in INFRA_COMMUNAL and gap == 1:
                add(
                    "non_comparable",
                    f"millésimes consécutifs {by} → {ay} à l'échelle infra-communale : INSEE avertit qu'ils "
                    "ne doivent pas servir à mesurer une évolution",
                )
    if not flags:
        return "comparable", [
            f"même définition, même géographie ({after.get('geo_version')}), même méthode et source, "
            f"millésimes {before.get('period')} → {after.get('period')} comparables"
        ]
    return max(flags, key=FLAGS.index), reasons


def _in(side: dict[str, object]) -> str:
    return f" ({side['period']})" if side.get("period") else ""


def evaluate(
    baseline: pl.DataFrame,
    current: pl.DataFrame,
    *,
    indicator: pl.DataFrame,
    evaluated_at: date,
    crosswalk: pl.DataFrame | None = None,
    links: pl.DataFrame | None = None,
    keep_empty: bool = False,
) -> pl.DataFrame:
    """Evaluation lines (EVALUATION_SCHEMA): every QPV line of the baseline × its reference territories.

    ``current`` = current_figures(baseline, …); ``indicator`` = the current catalog; ``crosswalk`` (the
    qpv_crosswalk table) lets a 2015 QPV line say how much of its 2024 QPV it covers; ``links`` (the
    territory_link table) pairs a QPV only with the reference communes, EPCI and unités urbaines it lies
    in (départements, régions, France: always); without links, with every reference territory.
    Unless ``keep_empty``, an indicator × QPV with no figure at either date (status ``missing`` twice)
    gives no line: the baseline already lists it as absent."""
    key = ["role", "qpv_code", "territory_kind", "territory_code", "indicator_id"]
    b = baseline.select(
        *key,
        "contract",
        "baseline_date",
        "theme",
        "label_fr",
        "unit",
        "definition",
        "territory_name",
        "source_file_name",
        "source_sha256",
        *_SIDE,
    )
    c = current.select(*key, "source_file_name", "source_sha256", *_SIDE)
    both = b.join(c, on=key, how="left", suffix="_now", nulls_equal=True)
    qpv = both.filter(pl.col("role") != "reference")
    ref = both.filter(pl.col("role") == "reference").select(
        "indicator_id",
        pl.col("territory_kind").alias("reference_kind"),
        pl.col("territory_code").alias("reference_code"),
        pl.col("territory_name").alias("reference_name"),
        *[pl.col(s).alias(f"ref_{s}") for s in _SIDE],
        *[pl.col(f"{s}_now").alias(f"ref_{s}_now") for s in _SIDE],
    )
    if not keep_empty:
        qpv = qpv.filter(
            (pl.col("status") != "missing") | (pl.col("status_now").fill_null("missing") != "missing")
        )
    lines = qpv.join(ref, on="indicator_id", how="inner")
    pairs = _reference_pairs(links)
    if pairs is not None:
        linked = (
            pairs.select("territory_kind", "territory_code").unique().with_columns(pl.lit(True).alias("_has"))
        )
        lines = (
            lines.join(
                pairs, on=["territory_kind", "territory_code", "reference_kind", "reference_code"], how="left"
            )
            .join(linked, on=["territory_kind", "territory_code"], how="left")
            .filter(
                ~pl.col("reference_kind").is_in(_LINKED_KINDS)
                | pl.col("_linked").fill_null(False)
                | pl.col("_has").is_null()
            )
            .drop("_linked", "_has")
        )
    catalog_now = {
        r["indicator_id"]: (r["unit"], r["definition"])
        for r in indicator.select("indicator_id", "unit", "definition").iter_rows(named=True)
    }
    shares = _coverage(crosswalk)
    flags: list[str] = []
    gap_flags: list[str | None] = []
    reasons: list[str] = []
    memo: dict[tuple[object, ...], tuple[str, list[str]]] = {}
    for row in lines.iter_rows(named=True):
        parts: list[tuple[str, list[str]]] = []
        for prefix, kind, label in (
            ("", row["territory_kind"], f"QPV {row['territory_code']}"),
            ("ref_", row["reference_kind"], f"{row['reference_kind']} {row['reference_code']}"),
        ):
            before = {s: row[f"{prefix}{s}"] for s in _SIDE} | {
                "unit": row["unit"],
                "definition": row["definition"],
            }
            after = {s: row[f"{prefix}{s}_now"] for s in _SIDE}
            memo_key = (row["indicator_id"], kind, label, *before.values(), *after.values())
            if memo_key not in memo:
                memo[memo_key] = compare_figures(
                    before,
                    after,
                    kind=kind,
                    theme=row["theme"],
                    definition_now=catalog_now.get(row["indicator_id"]),
                )
            flag, why = memo[memo_key]
            parts.append((flag, [f"{label} : {w}" for w in why]))
        qpv_flag, qpv_why = parts[0]
        ref_flag, ref_why = parts[1]
        why = list(qpv_why)
        if row["role"] == "qpv2015":
            cover = shares.get((row["territory_code"], row["qpv_code"]))
            note = "périmètre 2015 (ancien zonage)"
            if row["qpv_code"] is None:
                note += ", sorti de la géographie prioritaire en 2024"
            elif cover is not None:
                pct = f"{cover * 100:.0f}"
                note += f", qui couvre {pct} % de la surface du QPV 2024 {row['qpv_code']}"
            why.append(note)
            if qpv_flag == "comparable":
                qpv_flag = "avec_reserve"
        if row["unit"] == "count":
            gap_flag = None
            why.append("écart non calculé : un effectif ne se compare pas à celui d'un autre territoire")
        else:
            gap_flag = max(qpv_flag, ref_flag, key=FLAGS.index)
            why += ref_why
        flags.append(qpv_flag)
        gap_flags.append(gap_flag)
        reasons.append("; ".join(why))
    out = lines.with_columns(
        pl.Series("comparability", flags, dtype=pl.String()),
        pl.Series("gap_comparability", gap_flags, dtype=pl.String()),
        pl.Series("reason", reasons, dtype=pl.String()),
    )
    usable = pl.col("status").is_in(USABLE) & pl.col("status_now").is_in(USABLE)
    ref_usable = pl.col("ref_status").is_in(USABLE) & pl.col("ref_status_now").is_in(USABLE)
    gap_ok = pl.col("unit") != "count"  # a gap between two head counts means nothing
    out = out.with_columns(
        pl.lit(evaluated_at).alias("evaluated_at"),
        pl.when(usable).then(pl.col("value_now") - pl.col("value")).alias("qpv_change"),
        pl.when(ref_usable).then(pl.col("ref_value_now") - pl.col("ref_value")).alias("ref_change"),
        pl.when(gap_ok & pl.col("status").is_in(USABLE) & pl.col("ref_status").is_in(USABLE))
        .then(pl.col("value") - pl.col("ref_value"))
        .alias("gap_baseline"),
        pl.when(gap_ok & pl.col("status_now").is_in(USABLE) & pl.col("ref_status_now").is_in(USABLE))
        .then(pl.col("value_now") - pl.col("ref_value_now"))
        .alias("gap_now"),
    ).with_columns(
        (pl.col("gap_now") - pl.col("gap_baseline")).alias("gap_change"),
        (pl.col("gap_now").abs() < pl.col("gap_baseline").abs()).alias("gap_reduced"),
    )
    renamed = out.rename(
        {
            "period": "qpv_period_baseline",
            "value": "qpv_value_baseline",
            "status": "qpv_status_baseline",
            "geo_version": "qpv_geo_baseline",
            "period_now": "qpv_period_now",
            "value_now": "qpv_value_now",
            "status_now": "qpv_status_now",
            "geo_version_now": "qpv_geo_now",
            "ref_period": "ref_period_baseline",
            "ref_value": "ref_value_baseline",
            "source_file_name": "qpv_source_baseline",
            "source_sha256": "qpv_sha256_baseline",
            "source_file_name_now": "qpv_source_now",
            "source_sha256_now": "qpv_sha256_now",
        }
    )
    return renamed.select([pl.col(c).cast(t) for c, t in EVALUATION_SCHEMA.items()]).sort(
        "qpv_code",
        "role",
        "territory_code",
        "indicator_id",
        "reference_kind",
        "reference_code",
        nulls_last=True,
    )


_LINKED_KINDS = ("commune", "epci", "unite_urbaine")


def _reference_pairs(links: pl.DataFrame | None) -> pl.DataFrame | None:
    """QPV (kind, code) → the communes it lies in and their EPCI / unité urbaine, as reference pairs."""
    if links is None or links.is_empty():
        return None
    qc = links.filter(
        pl.col("child_kind").is_in(["qpv2024", "qpv2015"]) & (pl.col("parent_kind") == "commune")
    )
    qc = qc.select(
        pl.col("child_kind").alias("territory_kind"),
        pl.col("child_code").alias("territory_code"),
        pl.col("parent_code").alias("commune"),
    ).unique()
    up = links.filter(
        (pl.col("child_kind") == "commune") & pl.col("parent_kind").is_in(["epci", "unite_urbaine"])
    )
    up = up.select(pl.col("child_code").alias("commune"), "parent_kind", "parent_code").unique()
    direct = qc.select(
        "territory_kind",
        "territory_code",
        pl.lit("commune").alias("reference_kind"),
        pl.col("commune").alias("reference_code"),
    )
    above = qc.join(up, on="commune").select(
        "territory_kind",
        "territory_code",
        pl.col("parent_kind").alias("reference_kind"),
        pl.col("parent_code").alias("reference_code"),
    )
    return pl.concat([direct, above]).unique().with_columns(pl.lit(True).alias("_linked"))


def _coverage(crosswalk: pl.DataFrame | None) -> dict[tuple[str, str], float]:
    """(code_2015, code_2024) → share of the 2024 QPV's area covered by the 2015 one."""
    if crosswalk is None or crosswalk.is_empty():
        return {}
    rows = crosswalk.filter(pl.col("code_2015").is_not_null() & pl.col("code_2024").is_not_null())
    return {
        (a, b): s
        for a, b, s in rows.select("code_2015", "code_2024", "share_of_2024").iter_rows()
        if s is not None
    }
