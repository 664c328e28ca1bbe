"""What the pilot absorbed that production does not budget, and the human check.

The invoice-coding fixture is the case of the issue: a data scientist borrowed from
Group Analytics (people work, 7,200 a month) carried the pilot, and production has no
people line. The bridge only has production's categories; the pilot section must
list that work beside it, with who paid for it, and the readiness report flag it.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import aiopex

HERE = Path(__file__).parent
INVOICE = HERE / "fixtures" / "parity" / "invoice_coding.yaml"
GPU = HERE.parent / "data" / "scenarios" / "doc_extraction_gpu.yaml"  # nothing unbudgeted
FLAG = (
    "the pilot relied on 7,200 a month of people work (borrowed data scientist, paid by "
    "Group Analytics); production has no people line: who does it now?"
)


@pytest.fixture(scope="module")
def invoice():
    return aiopex.run(aiopex.load_scenario(INVOICE))


def test_unbudgeted_absorbed_lists_the_borrowed_data_scientist(invoice):
    p = invoice.pilot
    assert [u["name"] for u in p["unbudgeted_absorbed"]] == [
        "borrowed data scientist",
        "finance systems analyst",
    ]
    ds = p["unbudgeted_absorbed"][0]
    assert ds == {
        "name": "borrowed data scientist",
        "category": "people",
        "amount_per_month": 7200.0,
        "paid_by": "Group Analytics",
    }
    assert p["unbudgeted_absorbed"][1]["paid_by"] is None  # not given: null
    assert p["unbudgeted_absorbed_monthly"] == 7200.0 + 20 * 85
    # the cloud credits are compute, which production pays for: budgeted
    assert "cloud credits" not in {u["name"] for u in p["unbudgeted_absorbed"]}
    # and the bridge has no people step: only the list shows that work
    assert "people" not in {b["category"] for b in p["bridge"]}


def test_readiness_flags_each_unbudgeted_item(invoice):
    flags = invoice.readiness["warnings"]
    assert FLAG in flags
    assert any("finance systems analyst, paid by nobody" in f for f in flags)
    budget = next(i for i in invoice.readiness["items"] if i["question"] == "budget_holder")
    assert FLAG in budget["evidence"]


def test_a_category_whose_lines_cost_nothing_in_the_run_rate_months_is_unbudgeted(tmp_path):
    """A people line that stops before the last twelve months does not budget the work."""
    doc = yaml.safe_load(INVOICE.read_text())
    doc["costs"].append(
        {"name": "handover", "category": "people", "driver": "fixed", "rate": 5000,
         "to_month": 5}
    )  # fmt: skip
    path = tmp_path / "handover.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = aiopex.run(aiopex.load_scenario(path))
    assert "borrowed data scientist" in {u["name"] for u in r.pilot["unbudgeted_absorbed"]}
    assert any("production's people lines cost nothing in its last 12 months" in f
               for f in r.readiness["warnings"])  # fmt: skip
    doc["costs"][-1].pop("to_month")  # now it runs to the horizon: budgeted
    path.write_text(yaml.safe_dump(doc))
    r = aiopex.run(aiopex.load_scenario(path))
    assert "borrowed data scientist" not in {u["name"] for u in r.pilot["unbudgeted_absorbed"]}
    assert not any("borrowed data scientist" in f for f in r.readiness["warnings"])


def test_report_pilot_section_lists_it_beside_the_bridge(invoice):
    from aiopex.outputs import html as report

    page = report.unbudgeted_table(invoice).to_html()
    assert "borrowed data scientist" in page and "Group Analytics" in page
    assert "EUR 7,200" in page and "EUR 8,900" in page
    assert "nobody (not counted)" in page  # the analyst: no paid_by
    gpu = aiopex.run(aiopex.load_scenario(GPU))
    assert gpu.pilot["unbudgeted_absorbed"] == []
    assert "bridge shows all of it" in str(report.unbudgeted_table(gpu))
    nb = (HERE.parent / "notebooks" / "budget_scenario.ipynb").read_text()
    assert nb.index("report.bridge_table(result)") < nb.index("report.unbudgeted_table(result)")


def test_cli_pilot_and_summary_show_it():
    def cli(*args: str) -> str:
        r = subprocess.run(
            [sys.executable, "-m", "aiopex", *args], capture_output=True, text=True, check=True
        )
        return r.stdout

    out = cli("pilot", str(INVOICE))
    assert "Absorbed work production does not budget: EUR 8,900 a month" in out
    assert "borrowed data scientist (people): EUR 7,200 a month, paid by Group Analytics" in out
    out = cli("forecast", str(INVOICE))
    assert "budgeted by nobody in production: EUR 8,900 a month" in out
    assert FLAG in out
    assert "Errors caught by the human check" in out


# -- the human check --------------------------------------------------------------------


def _with(doc: dict, tmp_path: Path, name: str) -> aiopex.Result:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return aiopex.run(aiopex.load_scenario(path))


def test_human_check_by_hand(invoice):
    """Caught errors cost rework at the hourly rate, escaped ones cost_per_error."""
    d = invoice.drivers
    wrong = (d["requests"] * (1 - d["accuracy"])).to_numpy()  # fallback manual, no detection
    assert d["detected"].sum() == 0
    m = invoice.metrics
    assert m["errors_caught"] == pytest.approx(0.9 * wrong.sum(), rel=1e-12)
    assert m["errors_escaped"] == pytest.approx(0.1 * wrong.sum(), rel=1e-12)
    e = 0.1 * 60 + 0.9 * 3 / 60 * 42
    assert m["error_cost_total"] == pytest.approx(e * wrong.sum(), rel=1e-12)


def test_no_human_check_is_catch_rate_zero(tmp_path):
    doc = yaml.safe_load(INVOICE.read_text())
    zero = copy.deepcopy(doc)
    zero["benefits"]["human_check"] = {"catch_rate": 0, "minutes_per_caught_error": 3}
    none = copy.deepcopy(doc)
    del none["benefits"]["human_check"]
    a, b = _with(zero, tmp_path, "zero"), _with(none, tmp_path, "none")
    for k in ("benefit_total", "npv", "error_cost_total", "errors_escaped", "silent_error_cost"):
        assert a.metrics[k] == pytest.approx(b.metrics[k], rel=1e-12), k
    assert b.metrics["errors_caught"] == 0
    # charging every caught error as if it escaped loses value
    assert b.metrics["npv"] < aiopex.run(aiopex.load_scenario(INVOICE)).metrics["npv"]


def test_human_check_fields_are_required_and_checked(tmp_path):
    doc = yaml.safe_load(INVOICE.read_text())
    doc["benefits"]["human_check"] = {"catch_rate": 1.5}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(aiopex.ScenarioError) as err:
        aiopex.load_scenario(path)
    text = str(err.value)
    assert "benefits.human_check.catch_rate" in text
    assert "benefits.human_check.minutes_per_caught_error" in text


def test_human_check_is_sampled_in_monte_carlo():
    r = aiopex.run(aiopex.load_scenario(INVOICE), draws=200, seed=3)
    u = r.uncertainty
    assert u.loc["errors_caught", "p10"] < u.loc["errors_caught", "p90"]
    assert np.isfinite(u.loc["error_cost_total", "p50"])
    over = aiopex.load_scenario(INVOICE, {"benefits.human_check.catch_rate": 0.5})
    assert aiopex.run(over).metrics["errors_caught"] == pytest.approx(
        aiopex.run(over).metrics["errors_escaped"]
    )


# -- returns: when the IRR says little --------------------------------------------------


def test_irr_that_says_little_leads_with_npv_and_mirr():
    """claims_triage: IRR 573% a year on an outlay of 416,099 followed by 7.4M."""
    from aiopex.model.returns import irr_verdict
    from aiopex.outputs import html as report
    from aiopex.outputs import text

    claims = aiopex.run(aiopex.load_scenario(HERE.parent / "data/scenarios/claims_triage.yaml"))
    net = claims.drivers["net"].to_numpy()
    v = irr_verdict(net, claims.metrics["irr_annual"])
    cum = np.cumsum(net)
    assert not v.useful and v.outlay == pytest.approx(-cum.min())
    assert v.recovered == pytest.approx(cum[-1] - cum.min())
    assert claims.metrics["irr_annual"] > 1
    note = text.irr_note(claims)
    assert note.startswith("IRR 573% a year says little here")
    page = str(report.headline(claims))
    cards = [page.index(t) for t in (">NPV<", ">MIRR<", ">Run-rate<")]
    assert cards == sorted(cards), "NPV and MIRR lead"
    assert "a small stake compounds into a large rate" in page
    # a modest IRR keeps the usual headline, without the note
    assert irr_verdict(np.array([-1000.0, 300.0, 400.0, 500.0]), 0.6).useful


def test_workbook_notes_the_irr(tmp_path):
    import openpyxl

    from aiopex.outputs.excel import write_workbook

    claims = aiopex.run(aiopex.load_scenario(HERE.parent / "data/scenarios/claims_triage.yaml"))
    wb = openpyxl.load_workbook(write_workbook(claims, tmp_path / "c.xlsx"), data_only=True)
    ws = wb["Summary"]
    row = next(c.row for c in ws["E"] if c.value == "irr_annual")
    assert ws.cell(row=row, column=3).value.startswith("says little here")
