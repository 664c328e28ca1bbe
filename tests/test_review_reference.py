"""The review against tests/reference_review.py, a plain reference written from the
review's definitions without aiopex: on generated lines (hypothesis), and on the
bundled example (data/actuals, as `make demo` runs it)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_review import Line, outlook
from reference_review import review as review_reference

from aiopex.model import variance as V  # noqa: N812

MONTHS = ["2027-01", "2027-02", "2027-03"]
DRIVERS = ["per_request", "per_1k_input_tokens", "fixed", "fte", "capacity", "per_active_user"]
CATEGORIES = ["compute", "support", "data"]

money = st.floats(0, 50_000, allow_nan=False).map(lambda x: round(x, 2))
qty = st.floats(0, 1e6, allow_nan=False)


@st.composite
def lines(draw: st.DrawFn) -> tuple[list[Line], float | None, float | None]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 40))  # kept draws
    out = []
    for i in range(n):
        base = draw(st.lists(money, min_size=3, max_size=3))
        if draw(st.booleans()):
            base = [0.0, 0.0, 0.0]
        quantity = draw(st.lists(qty, min_size=3, max_size=3))
        spread = draw(st.sampled_from([0.0, 0.1, 0.5]))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        draws = (
            np.array(base) * rng.lognormal(0, spread, (k, 3)) if spread else np.tile(base, (k, 1))
        )
        ln = Line(
            name=f"line{i}",
            category=draw(st.sampled_from(CATEGORIES)),
            driver=draw(st.sampled_from(DRIVERS)),
            baseline=base,
            quantity=quantity,
            draws=draws.tolist(),
        )
        if draw(st.integers(0, 4)) > 0:  # a line with actuals in some months
            for m in MONTHS:
                if draw(st.integers(0, 5)) > 0:
                    ln.actual[m] = draw(money)
                    ln.actual_q[m] = draw(st.one_of(st.none(), qty))
        out.append(ln)
    usage = draw(st.one_of(st.none(), st.tuples(qty, qty)))
    Rb, Ra = usage if usage is not None else (None, None)
    return out, Rb, Ra


def _inputs(ls: list[Line]) -> list[V.LineInput]:
    """The same lines as the review's variance takes them: totals over the period."""
    items = []
    for ln in ls:
        qs = [ln.actual_q.get(m) for m in MONTHS if m in ln.actual]
        items.append(
            V.LineInput(
                line=ln.name,
                category=ln.category,
                driver=ln.driver,
                B=float(sum(ln.baseline)),
                Qb=float(sum(ln.quantity)),
                A=float(sum(ln.actual.values())) if ln.actual else None,
                Qa=None if any(q is None for q in qs) else float(sum(q or 0.0 for q in qs)),
                draws=np.array(ln.draws).sum(axis=1),
            )
        )
    return items


def close(got: object, want: object, what: str) -> None:
    if want is None or isinstance(want, bool | str):
        assert got == want, what
    else:
        assert isinstance(got, float | int), what
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (what, got, want)


FIELDS = ("baseline", "actual", "variance", "volume", "price", "driver", "intensity",
          "unexplained", "percentile", "band", "material", "investigate", "status")  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(lines())
def test_variance_split_band_and_judgement_match_the_reference(case) -> None:
    ls, Rb, Ra = case
    # the review lists no line that expected nothing and billed nothing
    ls = [ln for ln in ls if ln.actual or sum(ln.baseline) != 0]
    if not ls:
        return
    want = review_reference(ls, MONTHS, Rb, Ra)
    got = V.line_rows(_inputs(ls), Rb, Ra)
    for g, w in zip(got, want["lines"], strict=True):
        for f in FIELDS:
            close(g[f], w[f], f"{g['line']}.{f}")
    draws = np.array([ln.draws for ln in ls]).sum(axis=(0, 2))
    total = V.aggregate(got, draws)
    for f in FIELDS:
        close(total[f], want["total"][f], f"total.{f}")
    assert V.outside_band(got)["lines"] == want["outside_band"]["lines"]


# -- the bundled example, as `make demo` reviews it -----------------------------------------

ROOT = Path(__file__).resolve().parents[1]
ACTUALS = ROOT / "data" / "actuals"


@pytest.fixture(scope="module")
def demo_review(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo's baseline and review (1,000 draws, seed 42), read back from their files."""
    from aiopex.cli import main

    d = tmp_path_factory.mktemp("demo_review")
    scenario = ACTUALS / "claims_assistant.yaml"
    args = ["baseline", str(scenario), "--as-of", "2026-12", "--draws", "1000", "--seed", "42"]
    assert main([*args, "--out", str(d / "bl")]) == 0
    baseline = d / "bl" / "claims_assistant" / "2026-12"
    rc = main(
        ["review", "--baseline", str(baseline), "--actuals", str(ACTUALS / "focus"),
         str(ACTUALS / "other_costs.csv"), "--map", str(ACTUALS / "mapping.yaml"),
         "--usage", str(ACTUALS / "usage.csv"), "--period", "2027-Q1", "--out", str(d / "rv"),
         "--no-report"]
    )  # fmt: skip
    assert rc in (0, 3)
    return {
        "baseline": baseline / "result",
        "review": json.loads((d / "rv" / "review.json").read_text(encoding="utf-8")),
        "monthly": list(csv.DictReader(open(d / "rv" / "review_monthly.csv", encoding="utf-8"))),
    }


def _demo_reference(demo: dict[str, Any]) -> tuple[dict[str, Any], tuple[float, float]]:
    """The reference's review of the demo, from the baseline's files (pandas reads the
    Parquet tables), the actuals as the package's reader totals them per line and month,
    the usage CSV, and the re-forecast's point amounts of the months after the period."""
    import pandas as pd

    from aiopex.inputs.actuals_reader import read_actuals
    from aiopex.inputs.mapping import load_mapping

    review = demo["review"]
    months = review["months"]
    lines = pd.read_parquet(demo["baseline"] / "lines.parquet")
    kept = pd.read_parquet(demo["baseline"] / "kept.parquet")
    drivers = pd.read_parquet(demo["baseline"] / "drivers.parquet")
    labels = list(drivers["month"])
    idx = [labels.index(m) for m in months]
    names = list(dict.fromkeys(lines["line"]))
    drv = dict(zip(lines["line"], lines["driver"], strict=False))
    mapping = load_mapping(ACTUALS / "mapping.yaml", set(names))
    act = read_actuals(
        [ACTUALS / "focus", ACTUALS / "other_costs.csv"],
        lines=drv,
        currency=review["currency"],
        mapping=mapping,
    ).lines
    usage = list(csv.DictReader(open(ACTUALS / "usage.csv", encoding="utf-8")))
    Ra = sum(float(u["requests"]) for u in usage if u["month"] in months)
    Rb = sum(float(drivers["requests"][k]) for k in idx)
    ref_lines = []
    for name in names:
        mine = lines[lines["line"] == name].set_index("m")
        draws = [list(np.asarray(a)[idx]) for a in kept[kept["line"] == name]["amount"]]
        a = act[(act["line"] == name) & act["month"].isin(months)]
        ref_lines.append(
            Line(
                name=name,
                category=str(mine["category"].iloc[0]),
                driver=drv[name],
                baseline=[float(mine.loc[k, "amount"]) for k in idx],
                quantity=[float(mine.loc[k, "quantity"]) for k in idx],
                draws=draws,
                actual={str(r.month): float(r.amount) for r in a.itertuples()},
                actual_q={
                    str(r.month): None if pd.isna(r.quantity) else float(r.quantity)
                    for r in a.itertuples()
                },
            )
        )
    want = review_reference(ref_lines, months, Rb, Ra)
    fy = [row["month"] for row in demo["monthly"] if row["line"] == names[0]]
    base = {n: dict(zip(lines[lines["line"] == n]["month"], lines[lines["line"] == n]["amount"],
                        strict=True)) for n in names}  # fmt: skip
    actual = {n: {str(r.month): float(r.amount) for r in act[act["line"] == n].itertuples()}
              for n in names}  # fmt: skip
    later = {n: {} for n in names}
    for row in demo["monthly"]:
        if row["after_period"] == "True":
            later[row["line"]][row["month"]] = float(row["reforecast"])
    billed = {ln.name for ln in ref_lines if ln.actual}
    return want, outlook(fy, months[-1], base, actual, billed, later)


@pytest.mark.slow
def test_the_demo_review_matches_the_reference(demo_review: dict[str, Any]) -> None:
    want, (out, base) = _demo_reference(demo_review)
    got = demo_review["review"]
    rows = {r["line"]: r for r in got["lines"]}
    assert set(rows) == {r["line"] for r in want["lines"]}
    for w in want["lines"]:
        for f in FIELDS:
            close(rows[w["line"]][f], w[f], f"{w['line']}.{f}")
    cats = {c["category"]: c for c in got["categories"]}
    for c, w in want["categories"].items():
        for f in FIELDS:
            close(cats[c][f], w[f], f"{c}.{f}")
    for f in FIELDS:
        close(got["total"][f], want["total"][f], f"total.{f}")
    assert got["outside_band"]["lines"] == want["outside_band"]["lines"]
    assert got["outside_band"]["of"] == want["outside_band"]["of"]
    close(got["reforecast"]["outlook"], out, "outlook")
    close(got["reforecast"]["baseline"], base, "reforecast.baseline")
