"""The schools of a fiche: in and near the QPV (its own rules of distance), the collèges de secteur, each with
its note citing only the files of its own datasets."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.fiche import fmt
from warehouse.fiche.figures import _rows
from warehouse.fiche.model import School
from warehouse.fiche.notes import _Notes, geography_fr
from warehouse.vocabulary import COORD_FR, LEVEL_FR

SCHOOL_NOTE = (
    "Écoles et collèges listés : ceux situés dans le quartier ou à proximité (écoles à moins de 100 m, "
    "collèges et lycées à moins de 300 m : convention Insee) et les collèges de secteur déclarés par le "
    "contrat de ville, à leur dernière rentrée connue ; numérotés comme sur la carte."
)


def _school_datasets(s: dict[str, Any]) -> list[str]:
    return [
        d for d in (s["directory_dataset"], s["ep_dataset"], s["ips_dataset"], s["effectifs_dataset"]) if d
    ]


class _EducationFiles:
    """The files an education figure comes from, from the datasets its rows name (`school.*_dataset`, and
    the "+"-joined `source_dataset` of the education figures): `observation.source_sha256` and
    `source_vintage` of an education figure join every file of every education dataset loaded (a
    Pays de la Loire extract on a Pas-de-Calais fiche), so the note is rebuilt from the row's own datasets.
    A dataset held in one file names that file; held in several, the row's file is not kept in the
    warehouse: the note names the dataset and says so, never a file the figure may not come from."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.files: dict[str, list[tuple[str, str | None]]] = {}
        for dataset, name, vintage in con.execute(
            "SELECT dataset, coalesce(file_name, url), vintage FROM source_file ORDER BY dataset, file_name"
        ).fetchall():
            self.files.setdefault(dataset, []).append((name, vintage))

    def of(self, dataset: str) -> list[tuple[str, str | None]]:
        if dataset in self.files:
            return self.files[dataset]
        # `school.ep_dataset` names the rentrée list ("liste-des-rep-et-rep-rentree-2022") of a dataset
        # registered without it ("liste-des-rep-et-rep")
        prefixes = [d for d in self.files if dataset.startswith(d + "-")]
        return self.files[max(prefixes, key=len)] if prefixes else []

    def describe(self, datasets: list[str]) -> str:
        """« fr-en-ips-ecoles-ap2022 : fichier fr-en-ips-ecoles-ap2022_national.parquet ; … »."""
        parts = []
        for d in dict.fromkeys(datasets):
            files = self.of(d)
            if len(files) == 1:
                parts.append(f"{d} : fichier {files[0][0]}")
            elif files:
                parts.append(
                    f"{d} : l'un des {len(files)} fichiers chargés "
                    "(fichier de chaque établissement non conservé)"
                )
            else:
                parts.append(d)
        return " ; ".join(parts)

    def fix_figure(self, r: dict[str, Any]) -> None:
        """An education figure: its release and file(s) from its own datasets only."""
        datasets = [d for d in (r["source_dataset"] or "").split("+") if d]
        files = [f for d in datasets for f in self.of(d)]
        vintages = sorted({v for d in datasets for _, v in self.of(d) if len(self.of(d)) == 1 and v})
        names = [d for d in datasets if len(self.of(d)) == 1]
        r["source_vintage"] = ", ".join(vintages) if vintages else None
        r["file_name"] = ", ".join(self.of(d)[0][0] for d in names) if files and names else None


def _school(s: dict[str, Any], where: str, note: int, placed: bool) -> School:
    if s["ips_status"] == "suppressed":
        ips = "secret statistique"
    elif s["ips"] is None:
        ips = "—"
    else:
        ips = fmt.number_fr(s["ips"], 1)
    return School(
        uai=s["uai"],
        name=s["name"] or s["uai"],
        level=LEVEL_FR.get(s["level"] or "", s["level"] or ""),
        sector="public" if s["sector"] == "public" else "privé" if s["sector"] == "prive" else "",
        ep_status=s["ep_status"] or "inconnu",
        ips=ips,
        pupils=fmt.number_fr(s["pupils"], 0) if s["pupils"] is not None else "—",
        where=where,
        rentree=s["rentree_label"],
        x=s["x_l93"] if placed else None,
        y=s["y_l93"] if placed else None,
        inside=placed and s.get("relation") == "inside",
        note=note,
        coord_status=s["coord_status"] or "missing",
        placed=placed,
        commune_code=s["commune_code"] or "",
        located=s["x_l93"] is not None,
    )


def _schools(
    con: duckdb.DuckDBPyConnection, geography: str, code: str, commune_codes: list[str], notes: _Notes
) -> list[School]:
    """Schools inside or near the perimeter, at their latest rentrée (school_qpv × school); then the
    schools of the QPV's communes without usable coordinates (never dropped: listed with their flag, as
    `quartiers schools` does), at the latest rentrée of those communes."""
    edu_files = _EducationFiles(con)
    rows = _rows(
        con,
        # Each school at its latest rentrée: a window over the joined rows (a correlated max per school
        # cost 120 ms on the national warehouse); UAI last, so schools of the same name keep one order.
        # Inside, or within INSEE's proximity convention (écoles 100 m, collèges and lycées 300 m), or a
        # collège de secteur a contract declares for this QPV (whatever its distance: NULL beyond 1 km).
        "SELECT s.*, r.relation, r.distance_m, c.uai IS NOT NULL AS college_secteur FROM school s "
        "LEFT JOIN school_qpv r ON r.uai = s.uai AND r.territory_kind = ? AND r.territory_code = ? "
        "LEFT JOIN (SELECT DISTINCT uai FROM contract_college_secteur WHERE code_2024 = ?) c "
        "ON c.uai = s.uai "
        "WHERE (r.uai IS NOT NULL AND r.distance_m <= CASE s.level WHEN 'ecole' THEN 100 ELSE 300 END) "
        "OR c.uai IS NOT NULL "
        "QUALIFY s.rentree = max(s.rentree) OVER (PARTITION BY s.uai) "
        "ORDER BY r.relation NULLS LAST, s.level DESC, r.distance_m, s.name, s.uai",
        [geography, code, code],
    )
    import shapely

    wkb = con.execute(
        "SELECT any_value(geom_wkb) FROM territory WHERE kind = ? AND code = ? AND geom_wkb IS NOT NULL",
        [geography, code],
    ).fetchone()
    perimeter = shapely.from_wkb(wkb[0]) if wkb and wkb[0] is not None else None
    out: list[School] = []
    # One note per rentrée for the listed schools, naming the files of their rows' datasets.
    by_rentree: dict[str, list[str]] = {}
    for s in rows:
        by_rentree.setdefault(s["rentree_label"], []).extend(_school_datasets(s))
    for s in rows:
        files = edu_files.describe(by_rentree[s["rentree_label"]])
        group = f"Éducation nationale (DEPP), établissements ({files})"
        # the proximity convention is stated once, in the method notes (SCHOOL_NOTE)
        detail = f"rentrée {s['rentree_label']} ; position par rapport au {geography_fr(geography)}"
        note = notes.number(("school", s["rentree_label"], geography), f"{group} ; {detail}", group, detail)
        if s["relation"] == "inside":
            where = "dans le quartier"
        elif s["distance_m"] is not None:
            where = f"à {fmt.distance_fr(s['distance_m'])}"
        elif s["x_l93"] is not None and perimeter is not None:
            # a collège de secteur beyond the 1 km school_qpv keeps: its true distance, measured here
            far = float(shapely.distance(perimeter, shapely.Point(s["x_l93"], s["y_l93"])))
            where = f"à {fmt.distance_fr(far)}"
        else:
            where = "distance inconnue (sans coordonnées)"
        if s["college_secteur"]:
            where += ", collège de secteur"
        if s["coord_status"] not in (None, "ok"):
            where += f" ({COORD_FR.get(s['coord_status'], s['coord_status'])})"
        # a collège de secteur beyond 1 km stays off the map (it would zoom the map out of the quartier)
        out.append(_school(s, where, note, placed=s["relation"] is not None))
    if not commune_codes:
        return out
    unplaced = _rows(
        con,
        "SELECT s.* FROM school s WHERE list_contains(?, s.commune_code) AND s.x_l93 IS NULL "
        "AND s.rentree = (SELECT max(rentree) FROM school s2 WHERE list_contains(?, s2.commune_code)) "
        "ORDER BY s.commune_code, s.name, s.uai",
        [commune_codes, commune_codes],
    )
    for s in unplaced:
        datasets = ", ".join(_school_datasets(s))
        group = f"Éducation nationale (DEPP), établissements ({edu_files.describe(_school_datasets(s))})"
        detail = (
            f"rentrée {s['rentree_label']} ; établissement de la commune {s['commune_code']} sans "
            "coordonnées utilisables : ni placé sur la carte, ni situé par rapport au périmètre"
        )
        note = notes.number(
            ("school-unplaced", datasets, s["rentree_label"], s["commune_code"]),
            f"{group} ; {detail}",
            group,
            detail,
        )
        flag = COORD_FR.get(s["coord_status"], s["coord_status"] or "sans coordonnées")
        out.append(_school(s, f"non situé ({flag}), commune {s['commune_code']}", note, placed=False))
    return out
