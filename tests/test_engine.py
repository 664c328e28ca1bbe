"""Engine properties not covered by the reference parity tests."""

from pathlib import Path

import numpy as np
import pandas as pd
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
    assert len(led) == len(claims.months) * len(claims.line_specs)
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
    from aiopex.model.forecasting import COMBOS, VARIANTS

    assert det.history["method"] in {*VARIANTS, *COMBOS}
    assert det.history["as_of"] < s.start
    assert (det.drivers["requests"] > 0).all()
    mc = aiopex.run(s, draws=400, seed=5)
    assert mc.metrics == det.metrics
    u = mc.uncertainty.loc["requests_total"]
    assert u["p5"] < det.metrics["requests_total"] < u["p95"]
    again = aiopex.run(s, draws=400, seed=5)
    pd.testing.assert_frame_equal(again.uncertainty, mc.uncertainty)


def test_monte_carlo_does_not_depend_on_chunking(monkeypatch):
    s = aiopex.load_scenario(SCENARIOS / "doc_extraction_gpu.yaml")
    whole = aiopex.run(s, draws=1000, seed=3, keep_draws=300)
    from aiopex.engine import montecarlo

    monkeypatch.setattr(montecarlo, "CHUNK", 128)
    chunked = aiopex.run(s, draws=1000, seed=3, keep_draws=300)
    pd.testing.assert_frame_equal(chunked.uncertainty, whole.uncertainty, rtol=1e-12)
    pd.testing.assert_frame_equal(chunked.monthly, whole.monthly, rtol=1e-12)
    np.testing.assert_array_equal(chunked.draws.kept, whole.draws.kept)
    np.testing.assert_allclose(chunked.draws.amount, whole.draws.amount, rtol=1e-12)


def test_seed_is_recorded_when_not_given():
    s = aiopex.load_scenario(SCENARIOS / "claims_triage.yaml")
    r = aiopex.run(s, draws=50)
    assert isinstance(r.seed, int)
    pd.testing.assert_frame_equal(aiopex.run(s, draws=50, seed=r.seed).uncertainty, r.uncertainty)


def test_lines_frame_and_categories(claims):
    lines = claims.lines
    assert list(lines.columns) == [
        "line",
        "category",
        "driver",
        "m",
        "month",
        "quantity",
        "rate",
        "amount",
    ]
    np.testing.assert_allclose(lines["amount"], lines["quantity"] * lines["rate"], rtol=1e-12)
    by_cat = lines.groupby("category")["amount"].sum()
    for c in claims.categories.columns:
        assert claims.categories[c].sum() == pytest.approx(by_cat[c], rel=1e-12)
    np.testing.assert_allclose(
        claims.categories.sum(axis=1), claims.drivers["cost"], rtol=1e-12, atol=1e-9
    )
    assert claims.uncertainty is None and claims.draws is None and claims.probabilities is None


def test_monte_carlo_keeps_draws_and_never_drops_one():
    s = aiopex.load_scenario(SCENARIOS / "claims_triage.yaml")
    r = aiopex.run(s, draws=600, seed=9, keep_draws=250)
    d = r.draws
    assert len(d.metrics) == 600 and len(d.kept) == 250
    assert np.all(np.diff(d.kept) > 0)
    assert d.amount.shape == (250, len(r.line_specs), s.horizon) == d.quantity.shape
    # a kept draw's lines add up to that draw's cost total
    np.testing.assert_allclose(d.total(), d.metrics["cost_total"].to_numpy()[d.kept], rtol=1e-10)
    name = r.line_specs[0].name
    np.testing.assert_allclose(
        d.total([name], range(12)), d.amount[:, 0, :12].sum(axis=1), rtol=1e-12
    )
    u = r.uncertainty
    pb = d.metrics["payback_month"].to_numpy()
    defined = ~np.isnan(pb)
    assert u.loc["payback_month", "defined_share"] == defined.mean()
    assert r.probabilities["prob_no_payback"] == pytest.approx(1 - defined.mean(), abs=1e-15)
    assert r.probabilities["prob_npv_negative"] == np.mean(d.metrics["npv"] < 0)
    # "not within the horizon" is later than every month; whole months, no interpolation
    for q in (5, 10, 50, 90, 95):
        want = np.percentile(np.where(defined, pb, np.inf), q, method="lower")
        got = u.loc["payback_month", f"p{q}"]
        assert (np.isnan(got) and np.isinf(want)) or got == want
    irr = d.metrics["irr_annual"].to_numpy()
    assert u.loc["irr_annual", "defined_share"] == np.mean(~np.isnan(irr))
    assert u.loc["retrains", "p50"] == np.percentile(d.metrics["retrains"], 50, method="lower")
    all_kept = aiopex.run(s, draws=300, seed=9)
    np.testing.assert_array_equal(all_kept.draws.kept, np.arange(300))


def test_driver_registry_covers_every_driver_once():
    from aiopex.model.costs import DRIVERS
    from aiopex.names import DRIVERS as NAMES

    assert tuple(DRIVERS) == NAMES
    for d in DRIVERS.values():
        assert d.scales_with in {"requests", "users", "none"}, d.name
        assert "{rate}" in d.excel and d.unit, d.name
        assert ("{series}" in d.excel) == (d.series is not None), d.name


def test_metric_registry_covers_every_metric():
    from aiopex.metrics import REGISTRY, WHOLE_MONTH_METRICS
    from aiopex.names import METRICS, PILOT_METRICS

    for name in (*METRICS, *PILOT_METRICS, "prob_npv_negative", "prob_no_payback"):
        assert name in REGISTRY and REGISTRY[name].label, name
        assert REGISTRY[name].kind in {"money", "share", "count", "month", "multiple"}, name
    assert WHOLE_MONTH_METRICS == {"payback_month", "retrains", "degraded_months", "silent_months"}
