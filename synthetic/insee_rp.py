"""Synthetic census IRIS bases ("bases infracommunales") for the sample territory, RP 2022 layout.

Five zips at their official URLs (sources.insee_rp.settings), each holding one `base-ic-…-2022.CSV`:
`;`, decimal comma, weighted estimates with decimals, UTF-8 without BOM, CRLF, columns
`IRIS;COM;TYP_IRIS;LAB_IRIS;P22_…/C22_…`. IRIS codes derive from the communes: a commune of 5,000
inhabitants or more is split into `<COM>0101…` (TYP_IRIS H), a smaller one is a single `<COM>0000`
(TYP_IRIS Z). Each IRIS's population is a share of the commune's population of synthetic.territory (the
comparateur file's P22_POP), so a commune's IRIS sum to it; every theme derives from one age structure per
IRIS, so the files agree (18-24 year-olds, 15-64, households ≈ principal residences).
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from sources._http import mirror_path
from sources.insee_rp import settings as rp_settings
from synthetic.territory import Commune, Territory

VINTAGE = "2022"
YY = VINTAGE[2:]
SPLIT_FROM = 5_000  # communes of at least this population are split into IRIS
# Fine age bands (years, inclusive) and their typical share of the population.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 1, 0.020),
    (2, 2, 0.011),
    (3, 5, 0.034),
    (6, 10, 0.060),
    (11, 14, 0.050),
    (15, 17, 0.037),
    (18, 19, 0.024),
    (20, 24, 0.057),
    (25, 29, 0.058),
    (30, 39, 0.122),
    (40, 44, 0.062),
    (45, 54, 0.130),
    (55, 59, 0.066),
    (60, 64, 0.062),
    (65, 74, 0.110),
    (75, 79, 0.040),
    (80, 120, 0.057),
)
LABELS = ["IRIS", "COM", "TYP_IRIS", "LAB_IRIS"]


def _fr(x: float) -> str:
    """A weighted estimate as INSEE writes it: decimals, decimal comma, no thousands separator."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _ages(lo: int, hi: int, bands: dict[tuple[int, int], float]) -> float:
    """People aged lo..hi (inclusive) from the fine bands (bands inside the range, whole)."""
    return sum(v for (a, b), v in bands.items() if a >= lo and b <= hi)


def _iris_of(c: Commune, rng: random.Random) -> list[tuple[str, str, float]]:
    """(IRIS code, TYP_IRIS, share of the commune's population)."""
    if c.population < SPLIT_FROM:
        return [(f"{c.code}0000", "Z", 1.0)]
    n = max(2, min(20, c.population // 2_500))
    weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
    total = sum(weights)
    return [(f"{c.code}01{k + 1:02d}", "H", w / total) for k, w in enumerate(weights)]


def _iris_figures(pop: float, rng: random.Random) -> dict[str, float]:
    """Every variable of the five themes for one IRIS of population `pop` (stable names, P_/C_)."""
    raw = {(a, b): share * rng.uniform(0.8, 1.2) for a, b, share in AGE_BANDS}
    norm = sum(raw.values())
    bands = {k: pop * v / norm for k, v in raw.items()}
    f: dict[str, float] = {"P_POP": pop}
    for name, lo, hi in (
        ("0002", 0, 2),
        ("0305", 3, 5),
        ("0610", 6, 10),
        ("1117", 11, 17),
        ("1824", 18, 24),
        ("2539", 25, 39),
        ("4054", 40, 54),
        ("5564", 55, 64),
        ("6579", 65, 79),
        ("80P", 80, 120),
        ("0014", 0, 14),
        ("1529", 15, 29),
        ("3044", 30, 44),
        ("4559", 45, 59),
        ("6074", 60, 74),
        ("75P", 75, 120),
        ("0019", 0, 19),
        ("2064", 20, 64),
        ("65P", 65, 120),
    ):
        f[f"P_POP{name}"] = _ages(lo, hi, bands)
    f["P_POPF"] = pop * rng.uniform(0.5, 0.54)
    f["P_POPH"] = pop - f["P_POPF"]
    f["P_POP_ETR"] = pop * rng.uniform(0.04, 0.2)
    f["P_POP_FR"] = pop - f["P_POP_ETR"]
    f["P_POP_IMM"] = f["P_POP_ETR"] * rng.uniform(1.1, 1.4)
    f["P_PHORMEN"] = pop * rng.uniform(0.0, 0.03)
    f["P_PMEN"] = pop - f["P_PHORMEN"]
    # households and families (complementary exploitation)
    men = f["P_PMEN"] / rng.uniform(2.0, 2.5)
    f["C_MEN"] = men
    f["C_PMEN"] = f["P_PMEN"]
    f["C_MENPSEUL"] = men * rng.uniform(0.3, 0.45)
    f["C_MENHSEUL"] = f["C_MENPSEUL"] * rng.uniform(0.4, 0.5)
    f["C_MENFSEUL"] = f["C_MENPSEUL"] - f["C_MENHSEUL"]
    f["C_MENSFAM"] = men * rng.uniform(0.02, 0.04)
    f["C_MENFAM"] = men - f["C_MENPSEUL"] - f["C_MENSFAM"]
    f["C_FAM"] = f["C_MENFAM"] * rng.uniform(1.0, 1.03)
    f["C_FAMMONO"] = f["C_FAM"] * rng.uniform(0.1, 0.3)
    f["C_COUPAENF"] = (f["C_FAM"] - f["C_FAMMONO"]) * rng.uniform(0.4, 0.6)
    f["C_COUPSENF"] = f["C_FAM"] - f["C_FAMMONO"] - f["C_COUPAENF"]
    # housing
    rp = men
    f["P_RP"] = rp
    f["P_MEN"] = rp
    f["P_LOGVAC"] = rp * rng.uniform(0.05, 0.12)
    f["P_RSECOCC"] = rp * rng.uniform(0.005, 0.03)
    f["P_LOG"] = rp + f["P_LOGVAC"] + f["P_RSECOCC"]
    f["P_MAISON"] = f["P_LOG"] * rng.uniform(0.2, 0.6)
    f["P_APPART"] = f["P_LOG"] - f["P_MAISON"]
    f["P_RP_PROP"] = rp * rng.uniform(0.25, 0.6)
    f["P_RP_GRAT"] = rp * rng.uniform(0.005, 0.02)
    f["P_RP_LOC"] = rp - f["P_RP_PROP"] - f["P_RP_GRAT"]
    f["P_RP_LOCHLMV"] = f["P_RP_LOC"] * rng.uniform(0.1, 0.7)
    # activity of residents (15-64)
    p1564 = _ages(15, 64, bands)
    f["P_POP1564"] = p1564
    f["P_POP1524"] = _ages(15, 24, bands)
    f["P_POP2554"] = _ages(25, 54, bands)
    f["P_POP5564"] = _ages(55, 64, bands)
    act = p1564 * rng.uniform(0.66, 0.76)
    f["P_ACT1564"] = act
    f["P_CHOM1564"] = act * rng.uniform(0.07, 0.25)
    f["P_ACTOCC1564"] = act - f["P_CHOM1564"]
    f["P_INACT1564"] = p1564 - act
    f["P_ETUD1564"] = f["P_INACT1564"] * rng.uniform(0.3, 0.45)
    f["P_RETR1564"] = f["P_INACT1564"] * rng.uniform(0.15, 0.3)
    f["P_AINACT1564"] = f["P_INACT1564"] - f["P_ETUD1564"] - f["P_RETR1564"]
    # diplomas and schooling
    for name, lo, hi, rate in (
        ("0205", 2, 5, 0.85),
        ("0610", 6, 10, 0.99),
        ("1114", 11, 14, 0.99),
        ("1517", 15, 17, 0.95),
        ("1824", 18, 24, 0.5),
        ("2529", 25, 29, 0.07),
        ("30P", 30, 120, 0.01),
    ):
        f[f"P_POP{name}"] = _ages(lo, hi, bands)
        f[f"P_SCOL{name}"] = f[f"P_POP{name}"] * rate * rng.uniform(0.85, 1.0)
    p15 = _ages(15, 120, bands)
    scol15 = f["P_SCOL1517"] + f["P_SCOL1824"] + f["P_SCOL2529"] + f["P_SCOL30P"]
    nscol = p15 - scol15
    f["P_NSCOL15P"] = nscol
    shares = [
        rng.uniform(a, b)
        for a, b in (
            (0.15, 0.3),
            (0.04, 0.08),
            (0.2, 0.3),
            (0.15, 0.2),
            (0.08, 0.13),
            (0.07, 0.13),
            (0.05, 0.12),
        )
    ]
    total = sum(shares)
    for name, share in zip(
        ("DIPLMIN", "BEPC", "CAPBEP", "BAC", "SUP2", "SUP34", "SUP5"), shares, strict=True
    ):
        f[f"P_NSCOL15P_{name}"] = nscol * share / total
    return f


# The columns of each theme, in file order (stable names; P_/C_ gets the vintage). RP 2022 layout: the
# four label columns, then the variables (V names: sources/insee_rp/README.md).
COLUMNS: dict[str, list[str]] = {
    "population": (
        "P_POP P_POP0002 P_POP0305 P_POP0610 P_POP1117 P_POP1824 P_POP2539 P_POP4054 P_POP5564 P_POP6579 "
        "P_POP80P P_POP0014 P_POP1529 P_POP3044 P_POP4559 P_POP6074 P_POP75P P_POP0019 P_POP2064 P_POP65P "
        "P_POPH P_POPF P_POP_FR P_POP_ETR P_POP_IMM P_PMEN P_PHORMEN"
    ).split(),
    "logement": (
        "P_LOG P_RP P_RSECOCC P_LOGVAC P_MAISON P_APPART P_MEN P_RP_PROP P_RP_LOC P_RP_LOCHLMV P_RP_GRAT"
    ).split(),
    "familles": (
        "C_MEN C_MENPSEUL C_MENHSEUL C_MENFSEUL C_MENSFAM C_MENFAM C_PMEN C_FAM C_COUPAENF C_FAMMONO "
        "C_COUPSENF"
    ).split(),
    "activite": (
        "P_POP1564 P_POP1524 P_POP2554 P_POP5564 P_ACT1564 P_ACTOCC1564 P_CHOM1564 P_INACT1564 P_ETUD1564 "
        "P_RETR1564 P_AINACT1564"
    ).split(),
    "diplomes": (
        "P_POP0205 P_POP0610 P_POP1114 P_POP1517 P_POP1824 P_POP2529 P_POP30P P_SCOL0205 P_SCOL0610 "
        "P_SCOL1114 P_SCOL1517 P_SCOL1824 P_SCOL2529 P_SCOL30P P_NSCOL15P P_NSCOL15P_DIPLMIN "
        "P_NSCOL15P_BEPC P_NSCOL15P_CAPBEP P_NSCOL15P_BAC P_NSCOL15P_SUP2 P_NSCOL15P_SUP34 P_NSCOL15P_SUP5"
    ).split(),
}
# The same variable name in two themes (P_POP5564 in population and activité, P_POP0610 and P_POP1824
# in population and diplômes) is the same people: one figure per IRIS, written in both files.


def header(theme: str, yy: str = YY) -> list[str]:
    return LABELS + [f"{v[0]}{yy}_{v[2:]}" for v in COLUMNS[theme]]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\r\n".join(";".join(r) for r in rows) + "\r\n").encode("utf-8")


def zip_bytes(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(member, date_time=(2025, 6, 26, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return buf.getvalue()


def iris_figures(territory: Territory, seed: int) -> list[tuple[str, str, str, dict[str, float]]]:
    """(IRIS, COM, TYP_IRIS, figures) of every IRIS of the territory, deterministic for the seed."""
    rng = random.Random(seed * 104_729 + 22)
    out = []
    for c in territory.communes:
        for code, typ, share in _iris_of(c, rng):
            out.append((code, c.code, typ, _iris_figures(c.population * share, rng)))
    return out


def write_insee_rp(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """Write the five RP 2022 IRIS zips of `territory` into `mirror`; returns the written paths."""
    figures = iris_figures(territory, seed)
    written = []
    for theme in rp_settings.THEMES:
        rows = [header(theme)]
        for code, com, typ, f in figures:
            lab = "5" if typ == "Z" else "1"
            rows.append([code, com, typ, lab, *(_fr(f[v]) for v in COLUMNS[theme])])
        path = mirror_path(mirror, rp_settings.url(theme, VINTAGE))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(zip_bytes(rp_settings.member(theme, VINTAGE), csv_bytes(rows)))
        written.append(path)
    return written
