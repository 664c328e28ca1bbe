"""A commitment in the quarterly review: doc_extraction_gpu's savings plan and the GPU
nodes it covers, judged as one group against a quarter of FOCUS billing with Used,
Unused and Purchase rows (tests/commitment_focus.py), end to end through the command
line; the group's baseline, actual and split recomputed here from the scenario's
formulas and the export's rows, independently of the review's code."""

from __future__ import annotations

import json
from pathlib import Path

import commitment_focus as F  # noqa: N812
import numpy as np
import pytest

import aiopex
from aiopex.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "doc_extraction_gpu.yaml"
Q3 = ["2027-07", "2027-08", "2027-09"]
C, D, COVERED, PLAN = 3500.0, 0.30, "gpu_inference_nodes", "gpu_savings_plan"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("baselines")
    rc = main(["baseline", str(SCENARIO), "--as-of", "2027-06", "--draws", "1000", "--seed", "7",
               "--out", str(d)])  # fmt: skip
    assert rc == 0
    return d / "doc_extraction_gpu" / "2027-06"


@pytest.fixture(scope="module")
def reviewed(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    tmp = tmp_path_factory.mktemp("review")
    export, mapping = F.write(tmp / "actuals")
    out = tmp / "out"
    rc = main(["review", "--baseline", str(baseline), "--actuals", str(export), "--map",
               str(mapping), "--period", "2027-Q3", "--out", str(out)])  # fmt: skip
    assert rc == 0
    return json.loads((out / "review.json").read_text()), out


def independent(baseline: Path) -> dict[str, float]:
    """The group's numbers from the scenario's formulas (on-demand spend ``S(m)`` =
    node-months times the escalated on-demand rate, ``E = C / (1 - d)``) and from the
    export's rows as written."""
    bl = aiopex.load_baseline(baseline)
    r = bl.result
    led = r.lines
    nodes = led[(led["line"] == COVERED)].set_index("m")
    spec = next(s for s in r.line_specs if s.name == COVERED)
    ms = [r.months.index(m) for m in Q3]
    qty = np.array([float(nodes.loc[m, "quantity"]) for m in ms])
    S = qty * spec.rate * (1 + spec.escalation_per_year) ** (np.array(ms) / 12.0)
    E = C / (1 - D)
    B = float(np.sum(C + np.maximum(S - E, 0.0)))
    unused_b = float(np.sum(C - (1 - D) * np.minimum(S, E)))
    rows = F.rows()
    A = sum(
        float(x["EffectiveCost"])
        for x in rows
        if x["ChargeCategory"] == "Usage"
        and (x.get("Tags") or x.get("CommitmentDiscountId") == F.PLAN_ID)
    )
    unused_a = sum(
        float(x["EffectiveCost"])
        for x in rows
        if x.get("CommitmentDiscountStatus") == "Unused" and x["CommitmentDiscountId"] == F.PLAN_ID
    )
    Qa = sum(F.HOURS.values()) / F.HOURS_PER_NODE_MONTH
    Qb = float(qty.sum())
    pb = float(S.sum()) / Qb
    # the band: the kept draws of the plan's line and the nodes, summed over the quarter
    d = r.draws
    ii = [list(d.line_names).index(n) for n in (COVERED, PLAN)]
    draws = np.asarray(d.amount)[:, ii][:, :, ms].sum(axis=(1, 2))
    return {
        "B": B, "A": A, "Qa": Qa, "Qb": Qb, "pb": pb, "volume": (Qa - Qb) * pb,
        "unused": unused_a - unused_b, "unused_a": unused_a, "unused_b": unused_b,
        "percentile": float(np.mean(draws <= A) * 100),
        "p10": float(np.percentile(draws, 10)), "p90": float(np.percentile(draws, 90)),
    }  # fmt: skip


def test_the_group_against_an_independent_computation(
    baseline: Path, reviewed: tuple[dict, Path]
) -> None:
    rv, _ = reviewed
    x = independent(baseline)
    rows = {r["line"]: r for r in rv["lines"]}
    assert COVERED not in rows  # judged inside the group, not on its own
    g = rows[PLAN]
    assert g["group"] == "commitment" and g["status"] == "ok"
    assert g["baseline"] == pytest.approx(x["B"], rel=1e-9)
    assert g["actual"] == pytest.approx(x["A"], rel=1e-12)
    assert g["actual"] == pytest.approx(15830.0)  # 3,500 + 5,070 + 7,260: by hand
    assert g["variance"] == pytest.approx(x["A"] - x["B"], rel=1e-9)
    assert g["volume"] == pytest.approx(x["volume"], rel=1e-9)
    assert g["unused"] == pytest.approx(x["unused"], rel=1e-9)
    assert g["unused_actual"] == pytest.approx(434.0) and x["unused_a"] == pytest.approx(434.0)
    assert g["unused_baseline"] == pytest.approx(x["unused_b"], rel=1e-9)
    assert g["unexplained"] == pytest.approx(
        x["A"] - x["B"] - x["volume"] - x["unused"], rel=1e-9, abs=1e-6
    )
    assert g["volume"] + g["price"] + g["unused"] + g["unexplained"] == pytest.approx(
        g["variance"], abs=1e-6
    )
    (cov,) = g["covers"]
    assert cov["line"] == COVERED
    assert cov["actual_quantity"] == pytest.approx(x["Qa"]) and x["Qa"] == pytest.approx(9.0)
    assert cov["baseline_quantity"] == pytest.approx(x["Qb"])
    assert cov["on_demand_rate"] == pytest.approx(x["pb"], rel=1e-9)
    # judged like a line, on the draws of the group's total
    assert g["percentile"] == pytest.approx(x["percentile"])
    band = "above" if x["A"] > x["p90"] else "below" if x["A"] < x["p10"] else "within"
    assert g["band"] == band
    assert g["material"] is (abs(x["A"] - x["B"]) >= max(0.05 * x["B"], 1000.0))
    assert g["investigate"] is (g["material"] and band != "within")
    # the total holds the group; the other plan's unused part stays beside the outlook
    assert rv["total"]["unused"] == pytest.approx(g["unused"])
    assert rv["total"]["actual"] == pytest.approx(x["A"])
    un = rv["charges"]["unused_commitment"]
    assert un["amount"] == pytest.approx(120.0) and un["by_commitment"] == {"web-plan": 120.0}
    assert un["in_groups"] == {PLAN: pytest.approx(434.0)}
    # the invoice: purchases billed, the plan's usage rows amortized
    rc = rv["reconciliation"]
    assert rc["purchases"] == pytest.approx(3 * C) and rc["invoice_total"] == pytest.approx(
        3 * C + sum(F.month_split(h)["overage_cost"] for h in F.HOURS.values())
    )


@pytest.mark.slow
def test_the_workbook_recalculates_the_group(reviewed: tuple[dict, Path], tmp_path: Path) -> None:
    """LibreOffice recalculates the group's row of ``Lines`` from the ``Commitments``
    sheet: volume from the covered line's quantities, unexplained net of the unused part."""
    from recalc import recalculated_values

    rv, out = reviewed
    g = next(r for r in rv["lines"] if r.get("group"))
    wb = recalculated_values(out / "review.xlsx", tmp_path)
    ws = wb["Lines"]
    row = next(r for r in ws.iter_rows(min_row=3) if str(r[0].value).startswith(PLAN))
    assert row[9].value == pytest.approx(g["variance"], rel=1e-9)
    assert row[10].value == pytest.approx(g["volume"], rel=1e-9)
    assert row[12].value == pytest.approx(g["unexplained"], rel=1e-9)
    assert row[18].value == g["band"] and bool(row[20].value) is g["investigate"]
    cs = wb["Commitments"]
    values = [c.value for r in cs.iter_rows() for c in r]
    assert any(v == pytest.approx(g["unused"], rel=1e-9) for v in values if isinstance(v, float))
    total = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "total")
    assert total[12].value == pytest.approx(rv["total"]["unexplained"], rel=1e-9)
    cats = {r[0].value: r for r in wb["Categories"].iter_rows(min_row=2)}
    assert cats["total"][15].value == pytest.approx(rv["total"]["unused"], rel=1e-9)
    assert wb["Categories"]["P1"].value == "unused commitment (groups)"


def test_the_report_shows_the_group(reviewed: tuple[dict, Path]) -> None:
    _, out = reviewed
    html = (out / "review.html").read_text()
    assert "<h2>Commitments</h2>" in html and "gpu_savings_plan: 3,500 USD a month" in html


def test_mapping_commitments_every_problem_at_once(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, _ = F.write(tmp_path / "actuals")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - line: gpu_inference_nodes\n    match: {ServiceName: Virtual Machines}\n"
        "    quantity_scale: 0.00136986\n"
        "commitments:\n"
        "  - commitment: gpu_savings_plan_x\n    match: {CommitmentDiscountId: sp-1}\n"
        "  - commitment: gpu_savings_plan\n    match: {CommitmentDiscountId: '~(?=x)'}\n"
        "  - commitment: gpu_savings_plan\n    match: {}\n    term: 3\n"
    )
    out = tmp_path / "out"
    rc = main(["review", "--baseline", str(baseline), "--actuals", str(export), "--map",
               str(bad), "--period", "2027-Q3", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "commitments[0].commitment: unknown commitment 'gpu_savings_plan_x'" in err
    assert "did you mean gpu_savings_plan?" in err
    assert "commitments[1].match.CommitmentDiscountId: bad regular expression" in err
    assert "commitments[2].match: expected at least one" in err
    assert "commitments[2].term: unknown field" in err
    assert "Traceback" not in err


def test_reprice_leaves_the_covered_lines_rates(baseline: Path, tmp_path: Path) -> None:
    """--reprice multiplies a line's rate by pa / pb; a covered line's amortized actuals
    show no on-demand price, so its re-forecast is the same with and without, while a line
    billed at twice its baseline price (document storage, native actuals) is repriced."""
    export, mapping = F.write(tmp_path / "actuals")
    r = aiopex.load_baseline(baseline).result
    led = r.lines[r.lines["line"] == "document_storage"].set_index("m")
    native = tmp_path / "storage.csv"
    native.write_text("month,line,amount,quantity\n" + "".join(
        f"{m},document_storage,{2 * float(led.loc[k, 'amount']):.6f},{led.loc[k, 'quantity']}\n"
        for k, m in ((r.months.index(m), m) for m in Q3)
    ))  # fmt: skip
    plain = aiopex.review(baseline, [export, native], "2027-Q3", mapping=mapping)
    priced = aiopex.review(baseline, [export, native], "2027-Q3", mapping=mapping, reprice=True)
    names = [s.name for s in r.line_specs]
    later = [r.months.index(m) for m in r.months if m > Q3[-1]]
    a, b = plain.data["_reforecast_amount"], priced.data["_reforecast_amount"]
    for n in (COVERED, PLAN):
        np.testing.assert_array_equal(a[names.index(n), later], b[names.index(n), later])
    k = names.index("document_storage")
    np.testing.assert_allclose(b[k, later], 2 * a[k, later], rtol=1e-6)


def test_the_group_matches_the_plain_reference(baseline: Path, reviewed: tuple[dict, Path]) -> None:
    """tests/reference_review.py's commitment_group, fed plain lists of the baseline's
    amounts, quantities and kept draws and the export's rows, gives the group's row."""
    from reference_review import Commitment, Line, commitment_group

    rv, _ = reviewed
    r = aiopex.load_baseline(baseline).result
    ms = [r.months.index(m) for m in Q3]
    led = r.lines.set_index(["line", "m"])
    spec = next(s for s in r.line_specs if s.name == COVERED)
    d = r.draws
    amounts = np.asarray(d.amount)
    k = list(d.line_names)

    def draws(name: str) -> list[list[float]]:
        return [[float(x) for x in amounts[i, k.index(name), ms]] for i in range(len(amounts))]

    qty = [float(led.loc[(COVERED, m), "quantity"]) for m in ms]
    month_split = {m: F.month_split(h) for m, h in F.HOURS.items()}
    nodes = Line(
        COVERED, "compute", "capacity",
        baseline=[float(led.loc[(COVERED, m), "amount"]) for m in ms], quantity=qty,
        draws=draws(COVERED),
        actual={m: s["used_cost"] + s["overage_cost"] for m, s in month_split.items()},
        actual_q={m: h / F.HOURS_PER_NODE_MONTH for m, h in F.HOURS.items()},
    )  # fmt: skip
    plan = Commitment(
        PLAN, "compute", C, D, in_term=[1, 1, 1], covers=[nodes],
        on_demand={COVERED: [q * spec.rate * (1 + spec.escalation_per_year) ** (m / 12)
                             for q, m in zip(qty, ms, strict=True)]},
        draws=draws(PLAN),
        unused={m: s["unused"] for m, s in month_split.items() if s["unused"] > 0},
    )  # fmt: skip
    want = commitment_group(plan, Q3)
    got = next(x for x in rv["lines"] if x["line"] == PLAN)
    for key in ("baseline", "actual", "variance", "volume", "price", "unused", "unexplained",
                "unused_baseline", "percentile"):  # fmt: skip
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-6), key
    for key in ("band", "material", "investigate", "status"):
        assert got[key] == want[key], key


def test_a_rule_may_read_the_commitment_id_of_used_rows(baseline: Path, tmp_path: Path) -> None:
    """A rule on ``CommitmentDiscountId`` puts the plan's used rows on the line (the
    export's commitment columns are read for used rows too, not only for unused ones);
    the on-demand rows, which no rule names here, are unmapped."""
    export, _ = F.write(tmp_path / "actuals")
    by_id = tmp_path / "by_id.yaml"
    by_id.write_text(
        "rules:\n"
        "  - line: gpu_inference_nodes\n"
        '    match: {CommitmentDiscountId: "~.*/savingsPlans/sp-gpu-0042"}\n'
        f"    quantity_scale: {1 / F.HOURS_PER_NODE_MONTH!r}\n"
        + "commitments:"
        + F.MAPPING.split("commitments:", 1)[1]
    )
    rv = aiopex.review(baseline, [export], "2027-Q3", mapping=by_id).data
    g = next(r for r in rv["lines"] if r["line"] == PLAN)
    used = sum(F.month_split(h)["used_cost"] for h in F.HOURS.values())
    overage = sum(F.month_split(h)["overage_cost"] for h in F.HOURS.values())
    assert g["actual"] == pytest.approx(used + 434.0)  # 10,066 used + 434 unused
    assert rv["unmapped"]["amount"] == pytest.approx(overage)
