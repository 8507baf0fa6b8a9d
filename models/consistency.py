"""Consistency report of a contract: figures that should agree across official files, checked and listed.

Every check yields rows of one shape (CHECK_SCHEMA): the check, the territory, the data period, the two
figures compared with the file each was read from, the outcome (``agree``, ``disagree``, ``ok``,
``violated``, ``not_checked``) and a note. Nothing is corrected: a disagreement is listed, never resolved.

Checks:
- ``same_figure_across_files``: one indicator × territory × geography × data period published by two
  files (e.g. a QPV's Cnaf allocataires in the population *and* the income release of the same year, a
  commune's Filosofi median in the comparateur and in FILO*_DISP_COM, a census population repeated by
  three releases). Values agree within the rounding of the coarser one (24 vs 24.0 agree, 40.8 vs
  41.2 do not).
- ``commune_population_census_vs_qpv_file``: the population of a QPV's commune(s) given in the QPV file
  (``POP_COM``) against the census population of the same year in the commune files (sum over the
  communes of a QPV spread over several).
- ``qpv_population_within_communes``: the sum of the contract's QPV populations (same file, same census)
  ≤ the population of their communes (QPVs sharing a commune are grouped with all their communes).
- ``qpv_population_sum_vs_pop_com_qp``: that same sum against INSEE's ``POP_COM_QP`` (population of the
  commune(s) living in a QPV), when every QPV of those communes belongs to the contract.

Pure functions over frames; warehouse/consistency.py reads the warehouse and the staged INSEE QPV
table and runs them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

from sources.contracts import Contract

CHECK_SCHEMA: dict[str, pl.DataType] = {
    "check": pl.String(),
    "territory_kind": pl.String(),
    "territory_code": pl.String(),
    "indicator": pl.String(),
    "period": pl.String(),
    "value_a": pl.Float64(),
    "file_a": pl.String(),
    "value_b": pl.Float64(),
    "file_b": pl.String(),
    "outcome": pl.String(),
    "note": pl.String(),
}

# Status words of the notes (the outcome words are the command's).
STATUS_WORDS = {
    "published": "publié",
    "suppressed": "secret statistique",
    "not_computable": "non calculable",
    "missing": "absent",
    "not_applicable": "non applicable",
    "estimated": "estimé",
}

HEADLINE_INDICATORS = (
    "population",
    "caf_allocataires",
    "filo_disp_mediane",
    "taux_pauvrete_60",
    "de_abc",
    "de_a",
)

# Staged variable names of INSEE's QPV bases used here.
POP_QPV, POP_COMMUNES, POP_COMMUNES_IN_QPV = "POP_MUN", "POP_COM", "POP_COM_QP"


def _decimals(value: float) -> int:
    for k in range(4):
        if math.isclose(round(value, k), value, abs_tol=1e-9):
            return k
    return 4


def values_agree(a: float, b: float) -> bool:
    """Equal within the rounding of the less precise figure (half a unit of its last decimal)."""
    tolerance = 0.5 * 10 ** -min(_decimals(a), _decimals(b)) + 1e-9
    return abs(a - b) <= tolerance


def contract_territories(contract: Contract) -> list[tuple[str, str]]:
    """(kind, code) of every territory of the contract: 2024 and 2015 QPVs, signatories, references."""
    out: dict[tuple[str, str], None] = {}
    for code in contract.qpv2024_codes:
        out[("qpv2024", code)] = None
    for code in contract.qpv2015_codes:
        out[("qpv2015", code)] = None
    for code in contract.communes:
        out[("commune", code)] = None
    for code in contract.epci:
        out[("epci", code)] = None
    for ref in contract.references:
        out[(ref.kind, ref.code)] = None
    return list(out)


def territory_frame(pairs: Iterable[tuple[str, str]]) -> pl.DataFrame:
    kinds, codes = zip(*pairs, strict=True) if pairs else ((), ())
    return pl.DataFrame(
        {"territory_kind": list(kinds), "territory_code": list(codes)},
        schema={"territory_kind": pl.String, "territory_code": pl.String},
    )


def _row(**values: object) -> dict[str, object]:
    return {k: values.get(k) for k in CHECK_SCHEMA}


def same_figure_across_files(obs: pl.DataFrame) -> pl.DataFrame:
    """Pairs of files publishing the same indicator × territory × geography × period (as published)."""
    published = obs.filter((pl.col("method") == "published") & pl.col("source_sha256").is_not_null())
    key = ["indicator_id", "territory_kind", "territory_code", "geo_version", "period"]
    multi = published.filter(pl.col("source_sha256").n_unique().over(key) > 1).sort(
        [*key, "source_vintage", "file"]
    )
    rows: list[dict[str, object]] = []
    for _, group in multi.group_by(key, maintain_order=True):
        items = group.unique("source_sha256", keep="first", maintain_order=True).to_dicts()
        first = items[0]
        for other in items[1:]:
            a, b = first["value"], other["value"]
            if first["status"] != other["status"]:
                outcome = "disagree"
                word_a, word_b = (STATUS_WORDS.get(r["status"], r["status"]) for r in (first, other))
                note = f"statut {word_a} / {word_b}"
            elif a is None or b is None:
                outcome, note = "agree", f"{STATUS_WORDS.get(first['status'], first['status'])} dans les deux"
            else:
                outcome = "agree" if values_agree(float(a), float(b)) else "disagree"
                note = ""
            rows.append(
                _row(
                    check="same_figure_across_files",
                    territory_kind=first["territory_kind"],
                    territory_code=first["territory_code"],
                    indicator=first["indicator_id"],
                    period=first["period"],
                    value_a=a,
                    file_a=f"{first['file']} ({first['source_dataset']} {first['source_vintage']})",
                    value_b=b,
                    file_b=f"{other['file']} ({other['source_dataset']} {other['source_vintage']})",
                    outcome=outcome,
                    note=note or f"{first['geo_version']}",
                )
            )
    return pl.DataFrame(rows, schema=CHECK_SCHEMA)


def _qpv_pop(staged: pl.DataFrame, codes: list[str], files: dict[str, str]) -> pl.DataFrame:
    """POP_MUN, POP_COM, POP_COM_QP per QPV × file (census period of the file's RP block)."""
    pop = staged.filter(
        pl.col("codgeo").is_in(codes)
        & pl.col("variable").is_in([POP_QPV, POP_COMMUNES, POP_COMMUNES_IN_QPV])
        & ~pl.col("is_aggregate")
    )
    if pop.is_empty():
        return pl.DataFrame()
    period = (
        pop.filter(pl.col("variable") == POP_QPV)
        .group_by("source_sha256", "codgeo")
        .agg(pl.col("period").first().alias("census"))
    )
    wide = pop.pivot(
        on="variable", index=["dataset", "release", "codgeo", "source_sha256"], values="value"
    ).join(period, on=["source_sha256", "codgeo"], how="left")
    for col in (POP_QPV, POP_COMMUNES, POP_COMMUNES_IN_QPV):
        if col not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    return wide.with_columns(
        pl.col("source_sha256").replace_strict(files, default=pl.col("source_sha256")).alias("file")
    )


def _census_population(obs: pl.DataFrame) -> pl.DataFrame:
    """Commune census populations (indicator `population`, as published) with their file."""
    return obs.filter(
        (pl.col("territory_kind") == "commune")
        & (pl.col("indicator_id") == "population")
        & (pl.col("method") == "published")
        & (pl.col("status") == "published")
    ).select("territory_code", "period", "value", "file", "source_dataset", "source_vintage")


def _components(links: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """Groups of QPVs sharing communes, with all their communes (connected components)."""
    groups: list[tuple[set[str], set[str]]] = []
    for qpv, communes in sorted(links.items()):
        merged_q, merged_c = {qpv}, set(communes)
        keep = []
        for q, c in groups:
            if c & merged_c:
                merged_q |= q
                merged_c |= c
            else:
                keep.append((q, c))
        groups = [*keep, (merged_q, merged_c)]
    return [(sorted(q), sorted(c)) for q, c in groups]


def population_checks(
    staged_qpv: pl.DataFrame,
    obs: pl.DataFrame,
    links: dict[str, list[str]],
    files: dict[str, str],
    all_qpv_of_communes: dict[str, list[str]] | None = None,
) -> pl.DataFrame:
    """The three population checks (see the module docstring) for the contract's 2015 QPVs."""
    codes = sorted(links)
    pop = _qpv_pop(staged_qpv, codes, files)
    rows: list[dict[str, object]] = []
    if pop.is_empty():
        return pl.DataFrame(rows, schema=CHECK_SCHEMA)
    census = _census_population(obs)
    for r in pop.sort("codgeo", "census", "release", "file").iter_rows(named=True):
        communes = links.get(r["codgeo"], [])
        got = census.filter(pl.col("territory_code").is_in(communes) & (pl.col("period") == r["census"]))
        label = "+".join(communes)
        if r[POP_COMMUNES] is None:
            continue
        # Every row below compares the QPV file's commune population (side a) with the census.
        file_side: dict[str, object] = {
            "check": "commune_population_census_vs_qpv_file",
            "territory_kind": "commune",
            "territory_code": label,
            "indicator": f"population RP{r['census']}",
            "period": r["census"],
            "value_a": r[POP_COMMUNES],
            "file_a": f"{r['file']} ({POP_COMMUNES}, row of {r['codgeo']})",
        }
        if got.is_empty() or got["territory_code"].n_unique() < len(communes):
            rows.append(
                _row(
                    **file_side,
                    outcome="not_checked",
                    note="pas de fichier du recensement de cette année pour chaque commune dans l'entrepôt",
                )
            )
            continue
        for (f_name, f_ds, f_vint), per_file in got.group_by(
            ["file", "source_dataset", "source_vintage"], maintain_order=True
        ):
            if per_file["territory_code"].n_unique() < len(communes):
                continue
            total = float(per_file.unique("territory_code")["value"].sum())
            rows.append(
                _row(
                    **file_side,
                    value_b=total,
                    file_b=f"{f_name} ({f_ds} {f_vint})",
                    outcome="agree" if values_agree(r[POP_COMMUNES], total) else "disagree",
                    note="somme des communes du QPV" if len(communes) > 1 else "",
                )
            )
    for qpvs, communes in _components(links):
        for (file, census_year), part in pop.filter(pl.col("codgeo").is_in(qpvs)).group_by(
            ["file", "census"], maintain_order=True
        ):
            if part["codgeo"].n_unique() < len(qpvs) or part[POP_QPV].null_count():
                continue
            qpv_sum = float(part[POP_QPV].sum())
            by_communes = part.filter(pl.col(POP_COMMUNES).is_not_null())
            # POP_COM of a QPV = population of *its* communes; the group's communes come from the
            # census when one QPV does not cover them all.
            commune_pop: float | None = None
            source = ""
            single = by_communes.filter(
                pl.col("codgeo").is_in([q for q in qpvs if sorted(links[q]) == communes])
            )
            if single.height:
                commune_pop, source = float(single[POP_COMMUNES][0]), f"{file} ({POP_COMMUNES})"
            else:
                got = census.filter(
                    pl.col("territory_code").is_in(communes) & (pl.col("period") == census_year)
                ).unique("territory_code")
                if got.height == len(communes):
                    commune_pop = float(got["value"].sum())
                    source = f"{got['file'][0]} (census, sum of {len(communes)} communes)"
            # Both checks below compare the same QPV sum (side a) with a commune figure (side b).
            qpv_side: dict[str, object] = {
                "territory_kind": "commune",
                "territory_code": "+".join(communes),
                "indicator": f"population RP{census_year}",
                "period": census_year,
                "value_a": qpv_sum,
                "file_a": f"{file} ({POP_QPV}, sum of {'+'.join(qpvs)})",
            }
            rows.append(
                _row(
                    check="qpv_population_within_communes",
                    **qpv_side,
                    value_b=commune_pop,
                    file_b=source or None,
                    outcome="not_checked"
                    if commune_pop is None
                    else ("ok" if qpv_sum <= commune_pop else "violated"),
                    note=""
                    if commune_pop is None
                    else f"{100 * qpv_sum / commune_pop:.1f} % dans les QPV".replace(".", ","),
                )
            )
            in_qp = part[POP_COMMUNES_IN_QPV].drop_nulls()
            others = sorted({q for c in communes for q in (all_qpv_of_communes or {}).get(c, [])} - set(qpvs))
            if in_qp.len() and not others:
                value = float(in_qp[0])
                rows.append(
                    _row(
                        check="qpv_population_sum_vs_pop_com_qp",
                        **qpv_side,
                        value_b=value,
                        file_b=f"{file} ({POP_COMMUNES_IN_QPV})",
                        outcome="agree" if values_agree(qpv_sum, value) else "disagree",
                        note="",
                    )
                )
    return pl.DataFrame(rows, schema=CHECK_SCHEMA)
