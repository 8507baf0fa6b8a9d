"""Parsers of the education sources, on tiny fixtures in the exact official formats (bad inputs included)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources._errors import SourceFormatError
from sources.education_annuaire import parse_annuaire, parse_directory, parse_geolocalisation
from sources.education_effectifs import parse_effectifs
from sources.education_ep import parse_ep, parse_ep_dataset
from sources.education_ips import parse_ips
from sources.education_iva import parse_iva


@pytest.fixture(scope="module")
def ips_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "education_ips"


def test_ips_technical_header_values_and_markers(ips_dir: Path) -> None:
    df = parse_ips(ips_dir / "fr-en-ips-ecoles-ap2022_technical.csv")
    assert df.height == 4
    assert df.schema["ips"] == pl.Float64 and df.schema["rentree"] == pl.Int32
    row = df.filter((pl.col("uai") == "0610102E") & (pl.col("rentree") == 2023)).row(0, named=True)
    assert row["ips"] == 75.0 and row["ips_status"] == "published" and row["rentree_label"] == "2023-2024"
    assert row["ips_series"] == "ap2022" and row["level"] == "ecole" and row["source_row"] == 4
    ns = df.filter((pl.col("uai") == "0610124D") & (pl.col("rentree") == 2022)).row(0, named=True)
    assert ns["ips"] is None and ns["ips_status"] == "suppressed"
    empty = df.filter((pl.col("uai") == "0610124D") & (pl.col("rentree") == 2023)).row(0, named=True)
    assert empty["ips_status"] == "suppressed" and empty["sector"] == "prive"
    assert empty["ips_academique_prive"] is None and empty["ips_national"] == 105.4


def test_ips_label_header_with_bom_crlf_gives_same_frame(ips_dir: Path) -> None:
    lab = parse_ips(ips_dir / "fr-en-ips-ecoles-ap2022_labels.csv", dataset="fr-en-ips-ecoles-ap2022")
    tech = parse_ips(ips_dir / "fr-en-ips-ecoles-ap2022_technical.csv").head(2)
    assert lab.drop("source_row").equals(tech.drop("source_row"))


def test_ips_legacy_and_colleges_typo_header(ips_dir: Path) -> None:
    leg = parse_ips(ips_dir / "fr-en-ips_ecoles_legacy.csv", dataset="fr-en-ips_ecoles")
    assert leg["ips_series"].to_list() == ["legacy", "legacy"] and leg["rentree"].to_list() == [2021, 2021]
    assert leg["name"][0] == "ECOLE PRIMAIRE (LA CHAPELLE D ANDAINE)"  # `Nom de l'établissment` (typo) mapped
    col = parse_ips(ips_dir / "fr-en-ips-colleges-ap2022_labels.csv", dataset="fr-en-ips-colleges-ap2022")
    r = col.row(0, named=True)
    assert (r["uai"], r["pupils"], r["ips"], r["ips_ecart_type"]) == ("0010005A", 540, 110.4, 31.3)


def test_ips_colleges_ap2023_label_variant(ips_dir: Path) -> None:
    df = parse_ips(ips_dir / "fr-en-ips-colleges-ap2023_labels.csv", dataset="fr-en-ips-colleges-ap2023")
    assert df.sort("rentree")["rentree"].to_list() == [2023, 2024]  # from `Année scolaire`
    r = df.filter(pl.col("rentree") == 2024).row(0, named=True)
    assert (r["ips"], r["ips_ecart_type"], r["commune_code"], r["ips_departemental"]) == (
        78.7,
        23.9,
        "72181",
        102.1,
    )


def test_ips_api_json_records(ips_dir: Path) -> None:
    col = parse_ips(ips_dir / "fr-en-ips-colleges-ap2023_records.json")  # dataset read from the links
    assert col["source_dataset"].unique().to_list() == ["fr-en-ips-colleges-ap2023"]
    assert col.filter(pl.col("uai") == "0720902P")["ips"].to_list() == [78.7]
    lyc = parse_ips(ips_dir / "fr-en-ips-lycees-ap2023_records.json")
    r = lyc.filter(pl.col("uai") == "0720003M").row(0, named=True)
    # LP: ips_etab 80.7, voie pro 78.8, no voie GT; references of the LP type.
    assert (r["lycee_type"], r["ips"], r["ips_voie_pro"], r["ips_voie_gt"]) == ("LP", 80.7, 78.8, None)
    assert (r["ips_national"], r["ips_departemental_prive"]) == (89.5, 101.0)


@pytest.mark.parametrize(
    ("name", "row", "column", "words"),
    [
        ("bad_uai", 3, "uai", "invalid UAI"),
        ("bad_check_letter", 2, "uai", "check letter"),
        ("ips_out_of_range", 3, "ips", "outside [38, 180]"),
        ("ips_not_a_number", 3, "ips", "not a number"),
        ("duplicate", 4, "uai", "duplicate"),
        ("bad_rentree", 2, "rentree_scolaire", "school year"),
    ],
)
def test_ips_bad_inputs_name_row_and_column(
    ips_dir: Path, name: str, row: int, column: str, words: str
) -> None:
    path = ips_dir / f"fr-en-ips-ecoles-ap2022_{name}.csv"
    with pytest.raises(SourceFormatError) as exc:
        parse_ips(path)
    assert exc.value.row == row and exc.value.column == column and words in exc.value.message
    assert str(path) in str(exc.value)


def test_ips_renamed_column_names_dataset_vintage_and_column(ips_dir: Path) -> None:
    with pytest.raises(SourceFormatError) as exc:
        parse_ips(ips_dir / "fr-en-ips-ecoles-ap2022_renamed_column.csv")
    msg = str(exc.value)
    assert "fr-en-ips-ecoles-ap2022" in msg and "2022-2023" in msg and "'ips'" in msg
    assert "indice_position_sociale" in msg  # the unrecognised column is listed


def test_latin1_file_is_refused_with_its_row(ips_dir: Path) -> None:
    with pytest.raises(SourceFormatError) as exc:
        parse_ips(ips_dir / "fr-en-ips-ecoles-ap2022_latin1.csv", dataset="fr-en-ips-ecoles-ap2022")
    assert exc.value.row == 1 and "UTF-8" in exc.value.message


def test_unknown_dataset_is_an_error(ips_dir: Path, tmp_path: Path) -> None:
    p = tmp_path / "ips.csv"
    p.write_bytes((ips_dir / "fr-en-ips_ecoles_legacy.csv").read_bytes())
    with pytest.raises(SourceFormatError, match="which IPS dataset"):
        parse_ips(p)


def test_annuaire_capitalised_header_and_coordinate_statuses(fixtures_dir: Path) -> None:
    df = parse_annuaire(fixtures_dir / "education_annuaire" / "fr-en-annuaire-education_capitalised.csv")
    # Row 1 of the real sample is geocoded at street level (`Rue`); row 2 was set to `Rue` too.
    assert df["coord_precision"][0] == "Rue"
    assert df["coord_status"].to_list() == ["imprecise", "imprecise", "missing", "swapped", "out_of_bounds"]
    ok = df.row(0, named=True)
    assert ok["uai"] == "0940176F" and ok["level"] == "ecole" and ok["sector"] == "public"
    # Lambert-93 projected from lon/lat equals the file's coordX_origine/coordY_origine (650267.1, 6850327.2).
    assert abs(ok["x_l93"] - 650267.1) < 0.5 and abs(ok["y_l93"] - 6850327.2) < 0.5
    assert df["ep_membership"].to_list()[:2] == ["hors EP", "REP+"]
    assert (
        df.filter(pl.col("coord_status").is_in(["missing", "swapped", "out_of_bounds"]))["x_l93"].null_count()
        == 3
    )


def test_annuaire_lower_case_header(fixtures_dir: Path) -> None:
    df = parse_directory(fixtures_dir / "education_annuaire" / "fr-en-annuaire-education_lower.csv")
    assert df["uai"].to_list()[:2] == ["0621685V", "0622584X"]
    assert df["sector"].to_list()[:2] == ["public", "prive"]


def test_annuaire_unknown_ep_value(fixtures_dir: Path) -> None:
    with pytest.raises(SourceFormatError) as exc:
        parse_annuaire(fixtures_dir / "education_annuaire" / "fr-en-annuaire-education_bad_ep.csv")
    assert exc.value.row == 2 and exc.value.column == "appartenance_education_prioritaire"


def test_geolocation_file(fixtures_dir: Path) -> None:
    path = (
        fixtures_dir / "education_annuaire" / "fr-en-adresse-et-geolocalisation-etablissements_colleges.csv"
    )
    df = parse_geolocalisation(path)
    assert df["uai"].to_list() == ["0071168G", "0071245R", "0111095F"]
    assert df["coord_status"].to_list() == ["ok", "ok", "missing"]
    assert abs(df["x_l93"][0] - 824876.1) < 0.5  # coordonnee_x of the file
    assert df["ep_membership"].null_count() == 3  # the file says nothing about EP


def test_rep_ministry_list(fixtures_dir: Path) -> None:
    df = parse_ep(fixtures_dir / "education_ep" / "liste-des-rep-et-rep-rentree-2022.csv")
    assert set(df["ep_status"]) == {"REP+"} and set(df["rentree"]) == {2022}
    assert df["uai_tete_de_reseau"].unique().to_list() == ["0622907Y"]
    with pytest.raises(SourceFormatError, match="conflicting"):
        parse_ep(fixtures_dir / "education_ep" / "liste-des-rep-et-rep-rentree-2022_conflict.csv")


def test_ep_dataset_wide_years(fixtures_dir: Path) -> None:
    df = parse_ep_dataset(fixtures_dir / "education_ep" / "fr-en-etablissements-ep.csv")
    assert df.sort("uai")["ep_status"].to_list() == ["hors EP", "REP+"]
    assert df.filter(pl.col("uai") == "0622907Y")["n_source_rows"].to_list() == [2]


def test_effectifs_csv_and_json(fixtures_dir: Path) -> None:
    d = fixtures_dir / "education_effectifs"
    col = parse_effectifs(d / "fr-en-college-effectifs-niveau-sexe-lv.csv")
    r = col.filter(pl.col("uai") == "0622907Y").row(0, named=True)
    assert (r["rentree"], r["rentree_label"], r["pupils"], r["rep_plus"], r["rep"]) == (
        2022,
        "2022-2023",
        327,
        True,
        False,
    )
    ec = parse_effectifs(d / "fr-en-ecoles-effectifs-nb_classes_records.json")
    assert ec["level"].unique().to_list() == ["ecole"]
    assert ec.filter(pl.col("rep").is_null()).height == 1  # SANS OBJET
    assert ec["pupils"][0] == 65 and ec["classes"][0] == 3 and ec["sector"][0] == "prive"
    with pytest.raises(SourceFormatError, match="both REP and REP"):
        parse_effectifs(d / "fr-en-college-effectifs-niveau-sexe-lv_both_flags.csv")


def test_iva_label_header_with_leading_spaces(fixtures_dir: Path) -> None:
    df = parse_iva(fixtures_dir / "education_iva" / "fr-en-indicateurs-valeur-ajoutee-colleges.csv")
    r = df.filter(pl.col("uai") == "0010005A").row(0, named=True)
    assert (r["session"], r["rentree"], r["sector"], r["va_du_taux_de_reussite_g"]) == (
        2023,
        2022,
        "public",
        -2.0,
    )
    assert r["nb_candidats_p"] is None  # empty = not published
    with pytest.raises(SourceFormatError) as exc:
        parse_iva(
            fixtures_dir / "education_iva" / "fr-en-indicateurs-valeur-ajoutee-colleges_rate_above_100.csv"
        )
    assert exc.value.row == 2 and exc.value.column == "Taux de réussite - G"
