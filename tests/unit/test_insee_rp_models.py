"""Census IRIS observations (models.insee_rp) on inline staged frames, the catalog, and the synthetic
writer (synthetic/insee_rp.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from checks.insee_rp import (
    InseeRpObservationModel,
    communes_not_sum_of_iris,
    numerator_exceeds_denominator,
)
from checks.observation import shares_out_of_range
from models.insee_indicators import INDICATORS_BY_ID
from models.insee_rp import insee_rp_catalog, insee_rp_observations, insee_rp_reference_observations
from sources.insee_rp import STAGED_SCHEMA, parse_insee_rp
from sources.insee_rp import settings as rp_settings


def _staged(
    rows: list[tuple[str, str, str, float | None]], *, theme: str = "diplomes", sha: str = "a"
) -> pl.DataFrame:
    """rows: (IRIS code, variable, status, value) → a staged frame as sources.insee_rp returns it."""
    return pl.DataFrame(
        {
            "dataset": "insee_rp",
            "theme": theme,
            "vintage": "2021",
            "geo_version": "iris2023",
            "level": "iris",
            "code": [r[0] for r in rows],
            "com": [r[0][:5] for r in rows],
            "typ_iris": "H",
            "lab_iris": "1",
            "variable": [r[1] for r in rows],
            "column": [r[1].replace("_", "21_", 1) for r in rows],
            "raw": [str(r[3]) if r[3] is not None else "" for r in rows],
            "value": [r[3] for r in rows],
            "status": [r[2] for r in rows],
            "source_row": list(range(2, 2 + len(rows))),
        },
        schema=STAGED_SCHEMA,
    ).with_columns(pl.lit(sha).alias("source_sha256"))


def _diplomas(
    code: str, nscol: float, dmin: float, bepc: float, sup: tuple[float, float, float]
) -> list[tuple[str, str, str, float | None]]:
    figures = {
        "P_POP1824": 100.0,
        "P_SCOL1824": 50.0,
        "P_NSCOL15P": nscol,
        "P_NSCOL15P_DIPLMIN": dmin,
        "P_NSCOL15P_BEPC": bepc,
        "P_NSCOL15P_SUP2": sup[0],
        "P_NSCOL15P_SUP34": sup[1],
        "P_NSCOL15P_SUP5": sup[2],
    }
    return [(code, k, "published", v) for k, v in figures.items()]


def _one(obs: pl.DataFrame, indicator: str, kind: str, code: str) -> dict[str, object]:
    row = obs.filter(
        (pl.col("indicator_id") == indicator)
        & (pl.col("territory_kind") == kind)
        & (pl.col("territory_code") == code)
    )
    assert row.height == 1, (indicator, kind, code, row)
    return row.row(0, named=True)


def test_commune_share_is_recomputed_from_summed_iris_counts() -> None:
    # IRIS A: 10 / 100 = 10 %; IRIS B: 450 / 900 = 50 %; commune: 460 / 1000 = 46 % (mean of shares: 30 %)
    staged = _staged(
        _diplomas("693810101", 100.0, 8.0, 2.0, (10.0, 5.0, 5.0))
        + _diplomas("693810102", 900.5, 400.25, 50.0, (100.0, 50.0, 50.0))
    )
    obs = insee_rp_observations(staged)
    InseeRpObservationModel.validate(obs)
    a = _one(obs, "part_sans_diplome_ou_bepc", "iris", "693810101")
    assert a["value"] == pytest.approx(10.0) and a["method"] == "recomputed" and a["status"] == "published"
    c = _one(obs, "part_sans_diplome_ou_bepc", "commune", "69381")
    assert (c["numerator"], c["denominator"]) == (pytest.approx(460.25), pytest.approx(1000.5))
    assert c["value"] == pytest.approx(460.25 / 1000.5 * 100)
    assert c["geo_version"] == "cog2023" and c["period"] == "2021" and c["source_vintage"] == "2021"
    assert _one(obs, "part_sans_diplome", "commune", "69381")["value"] == pytest.approx(408.25 / 1000.5 * 100)
    sup = _one(obs, "part_diplomes_superieur", "commune", "69381")
    assert sup["numerator"] == pytest.approx(220.0)
    n = _one(obs, "non_scolarises_15_plus", "commune", "69381")
    assert n["value"] == pytest.approx(1000.5) and n["method"] == "summed"
    i = _one(obs, "non_scolarises_15_plus", "iris", "693810102")
    assert i["method"] == "published" and i["geo_version"] == "iris2023"
    assert communes_not_sum_of_iris(obs).is_empty()
    assert shares_out_of_range(obs, insee_rp_catalog()).is_empty()
    assert numerator_exceeds_denominator(obs, insee_rp_catalog()).is_empty()


def test_empty_denominator_and_missing_cells() -> None:
    rows = _diplomas("010040000", 0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    rows += [(c, v, st, val) for c, v, st, val in _diplomas("693810101", 50.0, 5.0, 5.0, (1.0, 1.0, 1.0))]
    rows = [
        (c, v, "missing", None) if (c, v) == ("693810101", "P_NSCOL15P_BEPC") else (c, v, st, val)
        for c, v, st, val in rows
    ]
    obs = insee_rp_observations(_staged(rows))
    zero = _one(obs, "part_sans_diplome", "iris", "010040000")
    assert zero["value"] is None and zero["status"] == "not_applicable" and zero["denominator"] == 0
    gap = _one(obs, "part_sans_diplome_ou_bepc", "iris", "693810101")
    assert gap["value"] is None and gap["status"] == "missing"
    # the commune of an IRIS without the figure gets none either (never a partial sum)
    assert _one(obs, "part_sans_diplome_ou_bepc", "commune", "69381")["status"] == "missing"
    assert _one(obs, "part_sans_diplome", "commune", "69381")["status"] == "published"


def test_optional_variables_and_commune_rows_ignored() -> None:
    pop: list[tuple[str, str, str, float | None]] = [
        ("010040000", "P_POP", "published", 120.5),
        ("010040000", "P_POP6074", "published", 20.0),
    ]
    pop += [("010040000", "P_POP75P", "published", 10.0)]
    staged = _staged(pop, theme="population")
    commune_row = staged.head(1).with_columns(pl.lit("commune").alias("level"), pl.lit("01004").alias("code"))
    obs = insee_rp_observations(pl.concat([staged, commune_row]))
    assert _one(obs, "part_60_ans_et_plus", "commune", "01004")["value"] == pytest.approx(30 / 120.5 * 100)
    assert _one(obs, "population", "commune", "01004")["value"] == pytest.approx(120.5)  # not 241
    ids = set(obs["indicator_id"])
    assert "indice_jeunesse" not in ids and "part_etrangers" not in ids  # their variables are absent


def test_two_files_of_one_theme_and_vintage_refused() -> None:
    a = _staged(_diplomas("010040000", 10.0, 1.0, 1.0, (1.0, 1.0, 1.0)), sha="a")
    b = _staged(_diplomas("010040000", 11.0, 1.0, 1.0, (1.0, 1.0, 1.0)), sha="b")
    with pytest.raises(ValueError, match="two different files"):
        insee_rp_observations(pl.concat([a, b]))


def test_references_from_communes() -> None:
    staged = _staged(
        _diplomas("010040000", 100.0, 20.0, 5.0, (10.0, 10.0, 10.0))
        + _diplomas("010050000", 300.0, 30.0, 15.0, (40.0, 40.0, 40.0))
    )
    obs = insee_rp_observations(staged)
    links = pl.DataFrame(
        {
            "child_kind": ["commune", "commune", "commune", "commune", "departement"],
            "child_code": ["01004", "01005", "01004", "01005", "01"],
            "child_version": "cog2023",
            "parent_kind": ["epci", "epci", "departement", "departement", "france"],
            "parent_code": ["240100883", "240100883", "01", "01", "FRM"],
            "parent_version": "cog2023",
        }
    )
    refs = insee_rp_reference_observations(obs, links, insee_rp_catalog())
    InseeRpObservationModel.validate(refs)
    for kind, code in (("epci", "240100883"), ("departement", "01"), ("france", "FRM")):
        row = _one(refs, "part_sans_diplome_ou_bepc", kind, code)
        assert row["value"] == pytest.approx(70 / 400 * 100) and row["method"] == "recomputed"
    assert _one(refs, "non_scolarises_15_plus", "epci", "240100883")["value"] == pytest.approx(400.0)


def test_catalog_reuses_insee_ids_with_the_same_unit_and_rule() -> None:
    cat = insee_rp_catalog()
    assert cat["indicator_id"].is_unique().all()
    for row in cat.iter_rows(named=True):
        known = INDICATORS_BY_ID.get(row["indicator_id"])
        if known is not None:
            assert (row["unit"], row["aggregation"]) == (known.unit, known.aggregation), row["indicator_id"]
    diploma = cat.filter(pl.col("indicator_id") == "part_sans_diplome_ou_bepc").row(0, named=True)
    assert diploma["unit"] == "percent" and diploma["aggregation"] == "ratio"
    assert "somme des IRIS" in diploma["method"] and diploma["source"] == "insee_rp"


def test_synthetic_writer(tmp_path: Path) -> None:
    from synthetic.insee_rp import write_insee_rp
    from synthetic.territory import build_territory

    t = build_territory(2024)
    paths = write_insee_rp(tmp_path / "a", t, 2024)
    again = write_insee_rp(tmp_path / "b", t, 2024)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]  # deterministic
    assert len(paths) == len(rp_settings.THEMES)
    frames = []
    for theme, path in zip(rp_settings.THEMES, paths, strict=True):
        assert path == tmp_path / "a" / rp_settings.url(theme, "2022").removeprefix("https://")
        with zipfile.ZipFile(path) as zf:
            assert zf.namelist() == [rp_settings.member(theme, "2022")]
            text = zf.read(rp_settings.member(theme, "2022")).decode("utf-8")
        assert text.startswith("IRIS;COM;TYP_IRIS;LAB_IRIS;") and "\r\n" in text and "," in text
        staged = parse_insee_rp(path)
        assert set(staged["theme"]) == {theme}
        frames.append(staged.with_columns(pl.lit(theme).alias("source_sha256")))
    obs = insee_rp_observations(pl.concat(frames))
    pop = obs.filter((pl.col("indicator_id") == "population") & (pl.col("territory_kind") == "commune"))
    assert pop.height == len(t.communes)
    for code, value in pop.select("territory_code", "value").iter_rows():
        assert value == pytest.approx(t.commune(code).population, rel=1e-6)
    iris = obs.filter(pl.col("territory_kind") == "iris")["territory_code"].unique().to_list()
    assert all(code[:5] in {c.code for c in t.communes} for code in iris)
    assert {c.code + "0000" for c in t.communes if c.population < 5000} <= set(iris)
    cat = insee_rp_catalog()
    assert shares_out_of_range(obs, cat).is_empty() and numerator_exceeds_denominator(obs, cat).is_empty()


def test_a_secret_iris_cell_makes_our_commune_sum_not_computable_never_secret() -> None:
    # issue 16: « secret statistique » is the producer's word. INSEE hides one IRIS cell; the IRIS figure
    # stays `suppressed`, but the commune sum and the shares we compute say `not_computable` with parts.
    rows = _diplomas("693810101", 100.0, 8.0, 2.0, (10.0, 5.0, 5.0))
    rows += [
        (c, v, "suppressed", None) if v == "P_NSCOL15P" else (c, v, st, val)
        for c, v, st, val in _diplomas("693810102", 900.0, 400.0, 50.0, (100.0, 50.0, 50.0))
    ]
    obs = insee_rp_observations(_staged(rows))
    InseeRpObservationModel.validate(obs)
    cell = _one(obs, "non_scolarises_15_plus", "iris", "693810102")
    assert cell["status"] == "suppressed" and cell["parts_hidden"] is None
    total = _one(obs, "non_scolarises_15_plus", "commune", "69381")
    assert total["status"] == "not_computable" and total["value"] is None
    assert (total["parts_hidden"], total["parts_total"]) == (1, 2)
    share = _one(obs, "part_sans_diplome", "iris", "693810102")
    assert share["status"] == "not_computable" and share["parts_hidden"] == 1
    assert _one(obs, "part_sans_diplome", "commune", "69381")["status"] == "not_computable"
    assert (obs["status"] == "suppressed").sum() == (obs["method"] == "published").filter(
        obs["status"] == "suppressed"
    ).sum()
