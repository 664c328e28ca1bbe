"""``make bench``: every benchmark script in turn, then a summary of the targets.

Each script prints its figures as JSON lines (:mod:`figure`); they pass through as they
come, and the summary at the end lists every figure with its ratio (or value), target
and whether it is met, then how many are met, each script's run time and the load
average around it (other work on the machine slows both sides of a ratio alike, but a
busy machine is worth knowing about). Exit code 1 when a script failed; an unmet target
is reported, not an error.

Run: ``python benchmarks/bench_all.py [--full] [--only SCRIPT ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from figure import normalize

HERE = Path(__file__).resolve().parent

#: The scripts and their arguments, in order: for ``make bench`` (every figure of the
#: performance issue's table, and the quick others; most of the time goes to the 5M-row
#: FOCUS files of bench_review: 23 minutes with the machine at load 8 to 11), and
#: for ``--full`` (``make bench-full``: every figure of every script). None: not run.
SCRIPTS: list[tuple[list[str] | None, list[str]]] = [
    (["bench_engine.py"], ["bench_engine.py"]),
    (["bench_cli.py"], ["bench_cli.py"]),
    (["bench_runner.py", "--only", "single"], ["bench_runner.py"]),
    (["bench_review.py", "--skip", "memory", "review"], ["bench_review.py"]),
    (["bench_portfolio.py", "--only", "cli"], ["bench_portfolio.py"]),
    (["bench_excel.py"], ["bench_excel.py"]),
    (None, ["bench_compare.py"]),
    (None, ["bench_commitments.py"]),
]

#: Fields that tell apart the figures of one name (draws, file format, size).
DISTINCT = ("draws", "format", "rows", "members", "workers")


def _run(script: list[str]) -> tuple[int, list[dict[str, object]], float, tuple[float, float]]:
    """Run one script, echoing its output; its return code, figures, seconds and the
    1-minute load average before and after."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    figures = []
    with subprocess.Popen(
        [sys.executable, str(HERE / script[0]), *script[1:]],
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE.parent,
    ) as proc:
        assert proc.stdout is not None
        try:
            for text in proc.stdout:
                print(text, end="", flush=True)
                try:
                    line = json.loads(text)
                except json.JSONDecodeError:
                    continue
                fig = normalize(line) if isinstance(line, dict) else None
                if fig is not None:
                    figures.append(fig)
        except BaseException:  # interrupted or terminated: no benchmark is left running
            proc.terminate()
            raise
    return proc.returncode, figures, time.perf_counter() - t0, (load0, os.getloadavg()[0])


def _row(fig: dict[str, object]) -> str:
    met = "info" if fig.get("met") is None else "met" if fig["met"] else "UNMET"
    name = str(fig["bench"])
    extra = " ".join(f"{k}={fig[k]}" for k in DISTINCT if k in fig)
    if "ratio" in fig:
        measured = f"ratio {fig['ratio']}"
    elif "value" in fig:
        measured = f"{fig['value']} {fig.get('unit', '')}".rstrip()
    else:
        measured = "-"
    target = "" if fig.get("target") is None else f"target <= {fig['target']}"
    return f"  {met:<5}  {name} {extra}".rstrip().ljust(62) + f"  {measured:<16} {target}"


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so _run stops its script
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="every figure of every script")
    ap.add_argument("--only", nargs="+", metavar="SCRIPT", help="e.g. bench_cli.py")
    args = ap.parse_args()
    chosen = [full if args.full else quick for quick, full in SCRIPTS]
    scripts = [s for s in chosen if s is not None and (not args.only or s[0] in args.only)]
    figures: list[dict[str, object]] = []
    runs = []
    for script in scripts:
        rc, figs, seconds, load = _run(script)
        figures += figs
        runs.append((" ".join(script), rc, seconds, load))
    checked = [f for f in figures if f.get("met") is not None]
    met = sum(1 for f in checked if f["met"])
    print(f"\nsummary: {met} of {len(checked)} targets met", flush=True)
    for fig in figures:
        print(_row(fig))
    print("scripts (seconds, load average before -> after):")
    for name, rc, seconds, (l0, l1) in runs:
        status = "" if rc == 0 else f"  FAILED (exit {rc})"
        print(f"  {name:<40} {seconds:7.1f} s   load {l0:.1f} -> {l1:.1f}{status}")
    total = sum(r[2] for r in runs)
    print(f"  total {total / 60:.1f} min")
    return 1 if any(r[1] != 0 for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
