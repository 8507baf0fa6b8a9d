"""Bad input lands nothing: a refresh whose one source file is bad fails naming that file, and the
previous warehouse file is byte-identical afterwards. One case per dataset the refresh downloads
(the sample mirror, one file replaced by an HTML error page or cut short)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pipelines.definitions  # noqa: F401 — sources register their URLs on import
from pipelines.paths import sample_mirror, warehouse_path
from pipelines.refresh import run_refresh
from sources._http import mirror_path
from sources.registry import DEFAULT_URLS
from synthetic.sample import generate_sample
from tests.faults.reliability import assert_raw_archive_sound, assert_unchanged

pytestmark = pytest.mark.fault("bad input refresh")

HTML = b"<!DOCTYPE html><html><body><h1>Erreur 500</h1><p>Service indisponible</p></body></html>\n"
ENTRIES = sorted((dataset, e.url) for dataset, entries in DEFAULT_URLS.items() for e in entries)


# Bugs reported to the owner of the parser: the error escapes without naming the file.
KNOWN = {
    (
        "cut",
        "cog_communes",
    ): "sources/cog/parse.py: a cut-short v_commune CSV raises polars ComputeError, file unnamed",
    ("cut", "cog_epci"): "sources/cog/parse.py: a cut-short EPCI zip raises zipfile.BadZipFile, file unnamed",
}


def _known(fault: str, dataset: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((fault, dataset))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("baseline")
    generate_sample(sample_mirror(home))
    report = run_refresh(home=home, env="sample")
    assert report.success, report.error
    return home


@pytest.mark.parametrize(
    ("fault", "dataset", "url"),
    [
        *[pytest.param("html", d, u, id=f"html-{d}") for d, u in ENTRIES],
        *[pytest.param("cut", d, u, id=f"cut-{d}", marks=_known("cut", d)) for d, u in ENTRIES[:4]],
    ],
)
def test_one_bad_file_fails_naming_it_and_lands_nothing(
    fault: str, dataset: str, url: str, baseline: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(baseline, home)
    target = mirror_path(sample_mirror(home), url)
    if not target.exists():
        pytest.fail(f"the sample mirror lacks {target} for {dataset}")
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
