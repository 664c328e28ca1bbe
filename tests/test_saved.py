"""Save and load a Result: the folder, the round trip, and every output on a loaded one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiopex
from aiopex.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"


def assert_same(a: aiopex.Result, b: aiopex.Result) -> None:
    """``b`` is ``a``: equal metrics and dicts, frames and arrays bit for bit."""
    assert b.metrics == a.metrics
    assert b.pilot == a.pilot and b.readiness == a.readiness and b.history == a.history
    assert (b.n_draws, b.seed, b.months) == (a.n_draws, a.seed, a.months)
    assert b.line_specs == a.line_specs
    assert b.scenario.inputs_hash == a.scenario.inputs_hash
    assert b.scenario.resolved == a.scenario.resolved
    assert b.probabilities == a.probabilities
    for name in ("drivers", "lines", "categories", "ledger", "uncertainty", "monthly"):
        fa, fb = getattr(a, name), getattr(b, name)
        if fa is None:
            assert fb is None, name
            continue
        pd.testing.assert_frame_equal(fb, fa, check_exact=True, obj=name)
        for col in fa.columns:
            if fa[col].dtype.kind == "f":
                assert fa[col].to_numpy().tobytes() == fb[col].to_numpy().tobytes(), (name, col)
    if a.draws is None:
        assert b.draws is None
        return
    pd.testing.assert_frame_equal(b.draws.metrics, a.draws.metrics, check_exact=True)
    assert b.draws.line_names == a.draws.line_names
    for name in ("kept", "amount", "quantity"):
        x, y = getattr(a.draws, name), getattr(b.draws, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_round_trip_of_every_example(path: Path, tmp_path: Path) -> None:
    r = aiopex.run(aiopex.load_scenario(path), draws=120, seed=4, keep_draws=40)
    r.save(tmp_path / "saved")
    back = aiopex.load_result(tmp_path / "saved")
    assert_same(r, back)
    assert back.to_json() == r.to_json()


def test_manifest_records_provenance_and_saving_again_replaces(tmp_path: Path) -> None:
    r = aiopex.run(aiopex.load_scenario(CLAIMS))
    out = tmp_path / "claims"
    r.save(out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["inputs_hash"] == r.scenario.inputs_hash and m["version"] == aiopex.__version__
    assert m["draws"] == 1 and m["created"].endswith("+00:00")
    assert m["resolved"]["name"] == "claims_triage"
    assert not (out / "kept.parquet").exists()
    mc = aiopex.run(aiopex.load_scenario(CLAIMS), draws=30, seed=2)
    mc.save(out)
    assert_same(mc, aiopex.load_result(out))
    assert [p.name for p in tmp_path.iterdir()] == ["claims"]  # no temporary folder left


def test_a_failed_save_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aiopex.result.saved as saved

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(saved, "_write_frame", boom)
    r = aiopex.run(aiopex.load_scenario(CLAIMS))
    with pytest.raises(OSError):
        r.save(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_not_a_saved_result(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no manifest.json"):
        aiopex.load_result(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match="not a result"):
        aiopex.load_result(tmp_path)


SMALL = yaml.safe_load(
    """
name: random_case
start: "2027-01"
horizon_months: 12
usage:
  population: 300
  adoption: {ceiling: 0.8, midpoint_months: 3, steepness: 1.0}
  items_per_user_month: 40
  bypass_rate: 0.1
  tokens_per_item: {input: 800, output: 200}
quality: {launch_accuracy: 0.9, drift_per_month: 0.01, floor: 0.6, acceptable: 0.8}
retraining: {policy: scheduled, every_months: 6}
benefits: {minutes_saved_per_item: 4, hourly_rate: 50, cost_per_error: 3}
finance: {discount_rate: 0.1}
costs:
  - {name: api, category: compute, driver: per_1k_input_tokens, rate: 0.003}
  - {name: ops, category: support, driver: fte, fte: 0.2, rate: 90000}
  - {name: setup, category: other, driver: one_time, rate: 20000, month: 1}
"""
)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    horizon=st.integers(1, 30),
    rate=st.floats(0.0005, 0.02),
    spread=st.floats(1.01, 3.0),
    draws=st.integers(2, 60),
    keep=st.integers(0, 70),
    seed=st.integers(0, 2**32 - 1),
)
def test_round_trip_of_random_scenarios(
    tmp_path: Path, horizon: int, rate: float, spread: float, draws: int, keep: int, seed: int
) -> None:
    doc = json.loads(json.dumps(SMALL))
    doc["horizon_months"] = horizon
    doc["costs"][0]["rate"] = {"low": rate / spread, "high": rate * spread}
    doc["usage"]["population"] = {"low": 100, "high": 100 * spread * 3}
    path = tmp_path / f"s{horizon}_{draws}_{keep}.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = aiopex.run(aiopex.load_scenario(path), draws=draws, seed=seed, keep_draws=keep)
    assert r.draws is not None and r.draws.kept.size == min(draws, keep)
    r.save(tmp_path / path.stem)
    assert_same(r, aiopex.load_result(tmp_path / path.stem))


def test_a_loaded_result_feeds_every_output(tmp_path: Path) -> None:
    import openpyxl

    from aiopex.outputs import charts
    from aiopex.outputs import html as report
    from aiopex.outputs.excel import write_workbook

    r = aiopex.run(aiopex.load_scenario(CLAIMS), draws=200, seed=8)
    r.save(tmp_path / "saved")
    back = aiopex.load_result(tmp_path / "saved")
    for chart in (
        charts.usage,
        charts.accuracy,
        charts.cost_by_category,
        charts.cumulative_net,
        charts.pilot_cost,
        charts.pilot_bridge,
        charts.cost_fan,
        charts.net_fan,
        charts.npv_distribution,
    ):
        assert charts._figure_png(chart(back))[:4] == b"\x89PNG"
    charts._figure_png(charts.compare_cumulative_net([r, back]))
    assert report.headline(back).source == report.headline(r).source
    for table in (report.metrics_table, report.pilot_table, report.bridge_table):
        pd.testing.assert_frame_equal(table(back).data, table(r).data)
    assert report.summary(back) == report.summary(r)
    wb = openpyxl.load_workbook(write_workbook(back, tmp_path / "back.xlsx"))
    assert {"Costs", "Uncertainty"} <= set(wb.sheetnames)


def test_comparison_reads_one_path_given_as_text_and_refuses_nothing_to_compare(
    tmp_path: Path,
) -> None:
    """``papermill -p saved DIR`` passes a string: it is one path, not its characters;
    with nothing readable the comparison says so instead of failing in a chart."""
    from aiopex import notebook as nb

    aiopex.run(aiopex.load_scenario(CLAIMS)).save(tmp_path / "saved")
    results, refused = nb.load_results(str(tmp_path / "saved"))
    assert [r.scenario.name for r in results] == ["claims_triage"] and not refused
    with pytest.raises(DataError, match="nothing to compare"):
        nb.load_results([tmp_path / "nowhere"])


def test_cli_forecast_save_and_keep_draws(tmp_path: Path) -> None:
    out = tmp_path / "saved"
    args = [str(CLAIMS), "--draws", "50", "--seed", "3", "--keep-draws", "20"]
    p = subprocess.run(
        [sys.executable, "-m", "aiopex", "forecast", *args, "--save", str(out), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr
    back = aiopex.load_result(out)
    assert back.draws is not None and back.draws.kept.size == 20
    assert json.loads(p.stdout)["uncertainty"]["npv"]["p50"] == pytest.approx(
        back.uncertainty.loc["npv", "p50"], rel=0, abs=0
    )
    bad = subprocess.run(
        [sys.executable, "-m", "aiopex", "forecast", str(CLAIMS), "--keep-draws", "-1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "--keep-draws" in bad.stderr
    assert np.isfinite(back.metrics["npv"])
