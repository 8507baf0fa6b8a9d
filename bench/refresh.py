"""Refresh benchmarks on the national synthetic mirror: full refresh, second run with nothing changed,
and a one-source refresh (`--only GROUP`), each in a fresh process (peak RSS per run).

    python -m bench.refresh [--only-group education] [--skip-full]

Prints one line per run: wall time, peak RSS, steps run out of the job's steps, rows of the largest
tables. Targets: full ≤ 180 s and ≤ 4 GiB; nothing changed ≤ 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench._common import (
    bench_home,
    current_rss_mib,
    ensure_mirror,
    load_average,
    national_mirror,
    peak_rss_mib,
    run_child,
    timed,
)


def _jumps(steps_rss: list[tuple[str, int]], top: int = 5) -> list[tuple[str, int, int]]:
    """The steps during which the peak RSS grew most: (step, growth MiB, peak after it MiB)."""
    grown = []
    before = 0
    for step, peak in steps_rss:
        grown.append((step, peak - before, peak))
        before = max(before, peak)
    return sorted(grown, key=lambda g: -g[1])[:top]


def _child(mode: str, home: Path, mirror: Path, group: str | None) -> None:
    """One refresh in this process; prints a JSON line."""
    from pipelines.refresh import run_refresh

    profiler = None
    if os.environ.get("QUARTIERS_BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()

    # Peak RSS after each step (ru_maxrss only grows): the step where it jumps is the one to look at.
    steps_rss: list[tuple[str, int]] = []
    # In-process steps run one after another: a step's time is the gap since the previous one ended.
    steps_time: list[tuple[str, float]] = []
    held: list[tuple[str, int]] = []  # RSS when each step ended: memory kept from one step to the next
    last = [time.monotonic()]

    def on_step(step: str, _ok: bool) -> None:
        now = time.monotonic()
        steps_rss.append((step, round(peak_rss_mib())))
        steps_time.append((step, round(now - last[0], 1)))
        held.append((step, round(current_rss_mib())))
        last[0] = now

    # "full" and "one" force a rebuild (change detection would otherwise stop them: the mirror is the same);
    # "nochange" measures exactly that early stop.
    with timed() as t:
        report = run_refresh(
            home=home,
            env="mirror",
            mirror=mirror,
            only=[group] if group else None,
            force=mode in ("full", "one"),
            on_step=on_step,
        )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.environ["QUARTIERS_BENCH_PROFILE"])
    from pipelines.definitions import ASSETS

    total = sum(len(getattr(a, "keys", [])) or 1 for a in ASSETS)
    biggest = dict(sorted(report.rows.items(), key=lambda kv: -kv[1])[:6])
    print(
        json.dumps(
            {
                "mode": mode,
                "success": report.success,
                "skipped": report.skipped,
                "reason": report.reason,
                "failed_step": report.failed_step,
                "error": (report.error or "")[:500],
                "wall_s": round(t[0], 1),
                "peak_rss_mib": round(peak_rss_mib()),
                "steps_run": len(report.steps),
                "assets_materialised": len(report.rows),
                "assets_total": total,
                "rows": biggest,
                "rss_jumps": _jumps(steps_rss),
                "slowest_steps": sorted(steps_time, key=lambda st: -st[1])[:8],
                "all_steps": steps_time,
                "most_held_after": sorted(held, key=lambda h: -h[1])[:5],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", choices=["full", "nochange", "one"], help=argparse.SUPPRESS)
    parser.add_argument("--only-group", default="education", help="asset group of the one-source refresh")
    parser.add_argument(
        "--skip-full", action="store_true", help="reuse the last full refresh's raw and staged"
    )
    parser.add_argument("--runs", default="full,nochange,one")
    parser.add_argument("--profile", type=Path, help="write a cProfile dump of each run to PROFILE.<run>")
    args = parser.parse_args()
    home, mirror = bench_home(), national_mirror()
    if args.child:
        _child(args.child, home, mirror, args.only_group if args.child == "one" else None)
        return
    ensure_mirror(mirror)
    print(f"home {home}, mirror {mirror}; {load_average()}", flush=True)
    for mode in args.runs.split(","):
        if mode == "full" and args.skip_full:
            continue
        if args.profile:
            os.environ["QUARTIERS_BENCH_PROFILE"] = f"{args.profile}.{mode}"
        res = run_child("bench.refresh", "--child", mode, "--only-group", args.only_group)
        label = {
            "full": "full national refresh",
            "nochange": "refresh, nothing changed",
            "one": f"one-source refresh (--only {args.only_group})",
        }[mode]
        status = "ok" if res["success"] else f"FAILED at {res['failed_step']}: {res['error']}"
        if res.get("skipped"):
            status += f", stopped early: {res.get('reason')}"
        print(
            f"{label}: {res['wall_s']} s, peak RSS {res['peak_rss_mib']} MiB, "
            f"{res['assets_materialised']} assets materialised of {res['assets_total']} "
            f"({res['steps_run']} steps) — {status}",
            flush=True,
        )
        print(f"  largest tables: {res['rows']}", flush=True)
        jumps = res.get("rss_jumps")
        if isinstance(jumps, list) and jumps:
            text = ", ".join(f"{step} +{grew} MiB (→ {peak})" for step, grew, peak in jumps)
            print(f"  peak RSS grew most during: {text}", flush=True)
        slow = res.get("slowest_steps")
        if isinstance(slow, list) and slow:
            print("  slowest steps: " + ", ".join(f"{s} {t} s" for s, t in slow), flush=True)
        kept = res.get("most_held_after")
        if isinstance(kept, list) and kept:
            print("  RSS held after: " + ", ".join(f"{s} {m} MiB" for s, m in kept), flush=True)
    print(load_average())
    sys.exit(0)


if __name__ == "__main__":
    main()
