"""The national synthetic territory: 35,000 communes on a jittered grid, 96 départements, ~1,680 EPCI,
QPVs of both geographies (unchanged, extended, reduced, merged, new, removed), from a fixed seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from pyproj import Transformer
from shapely import MultiPolygon, Polygon

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
    rem_radius = rng.uniform(250, 350, len(removed))
    rem_geoms = shapely.polygons(_star_rings(centre_x[removed], centre_y[removed], rem_radius, 256, rng, 0.2))

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
