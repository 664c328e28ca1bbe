"""Monitoring (SCENARIO.md "Monitoring"): detection lag, silent and detected months."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

import aiopex
from aiopex.model.quality import detection_lag, silent_and_detected

HERE = Path(__file__).parent
PARITY = HERE / "fixtures" / "parity"


def test_episodes_silent_then_detected():
    deg = np.array(
        [
            [0, 1, 1, 1, 1, 0, 1, 0, 1, 1],  # episodes of 4, 1 and 2 months
            [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # one episode over the horizon
        ],
        dtype=float,
    )
    lag = np.array([[2.0], [0.0]])
    silent, detected = silent_and_detected(deg, lag, "manual")
    assert silent.tolist() == [[0, 1, 1, 0, 0, 0, 1, 0, 1, 1], [0] * 10]
    np.testing.assert_array_equal(detected, deg - silent)
    # a lag longer than every episode: all silent
    silent, detected = silent_and_detected(deg, 12.0, "manual")
    np.testing.assert_array_equal(silent, deg)
    assert not detected.any()
    # fallback none: every degraded month silent, whatever the lag
    silent, detected = silent_and_detected(deg, 0.0, "none")
    np.testing.assert_array_equal(silent, deg)
    assert not detected.any()


def test_lag_rounds_half_up_and_never_below_zero():
    assert detection_lag(np.array([0.0, 0.4999, 0.5, 1.49, 1.5, 3.0])).tolist() == [
        0,
        0,
        1,
        1,
        2,
        3,
    ]


def _doc(**monitoring) -> dict:
    doc = yaml.safe_load((PARITY / "monitoring_episodes_cut_by_retraining.yaml").read_text())
    doc["name"] = "mon"
    if monitoring:
        doc["monitoring"] = monitoring
    else:
        doc.pop("monitoring")
    return doc


def _run(tmp_path: Path, doc: dict, **kw) -> aiopex.Result:
    p = tmp_path / f"{doc['name']}.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return aiopex.run(aiopex.load_scenario(p), **kw)


def test_benefit_is_zero_only_in_detected_months(tmp_path):
    r = _run(tmp_path, _doc(detection_lag_months=2))
    s = r.drivers
    assert s["silent"].sum() == r.metrics["silent_months"] == 6
    assert (s["benefit"][s["detected"] > 0] == 0).all()
    assert (s["benefit"][s["silent"] > 0] != 0).all()
    want = np.sum(s["requests"] * (1 - s["accuracy"]) * 20 * s["silent"])
    assert r.metrics["silent_error_cost"] == pytest.approx(want, rel=1e-12)


def test_longer_lag_costs_more_and_no_monitoring_is_lag_zero(tmp_path):
    none = _run(tmp_path, _doc())
    zero = _run(tmp_path, _doc(detection_lag_months=0))
    four = _run(tmp_path, _doc(detection_lag_months=4))
    assert none.metrics == zero.metrics
    assert none.metrics["silent_months"] == 0 and none.metrics["silent_error_cost"] == 0
    assert four.metrics["silent_months"] == four.metrics["degraded_months"]
    assert four.metrics["silent_error_cost"] > 0


def test_lag_is_sampled_per_draw(tmp_path):
    doc = _doc(detection_lag_months={"low": 0, "high": 4, "dist": "uniform"})
    r = _run(tmp_path, doc, draws=400, seed=3)
    u = r.uncertainty.loc["silent_months"]
    assert u["p5"] < u["p95"]  # lag 0 in some draws, up to 4 in others
    assert 0 <= u["p5"] and u["p95"] <= r.metrics["degraded_months"]


def _readiness(r) -> str:
    return "\n".join(e for i in r.readiness["items"] for e in i["evidence"])


def test_readiness_monitoring_evidence(tmp_path):
    doc = _doc()
    r = _run(tmp_path, doc)
    assert "detection assumed immediate" in _readiness(r)
    assert any("detection assumed immediate" in w for w in r.readiness["warnings"])

    doc = _doc(detection_lag_months=2)
    r = _run(tmp_path, doc)
    text = _readiness(r)
    assert "detection lag 2 months" in text and "assumed immediate" not in text
    assert f"{r.scenario.currency} {r.metrics['silent_error_cost']:,.0f}" in text
    assert "6 silent months" in text

    # a monitoring plan answered, but no cost line in the monitoring category
    doc = copy.deepcopy(doc)
    doc["costs"] = [c for c in doc["costs"] if c["category"] != "monitoring"]
    doc["readiness"] = {"monitoring_plan": "Weekly accuracy review by the team"}
    r = _run(tmp_path, doc)
    assert any("monitoring_plan is answered but no cost line" in w for w in r.readiness["warnings"])
