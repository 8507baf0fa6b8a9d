"""Bad input lands nothing: a refresh whose one source file is bad fails naming that file, and the
previous warehouse file is byte-identical afterwards. One case per dataset the refresh downloads
(the sample mirror, one file replaced by an HTML error page or cut short)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.refresh import run_refresh
from sources._http import mirror_path
from sources.registry import default_urls
from tests.faults.reliability import assert_raw_archive_sound, assert_unchanged
from warehouse.paths import sample_mirror, warehouse_path

pytestmark = [pytest.mark.fault("bad input refresh"), pytest.mark.slow]

HTML = b"<!DOCTYPE html><html><body><h1>Erreur 500</h1><p>Service indisponible</p></body></html>\n"
# One case per dataset (a source publishing one file per quarter still has one parser): the first of
# its URLs that the sample mirror holds. A dataset the sample does not ship (optional sources) skips.
DATASETS = sorted(default_urls())

# Bugs reported to the owner of the parser: the error escapes without naming the file.
KNOWN: dict[tuple[str, str], str] = {}


def _known(fault: str, dataset: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((fault, dataset))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.fixture(scope="module")
def baseline(sample_copy: Callable[[str], Path]) -> Path:
    return sample_copy("baseline")


@pytest.mark.parametrize(
    ("fault", "dataset"),
    [
        *[pytest.param("html", d, id=f"html-{d}") for d in DATASETS],
        *[
            pytest.param("cut", d, id=f"cut-{d}", marks=_known("cut", d))
            for d in DATASETS
            if d.startswith("cog")
        ],
    ],
)
def test_one_bad_file_fails_naming_it_and_lands_nothing(
    fault: str, dataset: str, baseline: Path, tmp_path: Path
) -> None:
    held = [e.url for e in default_urls()[dataset] if mirror_path(sample_mirror(baseline), e.url).exists()]
    if not held:
        pytest.skip(f"the sample mirror ships no file of {dataset} (an optional source)")
    url = held[0]
    home = tmp_path / "home"
    shutil.copytree(baseline, home)
    target = mirror_path(sample_mirror(home), url)
    data = target.read_bytes()
    target.write_bytes(HTML if fault == "html" else data[: max(1, len(data) // 3)])
    before = warehouse_path(home).read_bytes()
    report = run_refresh(home=home, env="sample")
    assert not report.success, f"a refresh with a bad {dataset} file succeeded"
    name = Path(url).name
    assert report.error is not None and (name in report.error or url in report.error), (
        f"the error does not name {name}: {report.error}"
    )
    assert_unchanged(warehouse_path(home), before, f"bad {dataset} file ({fault})")
    assert_raw_archive_sound(home / "raw", f"bad {dataset} file ({fault})")
