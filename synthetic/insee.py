"""Synthetic INSEE files for the sample territory, in the official layouts ("données synthétiques").

Written into `<mirror>/<host>/<url path>`:
- Filosofi 2021 by QPV, 2015 and 2024 geographies: zips holding `revenu-disponible-qp{15,24}-2021_QP.csv`,
  `…_ENSQP.csv` (code `00`) and the meta file; `;`, UTF-8 with BOM, CRLF, decimal comma; one QPV with `s`
  cells and one whose block is blanked by `DISP_NOTE_A21` = 2.
- the comparateur base (2025 release layout) for the communes: `;`, CRLF, `s` / `nd` markers, decimal
  comma for Filosofi rates and dot for census figures in the same row.
- one XLSX (DEMO V1 layout, 2015 QPVs) with title and note rows above the header (header on row 6)
  and a Cnaf block blanked by NOTE_CNAF = 5.
Values are deterministic for a seed and consistent: QPV population ≤ commune population, QPV median
below the commune median, poverty rate above it.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from sources._http import mirror_path
from sources.insee_comparateur import settings as comparateur_settings
from sources.insee_qpv import settings as qpv_settings
from synthetic.territory import Qpv, Territory

_QP_COLUMNS = (
    "CODGEO",
    "DISP_Q1_A21",
    "DISP_MED_A21",
    "DISP_Q3_A21",
    "DISP_D1_A21",
    "DISP_D9_A21",
    "DISP_RD_A21",
    "DISP_PPSOC_A21",
    "DISP_TP60_A21",
    "DISP_NOTE_A21",
)


def _fr(x: float, decimals: int = 1) -> str:
    return f"{x:.{decimals}f}".replace(".", ",")


def _csv(rows: list[list[str]], *, bom: bool = True) -> bytes:
    text = "\r\n".join(";".join(r) for r in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 8, 28, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    path.write_bytes(buf.getvalue())
    return path


def _qp_rows(qpvs: list[Qpv], rng: random.Random) -> list[list[str]]:
    rows = [list(_QP_COLUMNS)]
    for k, q in enumerate(qpvs):
        med = rng.randrange(12_000, 15_500, 10)
        d1, d9 = int(med * 0.55) // 10 * 10, int(med * 1.75) // 10 * 10
        q1, q3 = int(med * 0.78) // 10 * 10, int(med * 1.3) // 10 * 10
        tp60 = rng.uniform(38, 58)
        cells = [
            q.code,
            str(q1),
            str(med),
            str(q3),
            str(d1),
            str(d9),
            _fr(d9 / d1),
            _fr(rng.uniform(18, 30)),
            _fr(tp60),
        ]
        note = "0"
        if k == 1:  # secret cells
            cells[8] = "s"
            cells[6] = "s"
        if k == len(qpvs) - 1:  # a whole block blanked by its quality note
            cells = [q.code] + [""] * 8
            note = "2"
        rows.append([*cells, note])
    return rows


def _filo_zip(mirror: Path, url: str, tag: str, qpvs: list[Qpv], rng: random.Random) -> Path:
    qp = _qp_rows(qpvs, rng)
    ens = [list(_QP_COLUMNS), ["00", "11230", "14070", "18550", "8320", "24210", "2,9", "22,6", "43,3", "0"]]
    meta = [["COD_VAR", "LIB_VAR", "COD_MOD", "LIB_MOD"]] + [
        ["CODGEO", "Code du quartier", q.code, q.name] for q in qpvs
    ]
    return _zip(
        mirror_path(mirror, url),
        {
            f"revenu-disponible-{tag}-2021_QP.csv": _csv(qp),
            f"revenu-disponible-{tag}-2021_ENSQP.csv": _csv(ens),
            f"meta_indic-revenu-disponible-{tag}-2021_QP.csv": _csv(meta),
        },
    )


def _comparateur_zip(mirror: Path, territory: Territory, rng: random.Random) -> Path:
    rows = [comparateur_settings.HEADER_2025.split()]
    smallest = min(territory.communes, key=lambda c: c.population)
    for c in territory.communes:
        pop = c.population
        men = pop / rng.uniform(2.0, 2.4)
        act = pop * rng.uniform(0.44, 0.5)
        cells = {
            "CODGEO": c.code,
            "P22_POP": str(pop),
            "P16_POP": str(int(pop * rng.uniform(0.97, 1.03))),
            "SUPERF": f"{rng.uniform(14, 18):.2f}",
            "P22_MEN": repr(round(men, 6)),
            "P22_LOG": repr(round(men * 1.1, 6)),
            "P22_RP": repr(round(men, 6)),
            "P22_LOGVAC": repr(round(men * 0.08, 6)),
            "P22_RP_PROP": repr(round(men * 0.5, 6)),
            "NBMENFISC21": str(int(men * 0.98)),
            "PIMP21": _fr(rng.uniform(35, 50)),
            "MED21": str(rng.randrange(18_500, 22_500, 10)),
            "TP6021": _fr(rng.uniform(11, 24)),
            "P22_POP1564": repr(round(pop * 0.62, 6)),
            "P22_ACT1564": repr(round(act, 6)),
            "P22_CHOM1564": repr(round(act * rng.uniform(0.07, 0.16), 6)),
        }
        if c is smallest:  # small commune: Filosofi secret (s) and not available (nd)
            cells["PIMP21"] = "s"
            cells["TP6021"] = "s"
            cells["MED21"] = "nd"
        rows.append([cells.get(h, str(rng.randrange(0, 60))) for h in rows[0]])
    return _zip(
        mirror_path(mirror, comparateur_settings.URL_CSV),
        {comparateur_settings.CSV_MEMBER: _csv(rows, bom=False)},
    )


def _demo_xlsx(mirror: Path, territory: Territory, rng: random.Random) -> Path:
    import openpyxl

    header = qpv_settings.DEMO_V1_21.split()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "QP"
    ws.append(["Démographie - Quartiers de la politique de la ville 2015 (données synthétiques)"])
    ws.append(["Source : Insee, RP 2018 ; Cnaf"])
    ws.append([])
    ws.append(["Note : les données sont soumises au secret statistique"])
    ws.append([])
    ws.append(header)
    qpv_pop_by_commune: dict[str, int] = {}
    for q in territory.qpv2015:
        for code in q.commune_codes:
            qpv_pop_by_commune[code] = qpv_pop_by_commune.get(code, 0) + q.population
    for k, q in enumerate(territory.qpv2015):
        pop_com = sum(territory.commune(c).population for c in q.commune_codes)
        pop_com_qp = sum(qpv_pop_by_commune[c] for c in q.commune_codes)
        alloc = int(q.population * rng.uniform(0.3, 0.38))
        row: dict[str, object] = {
            "CODGEO": q.code,
            "POP_MUN": q.population,
            "POP_COM_QP": pop_com_qp,
            "POP_COM": pop_com,
            "NOTE_RP": 0,
            "A": alloc,
            "PERCOU": int(alloc * rng.uniform(2.2, 2.6)),
            "NOTE_CNAF": 0,
        }
        for h in header:
            if h.startswith("TX_"):
                row[h] = round(rng.uniform(10, 55), 1)
        row["IND_JEUNE"] = round(rng.uniform(0.9, 2.4), 1)
        if k == 2:  # Cnaf block blanked by its quality note
            row["NOTE_CNAF"] = 5
            for h in header[header.index("A") : header.index("NOTE_CNAF")]:
                row[h] = None
        ws.append([row.get(h, rng.randrange(10, 200)) for h in header])
    ws.append([])
    ws.append(["Champ : quartiers prioritaires de la politique de la ville"])
    path = mirror_path(mirror, qpv_settings.URL_DEMO_XLSX)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_normalise_xlsx(buf.getvalue()))
    return path


def _normalise_xlsx(data: bytes) -> bytes:
    """Rewrite the xlsx zip with fixed timestamps so that the bytes depend on the seed only."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                content = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", content)
            new = zipfile.ZipInfo(info.filename, date_time=(2024, 8, 28, 12, 0, 0))
            new.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(new, content)
    return out.getvalue()


def write_insee(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """Write the synthetic INSEE files of `territory` into `mirror`; returns the written paths."""
    rng = random.Random(seed * 7919 + 11)
    return [
        _filo_zip(mirror, qpv_settings.URL_FILO2021_QP15, "qp15", territory.qpv2015, rng),
        _filo_zip(mirror, qpv_settings.URL_FILO2021_QP24, "qp24", territory.qpv2024, rng),
        _comparateur_zip(mirror, territory, rng),
        _demo_xlsx(mirror, territory, rng),
    ]
