"""The review on the FOCUS specification's samples, against a small baseline built by hand
that starts in May 2025: the variance split, buckets, the invoice reconciliation and data
quality in review.json, stated by hand from the files' rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiopex.analyses.review import BaselineArrays, Inputs, Review, compute_review, public_json
from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import load_mapping
from aiopex.model.costs import LineSpec
from aiopex.model.reconciliation import PARTS

DATA = Path(__file__).parent / "data" / "focus"
PER_TOKEN = DATA / "ai_billing" / "per_token_foundation_model_api.csv"
DRAWDOWN = DATA / "ai_billing" / "drawdown_via_prepayment_foundation_model_api.csv"
MONTHS = [f"2025-{m:02d}" for m in range(5, 13)] + [f"2026-{m:02d}" for m in range(1, 5)]
H, K = len(MONTHS), 400
LINES = {"llm_input_tokens": "per_1k_input_tokens", "llm_output_tokens": "per_1k_output_tokens"}


def baseline() -> BaselineArrays:
    """From May 2025: 7,000k input tokens a month at 0.004 (28.00), 2,000k output tokens at
    0.025 (50.00); the fiscal year is the calendar year."""
    specs = [
        LineSpec("llm_input_tokens", "compute", "per_1k_input_tokens", 0.004, 0.0, 0, H - 1),
        LineSpec("llm_output_tokens", "compute", "per_1k_output_tokens", 0.025, 0.0, 0, H - 1),
    ]
    qty = np.vstack([np.full(H, 7000.0), np.full(H, 2000.0)])
    rate = np.vstack([np.full(H, 0.004), np.full(H, 0.025)])
    amount = qty * rate
    rng = np.random.default_rng(3)
    mult = rng.lognormal(0.0, 0.2, size=(K, 2, 1))
    return BaselineArrays(
        months=MONTHS, names=[s.name for s in specs], categories=["compute", "compute"],
        drivers=[s.driver for s in specs], specs=specs, amount=amount, quantity=qty, rate=rate,
        requests=np.full(H, 1000.0), active_users=np.full(H, 10.0), accuracy=np.full(H, 0.9),
        draws_amount=amount[None] * mult, draws_quantity=qty[None] * mult, currency="USD",
        acceptable=None, fiscal_year_start=1, seed=5,
    )  # fmt: skip


def review(tmp: Path, files: list[Path], rules: str, basis: str = "effective", **kw) -> dict:
    (tmp / "map.yaml").write_text(rules)
    m = load_mapping(tmp / "map.yaml", set(LINES))
    a = read_focus(files, mapping=m, currency="USD", cost_basis=basis, lines=LINES)
    return compute_review(baseline(), ["2025-05"], Inputs(a, cost_basis=basis, **kw), "2025-05")


RULES = (
    "rules:\n"
    "  - line: llm_input_tokens\n    match: {SkuMeter: Input Tokens}\n"
    '  - line: llm_output_tokens\n    match: {"SkuPriceDetails.ModelId": solora-saturn-4.8,'
    " SkuMeter: Output Tokens}\n"
)


def test_per_token_sample_review(tmp_path: Path) -> None:
    """Input tokens: 42.00 for 8,400k tokens against 28.00 for 7,000k: +14.00 = volume +5.60
    + price +8.40. Output: 52.50 for 2,100k against 50.00 for 2,000k: volume +2.50, price 0.
    The invoice of May (94.50) is all on the lines; no month before May is 'missing'."""
    rv = review(tmp_path, [PER_TOKEN], RULES)
    lines = {r["line"]: r for r in rv["lines"]}
    inp, out = lines["llm_input_tokens"], lines["llm_output_tokens"]
    assert inp["variance"] == pytest.approx(14.00)
    assert inp["volume"] == pytest.approx(5.60) and inp["price"] == pytest.approx(8.40)
    assert inp["unexplained"] == pytest.approx(0.0, abs=1e-9)
    assert out["volume"] == pytest.approx(2.50) and out["price"] == pytest.approx(0.0, abs=1e-9)
    rc = rv["reconciliation"]
    assert rc["invoice_total"] == pytest.approx(94.50) and rc["lines"] == pytest.approx(94.50)
    assert sum(rc[p] for p in PARTS) == pytest.approx(rc["invoice_total"], abs=0.005)
    dq = rv["data_quality"]
    assert dq["focus_version"] == "1.3"
    assert dq["units"] == {"llm_input_tokens": ["1000000 Tokens"],
                           "llm_output_tokens": ["1000000 Tokens"]}  # fmt: skip
    assert rv["missing_actuals"] == [] and dq["missing_actuals"] == []  # Jan-Apr: no baseline
    assert dq["rows"]["lines"] == 2 and dq["null_cost"]["rows"] == 0
    # --reprice: the input line's rate x pa/pb = (42/8,400)/0.004 = 1.25 from June
    rp = review(tmp_path, [PER_TOKEN], RULES, reprice=True)["reforecast"]
    fy = 42.00 + 52.50 + 7 * (28.00 * 1.25 + 50.00 * (52.50 / 2100) / 0.025)
    assert rp["outlook"] == pytest.approx(fy)
    public_json(rv)  # serializable


def test_prepayment_review_on_the_billed_basis(tmp_path: Path) -> None:
    """The drawdown sample under a catch-all rule: the 500,000 prepayment is in purchases
    (not +499,972 'unexplained' on the input line), the invoice of May is 500,000 and its
    parts add up to it; on the effective basis the line has the amortized 50.00."""
    rules = 'rules:\n  - line: llm_input_tokens\n    match: {ServiceName: "~Solora.*"}\n'
    rv = review(tmp_path, [DRAWDOWN], rules, basis="billed")
    inp = {r["line"]: r for r in rv["lines"]}["llm_input_tokens"]
    assert inp["actual"] == 0.0
    assert rv["charges"]["purchase"] == {"amount": 500_000.0, "rows": 1}
    rc = rv["reconciliation"]
    assert rc["invoice_total"] == 500_000.00 and rc["purchases"] == 500_000.00
    assert rc["rows"]["purchases"] == 1 and rc["rows"]["lines"] == 2
    eff = review(tmp_path, [DRAWDOWN], rules)
    assert {r["line"]: r for r in eff["lines"]}["llm_input_tokens"]["actual"] == 50.00
    assert eff["reconciliation"]["invoice_total"] == 500_000.00  # BilledCost, always
    assert eff["reconciliation"]["basis_difference"] == pytest.approx(50.00)


@pytest.mark.slow
def test_invoice_sheet_and_report_on_the_drawdown_sample(tmp_path: Path) -> None:
    """The workbook's Invoice sheet, recalculated by LibreOffice: the parts' =SUM() is the
    invoice total, 500,000.00, to the cent, with a difference of 0; the HTML report's
    invoice table ends in the invoice total."""
    import json

    from recalc import load_values, recalculated_values

    from aiopex.batch.review_run import write_outputs

    rules = 'rules:\n  - line: llm_input_tokens\n    match: {ServiceName: "~Solora.*"}\n'
    rv = review(tmp_path, [DRAWDOWN], rules, basis="billed")
    out = tmp_path / "out"
    write_outputs(Review.from_data(rv), out, render=True)
    data = json.loads((out / "review.json").read_text())
    assert data["reconciliation"]["invoice_total"] == 500_000.00
    for wb in (
        load_values(out / "review.xlsx"),
        recalculated_values(out / "review.xlsx", tmp_path / "rc"),
    ):
        ws = wb["Invoice"]
        rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True) if r[0]}
        assert rows["purchases"][0] == 500_000.00 and rows["purchases"][1] == 1
        assert rows["lines"][0] == 0.00 and rows["lines"][1] == 2
        assert rows["invoice total"][0] == pytest.approx(500_000.00, abs=0.005)
        assert rows["invoice total"][1] == 3
        assert rows["difference"][0] == 0
    html = (out / "review.html").read_text()
    assert "The invoice" in html
    table = html[html.index("purchases (prepayments") :]  # the parts, then the total
    assert ">invoice total</td>" in table and ">500,000.00</td>" in table
