"""2015 QPVs known only from INSEE's files: name from LIBGEO, communes from LIB_COM matched on the COG."""

from __future__ import annotations

import polars as pl

from models.qpv_identity import departement_of, name_key, qpv_identities

COMMUNES = pl.DataFrame(
    {
        "code": ["61006", "62040", "62525", "62765", "13055", "99001", "99002"],
        "name": [
            "Argentan", "Arques", "Longuenesse", "Saint-Omer", "Marseille", "Sainte-Marie", "Sainte-Marie"
        ],
        "departement": ["61", "62", "62", "62", "13", "99", "99"],
        "geo_version": ["cog2026"] * 7,
    }
)


def _staged(rows: list[tuple[str, str | None, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "territory_kind": ["qpv2015"] * len(rows),
            "codgeo": [r[0] for r in rows],
            "libgeo": [r[1] for r in rows],
            "libcom": [r[2] for r in rows],
            "release": [r[3] for r in rows],
            "is_aggregate": [False] * len(rows),
            "source_sha256": ["x"] * len(rows),
        }
    )


def test_departement_of_both_geographies() -> None:
    assert departement_of("qpv2015", "QP061001") == "61"
    assert departement_of("qpv2015", "QP974001") == "974"
    assert departement_of("qpv2015", "QP02A001") == "2A"
    assert departement_of("qpv2024", "QN06236M") == "62"
    assert departement_of("qpv2015", "QN06236M") is None


def test_names_compare_without_accents_case_hyphens_or_saint_spelling() -> None:
    assert name_key("Saint-Omer") == name_key("ST OMER") == name_key("saint omer")
    assert name_key("Marseille 15e Arrondissement") == name_key("Marseille")


def test_name_and_communes_of_qpvs_without_perimeter() -> None:
    staged = _staged(
        [
            ("QP061001", "Les Provinces", "Argentan", "2022"),
            ("QP061001", "Provinces (ancien nom)", "Argentan", "2017"),
            ("QP062036", "Saint-Exupéry - Léon Blum", "Arques, Longuenesse, Saint-Omer", "2022"),
            ("QP013005", "Kallisté", "Marseille 15e Arrondissement, Marseille 16e Arrondissement", "2022"),
            ("QP099001", "Nulle part", "Atlantis", "2022"),
            ("QP099002", "Ambigu", "Sainte Marie", "2022"),
            ("QP066007", "Perimetre tenu", "Argentan", "2022"),
        ]
    )
    territory, links, report = qpv_identities(staged, COMMUNES, {("qpv2015", "QP066007")})
    names = dict(territory.select("code", "name").iter_rows())
    assert names["QP061001"] == "Les Provinces"  # the latest release's name
    assert "QP066007" not in names  # its perimeter is held: the perimeter layer names it
    assert territory["geom_wkb"].null_count() == territory.height
    linked = {(c, p): s for c, p, s in links.select("child_code", "parent_code", "area_share").iter_rows()}
    assert linked == {
        ("QP061001", "61006"): 1.0,
        ("QP062036", "62040"): None,
        ("QP062036", "62525"): None,
        ("QP062036", "62765"): None,
        ("QP013005", "13055"): 1.0,  # two arrondissements of one commune
    }
    problems = {(r["qpv_code"], r["problem"], r["candidates"]) for r in report.iter_rows(named=True)}
    assert problems == {("QP099001", "no_match", None), ("QP099002", "ambiguous", "99001,99002")}
