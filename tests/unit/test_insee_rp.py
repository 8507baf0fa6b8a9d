"""Census IRIS bases (sources.insee_rp): the parser on fixture files in the published format, every bad
input refused naming file / row / column, and the registry recogniser.

Fixtures (tests/fixtures/insee_rp/, bytes as INSEE publishes them: `;`, decimal comma, CRLF, UTF-8
without BOM, one header row, upper-case `.CSV` member):
- base-ic-diplomes-formation-2021_csv.zip: member base-ic-diplomes-formation-2021.CSV (+ a meta member);
  IRIS 693810101, 693810102 (commune 69381), 010040000 (01004 not split), 2A0040101 (Corsica), and a
  commune-level row 69381 as some editions carry.
- base-ic-evol-struct-pop-2020.CSV: the RP 2020 header (IRIS;COM;TYP_IRIS;LAB_IRIS;P20_POP;…) and 2 IRIS.
Bad inputs are these bytes with one edit each (a column renamed, a value made negative, a row repeated…).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from sources._errors import SourceFormatError
from sources.insee_rp import parse_insee_rp, sniff_header
from sources.insee_rp import settings as rp_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "insee_rp"
DIPLOMES = FIXTURES / "base-ic-diplomes-formation-2021_csv.zip"
MEMBER = "base-ic-diplomes-formation-2021.CSV"
POP2020 = FIXTURES / "base-ic-evol-struct-pop-2020.CSV"


def _member_text() -> str:
    with zipfile.ZipFile(DIPLOMES) as zf:
        return zf.read(MEMBER).decode("utf-8")


def _write(tmp_path: Path, text: str, name: str = MEMBER) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _value(frame: pl.DataFrame, code: str, variable: str) -> float:
    row = frame.filter((pl.col("code") == code) & (pl.col("variable") == variable))
    assert row.height == 1, (code, variable, row)
    return float(row["value"][0])


def test_zip_member_decimal_comma_and_stable_names() -> None:
    staged = parse_insee_rp(DIPLOMES)
    assert set(staged["theme"]) == {"diplomes"} and set(staged["vintage"]) == {"2021"}
    assert set(staged["geo_version"]) == {"iris2023"}
    # P21_NSCOL15P of IRIS 010040000 is written "1000,4"; P21_POP0205 of 693810101 "80,5"
    assert _value(staged, "010040000", "P_NSCOL15P") == pytest.approx(1000.4)
    assert _value(staged, "693810101", "P_POP0205") == pytest.approx(80.5)
    row = staged.filter((pl.col("code") == "693810101") & (pl.col("variable") == "P_POP0205")).row(
        0, named=True
    )
    assert row["column"] == "P21_POP0205" and row["raw"] == "80,5" and row["source_row"] == 2
    assert staged.schema["code"] == pl.String and staged.schema["com"] == pl.String
    # codes read as strings: the leading zero of 01004 and Corsica's 2A survive
    assert {"010040000", "2A0040101"} <= set(staged["code"])
    assert set(staged.filter(pl.col("code") == "010040000")["com"]) == {"01004"}
    # the commune-level row (code 69381, row 6) is dropped by default
    assert set(staged["level"]) == {"iris"} and "69381" not in set(staged["code"])
    assert set(staged["status"]) == {"published"}


def test_commune_rows_kept_on_request() -> None:
    staged = parse_insee_rp(DIPLOMES, commune_rows="keep")
    communes = staged.filter(pl.col("level") == "commune")
    assert set(communes["code"]) == {"69381"} and set(communes["source_row"]) == {6}
    assert set(communes["geo_version"]) == {"cog2023"}
    assert _value(staged, "69381", "P_NSCOL15P") == 3000.0
    with pytest.raises(ValueError, match="commune_rows"):
        parse_insee_rp(DIPLOMES, commune_rows="sum")


def test_same_names_across_vintages(tmp_path: Path) -> None:
    pop = parse_insee_rp(POP2020)
    assert set(pop["theme"]) == {"population"} and set(pop["vintage"]) == {"2020"}
    assert set(pop["geo_version"]) == {"iris2022"}
    assert _value(pop, "751010101", "P_POP") == pytest.approx(2034.61)
    assert {"P_POP", "C_POP15P_CS1", "P_POP_ETR"} <= set(pop["variable"])
    # the same file re-labelled 2022: same stable names, another vintage
    text = POP2020.read_text(encoding="utf-8").replace("P20_", "P22_").replace("C20_", "C22_")
    pop22 = parse_insee_rp(_write(tmp_path, text, "base-ic-evol-struct-pop-2022.CSV"))
    assert set(pop22["vintage"]) == {"2022"} and set(pop22["variable"]) == set(pop["variable"])


def test_bom_and_column_order(tmp_path: Path) -> None:
    text = _member_text()
    lines = text.split("\r\n")
    cells = [line.split(";") for line in lines if line]
    # columns reordered: LAB_IRIS moved last (order is not part of the layout)
    reordered = [[*c[:3], *c[4:], c[3]] for c in cells]
    body = "\r\n".join(";".join(c) for c in reordered) + "\r\n"
    path = tmp_path / "reordered.CSV"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    a = parse_insee_rp(DIPLOMES).drop("source_row").sort("code", "variable")
    b = parse_insee_rp(path).drop("source_row").sort("code", "variable")
    assert a.equals(b)


@pytest.mark.parametrize(
    ("edit", "row", "column", "message"),
    [
        # a renamed required column (a new vintage's naming)
        (("P21_NSCOL15P_DIPLMIN", "P21_NSCOL15P_SANSDIPL"), 1, "P21_NSCOL15P_DIPLMIN", "missing"),
        # a dropped label column
        (("TYP_IRIS;", "TYPE_IRIS;"), 1, "TYPE_IRIS", "neither a known label"),
        # one column of another vintage
        (("P21_SCOL30P", "P20_SCOL30P"), 1, "P20_SCOL30P", "another vintage"),
        # a negative estimate (row 3 = second IRIS, its P21_POP1824)
        ((";150;100;1200;", ";-150;100;1200;"), 3, "P21_POP1824", "negative"),
        # a value that is no number
        ((";1300;", ";1 300,x;"), 3, "P21_NSCOL15P", "not a number"),
        # COM not the IRIS's commune
        (("010040000;01004", "010040000;01005"), 4, "COM", "not the commune"),
        # an IRIS code cut short
        (("2A0040101;", "2A00401;"), 5, "IRIS", "not an IRIS code"),
    ],
)
def test_bad_input_names_file_row_column(
    tmp_path: Path, edit: tuple[str, str], row: int, column: str, message: str
) -> None:
    text = _member_text()
    assert edit[0] in text
    path = _write(tmp_path, text.replace(edit[0], edit[1], 1))
    with pytest.raises(SourceFormatError, match=message) as err:
        parse_insee_rp(path)
    assert err.value.row == row and err.value.column == column
    assert str(path) in str(err.value)


def test_duplicated_iris_and_total_row(tmp_path: Path) -> None:
    lines = _member_text().split("\r\n")
    dup = _write(tmp_path, "\r\n".join([*lines[:3], lines[1], *lines[3:]]))
    with pytest.raises(SourceFormatError, match="repeats row 2") as err:
        parse_insee_rp(dup)
    assert err.value.row == 4 and err.value.column == "IRIS"
    total_line = "Total;;;;" + ";".join(["1"] * 22)
    total = _write(tmp_path, "\r\n".join([*lines[:5], total_line, *lines[5:]]), "total.CSV")
    with pytest.raises(SourceFormatError, match="total row") as err:
        parse_insee_rp(total)
    assert err.value.row == 6 and err.value.column == "IRIS"


def test_header_of_no_theme_or_of_another_source(tmp_path: Path) -> None:
    other = _write(tmp_path, "IRIS;COM;TYP_IRIS;LAB_IRIS;P21_FOO;P21_BAR\r\n010040000;01004;Z;5;1;2\r\n")
    with pytest.raises(SourceFormatError, match="no census IRIS theme"):
        parse_insee_rp(other)
    filo = _write(tmp_path, "IRIS;LIBIRIS;COM;LIBCOM;DISP_MED21\r\n010040000;x;01004;y;20000\r\n", "f.csv")
    with pytest.raises(SourceFormatError):
        parse_insee_rp(filo)


def test_recogniser_reads_theme_and_vintage_from_content(tmp_path: Path) -> None:
    found = sniff_header(DIPLOMES, DIPLOMES.read_bytes()[:65_536])
    assert found is not None
    layout, member = found
    assert (layout.theme, layout.vintage, member) == ("diplomes", "2021", MEMBER)
    # a misleading file name changes nothing: the header decides
    renamed = tmp_path / "base-ic-logement-2019.CSV"
    renamed.write_bytes(POP2020.read_bytes())
    found = sniff_header(renamed, renamed.read_bytes())
    assert found is not None and (found[0].theme, found[0].vintage) == ("population", "2020")
    html = tmp_path / "page.CSV"
    html.write_bytes(b"<!DOCTYPE html><html><body>500</body></html>")
    assert sniff_header(html, html.read_bytes()) is None
    broken = tmp_path / "broken.zip"
    broken.write_bytes(DIPLOMES.read_bytes()[:200])
    assert sniff_header(broken, broken.read_bytes()) is None


def test_registry_recognises_the_files() -> None:
    # no pipelines import: the registry lists the sources itself (the census bases before the generic
    # INSEE recogniser, which claims zips holding a meta_*.CSV)
    from sources.registry import default_urls, recognise

    layout = recognise(DIPLOMES)
    assert layout is not None and (layout.dataset, layout.vintage) == ("insee_rp", "2021 diplomes")
    urls = default_urls()["insee_rp"]
    assert {e.vintage for e in urls} == {f"2022 {t}" for t in rp_settings.THEMES}
    assert all(e.member and e.member.endswith("-2022.CSV") for e in urls)
    assert rp_settings.url("diplomes", "2022").endswith("/8647010/base-ic-diplomes-formation-2022_csv.zip")
