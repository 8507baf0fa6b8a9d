"""A small fictional territory, generated from a fixed seed: the base of the synthetic sample mirror.

Everything built from it is labelled "données synthétiques". It has one département (code 99, which
no real French département uses), one region (code 99), two EPCIs, six communes that tile a rectangle
exactly, four QPVs of the 2024 geography and five of the 2015 geography, arranged so that the crosswalk
meets every relation: unchanged, extended, merged, new and removed.

Geometry is built in Lambert-93 (EPSG:2154) metres around the centre of France, then exposed in WGS84
(lon/lat) as the official files publish it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cached_property

from pyproj import Transformer
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

SYNTHETIC_LABEL = "données synthétiques"

# Centre of the fictional territory in Lambert-93: a place in the Cher, far from any real QPV.
ORIGIN_X = 650_000.0
ORIGIN_Y = 6_650_000.0
COMMUNE_SIZE_M = 4_000.0

_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """Lambert-93 → WGS84 lon/lat (x = longitude)."""
    return transform(_TO_WGS84.transform, geom)


@dataclass(frozen=True)
class Epci:
    siren: str
    name: str
    nature: str  # CC, CA, CU, ME


class _DrawnInLambert93:
    """A commune or QPV: drawn in Lambert-93, published in WGS84 (reprojected once, on first use)."""

    geometry_l93: BaseGeometry

    @cached_property
    def geometry_wgs84(self) -> BaseGeometry:
        return to_wgs84(self.geometry_l93)


@dataclass(frozen=True)
class Commune(_DrawnInLambert93):
    code: str
    name: str
    epci_siren: str
    population: int
    geometry_l93: Polygon


@dataclass(frozen=True)
class Qpv(_DrawnInLambert93):
    code: str
    name: str
    geography: str  # "qpv2024" or "qpv2015"
    commune_codes: tuple[str, ...]
    geometry_l93: MultiPolygon
    population: int


@dataclass(frozen=True)
class Territory:
    seed: int
    departement: tuple[str, str]  # code, name
    region: tuple[str, str]
    epcis: list[Epci]
    communes: list[Commune]
    qpv2024: list[Qpv]
    qpv2015: list[Qpv]
    label: str = field(default=SYNTHETIC_LABEL)

    def commune(self, code: str) -> Commune:
        return next(c for c in self.communes if c.code == code)

    @property
    def qpvs(self) -> list[Qpv]:
        return [*self.qpv2024, *self.qpv2015]


def _star(cx: float, cy: float, radius: float, n: int, rng: random.Random, jitter: float = 0.25) -> Polygon:
    """A simple star-shaped polygon (valid by construction: angles strictly increase)."""
    pts = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        r = radius * (1 - jitter / 2 + jitter * rng.random())
        pts.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return Polygon(pts)


def _grid_communes(rng: random.Random, nx: int, ny: int) -> list[Polygon]:
    """Quadrilaterals from a jittered vertex grid: neighbours share their edges exactly (a true tiling)."""
    verts: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(nx + 1):
        for j in range(ny + 1):
            dx = dy = 0.0
            if 0 < i < nx:
                dx = rng.uniform(-400, 400)
            if 0 < j < ny:
                dy = rng.uniform(-400, 400)
            verts[(i, j)] = (ORIGIN_X + i * COMMUNE_SIZE_M + dx, ORIGIN_Y + j * COMMUNE_SIZE_M + dy)
    polys = []
    for j in range(ny):
        for i in range(nx):
            polys.append(
                Polygon([verts[(i, j)], verts[(i + 1, j)], verts[(i + 1, j + 1)], verts[(i, j + 1)]])
            )
    return polys


COMMUNE_NAMES = [
    "Valbourg",
    "Saint-Aubin-sur-Yèvre",
    "Les Aulnaies",
    "Montclair",
    "Beauvoisin",
    "L'Étang-Neuf",
]


def build_territory(seed: int = 2024) -> Territory:
    """The sample territory. Same seed, same territory, to the bit."""
    rng = random.Random(seed)
    dep = ("99", "Département synthétique")
    reg = ("99", "Région synthétique")
    epcis = [
        Epci("299000001", "CA de Valbourg Agglomération", "CA"),
        Epci("299000002", "CC des Aulnaies", "CC"),
    ]
    polys = _grid_communes(rng, 3, 2)
    populations = [48_200, 9_850, 3_120, 15_400, 6_300, 1_240]
    communes = [
        Commune(
            code=f"99{101 + k:03d}",
            name=COMMUNE_NAMES[k],
            epci_siren=epcis[0].siren if k in (0, 1, 3, 4) else epcis[1].siren,
            population=populations[k],
            geometry_l93=poly,
        )
        for k, poly in enumerate(polys)
    ]

    def centre(k: int) -> tuple[float, float]:
        p = communes[k].geometry_l93.centroid
        return p.x, p.y

    def mp(*polys_: Polygon) -> MultiPolygon:
        return MultiPolygon(list(polys_))

    # 1. Unchanged: identical outline in both geographies (Valbourg).
    x, y = centre(0)
    tilleuls = _star(x - 600, y + 300, 520, 48, rng)
    # 2. Extended: the 2015 outline grows (Saint-Aubin).
    x, y = centre(1)
    ancien_2015 = _star(x, y, 420, 40, rng, jitter=0.1)
    ancien_2024 = ancien_2015.buffer(160, quad_segs=4)
    # 3. Merged: two 2015 QPVs of Montclair and Beauvoisin joined by one 2024 QPV across their boundary.
    shared = communes[3].geometry_l93.intersection(communes[4].geometry_l93)
    bx, by = shared.centroid.x, shared.centroid.y
    hauts_a = _star(bx - 420, by, 300, 36, rng, jitter=0.1)
    hauts_b = _star(bx + 420, by, 300, 36, rng, jitter=0.1)
    hauts_2024 = _star(bx, by, 900, 64, rng, jitter=0.05)
    # 4. New in 2024 (Valbourg, east of the town centre).
    x0, y0 = centre(0)
    gare = _star(x0 + 900, y0 - 700, 380, 30, rng)
    # 5. Removed in 2024 (Les Aulnaies).
    x2, y2 = centre(2)
    moulin = _star(x2, y2, 350, 32, rng)

    qpv2024 = [
        Qpv("QN09901I", "Les Tilleuls", "qpv2024", ("99101",), mp(tilleuls), 2_150),
        Qpv("QN09902M", "Centre Ancien", "qpv2024", ("99102",), mp(ancien_2024), 1_680),
        Qpv("QN09903M", "Les Hauts de Vallon", "qpv2024", ("99104", "99105"), mp(hauts_2024), 3_420),
        Qpv("QN09904N", "Quartier de la Gare", "qpv2024", ("99101",), mp(gare), 1_240),
    ]
    qpv2015 = [
        Qpv("QP099001", "Les Tilleuls", "qpv2015", ("99101",), mp(tilleuls), 2_210),
        Qpv("QP099002", "Centre Ancien", "qpv2015", ("99102",), mp(ancien_2015), 1_320),
        Qpv("QP099003", "Vallon Nord", "qpv2015", ("99104",), mp(hauts_a), 1_050),
        Qpv("QP099004", "Vallon Sud", "qpv2015", ("99105",), mp(hauts_b), 1_110),
        Qpv("QP099005", "Le Moulin", "qpv2015", ("99103",), mp(moulin), 1_020),
    ]
    return Territory(seed, dep, reg, epcis, communes, qpv2024, qpv2015)
