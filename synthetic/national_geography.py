"""The national mirror's geography files: ANCT perimeters of both geographies, COG communes, EPCI and UU
workbooks, commune contours — written with vectorised shapely, not the sample's per-commune loops."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import shapely
from openpyxl import Workbook

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
