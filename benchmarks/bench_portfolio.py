"""Portfolio benchmarks, as ratios against baselines measured in the same run.

The portfolio is synthetic (``scripts/make_synthetic_portfolio.py``): 200 members of 36
months each, all starting in the same month (a 36-month timeline), 10,000 draws.

1. Scale-out: the portfolio on a process pool of 2 workers against 1 worker.
   Target: at most 0.6x.
2. Overhead of distribution: the portfolio on a process pool of 1 worker against the
   sum of the members' own Monte Carlo runs in one process
   (:func:`aiopex.engine.cost_paths` of each member, one after the other, nothing
   summed). Target: at most 1.3x.
3. Peak memory of the coordinating process (``ru_maxrss`` of a child process that runs
   the portfolio on 2 workers; the pool's worker processes are not counted).
   Target: at most 500 MB.
4. A Dask ``LocalCluster`` of 2 workers against the process pool of 2 workers.
   Target: at most 1.2x. (The portfolio starts its ``LocalCluster`` with Dask's
   ``MALLOC_TRIM_THRESHOLD_`` left unset in the workers; with Dask's default of 65536
   the members ran about 1.5x slower: 1.80x here.)

Every run has the same seed; the portfolio's totals are checked equal across schedulers
and worker counts. Prints one JSON line per figure. ``--members`` and ``--draws`` scale
it down for a quick look (``--quick``: 20 members, 2,000 draws).

Run: ``.venv/bin/python benchmarks/bench_portfolio.py`` (about 2.5 minutes on 2 cores).

Measured on the 2-core development machine, nothing else running (2026-11-28, with
the LocalCluster's MALLOC_TRIM_THRESHOLD_ unset): 1 worker 26.8 s, 2 workers 14.2 s
(0.53x); the members' own runs 23.3 s (the portfolio on 1 worker 1.15x); Dask
``LocalCluster`` 15.3 s (1.08x the process pool); peak memory of the coordinator 232 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "make_synthetic_portfolio.py"
SEED = 11


def generate(folder: Path, members: int, months: int) -> Path:
    """The synthetic portfolio file (members all start in 2027-01)."""
    subprocess.run(
        [sys.executable, str(GENERATOR), str(members), str(folder), "--seed", "1",
         "--months", str(months), "--start-spread", "0"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder / "portfolio.yaml"


def timed(f, *args, **kwargs):  # noqa: ANN001, ANN201
    t = time.perf_counter()
    out = f(*args, **kwargs)
    return time.perf_counter() - t, out


def members_alone(path: Path, draws: int) -> float:
    """Each member's own Monte Carlo run (cost paths), one after the other, in this
    process: the work without any distribution or summing."""
    from aiopex.analyses.portfolio import load_portfolio
    from aiopex.engine import cost_paths

    pf = load_portfolio(path)
    t = time.perf_counter()
    for s in pf.members:
        cost_paths(s, draws, SEED)
    return time.perf_counter() - t


def portfolio(path: Path, draws: int, scheduler: str, workers: int | None):  # noqa: ANN201
    from aiopex.analyses.portfolio import load_portfolio, run_portfolio

    pf = load_portfolio(path)
    return timed(run_portfolio, pf, draws, SEED, scheduler=scheduler, workers=workers)


def peak_memory(path: Path, draws: int, workers: int) -> float:
    """MB: ``ru_maxrss`` of a process that runs the portfolio (its pool not counted)."""
    code = (
        "import resource, sys\n"
        "from aiopex.analyses.portfolio import load_portfolio, run_portfolio\n"
        "if __name__ == '__main__':\n"
        f"    r = run_portfolio(load_portfolio(sys.argv[1]), {draws}, {SEED}, "
        f"scheduler='processes', workers={workers})\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "peak.py"
        script.write_text(code, encoding="utf-8")
        out = subprocess.run(
            [sys.executable, str(script), str(path)], check=True, capture_output=True, text=True
        )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--quick", action="store_true", help="20 members, 2,000 draws")
    args = ap.parse_args()
    if args.quick:
        args.members, args.draws = 20, 2_000
    size = {"members": args.members, "draws": args.draws, "months": args.months,
            "cores": os.cpu_count()}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp) / "portfolio", args.members, args.months)

        alone = members_alone(path, args.draws)
        one, r1 = portfolio(path, args.draws, "processes", 1)
        two, r2 = portfolio(path, args.draws, "processes", 2)
        mb = peak_memory(path, args.draws, 2)
        dask_s, rd = portfolio(path, args.draws, "dask", 2)
        for r in (r2, rd):
            assert np.array_equal(r.cost, r1.cost), "schedulers disagree"
        assert len(r1.months) == args.months

        print(json.dumps({"bench": "portfolio_two_workers", **size, "one_worker_s": round(one, 2),
                          "two_workers_s": round(two, 2), "ratio": round(two / one, 3),
                          "target": 0.6}))  # fmt: skip
        print(json.dumps({"bench": "portfolio_overhead", **size,
                          "members_alone_s": round(alone, 2), "one_worker_s": round(one, 2),
                          "ratio": round(one / alone, 3), "target": 1.3}))  # fmt: skip
        print(json.dumps({"bench": "portfolio_dask", **size, "dask_s": round(dask_s, 2),
                          "processes_s": round(two, 2), "ratio": round(dask_s / two, 3),
                          "target": 1.2}))  # fmt: skip
        print(json.dumps({"bench": "portfolio_peak_memory", **size, "mb": round(mb, 1),
                          "target_mb": 500}))  # fmt: skip


if __name__ == "__main__":
    main()
