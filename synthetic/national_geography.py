"""The national mirror's geography files: ANCT perimeters of both geographies, COG communes, EPCI and UU
workbooks, commune contours — written with vectorised shapely, not the sample's per-commune loops."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import shapely
from openpyxl import Workbook

from synthetic import geography as geo
from synthetic.national_territory import _L93_TO_WGS84, NationalTerritory
from synthetic.territory import Territory


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
    from sources.cog import settings as cog_settings
    from sources.qpv_perimeters import settings as qpv_settings

    nat = _as_national(territory)
    out: list[Path] = []
    # QPV 2024 GeoJSON (CRS84) with the département and région of each QPV.
    g84 = _wgs84(np.array([q.geometry_l93 for q in nat.qpv2024], dtype=object))
    features = []
    for fid, (q, g) in enumerate(zip(nat.qpv2024, g84, strict=True), start=1):
        dep = nat.commune_dep[q.commune_codes[0]]
        reg = nat.dep_region[dep]
        communes = [nat.commune(c) for c in q.commune_codes]
        region = (reg, f"Région synthétique {reg}")
        departement = (dep, f"Département synthétique {dep}")
        features.append(geo.qpv2024_feature(fid, q, communes, region, departement, _geojson_geom(g)))
    geojson = geo.qpv2024_document(features)
    out.append(geo.write_zipped(mirror, qpv_settings.QPV2024_URL, qpv_settings.QPV2024_MEMBER, geojson))
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
    path = geo._target(mirror, cog_settings.COMMUNES_URL)
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
    path = geo._target(mirror, cog_settings.DEPARTEMENTS_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)
    chef_reg: dict[str, str] = {}
    for dep, _ in nat.departements:
        chef_reg.setdefault(nat.dep_region[dep], chef[dep])
    lines = ['"REG","CHEFLIEU","TNCC","NCC","NCCENR","LIBELLE"']
    for reg, name in nat.regions:
        lines.append(f'"{reg}","{chef_reg[reg]}","3","SYNTHETIQUE {reg}","Synthétique {reg}","{name}"')
    path = geo._target(mirror, cog_settings.REGIONS_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)

    # EPCI and UU2020 workbooks (write-only openpyxl: ~35,000 rows each).
    out.append(geo.write_zipped(mirror, cog_settings.EPCI_URL, cog_settings.EPCI_MEMBER, _epci_workbook(nat)))
    out.append(geo.write_zipped(mirror, cog_settings.UU_URL, cog_settings.UU_MEMBER, _uu_workbook(nat)))

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
    target = geo._target(mirror, cog_settings.CONTOURS_URL)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))
    out.append(target)
    return out


def _epci_workbook(nat: NationalTerritory) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("EPCI")
    for row in geo.EPCI_HEAD:
        ws.append(row)
    count: dict[str, int] = {}
    for c in nat.communes:
        count[c.epci_siren] = count.get(c.epci_siren, 0) + 1
    for e in nat.epcis:
        ws.append([e.siren, e.name, e.nature, count.get(e.siren, 0)])
    comp = wb.create_sheet("Composition_communale")
    for row in geo.EPCI_COMPOSITION_HEAD:
        comp.append(row)
    names = {e.siren: e.name for e in nat.epcis}
    for c in nat.communes:
        dep = nat.commune_dep[c.code]
        comp.append([c.code, c.name, c.epci_siren, names[c.epci_siren], dep, nat.dep_region[dep]])
    return geo.workbook_bytes(wb)


def _uu_workbook(nat: NationalTerritory) -> bytes:
    """Each town with QPVs and its eastern neighbour form an unité urbaine; the rest is rural."""
    towns = {c for q in nat.qpv2024 for c in q.commune_codes[:1]}
    wb = Workbook(write_only=True)
    doc = wb.create_sheet("Documentation")
    doc.append(geo.UU_DOCUMENTATION)
    uu = wb.create_sheet("UU2020")
    for row in geo.UU_HEAD:
        uu.append(row)
    per_dep: dict[str, int] = {}
    uu_of: dict[str, tuple[str, str]] = {}
    for code in sorted(towns):
        dep = nat.commune_dep[code]
        per_dep[dep] = per_dep.get(dep, 0) + 1
        uu_code = f"{dep}{700 + per_dep[dep]:03d}"
        uu_of[code] = (uu_code, nat.commune(code).name)
        uu.append([uu_code, nat.commune(code).name, "5", 1])
    comp = wb.create_sheet("Composition_communale")
    for row in geo.UU_COMPOSITION_HEAD:
        comp.append(row)
    for c in nat.communes:
        dep = nat.commune_dep[c.code]
        if c.code in uu_of:
            comp.append([c.code, c.name, uu_of[c.code][0], uu_of[c.code][1], "urbain", "C", dep])
        else:
            comp.append([c.code, c.name, f"{dep}000", "Communes hors unité urbaine", "hors UU", "H", dep])
    return geo.workbook_bytes(wb)


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
