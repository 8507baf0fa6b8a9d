"""Safe extraction of zip archives: no member outside the target, bounded sizes, named faults."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from sources._errors import ArchiveError
from sources._faults import checkpoint

MAX_MEMBER_BYTES = 1024**3
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_RATIO = 200  # uncompressed / compressed: beyond this a member is treated as a zip bomb
MAX_MEMBERS = 10_000


def is_zip(path: Path) -> bool:
    """Sniff the magic bytes: official resources change extension, not content."""
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def is_xlsx(path: Path) -> bool:
    """An XLSX workbook is a zip too: tell it by its OOXML content-types member."""
    if not is_zip(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return "[Content_Types].xml" in zf.namelist() and any(n.startswith("xl/") for n in zf.namelist())
    except zipfile.BadZipFile:
        return False


def _safe_name(archive: Path, name: str) -> PurePosixPath:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{archive}: member {name!r} has an absolute path; refused")
    if ".." in pure.parts:
        raise ArchiveError(f"{archive}: member {name!r} climbs out of the target with '..'; refused")
    return pure


def list_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return [i.filename for i in zf.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{path}: not a readable zip archive ({exc})") from exc


def extract(
    path: Path,
    target: Path,
    *,
    members: list[str] | None = None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: int = MAX_RATIO,
) -> list[Path]:
    """Extract (some) members of a zip into ``target``; returns the extracted paths.

    Checks every member before writing anything, then streams each one with a running byte count, so
    that a header that lies about the size is caught too. A failure leaves nothing in ``target``.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path}: not a readable zip archive ({exc})") from exc
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(f"{path}: {len(infos)} members, over the cap of {MAX_MEMBERS}")
        if members is not None:
            wanted = set(members)
            infos = [i for i in infos if i.filename in wanted]
            missing = wanted - {i.filename for i in infos}
            if missing:
                raise ArchiveError(f"{path}: members not found: {sorted(missing)}")
        total = 0
        for info in infos:
            _safe_name(path, info.filename)
            if info.file_size > max_member_bytes:
                raise ArchiveError(
                    f"{path}: member {info.filename!r} declares {info.file_size} bytes, over the cap of "
                    f"{max_member_bytes}"
                )
            if (
                info.compress_size
                and info.file_size / info.compress_size > max_ratio
                and info.file_size > 1 << 20
            ):
                raise ArchiveError(
                    f"{path}: member {info.filename!r} expands {info.file_size / info.compress_size:.0f}×: "
                    "refused as a zip bomb"
                )
            total += info.file_size
        if total > max_total_bytes:
            raise ArchiveError(f"{path}: {total} bytes in all, over the cap of {max_total_bytes}")

        staging = target.with_name(target.name + ".partial")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        out_paths: list[Path] = []
        written_total = 0
        try:
            for info in infos:
                rel = _safe_name(path, info.filename)
                dest = staging.joinpath(*rel.parts)
                if not dest.resolve().is_relative_to(staging.resolve()):
                    raise ArchiveError(f"{path}: member {info.filename!r} resolves outside the target")
                dest.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, dest.open("wb") as out:
                    while block := src.read(1 << 20):
                        written += len(block)
                        written_total += len(block)
                        if written > max_member_bytes or written_total > max_total_bytes:
                            raise ArchiveError(
                                f"{path}: member {info.filename!r} expands past the size cap; refused"
                            )
                        out.write(block)
                out_paths.append(Path(*rel.parts))
                checkpoint("extract.member")
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArchiveError(f"{path}: member {info.filename!r} is corrupt or truncated ({exc})") from exc
        except ArchiveError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return [target / p for p in out_paths]
