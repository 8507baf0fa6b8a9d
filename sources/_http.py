"""One way to obtain an official file: HTTP with retries and conditional GET, or a local mirror.

Every file obtained lands in the raw archive, keyed by its sha256 and never overwritten: a file that
changes behind the same URL becomes a new raw version and the old one is kept. A JSON sidecar per URL
remembers the ETag / Last-Modified of the last download, so that a later run asks the server
"has it changed?" and downloads nothing when the answer is 304.

The mirror maps a URL to ``<mirror>/<host>/<path>`` (query strings dropped); with a mirror set, the
network is never touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from sources._errors import FetchError
from sources._faults import checkpoint

DEFAULT_TIMEOUT_S = (10.0, 60.0)  # connect, read (between two chunks)
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF_S = 1.0
DEFAULT_MAX_BYTES = 2 * 1024**3
CHUNK = 1 << 20
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Content types an official data file never has: an HTML page is a portal's error or login page.
REFUSED_CONTENT_TYPES = ("text/html",)

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class FetchedFile:
    """A file in the raw archive, with what is known of where it came from."""

    url: str
    path: Path
    sha256: str
    size: int
    fetched_at: str
    dataset: str
    vintage: str
    licence: str
    etag: str | None = None
    last_modified: str | None = None
    origin: str = "http"  # http | mirror | local
    not_modified: bool = False

    def record(self) -> dict[str, object]:
        out = asdict(self)
        out["path"] = str(self.path)
        return out


def mirror_path(mirror: Path, url: str) -> Path:
    """Where a URL lives in a mirror directory: ``<mirror>/<host>/<path>``."""
    parts = urlsplit(url)
    rel = unquote(parts.path).lstrip("/")
    if not parts.netloc or ".." in Path(rel).parts:
        raise FetchError(f"cannot map URL {url!r} to a mirror path")
    return mirror / parts.netloc / rel


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class RawArchive:
    """Immutable store of raw files: ``<root>/<sha[:2]>/<sha>/<file name>`` plus per-URL sidecars."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _url_key(self, url: str) -> Path:
        return self.root / "urls" / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def last(self, url: str) -> FetchedFile | None:
        """The last file obtained for a URL, if it is still in the archive."""
        key = self._url_key(url)
        if not key.exists():
            return None
        data = json.loads(key.read_text(encoding="utf-8"))
        data["path"] = Path(data["path"])
        fetched = FetchedFile(**data)
        return fetched if fetched.path.exists() else None

    def store(self, tmp: Path, name: str) -> tuple[Path, str, int]:
        """Move a finished temporary file into the archive; returns (path, sha256, size)."""
        sha = sha256_file(tmp)
        size = tmp.stat().st_size
        folder = self.root / sha[:2] / sha
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / name
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)  # same file system: atomic
        return final, sha, size

    def describe(self, fetched: FetchedFile) -> None:
        """Write what is known of a raw file next to it (read back by the `source_file` table)."""
        meta = fetched.path.parent / "meta.json"
        tmp = meta.with_suffix(".tmp")
        tmp.write_text(json.dumps(fetched.record(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, meta)

    def meta(self, sha256: str) -> dict[str, object] | None:
        path = self.root / sha256[:2] / sha256 / "meta.json"
        if not path.exists():
            return None
        data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def remember(self, fetched: FetchedFile) -> None:
        self.describe(fetched)
        key = self._url_key(fetched.url)
        key.parent.mkdir(parents=True, exist_ok=True)
        tmp = key.with_suffix(".tmp")
        tmp.write_text(json.dumps(fetched.record(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, key)

    def tmpfile(self) -> Path:
        (self.root / "tmp").mkdir(exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", suffix=".part")
        os.close(fd)
        return Path(name)


def _archived(
    url: str,
    stored: tuple[Path, str, int],
    dataset: str,
    vintage: str,
    licence: str,
    *,
    origin: str,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchedFile:
    """The record of a file `RawArchive.store` just stored (local copy, mirror or download), stamped now."""
    final, sha, size = stored
    return FetchedFile(
        url=url,
        path=final,
        sha256=sha,
        size=size,
        fetched_at=_now(),
        dataset=dataset,
        vintage=vintage,
        licence=licence,
        etag=etag,
        last_modified=last_modified,
        origin=origin,
    )


def _file_name(url: str) -> str:
    name = Path(unquote(urlsplit(url).path)).name
    return name or "index"


class Fetcher:
    """Obtains files by URL, from a mirror directory or over HTTP, into a raw archive."""

    def __init__(
        self,
        archive: RawArchive,
        *,
        mirror: Path | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.archive = archive
        self.mirror = mirror
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "quartiers/0.1 (+open data pipeline)")
        self.timeout = timeout
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_bytes = max_bytes
        self.progress = progress

    def fetch(
        self, url: str, *, dataset: str, vintage: str, licence: str = "Licence Ouverte 2.0"
    ) -> FetchedFile:
        if self.mirror is not None:
            return self._from_mirror(url, dataset, vintage, licence)
        return self._from_http(url, dataset, vintage, licence)

    def register_local(self, path: Path, *, dataset: str, vintage: str, licence: str = "") -> FetchedFile:
        """A file the user holds (``refresh --files``): copied into the archive like a download."""
        if not path.is_file():
            raise FetchError(f"local file {path} does not exist")
        tmp = self.archive.tmpfile()
        shutil.copyfile(path, tmp)
        stored = self.archive.store(tmp, path.name)
        fetched = _archived(path.resolve().as_uri(), stored, dataset, vintage, licence, origin="local")
        self.archive.describe(fetched)
        return fetched

    # -- mirror ---------------------------------------------------------------------------------
    def _from_mirror(self, url: str, dataset: str, vintage: str, licence: str) -> FetchedFile:
        assert self.mirror is not None
        src = mirror_path(self.mirror, url)
        if not src.is_file():
            raise FetchError(f"mirror file absent for {url}: expected {src}")
        size = src.stat().st_size
        if size > self.max_bytes:
            raise FetchError(f"{url}: mirror file {src} is {size} bytes, over the cap of {self.max_bytes}")
        tmp = self.archive.tmpfile()
        shutil.copyfile(src, tmp)
        checkpoint("fetch.copied")
        stored = self.archive.store(tmp, _file_name(url))
        fetched = _archived(url, stored, dataset, vintage, licence, origin="mirror")
        checkpoint("fetch.stored")
        self.archive.remember(fetched)
        return fetched

    # -- HTTP -----------------------------------------------------------------------------------
    def _from_http(self, url: str, dataset: str, vintage: str, licence: str) -> FetchedFile:
        previous = self.archive.last(url)
        headers: dict[str, str] = {}
        if previous is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        last_error: str = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._delay(attempt, last_error))
            try:
                result = self._attempt(url, headers, previous, dataset, vintage, licence)
            except _Retryable as exc:
                last_error = str(exc)
                self._retry_after = exc.retry_after
                continue
            except requests.RequestException as exc:  # connection reset, timeout, truncated body
                last_error = f"{type(exc).__name__}: {exc}"
                self._retry_after = None
                continue
            return result
        raise FetchError(f"{url}: gave up after {self.retries + 1} attempts; last error: {last_error}")

    _retry_after: float | None = None

    def _delay(self, attempt: int, _error: str) -> float:
        if self._retry_after is not None:
            return min(self._retry_after, 60.0)
        return float(self.backoff_s * 2 ** (attempt - 1))

    def _attempt(
        self,
        url: str,
        headers: dict[str, str],
        previous: FetchedFile | None,
        dataset: str,
        vintage: str,
        licence: str,
    ) -> FetchedFile:
        with self.session.get(url, headers=headers, timeout=self.timeout, stream=True) as resp:
            if resp.status_code == 304 and previous is not None:
                return dataclasses.replace(previous, not_modified=True)
            if resp.status_code in RETRY_STATUSES:
                raise _Retryable(f"HTTP {resp.status_code}", _retry_after_s(resp.headers.get("Retry-After")))
            if resp.status_code != 200:
                raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}")
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype in REFUSED_CONTENT_TYPES:
                raise FetchError(f"{url}: the server sent {ctype!r}, an HTML page, not a data file")
            declared = resp.headers.get("Content-Length")
            if declared is not None and int(declared) > self.max_bytes:
                raise FetchError(f"{url}: {declared} bytes announced, over the cap of {self.max_bytes}")
            tmp = self.archive.tmpfile()
            received = 0
            try:
                with tmp.open("wb") as out:
                    for block in resp.iter_content(CHUNK):
                        received += len(block)
                        if received > self.max_bytes:
                            raise FetchError(f"{url}: more than {self.max_bytes} bytes, download stopped")
                        out.write(block)
                        checkpoint("fetch.streaming")
                        if self.progress is not None:
                            self.progress(received, int(declared) if declared else None)
                if declared is not None and received != int(declared):
                    raise requests.exceptions.ChunkedEncodingError(
                        f"body cut short: {received} of {declared} bytes"
                    )
                stored = self.archive.store(tmp, _file_name(url))
            finally:
                if tmp.exists():
                    tmp.unlink()
            fetched = _archived(
                url,
                stored,
                dataset,
                vintage,
                licence,
                origin="http",
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
            )
            self.archive.remember(fetched)
            return fetched


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after_s(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to exponential backoff


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
