"""A national-scale synthetic France, in the official file formats: the base of the benchmarks (bench/).

    python -m synthetic.national [--out DIR] [--seed N] [--scale S]

`build_national_territory(seed)` returns the same `Territory` type as the sample (a subclass that adds
the départements and régions, and an O(1) `commune()` lookup), so every source's sample writer can
write national files. About 35,000 communes (a jittered 4 km grid tiling 800 × 700 km of Lambert-93),
96 metropolitan départements, 13 régions, ~1,500 EPCIs, ~1,600 QPVs of the 2024 geography and ~1,500
of the 2015 geography with hundreds of vertices each (unchanged, extended, reduced, merged, new and
removed between the two), ~2.3 million inhabited 200 m cells and ~60,000 schools.

Writers: the national variants below replace the sample writers that assume one département or loop in
Python over cells (geography, filosofi_grid, education); every other `write_<stem>` found by
synthetic.sample is used as is, so a source that lands later is written at national scale too.
Deterministic: the same seed and scale write the same bytes. Labelled "données synthétiques".
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
import shapely
from openpyxl import Workbook
from pyproj import Transformer
from shapely import MultiPolygon, Polygon

from synthetic.education import SyntheticSchool
from synthetic.territory import SYNTHETIC_LABEL, Commune, Epci, Qpv, Territory

DEFAULT_SEED = 2024
COMMUNE_SIZE_M = 4_000.0
X0, Y0 = 150_000.0, 6_150_000.0
NX_FULL, NY_FULL = 200, 175  # 35,000 communes
DEP_COLS, DEP_ROWS = 12, 8  # 96 départements
METRO_DEPARTEMENTS = [f"{d:02d}" for d in range(1, 20)] + ["2A", "2B"] + [f"{d:02d}" for d in range(21, 96)]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
QPV_VERTICES = (160, 256, 384)
SLOTS = ((0.0, 0.0), (0.0, 1_100.0), (0.0, -1_100.0), (-1_100.0, 0.0))

Writer = Callable[[Path, Territory, int], list[Path]]

_L93_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
_L93_TO_LAEA = Transformer.from_crs("EPSG:2154", "EPSG:3035", always_xy=True)
_LAEA_TO_L93 = Transformer.from_crs("EPSG:3035", "EPSG:2154", always_xy=True)

_SYL_A = [
    "Val",
    "Mont",
    "Beau",
    "Roche",
    "Saint-Martin-",
    "Fontaine",
    "Bois",
    "Ville",
    "Mar",
    "Pont",
    "Clair",
]
_SYL_B = ["bourg", "court", "fort", "mont", "lieu", "champ", "ville", "val", "ny", "ac", "euil", "ay"]
_SYL_C = ["", "", "", "-sur-Loire", "-les-Bains", "-la-Forêt", "-le-Haut", "-en-Plaine"]
_QPV_NAMES = [
    "Les Tilleuls",
    "La Gare",
    "Les Hauts",
    "Le Moulin",
    "Centre Ancien",
    "Les Pins",
    "La Source",
    "Les Bleuets",
    "Le Parc",
    "Les Acacias",
    "Bellevue",
    "La Croix",
    "Les Peupliers",
    "Le Val",
]


@dataclass(frozen=True)
class NationalTerritory(Territory):
    """A `Territory` covering 96 départements: `departement`/`region` hold the first ones (what sample
    writers label single-département files with); `departements`, `regions` and `commune_dep` hold all."""

    departements: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)
    dep_region: dict[str, str] = field(default_factory=dict)
    commune_dep: dict[str, str] = field(default_factory=dict)
    # Lambert-93 coordinates of the commune grid (for vectorised writers): (NY+1, NX+1) vertices.
    grid_shape: tuple[int, int] = (0, 0)

    @cached_property
    def _by_code(self) -> dict[str, Commune]:
        return {c.code: c for c in self.communes}

    def commune(self, code: str) -> Commune:
        return self._by_code[code]


def _dep3(dep: str) -> str:
    return dep.zfill(3)  # 75 → 075, 2A → 02A (as INSEE writes QP02A001), 974 → 974


def _names(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(_SYL_A), n)
    b = rng.integers(0, len(_SYL_B), n)
    c = rng.integers(0, len(_SYL_C), n)
    return [f"{_SYL_A[i]}{_SYL_B[j]}{_SYL_C[k]}".replace("--", "-") for i, j, k in zip(a, b, c, strict=True)]


def _star_rings(
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    n_vertices: int,
    rng: np.random.Generator,
    jitter: float,
) -> np.ndarray:
    """Closed rings (n, n_vertices + 1, 2) of star-shaped outlines around (cx, cy): angles strictly increase,
    so every ring is valid, and scaling it about its centre nests it inside (or around) the original."""
    angle = 2 * np.pi * np.arange(n_vertices) / n_vertices
    r = radius[:, None] * (1 - jitter / 2 + jitter * rng.random((len(cx), n_vertices)))
    # Smooth the radius a little so the outline looks like a district, not a sea urchin.
    r = (r + np.roll(r, 1, axis=1) + np.roll(r, -1, axis=1)) / 3
    xs = cx[:, None] + r * np.cos(angle)[None, :]
    ys = cy[:, None] + r * np.sin(angle)[None, :]
    ring = np.stack([xs, ys], axis=2)
    return np.concatenate([ring, ring[:, :1, :]], axis=1)


def _stars(
    cx: np.ndarray,
    cy: np.ndarray,
    radius: np.ndarray,
    n_vertices: int,
    rng: np.random.Generator,
    jitter: float,
) -> np.ndarray:
    """Star-shaped polygons, built as one array op."""
    return shapely.polygons(_star_rings(cx, cy, radius, n_vertices, rng, jitter))


def build_national_territory(seed: int = DEFAULT_SEED, scale: float = 1.0) -> NationalTerritory:
    """The national territory; `scale` < 1 shrinks the commune grid (tests). Same seed, same bits."""
    rng = np.random.default_rng(seed)
    nx = max(DEP_COLS, round(NX_FULL * scale**0.5))
    ny = max(DEP_ROWS, round(NY_FULL * scale**0.5))
    size = COMMUNE_SIZE_M
    # Jittered vertex grid: neighbouring communes share their edges exactly.
    gx = X0 + np.arange(nx + 1)[None, :] * size + np.zeros((ny + 1, 1))
    gy = Y0 + np.arange(ny + 1)[:, None] * size + np.zeros((1, nx + 1))
    jx = rng.uniform(-400, 400, gx.shape)
    jy = rng.uniform(-400, 400, gy.shape)
    jx[:, [0, -1]] = 0
    jy[[0, -1], :] = 0
    gx, gy = gx + jx, gy + jy
    j_grid, i_grid = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    j_idx, i_idx = j_grid.ravel(), i_grid.ravel()
    corners = [(j_idx, i_idx), (j_idx, i_idx + 1), (j_idx + 1, i_idx + 1), (j_idx + 1, i_idx), (j_idx, i_idx)]
    ring = np.stack([np.stack([gx[a, b], gy[a, b]], axis=1) for a, b in corners], axis=1)
    polys = shapely.polygons(ring)
    centre_x = ring[:, :4, 0].mean(axis=1)
    centre_y = ring[:, :4, 1].mean(axis=1)
    n = nx * ny

    # Départements: 12 × 8 blocks of the grid; régions: groups of neighbouring départements.
    dep_col = i_idx * DEP_COLS // nx
    dep_row = j_idx * DEP_ROWS // ny
    dep_index = dep_row * DEP_COLS + dep_col
    dep_codes = np.array(METRO_DEPARTEMENTS)[dep_index]
    dep_region = {
        METRO_DEPARTEMENTS[d]: REGIONS[(d // DEP_COLS // 2 * 4 + d % DEP_COLS // 3) * 13 // 16]
        for d in range(len(METRO_DEPARTEMENTS))
    }
    # Commune codes: département + rank inside it (row-major order).
    order = np.lexsort((i_idx, j_idx, dep_index))
    rank = np.empty(n, dtype=np.int64)
    dep_sorted = dep_index[order]
    starts = np.searchsorted(dep_sorted, dep_sorted, side="left")
    rank[order] = np.arange(n) - starts + 1
    codes = [f"{d}{r:03d}" for d, r in zip(dep_codes.tolist(), rank.tolist(), strict=True)]

    # Towns: ~2.2 % of communes, holding the QPVs; populations lognormal, towns much larger.
    is_town = rng.random(n) < 0.0215
    # Keep towns off the outer ring (their QPV slots must stay inside the grid).
    is_town &= (i_idx > 0) & (i_idx < nx - 1) & (j_idx > 0) & (j_idx < ny - 1)
    # No QPV in Corsica: the project's QPV code patterns disagree there (see the benchmark report).
    corsica = np.isin(dep_codes, ["2A", "2B"])
    is_town &= ~corsica
    population = np.round(rng.lognormal(6.3, 1.0, n)).astype(np.int64) + 50
    population[is_town] = np.round(rng.lognormal(10.2, 0.7, int(is_town.sum()))).astype(np.int64) + 8_000

    # QPVs 2024: 1-4 per town in fixed slots, plus one across the border with an eastern town neighbour.
    towns = np.flatnonzero(is_town)
    k_per_town = rng.choice([1, 1, 2, 2, 2, 3, 4], size=len(towns))
    q_town = np.repeat(towns, k_per_town)
    q_slot = np.concatenate([np.arange(k) for k in k_per_town]).astype(np.int64)
    slots = np.array(SLOTS)
    q_cx = centre_x[q_town] + slots[q_slot, 0]
    q_cy = centre_y[q_town] + slots[q_slot, 1]
    q_r = rng.uniform(300, 470, len(q_town))
    q_communes: list[tuple[int, ...]] = [(int(t),) for t in q_town]
    east = towns + 1
    border = towns[is_town[east] & (i_idx[towns] < nx - 2)]
    b_x = (gx[j_idx[border], i_idx[border] + 1] + gx[j_idx[border] + 1, i_idx[border] + 1]) / 2
    b_y = (gy[j_idx[border], i_idx[border] + 1] + gy[j_idx[border] + 1, i_idx[border] + 1]) / 2
    q_cx = np.concatenate([q_cx, b_x])
    q_cy = np.concatenate([q_cy, b_y])
    q_r = np.concatenate([q_r, rng.uniform(350, 450, len(border))])
    q_communes += [(int(t), int(t) + 1) for t in border]
    q_home = np.concatenate([q_town, border])
    nq = len(q_cx)
    n_vert = rng.choice(QPV_VERTICES, size=nq)
    geoms = np.empty(nq, dtype=object)
    shrunk = np.empty(nq, dtype=object)  # the same outline scaled about its centre: nested inside
    grown = np.empty(nq, dtype=object)  # ... and around (an "extended" / "reduced" QPV's other outline)
    for nv in QPV_VERTICES:  # array ops, one set per vertex count
        m = n_vert == nv
        rings = _star_rings(q_cx[m], q_cy[m], q_r[m], nv, rng, 0.22)
        centre = np.stack([q_cx[m], q_cy[m]], axis=1)[:, None, :]
        geoms[m] = shapely.polygons(rings)
        shrunk[m] = shapely.polygons(centre + (rings - centre) * 0.82)
        grown[m] = shapely.polygons(centre + (rings - centre) * 1.15)

    # 2015 geography: unchanged / extended / reduced / merged (halves) / new; plus removed ones elsewhere.
    fate = rng.choice(
        np.array(["unchanged", "extended", "reduced", "merged", "new"]),
        size=nq,
        p=[0.68, 0.1, 0.04, 0.04, 0.14],
    )
    old_geoms: list[tuple[int, Polygon]] = []  # (index of the 2024 QPV it came from, polygon)
    for k in range(nq):
        f = fate[k]
        if f == "unchanged":
            old_geoms.append((k, geoms[k]))
        elif f == "extended":
            old_geoms.append((k, shrunk[k]))
        elif f == "reduced":
            old_geoms.append((k, grown[k]))
        elif f == "merged":
            minx, miny, maxx, maxy = geoms[k].bounds
            mid = (minx + maxx) / 2
            old_geoms.append((k, geoms[k].intersection(shapely.box(minx - 1, miny - 1, mid - 60, maxy + 1))))
            old_geoms.append((k, geoms[k].intersection(shapely.box(mid + 60, miny - 1, maxx + 1, maxy + 1))))
    # Removed in 2024: QPVs at the centre of ~60 non-town communes (their towns lost the status).
    candidates = np.flatnonzero(~is_town & ~corsica)
    removed = rng.choice(candidates, size=max(1, round(60 * nq / 1_600)), replace=False)
    removed.sort()
    population[removed] = np.maximum(population[removed], 6_000)
    rem_geoms = _stars(
        centre_x[removed], centre_y[removed], rng.uniform(250, 350, len(removed)), 256, rng, 0.2
    )

    # Populations: ~8,000 inhabitants per km² of QPV, and towns at least 1.6 × their QPVs.
    q_pop = np.round(shapely.area(geoms) / 1e6 * rng.uniform(6_000, 10_000, nq)).astype(np.int64) + 300
    qpv_sum = np.zeros(n, dtype=np.int64)
    np.add.at(qpv_sum, q_home, q_pop)
    population = np.maximum(population, (qpv_sum * 1.6).astype(np.int64))

    # EPCIs: blocks of 5 × 6 communes cut by the département borders; nature by size.
    epci_key = dep_index * 10_000 + (j_idx // 6) * 100 + i_idx // 5
    uniq, epci_of = np.unique(epci_key, return_inverse=True)
    epci_pop = np.bincount(epci_of, weights=population)
    epci_town = np.bincount(epci_of, weights=is_town.astype(float)) > 0
    big = np.argsort(-epci_pop)[:22]
    nature = np.where(epci_town, "CA", "CC").astype(object)
    nature[big] = "CU"
    nature[big[:20]] = "ME"
    names = _names(rng, n)
    epcis = _epcis(len(uniq), epci_of, population, names, nature)
    communes = [
        Commune(codes[k], names[k], epcis[int(epci_of[k])].siren, int(population[k]), polys[k])
        for k in range(n)
    ]

    def qpv_name(k: int, home: int) -> str:
        return f"{_QPV_NAMES[k % len(_QPV_NAMES)]} ({names[home]})"

    # Codes: 2024 QN + dep3 + 2-digit rank + letter; 2015 QP + dep3 + 3-digit rank (dep3 of 2A: 02A).
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    per_dep: dict[str, int] = {}
    qpv2024: list[Qpv] = []
    code_2024: list[str] = []
    for k in range(nq):
        home = int(q_home[k])
        dep = str(dep_codes[home])
        per_dep[dep] = per_dep.get(dep, 0) + 1
        if per_dep[dep] > 99:
            raise ValueError(f"more than 99 QPVs in département {dep}: lower the town density")
        code = f"QN{_dep3(dep)}{per_dep[dep]:02d}{letters[(per_dep[dep] * 7 + k) % 26]}"
        code_2024.append(code)
        g = geoms[k]
        qpv2024.append(
            Qpv(
                code,
                qpv_name(k, home),
                "qpv2024",
                tuple(codes[c] for c in q_communes[k]),
                MultiPolygon([g]),
                int(q_pop[k]),
            )
        )
    per_dep15: dict[str, int] = {}

    def code15(dep: str) -> str:
        per_dep15[dep] = per_dep15.get(dep, 0) + 1
        r = per_dep15[dep]
        return f"QP{_dep3(dep)}{r:03d}"

    qpv2015: list[Qpv] = []
    for k, g in old_geoms:
        home = int(q_home[k])
        parts = [p for p in getattr(g, "geoms", [g]) if p.area > 0]
        mp = MultiPolygon(parts)
        share = mp.area / geoms[k].area
        qpv2015.append(
            Qpv(
                code15(str(dep_codes[home])),
                qpv_name(k, home),
                "qpv2015",
                qpv2024[k].commune_codes,
                mp,
                int(q_pop[k] * min(share, 1.2) * 1.02),
            )
        )
    for k, c in enumerate(removed):
        qpv2015.append(
            Qpv(
                code15(str(dep_codes[c])),
                qpv_name(k + 3, int(c)),
                "qpv2015",
                (codes[c],),
                MultiPolygon([rem_geoms[k]]),
                int(min(2_500, population[c] // 3)),
            )
        )
    dep_names = {d: f"Département synthétique {d}" for d in METRO_DEPARTEMENTS}
    used_deps = sorted(set(dep_codes.tolist()), key=METRO_DEPARTEMENTS.index)
    used_regs = sorted({dep_region[d] for d in used_deps})
    return NationalTerritory(
        seed=seed,
        departement=(used_deps[0], dep_names[used_deps[0]]),
        region=(dep_region[used_deps[0]], f"Région synthétique {dep_region[used_deps[0]]}"),
        epcis=epcis,
        communes=communes,
        qpv2024=qpv2024,
        qpv2015=qpv2015,
        label=SYNTHETIC_LABEL,
        departements=[(d, dep_names[d]) for d in used_deps],
        regions=[(r, f"Région synthétique {r}") for r in used_regs],
        dep_region={d: dep_region[d] for d in used_deps},
        commune_dep=dict(zip(codes, dep_codes.tolist(), strict=True)),
        grid_shape=(ny, nx),
    )


def _epcis(
    n_epci: int, epci_of: np.ndarray, population: np.ndarray, names: list[str], nature: np.ndarray
) -> list[Epci]:
    """EPCIs named after their most populous commune (one sort, no per-EPCI scan)."""
    order = np.lexsort((-population, epci_of))
    first = order[np.searchsorted(epci_of[order], np.arange(n_epci), side="left")]
    out = []
    for k in range(n_epci):
        label = "Métropole" if nature[k] == "ME" else {"CU": "CU", "CA": "CA", "CC": "CC"}[str(nature[k])]
        out.append(Epci(f"2{k + 1:08d}", f"{label} de {names[int(first[k])]}", str(nature[k])))
    return out


# ----------------------------------------------------------------------------------------------------
# Geography (national variant: many départements; vectorised reprojection)


def _wgs84(geoms: np.ndarray) -> np.ndarray:
    """Lambert-93 → WGS84 for an array of geometries, one pyproj call, coordinates rounded to 1e-7°."""

    def tf(xy: np.ndarray) -> np.ndarray:
        lon, lat = _L93_TO_WGS84.transform(xy[:, 0], xy[:, 1])
        return np.round(np.stack([lon, lat], axis=1), 7)

    return shapely.transform(geoms, tf)


def _geojson_geom(g: shapely.Geometry) -> dict[str, object]:
    return json.loads(shapely.to_geojson(g))  # type: ignore[no-any-return]


def write_national_geography(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """QPV perimeters (both geographies), COG (communes, départements, régions), EPCI and UU workbooks
    and commune contours, for every département of a `NationalTerritory`."""
    del seed
    from sources.cog import settings as cog
    from sources.qpv_perimeters import settings as qpv_settings
    from synthetic import geography as geo

    nat = _as_national(territory)
    out: list[Path] = []
    # QPV 2024 GeoJSON (CRS84) with the département and région of each QPV.
    g84 = _wgs84(np.array([q.geometry_l93 for q in nat.qpv2024], dtype=object))
    features = []
    for fid, (q, g) in enumerate(zip(nat.qpv2024, g84, strict=True), start=1):
        dep = nat.commune_dep[q.commune_codes[0]]
        reg = nat.dep_region[dep]
        communes = [nat.commune(c) for c in q.commune_codes]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "fid": float(fid),
                    "code_qp": q.code,
                    "lib_qp": q.name,
                    "insee_reg": reg,
                    "lib_reg": f"Région synthétique {reg}",
                    "insee_dep": dep,
                    "lib_dep": f"Département synthétique {dep}",
                    "insee_com": ", ".join(q.commune_codes),
                    "lib_com": ", ".join(c.name for c in communes),
                    "siren_epci": communes[0].epci_siren,
                },
                "geometry": _geojson_geom(g),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "name": "QP2024_France_Hexagonale_Outre_Mer_WGS84",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    target = geo._target(mirror, qpv_settings.QPV2024_URL)
    with zipfile.ZipFile(target, "w") as zf:
        geo._zip_write(zf, qpv_settings.QPV2024_MEMBER, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    out.append(target)
    out.append(geo.write_qpv2015(mirror, nat))  # geopandas, fast enough at 1,500 features

    # COG: v_commune, v_departement, v_region.
    lines = ['"TYPECOM","COM","REG","DEP","CTCD","ARR","TNCC","NCC","NCCENR","LIBELLE","CAN","COMPARENT"']
    for c in nat.communes:
        dep = nat.commune_dep[c.code]
        reg = nat.dep_region[dep]
        ncc = c.name.upper()
        lines.append(
            f'"COM","{c.code}","{reg}","{dep}","{dep}D","{dep}1","0","{ncc}","{c.name}","{c.name}","{dep}01",""'
        )
    first = nat.communes[0]
    lines.append(
        f'"COMD","{first.code[:2]}999","","","","","0","ANCIENVILLE","Ancienville","Ancienville","","{first.code}"'
    )
    path = geo._target(mirror, cog.COMMUNES_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)
    chef: dict[str, str] = {}
    for c in nat.communes:
        chef.setdefault(nat.commune_dep[c.code], c.code)
    lines = ['"DEP","REG","CHEFLIEU","TNCC","NCC","NCCENR","LIBELLE"']
    for dep, name in nat.departements:
        lines.append(
            f'"{dep}","{nat.dep_region[dep]}","{chef[dep]}","2",'
            f'"SYNTHETIQUE {dep}","Synthétique {dep}","{name}"'
        )
    path = geo._target(mirror, cog.DEPARTEMENTS_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)
    chef_reg: dict[str, str] = {}
    for dep, _ in nat.departements:
        chef_reg.setdefault(nat.dep_region[dep], chef[dep])
    lines = ['"REG","CHEFLIEU","TNCC","NCC","NCCENR","LIBELLE"']
    for reg, name in nat.regions:
        lines.append(f'"{reg}","{chef_reg[reg]}","3","SYNTHETIQUE {reg}","Synthétique {reg}","{name}"')
    path = geo._target(mirror, cog.REGIONS_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)

    # EPCI and UU2020 workbooks (write-only openpyxl: ~35,000 rows each).
    target = geo._target(mirror, cog.EPCI_URL)
    with zipfile.ZipFile(target, "w") as zf:
        geo._zip_write(zf, cog.EPCI_MEMBER, _epci_workbook(nat))
    out.append(target)
    target = geo._target(mirror, cog.UU_URL)
    with zipfile.ZipFile(target, "w") as zf:
        geo._zip_write(zf, cog.UU_MEMBER, _uu_workbook(nat))
    out.append(target)

    # Commune contours (Etalab GeoJSON, gzipped).
    c84 = _wgs84(np.array([c.geometry_l93 for c in nat.communes], dtype=object))
    geojson = shapely.to_geojson(c84)
    parts = []
    for c, gj in zip(nat.communes, geojson.tolist(), strict=True):
        dep = nat.commune_dep[c.code]
        props = json.dumps(
            {
                "code": c.code,
                "nom": c.name,
                "departement": dep,
                "region": nat.dep_region[dep],
                "epci": c.epci_siren,
            },
            ensure_ascii=False,
        )
        parts.append(f'{{"type":"Feature","properties":{props},"geometry":{gj}}}')
    text = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    target = geo._target(mirror, cog.CONTOURS_URL)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))
    out.append(target)
    return out


def _workbook_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    from synthetic.insee import _normalise_xlsx  # fixed timestamps: same seed, same bytes

    return _normalise_xlsx(buf.getvalue())


def _epci_workbook(nat: NationalTerritory) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("EPCI")
    ws.append(["Établissements publics de coopération intercommunale (EPCI) au 1er janvier 2024"])
    ws.append(["Géographie au 1er janvier 2024"])
    ws.append(["Source : Insee, Code officiel géographique - DGCL, Banatic (données synthétiques)"])
    ws.append([])
    ws.append(["Code de l'EPCI", "Libellé de l'EPCI", "Nature d'EPCI", "Nombre de communes"])
    ws.append(["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"])
    count: dict[str, int] = {}
    for c in nat.communes:
        count[c.epci_siren] = count.get(c.epci_siren, 0) + 1
    for e in nat.epcis:
        ws.append([e.siren, e.name, e.nature, count.get(e.siren, 0)])
    comp = wb.create_sheet("Composition_communale")
    comp.append(["Composition communale des EPCI au 1er janvier 2024"])
    comp.append(["Géographie au 1er janvier 2024"])
    comp.append(["Source : Insee (données synthétiques)"])
    comp.append([])
    comp.append(
        ["Code géographique", "Libellé géographique", "EPCI", "Libellé de l'EPCI", "Département", "Région"]
    )
    comp.append(["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
    names = {e.siren: e.name for e in nat.epcis}
    for c in nat.communes:
        dep = nat.commune_dep[c.code]
        comp.append([c.code, c.name, c.epci_siren, names[c.epci_siren], dep, nat.dep_region[dep]])
    return _workbook_bytes(wb)


def _uu_workbook(nat: NationalTerritory) -> bytes:
    """Each town with QPVs and its eastern neighbour form an unité urbaine; the rest is rural."""
    towns = {c for q in nat.qpv2024 for c in q.commune_codes[:1]}
    wb = Workbook(write_only=True)
    doc = wb.create_sheet("Documentation")
    doc.append(["Unités urbaines 2020 — géographie au 1er janvier 2024 (données synthétiques)"])
    uu = wb.create_sheet("UU2020")
    for line in (["Unités urbaines 2020"], ["Géographie au 1er janvier 2024"], ["Source : Insee"], []):
        uu.append(line)
    uu.append(["Code de l'unité urbaine", "Libellé de l'unité urbaine", "Tranche", "Nombre de communes"])
    uu.append(["UU2020", "LIBUU2020", "TUU2017", "NB_COM"])
    per_dep: dict[str, int] = {}
    uu_of: dict[str, tuple[str, str]] = {}
    for code in sorted(towns):
        dep = nat.commune_dep[code]
        per_dep[dep] = per_dep.get(dep, 0) + 1
        uu_code = f"{dep}{700 + per_dep[dep]:03d}"
        uu_of[code] = (uu_code, nat.commune(code).name)
        uu.append([uu_code, nat.commune(code).name, "5", 1])
    comp = wb.create_sheet("Composition_communale")
    for line in (
        ["Composition communale des unités urbaines 2020"],
        ["Géographie au 1er janvier 2024"],
        ["Source : Insee"],
        [],
    ):
        comp.append(line)
    comp.append(
        [
            "Code géographique",
            "Libellé",
            "Unité urbaine",
            "Libellé de l'unité urbaine",
            "Type",
            "Statut",
            "Département",
        ]
    )
    comp.append(["CODGEO", "LIBGEO", "UU2020", "LIBUU2020", "TYPE_COMMUNE_UU", "STATUT_COM_UU", "DEP"])
    for c in nat.communes:
        dep = nat.commune_dep[c.code]
        if c.code in uu_of:
            comp.append([c.code, c.name, uu_of[c.code][0], uu_of[c.code][1], "urbain", "C", dep])
        else:
            comp.append([c.code, c.name, f"{dep}000", "Communes hors unité urbaine", "hors UU", "H", dep])
    return _workbook_bytes(wb)


def _as_national(territory: Territory) -> NationalTerritory:
    if isinstance(territory, NationalTerritory):
        return territory
    return NationalTerritory(
        seed=territory.seed,
        departement=territory.departement,
        region=territory.region,
        epcis=territory.epcis,
        communes=territory.communes,
        qpv2024=territory.qpv2024,
        qpv2015=territory.qpv2015,
        departements=[territory.departement],
        regions=[territory.region],
        dep_region={territory.departement[0]: territory.region[0]},
        commune_dep={c.code: territory.departement[0] for c in territory.communes},
    )


# ----------------------------------------------------------------------------------------------------
# Filosofi 200 m grid (national variant: numpy over millions of cells, polars CSV writer)

TARGET_CELLS = 2_300_000


def _largest_remainder(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole-number split of each `total` by `shares` (rows sum exactly to round(total))."""
    raw = total[:, None] * (shares / shares.sum())[None, :]
    floors = np.floor(raw)
    missing = (np.round(total) - floors.sum(axis=1)).astype(np.int64)
    rank = np.argsort(np.argsort(-(raw - floors), axis=1, kind="stable"), axis=1, kind="stable")
    return floors + (rank < missing[:, None])


def _tenths(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """One-decimal split; the last part takes the rest (rows sum to total)."""
    parts = np.round(total[:, None] * (shares / shares.sum())[None, :], 1)
    parts[:, -1] = np.round(total - parts[:, :-1].sum(axis=1), 1)
    return parts


def national_grid_frame(territory: Territory, seed: int, target_cells: int = TARGET_CELLS) -> pl.DataFrame:
    """The 200 m cells (2021 CSV columns, numbers as floats) of a national territory."""
    from sources.filosofi_grid.settings import CSV_HEADER_2021

    nat = _as_national(territory)
    rng = np.random.default_rng(seed + 21)
    ny, nx = nat.grid_shape
    target_cells = round(target_cells * nx * ny / (NX_FULL * NY_FULL))  # a smaller territory, fewer cells
    comm_geoms = np.array([c.geometry_l93 for c in nat.communes], dtype=object)
    ccx, ccy = shapely.get_x(shapely.centroid(comm_geoms)), shapely.get_y(shapely.centroid(comm_geoms))
    pop = np.array([c.population for c in nat.communes], dtype=np.float64)
    codes = np.array([c.code for c in nat.communes])
    # Full LAEA grid over the territory's bounding box, in row chunks (bounded memory).
    minx, miny, maxx, maxy = shapely.total_bounds(comm_geoms)
    lx, ly = _L93_TO_LAEA.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    x0, x1 = int(min(lx)) // 200 * 200, int(max(lx)) // 200 * 200 + 200
    y0, y1 = int(min(ly)) // 200 * 200, int(max(ly)) // 200 * 200 + 200
    xs_all = np.arange(x0, x1 + 1, 200)
    rows_all = np.arange(y0, y1 + 1, 200)
    # Presence: rural cells at a base rate, town cells by distance to the town centre.
    base_p = min(0.9, max(0.02, target_cells / (nx * ny * COMMUNE_SIZE_M**2 / 40_000) - 0.066))
    keep_x: list[np.ndarray] = []
    keep_y: list[np.ndarray] = []
    keep_c: list[np.ndarray] = []
    keep_e: list[np.ndarray] = []
    chunk = max(1, 600_000 // len(xs_all))
    for start in range(0, len(rows_all), chunk):
        gy2, gx2 = np.meshgrid(rows_all[start : start + chunk], xs_all, indexing="ij")
        gx, gy = gx2.ravel(), gy2.ravel()
        cx, cy = _LAEA_TO_L93.transform(gx + 100.0, gy + 100.0)
        cx, cy = np.asarray(cx), np.asarray(cy)
        i = np.floor((cx - X0) / COMMUNE_SIZE_M).astype(np.int64)
        j = np.floor((cy - Y0) / COMMUNE_SIZE_M).astype(np.int64)
        on = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        gx, gy, cx, cy, i, j = gx[on], gy[on], cx[on], cy[on], i[on], j[on]
        k = j * nx + i  # approximate commune (the grid cell before jitter): for density only
        d = np.hypot(cx - ccx[k], cy - ccy[k])
        scale = pop[k] / 20_000
        expected = 50 * scale * np.exp(-((d / 1_300) ** 2)) + 1.5
        p = np.clip(base_p + expected / 40, 0, 1)
        keep = rng.random(len(gx)) < p
        keep_x.append(gx[keep])
        keep_y.append(gy[keep])
        keep_c.append(np.stack([cx[keep], cy[keep]], axis=1))
        keep_e.append(expected[keep])
    gx = np.concatenate(keep_x)
    gy = np.concatenate(keep_y)
    centres = np.concatenate(keep_c)
    expected = np.concatenate(keep_e)
    n = len(gx)
    pts = shapely.points(centres)
    # Exact commune of each cell centre, and whether it lies in a (current) QPV.
    tree = shapely.STRtree(comm_geoms)
    pi, ci = tree.query(pts, predicate="intersects")
    commune_of = np.full(n, -1, dtype=np.int64)
    commune_of[pi] = ci
    qgeoms = np.array([q.geometry_l93 for q in nat.qpv2024], dtype=object)
    qdens = np.array([q.population / 2.6 / (q.geometry_l93.area / 40_000.0) for q in nat.qpv2024])
    qtree = shapely.STRtree(qgeoms)
    qi_pts, qi = qtree.query(pts, predicate="intersects")
    in_qpv = np.zeros(n, dtype=bool)
    in_qpv[qi_pts] = True
    near_pts, _ = qtree.query(pts, predicate="dwithin", distance=300.0)
    near_qpv = np.zeros(n, dtype=bool)
    near_qpv[near_pts] = True
    expected = expected.copy()
    expected[qi_pts] = qdens[qi]
    expected[near_qpv & ~in_qpv] += 15
    valid = commune_of >= 0
    men_true = np.maximum(1, np.round(expected * rng.uniform(0.8, 1.2, n) + rng.gamma(1.5, 3.0, n)))
    rate = np.where(in_qpv, 0.32, np.where(near_qpv, 0.16, 0.07 + 0.04 * rng.random(n)))
    dense = in_qpv
    imputed = men_true < 11
    whole = ~imputed
    men = np.where(whole, men_true, np.minimum(10.9, np.round(men_true * rng.uniform(0.9, 1.1, n), 1)))
    size = np.where(dense, 2.6, 2.2)
    ind = np.maximum(men_true, np.round(men_true * size))

    def part(share: np.ndarray | float, total: np.ndarray = men) -> np.ndarray:
        v = total * share
        return np.where(whole, np.round(v), np.round(v, 1))

    men_pauv = np.minimum(men, part(rate))
    men_1ind = part(np.where(dense, 0.30, 0.35))
    men_5ind = np.minimum(men - men_1ind, part(np.where(dense, 0.10, 0.05)))
    men_prop = part(np.where(dense, 0.15, 0.65))
    men_fmp = np.minimum(men - men_1ind, part(np.where(dense, 0.18, 0.07)))
    men_coll = part(np.where(dense, 0.9, 0.3 + 0.3 * rng.random(n)))
    men_mais = np.round(men - men_coll, 1)
    log_shares_d = np.array([0.05, 0.45, 0.25, 0.2, 0.05])
    log_shares = np.array([0.25, 0.2, 0.2, 0.3, 0.05])
    log = np.empty((n, 5))
    for m, shares in ((dense, log_shares_d), (~dense, log_shares)):
        log[m & whole] = _largest_remainder(men[m & whole], shares)
        log[m & ~whole] = _tenths(men[m & ~whole], shares)
    log_soc = np.minimum(men, part(np.where(in_qpv, 0.75, 0.06)))
    age_d = np.array([0.06, 0.03, 0.08, 0.11, 0.10, 0.20, 0.18, 0.10, 0.09, 0.04, 0.01])
    age = np.array([0.04, 0.02, 0.06, 0.08, 0.07, 0.17, 0.20, 0.14, 0.15, 0.06, 0.01])
    ages = np.empty((n, 11))
    ages[dense] = _largest_remainder(ind[dense], age_d)
    ages[~dense] = _largest_remainder(ind[~dense], age)
    level = np.where(dense, 14_500, 23_500) * rng.uniform(0.9, 1.1, n)
    ind_snv = np.round(ind * level, 1)
    men_surf = np.round(men * np.where(dense, 64, 92))
    values = {
        "ind": ind,
        "men": men,
        "men_pauv": men_pauv,
        "men_1ind": men_1ind,
        "men_5ind": men_5ind,
        "men_prop": men_prop,
        "men_fmp": men_fmp,
        "ind_snv": ind_snv,
        "men_surf": men_surf,
        "men_coll": men_coll,
        "men_mais": men_mais,
        **{c: log[:, k] for k, c in enumerate(("log_av45", "log_45_70", "log_70_90", "log_ap90", "log_inc"))},
        "log_soc": log_soc,
        **{c: ages[:, k] for k, c in enumerate(CSV_HEADER_2021[-11:])},
    }
    frame = pl.DataFrame(
        {
            "x": gx,
            "y": gy,
            "imputed": imputed,
            "lcog_geo": np.where(valid, codes[np.maximum(commune_of, 0)], ""),
            **values,
        }
    ).filter(pl.col("lcog_geo") != "")
    return frame.sort("y", "x")


def _num(col: str) -> pl.Expr:
    """INSEE's number format: whole numbers without decimals, else one decimal."""
    v = pl.col(col)
    return (
        pl.when(v == v.round(0))
        .then(v.cast(pl.Int64).cast(pl.String))
        .otherwise(v.round(1).cast(pl.String))
        .alias(col)
    )


def write_national_filosofi_grid(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """`Filosofi2021_carreaux_200m_csv.zip` (member `carreaux_200m_met.csv`), ~2.3 million cells."""
    from sources.filosofi_grid.settings import CSV_HEADER_2021, RELEASES

    release = RELEASES["2021"]
    cells = national_grid_frame(territory, seed)
    x, y = pl.col("x"), pl.col("y")
    km_x, km_y = (x // 1000 * 1000).cast(pl.String), (y // 1000 * 1000).cast(pl.String)
    out = cells.with_columns(
        pl.format("CRS3035RES200mN{}E{}", y, x).alias("idcar_200m"),
        pl.format("CRS3035RES1000mN{}E{}", km_y, km_x).alias("idcar_1km"),
        pl.format("CRS3035RES2000mN{}E{}", (y // 2000 * 2000), (x // 2000 * 2000)).alias("idcar_nat"),
        pl.when(pl.col("imputed")).then(pl.lit("1")).otherwise(pl.lit("0")).alias("i_est_200"),
    )
    out = out.with_columns(
        pl.when(pl.col("men").sum().over("idcar_1km") < 11)
        .then(pl.lit("1"))
        .otherwise(pl.lit("0"))
        .alias("i_est_1km")
    )
    out = out.select(*CSV_HEADER_2021[:6], *(_num(c) for c in CSV_HEADER_2021[6:])).sort("idcar_200m")
    text = out.write_csv(line_terminator="\n", quote_style="never")
    target = mirror / release.csv_url.removeprefix("https://")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        info = zipfile.ZipInfo(release.csv_members["met"], date_time=(2026, 2, 16, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return [target]


# ----------------------------------------------------------------------------------------------------
# Education (national variant: ~60,000 schools placed with array ops, written by the sample writer)


def national_schools(territory: Territory, seed: int) -> list[SyntheticSchool]:
    """About 60,000 schools: écoles and collèges in every commune by population, and in every QPV 2024."""
    from synthetic.education import _uai

    nat = _as_national(territory)
    rng = np.random.default_rng(seed + 60)
    pop = np.array([c.population for c in nat.communes], dtype=np.float64)
    geoms = np.array([c.geometry_l93 for c in nat.communes], dtype=object)
    cx, cy = shapely.get_x(shapely.centroid(geoms)), shapely.get_y(shapely.centroid(geoms))
    # Écoles: one per ~1,450 inhabitants (at least one in 80 % of communes); collèges: one per 9,500.
    n_ecoles = np.maximum(
        (rng.random(len(pop)) < 0.8).astype(np.int64), np.round(pop / 1_450).astype(np.int64)
    )
    n_coll = np.round(pop / 9_500 + 0.12 * rng.random(len(pop))).astype(np.int64)
    kinds = np.concatenate([np.repeat(np.arange(len(pop)), n_ecoles), np.repeat(np.arange(len(pop)), n_coll)])
    is_coll = np.concatenate([np.zeros(n_ecoles.sum(), bool), np.ones(n_coll.sum(), bool)])
    spread = np.where(pop[kinds] > 8_000, 900.0, 600.0)
    sx = cx[kinds] + np.clip(rng.normal(0, 1, len(kinds)) * spread, -1_500, 1_500)
    sy = cy[kinds] + np.clip(rng.normal(0, 1, len(kinds)) * spread, -1_500, 1_500)
    # Plus, in each QPV 2024: 1-3 écoles and (one in two) a collège, well inside the perimeter.
    q_geoms = np.array([q.geometry_l93 for q in nat.qpv2024], dtype=object)
    qx, qy = shapely.get_x(shapely.centroid(q_geoms)), shapely.get_y(shapely.centroid(q_geoms))
    per_q = rng.integers(1, 4, len(q_geoms)) + (rng.random(len(q_geoms)) < 0.5)
    q_rep = np.repeat(np.arange(len(q_geoms)), per_q)
    q_first = np.r_[0, np.cumsum(per_q)[:-1]]
    q_is_coll = np.zeros(len(q_rep), bool)
    q_is_coll[q_first[per_q == per_q.max()]] = True
    ang = rng.uniform(0, 2 * np.pi, len(q_rep))
    rad = rng.uniform(0, 150, len(q_rep))
    code_index = {c.code: k for k, c in enumerate(nat.communes)}
    q_home = np.array([code_index[q.commune_codes[0]] for q in nat.qpv2024])
    all_commune = np.concatenate([kinds, q_home[q_rep]])
    all_x = np.concatenate([sx, qx[q_rep] + rad * np.cos(ang)])
    all_y = np.concatenate([sy, qy[q_rep] + rad * np.sin(ang)])
    all_coll = np.concatenate([is_coll, q_is_coll])
    in_qpv = np.concatenate([np.zeros(len(kinds), bool), np.ones(len(q_rep), bool)])
    n = len(all_x)
    u = rng.random(n)
    maternelle = ~all_coll & (u < 0.3)
    private = rng.random(n) < np.where(in_qpv, 0.03, 0.14)
    ips_base = np.where(in_qpv, rng.normal(80, 7, n), rng.normal(104, 11, n)) + np.where(private, 12, 0)
    ips_base = np.clip(np.round(ips_base, 1), 48, 150)
    pupils = np.where(all_coll, rng.integers(250, 800, n), rng.integers(40, 320, n))
    ep = np.where(in_qpv & ~private, np.where(ips_base < 82, "REP+", "REP"), "")
    missing = rng.random(n) < 0.004
    street = rng.random(n) < 0.01
    ns = rng.random(n) < 0.003
    names = _QPV_NAMES
    schools = []
    for k in range(n):
        kind = "college" if all_coll[k] else ("maternelle" if maternelle[k] else "elementaire")
        commune = nat.communes[int(all_commune[k])]
        label = {"college": "Collège", "maternelle": "Ecole maternelle", "elementaire": "Ecole élémentaire"}[
            kind
        ]
        schools.append(
            SyntheticSchool(
                uai=_uai_national(k, _uai),
                name=f"{label} {names[k % len(names)]} {commune.name}",
                kind=kind,
                sector="prive" if private[k] else "public",
                commune_code=commune.code,
                x=None if missing[k] else float(round(all_x[k], 1)),
                y=None if missing[k] else float(round(all_y[k], 1)),
                precision="Rue" if street[k] else "Numéro de rue",
                ep=str(ep[k]),
                ips_base=None if kind == "maternelle" else (float("nan") if ns[k] else float(ips_base[k])),
                pupils=int(pupils[k]),
            )
        )
    return schools


def _uai_national(k: int, _uai: Callable[[int], str]) -> str:
    """UAI: 7 digits + check letter; the sample's numbering (099nnnn) widened to 7 digits."""
    from sources.education_common import UAI_LETTERS

    digits = f"{1_000_000 + k:07d}"
    return digits + UAI_LETTERS[int(digits) % 23]


@contextmanager
def _schools_replaced(schools: list[SyntheticSchool]) -> Iterator[None]:
    """synthetic.education.write_education takes its schools from `build_schools`: point it at ours for
    the duration of the call (no parameter exists for it; see the report)."""
    import synthetic.education as edu

    original = edu.build_schools
    edu.build_schools = lambda territory, seed: schools  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        edu.build_schools = original


def write_national_education(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """IPS (écoles 2022-2024, collèges 2023-2024), annuaire and effectifs for ~60,000 schools."""
    import synthetic.education as edu

    schools = national_schools(territory, seed)
    with _schools_replaced(schools):
        return edu.write_education(mirror, territory, seed)


# ----------------------------------------------------------------------------------------------------
# The whole mirror

NATIONAL_VARIANTS: dict[str, Writer] = {
    "write_geography": write_national_geography,
    "write_filosofi_grid": write_national_filosofi_grid,
    "write_education": write_national_education,
}


def national_writers() -> list[Writer]:
    """Every sample writer, with the national variants in place of those that cannot scale."""
    from synthetic.sample import writers

    return [NATIONAL_VARIANTS.get(w.__name__, w) for w in writers()]


def default_mirror() -> Path:
    from warehouse.paths import default_home

    return default_home() / "mirror-national"


def generate_national(
    mirror: Path | None = None,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the national mirror into `mirror` (replaced whole); returns the files written."""
    mirror = mirror or default_mirror()
    say = log or (lambda _m: None)
    tmp = mirror.with_name(mirror.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    territory = build_national_territory(seed, scale)
    say(
        f"territory: {len(territory.communes)} communes, {len(territory.qpv2024)} QPV 2024, "
        f"{len(territory.qpv2015)} QPV 2015, {len(territory.epcis)} EPCI "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    written: list[Path] = []
    for writer in national_writers():
        t = time.perf_counter()
        files = writer(tmp, territory, seed)
        written.extend(files)
        size = sum(p.stat().st_size for p in files) / 1e6
        say(
            f"{writer.__module__}.{writer.__name__}: {len(files)} files, {size:.1f} MB "
            f"({time.perf_counter() - t:.1f} s)"
        )
    (tmp / "SYNTHETIC.txt").write_text(
        f"Données synthétiques nationales générées par synthetic.national, graine {seed}, échelle {scale}. "
        "Aucun chiffre réel.\n",
        encoding="utf-8",
    )
    if mirror.exists():
        shutil.rmtree(mirror)
    tmp.rename(mirror)
    say(f"total {time.perf_counter() - t0:.1f} s → {mirror}")
    return [mirror / p.relative_to(tmp) for p in written]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=None, help="default: <home>/mirror-national")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the national commune count")
    args = parser.parse_args()
    generate_national(args.out, args.seed, args.scale, log=lambda m: print(m, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
