"""Which 2015 QPVs each 2024 QPV replaces, and on what evidence: the `qpv_predecessor` table.

Most published figures exist only on the 2015 perimeters, so a 2024 QPV is shown with the figures of
the 2015 QPV(s) it replaces. Three kinds of evidence, in this order of authority:

1. ``official_list``: ANCT's correspondence list QPV 2024 ↔ 2015, when a file of it is loaded;
2. ``overlap``: the overlap of the two perimeters, measured when both layers are held (`qpv_crosswalk`),
   with the share of each 2015 QPV lying in the 2024 one and the share of the 2024 one it covers;
3. ``contract``: a contract's declaration (`replaces` in ``contracts/<name>.toml``).

Every piece of evidence is a row; ``used`` marks the rows of the most authoritative basis held for each
2024 QPV (the shares of the overlap are carried onto the official rows when both exist). A contract
whose declaration differs from the basis used is reported by `replaces_conflicts`.
"""

from __future__ import annotations

import polars as pl

BASES = ("official_list", "overlap", "contract")

PREDECESSOR_SCHEMA: dict[str, pl.DataType] = {
    "code_2024": pl.String(),
    "code_2015": pl.String(),
    "basis": pl.String(),  # official_list | overlap | contract
    "share_of_2015": pl.Float64(),  # part of the 2015 QPV's area inside the 2024 one (NULL: not measured)
    "share_of_2024": pl.Float64(),  # part of the 2024 QPV's area the 2015 one covers (NULL: not measured)
    "relation": pl.String(),  # crosswalk relation, or the official list's status as published
    "declared_by": pl.String(),  # contracts declaring the pair, comma-joined (NULL: none)
    "used": pl.Boolean(),  # the evidence the figures are shown on
}

CONTRACT_QPV_SCHEMA: dict[str, pl.DataType] = {
    "contract": pl.String(),
    "code_2024": pl.String(),
    "name_2024": pl.String(),
    "code_2015": pl.String(),  # NULL: the contract declares no predecessor
}

CORRESPONDENCE_COLUMNS = ("code_2024", "code_2015", "status")


def build_predecessors(
    crosswalk: pl.DataFrame, correspondence: pl.DataFrame, contract_qpv: pl.DataFrame
) -> pl.DataFrame:
    """Every (2024, 2015) pair the evidence gives, with its basis and the `used` flag (PREDECESSOR_SCHEMA).

    ``crosswalk``: `qpv_crosswalk` (code_2015, code_2024, share_of_2015, share_of_2024, relation);
    ``correspondence``: ANCT's list (code_2024, code_2015, status), empty when no file is loaded;
    ``contract_qpv``: the contracts' declarations (CONTRACT_QPV_SCHEMA).
    """
    both = pl.col("code_2015").is_not_null() & pl.col("code_2024").is_not_null()
    shares = crosswalk.filter(both & (pl.col("relation") != "sliver")).select(
        "code_2024", "code_2015", "share_of_2015", "share_of_2024", pl.col("relation").alias("_overlap")
    )
    official = (
        correspondence.filter(pl.col("code_2015").is_not_null())
        .select("code_2024", "code_2015", pl.col("status").alias("relation"))
        .unique(subset=["code_2024", "code_2015"], keep="first", maintain_order=True)
        .join(shares.drop("_overlap"), on=["code_2024", "code_2015"], how="left")
        .with_columns(pl.lit("official_list").alias("basis"))
    )
    overlap = shares.rename({"_overlap": "relation"}).with_columns(pl.lit("overlap").alias("basis"))
    declared = contract_qpv.filter(pl.col("code_2015").is_not_null())
    by_contract = declared.group_by("code_2024", "code_2015").agg(
        pl.col("contract").unique().sort().str.join(",").alias("declared_by")
    )
    contract = by_contract.select(
        "code_2024",
        "code_2015",
        pl.lit(None, dtype=pl.Float64).alias("share_of_2015"),
        pl.lit(None, dtype=pl.Float64).alias("share_of_2024"),
        pl.lit(None, dtype=pl.String).alias("relation"),
        pl.lit("contract").alias("basis"),
    )
    evidence = [f.select(list(PREDECESSOR_SCHEMA)[:6]) for f in (official, overlap, contract)]
    rows = pl.concat(evidence, how="vertical_relaxed")
    rows = rows.join(by_contract, on=["code_2024", "code_2015"], how="left")
    # A 2024 QPV the official list names (even as new, without predecessor) is decided by it.
    listed = correspondence.select("code_2024").unique().with_columns(pl.lit(0).alias("_listed"))
    rank = pl.col("basis").replace_strict({b: i for i, b in enumerate(BASES)}, return_dtype=pl.Int32)
    rows = rows.join(listed, on="code_2024", how="left").with_columns(
        pl.when(pl.col("_listed").is_not_null())
        .then(0)
        .otherwise(rank)
        .min()
        .over("code_2024")
        .alias("_best")
    )
    return (
        rows.with_columns((rank == pl.col("_best")).alias("used"))
        .select(list(PREDECESSOR_SCHEMA))
        .cast(PREDECESSOR_SCHEMA)  # type: ignore[arg-type]
        .sort("code_2024", "basis", "code_2015")
    )


def replaces_conflicts(predecessors: pl.DataFrame, contract_qpv: pl.DataFrame) -> list[str]:
    """One message per contract QPV whose declared predecessors differ from those of a more
    authoritative basis (the official list wins, then the measured overlap), naming both."""
    used = predecessors.filter(pl.col("used") & (pl.col("basis") != "contract"))
    messages: list[str] = []
    for (contract, code), part in contract_qpv.group_by("contract", "code_2024", maintain_order=True):
        authority = used.filter(pl.col("code_2024") == code)
        if authority.is_empty():
            continue
        declared = sorted(c for c in part["code_2015"].to_list() if c)
        truth = sorted(authority["code_2015"].to_list())
        if declared != truth:
            basis = authority["basis"][0]
            source = "la liste officielle ANCT" if basis == "official_list" else "le recouvrement mesuré"
            messages.append(
                f"contrat {contract} : {code} remplace {', '.join(declared) or 'aucun QPV 2015'} selon le "
                f"contrat, {', '.join(truth)} selon {source} ; {source} l'emporte"
            )
    return messages
