"""Commitment plans, as ratios against baselines measured in the same run.

1. A scenario: ``aiopex.commitments`` pricing 40 levels against 10,000 draws of a
   36-month scenario (claims_triage, its two LLM lines over the whole horizon) against
   one Monte Carlo run of the scenario (``aiopex.run``, 10,000 draws). The plan runs the
   draws once and prices the levels as a broadcast over them. Target: at most 1.5x.
   The pricing alone (the 40 levels on the draws already computed) is printed beside.
2. A portfolio: the synthetic 200-member portfolio (``scripts/make_synthetic_portfolio.py``),
   an enterprise agreement on ``*.llm_input_tokens,*.llm_output_tokens`` against the
   portfolio run itself, both on a process pool of 2 workers. Target: at most 1.2x.

Each figure is the best of two runs. Prints one JSON line per figure. ``--quick``: 2,000
draws and 40 members.

Run: ``.venv/bin/python benchmarks/bench_commitments.py`` (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from figure import emit

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "claims_triage.yaml"
GENERATOR = ROOT / "scripts" / "make_synthetic_portfolio.py"
COVERS = "llm_input_tokens,llm_output_tokens"
SEED = 11


def best(f, *args, **kwargs):  # noqa: ANN001, ANN201
    times = []
    for _ in range(2):
        t = time.perf_counter()
        out = f(*args, **kwargs)
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    import aiopex
    from aiopex.analyses.commitments import plan
    from aiopex.engine import cost_paths

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--portfolio-draws", type=int, default=2_000)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.draws, args.members = 2_000, 40

    s = aiopex.load_scenario(SCENARIO)
    H = s.horizon
    run_s, _ = best(aiopex.run, s, draws=args.draws, seed=SEED)
    S = cost_paths(s, args.draws, SEED, spend_of=tuple(COVERS.split(","))).spend
    levels = np.linspace(0, 0.75 * np.percentile(S, 95), 40)
    plan_s, p = best(aiopex.commitments, SCENARIO, COVERS, 0.25, H, levels=list(levels),
                     draws=args.draws, seed=SEED)  # fmt: skip
    price_s, _ = best(plan, S, 0.25, levels)
    assert len(p.levels) == 40
    emit("commitments_scenario", plan_s / run_s, 1.5, draws=args.draws, months=H, levels=40,
         run_s=round(run_s, 3), plan_s=round(plan_s, 3), pricing_only_s=round(price_s, 3))  # fmt: skip

    from aiopex.analyses.portfolio import load_portfolio, run_portfolio

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "portfolio"
        subprocess.run(
            [sys.executable, str(GENERATOR), str(args.members), str(folder), "--seed", "1",
             "--months", "36", "--start-spread", "0"],
            check=True, capture_output=True,
        )  # fmt: skip
        path = folder / "portfolio.yaml"
        pf = load_portfolio(path)
        d = args.portfolio_draws
        pf_s, _ = best(run_portfolio, pf, d, SEED, scheduler="processes", workers=2)
        cov = "*.llm_input_tokens,*.llm_output_tokens"
        agree_s, q = best(aiopex.commitments, path, cov, 0.25, 36, draws=d, seed=SEED,
                          scheduler="processes", workers=2)  # fmt: skip
        emit("commitments_portfolio", agree_s / pf_s, 1.2, members=args.members, draws=d,
             lines=len(q.covers), levels=len(q.levels), portfolio_s=round(pf_s, 3),
             plan_s=round(agree_s, 3), cores=os.cpu_count())  # fmt: skip


if __name__ == "__main__":
    main()
