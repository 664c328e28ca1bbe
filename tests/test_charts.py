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
