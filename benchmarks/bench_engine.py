"""Engine performance, as ratios against baselines run in the same process.

Prints JSON lines (:mod:`figure`: each ratio with its ``target`` and whether it is ``met``):

- ``run_vs_equal_work_kernel``: ``aiopex.run`` of a 36-month scenario (16 cost lines) at
  1,000 / 10,000 / 100,000 draws against :func:`equal_work_kernel`, plain numpy doing
  the same work (sampling, the model, NPV, IRR, payback, monthly and metric
  percentiles); the median ratio of interleaved pairs (targets 1.3 / 1.0 / 0.8).
- ``engine_mc_vs_flat_kernel``: Monte Carlo of 10,000 draws x 60 months, 16 cost lines,
  against a flat numpy kernel of the same arithmetic written inline here (target <= 2x).
- ``engine_mc_vs_pandas_loop``: against a per-draw pandas loop of the same model
  (timed on a subset of draws and scaled): the ratio engine / pandas, target <= 0.02
  (50x faster); ``speedup`` beside it.
- ``engine_mc_100k_peak_memory``: peak RSS of a 100,000-draw run in a fresh process
  (target <= 500 MB).

The command line's start-up is measured by ``bench_cli.py``. Other work may share the
machine: the ratios against the equal-work kernel are medians of paired, interleaved
runs, so load hits both sides alike. ``--only run`` runs that group only.

Run: ``python benchmarks/bench_engine.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from figure import emit, emit_value, paired

import aiopex
from aiopex.engine import _sampled_params, line_specs, monte_carlo

DRAWS, MONTHS = 10_000, 60

SCENARIO = """
name: bench
start: "2027-01"
horizon_months: 60
usage:
  population: {low: 800, high: 1500}
  rollout: [{month: 0, share: 0.1}, {month: 3, share: 0.5}, {month: 6, share: 1.0}]
  adoption: {ceiling: {low: 0.6, mode: 0.8, high: 0.9, dist: pert}, midpoint_months: {low: 2, high: 5}, steepness: 1.0}
  items_per_user_month: {low: 100, high: 200}
  bypass_rate: {low: 0.05, high: 0.3, dist: uniform}
  growth_per_year: {low: 0.0, high: 0.1, dist: uniform}
  seasonality: [1.1, 1.0, 1.0, 0.9, 1.0, 1.0, 0.8, 0.8, 1.0, 1.1, 1.1, 1.2]
  tokens_per_item: {input: {low: 900, high: 1500}, output: {low: 200, high: 300}}
quality: {launch_accuracy: {low: 0.86, high: 0.93}, drift_per_month: {low: 0.003, high: 0.015}, floor: 0.5, acceptable: 0.82}
retraining: {policy: triggered, trigger_below: 0.84}
degradation: {fallback: manual}
benefits: {minutes_saved_per_item: {low: 3, high: 8}, hourly_rate: 48, cost_per_error: {low: 5, high: 25}}
finance: {discount_rate: 0.1}
costs:
  - {name: llm_in, category: compute, driver: per_1k_input_tokens, rate: {low: 0.002, high: 0.004}, escalation_per_year: -0.2}
  - {name: llm_out, category: compute, driver: per_1k_output_tokens, rate: {low: 0.01, high: 0.02}, escalation_per_year: -0.2}
  - {name: gpu, category: compute, driver: capacity, rate: 2500, capacity_per_unit: {low: 40000, high: 60000}, min_units: 1}
  - {name: vector_db, category: compute, driver: fixed, rate: 800}
  - {name: per_req_storage, category: data, driver: per_request, rate: 0.0004}
  - {name: monitoring_tool, category: monitoring, driver: per_active_user, rate: 1.5}
  - {name: ml_engineer, category: monitoring, driver: fte, fte: {low: 0.5, high: 1.0}, rate: 160000}
  - {name: retrain_run, category: retraining, driver: per_retrain, rate: {low: 8000, high: 20000}}
  - {name: labeling, category: data, driver: per_retrain, rate: 6000}
  - {name: service_desk, category: support, driver: per_active_user, rate: 2.0}
  - {name: support_fte, category: support, driver: fte, fte: 1.5, rate: 90000}
  - {name: training, category: change_management, driver: per_new_user, rate: {low: 40, high: 90}}
  - {name: rollout_team, category: change_management, driver: fixed, rate: 15000, to_month: 8}
  - {name: launch_comms, category: change_management, driver: one_time, rate: 20000}
  - {name: licenses, category: licenses, driver: per_active_user, rate: 12, escalation_per_year: 0.05}
  - {name: audit, category: other, driver: fixed, rate: 1000, from_month: 12}
"""


def flat_kernel(p: dict[str, np.ndarray], H: int) -> dict[str, np.ndarray]:
    """The same model as the engine, written inline as one flat numpy pass."""
    m = np.arange(H)
    ceil_, mid, steep = (
        p["usage.adoption.ceiling"],
        p["usage.adoption.midpoint_months"],
        p["usage.adoption.steepness"],
    )
    pop = p["usage.population"]
    active = np.zeros((pop.shape[0], H))
    prev = 0.0
    for a, s in ((0, 0.1), (3, 0.5), (6, 1.0)):
        k = m - a
        active += pop * (s - prev) * np.where(k >= 0, ceil_ / (1 + np.exp(-steep * (k - mid))), 0)
        prev = s
    new = np.maximum(np.diff(active, axis=1, prepend=0.0), 0)
    seas = np.array([1.1, 1.0, 1.0, 0.9, 1.0, 1.0, 0.8, 0.8, 1.0, 1.1, 1.1, 1.2])[m % 12]
    items = (
        active
        * p["usage.items_per_user_month"]
        * (1 + p["usage.growth_per_year"]) ** (m / 12)
        * seas
    )
    req = items * (1 - p["usage.bypass_rate"])
    tin = req * p["usage.tokens_per_item.input"]
    tout = req * p["usage.tokens_per_item.output"]
    launch, drift = p["quality.launch_accuracy"][:, 0], p["quality.drift_per_month"][:, 0]
    D = pop.shape[0]
    retrain = np.zeros((D, H))
    age = np.zeros((D, H))
    prev_age = np.zeros(D)
    for t in range(1, H):
        cand = prev_age + 1
        fire = np.maximum(0.5, launch - drift * cand) < 0.84
        retrain[:, t] = fire
        prev_age = np.where(fire, 0, cand)
        age[:, t] = prev_age
    acc = np.maximum(0.5, launch[:, None] - drift[:, None] * age)
    deg = acc < 0.82
    ben = req * (
        acc * p["benefits.minutes_saved_per_item"] / 60 * p["benefits.hourly_rate"]
        - (1 - acc) * p["benefits.cost_per_error"]
    )
    ben = np.where(deg, 0, ben)
    esc = lambda e: (1 + e) ** (m / 12)  # noqa: E731
    c = lambda n: p[f"costs.{n}.rate"]  # noqa: E731
    cost = (
        tin / 1000 * c("llm_in") * esc(p["costs.llm_in.escalation_per_year"])
        + tout / 1000 * c("llm_out") * esc(p["costs.llm_out.escalation_per_year"])
        + np.maximum(1, np.ceil(req / p["costs.gpu.capacity_per_unit"])) * c("gpu")
        + c("vector_db")
        + req * c("per_req_storage")
        + active * c("monitoring_tool")
        + p["costs.ml_engineer.fte"] * c("ml_engineer") / 12
        + retrain * (c("retrain_run") + c("labeling"))
        + active * c("service_desk")
        + p["costs.support_fte.fte"] * c("support_fte") / 12
        + new * c("training")
        + c("rollout_team") * (m <= 8)
        + c("launch_comms") * (m == 0)
        + active * c("licenses") * esc(p["costs.licenses.escalation_per_year"])
        + c("audit") * (m >= 12)
    )
    net = ben - cost
    r = (1 + p["finance.discount_rate"]) ** (1 / 12) - 1
    npv = (net / (1 + r) ** (m + 1)).sum(axis=1)
    x = np.full(D, 0.01)
    for _ in range(30):  # Newton IRR, as the engine's first stage
        v = (1 / (1 + x))[:, None] ** m
        f = (net * v).sum(axis=1)
        df = (-(m * net) * v / (1 + x)[:, None]).sum(axis=1)
        x = x - f / df
    cum = np.cumsum(net, axis=1)
    tail = np.logical_and.accumulate((cum >= 0)[:, ::-1], axis=1)[:, ::-1]
    return {"cost": cost, "net": net, "npv": npv, "irr": x, "payback": H - tail.sum(axis=1)}


def pandas_loop(scenario: aiopex.Scenario, p: dict[str, np.ndarray], draws: int) -> None:
    """The same model draw by draw, month by month, with a pandas frame per draw."""
    import pandas as pd

    H = scenario.horizon
    lines = line_specs(scenario)
    seas = [1.1, 1.0, 1.0, 0.9, 1.0, 1.0, 0.8, 0.8, 1.0, 1.1, 1.1, 1.2]
    for d in range(draws):
        q = {k: float(v[d if v.shape[0] > 1 else 0, 0]) for k, v in p.items()}
        df = pd.DataFrame({"m": range(H)})
        act = []
        for m in range(H):
            tot, prev = 0.0, 0.0
            for a, s in ((0, 0.1), (3, 0.5), (6, 1.0)):
                k = m - a
                if k >= 0:
                    tot += (
                        q["usage.population"]
                        * (s - prev)
                        * q["usage.adoption.ceiling"]
                        / (
                            1
                            + np.exp(
                                -q["usage.adoption.steepness"]
                                * (k - q["usage.adoption.midpoint_months"])
                            )
                        )
                    )
                prev = s
            act.append(tot)
        df["active"] = act
        df["new"] = df["active"].diff().fillna(df["active"]).clip(lower=0)
        df["req"] = (
            df["active"]
            * q["usage.items_per_user_month"]
            * (1 + q["usage.growth_per_year"]) ** (df["m"] / 12)
            * df["m"].map(lambda m: seas[m % 12])
            * (1 - q["usage.bypass_rate"])
        )
        age, ages, rts = 0, [], []
        for m in range(H):
            rt = 0
            if m > 0:
                cand = age + 1
                rt = int(
                    max(0.5, q["quality.launch_accuracy"] - q["quality.drift_per_month"] * cand)
                    < 0.84
                )
                age = 0 if rt else cand
            ages.append(age)
            rts.append(rt)
        df["retrain"] = rts
        df["acc"] = (
            q["quality.launch_accuracy"] - q["quality.drift_per_month"] * pd.Series(ages)
        ).clip(lower=0.5)
        df["benefit"] = df["req"] * (
            df["acc"] * q["benefits.minutes_saved_per_item"] / 60 * q["benefits.hourly_rate"]
            - (1 - df["acc"]) * q["benefits.cost_per_error"]
        )
        df.loc[df["acc"] < 0.82, "benefit"] = 0.0
        df["cost"] = 0.0
        for ln in lines:
            k = f"costs.{ln.name}."
            qty = {
                "fixed": 1.0,
                "one_time": (df["m"] == (ln.month or 0)).astype(float),
                "per_request": df["req"],
                "per_1k_input_tokens": df["req"] * q["usage.tokens_per_item.input"] / 1000,
                "per_1k_output_tokens": df["req"] * q["usage.tokens_per_item.output"] / 1000,
                "per_active_user": df["active"],
                "per_new_user": df["new"],
                "fte": q.get(k + "fte", 0) / 12,
                "per_retrain": df["retrain"],
                "capacity": np.maximum(1, np.ceil(df["req"] / q.get(k + "capacity_per_unit", 1))),
            }[ln.driver]
            amt = qty * q[k + "rate"] * (1 + q[k + "escalation_per_year"]) ** (df["m"] / 12)
            df["cost"] += amt * df["m"].between(ln.from_month, ln.to_month)
        df["net"] = df["benefit"] - df["cost"]
        r = (1 + q["finance.discount_rate"]) ** (1 / 12) - 1
        (df["net"] / (1 + r) ** (df["m"] + 1)).sum()


def equal_work_kernel(s: aiopex.Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """What ``aiopex.run`` computes from a Monte Carlo run, as one plain numpy pass: the
    same sampling, the flat model (:func:`flat_kernel`: NPV, Newton IRR, payback), the
    monthly percentiles of cost and net, and the percentiles of every per-draw metric."""
    p = _sampled_params(s, draws, seed)
    k = flat_kernel(p, s.horizon)
    q = [5, 10, 25, 50, 75, 90, 95]
    out = {f"{n}_monthly": np.percentile(k[n], q, axis=0) for n in ("cost", "net")}
    per = np.stack([k["cost"].sum(axis=1), k["net"].sum(axis=1), k["npv"], k["irr"], k["payback"]])
    out["metrics"] = np.percentile(per, q, axis=1)
    return out


#: Targets of ``aiopex.run`` (36 months) against :func:`equal_work_kernel`, by draws.
RUN_TARGETS = {1_000: 1.3, 10_000: 1.0, 100_000: 0.8}


def bench_run_vs_kernel(path: Path) -> None:
    """``aiopex.run`` of the 36-month scenario against the equal-work kernel."""
    s = aiopex.load_scenario(path, {"horizon_months": 36})
    assert s.horizon == 36
    for draws, target in RUN_TARGETS.items():
        pairs = {1_000: 21, 10_000: 9, 100_000: 3}[draws]
        aiopex.run(s, draws=draws, seed=1)  # warm caches and imports
        equal_work_kernel(s, draws, 1)
        ratio, t_run, t_kernel = paired(
            lambda: aiopex.run(s, draws=draws, seed=1),  # noqa: B023
            lambda: equal_work_kernel(s, draws, 1),  # noqa: B023
            pairs,
        )
        emit("run_vs_equal_work_kernel", ratio, target, draws=draws,
             months=36, run_s=round(t_run, 4), kernel_s=round(t_kernel, 4), pairs=pairs)  # fmt: skip


def best_of(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["run"], help="run one group of figures only")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "bench.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    bench_run_vs_kernel(path)
    if args.only is not None:
        return
    s = aiopex.load_scenario(path)
    lines = line_specs(s)
    assert len(lines) >= 15 and s.horizon == MONTHS

    engine_t = best_of(lambda: monte_carlo(s, lines, DRAWS, 1))
    p = _sampled_params(s, DRAWS, 1)
    kernel_t = best_of(lambda: (_sampled_params(s, DRAWS, 1), flat_kernel(p, MONTHS)))
    emit("engine_mc_vs_flat_kernel", engine_t / kernel_t, 2.0, draws=DRAWS, months=MONTHS,
         lines=len(lines), engine_s=round(engine_t, 4), kernel_s=round(kernel_t, 4))  # fmt: skip

    sub = 100
    t = time.perf_counter()
    pandas_loop(s, p, sub)
    pandas_t = (time.perf_counter() - t) / sub * DRAWS
    emit("engine_mc_vs_pandas_loop", engine_t / pandas_t, 0.02, draws=DRAWS,
         pandas_s_scaled=round(pandas_t, 2), timed_draws=sub, engine_s=round(engine_t, 4),
         speedup=round(pandas_t / engine_t, 1))  # fmt: skip

    # VmHWM (peak resident set of this process image); ru_maxrss would carry the
    # parent's peak across fork + exec.
    hwm = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    code = (
        "import aiopex; from aiopex.engine import line_specs, monte_carlo;"
        f"s = aiopex.load_scenario({str(path)!r});"
        "monte_carlo(s, line_specs(s), 100_000, 1);" + hwm
    )
    base = subprocess.run(
        [sys.executable, "-c", "import aiopex;" + hwm], capture_output=True, text=True, check=True
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.strip()) / 1024
    emit_value("engine_mc_100k_peak_memory", peak_mb, "MB", 500, draws=100_000, months=MONTHS,
               rss_after_import_mb=round(int(base.stdout.strip()) / 1024, 1))  # fmt: skip


if __name__ == "__main__":
    main()
