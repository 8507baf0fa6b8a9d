"""Export folders are checked before anything is written: never a file, never a system folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.paths import OutputPathError, output_dir


def test_a_plain_folder_is_resolved(tmp_path: Path) -> None:
    assert output_dir(tmp_path / "a" / ".." / "b") == (tmp_path / "b").resolve()


@pytest.mark.parametrize("target", ["/etc", "/etc/passwd", "/usr/lib/x", "/proc/self"])
def test_system_folders_and_files_are_refused(target: str) -> None:
    with pytest.raises(OutputPathError):
        output_dir(Path(target))


def test_an_existing_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(OutputPathError, match="not a folder"):
        output_dir(f)


def test_a_symlink_into_a_system_folder_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "exports"
    link.symlink_to("/etc")
    with pytest.raises(OutputPathError, match="system folder"):
        output_dir(link / "fiches")
