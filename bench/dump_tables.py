"""Dump every warehouse table to sorted Parquet with a sha256, and compare two dumps table by table.

The proof that a structural change changes no figure (issue 17): build the sample and the real
warehouse before the first structural commit, dump them, build again after the last one, dump again,
compare. Columns that record *when* or *where* a build ran (timestamps, the home's path) differ between
any two builds of the same code; they are left out of the digest and listed in the manifest.

    python -m bench.dump_tables dump --home H --out DIR        # DIR/<table>.parquet + DIR/manifest.json
    python -m bench.dump_tables compare DIR_BEFORE DIR_AFTER   # exit 1 when a table differs
    python -m bench.dump_tables build-and-dump --out DIR [--real ../shared/data]   # sample, or real files
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import duckdb

from sources._http import sha256_file

# Columns whose values depend on when or where the build ran, not on the data.
VOLATILE = re.compile(r"(_at|_time|timestamp|^built|^path|_path|^home|^url|duration|_ms|_s)$")
# Rows of build metadata (when, from which paths, with which code fingerprint): not data.
METADATA_TABLES = {"warehouse_info"}


def dump(warehouse: Path, out: Path) -> dict[str, dict[str, object]]:
    """Each base table → out/<table>.parquet, rows sorted on every kept column; manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    manifest: dict[str, dict[str, object]] = {}
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        for table in [t for t in tables if t not in METADATA_TABLES]:
            cols = [
                (r[0], r[1])
                for r in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            kept = [c for c, _t in cols if not VOLATILE.search(c)]
            dropped = [c for c, _t in cols if VOLATILE.search(c)]
            target = out / f"{table}.parquet"
            select = ", ".join(f'"{c}"' for c in kept) or "1"
            order = ", ".join(f'"{c}" NULLS FIRST' for c in kept) or "1"
            con.execute(
                f'COPY (SELECT {select} FROM "{table}" ORDER BY {order}) TO \'{target}\' '  # noqa: S608 (identifiers from the catalog)
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
            )
            n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608 (identifier)
            # The Parquet bytes carry the writer's metadata; the digest is over the sorted rows themselves.
            rows_digest = con.execute(
                f"SELECT sha256(string_agg(md5(row_text), '' ORDER BY row_text)) FROM "  # noqa: S608
                f"(SELECT CAST(ROW({select}) AS VARCHAR) AS row_text FROM read_parquet(?))",
                [str(target)],
            ).fetchone()
            manifest[table] = {
                "rows": int(n[0]) if n else 0,
                "sha256": str(rows_digest[0]) if rows_digest and rows_digest[0] else "",
                "file_sha256": sha256_file(target),
                "left_out": dropped,
            }
    finally:
        con.close()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def compare(before: Path, after: Path) -> int:
    a = json.loads((before / "manifest.json").read_text(encoding="utf-8"))
    b = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    bad = 0
    for table in sorted(set(a) | set(b)):
        x, y = a.get(table), b.get(table)
        if x is None or y is None:
            print(f"{table:32} {'absent avant' if x is None else 'absent après'}")
            bad += 1
            continue
        same = x["sha256"] == y["sha256"] and x["rows"] == y["rows"]
        bad += not same
        verdict = "identique" if same else "DIFFÉRENT"
        print(f"{table:32} {x['rows']:>10} {y['rows']:>10}  {verdict}  {y['sha256'][:16]}")
    print(f"{len(set(a) | set(b))} tables, {bad} différentes")
    return 1 if bad else 0


def build_and_dump(out: Path, real: Path | None) -> None:
    from pipelines.refresh import run_refresh
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    with tempfile.TemporaryDirectory(prefix="quartiers-dump-") as tmp:
        home = Path(tmp)
        if real is None:
            generate_sample(sample_mirror(home))
            report = run_refresh(home=home, env="sample")
        else:
            report = run_refresh(home=home, files=[real])
        if not report.success:
            raise SystemExit(f"build failed: {report.error}")
        manifest = dump(home / "warehouse.duckdb", out)
    print(f"{len(manifest)} tables → {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--home", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    b = sub.add_parser("build-and-dump")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--real", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(f"{len(dump(args.home / 'warehouse.duckdb', args.out))} tables → {args.out}")
        return 0
    if args.command == "compare":
        return compare(args.before, args.after)
    build_and_dump(args.out, args.real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
