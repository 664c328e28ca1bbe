"""The package's vectorized engine against the slow reference in ``reference.py``.

lifelib's habit: a slow, one-month-at-a-time model lives beside the fast one, and
both must produce the same numbers. Every scenario in ``fixtures/parity/`` is run
by both; every monthly series, cost line, metric and pilot number is compared
with ``numpy.testing.assert_allclose(rtol=1e-9)`` (``None`` must equal ``None``).

The absolute tolerance is ``1e-9`` times the largest magnitude of the series
compared (at least 1): a value that should be exactly 0 but is the difference of
two large sums (a bridge step, a net that crosses zero) carries rounding of the
order of that magnitude times machine epsilon, not of its own.

Then the invariants of STYLE.md: lines sum to categories and categories to the
total; doubling one line's rate doubles only that line; ``draws=1`` is the
deterministic run; the same seed gives the same numbers; percentiles are ordered;
a zero-width range is its constant, also in a Monte Carlo run.

The package is imported inside the tests, so the reference's own tests (the
hand-computed case, the ``extends`` merge) run even while the package is incomplete.
"""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

try:
    from reference import CATEGORY_ORDER, load, point_value, reference_run
except ModuleNotFoundError:  # pragma: no cover - tests/ imported as a package
    from tests.reference import CATEGORY_ORDER, load, point_value, reference_run

HERE = Path(__file__).parent
PARITY_DIR = HERE / "fixtures" / "parity"
FIXTURES = sorted(PARITY_DIR.glob("*.yaml"))
RTOL = 1e-9

#: Monthly series the package exposes under these names (``age`` is reference-only).
PACKAGE_SERIES = (
    "active_users",
    "new_users",
    "items",
    "requests",
    "input_tokens",
    "output_tokens",
    "accuracy",
    "retrain",
    "degraded",
    "silent",
    "detected",
    "benefit",
    "cost",
    "net",
    "cumulative_net",
)
METRIC_NAMES = (
    "cost_total",
    "cost_by_category",
    "benefit_total",
    "net_total",
    "npv",
    "irr_annual",
    "mirr_annual",
    "payback_month",
    "roi",
    "run_rate_monthly",
    "requests_total",
    "cost_per_request",
    "retrains",
    "degraded_months",
    "silent_months",
    "silent_error_cost",
    "error_cost_total",
    "errors_caught",
    "errors_escaped",
)
PILOT_NAMES = (
    "pilot_reported_monthly",
    "pilot_absorbed_monthly",
    "pilot_true_monthly",
    "absorbed_share",
    "naive_production_monthly",
    "production_monthly",
    "hidden_cost_multiple",
    "unbudgeted_absorbed_monthly",
)
STATS = ("mean", "p5", "p10", "p50", "p90", "p95")


# --------------------------------------------------------------------------- #
# helpers                                                                       #
# --------------------------------------------------------------------------- #


def _fixture_id(path: Path) -> str:
    return path.stem


@functools.cache
def _reference(path: str) -> dict[str, Any]:
    return reference_run(path)


@functools.cache
def _package(path: str, draws: int | None = None, seed: int | None = None):
    import aiopex

    scenario = aiopex.load_scenario(path)
    if draws is None:
        return aiopex.run(scenario)
    return aiopex.run(scenario, draws=draws, seed=seed)


def _check(actual: Any, expected: Any, what: str, problems: list[str]) -> None:
    """Compare numbers or arrays (``None`` must equal ``None``); record a mismatch."""
    if actual is None or expected is None:
        if not (actual is None and expected is None):
            problems.append(f"{what}: package {actual!r}, reference {expected!r}")
        return
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        problems.append(f"{what}: shape {a.shape} (package) vs {e.shape} (reference)")
        return
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
    try:
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=RTOL * scale, err_msg=what)
    except AssertionError:
        if a.ndim:
            bad = np.flatnonzero(~np.isclose(a, e, rtol=RTOL, atol=RTOL * scale))
            shown = ", ".join(f"m={i}: {float(a[i])!r} vs {float(e[i])!r}" for i in bad[:6])
            problems.append(f"{what}: {len(bad)} months differ (package vs reference): {shown}")
        else:
            problems.append(f"{what}: package {float(a)!r}, reference {float(e)!r}")


def _fail_if(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _walk_stats(unc: dict[str, Any]):
    """Yield ``(name, stats)`` for every ``{mean, p5, ...}`` block of ``Result.uncertainty``."""
    for metric, block in unc.items():
        if metric in ("prob_npv_negative", "monthly") or not isinstance(block, dict):
            continue
        if "p50" in block:
            yield metric, block
        else:  # cost_by_category, nested by category
            for sub, stats in block.items():
                if isinstance(stats, dict) and "p50" in stats:
                    yield f"{metric}.{sub}", stats


def _is_number(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


# --------------------------------------------------------------------------- #
# The reference on its own                                                      #
# --------------------------------------------------------------------------- #


def test_reference_hand_computed():
    """A three-month scenario worked out by hand; the reference must reproduce it."""
    doc = {
        "name": "hand",
        "start": "2024-11",  # m = 0, 1, 2 are Nov, Dec, Jan
        "horizon_months": 3,
        "usage": {
            "population": 100,  # no rollout: everyone has access at month 0
            # adopt(k) = 0.5 / (1 + exp(-ln3 * k)) = 0.5/2, 0.5/(4/3), 0.5/(10/9)
            #          = 0.25, 0.375, 0.45
            "adoption": {"ceiling": 0.5, "midpoint_months": 0, "steepness": math.log(3)},
            "items_per_user_month": 10,
            "bypass_rate": 0.2,
            "seasonality": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2],  # December doubles
            "tokens_per_item": {"input": 1000, "output": 100},
        },
        "quality": {
            "pilot_accuracy": 0.95,
            "launch_accuracy": 0.9,
            "drift_per_month": 0.05,
            "floor": 0.5,
            "acceptable": 0.86,
        },
        "retraining": {"policy": "scheduled", "every_months": 2},
        "degradation": {"fallback": "manual"},
        "benefits": {"minutes_saved_per_item": 6, "hourly_rate": 60, "cost_per_error": 10},
        "finance": {"discount_rate": 0.10},
        "costs": [
            {
                "name": "api_in",
                "category": "compute",
                "driver": "per_1k_input_tokens",
                "rate": 0.01,
            },
            # (1 + 4095)^(m/12) = 2^m: the price doubles every month
            {
                "name": "api_out",
                "category": "compute",
                "driver": "per_1k_output_tokens",
                "rate": 0.1,
                "escalation_per_year": 4095,
            },
            {"name": "calls", "category": "compute", "driver": "per_request", "rate": 0.5},
            {
                "name": "host",
                "category": "compute",
                "driver": "capacity",
                "rate": 100,
                "capacity_per_unit": 250,
            },
            # (1 + 2^-12 - 1)^(m/12) = 2^-m: the price halves every month
            {
                "name": "seats",
                "category": "licenses",
                "driver": "per_active_user",
                "rate": 4,
                "escalation_per_year": 2.0**-12 - 1,
            },
            {
                "name": "onboarding",
                "category": "change_management",
                "driver": "per_new_user",
                "rate": 2,
            },
            {
                "name": "ops",
                "category": "people",
                "driver": "fte",
                "rate": 120000,
                "fte": 0.5,
                "to_month": 1,
            },
            {"name": "retrain", "category": "retraining", "driver": "per_retrain", "rate": 500},
            {"name": "setup", "category": "other", "driver": "one_time", "rate": 700, "month": 1},
            {
                "name": "dashboards",
                "category": "monitoring",
                "driver": "fixed",
                "rate": 250,
                "from_month": 1,
            },
        ],
        "pilot": {
            "months": 2,
            "users": 5,
            "requests_per_month": 400,
            "paid": [
                {"name": "api", "category": "compute", "amount_per_month": 40},
                {"name": "labels", "category": "data", "amount_per_month": 20},
            ],
            "absorbed": [
                {"name": "credits", "category": "compute", "amount_per_month": 100},
                {
                    "name": "review",
                    "category": "monitoring",
                    "hours_per_month": 10,
                    "hourly_rate": 30,
                },
            ],
        },
    }
    out = reference_run(doc)
    s, lines, mt, pilot = out["series"], out["lines"], out["metrics"], out["pilot"]

    def close(actual, expected):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-9)

    assert out["months"] == ["2024-11", "2024-12", "2025-01"]
    close(s["active_users"], [25, 37.5, 45])  # 100 * adopt(m)
    close(s["new_users"], [25, 12.5, 7.5])  # increases of active users
    close(s["items"], [250, 750, 450])  # active * 10 * season (Dec = 2)
    close(s["requests"], [200, 600, 360])  # items * (1 - 0.2)
    close(s["input_tokens"], [200_000, 600_000, 360_000])
    close(s["output_tokens"], [20_000, 60_000, 36_000])
    # scheduled every 2: retrain at m = 2; age 0, 1, 0
    assert s["retrain"] == [0, 0, 1] and s["age"] == [0, 1, 0]
    close(s["accuracy"], [0.9, 0.85, 0.9])  # 0.9 - 0.05 * age
    assert s["degraded"] == [0, 1, 0]  # 0.85 < 0.86
    # per request: 0.9 * 6/60 * 60 - 0.1 * 10 = 4.4; m = 1 degraded + manual: 0
    close(s["benefit"], [880, 0, 1584])

    close(lines["api_in"], [2, 6, 3.6])  # input tokens / 1000 * 0.01
    close(lines["api_out"], [2, 12, 14.4])  # 2, 6, 3.6 times 2^m
    close(lines["calls"], [100, 300, 180])  # requests * 0.5
    close(lines["host"], [100, 300, 200])  # ceil(0.8, 2.4, 1.44) = 1, 3, 2 units * 100
    close(lines["seats"], [100, 75, 45])  # 100, 150, 180 times 2^-m
    close(lines["onboarding"], [50, 25, 15])  # new users * 2
    close(lines["ops"], [5000, 5000, 0])  # 0.5 * 120000 / 12, to_month 1
    close(lines["retrain"], [0, 0, 500])
    close(lines["setup"], [0, 700, 0])
    close(lines["dashboards"], [0, 250, 250])  # from_month 1
    # cost: 5354 = 2+2+100+100+100+50+5000; 6668 = 6+12+300+300+75+25+5000+700+250;
    # 1208 = 3.6+14.4+180+200+45+15+500+250
    close(s["cost"], [5354, 6668, 1208])
    close(s["net"], [-4474, -6668, 376])
    close(s["cumulative_net"], [-4474, -11142, -10766])

    close(mt["cost_total"], 13230)
    assert list(mt["cost_by_category"]) == [
        "compute",
        "monitoring",
        "retraining",
        "change_management",
        "people",
        "licenses",
        "other",
    ]
    close(
        [mt["cost_by_category"][c] for c in mt["cost_by_category"]],
        # compute 204 + 618 + 398; monitoring 2 * 250; retraining 500; onboarding 90;
        # people 10000; seats 100 + 75 + 45; other 700
        [1220, 500, 500, 90, 10000, 220, 700],
    )
    close(mt["benefit_total"], 2464)
    close(mt["net_total"], -10766)
    # r = 1.1^(1/12) - 1 = 0.0079741404289038;
    # NPV = -4474/(1+r) - 6668/(1+r)^2 + 376/(1+r)^3 = -10634.37466062427
    close(mt["npv"], -10634.37466062427)
    # IRR: -4474 - 6668 x + 376 x^2 = 0 with x = 1/(1+irr):
    # x = (6668 + sqrt(6668^2 + 4*376*4474)) / (2*376) = 18.381378979027076,
    # irr = 1/x - 1 = -0.9455971175426507, annual (1 + irr)^12 - 1 = -0.9999999999999993
    close(mt["irr_annual"], (1 / 18.381378979027076) ** 12 - 1)
    assert mt["payback_month"] is None  # the cumulative net ends at -10766
    close(mt["roi"], -10766 / 13230)
    close(mt["run_rate_monthly"], 4410)  # H = 3 < 12: mean of all three months
    close(mt["requests_total"], 1160)
    close(mt["cost_per_request"], 13230 / 1160)
    assert mt["retrains"] == 1 and mt["degraded_months"] == 1

    close(pilot["pilot_reported_monthly"], 60)  # 40 + 20
    close(pilot["pilot_absorbed_monthly"], 400)  # 100 + 10 h * 30
    close(pilot["pilot_true_monthly"], 460)
    close(pilot["absorbed_share"], 400 / 460)
    # prod_requests = (200 + 600 + 360) / 3 = 386.67; naive = 60 / 400 * 386.67 = 58
    close(pilot["naive_production_monthly"], 58)
    close(pilot["production_monthly"], 4410)
    close(pilot["hidden_cost_multiple"], 4410 / 58)
    bridge = {b["category"]: b for b in pilot["bridge"]}
    assert list(bridge) == [
        "compute",
        "monitoring",
        "retraining",
        "change_management",
        "data",
        "people",
        "licenses",
        "other",
    ]
    close(bridge["compute"]["naive"], 40 / 400 * 1160 / 3)  # 38.67
    close(bridge["compute"]["production"], 1220 / 3)
    close(bridge["compute"]["step"], 1220 / 3 - 40 / 400 * 1160 / 3)  # 368
    close(bridge["data"]["step"], -20 / 400 * 1160 / 3)  # paid in the pilot, no cost line
    close(bridge["monitoring"]["naive"], 0)  # absorbed items are not in the naive estimate
    close(bridge["people"]["step"], 10000 / 3)
    close(sum(b["step"] for b in pilot["bridge"]), 4410 - 58)  # the bridge adds up


def test_reference_defaults_and_payback_definition():
    """Absent sections take the documented defaults; payback needs every later month >= 0."""
    doc = {
        "start": "2025-01",
        "usage": {
            "population": 10,
            "adoption": {"ceiling": 1, "midpoint_months": -1, "steepness": 50},  # adopt = 1
            "items_per_user_month": 1,
        },
        "costs": [{"name": "x", "category": "other", "driver": "fixed", "rate": 1}],
    }
    out = reference_run(doc)
    assert len(out["series"]["cost"]) == 36  # horizon_months default
    assert set(out["series"]["accuracy"]) == {1.0}  # no quality: accuracy 1
    assert out["metrics"]["degraded_months"] == 0 and out["metrics"]["retrains"] == 0
    assert out["metrics"]["benefit_total"] == 0  # no benefits
    assert out["metrics"]["payback_month"] is None and out["metrics"]["irr_annual"] is None
    assert out["pilot"] is None
    # discount 0.10: NPV of -1 a month for 36 months
    r = 1.1 ** (1 / 12) - 1
    np.testing.assert_allclose(
        out["metrics"]["npv"], -sum(1 / (1 + r) ** (m + 1) for m in range(36)), rtol=1e-12
    )

    # positive, negative again, then positive: payback is the second crossing
    doc = copy.deepcopy(doc)
    doc["horizon_months"] = 4
    doc["benefits"] = {"minutes_saved_per_item": 60, "hourly_rate": 1, "cost_per_error": 0}
    doc["costs"] = [
        {"name": "x", "category": "other", "driver": "one_time", "rate": 25, "month": 1}
    ]
    out = reference_run(doc)  # benefit 10 a month; net 10, -15, 10, 10; cumulative 10, -5, 5, 15
    np.testing.assert_allclose(out["series"]["cumulative_net"], [10, -5, 5, 15], atol=1e-9)
    assert out["metrics"]["payback_month"] == 2


def test_reference_point_values():
    """SCENARIO.md's point-value table."""
    assert point_value(0.004) == 0.004
    assert point_value({"low": 2, "high": 8}) == 4.0  # lognormal: sqrt(16)
    assert point_value({"low": -1, "high": 3}) == 1.0  # normal: (a+b)/2
    assert point_value({"low": 0, "high": 3}) == 1.5  # a = 0 is not > 0: normal
    assert point_value({"low": 1, "mode": 2, "high": 9, "dist": "pert"}) == 2.0
    assert point_value({"low": 1, "mode": 7, "high": 9, "dist": "triangular"}) == 7.0
    assert point_value({"low": 1, "high": 9, "dist": "uniform"}) == 5.0
    assert point_value({"mean": 3, "sd": 1, "dist": "normal"}) == 3.0
    assert point_value({"low": 2, "high": 8, "point": 7}) == 7.0


def test_reference_extends_chain():
    """The reference's own extends merge: lists replace, costs merge by name, remove drops."""
    doc = load(PARITY_DIR / "chain_child.yaml")
    assert "extends" not in doc
    assert doc["name"] == "chain_child" and doc["horizon_months"] == 15
    names = [c["name"] for c in doc["costs"]]
    assert names == ["llm_in", "llm_out", "analyst", "retrain", "dashboards", "rollout_training"]
    llm_out = doc["costs"][1]
    assert llm_out == {
        "name": "llm_out",
        "category": "compute",
        "driver": "per_1k_output_tokens",
        "rate": 0.009,
    }
    assert len(doc["usage"]["rollout"]) == 3  # replaced, not appended
    assert doc["usage"]["seasonality"][6] == 0.6
    assert doc["usage"]["items_per_user_month"] == 40  # inherited from chain_base
    assert doc["quality"]["drift_per_month"] == 0.013  # from chain_mid
    assert doc["quality"]["launch_accuracy"] == 0.89  # from chain_base
    assert doc["retraining"] == {"policy": "triggered", "every_months": 6, "trigger_below": 0.835}


def test_enough_fixtures():
    assert len(FIXTURES) >= 6


# --------------------------------------------------------------------------- #
# Parity: the package against the reference                                     #
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_resolved_scenario_is_the_same_model(path):
    """The package's resolved scenario (extends, defaults) models what the file means."""
    res = _package(str(path))
    resolved = copy.deepcopy(res.scenario.resolved)
    resolved.pop("extends", None)
    mine, theirs = _reference(str(path)), reference_run(resolved)
    problems: list[str] = []
    for name in PACKAGE_SERIES:
        _check(theirs["series"][name], mine["series"][name], f"resolved series {name}", problems)
    for name in METRIC_NAMES:
        if name != "cost_by_category":
            _check(theirs["metrics"][name], mine["metrics"][name], f"resolved {name}", problems)
    if list(theirs["lines"]) != list(mine["lines"]):
        problems.append(f"resolved cost lines {list(theirs['lines'])} != {list(mine['lines'])}")
    _fail_if(problems)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_months_parity(path):
    assert _package(str(path)).months == _reference(str(path))["months"]


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_series_parity(path):
    res, ref = _package(str(path)), _reference(str(path))
    problems: list[str] = []
    for name in PACKAGE_SERIES:
        if name not in res.drivers.columns:
            problems.append(f"series {name}: missing from the package's Result.drivers")
            continue
        _check(res.drivers[name].to_numpy(), ref["series"][name], f"series {name}", problems)
    _fail_if(problems)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_cost_line_parity(path):
    res, ref = _package(str(path)), _reference(str(path))
    problems: list[str] = []
    got = list(dict.fromkeys(res.lines["line"]))
    if got != list(ref["lines"]):
        problems.append(f"cost lines: package {got}, reference {list(ref['lines'])}")
    for name, amounts in ref["lines"].items():
        if name in got:
            _check(res.line(name), amounts, f"line {name}", problems)
    _fail_if(problems)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_metric_parity(path):
    res, ref = _package(str(path)), _reference(str(path))
    problems: list[str] = []
    for name in METRIC_NAMES:
        if name not in res.metrics:
            problems.append(f"metric {name}: missing from the package")
            continue
        if name == "cost_by_category":
            got, want = res.metrics[name], ref["metrics"][name]
            if set(got) != set(want):
                problems.append(f"cost_by_category keys: package {sorted(got)}, ref {list(want)}")
            for c in want:
                if c in got:
                    _check(got[c], want[c], f"cost_by_category.{c}", problems)
            continue
        _check(res.metrics[name], ref["metrics"][name], f"metric {name}", problems)
    if isinstance(ref["metrics"]["payback_month"], int) and not isinstance(
        res.metrics.get("payback_month"), int | np.integer
    ):
        problems.append(f"payback_month: not an integer: {res.metrics.get('payback_month')!r}")
    _fail_if(problems)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_pilot_parity(path):
    res, ref = _package(str(path)), _reference(str(path))
    if ref["pilot"] is None:
        assert res.pilot is None
        return
    assert res.pilot is not None, "the scenario has a pilot; Result.pilot is None"
    problems: list[str] = []
    for name in PILOT_NAMES:
        if name not in res.pilot:
            problems.append(f"pilot {name}: missing from the package")
            continue
        _check(res.pilot[name], ref["pilot"][name], f"pilot {name}", problems)
    got = [b["category"] for b in res.pilot.get("bridge", [])]
    want = [b["category"] for b in ref["pilot"]["bridge"]]
    if got != want:
        problems.append(f"bridge categories: package {got}, reference {want}")
    else:
        for g, w in zip(res.pilot["bridge"], ref["pilot"]["bridge"], strict=True):
            for key in ("naive", "production", "step"):
                _check(g[key], w[key], f"bridge {w['category']}.{key}", problems)
    got_u = res.pilot.get("unbudgeted_absorbed")
    want_u = ref["pilot"]["unbudgeted_absorbed"]
    if [(u["name"], u["category"], u["paid_by"]) for u in got_u or []] != [
        (u["name"], u["category"], u["paid_by"]) for u in want_u
    ]:
        problems.append(f"unbudgeted_absorbed: package {got_u}, reference {want_u}")
    else:
        for g, w in zip(got_u, want_u, strict=True):
            _check(
                g["amount_per_month"], w["amount_per_month"], f"unbudgeted {w['name']}", problems
            )
    _fail_if(problems)


# --------------------------------------------------------------------------- #
# Invariants                                                                    #
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_lines_sum_to_categories_and_categories_to_total(path):
    res = _package(str(path))
    cats = {ln.category for ln in res.line_specs}
    by_cat = res.metrics["cost_by_category"]
    total = 0.0
    for c in CATEGORY_ORDER:
        if c not in cats:
            continue
        lines = [res.line(ln.name) for ln in res.line_specs if ln.category == c]
        np.testing.assert_allclose(by_cat[c], float(np.sum(lines)), rtol=RTOL, atol=1e-6)
        total += by_cat[c]
    np.testing.assert_allclose(res.metrics["cost_total"], total, rtol=RTOL)
    month_sum = np.sum([res.line(ln.name) for ln in res.line_specs], axis=0)
    cost = res.drivers["cost"].to_numpy()
    np.testing.assert_allclose(cost, month_sum, rtol=RTOL, atol=1e-6)
    np.testing.assert_allclose(cost.sum(), res.metrics["cost_total"], rtol=RTOL)
    for c in res.categories.columns:
        np.testing.assert_allclose(res.categories[c].sum(), by_cat[c], rtol=RTOL)


def _line_cases() -> list:
    cases = []
    for path in FIXTURES:
        for line in load(path).get("costs") or []:
            cases.append(
                pytest.param(
                    path, line["name"], point_value(line["rate"]), id=f"{path.stem}-{line['name']}"
                )
            )
    return cases


@pytest.mark.parametrize(("path", "line", "rate"), _line_cases())
def test_doubling_a_line_rate_doubles_only_that_line(path, line, rate):
    import aiopex

    base = _package(str(path))
    doubled = aiopex.run(aiopex.load_scenario(path, overrides={f"costs.{line}.rate": 2 * rate}))
    np.testing.assert_allclose(doubled.line(line), 2 * base.line(line), rtol=RTOL, atol=1e-9)
    for ln in base.line_specs:
        if ln.name != line:
            np.testing.assert_array_equal(
                doubled.line(ln.name), base.line(ln.name), err_msg=ln.name
            )
    for name in ("active_users", "requests", "accuracy", "retrain", "degraded", "benefit"):
        np.testing.assert_array_equal(doubled.drivers[name], base.drivers[name], err_msg=name)
    np.testing.assert_allclose(
        doubled.drivers["cost"], base.drivers["cost"] + base.line(line), rtol=RTOL
    )


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_one_draw_is_the_deterministic_run(path):
    import aiopex

    s = aiopex.load_scenario(path)
    one, default = aiopex.run(s, draws=1), aiopex.run(s)
    np.testing.assert_equal(one.metrics, default.metrics)
    np.testing.assert_equal(one.pilot, default.pilot)
    pd.testing.assert_frame_equal(one.drivers, default.drivers)
    pd.testing.assert_frame_equal(one.lines, default.lines)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_same_seed_same_numbers(path):
    import aiopex

    s = aiopex.load_scenario(path)
    a, b = aiopex.run(s, draws=200, seed=20240607), aiopex.run(s, draws=200, seed=20240607)
    assert a.uncertainty is not None
    pd.testing.assert_frame_equal(a.uncertainty, b.uncertainty)
    assert a.probabilities == b.probabilities
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    np.testing.assert_equal(a.metrics, b.metrics)


def test_another_seed_other_numbers():
    import aiopex

    s = aiopex.load_scenario(PARITY_DIR / "all_drivers.yaml")
    a, b = aiopex.run(s, draws=200, seed=1), aiopex.run(s, draws=200, seed=2)
    assert a.uncertainty.loc["npv", "p50"] != b.uncertainty.loc["npv", "p50"]
    # the deterministic metrics do not depend on the seed
    np.testing.assert_equal(a.metrics, b.metrics)


@pytest.mark.parametrize("path", FIXTURES, ids=_fixture_id)
def test_percentiles_are_ordered(path):
    res = _package(str(path), 500, 11)
    unc = res.uncertainty_json()
    assert unc is not None
    assert 0.0 <= unc["prob_npv_negative"] <= 1.0
    assert 0.0 <= unc["prob_no_payback"] <= 1.0
    names = {n for n, _ in _walk_stats(unc)}
    for metric in ("cost_total", "benefit_total", "npv", "run_rate_monthly"):
        assert metric in names, f"uncertainty has no {metric}"
    for name, st in _walk_stats(unc):
        values = [st.get(k) for k in ("p5", "p10", "p50", "p90", "p95")]
        if not all(_is_number(v) for v in values):
            continue
        assert values == sorted(values), f"{name}: percentiles out of order {values}"
    for series in ("cost", "net"):
        block = res.monthly_json()[series]
        p = [np.asarray(block[k]) for k in ("p5", "p10", "p50", "p90", "p95") if k in block]
        for lo, hi in zip(p, p[1:], strict=False):
            assert np.all(lo <= hi), f"monthly {series}: percentiles out of order"


# --------------------------------------------------------------------------- #
# A zero-width range is its constant                                            #
# --------------------------------------------------------------------------- #

#: A constant scenario; every (u) field listed in UNCERTAIN_FIELDS is replaced by a
#: zero-width range of each form in turn.
CONSTANT_SCENARIO: dict[str, Any] = {
    "name": "degenerate",
    "start": "2025-03",
    "horizon_months": 18,
    "usage": {
        "population": 900,
        "rollout": [{"month": 0, "share": 0.3}, {"month": 3, "share": 1.0}],
        "adoption": {"ceiling": 0.7, "midpoint_months": 2, "steepness": 1.1},
        "items_per_user_month": 120,
        "bypass_rate": 0.12,
        "growth_per_year": 0.08,
        "tokens_per_item": {"input": 1100, "output": 260},
    },
    "quality": {
        "pilot_accuracy": 0.95,
        "launch_accuracy": 0.9,
        "drift_per_month": 0.012,
        "floor": 0.6,
        "acceptable": 0.845,
    },
    "retraining": {"policy": "scheduled", "every_months": 6},
    "degradation": {"fallback": "manual"},
    "benefits": {"minutes_saved_per_item": 5, "hourly_rate": 50, "cost_per_error": 14},
    "finance": {"discount_rate": 0.09},
    "costs": [
        {
            "name": "llm",
            "category": "compute",
            "driver": "per_1k_input_tokens",
            "rate": 0.003,
            "escalation_per_year": -0.15,
        },
        {
            "name": "gpu",
            "category": "compute",
            "driver": "capacity",
            "rate": 1500,
            "capacity_per_unit": 23000,
        },
        {"name": "eng", "category": "people", "driver": "fte", "rate": 140000, "fte": 0.7},
        {"name": "build", "category": "other", "driver": "one_time", "rate": 40000},
        {"name": "retrain", "category": "retraining", "driver": "per_retrain", "rate": 5000},
    ],
}

UNCERTAIN_FIELDS: tuple[tuple, ...] = (
    ("usage", "population"),
    ("usage", "adoption", "ceiling"),
    ("usage", "adoption", "midpoint_months"),
    ("usage", "adoption", "steepness"),
    ("usage", "items_per_user_month"),
    ("usage", "bypass_rate"),
    ("usage", "growth_per_year"),
    ("usage", "tokens_per_item", "input"),
    ("usage", "tokens_per_item", "output"),
    ("quality", "launch_accuracy"),
    ("quality", "drift_per_month"),
    ("benefits", "minutes_saved_per_item"),
    ("benefits", "hourly_rate"),
    ("benefits", "cost_per_error"),
    ("finance", "discount_rate"),
    ("costs", 0, "rate"),
    ("costs", 0, "escalation_per_year"),
    ("costs", 1, "capacity_per_unit"),
    ("costs", 2, "fte"),
    ("costs", 2, "rate"),
    ("costs", 3, "rate"),
)

DEGENERATE_FORMS = {
    "low_high": lambda v: {"low": v, "high": v},  # lognormal when v > 0, normal when v <= 0
    "uniform": lambda v: {"low": v, "high": v, "dist": "uniform"},
    "pert": lambda v: {"low": v, "mode": v, "high": v, "dist": "pert"},
    "triangular": lambda v: {"low": v, "mode": v, "high": v, "dist": "triangular"},
    "normal": lambda v: {"mean": v, "sd": 0, "dist": "normal"},
}


def _degenerate(form: str) -> dict:
    doc = copy.deepcopy(CONSTANT_SCENARIO)
    for path in UNCERTAIN_FIELDS:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = DEGENERATE_FORMS[form](node[path[-1]])
    doc["name"] = f"degenerate_{form}"
    return doc


def _write(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / f"{doc['name']}.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


@pytest.mark.parametrize("form", list(DEGENERATE_FORMS))
def test_zero_width_range_is_the_constant(tmp_path, form):
    import aiopex

    const = aiopex.run(aiopex.load_scenario(_write(tmp_path, CONSTANT_SCENARIO)))
    path = _write(tmp_path, _degenerate(form))
    det = aiopex.run(aiopex.load_scenario(path))
    problems: list[str] = []
    for name in METRIC_NAMES:
        if name == "cost_by_category":
            for c, v in const.metrics[name].items():
                _check(det.metrics[name].get(c), v, f"{name}.{c}", problems)
        else:
            _check(det.metrics[name], const.metrics[name], name, problems)
    for k in PACKAGE_SERIES:
        _check(det.drivers[k].to_numpy(), const.drivers[k].to_numpy(), f"series {k}", problems)
    # the constant scenario agrees with the reference too
    ref = reference_run(copy.deepcopy(CONSTANT_SCENARIO))
    for name in ("npv", "cost_total", "benefit_total", "payback_month", "irr_annual"):
        _check(const.metrics[name], ref["metrics"][name], f"reference {name}", problems)
    _fail_if(problems)


@pytest.mark.parametrize("form", list(DEGENERATE_FORMS))
def test_zero_width_ranges_have_no_spread(tmp_path, form):
    """Every percentile and the mean of a Monte Carlo run equal the deterministic value."""
    import aiopex

    res = aiopex.run(aiopex.load_scenario(_write(tmp_path, _degenerate(form))), draws=300, seed=5)
    unc = res.uncertainty_json()
    assert unc is not None
    problems: list[str] = []
    for name, st in _walk_stats(unc):
        if "." in name:
            metric, cat = name.split(".", 1)
            want = res.metrics[metric][cat]
        else:
            want = res.metrics[name]
        if want is None:
            continue
        for k in STATS:
            if k in st:
                _check(st[k], want, f"{name}.{k}", problems)
    assert unc["prob_npv_negative"] == (1.0 if res.metrics["npv"] < 0 else 0.0)
    assert unc["prob_no_payback"] == (1.0 if res.metrics["payback_month"] is None else 0.0)
    for series in ("cost", "net"):
        for k, values in res.monthly_json()[series].items():
            want = res.drivers[series].to_numpy()
            _check(values, want, f"monthly {series}.{k}", problems)
    _fail_if(problems)
