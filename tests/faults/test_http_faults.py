"""HTTP faults against a real server on 127.0.0.1: each one is retried, refused, or recorded honestly."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from sources._errors import FetchError
from sources._http import Fetcher, RawArchive, mirror_path
from tests.faults.http_server import Reply, Script, serve

pytestmark = pytest.mark.fault("http")

BODY = b"TYPECOM,COM,REG,DEP\nCOM,99101,99,99\n"


def fetcher(tmp_path: Path, **kw: object) -> Fetcher:
    return Fetcher(RawArchive(tmp_path / "raw"), backoff_s=0.01, **kw)  # type: ignore[arg-type]


def test_500_then_success_is_retried(tmp_path: Path) -> None:
    script = Script([Reply(500), Reply(500), Reply(200, BODY)])
    with serve(script) as base:
        got = fetcher(tmp_path).fetch(f"{base}/v_commune_2024.csv", dataset="cog", vintage="2024")
    assert len(script.requests) == 3
    assert got.path.read_bytes() == BODY
    assert got.sha256 == hashlib.sha256(BODY).hexdigest()


def test_503_honours_retry_after(tmp_path: Path) -> None:
    script = Script([Reply(503, headers={"Retry-After": "1"}), Reply(200, BODY)])
    t0 = time.monotonic()
    with serve(script) as base:
        fetcher(tmp_path).fetch(f"{base}/f.csv", dataset="d", vintage="v")
    assert time.monotonic() - t0 >= 0.9  # waited what the server asked, not the 0.01 s backoff


def test_404_fails_at_once_naming_the_url(tmp_path: Path) -> None:
    script = Script([Reply(404)])
    with serve(script) as base, pytest.raises(FetchError, match=r"f\.csv: HTTP 404"):
        fetcher(tmp_path).fetch(f"{base}/f.csv", dataset="d", vintage="v")
    assert len(script.requests) == 1  # a 404 is not retried


def test_gives_up_after_retries_and_lands_nothing(tmp_path: Path) -> None:
    script = Script([Reply(500)])
    with serve(script) as base, pytest.raises(FetchError, match="gave up after 3 attempts"):
        fetcher(tmp_path, retries=2).fetch(f"{base}/f.csv", dataset="d", vintage="v")
    assert not [p for p in (tmp_path / "raw").rglob("*") if p.is_file() and p.parent.name != "tmp"]


def test_connection_reset_is_retried(tmp_path: Path) -> None:
    script = Script([Reply(reset=True), Reply(200, BODY)])
    with serve(script) as base:
        got = fetcher(tmp_path).fetch(f"{base}/f.csv", dataset="d", vintage="v")
    assert got.path.read_bytes() == BODY and len(script.requests) == 2


def test_body_cut_short_is_never_stored(tmp_path: Path) -> None:
    script = Script([Reply(200, BODY, cut_short=True)])
    with serve(script) as base, pytest.raises(FetchError, match="gave up"):
        fetcher(tmp_path, retries=1).fetch(f"{base}/f.csv", dataset="d", vintage="v")
    stored = [p for p in (tmp_path / "raw").rglob("f.csv")]
    assert stored == []


def test_slow_trickle_past_the_timeout_fails(tmp_path: Path) -> None:
    script = Script([Reply(200, b"x" * 50, trickle_s=0.2)])
    with serve(script) as base, pytest.raises(FetchError, match=r"ReadTimeout|ConnectionError|timed out"):
        fetcher(tmp_path, retries=0, timeout=(1.0, 0.1)).fetch(f"{base}/f.csv", dataset="d", vintage="v")


def test_304_downloads_nothing_and_changed_file_is_a_new_version(tmp_path: Path) -> None:
    v2 = BODY + b"COM,99102,99,99\n"
    script = Script(
        [
            Reply(200, BODY, headers={"ETag": '"v1"'}),
            Reply(304),
            Reply(200, v2, headers={"ETag": '"v2"'}),
        ]
    )
    f = fetcher(tmp_path)
    with serve(script) as base:
        first = f.fetch(f"{base}/f.csv", dataset="d", vintage="v")
        second = f.fetch(f"{base}/f.csv", dataset="d", vintage="v")
        third = f.fetch(f"{base}/f.csv", dataset="d", vintage="v")
    assert script.requests[1].get("If-None-Match") == '"v1"'
    assert second.not_modified and second.sha256 == first.sha256
    assert third.sha256 != first.sha256
    assert first.path.exists() and third.path.exists()  # the old raw version is kept


def test_html_error_page_is_refused(tmp_path: Path) -> None:
    script = Script(
        [Reply(200, b"<html>maintenance</html>", headers={"Content-Type": "text/html; charset=utf-8"})]
    )
    with serve(script) as base, pytest.raises(FetchError, match="HTML page"):
        fetcher(tmp_path).fetch(f"{base}/f.csv", dataset="d", vintage="v")


def test_size_cap(tmp_path: Path) -> None:
    script = Script([Reply(200, b"x" * 5000)])
    with serve(script) as base, pytest.raises(FetchError, match="over the cap"):
        fetcher(tmp_path, max_bytes=1000).fetch(f"{base}/f.csv", dataset="d", vintage="v")


def test_mirror_maps_host_and_path_and_names_missing_files(tmp_path: Path) -> None:
    url = "https://www.insee.fr/fr/statistiques/fichier/7766585/v_commune_2024.csv"
    expected = tmp_path / "mirror" / "www.insee.fr" / "fr/statistiques/fichier/7766585/v_commune_2024.csv"
    assert mirror_path(tmp_path / "mirror", url) == expected
    f = Fetcher(RawArchive(tmp_path / "raw"), mirror=tmp_path / "mirror")
    with pytest.raises(FetchError) as info:
        f.fetch(url, dataset="cog", vintage="2024")
    assert url in str(info.value) and str(expected) in str(info.value)
    expected.parent.mkdir(parents=True)
    expected.write_bytes(BODY)
    got = f.fetch(url, dataset="cog", vintage="2024")
    assert got.origin == "mirror" and got.path.read_bytes() == BODY
    assert f.archive.meta(got.sha256)["url"] == url  # type: ignore[index]


def test_mirror_refuses_paths_climbing_out(tmp_path: Path) -> None:
    with pytest.raises(FetchError):
        mirror_path(tmp_path, "https://example.org/a/../../etc/passwd")
