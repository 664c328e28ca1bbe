"""Charts: text from scenario files is drawn as it is, never as matplotlib mathtext."""

from __future__ import annotations

from pathlib import Path

import yaml

import aiopex
from aiopex.outputs import charts

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"
PAYER = "Team A (50% of $) and Team B (50% of $)"


def _texts(fig) -> list:
    fig.canvas.draw()  # ticks and legends exist once drawn
    return fig.findobj(lambda o: hasattr(o, "get_parse_math") and hasattr(o, "get_text"))


def test_dollar_signs_from_inputs_are_text_not_mathtext(tmp_path: Path) -> None:
    doc = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    doc["pilot"]["absorbed"][0]["paid_by"] = PAYER
    path = tmp_path / "dollars.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    r = aiopex.run(aiopex.load_scenario(path), draws=60, seed=1)
    fig = charts.pilot_cost(r)
    texts = _texts(fig)
    shown = [t.get_text() for t in texts]
    assert f"absorbed by {PAYER}" in shown, shown
    for t in texts:
        if "$" in t.get_text() and t.get_text().count("$") > 1:
            assert t.get_parse_math() is False, t.get_text()
    assert charts._figure_png(fig)[:4] == b"\x89PNG"
    for chart in (charts.cost_by_category, charts.npv_distribution, charts.pilot_bridge):
        assert charts._figure_png(chart(r))[:4] == b"\x89PNG"


def test_accuracy_chart_hatches_silent_months_apart_from_detected_ones():
    """The weak-monitoring example: 4 silent months then 1 detected month per episode."""
    from aiopex.outputs import charts

    r = aiopex.run(aiopex.load_scenario(ROOT / "data/scenarios/claims_triage_monitoring_weak.yaml"))
    silent = r.drivers["silent"].to_numpy() > 0
    detected = r.drivers["detected"].to_numpy() > 0
    assert silent.any() and detected.any()
    fig = charts.accuracy(r)
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch()]
    # one hatched span per run of silent months, one plain span per run of degraded months
    assert len(hatched) == len(charts._runs(silent))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "degraded, silent (unnoticed)" in labels and "degraded, detected" in labels


def test_headline_says_what_silent_months_cost():
    from aiopex.outputs import html

    weak = aiopex.run(
        aiopex.load_scenario(ROOT / "data/scenarios/claims_triage_monitoring_weak.yaml")
    )
    body = html.headline(weak).source
    cost = html.money(weak.metrics["silent_error_cost"], weak.scenario.currency)
    assert f"{weak.metrics['silent_months']} silent months" in body and cost in body
    base = aiopex.run(aiopex.load_scenario(ROOT / "data/scenarios/claims_triage.yaml"))
    assert base.metrics["silent_months"] == 0
    assert "silent month" not in html.headline(base).source


def test_a_scenario_without_cost_lines_gets_its_workbook_and_comparison(tmp_path):
    """Cost lines are optional: a scenario without any once failed in its workbook (a chart
    without a series) and in the comparison chart (no bar, so no category axis)."""
    import openpyxl

    from aiopex.outputs.excel import write_workbook

    path = tmp_path / "nocost.yaml"
    path.write_text(
        'name: nocost\nstart: "2027-01"\nhorizon_months: 3\n'
        "usage: {population: 10, items_per_user_month: 1, bypass_rate: 1}\n"
    )
    r = aiopex.run(aiopex.load_scenario(path))
    wb = openpyxl.load_workbook(write_workbook(r, tmp_path / "nocost.xlsx"))
    assert "Summary" in wb.sheetnames
    claims = aiopex.run(aiopex.load_scenario(CLAIMS))
    for results in ([r], [claims, r]):
        fig = charts.compare_cost_by_category(results)
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels == [x.scenario.name for x in results]
