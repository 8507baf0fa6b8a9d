"""Synthetic CAF files for the sample territory ("données synthétiques"), in the official layouts.

Writes, under `<mirror>/<host>/<url path>`:
- the data.caf.fr ``s_ben_com_f`` export (communes, Decembers 2020-2024, counts rounded to 5, one line
  with an empty commune code as the real file has for unlocated allocataires);
- INSEE's Cnaf base keyed by QPV code (2019+ layout ``CODGEO;NOTE;A;…;ARSAS``), 2015 geography for
  2019-2023 and 2024 geography for 2022-2023 only (so the coverage report shows years with the old
  geography only). Le Moulin (QP099005) has its block withheld in 2021 (NOTE 5, empty cells). The QPV
  file path on insee.fr is a placeholder (NV, see sources/caf/README.md).
Deterministic for a given seed; QPV counts never exceed their communes' counts.
"""

from __future__ import annotations

import random
from pathlib import Path

from sources.caf import settings
from synthetic._counts import round5, split
from synthetic.territory import Territory

COMMUNE_YEARS = (2020, 2021, 2022, 2023, 2024)
QPV2015_YEARS = (2019, 2020, 2021, 2022, 2023)
QPV2024_YEARS = (2022, 2023)
SUPPRESSED_QPV = ("QP099005", 2021)
BENEFIT_RATES = {"rsa": 0.024, "ppa": 0.045, "aah": 0.012, "apl": 0.030, "als": 0.014, "alf": 0.008}
MONTHLY_AMOUNT = {"rsa": 560.0, "ppa": 190.0}


def _commune_counts(territory: Territory, rng: random.Random) -> dict[tuple[str, int], dict[str, int]]:
    out: dict[tuple[str, int], dict[str, int]] = {}
    for c in territory.communes:
        for k, year in enumerate((2019, *COMMUNE_YEARS)):
            trend = 1.0 + 0.015 * k
            out[(c.code, year)] = {
                b: round5(c.population * r * trend * (0.95 + 0.1 * rng.random()))
                for b, r in BENEFIT_RATES.items()
            }
    return out


def _qpv_row(pop: int, commune_rsa: int, rng: random.Random, trend: float) -> list[str]:
    a = int(pop * 0.19 * trend * (0.95 + 0.1 * rng.random()))
    ai, am, acss, acav = split(a, [0.42, 0.2, 0.06, 0.32], rng)
    ac3 = int(acav * 0.3)
    enf = int(a * 0.95)
    enf_parts = split(enf, [0.14, 0.15, 0.24, 0.19, 0.15, 0.13], rng)
    percou = a + int(a * 0.35) + enf
    a_etud = int(a * 0.015)
    a_netud = int(a * 0.07)
    aal = int(a * 0.7)
    aapl = int(aal * 0.8)
    aaah = int(a * 0.1)
    appa = int(a * 0.3)
    arsas = min(int(a * 0.27), commune_rsa)
    vals = [
        a,
        percou,
        ai,
        am,
        acss,
        acav,
        ac3,
        enf,
        *enf_parts,
        a_etud,
        a_netud,
        aal,
        aapl,
        aaah,
        appa,
        arsas,
    ]
    return ["0", *(str(v) for v in vals)]


def write_caf(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """Write the synthetic CAF files into `mirror`; return the paths written (sorted)."""
    rng = random.Random(f"caf-{seed}")
    counts = _commune_counts(territory, rng)
    written: list[Path] = []

    # 1. data.caf.fr s_ben_com_f export (technical names, `;`, UTF-8 BOM).
    path = mirror / settings.ODS_HOST / settings.ODS_EXPORT_PATH.format(dataset_id=settings.S_BEN_COM_F)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["dtreffre", "numcomdo", "nomcom"]
    for b in BENEFIT_RATES:
        header.append(f"indfoy_{b}")
        if b in MONTHLY_AMOUNT:
            header.append(f"indmtt_{b}")
    lines = [";".join(header)]
    for year in COMMUNE_YEARS:
        rows = [(c.code, c.name) for c in territory.communes] + [("", "")]
        for code, name in rows:
            cells = [f"{year}-12", code, name]
            for b in BENEFIT_RATES:
                n = counts[(code, year)][b] if code else 5 * rng.randint(1, 4)
                cells.append(str(n))
                if b in MONTHLY_AMOUNT:
                    cells.append(str(int(round(n * MONTHLY_AMOUNT[b], -2))))
            lines.append(";".join(cells))
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    written.append(path)

    # 2. Cnaf base by QPV (INSEE layout of 2019+), one file per year and geography.
    head = ";".join(settings.CNAF_BASE_LAYOUTS["insee_cnaf_2019"])
    for geography, years, qpvs in (
        ("QPV2015", QPV2015_YEARS, territory.qpv2015),
        ("QPV2024", QPV2024_YEARS, territory.qpv2024),
    ):
        for k, year in enumerate(years):
            lines = [head]
            for q in qpvs:
                commune_rsa = sum(counts[(c, year)]["rsa"] for c in q.commune_codes)
                row = _qpv_row(q.population, commune_rsa, rng, 1.0 + 0.01 * k)
                if (q.code, year) == SUPPRESSED_QPV:
                    row = ["5", *([""] * (len(row) - 1))]
                lines.append(";".join([q.code, *row]))
            file = settings.CNAF_BASE_QPV_FILE.format(year=year, geography=geography)
            p = mirror / settings.INSEE_HOST / settings.CNAF_BASE_PATH.format(file=file)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
            written.append(p)
    return sorted(written)
