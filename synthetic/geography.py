"""Geography files of the synthetic territory, in the official layouts, at their real URLs' mirror paths."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely.geometry import mapping

from sources._http import mirror_path
from sources.cog import settings as cog_settings
from sources.qpv_perimeters import settings as qpv_settings
from synthetic.territory import Commune, Qpv, Territory

# Fixed timestamp inside zips: the same seed gives the same bytes.
_ZIP_DATE = (2024, 6, 27, 0, 0, 0)


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _target(mirror: Path, url: str) -> Path:
    path = mirror_path(mirror, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_zipped(mirror: Path, url: str, member: str, data: bytes) -> Path:
    """A one-member zip at the mirror path of `url` (QPV 2024 GeoJSON, EPCI and UU workbooks)."""
    target = _target(mirror, url)
    with zipfile.ZipFile(target, "w") as zf:
        _zip_write(zf, member, data)
    return target


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved workbook with fixed timestamps: same seed, same bytes."""
    buf = io.BytesIO()
    wb.save(buf)
    from synthetic.insee import _normalise_xlsx

    return _normalise_xlsx(buf.getvalue())


def _sheet_head(
    title: str, source: str, labels: tuple[str, ...], codes: tuple[str, ...]
) -> tuple[tuple[str, ...], ...]:
    """Title, geography and source rows, a blank row, then the label row and the code row."""
    return (title,), ("Géographie au 1er janvier 2024",), (source,), (), labels, codes


# The title, label and code rows of the INSEE EPCI and UU2020 workbooks, shared by the sample and the
# national mirror (sources/cog/parse.py finds the code row below the titles).
EPCI_HEAD = _sheet_head(
    "Établissements publics de coopération intercommunale (EPCI) au 1er janvier 2024",
    "Source : Insee, Code officiel géographique - DGCL, Banatic (données synthétiques)",
    ("Code de l'EPCI", "Libellé de l'EPCI", "Nature d'EPCI", "Nombre de communes"),
    ("EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"),
)
EPCI_COMPOSITION_HEAD = _sheet_head(
    "Composition communale des EPCI au 1er janvier 2024",
    "Source : Insee (données synthétiques)",
    ("Code géographique", "Libellé géographique", "EPCI", "Libellé de l'EPCI", "Département", "Région"),
    ("CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"),
)
UU_DOCUMENTATION = ("Unités urbaines 2020 — géographie au 1er janvier 2024 (données synthétiques)",)
UU_HEAD = _sheet_head(
    "Unités urbaines 2020",
    "Source : Insee",
    ("Code de l'unité urbaine", "Libellé de l'unité urbaine", "Tranche", "Nombre de communes"),
    ("UU2020", "LIBUU2020", "TUU2017", "NB_COM"),
)
UU_COMPOSITION_HEAD = _sheet_head(
    "Composition communale des unités urbaines 2020",
    "Source : Insee",
    (
        "Code géographique",
        "Libellé",
        "Unité urbaine",
        "Libellé de l'unité urbaine",
        "Type",
        "Statut",
        "Département",
    ),
    ("CODGEO", "LIBGEO", "UU2020", "LIBUU2020", "TYPE_COMMUNE_UU", "STATUT_COM_UU", "DEP"),
)


def qpv2024_feature(
    fid: int,
    q: Qpv,
    communes: list[Commune],
    region: tuple[str, str],
    departement: tuple[str, str],
    geometry: dict[str, object],
) -> dict[str, object]:
    """One feature of the ANCT 2024 GeoJSON (sample and national mirror); `region` and `departement`
    are (code, name)."""
    return {
        "type": "Feature",
        "properties": {
            "fid": float(fid),
            "code_qp": q.code,
            "lib_qp": q.name,
            "insee_reg": region[0],
            "lib_reg": region[1],
            "insee_dep": departement[0],
            "lib_dep": departement[1],
            "insee_com": ", ".join(q.commune_codes),
            "lib_com": ", ".join(c.name for c in communes),
            "siren_epci": communes[0].epci_siren,
        },
        "geometry": geometry,
    }


def qpv2024_document(features: list[dict[str, object]]) -> bytes:
    """The ANCT 2024 GeoJSON file around its features (CRS84)."""
    doc = {
        "type": "FeatureCollection",
        "name": "QP2024_France_Hexagonale_Outre_Mer_WGS84",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def qpv2024_geojson(territory: Territory) -> bytes:
    """The ANCT 2024 GeoJSON (CRS84, MultiPolygons, `insee_com` as a ', '-joined list)."""
    features = []
    for fid, q in enumerate(territory.qpv2024, start=1):
        communes = [territory.commune(c) for c in q.commune_codes]
        geometry = _rounded(mapping(q.geometry_wgs84))
        features.append(qpv2024_feature(fid, q, communes, territory.region, territory.departement, geometry))
    return qpv2024_document(features)


def _rounded(geom: dict[str, object]) -> dict[str, object]:
    def rnd(obj: object) -> object:
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], float):
                return [round(float(v), 7) for v in obj]
            return [rnd(o) for o in obj]
        return obj

    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}


def write_qpv2024(mirror: Path, territory: Territory) -> Path:
    return write_zipped(
        mirror, qpv_settings.QPV2024_URL, qpv_settings.QPV2024_MEMBER, qpv2024_geojson(territory)
    )


def write_qpv2015(mirror: Path, territory: Territory) -> Path:
    """The 2015 shapefile (WGS84, fields CODE_QP, NOM_QP, COMMUNE_QP as commune names), zipped at root."""
    target = _target(mirror, qpv_settings.QPV2015_URL)
    frame = gpd.GeoDataFrame(
        {
            "CODE_QP": [q.code for q in territory.qpv2015],
            "NOM_QP": [q.name for q in territory.qpv2015],
            "COMMUNE_QP": [
                ", ".join(territory.commune(c).name for c in q.commune_codes) for q in territory.qpv2015
            ],
        },
        geometry=[q.geometry_wgs84 for q in territory.qpv2015],
        crs="EPSG:4326",
    )
    stem = Path(qpv_settings.QPV2015_MEMBER).stem
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        frame.to_file(shp, driver="ESRI Shapefile", encoding="UTF-8")
        with zipfile.ZipFile(target, "w") as zf:
            for part in sorted(Path(tmp).iterdir()):
                _zip_write(zf, part.name, part.read_bytes())
    return target


def write_cog(mirror: Path, territory: Territory) -> list[Path]:
    """v_commune / v_departement / v_region CSVs as INSEE publishes them (comma, UTF-8, quoted)."""
    out = []
    dep, reg = territory.departement, territory.region
    lines = ['"TYPECOM","COM","REG","DEP","CTCD","ARR","TNCC","NCC","NCCENR","LIBELLE","CAN","COMPARENT"']
    for c in territory.communes:
        tncc = "4" if c.name.startswith("Les ") else "5" if c.name.startswith("L'") else "0"
        ncc = c.name.upper().replace("LES ", "").replace("L'", "")
        lines.append(
            f'"COM","{c.code}","{reg[0]}","{dep[0]}","{dep[0]}D","{dep[0]}1","{tncc}","{ncc}","{c.name}","{c.name}",'
            f'"{dep[0]}01",""'
        )
    # A commune déléguée: present in the file, not a current commune.
    lines.append(
        f'"COMD","99199","","","","","0","ANCIENVILLE","Ancienville","Ancienville","","{territory.communes[0].code}"'
    )
    path = _target(mirror, cog_settings.COMMUNES_URL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(path)
    path = _target(mirror, cog_settings.DEPARTEMENTS_URL)
    path.write_text(
        '"DEP","REG","CHEFLIEU","TNCC","NCC","NCCENR","LIBELLE"\n'
        f'"{dep[0]}","{reg[0]}","{territory.communes[0].code}","2","SYNTHETIQUE","Synthétique","{dep[1]}"\n',
        encoding="utf-8",
    )
    out.append(path)
    path = _target(mirror, cog_settings.REGIONS_URL)
    path.write_text(
        '"REG","CHEFLIEU","TNCC","NCC","NCCENR","LIBELLE"\n'
        f'"{reg[0]}","{territory.communes[0].code}","3","SYNTHETIQUE","Synthétique","{reg[1]}"\n',
        encoding="utf-8",
    )
    out.append(path)
    return out


def epci_workbook(territory: Territory) -> bytes:
    """EPCI_au_01-01-2024.xlsx: title rows, a label row, the variable codes on row 6."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "EPCI"
    for row in EPCI_HEAD:
        ws.append(row)
    for e in territory.epcis:
        ws.append([e.siren, e.name, e.nature, sum(1 for c in territory.communes if c.epci_siren == e.siren)])
    comp = wb.create_sheet("Composition_communale")
    for row in EPCI_COMPOSITION_HEAD:
        comp.append(row)
    names = {e.siren: e.name for e in territory.epcis}
    for c in territory.communes:
        comp.append(
            [c.code, c.name, c.epci_siren, names[c.epci_siren], territory.departement[0], territory.region[0]]
        )
    return workbook_bytes(wb)


def write_epci(mirror: Path, territory: Territory) -> Path:
    return write_zipped(mirror, cog_settings.EPCI_URL, cog_settings.EPCI_MEMBER, epci_workbook(territory))


def uu_workbook(territory: Territory) -> bytes:
    """UU2020_au_01-01-2024.xlsx: Valbourg and its neighbours form one unité urbaine; the rest is rural."""
    wb = Workbook()
    doc = wb.active
    assert doc is not None
    doc.title = "Documentation"
    doc.append(UU_DOCUMENTATION)
    uu = wb.create_sheet("UU2020")
    for row in UU_HEAD:
        uu.append(row)
    urban = {"99101", "99102", "99104", "99105"}
    uu.append(["99701", "Valbourg", "5", len(urban)])
    comp = wb.create_sheet("Composition_communale")
    for row in UU_COMPOSITION_HEAD:
        comp.append(row)
    dep = territory.departement[0]
    for c in territory.communes:
        if c.code in urban:
            status = "C" if c.code == "99101" else "B"
            comp.append([c.code, c.name, "99701", "Valbourg", "urbain", status, dep])
        else:
            comp.append([c.code, c.name, f"{dep}000", "Communes hors unité urbaine", "hors UU", "H", dep])
    return workbook_bytes(wb)


def write_unites_urbaines(mirror: Path, territory: Territory) -> Path:
    return write_zipped(mirror, cog_settings.UU_URL, cog_settings.UU_MEMBER, uu_workbook(territory))


def write_contours(mirror: Path, territory: Territory) -> Path:
    """Etalab commune contours (GeoJSON, WGS84, gzipped)."""
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": c.code,
                "nom": c.name,
                "departement": territory.departement[0],
                "region": territory.region[0],
                "epci": c.epci_siren,
            },
            "geometry": _rounded(mapping(c.geometry_wgs84)),
        }
        for c in territory.communes
    ]
    doc = {"type": "FeatureCollection", "features": features}
    target = _target(mirror, cog_settings.CONTOURS_URL)
    target.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), mtime=0))
    return target


def write_geography(mirror: Path, territory: Territory, seed: int) -> list[Path]:
    del seed  # the territory already carries it
    return [
        write_qpv2024(mirror, territory),
        write_qpv2015(mirror, territory),
        *write_cog(mirror, territory),
        write_epci(mirror, territory),
        write_unites_urbaines(mirror, territory),
        write_contours(mirror, territory),
    ]
