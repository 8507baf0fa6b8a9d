"""Safe zip extraction: bad archives are refused with the member named, and nothing is written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sources._archive import extract, is_zip
from sources._errors import ArchiveError


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_extracts_members_into_target(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "a.zip", {"GEOJSON/a.geojson": b"{}", "SHP/b.shp": b"x"})
    out = extract(z, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in out) == [
        "GEOJSON/a.geojson",
        "SHP/b.shp",
    ]
    assert (tmp_path / "out" / "GEOJSON" / "a.geojson").read_bytes() == b"{}"


def test_sniffs_zip_by_magic_bytes_not_extension(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "942d4ee8-8142-4556-8ea1-335537ce1119", {"a": b"1"})
    assert is_zip(z)
    (tmp_path / "x.zip").write_bytes(b"{}")
    assert not is_zip(tmp_path / "x.zip")


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt"])
def test_zip_slip_is_refused_naming_the_member(tmp_path: Path, name: str) -> None:
    z = make_zip(tmp_path / "a.zip", {"ok.txt": b"1", name: b"2"})
    with pytest.raises(ArchiveError, match=r"evil\.txt"):
        extract(z, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "a.zip", {"data.csv": b"x" * 100_000})
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"not a readable zip|corrupt or truncated"):
        extract(z, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "bomb.zip", {"bomb.csv": b"0" * (20 * 1024 * 1024)})
    with pytest.raises(ArchiveError, match=r"zip bomb|over the cap"):
        extract(z, tmp_path / "out", max_member_bytes=10 * 1024 * 1024)
    with pytest.raises(ArchiveError, match="zip bomb"):
        extract(z, tmp_path / "out")


def test_header_lying_about_size_is_caught_while_streaming(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "a.zip", {"data.csv": b"y" * 5000})
    # Rewrite the declared uncompressed size in the central directory to a small value.
    raw = bytearray(z.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    z.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError):
        extract(z, tmp_path / "out", max_member_bytes=1000)
    assert not (tmp_path / "out").exists()


def test_failed_extraction_keeps_previous_target(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"a.txt": b"old"})
    extract(good, tmp_path / "out")
    bad = make_zip(tmp_path / "bad.zip", {"a.txt": b"new", "../x": b""})
    with pytest.raises(ArchiveError):
        extract(bad, tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"old"
