"""Bad files for every source parser: each fault gives a clear error naming the file (and the row and
column where one applies), or — for faults a parser may legitimately absorb (another encoding or
separator it detects, an extra column it ignores) — exactly the frame the good file gives.

Table-driven: CASES lists each parser with a good file in the official format; MUTATIONS turns it
into a bad one. A parser that accepts what it should not is marked xfail(strict=True) in KNOWN with
the reason (reported as a bug), never skipped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from sources._errors import QuartiersError, SourceFormatError
from tests.conftest import FIXTURES

pytestmark = pytest.mark.fault("bad file")

HTML = (
    b'<!DOCTYPE html>\n<html lang="fr"><head><title>503 Service indisponible</title></head>\n'
    b"<body><h1>Le service est momentan\xc3\xa9ment indisponible</h1><p>R\xc3\xa9essayez plus tard.</p>"
    b"</body></html>\n"
)
BOMB_BYTES = 40 * 1024 * 1024  # compresses ~1000×: over the 200× ratio cap of sources._archive


@dataclass(frozen=True)
class Case:
    name: str
    parse: Callable[[Path], object]
    base: str  # path under tests/fixtures
    key: str  # a key column as written in the header (renamed / dropped / duplicated)
    value: tuple[str, str] | None  # (column as in the header, an out-of-range value for it)
    zips: bool = False  # the parser opens zips (the official file is a zip): a bomb must hit a cap
    # a line repeated verbatim: "row" (refused, naming the second occurrence) or "collapsed" (the
    # dataset legitimately repeats identical rows: one row kept, n_source_rows counts them)
    duplicate: str = "row"
    # the same key on a second row with another value elsewhere (datasets with documented repeats only):
    # "row" (refused) or "flagged" (kept, both rows flagged duplicate_uai for models to resolve)
    conflict: str | None = None


def _p(module: str, func: str, **kw: object) -> Callable[[Path], object]:
    def parse(path: Path) -> object:
        import importlib

        return getattr(importlib.import_module(module), func)(path, **kw)

    return parse


CASES = [
    Case(
        "education_ips",
        _p("sources.education_ips", "parse_ips"),
        "education_ips/fr-en-ips-ecoles-ap2022_labels.csv",
        "UAI",
        ("IPS", "999.9"),
    ),
    Case(
        "education_annuaire",
        _p("sources.education_annuaire", "parse_annuaire"),
        "education_annuaire/fr-en-annuaire-education_lower.csv",
        "identifiant_de_l_etablissement",
        ("latitude", "95.0"),
        conflict="flagged",  # the national annuaire repeats UAIs (shared/sources/education.md)
    ),
    Case(
        "education_effectifs",
        _p("sources.education_effectifs", "parse_effectifs"),
        "education_effectifs/fr-en-college-effectifs-niveau-sexe-lv.csv",
        "numero_college",
        ("nombre_eleves_total", "-3"),
    ),
    Case(
        "education_ep",
        _p("sources.education_ep", "parse_ep_dataset"),
        "education_ep/fr-en-etablissements-ep.csv",
        "uai",
        ("nombre_d_eleves", "-5"),
        duplicate="collapsed",  # ~8,430 rows "including duplicates" (shared/sources/education.md)
        conflict="row",
    ),
    Case(
        "education_iva",
        _p("sources.education_iva", "parse_iva"),
        "education_iva/fr-en-indicateurs-valeur-ajoutee-colleges.csv",
        "UAI",
        ("Taux de réussite - G", "140.0"),
    ),
    Case(
        "insee_qpv",
        _p("sources.insee_qpv", "parse_qpv_file"),
        "insee_qpv/REVN_2022.csv",
        "CODGEO",
        ("TP60", "140,8"),
        zips=True,
    ),
    Case(
        "filosofi",
        _p("sources.filosofi", "parse_filosofi_file"),
        "insee_filosofi/cc_filosofi_2021_COM.csv",
        "CODGEO",
        ("TP6021", "140,0"),
        zips=True,
    ),
    Case(
        "insee_comparateur",
        _p("sources.insee_comparateur", "parse_comparateur_file"),
        "insee_comparateur/base_cc_comparateur.CSV",
        "CODGEO",
        ("P22_POP", "-5"),
        zips=True,
    ),
    Case(
        "filosofi_grid",
        _p("sources.filosofi_grid", "parse_filosofi_grid_csv"),
        "filosofi_grid/carreaux_200m_met.csv",
        "idcar_200m",
        ("men_pauv", "-4"),
        zips=True,
    ),
    Case(
        "caf_cnaf_base",
        _p("sources.caf", "parse_caf_file"),
        "caf/data_CAF_2019_IRIS.csv",
        "CODGEO",
        ("A", "-5"),
    ),
    Case(
        "caf_ods",
        _p("sources.caf", "parse_caf_file"),
        "caf/s_ben_com_f.csv",
        "numcomdo",
        ("indfoy_rsa", "-5"),
    ),
    Case(
        "france_travail_dares",
        _p("sources.france_travail", "parse_defm_communes"),
        "france_travail/dares_defm_communales-brutes.csv",
        "Code commune",
        ("Nombre de demandeurs d'emploi", "-5"),
    ),
    Case(
        "france_travail_qpv",
        _p("sources.france_travail", "parse_defm_qpv", period="2023-Q4"),
        "france_travail/defm_qpv2015_2023_T4.csv",
        "CODGEO",
        ("ABC", "-5"),
    ),
    Case(
        "cog_communes",
        _p("sources.cog", "read_insee_communes"),
        "@sample/www.insee.fr/fr/statistiques/fichier/7766585/v_commune_2024.csv",
        "COM",
        None,
    ),
    Case(
        "cog_departements",
        _p("sources.cog", "read_insee_departements"),
        "@sample/www.insee.fr/fr/statistiques/fichier/7766585/v_departement_2024.csv",
        "DEP",
        None,
    ),
]


# -- the file as published, and its text ------------------------------------------------------------
@dataclass
class Text:
    lines: list[str]
    sep: str
    encoding: str
    bom: bool
    newline: str

    @classmethod
    def of(cls, data: bytes) -> Text:
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.replace("\r\n", "\n").split("\n")
        sep = ";" if lines[0].count(";") >= lines[0].count(",") else ","
        return cls(lines, sep, encoding, bom, newline)

    def header(self) -> list[str]:
        return self.lines[0].split(self.sep)

    def col(self, name: str) -> int:
        cells = [c.strip().strip('"').lstrip("\ufeff").strip() for c in self.header()]
        return cells.index(name)

    def data_rows(self) -> list[int]:
        return [i for i, line in enumerate(self.lines) if i > 0 and line.strip()]

    def bytes(self, encoding: str | None = None) -> bytes:
        text = self.newline.join(self.lines)
        enc = encoding or self.encoding
        return (b"\xef\xbb\xbf" if self.bom and enc == "utf-8" else b"") + text.encode(enc)

    def set_cell(self, row: int, col: int, value: str) -> None:
        cells = self.lines[row].split(self.sep)
        cells[col] = value
        self.lines[row] = self.sep.join(cells)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _first_data_row_with_value(t: Text, col: int) -> int:
    for i in t.data_rows():
        cells = t.lines[i].split(t.sep)
        if col < len(cells) and re.fullmatch(r"-?[\d ,.]+", cells[col].strip()):
            return i
    return t.data_rows()[0]


# Each mutation: (good bytes, case) -> (bad bytes, expectation, 1-based row or None, column or None)
# expectation: "error" (a QuartiersError naming the file), "row" (SourceFormatError naming file and
# row), "cell" (file, row and column), "cap" (error naming the file and a size cap / bomb),
# "error_or_same" / "same_or_error" (an error, or the very frame of the good file on its columns),
# "error_or_empty" (an error, or no rows at all).
Mutation = Callable[[bytes, Case], tuple[bytes, str, int | None, str | None]]


def truncated_zip(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    z = _zip({Path(case.base).name: data * 20})
    return z[: len(z) // 2], "error", None, None


def zip_slip(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    expect = "error_or_same" if case.zips else "error"  # read in memory: nothing written anywhere
    return _zip({"../../" + Path(case.base).name: data}), expect, None, None


def zip_bomb(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    return _zip({Path(case.base).name: data + b"0" * BOMB_BYTES}), "cap" if case.zips else "error", None, None


def empty(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    return b"", "error", None, None


def header_only(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    t.lines = [*t.lines[:1], ""]
    return t.bytes(), "error_or_empty", None, None


def html_page(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    return HTML, "error", None, None


def utf16(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    return (
        "\ufeff".encode("utf-16-le") + t.newline.join(t.lines).encode("utf-16-le"),
        "error_or_same",
        None,
        None,
    )


def wrong_separator(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    other = "\t" if t.sep == ";" else ";"
    t.lines = [line.replace(t.sep, other) for line in t.lines]
    return t.bytes(), "error_or_same", None, None


def comma_for_semicolon(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    """`;` → `,` as a spreadsheet re-export does: decimal commas now split cells."""
    t = Text.of(data)
    if t.sep != ";":
        t.lines = [line.replace(",", ";") for line in t.lines]
    else:
        t.lines = [line.replace(";", ",") for line in t.lines]
    return t.bytes(), "error_or_same", None, None


def renamed_key(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    t.set_cell(0, t.col(case.key), case.key.replace(case.key[-2:], "") + "_RENOMME")
    return t.bytes(), "error", None, None


def missing_key(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    c = t.col(case.key)
    t.lines = [
        t.sep.join(x for j, x in enumerate(line.split(t.sep)) if j != c) if line else line for line in t.lines
    ]
    return t.bytes(), "error", None, None


def extra_column(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    c = t.col(case.key)

    def add(i: int, line: str) -> str:
        cells = line.split(t.sep)
        cells.insert(c + 1, "COLONNE_INCONNUE" if i == 0 else "x")
        return t.sep.join(cells)

    t.lines = [add(i, line) if line else line for i, line in enumerate(t.lines)]
    return t.bytes(), "same_or_error", None, None


def duplicated_key(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    t = Text.of(data)
    rows = t.data_rows()
    t.lines.insert(rows[-1] + 1, t.lines[rows[0]])
    return t.bytes(), case.duplicate, rows[-1] + 2, None


def conflicting_duplicate(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    """The first row's key again on a new last row whose value column differs (still a valid value)."""
    assert case.value is not None and case.conflict is not None
    t = Text.of(data)
    rows = t.data_rows()
    c = t.col(case.value[0])
    cells = t.lines[rows[0]].split(t.sep)
    old = cells[c].strip()
    cells[c] = f"{float(old) + 0.001:.6f}" if "." in old else str(int(old) + 1)
    t.lines.insert(rows[-1] + 1, t.sep.join(cells))
    return t.bytes(), case.conflict, rows[-1] + 2, None


def out_of_range(data: bytes, case: Case) -> tuple[bytes, str, int | None, str | None]:
    assert case.value is not None
    t = Text.of(data)
    column, value = case.value
    c = t.col(column)
    row = _first_data_row_with_value(t, c)
    t.set_cell(row, c, value)
    return t.bytes(), "cell", row + 1, column


MUTATIONS: dict[str, Mutation] = {
    "truncated_zip": truncated_zip,
    "zip_slip": zip_slip,
    "zip_bomb": zip_bomb,
    "empty": empty,
    "header_only": header_only,
    "html_error_page": html_page,
    "utf16": utf16,
    "wrong_separator": wrong_separator,
    "comma_for_semicolon": comma_for_semicolon,
    "renamed_key_column": renamed_key,
    "missing_key_column": missing_key,
    "extra_column": extra_column,
    "duplicated_key": duplicated_key,
    "conflicting_duplicate": conflicting_duplicate,
    "out_of_range": out_of_range,
}

# Parsers accepting what they should not (bugs reported to their owners), by (case, mutation).
KNOWN: dict[tuple[str, str], str] = {}


def _params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        for name in MUTATIONS:
            if name == "out_of_range" and case.value is None:
                continue
            if name == "conflicting_duplicate" and case.conflict is None:
                continue
            marks = []
            if (case.name, name) in KNOWN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[(case.name, name)]))
            out.append(pytest.param(case, name, id=f"{case.name}-{name}", marks=marks))
    return out


def _base(case: Case, sample: Path) -> Path:
    if case.base.startswith("@sample/"):
        return sample / case.base.removeprefix("@sample/")
    return FIXTURES / case.base


def _frame(result: object) -> pl.DataFrame:
    if isinstance(result, tuple):
        return pl.concat([f for f in result if isinstance(f, pl.DataFrame)], how="diagonal_relaxed")
    assert isinstance(result, pl.DataFrame)
    return result


def check_outcome(
    parse: Callable[[Path], object],
    bad: Path,
    good: pl.DataFrame | None,
    expect: str,
    row: int | None,
    column: str | None,
) -> None:
    """Assert that parsing ``bad`` ends the way ``expect`` says (see MUTATIONS)."""
    try:
        result = parse(bad)
    except QuartiersError as exc:
        message = str(exc)
        assert bad.name in message or str(bad) in message, f"the error does not name the file: {message}"
        if expect == "cap":
            assert re.search(r"bomb|cap|size|expands|too (big|large)", message, re.I), message
        if expect in ("row", "cell"):
            assert isinstance(exc, SourceFormatError) and exc.row is not None, f"no row named: {message}"
        if expect == "cell":
            assert isinstance(exc, SourceFormatError), message
            assert exc.row == row, f"row {exc.row} named, the bad value is on row {row}: {message}"
            assert exc.column is not None and column is not None, message
            norm = lambda s: re.sub(r"[^a-z0-9]", "", s.lower())  # noqa: E731
            assert norm(exc.column) in norm(column) or norm(column) in norm(exc.column), message
        return
    except Exception as exc:
        pytest.fail(f"crashed with {type(exc).__name__} instead of a named error: {exc}")
    frame = _frame(result)
    if expect == "collapsed":  # the repeated line is one row counted twice, the rest as the good file
        assert good is not None
        assert frame.drop("n_source_rows").equals(good.drop("n_source_rows")), "repeat not collapsed"
        assert frame["n_source_rows"].sum() == good["n_source_rows"].sum() + good["rentree"].n_unique()
        return
    if expect == "flagged":  # kept, and both rows of the repeated key flagged
        assert good is not None
        assert frame.height == good.height + 1, f"{frame.height} rows, {good.height + 1} expected"
        assert frame["duplicate_uai"].sum() == good["duplicate_uai"].sum() + 2, "repeated UAI not flagged"
        return
    if expect == "error_or_empty":
        assert frame.height == 0, f"a header-only file gave {frame.height} rows"
        return
    if expect in ("error_or_same", "same_or_error"):
        assert good is not None
        common = [c for c in good.columns if c in frame.columns]
        assert common == good.columns, f"columns differ: {frame.columns}"
        assert frame.select(good.columns).equals(good), "accepted and parsed differently from the good file"
        return
    pytest.fail(f"accepted a bad file ({expect} expected): {frame.height} rows")


@pytest.mark.parametrize(("case", "mutation"), _params())
def test_bad_file(case: Case, mutation: str, sample_mirror_dir: Path, tmp_path: Path) -> None:
    good_path = _base(case, sample_mirror_dir)
    good = _frame(case.parse(good_path))
    assert good.height > 0
    data, expect, row, column = MUTATIONS[mutation](good_path.read_bytes(), case)
    bad = tmp_path / good_path.name
    bad.write_bytes(data)
    check_outcome(case.parse, bad, good, expect, row, column)


# -- QPV perimeters (GeoJSON): geometry faults --------------------------------------------------------
