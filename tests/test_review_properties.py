"""Property tests over the review's inputs (hypothesis, bounded examples): random FOCUS rows
(good and hostile values), random mappings and periods, read and reviewed against a small
baseline built by hand. Whatever the input, the review either refuses it with a
:class:`DataError` or its numbers hold REVIEW.md's identities: per line, variance = actual -
baseline = volume + price + unexplained, driver + intensity = volume; a line with a row
without a quantity is all unexplained; the total's variance is the lines' sum."""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_review import MONTHS, baseline

from aiopex.analyses.review import Inputs, check_inputs, compute_review, parse_period, public_json
from aiopex.errors import DataError
from aiopex.inputs.actuals_reader import read_actuals
from aiopex.inputs.mapping import load_mapping

B = baseline()
LINES = dict(zip(B.names, B.drivers, strict=True))
SERVICES = ["Tokens", "Vector", "GPU", "Monitor", "=cmd|x"]
HEADER = [
    "ChargePeriodStart", "BillingPeriodStart", "BillingCurrency", "ChargeCategory",
    "ChargeClass", "ServiceName", "PricingQuantity", "PricingUnit", "EffectiveCost",
    "ProviderName",
]  # fmt: skip

clean = st.floats(min_value=-1e4, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.6g}")
maybe_empty = st.one_of(clean, st.sampled_from(["", "NULL"]))
row = st.fixed_dictionaries(
    {
        "month": st.sampled_from(MONTHS[:7]),
        "day": st.integers(1, 28),
        "currency": st.just("EUR"),
        "category": st.sampled_from(["Usage", "Usage", "Usage", "Tax", "Credit", "Purchase"]),
        "klass": st.sampled_from(["", "", "Correction"]),
        "service": st.sampled_from(SERVICES),
        "quantity": maybe_empty,
        "unit": st.sampled_from(["", "Hours", "Requests"]),
        "cost": clean,
        "date": st.just("ok"),
    }
)
#: One field of a row made hostile: what the readers must refuse, never crash on.
hostile = st.sampled_from(
    [
        ("cost", "nan"), ("cost", "inf"), ("cost", "1,5"), ("cost", "1,234.5"), ("cost", ""),
        ("quantity", "abc"), ("quantity", "-inf"), ("currency", "USD"), ("date", "4/1/27"),
        ("date", ""), ("service", ""), ("unit", "NULL"),
    ]
)  # fmt: skip
rule = st.fixed_dictionaries(
    {
        "line": st.sampled_from(B.names),
        "service": st.sampled_from(SERVICES[:4]),
        "scale": st.sampled_from([None, 1, 1, 0.001, 1000, 0]),
    }
)
period = st.sampled_from(
    ["2027-Q1", "2027-Q2", "FY2027-Q1", "2027-02..2027-04", "2027-01..2027-01"] * 3
    + ["2027-Q5", "2027-03..2027-01", "２０２７-Q1", "", "2031-Q1"]
)
usage = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False))


def _write(folder: Path, rows: list[dict], rules: list[dict]) -> tuple[Path, Path]:
    export = folder / "focus.csv"
    with export.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            start = f"{r['month']}-{r['day']:02d}T00:00:00Z" if r["date"] == "ok" else r["date"]
            w.writerow([
                start, f"{r['month']}-01T00:00:00Z", r["currency"], r["category"], r["klass"],
                r["service"], r["quantity"], r["unit"], r["cost"], "Cloud",
            ])  # fmt: skip
    mapping = folder / "map.yaml"
    lines = ["rules:"]
    for r in rules:
        scale = "" if r["scale"] is None else f", quantity_scale: {r['scale']}"
        lines.append(f"  - {{line: {r['line']}, match: {{ServiceName: {r['service']}}}{scale}}}")
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return export, mapping


def _close(a: float, b: float, *scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, *map(abs, scale)))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    base=st.lists(row, min_size=7, max_size=7),
    rows=st.lists(row, max_size=20),
    bad=st.lists(st.tuples(st.integers(0, 26), hostile), max_size=2),
    rules=st.lists(rule, min_size=1, max_size=4),
    text=period,
    requests=usage,
)
def test_review_of_random_focus_rows_holds_the_identities(
    base, rows, bad, rules, text, requests
) -> None:
    rows = [{**r, "month": m, "service": "Tokens"} for r, m in zip(base, MONTHS, strict=False)]
    rows += [dict(r) for r in rows]  # every month has a row of a line the rules may map
    for i, (field, value) in bad:
        rows[i % len(rows)][field] = value
    with tempfile.TemporaryDirectory() as d:
        export, map_file = _write(Path(d), rows, rules)
        try:
            months = parse_period(text, B.fiscal_year_start)
            mapping = load_mapping(map_file, set(LINES))
            actuals = read_actuals([export], lines=LINES, currency="EUR", mapping=mapping)
            use = None
            if requests is not None:
                use = pd.DataFrame(
                    {"requests": [requests] * len(months)}, index=pd.Index(months, name="month")
                )
            inp = Inputs(actuals, use)
            problems = check_inputs(B, months, inp, "baseline")
            if problems:
                raise DataError(problems)
            rv = compute_review(B, months, inp, text)
        except DataError as e:
            assert e.problems and all(str(p) for p in e.problems)
            event(f"refused: {e.problems[0].message[:30]}")
            return
    event("reviewed")
    assert months == sorted(months) and all(m in MONTHS for m in months)
    public_json(rv)  # plain data
    qty_missing = actuals.lines[actuals.lines["month"].isin(months)]
    qty_missing = set(qty_missing.loc[qty_missing["quantity"].isna(), "line"])
    total = 0.0
    for r in rv["lines"]:
        if r["actual"] is None:
            continue
        s = (r["actual"], r["baseline"], r["volume"], r["price"])
        assert _close(r["variance"], r["actual"] - r["baseline"], *s)
        assert _close(r["volume"] + r["price"] + r["unexplained"], r["variance"], *s)
        if r.get("driver") is not None:
            assert _close(r["driver"] + r["intensity"], r["volume"], r["driver"], r["intensity"])
        if r["line"] in qty_missing:  # a row without a quantity: all of it unexplained
            assert r["volume"] == 0 and r["price"] == 0
        assert all(math.isfinite(r[k]) for k in ("variance", "volume", "price", "unexplained"))
        total += r["variance"]
    assert _close(rv["total"]["variance"], total, total, rv["total"]["variance"])
