"""QPVs known only from INSEE's files: their name and their communes, without a perimeter.

Most published figures are on the 2015 perimeters, whose layer is often not held (the real contracts'
2015 QPVs are known only from INSEE's QPV bases). Each base row names the QPV (`LIBGEO`) and its
commune(s) (`LIB_COM`, comma-joined when it spans several). The communes are found by name among the
COG communes of the QPV code's département; a name matching no commune, or several, is reported and
left unlinked, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from models.territory import LINK_SCHEMA, TERRITORY_SCHEMA
from sources.territory_codes import QPV_DEP_RE

REPORT_SCHEMA: dict[str, pl.DataType] = {
    "qpv_kind": pl.String(),
    "qpv_code": pl.String(),
    "commune_name": pl.String(),
    "departement": pl.String(),
    "problem": pl.String(),  # no_match | ambiguous
    "candidates": pl.String(),  # the matching codes, comma-joined (ambiguous)
}

# QP / QN + département on three characters (061, 974, 02A) + order (3 digits; 2 digits + a letter).
_DEP_OF = QPV_DEP_RE


def departement_of(kind: str, code: str) -> str | None:
    """The COG département code a QPV code carries (QP061001 → 61, QP974001 → 974, QP02A001 → 2A)."""
    m = _DEP_OF[kind].match(code)
    if m is None:
        return None
    dep = m["dep"]
    return dep[1:] if dep.startswith("0") else dep


# INSEE names the arrondissement of Paris, Lyon or Marseille; the COG communes hold the city.
_PLM_ARRONDISSEMENT = re.compile(r"^(?P<city>Paris|Lyon|Marseille)\s+\d+(er|e|ème)?\s+arrondissement$", re.I)


def name_key(name: str) -> str:
    """Names compared without case, accents, hyphens, apostrophes or the Saint/St spelling."""
    plm = _PLM_ARRONDISSEMENT.match(name.strip())
    if plm:
        name = plm["city"]
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[-'’`.]", " ", text)
    text = re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))
    return " ".join(text.split())


def qpv_identities(
    insee_qpv: pl.DataFrame, communes: pl.DataFrame, held: set[tuple[str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Territory rows, QPV → commune links and the names not matched, for every QPV the INSEE files
    name whose perimeter is not held.

    ``insee_qpv``: the staged QPV bases (territory_kind, codgeo, libgeo, libcom, release, is_aggregate,
    source_sha256); ``communes``: the COG communes (code, name, departement, geo_version); ``held``:
    (kind, code) of the QPVs whose perimeter is in the territory table. The latest release's name wins.
    """
    rows = (
        insee_qpv.filter(pl.col("territory_kind").is_in(list(_DEP_OF)) & ~pl.col("is_aggregate"))
        .select("territory_kind", "codgeo", "libgeo", "libcom", "release", "source_sha256")
        .unique()
        # the file's sha256 breaks ties between the files of one release: the same build every time
        .sort(
            "release",
            "territory_kind",
            "codgeo",
            "source_sha256",
            "libgeo",
            "libcom",
            descending=[True, False, False, False, False, False],
            nulls_last=True,
        )
    )
    held_keys = {f"{k}|{c}" for k, c in held}
    rows = rows.filter(~(pl.col("territory_kind") + "|" + pl.col("codgeo")).is_in(list(held_keys)))
    named = rows.filter(pl.col("libgeo").is_not_null() & (pl.col("libgeo").str.strip_chars() != ""))
    with_communes = rows.filter(pl.col("libcom").is_not_null() & (pl.col("libcom").str.strip_chars() != ""))
    identities = rows.unique(subset=["territory_kind", "codgeo"], keep="first", maintain_order=True).join(
        named.unique(subset=["territory_kind", "codgeo"], keep="first", maintain_order=True).select(
            "territory_kind", "codgeo", pl.col("libgeo").alias("name")
        ),
        on=["territory_kind", "codgeo"],
        how="left",
    )
    territory = identities.select(
        pl.col("territory_kind").alias("kind"),
        pl.col("codgeo").alias("code"),
        pl.col("name").str.strip_chars(),
        pl.col("territory_kind").alias("geo_version"),
        pl.lit(None, dtype=pl.Float64).alias("area_m2"),
        pl.lit(None, dtype=pl.Binary).alias("geom_wkb"),
        pl.lit(False).alias("geom_repaired"),
        pl.col("source_sha256"),
    ).cast(TERRITORY_SCHEMA)  # type: ignore[arg-type]

    geo_version = communes["geo_version"][0] if communes.height else None
    by_dep_name: dict[tuple[str, str], list[str]] = {}
    for code, name, dep in communes.select("code", "name", "departement").iter_rows():
        by_dep_name.setdefault((dep, name_key(name)), []).append(code)
    links: list[dict[str, object]] = []
    report: list[dict[str, object]] = []
    latest = with_communes.unique(subset=["territory_kind", "codgeo"], keep="first", maintain_order=True)
    for kind, code, libcom in latest.select("territory_kind", "codgeo", "libcom").iter_rows():
        dep = departement_of(kind, code)
        names = [n.strip() for n in libcom.split(",") if n.strip()]
        found: list[str] = []
        for name in names:
            codes = by_dep_name.get((dep or "", name_key(name)), [])
            if len(codes) == 1:
                found.append(codes[0])
            else:
                report.append(
                    {
                        "qpv_kind": kind,
                        "qpv_code": code,
                        "commune_name": name,
                        "departement": dep,
                        "problem": "ambiguous" if codes else "no_match",
                        "candidates": ",".join(sorted(codes)) or None,
                    }
                )
        unique = list(dict.fromkeys(found))
        # no perimeter: the share is known only when the QPV lies wholly in one commune
        whole = 1.0 if len(unique) == 1 and len(found) == len(names) else None
        for commune in unique:
            links.append(
                {
                    "child_kind": kind,
                    "child_code": code,
                    "child_version": kind,
                    "parent_kind": "commune",
                    "parent_code": commune,
                    "parent_version": geo_version,
                    "area_share": whole,
                    "method": "insee_lib_com",
                    "declared": True,
                }
            )
    return (
        territory,
        pl.DataFrame(links, schema=LINK_SCHEMA),
        pl.DataFrame(report, schema=REPORT_SCHEMA),
    )
