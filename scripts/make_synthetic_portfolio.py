"""Write a large synthetic portfolio: N member scenarios and the portfolio file.

Each member is one of the bundled scenarios (data/scenarios: claims_triage,
support_assistant, doc_extraction_gpu) made its own: a new name, a start month
spread over ``--start-spread`` months from ``--first``, a population scaled by
0.3 to 3, every cost line's rate scaled by 0.5 to 2 (ranges keep their shape),
optional lines dropped at random (a third of the lines a system can do without), and
the uncertain ranges of the rates widened or narrowed by up to half. The portfolio
shares the LLM input-token price, every line's price escalation and the discount rate,
and sets a budget for its first two full fiscal years at 5% above their point cost.

Deterministic for a ``--seed``. Written (the folder must not exist, or be empty):

- ``OUT/portfolio.yaml``
- ``OUT/members/member_0001.yaml`` ... (self-contained: no ``extends``)

Run::

    .venv/bin/python scripts/make_synthetic_portfolio.py 200 /tmp/portfolio200
    .venv/bin/aiopex portfolio /tmp/portfolio200/portfolio.yaml --draws 10000 --out /tmp/p200
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
BASES = ("claims_triage", "support_assistant", "doc_extraction_gpu")
#: Lines a member keeps whatever the draw: without them the system does not run.
KEEP = {"llm_input_tokens", "llm_output_tokens", "gpu_inference_nodes"}


def _scale(value: Any, k: float, widen: float) -> Any:
    """A rate times ``k``: a number, or a range whose low/high also move by ``widen``."""
    if isinstance(value, int | float):
        return float(value) * k
    out = dict(value)
    if {"low", "high"} <= set(out):
        lo, hi = float(out["low"]) * k, float(out["high"]) * k
        mid = out.get("mode", out.get("point"))
        centre = float(mid) * k if mid is not None else (lo + hi) / 2
        out["low"] = centre - (centre - lo) * widen
        out["high"] = centre + (hi - centre) * widen
        for key in ("mode", "point"):
            if key in out:
                out[key] = centre
    elif {"mean", "sd"} <= set(out):
        out["mean"] = float(out["mean"]) * k
        out["sd"] = float(out["sd"]) * k * widen
    return out


def member(base: dict[str, Any], i: int, rng: np.random.Generator, args: Any) -> dict[str, Any]:
    """One synthetic member from a bundled scenario (see the module's docstring)."""
    doc = copy.deepcopy(base)
    doc["name"] = f"member_{i:04d}"
    doc["description"] = f"Synthetic member {i} (from {base['name']})."
    y, m = map(int, args.first.split("-"))
    m0 = (m - 1) + int(rng.integers(0, args.start_spread + 1))
    doc["start"] = f"{y + m0 // 12:04d}-{m0 % 12 + 1:02d}"
    doc["horizon_months"] = args.months
    doc["usage"]["population"] = max(
        10, int(round(doc["usage"]["population"] * rng.uniform(0.3, 3)))
    )
    lines = []
    for line in doc["costs"]:
        if line["name"] not in KEEP and rng.random() < 1 / 3:
            continue
        line = dict(line)
        line["rate"] = _scale(line["rate"], rng.uniform(0.5, 2.0), rng.uniform(0.5, 1.5))
        lines.append(line)
    doc["costs"] = lines
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, help="number of members")
    p.add_argument("out", type=Path, help="folder to write (absent or empty)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    p.add_argument("--months", type=int, default=36, help="each member's horizon (default 36)")
    p.add_argument("--first", default="2027-01", help="earliest start month (default 2027-01)")
    p.add_argument(
        "--start-spread",
        type=int,
        default=12,
        help="members start within this many months of --first (default 12; 0: all at once)",
    )
    p.add_argument("--no-budget", action="store_true", help="leave the budget out")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("n must be at least 1")
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        p.error(f"{args.out} exists and is not an empty folder")
    rng = np.random.default_rng(args.seed)
    bases = [
        yaml.safe_load((ROOT / "data" / "scenarios" / f"{b}.yaml").read_text(encoding="utf-8"))
        for b in BASES
    ]
    folder = args.out / "members"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, args.n + 1):
        doc = member(bases[int(rng.integers(0, len(bases)))], i, rng, args)
        text = f"# Synthetic portfolio member {i} (scripts/make_synthetic_portfolio.py).\n"
        text += yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        (folder / f"member_{i:04d}.yaml").write_text(text, encoding="utf-8")
    portfolio: dict[str, Any] = {
        "name": f"synthetic-{args.n}",
        "description": f"{args.n} synthetic members (scripts/make_synthetic_portfolio.py, "
        f"seed {args.seed}).",
        "members": ["members/"],
        "shared": [
            "costs.llm_input_tokens.rate",
            "costs.*.escalation_per_year",
            "finance.discount_rate",
        ],
        "fiscal_year_start": 1,
    }
    if not args.no_budget:
        portfolio["budget"] = _budget(args.out / "members")
    (args.out / "portfolio.yaml").write_text(
        "# A synthetic portfolio (scripts/make_synthetic_portfolio.py).\n"
        + yaml.safe_dump(portfolio, sort_keys=False),
        encoding="utf-8",
    )
    print(f"wrote {args.out / 'portfolio.yaml'} and {args.n} members in {folder}")
    return 0


def _budget(folder: Path) -> dict[str, float]:
    """5% above the point cost of the first two full calendar years of the timeline."""
    import aiopex
    from aiopex.months import add, diff

    members = [aiopex.load_scenario(f) for f in sorted(folder.glob("*.yaml"))]
    first = min(s.start for s in members)
    totals: dict[int, float] = {}
    for s in members:
        cost = aiopex.run(s).drivers["cost"].to_numpy()
        for m, c in enumerate(cost):
            year = int(add(s.start, m)[:4])
            totals[year] = totals.get(year, 0.0) + float(c)
    y0 = int(first[:4]) + (diff(f"{first[:4]}-01", first) > 0)
    last = max(add(s.start, s.horizon - 1) for s in members)
    full = [y for y in (y0, y0 + 1) if f"{y}-12" <= last]
    return {str(y): int(round(totals[y] * 1.05, -3)) for y in full}


if __name__ == "__main__":
    sys.exit(main())
