"""Every module agrees on the QPV code of a Corsican quartier.

Official form: the département on three characters, as for every other département — 2015 geography
`QP02A001` (INSEE's QPV files in ../shared/data/insee/qpv2015, e.g. DEMO_2021.csv, data_filo19_qp_revdis.csv:
QP02A001…QP02B002), 2024 geography `QN02A01M` (QN + département on 3 characters + 2 digits + letter,
../shared/sources/qpv_perimeters.md; no real Corsican QN code seen). `QP2A0001` and `QN2A001M` are not codes.
"""

from __future__ import annotations

import re

import pytest

from checks import geography as checks_geography
from pipelines.commands import education as cmd_education
from pipelines.commands import fiche as cmd_fiche
from pipelines.commands import profile as cmd_profile
from pipelines.commands import series as cmd_series
from sources import territory_codes
from sources.qpv_perimeters import settings as perimeters
from sources.qpv_perimeters.parse import geography_of
from warehouse.fiche import data as fiche_data

OFFICIAL_2015 = ["QP02A001", "QP02B002", "QP075001", "QP974001"]
OFFICIAL_2024 = ["QN02A01M", "QN02B12N", "QN07501M", "QN97414I"]
WRONG = ["QP2A0001", "QP2B0001", "QN2A001M", "QN2A01M", "QNA0201M", "QP02C001"]

PATTERNS: dict[str, tuple[re.Pattern[str], list[str]]] = {
    "checks.geography.QPV2015": (re.compile(checks_geography.QPV2015), OFFICIAL_2015),
    "checks.geography.QPV2024": (re.compile(checks_geography.QPV2024), OFFICIAL_2024),
    "qpv_perimeters qpv2015": (re.compile(perimeters.CODE_PATTERNS["qpv2015"]), OFFICIAL_2015),
    "qpv_perimeters qpv2024": (re.compile(perimeters.CODE_PATTERNS["qpv2024"]), OFFICIAL_2024),
    "territory_codes QPV2015_CODE": (re.compile(territory_codes.QPV2015_CODE), OFFICIAL_2015),
    "territory_codes QPV2024_CODE": (re.compile(territory_codes.QPV2024_CODE), OFFICIAL_2024),
    "commands.profile": (cmd_profile.QPV_CODE_RE, OFFICIAL_2015 + OFFICIAL_2024),
    "commands.fiche": (cmd_fiche.QPV_CODE_RE, OFFICIAL_2015 + OFFICIAL_2024),
    "fiche.data": (fiche_data.QPV_CODE_RE, OFFICIAL_2015 + OFFICIAL_2024),
    "commands.education": (cmd_education.QPV_CODE_RE, OFFICIAL_2015 + OFFICIAL_2024),
    "commands.series": (cmd_series.CODE_RE, OFFICIAL_2015 + OFFICIAL_2024),
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_official_corsican_codes_accepted_and_others_refused(name: str) -> None:
    pattern, official = PATTERNS[name]
    for code in official:
        assert pattern.match(code), (name, code)
    for code in WRONG:
        assert not pattern.match(code), (name, code)


def test_perimeter_reader_classifies_corsican_codes() -> None:
    assert geography_of("QP02A001") == "qpv2015"
    assert geography_of("QN02A01M") == "qpv2024"


def test_national_generator_writes_the_official_form() -> None:
    from synthetic.national_territory import _dep3

    assert [_dep3(d) for d in ("2A", "2B", "75", "01", "974")] == ["02A", "02B", "075", "001", "974"]
