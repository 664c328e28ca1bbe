"""The review's arithmetic on a small baseline built by hand: periods, lines, categories,
total, bands from the draws, the re-forecast and the fiscal-year outlook (REVIEW.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aiopex.analyses.review import (
    BaselineArrays,
    Inputs,
    Review,
    check_inputs,
    compute_review,
    parse_period,
    public_json,
)
from aiopex.errors import DataError
from aiopex.inputs.actuals import Actuals
from aiopex.model.costs import LineSpec

H, K = 12, 1000
MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]
Q1 = MONTHS[:3]


def baseline() -> BaselineArrays:
    """Three lines over 2027: input tokens (1 per request / 1000 * 1500), a fixed vector
    store, a GPU capacity line (1 unit per 40,000 requests); requests 100,000 a month."""
    specs = [
        LineSpec("llm_input_tokens", "compute", "per_1k_input_tokens", 0.003, 0.0, 0, H - 1),
        LineSpec("vector_store", "data", "fixed", 500.0, 0.0, 0, H - 1),
        LineSpec("gpu", "compute", "capacity", 2000.0, 0.0, 0, H - 1, None, None, 40000.0, 1),
    ]
    req = np.full(H, 100000.0)
    qty = np.vstack([req * 1500 / 1000, np.ones(H), np.ceil(req / 40000)])
    rate = np.array([[0.003] * H, [500.0] * H, [2000.0] * H])
    amount = qty * rate
    rng = np.random.default_rng(1)
    mult = rng.lognormal(0.0, 0.15, size=(K, 1, 1))  # a draw's whole path is high or low
    dq = qty[None] * np.concatenate([mult, np.ones((K, 1, 1)), np.ones((K, 1, 1))], axis=1)
    da = dq * rate[None] * rng.lognormal(0.0, 0.05, size=(K, 3, 1))
    return BaselineArrays(
        months=MONTHS, names=[s.name for s in specs], categories=[s.category for s in specs],
        drivers=[s.driver for s in specs], specs=specs, amount=amount, quantity=qty, rate=rate,
        requests=req, active_users=np.full(H, 700.0), accuracy=np.full(H, 0.9),
        draws_amount=da, draws_quantity=dq, currency="EUR", acceptable=0.85,
        fiscal_year_start=1, seed=7,
    )  # fmt: skip


def actuals(rows: list[tuple[str, str, float, float | None]]) -> Actuals:
    a = Actuals.empty()
    a.lines = pd.DataFrame(rows, columns=["line", "month", "amount", "quantity"]).assign(rows=1)
    a.unmapped = pd.DataFrame(
        [("Azure Monitor", "2027-02", 40.0, 3)], columns=["service", "month", "amount", "rows"]
    )
    a.buckets = pd.DataFrame(
        [("Tax", "2027-03", 90.0, 1)], columns=["bucket", "month", "amount", "rows"]
    )
    a.corrections = pd.DataFrame(
        [("llm_input_tokens", "2027-02", -15.0, 1)], columns=["line", "month", "amount", "rows"]
    )
    a.files = ["x.csv"]
    return a


def q1_actuals() -> Actuals:
    rows = []
    for m in Q1:
        # tokens: 20% more volume at a 10% higher price; the GPU as planned; no vector store
        rows.append(("llm_input_tokens", m, 150000 * 1.2 * 0.0033, 150000 * 1.2))
        rows.append(("gpu", m, 6000.0, 3.0))
    return actuals(rows)


def usage(req: float = 110000.0, acc=(0.9, 0.84, 0.88)) -> pd.DataFrame:
    return pd.DataFrame(
        {"requests": [req] * 3, "accuracy": list(acc)}, index=pd.Index(Q1, name="month")
    )


def test_periods() -> None:
    assert parse_period("2027-Q4") == ["2027-10", "2027-11", "2027-12"]
    assert parse_period("FY2028-Q2", 4) == ["2027-07", "2027-08", "2027-09"]
    with pytest.raises(DataError, match="--period"):
        parse_period("2027Q1")


def test_lines_categories_total_and_bands() -> None:
    b = baseline()
    rv = compute_review(b, Q1, Inputs(q1_actuals(), usage()), "2027-Q1")
    lines = {r["line"]: r for r in rv["lines"]}
    t = lines["llm_input_tokens"]
    B, A = 3 * 450.0, 3 * 150000 * 1.2 * 0.0033
    assert t["baseline"] == pytest.approx(B) and t["actual"] == pytest.approx(A)
    assert t["volume"] == pytest.approx(0.2 * B)
    assert t["price"] == pytest.approx((0.0033 - 0.003) * 3 * 180000)
    assert t["volume"] + t["price"] + t["unexplained"] == pytest.approx(t["variance"])
    # requests 300,000 -> 330,000; tokens per request 1.5 -> 1.6364 (in 1k)
    assert t["driver"] == pytest.approx(30000 * 1.5 * 0.003)
    assert t["driver"] + t["intensity"] == pytest.approx(t["volume"])
    draws = b.draws_amount[:, 0, :3].sum(axis=1)
    assert t["percentile"] == pytest.approx(100 * np.mean(draws <= A))
    vs = lines["vector_store"]
    assert vs["status"] == "no_actuals" and vs["band"] is None and vs["driver"] is None
    assert vs["actual"] == 0.0 and not vs["investigate"]
    cats = {c["category"]: c for c in rv["categories"]}
    assert cats["compute"]["actual"] == pytest.approx(A + 18000.0)
    cd = b.draws_amount[:, [0, 2], :3].sum(axis=(1, 2))
    assert cats["compute"]["percentile"] == pytest.approx(100 * np.mean(cd <= A + 18000.0))
    td = b.draws_amount[:, :, :3].sum(axis=(1, 2))
    p10, p90 = np.percentile(td, [10, 90])
    tot = rv["total"]
    assert tot["_p10"] == pytest.approx(p10) and tot["_p90"] == pytest.approx(p90)
    assert tot["variance"] == pytest.approx(sum(r["variance"] for r in rv["lines"]))
    assert rv["usage"]["actual"] == 330000.0 and rv["usage"]["variance"] == 30000.0
    assert rv["usage"]["accuracy"]["below_acceptable"] == ["2027-02"]
    assert rv["unmapped"]["by_service"]["Azure Monitor"] == {"amount": 40.0, "rows": 3}
    assert rv["charges"]["tax"]["amount"] == 90.0
    assert rv["corrections"]["by_line"] == {"llm_input_tokens": -15.0}
    assert rv["outside_band"]["of"] == 2 and rv["outside_band"]["expected_share"] == 0.2


def test_reforecast_and_outlook() -> None:
    b = baseline()
    inp = Inputs(q1_actuals(), usage(120000.0))
    rv = compute_review(b, Q1, inp, "2027-Q1")
    rf = rv["reforecast"]
    s = 1.2  # 360,000 actual over 300,000 baseline requests
    A_q1 = 3 * (150000 * 1.2 * 0.0033 + 6000.0) + 3 * 500.0  # vector store: no_actuals -> baseline
    later = 9 * (450.0 * s + 500.0 + 2000.0 * np.ceil(100000 * s / 40000))
    assert rf["outlook"] == pytest.approx(A_q1 + later)
    assert rf["baseline"] == pytest.approx(b.amount.sum())
    assert rf["fiscal_year"] == "2027"
    assert rf["p10"] <= rf["outlook"] <= rf["p90"] or rf["p10"] <= rf["p90"]
    # --reprice: the tokens' rate times pa / pb = 1.1 after the period
    rp = compute_review(b, Q1, Inputs(q1_actuals(), usage(120000.0), reprice=True), "2027-Q1")
    diff = rp["reforecast"]["outlook"] - rf["outlook"]
    assert diff == pytest.approx(9 * 450.0 * s * 0.1)
    # without usage actuals the baseline's usage stays
    nu = compute_review(b, Q1, Inputs(q1_actuals()), "2027-Q1")
    assert nu["reforecast"]["outlook"] == pytest.approx(A_q1 + 9 * (450 + 500 + 6000))
    assert nu["usage"] is None
    assert all(r["driver"] is None for r in nu["lines"])


def test_json_shape_and_checks() -> None:
    b = baseline()
    rv = public_json(compute_review(b, Q1, Inputs(q1_actuals(), usage()), "2027-Q1"))
    for k in ("period", "months", "currency", "cost_basis", "lines", "categories", "total",
              "usage", "unmapped", "corrections", "outside_band", "reforecast"):  # fmt: skip
        assert k in rv
    line = rv["lines"][0]
    assert list(line)[:2] == ["line", "category"]
    keys = "baseline actual variance volume price driver intensity unexplained percentile band"
    for k in (*keys.split(), "material", "investigate", "status"):
        assert k in line
    assert set(rv["reforecast"]) >= {"fiscal_year", "outlook", "baseline", "p10", "p90"}
    # a period beyond the horizon, and one the actuals do not cover
    probs = check_inputs(b, ["2027-12", "2028-01"], Inputs(q1_actuals(), usage()), "bl")
    assert any("outside the baseline's horizon" in p.message for p in probs)
    assert any("do not cover the period" in p.message for p in probs)
    assert any("no usage actuals" in p.message for p in probs)


@pytest.mark.slow
def test_outputs_workbook_parity_and_report(tmp_path) -> None:
    """review.json, the workbook recalculated by LibreOffice, the notebook and its HTML."""
    import json

    from recalc import load_values, recalculated_values

    from aiopex.batch.review_run import write_outputs

    b = baseline()
    rv = compute_review(b, Q1, Inputs(q1_actuals(), usage()), "2027-Q1")
    write_outputs(Review.from_data(rv), tmp_path, render=True)
    data = json.loads((tmp_path / "review.json").read_text())
    assert data["lines"][0]["line"] == "llm_input_tokens"
    html = (tmp_path / "review.html").read_text()
    assert "nb.load_review" not in html and "The variance bridge" in html  # no code
    cached = load_values(tmp_path / "review.xlsx")  # the values written with the formulas
    recalc = recalculated_values(tmp_path / "review.xlsx", tmp_path / "recalc")
    for wb in (cached, recalc):
        ws = wb["Lines"]
        header = [c.value for c in ws[2]]
        rows = list(ws.iter_rows(min_row=3, max_row=2 + len(data["lines"]), values_only=True))
        for row, want in zip(rows, data["lines"], strict=True):
            got = dict(zip(header, row, strict=True))
            assert got["line"] == want["line"]
            for key in ("variance", "volume", "price", "unexplained"):
                assert got[key] == pytest.approx(want[key], abs=1e-6)
            assert (None if got["band"] == "n/a" else got["band"]) == want["band"]
            assert bool(got["investigate"]) == want["investigate"]


def test_fiscal_quarter_and_outlook_months() -> None:
    """With the fiscal year starting in April, FY2027-Q4 is 2027-01..03 and the outlook of
    FY2027 (2026-04..2027-03) holds only the quarter's actuals: the baseline starts in 2027."""
    b = baseline()
    b.fiscal_year_start = 4
    months = parse_period("FY2027-Q4", 4)
    assert months == Q1
    rv = compute_review(b, months, Inputs(q1_actuals(), usage()), "FY2027-Q4")
    rf = rv["reforecast"]
    assert rf["fiscal_year"] == "2027"
    A_q1 = 3 * (150000 * 1.2 * 0.0033 + 6000.0) + 3 * 500.0  # vector store: baseline
    assert rf["outlook"] == pytest.approx(A_q1)
    assert rf["baseline"] == pytest.approx(b.amount[:, :3].sum())
    # FY2028 from April: the re-forecast covers 2027-04..2027-12 of the horizon
    rv2 = compute_review(b, ["2027-04", "2027-05", "2027-06"], Inputs(
        actuals([(ln, m, 1.0, None) for ln in ("gpu",) for m in ("2027-04", "2027-05", "2027-06")]),
    ), "FY2028-Q1")  # fmt: skip
    assert rv2["reforecast"]["fiscal_year"] == "2028"
    assert rv2["reforecast"]["baseline"] == pytest.approx(b.amount[:, 3:].sum())


def test_usage_band_from_the_baselines_request_draws() -> None:
    """Requests get a band from the baseline's own request draws whatever its cost lines
    (the hand-built baseline has no per_request line: the band was null); a baseline
    saved without request draws falls back to a per_request line, here none, and says so."""
    b = baseline()
    rng = np.random.default_rng(3)
    b.draws_requests = b.requests[None, :] * rng.lognormal(0.0, 0.1, size=(K, 1))
    rv = compute_review(b, Q1, Inputs(q1_actuals(), usage()), "2027-Q1")
    u = rv["usage"]
    per_draw = b.draws_requests[:, :3].sum(axis=1)
    p10, p90 = np.percentile(per_draw, [10, 90])
    assert u["percentile"] == pytest.approx(100 * np.mean(per_draw <= 330000.0))
    assert u["p10"] == pytest.approx(p10) and u["p90"] == pytest.approx(p90)
    assert u["band"] == ("above" if 330000.0 > p90 else "within")
    b.draws_requests = None  # an older baseline
    old = compute_review(b, Q1, Inputs(q1_actuals(), usage()), "2027-Q1")["usage"]
    assert old["percentile"] is None and old["band"] is None
    assert "without request draws" in old["band_from"]


def test_outlook_counts_a_month_without_actuals_as_0_and_lists_it() -> None:
    """A line with actuals in some months of the period only: the outlook takes its
    actuals (0 in the month without), like the variance, not the baseline for that month
    (REVIEW.md: per line); the month is listed as a data-quality item."""
    rows = [r for r in q1_actuals().lines.itertuples(index=False)]
    rows = [(r.line, r.month, r.amount, r.quantity) for r in rows]
    rows = [r for r in rows if not (r[0] == "gpu" and r[1] == "2027-02")]
    rv = compute_review(baseline(), Q1, Inputs(actuals(rows), usage(120000.0)), "2027-Q1")
    gpu = next(r for r in rv["lines"] if r["line"] == "gpu")
    assert gpu["actual"] == 12000.0 and gpu["status"] == "ok"
    s = 1.2
    A_q1 = 3 * 150000 * 1.2 * 0.0033 + 2 * 6000.0 + 3 * 500.0  # gpu's February counts 0
    later = 9 * (450.0 * s + 500.0 + 2000.0 * np.ceil(100000 * s / 40000))
    assert rv["reforecast"]["outlook"] == pytest.approx(A_q1 + later)
    gap = {"line": "gpu", "month": "2027-02", "counted_as": 0.0, "baseline": 6000.0}
    assert rv["missing_actuals"] == [gap]
    assert public_json(rv)["missing_actuals"] == rv["missing_actuals"]
    # the monthly totals add up to the outlook's known months
    tot = {t["month"]: t for t in rv["_monthly_total"]}
    om = {o["month"]: o for o in rv["_outlook_monthly"]}
    for m in Q1:
        assert tot[m]["actual"] + tot[m]["baseline_no_actuals"] == pytest.approx(om[m]["amount"])
    assert om["2027-02"]["amount"] == pytest.approx(150000 * 1.2 * 0.0033 + 500.0)
    from aiopex.outputs import review_report as rr

    said = "gpu: no actuals for 2027-02, counted as 0 (baseline 6,000)"
    pub = Review.from_data(public_json(rv))
    assert said in str(rr.headline(pub)) and said in rr.data_quality_table(pub).to_html()
    # a month that expected nothing (a one-off cost billed once) is not missing
    b = baseline()
    b.amount[b.names.index("gpu"), 1] = 0.0
    rv = compute_review(b, Q1, Inputs(actuals(rows), usage(120000.0)), "2027-Q1")
    assert rv["missing_actuals"] == []
