"""Property tests (hypothesis, bounded examples): random valid scenarios against the slow
reference in ``reference.py``; every sampler's quantiles at 100,000 draws against its
distribution in scipy."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import aiopex
from aiopex.inputs.uncertain import Bounds, Range, sample, stream

try:
    from distributions import scipy_dist
except ModuleNotFoundError:  # pragma: no cover - tests/ imported as a package
    from tests.distributions import scipy_dist

try:
    from reference import reference_run
except ModuleNotFoundError:  # pragma: no cover - tests/ imported as a package
    from tests.reference import reference_run

try:
    from test_finance import _roots, _well_separated
except ModuleNotFoundError:  # pragma: no cover
    from tests.test_finance import _roots, _well_separated

RTOL = 1e-9

# -- random valid scenarios ------------------------------------------------------------------


def _num(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 6))


def _u(lo: float, hi: float) -> st.SearchStrategy:
    """A number or a range within [lo, hi] (every form; point values as SCENARIO.md says)."""

    def ranged(a: float, b: float, c: float, form: str) -> object:
        a, c, b = sorted((a, b, c))
        if form == "const":
            return c
        if form == "lohi":
            return {"low": a, "high": b}
        if form == "uniform":
            return {"low": a, "high": b, "dist": "uniform"}
        if form in ("pert", "triangular"):
            return {"low": a, "mode": c, "high": b, "dist": form}
        return {"mean": c, "sd": round((b - a) / 4, 6), "dist": "normal"}

    forms = st.sampled_from(["const", "const", "lohi", "uniform", "pert", "triangular", "normal"])
    return st.builds(ranged, _num(lo, hi), _num(lo, hi), _num(lo, hi), forms)


DRIVERS = [
    "fixed",
    "one_time",
    "per_request",
    "per_1k_input_tokens",
    "per_1k_output_tokens",
    "per_active_user",
    "per_new_user",
    "fte",
    "per_retrain",
    "capacity",
]


@st.composite
def cost_line(draw, i: int, H: int) -> dict:
    d = draw(st.sampled_from(DRIVERS))
    line = {
        "name": f"line_{i}",
        "category": draw(st.sampled_from(["compute", "monitoring", "support", "people", "data"])),
        "driver": d,
        "rate": draw(
            _u(0, 5000) if d in ("fixed", "one_time", "per_retrain", "capacity") else _u(0, 2)
        ),
    }
    if d == "fte":
        line["rate"] = draw(_u(50_000, 200_000))
        line["fte"] = draw(_u(0, 3))
    if d == "capacity":
        line["capacity_per_unit"] = draw(_u(500, 50_000).filter(_positive))
        line["min_units"] = draw(st.integers(0, 3))
    if d == "one_time":
        line["month"] = draw(st.integers(0, H - 1))
    if draw(st.booleans()):
        a = draw(st.integers(0, H - 1))
        line["from_month"], line["to_month"] = a, draw(st.integers(a, H + 3))
    if draw(st.booleans()):
        line["escalation_per_year"] = draw(_u(-0.5, 0.5))
    return line


def _positive(v) -> bool:
    if isinstance(v, dict):
        return (v.get("low", v.get("mean")) or 0) > 0
    return v > 0


@st.composite
def scenarios(draw) -> dict:
    H = draw(st.integers(1, 30))
    policy = draw(st.sampled_from(["none", "scheduled", "triggered"]))
    launch = draw(_num(0.6, 0.99))
    doc: dict = {
        "name": "prop",
        "start": f"20{draw(st.integers(25, 35))}-{draw(st.integers(1, 12)):02d}",
        "horizon_months": H,
        "usage": {
            "population": draw(_u(0, 5000)),
            "adoption": {
                "ceiling": draw(_u(0, 1)),
                "midpoint_months": draw(_u(0, 6)),
                "steepness": draw(_u(0.1, 3).filter(_positive)),
            },
            "items_per_user_month": draw(_u(0, 300)),
            "bypass_rate": draw(_u(0, 1)),
            "growth_per_year": draw(_u(-0.5, 1)),
            "tokens_per_item": {"input": draw(_u(0, 3000)), "output": draw(_u(0, 800))},
        },
        "quality": {
            "launch_accuracy": launch,
            "drift_per_month": draw(_u(0, 0.05)),
            "floor": draw(_num(0.3, 0.6)),
            "acceptable": draw(_num(0.5, 0.95)),
        },
        "retraining": {"policy": policy},
        "degradation": {"fallback": draw(st.sampled_from(["manual", "none"]))},
        "benefits": {
            "minutes_saved_per_item": draw(_u(0, 20)),
            "hourly_rate": draw(_u(0, 120)),
            "cost_per_error": draw(_u(0, 50)),
        },
        "finance": {"discount_rate": draw(_u(0, 0.3))},
        "costs": [draw(cost_line(i, H)) for i in range(draw(st.integers(0, 5)))],
    }
    if draw(st.booleans()):
        rollout, share = [], 0.0
        for month in sorted(draw(st.sets(st.integers(0, H + 2), min_size=1, max_size=3))):
            share = min(1.0, share + draw(_num(0.05, 0.7)))
            rollout.append({"month": month, "share": share})
        doc["usage"]["rollout"] = rollout
    if draw(st.booleans()):
        doc["usage"]["seasonality"] = [draw(_num(0.5, 1.5)) for _ in range(12)]
    if policy == "scheduled":
        doc["retraining"]["every_months"] = draw(st.integers(1, 8))
    if policy == "triggered":
        doc["retraining"]["trigger_below"] = draw(_num(0.5, 0.95))
    if draw(st.booleans()):
        doc["monitoring"] = {"detection_lag_months": draw(_u(0, 6))}
    return doc


def _close(a, e, what: str) -> None:
    if a is None or e is None:
        assert a is None and e is None, f"{what}: package {a!r}, reference {e!r}"
        return
    a, e = np.asarray(a, float), np.asarray(e, float)
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_random_scenarios_match_the_reference(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        res = aiopex.run(aiopex.load_scenario(path))
    ref = reference_run(doc)
    for name in (
        "active_users",
        "new_users",
        "requests",
        "accuracy",
        "retrain",
        "degraded",
        "silent",
        "detected",
        "benefit",
        "cost",
        "net",
    ):
        _close(res.drivers[name].to_numpy(), ref["series"][name], name)
    for name, amounts in ref["lines"].items():
        _close(np.asarray(res.line(name)), amounts, f"line:{name}")
    for name, want in ref["metrics"].items():
        got = res.metrics[name]
        if name == "cost_by_category":
            assert list(got) == list(want)
            for c in want:
                _close(got[c], want[c], f"cost_by_category.{c}")
        elif name == "irr_annual":
            roots = _roots(res.drivers["net"].tolist())
            if _well_separated(roots):
                _close(got, want, name)
        else:
            _close(got, want, name)


# -- every sampler against its distribution, 100,000 draws -----------------------------------

N = 100_000

SAMPLERS = [
    (Range(low=800, high=1500), None),
    (Range(low=-0.05, high=0.25), None),
    (Range(mean=3, sd=0.7, dist="normal"), None),
    (Range(low=0.6, mode=0.8, high=0.9, dist="pert"), None),
    (Range(low=2, mode=2, high=9, dist="pert"), None),
    (Range(low=1, mode=7, high=9, dist="triangular"), None),
    (Range(low=0.05, high=0.3, dist="uniform"), None),
    # an open bound: resampled, so the normal is truncated at -1
    (Range(mean=-0.7, sd=0.5, dist="normal"), Bounds(-1, lo_open=True)),
]


@pytest.mark.parametrize(("r", "bounds"), SAMPLERS, ids=lambda x: getattr(x, "describe", str)())
def test_sampler_quantiles_at_100k_draws(r, bounds):
    x = sample(r, N, stream(20260101, "test.sampler"), bounds)
    d = scipy_dist(r, bounds)
    # Kolmogorov-Smirnov distance below its 99.9% critical value for 100,000 draws
    assert stats.kstest(x, d.cdf).statistic < 1.95 / math.sqrt(N)
    q = np.array([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
    emp = np.quantile(x, q)
    # each empirical quantile's probability is within 4 standard errors of q
    np.testing.assert_array_less(np.abs(d.cdf(emp) - q), 4 * np.sqrt(q * (1 - q) / N))
