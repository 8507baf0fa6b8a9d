"""Synthetic job-seeker files for the sample territory ("données synthétiques"), in the official layouts.

Writes, under `<mirror>/<host>/<url path>`:
- the DARES ``dares_defm_communales-brutes`` export (label header, `;`, UTF-8 BOM): every commune, T4 only
  2019-T4 → 2024-T4, sex rows at age Total and age rows at sex Total, each count rounded to 5, plus the
  ``Total France métropolitaine`` line;
- quarterly DEFM files by QPV in INSEE's variable names (placeholder path, NV): 2015 geography for
  2021-Q1 → 2023-Q4, 2024 geography for 2023-Q4 → 2024-Q4 (2023-Q4 has both). The 2022-Q3 files are
  not written (a missing quarter); Le Moulin (QP099005) is withheld in 2022-Q4 (NOTE_PE 5, empty cells);
  the 2024-geography 2024-Q2 file is republished corrected (``…_T2_v2.csv``: a revision).
QPV counts never exceed the sum of their communes' counts for the same T4.
"""

from __future__ import annotations

import random
from pathlib import Path

from sources.france_travail import settings
from synthetic._counts import round5, split
from synthetic.territory import Territory

COMMUNE_YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
QPV2015_QUARTERS = [f"{y}-Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
QPV2024_QUARTERS = ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
MISSING_QUARTER = "2022-Q3"
SUPPRESSED_QPV = ("QP099005", "2022-Q4")
# A quarter published twice: a corrected release `_v2` of the 2024-geography 2024-Q2 file (NV path).
REVISED_QUARTER = ("qpv2024", "2024-Q2")
QPV_HEADER = (
    "CODGEO;LIBGEO;ABCDE;ABCDE_F;ABCDE_H;ABC;ABC_F;ABC_H;ABC_RSA;A;A_F;A_H;B;C;ABC_25;ABC_2649;ABC_50;"
    "ABC_DUR1;ABC_DUR2;ABC_DUR3;ABC_DUR4;ABC_INFCAPBEP;ABC_CAPBEP;ABC_BAC;ABC_SUPBAC;NOTE_PE"
)


def _season(quarter: str) -> float:
    return {"1": 1.02, "2": 0.98, "3": 0.97, "4": 1.0}[quarter[-1]]


def write_france_travail(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """Write the synthetic DEFM files into `mirror`; return the paths written (sorted)."""
    rng = random.Random(f"france-travail-{seed}")
    written: list[Path] = []
    commune_abc: dict[tuple[str, int], int] = {}
    labels = [
        "Date",
        "Code région",
        "Région",
        "Code département",
        "Département",
        "Code commune",
        "Commune",
        "Type de données",
        "Catégorie",
        "Sexe",
        "Tranche d'âge",
        "Nombre de demandeurs d'emploi",
    ]
    lines = [";".join(labels)]
    reg, dep = territory.region, territory.departement
    for k, year in enumerate(COMMUNE_YEARS):
        total_france = 5_500_000 - 60_000 * k
        lines.append(
            ";".join(
                [
                    f"{year}-T4",
                    *(["Total"] * 5),
                    "Total France métropolitaine",
                    "Brutes",
                    "ABC",
                    "Total",
                    "Total",
                ]
            )
            + f";{total_france}"
        )
        for c in territory.communes:
            exact = int(c.population * 0.085 * (1.0 - 0.02 * k) * (0.95 + 0.1 * rng.random()))
            f, h = split(exact, [0.51, 0.49], rng)
            young, mid, old = split(exact, [0.13, 0.6, 0.27], rng)
            commune_abc[(c.code, year)] = round5(exact)
            geo = [reg[0], reg[1], dep[0], dep[1], c.code, c.name, "Brutes", "ABC"]
            for sex, age, v in (
                ("Total", "Total", exact),
                ("Hommes", "Total", h),
                ("Femmes", "Total", f),
                ("Total", "Moins de 25 ans", young),
                ("Total", "De 25 à 49 ans", mid),
                ("Total", "50 ans et plus", old),
            ):
                lines.append(";".join([f"{year}-T4", *geo, sex, age, str(round5(v))]))
    path = mirror / settings.DARES_HOST / settings.DEFM_COMMUNES_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    written.append(path)

    for geography, quarters, qpvs in (
        ("qpv2015", QPV2015_QUARTERS, territory.qpv2015),
        ("qpv2024", QPV2024_QUARTERS, territory.qpv2024),
    ):
        for quarter in quarters:
            if quarter == MISSING_QUARTER:
                continue
            year = int(quarter[:4])
            rows = [QPV_HEADER]
            revised = [QPV_HEADER]
            for q in qpvs:
                if (q.code, quarter) == SUPPRESSED_QPV:
                    rows.append(";".join([q.code, q.name, *([""] * 23), "5"]))
                    continue
                ceiling = sum(commune_abc[(c, year)] for c in q.commune_codes)
                abc = min(int(q.population * 0.14 * _season(quarter) * (0.95 + 0.1 * rng.random())), ceiling)
                rows.append(_qpv_line(q.code, q.name, abc, rng))
                if (geography, quarter) == REVISED_QUARTER:
                    # the corrected release: 3 % more job seekers (still ≤ the communes' count)
                    revised.append(_qpv_line(q.code, q.name, min(int(abc * 1.03), ceiling), rng))
            file = settings.DEFM_QPV_PATH.format(geography=geography, year=year, quarter=quarter[-1])
            p = mirror / settings.INSEE_HOST / file
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
            written.append(p)
            if (geography, quarter) == REVISED_QUARTER:
                rev = settings.DEFM_QPV_REVISED_PATH.format(
                    geography=geography, year=year, quarter=quarter[-1], release=2
                )
                p = mirror / settings.INSEE_HOST / rev
                p.write_bytes(("\ufeff" + "\r\n".join(revised) + "\r\n").encode("utf-8"))
                written.append(p)
    return sorted(written)


def _qpv_line(code: str, name: str, abc: int, rng: random.Random) -> str:
    """One QPV row whose breakdowns add up exactly (A+B+C, F+H, age bands, seniority, training)."""
    a, b, cc = split(abc, [0.66, 0.14, 0.2], rng)
    abc_f, abc_h = split(abc, [0.48, 0.52], rng)
    a_f, a_h = split(a, [0.48, 0.52], rng)
    de = int(abc * 0.12)
    abcde_f, abcde_h = split(abc + de, [0.48, 0.52], rng)
    ages = split(abc, [0.15, 0.58, 0.27], rng)
    durs = split(abc, [0.3, 0.25, 0.2, 0.25], rng)
    training = split(abc, [0.35, 0.3, 0.22, 0.13], rng)
    rsa = int(abc * 0.26)
    vals = [abc + de, abcde_f, abcde_h, abc, abc_f, abc_h, rsa, a, a_f, a_h, b, cc, *ages, *durs, *training]
    return ";".join([code, name, *(f"{v:,}".replace(",", "\u202f") for v in vals), "0"])
