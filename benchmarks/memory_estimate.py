"""The measurements behind ``aiopex.inputs.run_request.estimate_bytes``.

For each case (a scenario, its months ``H`` and cost lines ``L``, draws, kept draws), runs
the forecast in a fresh process and prints one JSON line: the peak resident memory the run
added (the peak ``VmHWM``, reset just before the run, less ``VmRSS`` then; a warm-up run of
1,000 draws done first), the estimate, and their ratio. The estimate must stay above the measurement (ratio < 1) without
being far above it. Measured on 2026-12-08 (bytes per draw, as float64s): H 12 L 2: 122;
H 36 L 2: 198; H 12 L 10: 140; H 36 L 11: 241; all draws kept: H 36 L 11: 1,088, H 12 L 2:
183; fitted floats per draw = 84 + 2.8 H + 0.19 H L, and 2 H L + H per kept draw.

Run: ``python benchmarks/memory_estimate.py`` (a few minutes; up to 1 GB of memory).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = """name: small
start: "2027-01"
horizon_months: {H}
usage:
  population: 1000
  rollout: [{{month: 0, share: 1.0}}]
  adoption: {{ceiling: {{low: 0.6, high: 0.9}}, midpoint_months: 3}}
  items_per_user_month: 100
costs:
  - {{name: team, category: support, driver: fte, fte: 1.0, rate: 120000}}
"""
LINE = "  - {{name: api{i}, category: compute, driver: per_request, rate: {{low: 0.001, high: 0.003}}}}\n"
CHILD = textwrap.dedent(
    """
    import gc, json, sys
    from pathlib import Path
    import aiopex
    from aiopex.inputs.run_request import estimate_bytes

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

    s = aiopex.load_scenario(Path(sys.argv[1]))
    n, keep = int(sys.argv[2]), int(sys.argv[3])
    aiopex.run(s, draws=1000, seed=1)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:  # the peak starts again from here
        fh.write("5")
    before = status("VmRSS")
    aiopex.run(s, draws=n, seed=1, keep_draws=keep)
    used = status("VmHWM") - before
    est = estimate_bytes(n, s.horizon, len(s.model.costs), min(n, keep))
    print(json.dumps({"scenario": s.name, "months": s.horizon, "lines": len(s.model.costs),
                      "draws": n, "kept": min(n, keep), "used_mib": round(used / 2**20),
                      "estimate_mib": round(est / 2**20), "ratio": round(used / est, 2)}))
    """
)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        cases = []
        for H, L in ((12, 1), (36, 1), (12, 9)):
            f = Path(d) / f"small_{H}_{L}.yaml"
            f.write_text(SMALL.format(H=H) + "".join(LINE.format(i=i) for i in range(L)))
            cases.append((f, 300_000, 2000))
        claims = ROOT / "data" / "scenarios" / "claims_triage.yaml"
        cases += [(claims, 300_000, 2000), (claims, 100_000, 100_000)]
        cases.append((Path(d) / "small_12_1.yaml", 300_000, 300_000))
        for f, n, keep in cases:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(f), str(n), str(keep)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
