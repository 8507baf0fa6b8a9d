"""INSEE parsers on tiny fixtures in the exact byte format, and the bad inputs they must refuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from sources._errors import SourceFormatError
from sources.filosofi import parse_filosofi_file
from sources.insee_common import identify, read_table, scan
from sources.insee_comparateur import parse_comparateur_file
from sources.insee_qpv import parse_qpv_file
from sources.insee_qpv import settings as qpv_settings


def _cell(df: pl.DataFrame, code: str, variable: str) -> dict[str, object]:
    rows = df.filter((pl.col("codgeo") == code) & (pl.col("variable") == variable))
    assert rows.height == 1, (code, variable, rows)
    return rows.row(0, named=True)


@pytest.fixture()
def qpv(fixtures_dir: Path) -> Path:
    return fixtures_dir / "insee_qpv"


def test_revn_bytes_bom_crlf_padding_narrow_nbsp(qpv: Path) -> None:
    raw = (qpv / "REVN_2022.csv").read_bytes()
    assert (
        raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\xe2\x80\xaf" in raw and b";;;;\r\n" in raw
    )
    layout = identify(qpv / "REVN_2022.csv")
    assert (layout.spec.id, layout.release, layout.geo_version) == ("qpv2015_revn", "2022", "qpv2015")
    df = layout.parse()
    med = _cell(df, "QP061001", "DISP_Q2")
    assert med["value"] == 14380.0 and med["status"] == "published"
    assert med["period"] == "2018"  # REVN_2022 carries Filosofi 2018, not 2022
    assert _cell(df, "QP061001", "TP60")["value"] == pytest.approx(40.8)
    assert _cell(df, "QP061001", "PIMPOT")["value"] == pytest.approx(-8.0)


def test_note_blanked_block_is_suppressed_never_zero(qpv: Path) -> None:
    df = parse_qpv_file(qpv / "REVN_2022.csv")
    c = _cell(df, "QP062036", "C")
    assert c["status"] == "suppressed" and c["value"] is None and c["marker"] == "NOTE_CNAM=5"
    # a secret cell in a block whose note is 0
    tp = _cell(df, "QP062036", "TP60")
    assert tp["status"] == "suppressed" and tp["marker"] == "empty"
    # no Cnaf row at all (note empty) → missing, not suppressed
    a = _cell(df, "QP972001", "A")
    assert a["status"] == "missing" and a["value"] is None


def test_ipro_trailing_space_header_and_pe_block(qpv: Path) -> None:
    df = parse_qpv_file(qpv / "IPRO_2022.csv")
    assert "EVOL_CA_N_E" in df["variable"].to_list()
    assert _cell(df, "QP061001", "ABC")["value"] == 227.0
    abc = _cell(df, "QP062036", "ABC")
    assert abc["status"] == "suppressed" and abc["marker"] == "NOTE_PE=5"
    assert _cell(df, "QP062036", "TX_TOT_EMPL")["status"] == "published"  # other blocks unaffected
    assert _cell(df, "QP061001", "ABC")["period"] == "2021-12-31"


def test_quoted_fields_and_release_from_name(qpv: Path) -> None:
    layout = identify(qpv / "data_DEMO_2021_V1_QP.csv")
    assert layout.release == "2021"
    df = layout.parse()
    assert _cell(df, "QP061001", "POP_MUN")["value"] == 1471.0
    assert _cell(df, "QP061001", "POP_MUN")["period"] == "2018"
    assert _cell(df, "QP061001", "TX_TOT_MEN6")["status"] == "suppressed"


def test_lower_case_legacy_filo_and_ensemble_row(qpv: Path) -> None:
    df = parse_qpv_file(qpv / "data_filo16_qp_revdis.csv")
    med = _cell(df, "QP062036", "DISP_MED_A16")  # disp_q2_a16 in the file
    assert med["value"] == 11520.0 and med["period"] == "2016"
    assert _cell(df, "QP062036", "DISP_TP60_A16")["value"] == pytest.approx(59.8)
    ens = df.filter(pl.col("codgeo") == "Ensemble")
    assert ens["is_aggregate"].all() and ens["source_row"].unique().to_list() == [2]
    # note 1 = precaution: values kept; an empty cell is a secret
    assert _cell(df, "QP061001", "DISP_MED_A16")["status"] == "published"
    assert _cell(df, "QP061001", "DISP_TP60_A16")["status"] == "suppressed"


def test_nbsp_thousands(qpv: Path) -> None:
    df = parse_qpv_file(qpv / "data_filo19_qp_revdis.csv")
    assert _cell(df, "QP061001", "DISP_MED_A19")["value"] == 13550.0


def test_qpv2024_layout_markers_and_note(qpv: Path) -> None:
    layout = identify(qpv / "revenu-disponible-qp24-2021_QP.csv")
    assert layout.geo_version == "qpv2024" and layout.release == "2021"
    df = layout.parse()
    assert _cell(df, "QN06101M", "DISP_MED_A21")["value"] == 14500.0
    s = _cell(df, "QN06202M", "DISP_TP60_A21")
    assert s["status"] == "suppressed" and s["marker"] == "s"
    assert _cell(df, "QN06203M", "DISP_MED_A21")["marker"] == "DISP_NOTE_A21=3"


def test_filosofi_territory_files(fixtures_dir: Path) -> None:
    d = fixtures_dir / "insee_filosofi"
    epci = identify(d / "FILO2019_DISP_EPCI.csv")
    assert epci.territory_kind == "epci" and epci.release == "2019"
    df = epci.parse()
    assert _cell(df, "200069037", "Q219")["value"] == 19730.0
    assert _cell(df, "200069037", "NBUC19")["value"] == pytest.approx(67000.5)
    assert _cell(df, "200068450", "Q119")["status"] == "suppressed"
    cc = parse_filosofi_file(d / "cc_filosofi_2021_COM.csv")
    assert _cell(cc, "62765", "MED21")["value"] == 18120.0
    assert _cell(cc, "01001", "TP6021")["marker"] == "s"
    assert _cell(cc, "60694", "MED21")["status"] == "suppressed"
    iris = parse_filosofi_file(d / "BASE_TD_FILO_IRIS_2021_DEC.csv")
    assert _cell(iris, "610060101", "DEC_MED21")["value"] == 13930.0
    assert _cell(iris, "610060104", "DEC_MED21")["status"] == "suppressed"
    assert _cell(iris, "610060201", "DEC_MED21")["marker"] == "DEC_NOTE21=nd"


def test_comparateur_mixed_decimals_and_markers(fixtures_dir: Path) -> None:
    df = parse_comparateur_file(fixtures_dir / "insee_comparateur" / "base_cc_comparateur.CSV")
    assert _cell(df, "61006", "P22_MEN")["value"] == pytest.approx(6799.51258331431)
    assert _cell(df, "61006", "PIMP21")["value"] == pytest.approx(39.0)
    assert _cell(df, "61006", "P22_POP")["period"] == "2022"
    assert _cell(df, "61006", "P16_POP")["period"] == "2016"
    assert _cell(df, "61006", "MED21")["period"] == "2021"
    assert _cell(df, "60694", "MED21")["marker"] == "nd"
    assert _cell(df, "62461", "P22_POP")["status"] == "missing"  # empty = no value in this release


# ----------------------------------------------------------------------------------- bad inputs


def _rewrite(src: Path, dst: Path, old: bytes, new: bytes) -> Path:
    data = src.read_bytes()
    assert old in data
    dst.write_bytes(data.replace(old, new, 1))
    return dst


def test_renamed_column_names_closest_layout(qpv: Path, tmp_path: Path) -> None:
    bad = _rewrite(qpv / "REVN_2022.csv", tmp_path / "REVN_2022.csv", b";TP60;", b";TP_60;")
    with pytest.raises(SourceFormatError) as exc:
        identify(bad)
    assert "qpv2015_revn" in str(exc.value) and "REVN_2022.csv" in str(exc.value)
    assert exc.value.row == 1


def test_unknown_file_names_closest_layouts(tmp_path: Path) -> None:
    p = tmp_path / "mystery.csv"
    p.write_bytes(b"CODGEO;FOO;BAR\r\n01001;1;2\r\n")
    with pytest.raises(SourceFormatError, match="closest"):
        identify(p)


def test_reordered_columns_still_parse(qpv: Path, tmp_path: Path) -> None:
    lines = (qpv / "data_filo19_qp_revdis.csv").read_bytes().split(b"\r\n")
    cells = [ln.split(b";") for ln in lines if ln]
    order = [0, *reversed(range(1, len(cells[0])))]
    out = tmp_path / "data_filo19_qp_revdis.csv"
    out.write_bytes(b"".join(b";".join(c[i] for i in order) + b"\r\n" for c in cells))
    df = parse_qpv_file(out)
    assert _cell(df, "QP061001", "DISP_MED_A19")["value"] == 13550.0


def test_total_row_inside_data(qpv: Path, tmp_path: Path) -> None:
    data = (qpv / "data_filo16_qp_revdis.csv").read_bytes().split(b"\r\n")
    data[1], data[2] = data[2], data[1]  # the Ensemble row is now the 2nd data row
    p = tmp_path / "data_filo16_qp_revdis.csv"
    p.write_bytes(b"\r\n".join(data))
    with pytest.raises(SourceFormatError) as exc:
        parse_qpv_file(p)
    assert exc.value.row == 3 and exc.value.column == "CODGEO"


def test_bad_number_names_row_and_column(qpv: Path, tmp_path: Path) -> None:
    bad = _rewrite(
        qpv / "data_filo19_qp_revdis.csv", tmp_path / "data_filo19_qp_revdis.csv", b";46,2;", b";46.2,1;"
    )
    with pytest.raises(SourceFormatError) as exc:
        parse_qpv_file(bad)
    assert exc.value.row == 2 and exc.value.column == "DISP_TP60_A19"


def test_qpv_code_of_the_wrong_geography(qpv: Path, tmp_path: Path) -> None:
    mixed = _rewrite(qpv / "REVN_2022.csv", tmp_path / "REVN_2022.csv", b"QP972001", b"QN97201M")
    with pytest.raises(SourceFormatError, match="mixes"):
        identify(mixed)
    named = _rewrite(
        qpv / "revenu-disponible-qp24-2021_QP.csv",
        tmp_path / "revenu-disponible-qp15-2021_QP.csv",
        b"QN06101M",
        b"QN06101M",
    )
    with pytest.raises(SourceFormatError, match="qp15"):
        identify(named)
    garbage = _rewrite(
        qpv / "data_filo19_qp_revdis.csv", tmp_path / "data_filo19_qp_revdis.csv", b"QP061001", b"QP61001"
    )
    with pytest.raises(SourceFormatError) as exc:
        identify(garbage)
    assert "no QPV code" in str(exc.value)


def test_value_in_padding_is_refused(qpv: Path, tmp_path: Path) -> None:
    data = (qpv / "REVN_2022.csv").read_bytes().split(b"\r\n")
    data[1] = data[1] + b"oops"
    p = tmp_path / "REVN_2022.csv"
    p.write_bytes(b"\r\n".join(data))
    with pytest.raises(SourceFormatError) as exc:
        read_table(p)
    assert exc.value.row == 2 and exc.value.column is not None


def test_release_needs_the_file_name_when_headers_are_shared(qpv: Path, tmp_path: Path) -> None:
    header = ";".join(qpv_settings.DEMO_EXPORT_2122.split())
    p = tmp_path / "demographie.csv"
    p.write_text(
        header + "\r\n" + "QP061001;X" + ";1" * (len(qpv_settings.DEMO_EXPORT_2122.split()) - 2) + "\r\n"
    )
    with pytest.raises(SourceFormatError, match="file name"):
        identify(p)


def _xlsx(path: Path, blank_rows: int, header: list[str], rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "QP"
    doc = wb.create_sheet("Documentation")
    doc.append(["Variables", "Libellé"])
    ws.append(["Démographie - QPV 2015"])
    for _ in range(blank_rows - 1):
        ws.append(["Note : secret statistique"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    ws.append([])
    ws.append(["Source : Insee"])
    wb.save(path)
    return path


@pytest.mark.parametrize("skip", [5, 7])
def test_xlsx_header_rows_shifted(tmp_path: Path, skip: int) -> None:
    header = qpv_settings.DEMO_V1_21.split()
    row: list[object] = [1] * len(header)
    row[0] = "QP061001"
    row[header.index("POP_MUN")] = 1471
    row[header.index("TX_F")] = 52.3
    row[header.index("A")] = None
    row[header.index("NOTE_CNAF")] = 5
    p = _xlsx(tmp_path / "DEMO_2021_V1.xlsx", skip, header, [row])
    layout = identify(p)
    assert layout.sheet == "QP" and layout.release == "2021"
    df = layout.parse()
    pop = _cell(df, "QP061001", "POP_MUN")
    assert pop["value"] == 1471.0 and pop["source_row"] == skip + 2
    assert _cell(df, "QP061001", "TX_F")["value"] == pytest.approx(52.3)
    assert _cell(df, "QP061001", "A")["status"] == "suppressed"


def test_scan_reports_unrecognised_files(fixtures_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(fixtures_dir / "insee_qpv", tmp_path / "q")
    (tmp_path / "q" / "notes.csv").write_bytes(b"hello;world\r\n1;2\r\n")
    found, bad = scan(tmp_path)
    assert {lay.path.name for lay in found} >= {"REVN_2022.csv", "IPRO_2022.csv", "data_filo16_qp_revdis.csv"}
    assert [p.name for p, _ in bad] == ["notes.csv"]
