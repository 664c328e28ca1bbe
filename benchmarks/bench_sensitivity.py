"""Sensitivity performance, as a ratio against a baseline run in the same process.

Prints JSON lines:

- ``tornado_40_fields_vs_deterministic_run``: the tornado of a scenario with 40 uncertain
  fields (one vectorized engine run of 81 rows) against one deterministic
  ``aiopex.run`` of the same scenario (target <= 3x).
- ``break_even_40_fields_vs_deterministic_run``: the NPV break-even search over the same
  40 fields (a 17-step scan and 40 bisection steps, each one run for all fields), for
  information.

Times are CPU time of this process (``time.process_time``, all its threads), averaged
over repeated calls: on a machine shared with other jobs, wall-clock times of a few
milliseconds mostly measure the scheduler.

Run: ``python benchmarks/bench_sensitivity.py``.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
import time
from pathlib import Path

from bench_engine import SCENARIO  # benchmarks/ is on sys.path

import aiopex
from aiopex.analyses.sensitivity import break_even_values, fields_with_width, tornado


def cpu_time(fn, n: int = 50) -> float:
    """Mean CPU seconds of ``fn()`` over ``n`` calls, after one warm-up call."""
    fn()
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n


#: More ranges on top of bench_engine's scenario, to reach 40 uncertain fields.
EXTRA = {
    "usage.adoption.steepness": {"low": 0.7, "high": 1.4},
    "quality.launch_accuracy": {"low": 0.86, "high": 0.93},
    "benefits.hourly_rate": {"low": 40, "high": 60},
    "finance.discount_rate": {"low": 0.06, "high": 0.14, "dist": "uniform"},
    "costs.llm_in.escalation_per_year": {"low": -0.3, "high": -0.1, "dist": "uniform"},
    "costs.llm_out.escalation_per_year": {"low": -0.3, "high": -0.1, "dist": "uniform"},
    "costs.gpu.rate": {"low": 2000, "high": 3000},
    "costs.vector_db.rate": {"low": 600, "high": 1000},
    "costs.per_req_storage.rate": {"low": 0.0003, "high": 0.0006},
    "costs.monitoring_tool.rate": {"low": 1.0, "high": 2.0},
    "costs.ml_engineer.rate": {"low": 140000, "high": 180000},
    "costs.labeling.rate": {"low": 4000, "high": 8000},
    "costs.service_desk.rate": {"low": 1.5, "high": 2.5},
    "costs.support_fte.fte": {"low": 1.0, "high": 2.0},
    "costs.support_fte.rate": {"low": 80000, "high": 100000},
    "costs.rollout_team.rate": {"low": 12000, "high": 18000},
    "costs.launch_comms.rate": {"low": 15000, "high": 25000},
    "costs.licenses.rate": {"low": 10, "high": 14},
    "costs.licenses.escalation_per_year": {"low": 0.02, "high": 0.08, "dist": "uniform"},
    "costs.audit.rate": {"low": 800, "high": 1200},
    "monitoring.detection_lag_months": {"low": 0, "mode": 1, "high": 3, "dist": "triangular"},
    "costs.gpu.escalation_per_year": {"low": -0.1, "high": 0.05, "dist": "uniform"},
    "costs.training.escalation_per_year": {"low": 0.0, "high": 0.1, "dist": "uniform"},
}


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "bench_sensitivity.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    s = aiopex.load_scenario(path, EXTRA)
    n = len(fields_with_width(s))
    assert n == 40, n

    run_t = cpu_time(lambda: aiopex.run(s))
    tornado_t = cpu_time(lambda: tornado(s, "npv", break_even=False))
    print(
        json.dumps(
            {
                "bench": "tornado_40_fields_vs_deterministic_run",
                "fields": n,
                "months": s.horizon,
                "tornado_cpu_s": round(tornado_t, 5),
                "deterministic_run_cpu_s": round(run_t, 5),
                "ratio": round(tornado_t / run_t, 3),
                "target": "<= 3",
            }
        ),
        flush=True,
    )
    be_t = cpu_time(lambda: break_even_values(s), 3)
    print(
        json.dumps(
            {
                "bench": "break_even_40_fields_vs_deterministic_run",
                "fields": n,
                "break_even_cpu_s": round(be_t, 4),
                "ratio": round(be_t / run_t, 2),
                "target": "information",
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
