"""The national mirror's ~60,000 schools, written through synthetic.education's writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from synthetic.education import SyntheticSchool
from synthetic.national_geography import _as_national
from synthetic.national_territory import _QPV_NAMES
from synthetic.territory import Territory


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


def write_national_education(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    """IPS (écoles 2022-2024, collèges 2023-2024), annuaire and effectifs for ~60,000 schools."""
    import synthetic.education as edu

    return edu.write_education(mirror, territory, seed, schools=national_schools(territory, seed))
