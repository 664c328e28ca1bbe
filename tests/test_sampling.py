"""Sampling: one random stream per field, resampling at open bounds, capacity rounding."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

import aiopex
from aiopex.engine import _sampled_params
from aiopex.inputs.uncertain import Bounds, Range, sample, stream

BASE: dict = {
    "name": "streams",
    "start": "2026-01",
    "horizon_months": 12,
    "usage": {
        "population": {"low": 800, "high": 1500},
        "adoption": {"ceiling": 0.8, "midpoint_months": {"low": 1, "high": 4}, "steepness": 1.0},
        "items_per_user_month": {"low": 100, "high": 200},
        "bypass_rate": 0.1,
    },
    "quality": {"launch_accuracy": {"low": 0.85, "mode": 0.9, "high": 0.95, "dist": "pert"}},
    "benefits": {"minutes_saved_per_item": 5, "hourly_rate": 40, "cost_per_error": 3},
    "finance": {"discount_rate": 0.1},
    "costs": [
        {"name": "api", "category": "compute", "driver": "per_request", "rate": 0.01},
        {
            "name": "gpu",
            "category": "compute",
            "driver": "capacity",
            "rate": 900,
            "capacity_per_unit": {"low": 20000, "high": 40000},
        },
    ],
}


def _load(tmp_path: Path, doc: dict, name: str = "s") -> aiopex.Scenario:
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return aiopex.load_scenario(p)


def test_changing_one_range_leaves_every_other_field_draws_unchanged(tmp_path):
    base = _sampled_params(_load(tmp_path, BASE, "a"), 500, 42)
    changed = copy.deepcopy(BASE)
    changed["usage"]["bypass_rate"] = {"low": 0.05, "high": 0.3, "dist": "uniform"}  # new range
    changed["usage"]["population"] = {"low": 500, "high": 3000}  # a wider range
    del changed["costs"][0]  # a field removed
    other = _sampled_params(_load(tmp_path, changed, "b"), 500, 42)
    assert other["usage.bypass_rate"].shape == (500, 1)
    assert not np.array_equal(other["usage.population"], base["usage.population"])
    same = set(base) & set(other) - {"usage.bypass_rate", "usage.population"}
    assert "costs.gpu.capacity_per_unit" in same and "quality.launch_accuracy" in same
    for k in same:
        np.testing.assert_array_equal(other[k], base[k], err_msg=k)


def test_a_field_stream_depends_on_seed_and_path_only():
    a = stream(3, "usage.population").random(4)
    np.testing.assert_array_equal(a, stream(3, "usage.population").random(4))
    assert not np.array_equal(a, stream(4, "usage.population").random(4))
    assert not np.array_equal(a, stream(3, "usage.items_per_user_month").random(4))


def test_monte_carlo_common_random_numbers_across_scenarios(tmp_path):
    """A cost-only change (a rate) leaves usage draws alone: requests agree draw by draw."""
    down = copy.deepcopy(BASE)
    down["costs"][0]["rate"] = {"low": 0.01, "high": 0.05}
    p1 = _sampled_params(_load(tmp_path, BASE, "a"), 300, 9)
    p2 = _sampled_params(_load(tmp_path, down, "b"), 300, 9)
    for k in ("usage.population", "usage.items_per_user_month", "usage.adoption.midpoint_months"):
        np.testing.assert_array_equal(p1[k], p2[k])


def test_open_bounds_are_resampled_closed_bounds_clipped():
    rng = np.random.default_rng(0)
    rate = sample(Range(mean=-0.5, sd=1.0, dist="normal"), 20_000, rng, Bounds(-1, lo_open=True))
    assert (rate > -1).all()
    # the truncated normal: nothing piles up just above the bound
    assert np.mean(rate < -0.99) < 0.01
    share = sample(Range(low=0.9, high=1.2, dist="uniform"), 20_000, rng, Bounds(0, 1))
    assert share.max() == 1.0 and np.mean(share == 1.0) > 0.5  # clipped onto 1


def test_resampling_at_an_open_bound_is_reproducible():
    def draw():
        r = Range(mean=1000, sd=2000, dist="normal")
        return sample(r, 5000, stream(5, "costs.gpu.capacity_per_unit"), Bounds(0, lo_open=True))

    a = draw()
    assert (a > 0).all()
    np.testing.assert_array_equal(a, draw())


def test_capacity_with_a_draw_near_zero_and_discount_rate_near_minus_one_stay_finite(tmp_path):
    doc = copy.deepcopy(BASE)
    doc["costs"][1]["capacity_per_unit"] = {"mean": 20000, "sd": 30000, "dist": "normal"}
    doc["finance"]["discount_rate"] = {"mean": -0.5, "sd": 0.6, "dist": "normal"}
    r = aiopex.run(_load(tmp_path, doc), draws=2000, seed=1)
    for metric in ("npv", "cost_total"):
        for k in ("mean", "p5", "p95"):
            assert np.isfinite(r.uncertainty.loc[metric, k]), (metric, k)


def test_capacity_units_ignore_float_noise(tmp_path):
    """1 - 0.7 = 0.30000000000000004: 100,000 items give 30000.000000000004 requests,
    which need 3 units of 10,000, not 4 (issue 7)."""
    doc = {
        "name": "noise",
        "start": "2026-01",
        "horizon_months": 3,
        "usage": {
            "population": 1000,
            "adoption": {"ceiling": 1, "midpoint_months": 0, "steepness": 50},
            "items_per_user_month": 100,
            "bypass_rate": 0.7,
        },
        "costs": [
            {
                "name": "gpu",
                "category": "compute",
                "driver": "capacity",
                "rate": 1,
                "capacity_per_unit": 10000,
            }
        ],
    }
    r = aiopex.run(_load(tmp_path, doc))
    req = r.drivers["requests"].to_numpy()
    assert req[1] == pytest.approx(30000) and req[1] > 30000
    assert np.asarray(r.line("gpu")).tolist() == [2.0, 3.0, 3.0]
