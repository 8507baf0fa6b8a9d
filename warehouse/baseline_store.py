"""The frozen-baseline store: ``<home>/baselines/<contract>/<date>.parquet``, outside the warehouse.

A refresh rebuilds the warehouse from the sources; a frozen baseline must never change with it. So each
baseline is written once, atomically, as a read-only Parquet file with a sidecar ``.sha256``; the
warehouse build copies every stored baseline into its ``contract_baseline`` table (pipelines/assets/
baselines.py). Writing a baseline that already exists is refused unless ``force=True``.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import polars as pl

from models.baseline import BASELINE_SCHEMA
from sources._errors import QuartiersError
from sources._http import sha256_file
from sources.contracts import validate_contract_name

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BaselineError(QuartiersError):
    """A baseline is absent, already frozen, or altered since it was frozen."""


def store_dir(home: Path) -> Path:
    return home / "baselines"


def baseline_path(home: Path, contract: str, on: date) -> Path:
    return store_dir(home) / validate_contract_name(contract) / f"{on.isoformat()}.parquet"


def freeze_baseline(home: Path, contract: str, on: date, frame: pl.DataFrame, *, force: bool = False) -> Path:
    """Write a baseline once (read-only file + sha256 sidecar); refuse to replace one unless ``force``."""
    path = baseline_path(home, contract, on)
    if path.exists() and not force:
        raise BaselineError(
            f"a baseline of contract {contract!r} for {on.isoformat()} is already frozen at {path}; "
            "it is never overwritten silently (use --force to replace it deliberately)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame.select([pl.col(c).cast(t) for c, t in BASELINE_SCHEMA.items()]).write_parquet(tmp)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o444)
    if path.exists():  # force: the old file is read-only; replace works on the directory entry
        os.chmod(path, 0o644)
    os.replace(tmp, path)
    sidecar = path.with_suffix(".parquet.sha256")
    if sidecar.exists():
        os.chmod(sidecar, 0o644)
    sidecar.write_text(f"{sha256_file(path)}  {path.name}\n", encoding="utf-8")
    os.chmod(sidecar, 0o444)
    return path


def stored_dates(home: Path, contract: str) -> list[date]:
    d = store_dir(home) / validate_contract_name(contract)
    return sorted(date.fromisoformat(p.stem) for p in d.glob("*.parquet") if DATE_RE.match(p.stem))


def load_baseline(home: Path, contract: str, on: date | None = None) -> pl.DataFrame:
    """A frozen baseline (the latest one when ``on`` is None), verified against its sha256 sidecar."""
    if on is None:
        dates = stored_dates(home, contract)
        if not dates:
            raise BaselineError(
                f"no frozen baseline for contract {contract!r} in {store_dir(home)}: "
                f"run `quartiers baseline {contract}`"
            )
        on = dates[-1]
    path = baseline_path(home, contract, on)
    if not path.exists():
        have = ", ".join(d.isoformat() for d in stored_dates(home, contract)) or "none"
        raise BaselineError(f"no frozen baseline of {contract!r} for {on.isoformat()} (frozen: {have})")
    verify(path)
    return _with_all_columns(pl.read_parquet(path))


def verify(path: Path) -> None:
    sidecar = path.with_suffix(".parquet.sha256")
    if not sidecar.exists():
        raise BaselineError(f"{path}: its sha256 sidecar is missing; the baseline cannot be trusted")
    expected = sidecar.read_text(encoding="utf-8").split()[0]
    if sha256_file(path) != expected:
        raise BaselineError(f"{path} was altered after it was frozen (sha256 differs from {sidecar.name})")


def _with_all_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """A baseline frozen before a column existed gets it as NULL (the file itself never changes)."""
    missing = [c for c in BASELINE_SCHEMA if c not in frame.columns]
    return frame.with_columns(pl.lit(None, dtype=BASELINE_SCHEMA[c]).alias(c) for c in missing)


def all_baselines(home: Path) -> pl.DataFrame:
    """Every frozen baseline of every contract, one frame (empty with BASELINE_SCHEMA when none)."""
    parts = []
    root = store_dir(home)
    if root.exists():
        for d in sorted(root.iterdir()):
            if not d.is_dir() or not re.match(r"^[a-z0-9-]+$", d.name):
                continue
            for p in sorted(d.glob("*.parquet")):
                if DATE_RE.match(p.stem):
                    verify(p)
                    parts.append(
                        _with_all_columns(pl.read_parquet(p)).select(
                            [pl.col(c).cast(t) for c, t in BASELINE_SCHEMA.items()]
                        )
                    )
    return pl.concat(parts) if parts else pl.DataFrame(schema=BASELINE_SCHEMA)
