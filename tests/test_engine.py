"""Engine properties not covered by the reference parity tests."""

from pathlib import Path

import numpy as np
import pytest

import aiopex
from aiopex.names import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"


@pytest.fixture(scope="module")
def claims():
    return aiopex.run(aiopex.load_scenario(SCENARIOS / "claims_triage.yaml"))


def test_ledger_rows_are_quantity_times_rate_and_sum_to_the_total(claims):
    led = claims.ledger
    assert len(led) == len(claims.months) * len(claims.lines)
    np.testing.assert_allclose(led["amount"], led["quantity"] * led["rate"], rtol=1e-12)
    assert led["amount"].sum() == pytest.approx(claims.metrics["cost_total"], rel=1e-12)
    by_cat = led.groupby("category")["amount"].sum()
    for c, v in claims.metrics["cost_by_category"].items():
        assert by_cat[c] == pytest.approx(v, rel=1e-12)
    assert list(claims.metrics["cost_by_category"]) == [
        c for c in CATEGORIES if c in set(led["category"])
    ]


def test_drivers_frame_matches_series(claims):
    d = claims.drivers
    assert list(d["month"][:2]) == ["2027-01", "2027-02"]
    np.testing.assert_allclose(d["net"], d["benefit"] - d["cost"])
    np.testing.assert_allclose(d["cumulative_net"], np.cumsum(d["net"]))


def test_history_based_scenario_runs_deterministic_and_monte_carlo():
    s = aiopex.load_scenario(SCENARIOS / "usage_history_reforecast.yaml")
    det = aiopex.run(s)
    assert det.history["method"] in {"ets", "theta", "sarimax", "naive"}
    assert det.history["as_of"] < s.start
    assert (det.series["requests"] > 0).all()
    mc = aiopex.run(s, draws=400, seed=5)
    assert mc.metrics == det.metrics
    u = mc.uncertainty["requests_total"]
    assert u["p5"] < det.metrics["requests_total"] < u["p95"]
    again = aiopex.run(s, draws=400, seed=5)
    assert again.uncertainty == mc.uncertainty


def test_monte_carlo_does_not_depend_on_chunking(monkeypatch):
    s = aiopex.load_scenario(SCENARIOS / "doc_extraction_gpu.yaml")
    whole = aiopex.run(s, draws=1000, seed=3).uncertainty
    import aiopex.engine as engine

    monkeypatch.setattr(engine, "CHUNK", 128)
    chunked = aiopex.run(s, draws=1000, seed=3).uncertainty
    assert chunked["npv"] == pytest.approx(whole["npv"], rel=1e-12)
    assert chunked["monthly"]["cost"]["p50"] == pytest.approx(whole["monthly"]["cost"]["p50"])


def test_seed_is_recorded_when_not_given():
    s = aiopex.load_scenario(SCENARIOS / "claims_triage.yaml")
    r = aiopex.run(s, draws=50)
    assert isinstance(r.seed, int)
    assert aiopex.run(s, draws=50, seed=r.seed).uncertainty == r.uncertainty
