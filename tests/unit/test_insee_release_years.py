"""The data year of each block of INSEE's QPV 2015 bases (sources/insee_qpv/settings.RELEASE_PERIODS), held
to the evidence of ../shared/sources/insee_qpv.md "Data year of each block" (issue 16)."""

from __future__ import annotations

from sources.insee_qpv.settings import RELEASE_PERIODS


def _year(family: str, release: str, block: str) -> str:
    return RELEASE_PERIODS[(family, release)][block].period


def test_census_shares_of_demo_2019_to_2022_are_four_successive_censuses() -> None:
    # the four releases differ pairwise: DEMO_2021 and DEMO_2022 cannot both be RP 2018
    years = [_year("demo", r, "rp") for r in ("2019", "2020", "2021", "2022")]
    assert years == ["2015", "2016", "2017", "2018"]
    assert [_year("ipro", r, "rp") for r in ("2019", "2020", "2021", "2022")] == years  # TX_* as DEMO


def test_cnaf_block_is_at_31_december_two_years_before_the_release() -> None:
    # metropolitan A sums of releases 2020 and 2021 match Insee Focus Dec 2018 / Dec 2019, not 2019 / 2020
    assert _year("demo", "2020", "cnaf") == "2018-12-31"
    assert _year("demo", "2021", "cnaf") == "2019-12-31"
    assert _year("revn", "2021", "cnaf") == "2019-12-31"
    for (family, release), blocks in RELEASE_PERIODS.items():
        if "cnaf" in blocks:
            assert blocks["cnaf"].period == f"{int(release) - 2}-12-31", (family, release)


def test_verified_only_where_a_published_figure_matches() -> None:
    assert RELEASE_PERIODS[("ipro", "2021")]["pe"].verified  # DREES, 31/12/2020
    assert RELEASE_PERIODS[("ipro", "2022")]["pe"].verified
    assert not RELEASE_PERIODS[("ipro", "2020")]["pe"].verified
    for key, blocks in RELEASE_PERIODS.items():
        for block, period in blocks.items():
            if period.verified:
                assert not period.evidence.startswith(("assumed", "inferred")), (key, block)
            else:
                assert period.evidence.startswith(("assumed", "inferred")), (key, block, period.evidence)
