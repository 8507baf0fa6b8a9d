"""Every real INSEE file in ../shared/data/insee: recognised, parsed, and facts read from the files.

Each expected value below was read in the file and column named beside it (see also
../shared/data/insee/PROVENANCE.md, seed tables).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl
import pytest

from checks.insee import InseeObservationModel, StagedInseeModel, qpv_population_exceeds_communes
from models.insee_observations import insee_observations
from sources.insee_common import identify, scan

pytestmark = pytest.mark.real
SEEDS = ("QP061001", "QP061002", "QP062036", "QP062037", "QP062058")


@cache
def _staged(path: Path) -> pl.DataFrame:
    return identify(path).parse()


def _get(df: pl.DataFrame, code: str, variable: str) -> dict[str, object]:
    rows = df.filter((pl.col("codgeo") == code) & (pl.col("variable") == variable))
    assert rows.height == 1
    return rows.row(0, named=True)


@pytest.fixture(scope="module")
def insee(shared_data: Path) -> Path:
    return shared_data / "insee"


def test_every_real_file_is_recognised(insee: Path) -> None:
    found, bad = scan(insee)
    assert bad == []
    assert len(found) == 34
    by_name = {lay.path.name: lay for lay in found}
    assert by_name["DEMO_2019.csv"].release == "2019" and by_name["IPRO_2020.csv"].spec.id == "qpv2015_ipro"
    assert by_name["FILO2019_DISP_METROPOLE.csv"].territory_kind == "france"
    assert by_name["data_filo17_qp_revdis.csv"].release == "2017"
    assert {lay.geo_version for lay in found if lay.territory_kind.startswith("qpv")} == {"qpv2015"}


@pytest.mark.parametrize(
    ("file", "median", "poverty", "expected"),
    [
        # REVN_2022.csv columns DISP_Q2 / TP60 (Filosofi 2018 inside the 2022 release)
        (
            "qpv2015/REVN_2022.csv",
            "DISP_Q2",
            "TP60",
            {
                "QP061001": (14380, 40.8),
                "QP061002": (13900, 44.0),
                "QP062036": (11910, 60.0),
                "QP062037": (14510, 40.9),
                "QP062058": (14080, 42.4),
                "period": "2018",
            },
        ),
        # REVN_2021.csv columns DISP_Q2 / TP60 (Filosofi 2017)
        (
            "qpv2015/REVN_2021.csv",
            "DISP_Q2",
            "TP60",
            {
                "QP061001": (13700, 41.9),
                "QP061002": (13970, 40.0),
                "QP062036": (11770, 58.2),
                "QP062037": (13910, 39.4),
                "QP062058": (13640, 43.0),
                "period": "2017",
            },
        ),
        # data_filo19_qp_revdis.csv columns DISP_MED_A19 / DISP_TP60_A19
        (
            "qpv2015/data_filo19_qp_revdis.csv",
            "DISP_MED_A19",
            "DISP_TP60_A19",
            {
                "QP061001": (13550, 46.2),
                "QP061002": (14080, 42.9),
                "QP062036": (12650, 56.0),
                "QP062037": (14210, 40.8),
                "QP062058": (14550, 40.0),
                "period": "2019",
            },
        ),
    ],
)
def test_filosofi_median_and_poverty_per_vintage(
    insee: Path, file: str, median: str, poverty: str, expected: dict[str, object]
) -> None:
    df = _staged(insee / file)
    for code in SEEDS:
        med, tp = expected[code]  # type: ignore[misc]
        m, p = _get(df, code, median), _get(df, code, poverty)
        assert (m["value"], p["value"]) == (med, pytest.approx(tp)), (file, code)
        assert m["period"] == expected["period"] and m["status"] == "published"


def test_legacy_filo16_and_ensemble(insee: Path) -> None:
    df16 = _staged(insee / "qpv2015/data_filo16_qp_revdis.csv")
    assert _get(df16, "QP062036", "DISP_MED_A16")["value"] == 11520  # column disp_q2_a16
    assert _get(df16, "QP062036", "DISP_TP60_A16")["value"] == pytest.approx(59.8)  # column tp60_a16
    df19 = _staged(insee / "qpv2015/data_filo19_qp_revdis.csv")
    ens = _get(df19, "Ensemble", "DISP_MED_A19")  # first data row "Ensemble", DISP_MED_A19 = 14 010 (U+00A0)
    assert ens["value"] == 14010 and ens["is_aggregate"]


def test_population_and_cnaf(insee: Path) -> None:
    demo22 = _staged(insee / "qpv2015/DEMO_2022.csv")  # column POP_MUN (RP 2018)
    pops = {"QP061001": 1471, "QP061002": 2678, "QP062036": 3126, "QP062037": 1694, "QP062058": 1640}
    for code, pop in pops.items():
        row = _get(demo22, code, "POP_MUN")
        assert row["value"] == pop and row["period"] == "2018"
    assert _get(demo22, "QP061001", "POP_COM")["value"] == 13730  # POP_COM = Argentan P18_POP
    demo19 = _staged(insee / "qpv2015/DEMO_2019.csv")  # POP_MUN, RP 2013
    assert (
        _get(demo19, "QP061001", "POP_MUN")["value"] == 1382
        and _get(demo19, "QP062036", "POP_MUN")["period"] == "2013"
    )
    revn22 = _staged(insee / "qpv2015/REVN_2022.csv")  # column A (Cnaf allocataires)
    alloc = {"QP061001": 481, "QP061002": 958, "QP062036": 1081, "QP062037": 742, "QP062058": 686}
    for code, a in alloc.items():
        assert _get(revn22, code, "A")["value"] == a
        assert _get(demo22, code, "A")["value"] == a  # same Cnaf figure in DEMO_2022 column A


def test_job_seekers_and_suppressed_block(insee: Path) -> None:
    ipro = _staged(insee / "qpv2015/IPRO_2022.csv")  # columns ABC / A (Pôle emploi), NOTE_PE
    seekers = {"QP061001": (227, 152), "QP061002": (339, 231), "QP062037": (285, 180), "QP062058": (285, 171)}
    for code, (abc, a) in seekers.items():
        assert (_get(ipro, code, "ABC")["value"], _get(ipro, code, "A")["value"]) == (abc, a)
    blank = _get(ipro, "QP062036", "ABC")
    assert blank["status"] == "suppressed" and blank["value"] is None and blank["marker"] == "NOTE_PE=5"
    obs = insee_observations(ipro, "sha")
    de = obs.filter((pl.col("indicator_id") == "de_abc") & (pl.col("territory_code") == "QP062036"))
    assert de["status"].item() == "suppressed" and de["value"].item() is None


def test_commune_epci_france_iris_files(insee: Path) -> None:
    cmp22 = _staged(insee / "comparateur/base_cc_comparateur_2022release_dep61_62.CSV")
    assert (
        _get(cmp22, "61006", "P18_POP")["value"] == 13730 and _get(cmp22, "61006", "MED19")["value"] == 18390
    )
    cmp25 = _staged(insee / "comparateur/base_cc_comparateur_2025release_seed_rows.csv")
    assert _get(cmp25, "61006", "P22_POP")["value"] == 13494
    assert _get(cmp25, "61006", "TP6021")["value"] == pytest.approx(24.0)  # "24,0" beside dot decimals
    assert _get(cmp25, "60694", "MED21")["marker"] == "nd"
    assert _get(cmp25, "62461", "PIMP21")["marker"] == "s"
    cc = _staged(insee / "filosofi/cc_filosofi_2021_COM.csv")  # MED21, TP6021, D121
    assert _get(cc, "61006", "MED21")["value"] == 19320 and _get(cc, "62765", "D121")["value"] == 9770
    assert _get(cc, "01001", "PIMP21")["status"] == "suppressed"
    epci = _staged(insee / "filosofi/FILO2019_DISP_EPCI.csv")  # Q219
    assert (
        _get(epci, "200069037", "Q219")["value"] == 19730
        and _get(epci, "200068450", "Q219")["value"] == 20300
    )
    fr = _staged(insee / "filosofi/FILO2019_DISP_METROPOLE.csv")
    assert _get(fr, "1", "Q219")["value"] == 21930 and _get(fr, "1", "Q219")["territory_kind"] == "france"
    com = _staged(insee / "filosofi/FILO2019_DISP_COM.csv")
    assert _get(com, "61006", "Q219")["value"] == 18390 and _get(com, "61006", "D119")["value"] == 10110
    iris19 = _staged(insee / "filosofi/BASE_TD_FILO_DISP_IRIS_2019.csv")
    assert _get(iris19, "610060101", "DISP_MED19")["value"] == 16120
    assert _get(iris19, "610060101", "DISP_TP6019")["status"] == "suppressed"  # empty cell
    dec = _staged(insee / "filosofi/BASE_TD_FILO_IRIS_2021_DEC.csv")
    assert _get(dec, "610060101", "DEC_MED21")["value"] == 13930
    assert _get(dec, "610060104", "DEC_MED21")["status"] == "suppressed"  # "ns"
    assert _get(dec, "610060201", "DEC_MED21")["status"] == "suppressed"  # "nd"


def test_schemas_and_cross_checks(insee: Path) -> None:
    demo = _staged(insee / "qpv2015/DEMO_2022.csv")
    StagedInseeModel.validate(demo)
    q_obs = insee_observations(demo, "sha")
    InseeObservationModel.validate(q_obs)
    c_obs = insee_observations(
        _staged(insee / "comparateur/base_cc_comparateur_2022release_dep61_62.CSV"), "sha"
    )
    links = pl.DataFrame(
        {
            "qpv_code": ["QP061001", "QP061002", "QP062036", "QP062036", "QP062036", "QP062037", "QP062058"],
            "commune_code": ["61006", "61006", "62040", "62525", "62765", "62765", "62014"],
        }
    )
    joined = q_obs.filter(
        pl.col("territory_code").is_in(list(SEEDS)) & (pl.col("indicator_id") == "population")
    )
    assert joined.height == 5 and set(joined["period"]) == {"2018"}
    assert qpv_population_exceeds_communes(q_obs, c_obs, links).is_empty()
