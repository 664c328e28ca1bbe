"""Sensitivity (SCENARIO.md "Sensitivity"): quantiles of every range form, the tornado
against brute-force single runs, break-even values re-run at the returned value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import aiopex
import aiopex.analyses.sensitivity as sens
from aiopex.inputs.uncertain import Bounds, Range, quantile

try:
    from distributions import Z90, scipy_dist
except ModuleNotFoundError:  # pragma: no cover - tests/ imported as a package
    from tests.distributions import Z90, scipy_dist

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"


FORMS = [
    Range(low=800, high=1500),
    Range(low=-0.05, high=0.25),
    Range(mean=3, sd=0.7, dist="normal"),
    Range(low=0.6, mode=0.8, high=0.9, dist="pert"),
    Range(low=2, mode=2, high=9, dist="pert"),
    Range(low=1, mode=7, high=9, dist="triangular"),
    Range(low=1, mode=1.5, high=9, dist="triangular"),
    Range(low=0.05, high=0.3, dist="uniform"),
]


@pytest.mark.parametrize("r", FORMS, ids=lambda r: r.describe())
def test_quantiles_of_every_form_match_scipy(r):
    d = scipy_dist(r)
    for q in (0.01, 0.1, 0.5, 0.9, 0.99):
        assert quantile(r, q) == pytest.approx(float(d.ppf(q)), rel=1e-10, abs=1e-12), q


def test_p10_p90_use_scenario_md_constant():
    r = Range(low=-1, high=3)
    assert quantile(r, 0.1) == 1 - 1.2815515655446004 * 4 / (2 * Z90)
    assert quantile(r, 0.9) == 1 + 1.2815515655446004 * 4 / (2 * Z90)


def test_quantiles_are_clipped_to_the_valid_range():
    share = Bounds(0, 1)
    assert quantile(Range(mean=0.9, sd=0.2, dist="normal"), 0.9, share) == 1.0
    assert quantile(Range(mean=0.1, sd=0.2, dist="normal"), 0.1, share) == 0.0
    # an open bound: never the bound itself (the truncated distribution, as sampled)
    rate = Bounds(-1, lo_open=True)
    x = quantile(Range(mean=-0.8, sd=0.5, dist="normal"), 0.1, rate)
    assert x > -1
    d = stats.truncnorm((-1 + 0.8) / 0.5, np.inf, loc=-0.8, scale=0.5)
    assert x == pytest.approx(d.ppf(0.1), rel=1e-9)
    assert quantile(Range(mean=5, sd=1, dist="normal"), 0.9, rate) == pytest.approx(
        5 + 1.2815515655446004, rel=1e-15
    )


@pytest.fixture(scope="module")
def claims():
    s = aiopex.load_scenario(CLAIMS)
    return s, sens.tornado(s, "npv")


def test_tornado_swings_equal_brute_force_single_runs(claims):
    s, t = claims
    assert t["base"] == pytest.approx(aiopex.run(s).metrics["npv"], rel=1e-12)
    assert len(t["fields"]) == len(sens.fields_with_width(s)) > 10
    for f in t["fields"][:6] + t["fields"][-2:]:
        lo = aiopex.run(aiopex.load_scenario(CLAIMS, {f["field"]: f["low"]})).metrics["npv"]
        hi = aiopex.run(aiopex.load_scenario(CLAIMS, {f["field"]: f["high"]})).metrics["npv"]
        assert f["metric_at_low"] == pytest.approx(lo, rel=1e-9), f["field"]
        assert f["metric_at_high"] == pytest.approx(hi, rel=1e-9), f["field"]
        assert f["swing"] == pytest.approx(abs(hi - lo), rel=1e-9, abs=1e-6)


def test_tornado_is_sorted_largest_first_zero_swings_last(claims):
    s, t = claims
    swings = [f["swing"] for f in t["fields"]]
    assert swings == sorted(swings, reverse=True)
    cost = sens.tornado(s, "cost_total", break_even=False)
    names = [f["field"] for f in cost["fields"]]
    zero = [f["field"] for f in cost["fields"] if f["swing"] == 0]
    assert "benefits.minutes_saved_per_item" in zero  # moves no cost
    assert names[-len(zero) :] == zero
    assert "break_even" not in cost["fields"][0]


def test_tornado_is_one_vectorized_run(claims, monkeypatch):
    s, _ = claims
    calls = []
    real = sens.simulate

    def counting(scenario, lines, p, draws, *a, **k):
        calls.append(draws)
        return real(scenario, lines, p, draws, *a, **k)

    monkeypatch.setattr(sens, "simulate", counting)
    sens.tornado(s, "npv", break_even=False)
    n = len(sens.fields_with_width(s))
    assert calls == [2 * n + 1]


def test_break_even_values_zero_the_npv(claims):
    s, t = claims
    found = [f for f in t["fields"] if f.get("break_even") is not None]
    assert found, "claims_triage has a field that crosses NPV = 0 within P1..P99"
    base = abs(t["base"])
    for f in found:
        r = aiopex.run(aiopex.load_scenario(CLAIMS, {f["field"]: f["break_even"]}))
        assert abs(r.metrics["npv"]) < 1e-6 * base, f["field"]
        p1, p99 = (quantile(_value(s, f["field"]), q) for q in (0.01, 0.99))
        assert p1 <= f["break_even"] <= p99
    # no crossing: NPV keeps its sign at P1 and P99
    for f in t["fields"]:
        if f.get("break_even") is None:
            v = _value(s, f["field"])
            ends = [
                aiopex.run(aiopex.load_scenario(CLAIMS, {f["field"]: quantile(v, q)})).metrics[
                    "npv"
                ]
                for q in (0.01, 0.99)
            ]
            assert np.sign(ends[0]) == np.sign(ends[1]), f["field"]
            break


def _value(s, path):
    return next(v for p, v, _ in aiopex.engine.uncertain_fields(s.model) if p == path)


def test_cli_sensitivity_json_and_table(capsys):
    from aiopex.cli import main

    assert main(["sensitivity", str(CLAIMS), "--json", "--metric", "run_rate_monthly"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metric"] == "run_rate_monthly" and isinstance(out["base"], float)
    keys = {"field", "low", "high", "metric_at_low", "metric_at_high", "swing"}
    assert all(keys <= set(f) for f in out["fields"])
    assert main(["sensitivity", str(CLAIMS), "--set", "benefits.cost_per_error=5"]) == 0
    text = capsys.readouterr().out
    assert "benefits.minutes_saved_per_item" in text and "swing" in text
    # money-sized P10/P90 values in plain digits, never 2.072e+05
    assert "e+" not in text and "207,240" in text
    assert main(["sensitivity", str(CLAIMS), "--metric", "nope"]) == 2
    assert "unknown metric" in capsys.readouterr().err
