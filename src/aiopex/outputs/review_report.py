"""The review report: tables and charts the quarterly review notebook shows.

The notebook (``notebooks/quarterly_review.ipynb``) only calls these on the
``review.json`` and ``review_monthly.csv`` that :func:`aiopex.review.run_review`
wrote; :func:`render_review` runs it with Papermill and writes its HTML without code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from aiopex.outputs.html import HTML, money

NOTEBOOK = "quarterly_review.ipynb"
MONTHLY_CSV = "review_monthly.csv"


def load(review_json: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """``review.json`` and the monthly detail beside it."""
    p = Path(review_json)
    review = json.loads(p.read_text(encoding="utf-8"))
    monthly = pd.read_csv(p.parent / MONTHLY_CSV)
    return review, monthly


def headline(review: dict[str, Any]) -> HTML:
    """Period, total against baseline, the band, the outlook, what to investigate."""
    t, cur, rf = review["total"], review["currency"], review["reforecast"]
    ob = review["outside_band"]
    inv = [r["line"] for r in review["lines"] if r["investigate"]]
    flag = (
        f"<b style='color:#b42318'>investigate: {', '.join(inv) or 'the total'}</b>"
        if inv or t["investigate"]
        else "<b style='color:#027a48'>nothing to investigate</b>"
    )
    pct = "n/a" if t["percentile"] is None else f"{t['percentile']:.0f}"
    return HTML(
        f"<p><b>{review.get('system', '')} {review['period']}</b> "
        f"({review['months'][0]}..{review['months'][-1]}): actual {money(t['actual'], cur)} "
        f"against a baseline of {money(t['baseline'], cur)}, variance "
        f"{money(t['variance'], cur)} (percentile {pct} of the baseline's draws, "
        f"band <b>{t['band']}</b>). {ob['lines']} of {ob['of']} lines fell outside their "
        f"P10-P90 band; about {ob['expected_share']:.0%} would by chance. Fiscal year "
        f"{rf['fiscal_year']} outlook {money(rf['outlook'], cur)} (P10 {money(rf['p10'], cur)}, "
        f"P90 {money(rf['p90'], cur)}) against a baseline of {money(rf['baseline'], cur)}. "
        f"{flag}.</p>"
    )


def line_table(review: dict[str, Any]) -> Any:
    """The line variance: F (favourable, under baseline) or U, percentile, band, flags."""
    rows = []
    for r in review["lines"]:
        fu = "" if r["variance"] == 0 else ("U" if r["variance"] > 0 else "F")
        rows.append(
            {
                "line": r["line"],
                "category": r["category"],
                "baseline": r["baseline"],
                "actual": r["actual"],
                "variance": r["variance"],
                "F/U": fu,
                "volume": r["volume"],
                "price": r["price"],
                "driver": r["driver"],
                "intensity": r["intensity"],
                "unexplained": r["unexplained"],
                "percentile": r["percentile"],
                "band": r["band"] or "",
                "status": r["status"],
                "investigate": "yes" if r["investigate"] else "",
            }
        )
    df = pd.DataFrame(rows)
    num = [
        "baseline",
        "actual",
        "variance",
        "volume",
        "price",
        "driver",
        "intensity",
        "unexplained",
    ]
    fmt = {c: "{:,.0f}" for c in num} | {"percentile": "{:.0f}"}
    return (
        df.style.format(fmt, na_rep="")
        .hide(axis="index")
        .set_caption(f"Line variance, {review['currency']}: F under, U over the baseline")
    )


def data_quality_table(review: dict[str, Any]) -> Any:
    """What was not put on a line: unmapped cost by service, taxes, credits, corrections."""
    rows = [
        {"what": f"unmapped: {s}", "amount": v["amount"], "rows": v["rows"]}
        for s, v in review["unmapped"]["by_service"].items()
    ]
    for k, v in review.get("charges", {}).items():
        rows.append({"what": k, "amount": v["amount"], "rows": v["rows"]})
    c = review["corrections"]
    rows.append({"what": "corrections (included above)", "amount": c["amount"], "rows": c["rows"]})
    df = pd.DataFrame(rows)
    return (
        df.style.format({"amount": "{:,.2f}"})
        .hide(axis="index")
        .set_caption(
            f"Data quality, {review['currency']} (cost basis {review['cost_basis']}); "
            "reported beside the outlook, not inside it"
        )
    )


def bridge_chart(review: dict[str, Any]) -> Any:
    """Baseline -> volume -> price -> unexplained -> actual, one panel per category."""
    from matplotlib.figure import Figure

    from aiopex.outputs import charts as _charts  # noqa: F401 - Agg and the PNG display

    cats = review["categories"]
    cols = min(4, len(cats))
    nrows = -(-len(cats) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.4 * nrows))
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax in axes[len(cats) :]:
        ax.set_visible(False)
    for ax, c in zip(axes, cats, strict=False):
        steps = [("baseline", c["baseline"]), ("volume", c["volume"]), ("price", c["price"])]
        steps.append(("unexplained", c["unexplained"]))
        level = 0.0
        for i, (name, v) in enumerate(steps):
            if name == "baseline":
                ax.bar(i, v, color="#98a2b3")
                level = v
            else:
                ax.bar(i, v, bottom=level, color="#b42318" if v > 0 else "#027a48")
                level += v
        ax.bar(len(steps), c["actual"], color="#1f2933")
        ax.set_xticks(range(len(steps) + 1), [s for s, _ in steps] + ["actual"], rotation=30)
        ax.set_title(f"{c['category']} ({c['band']})")
    fig.suptitle(f"Variance bridge per category, {review['currency']} (red: over baseline)")
    fig.tight_layout()
    return fig


def _totals(monthly: pd.DataFrame) -> pd.DataFrame:
    """The monthly total rows (percentiles of per-draw totals), indexed by month."""
    from aiopex.names import REVIEW_TOTAL

    return monthly[monthly["line"] == REVIEW_TOTAL].set_index("month").sort_index()


def fan_chart(review: dict[str, Any], monthly: pd.DataFrame) -> Any:
    """The actual total per month against the baseline's P10-P90 of that month's total."""
    from matplotlib.figure import Figure

    from aiopex.outputs import charts as _charts  # noqa: F401 - Agg and the PNG display

    g = _totals(monthly)
    g = g[g.index.isin(review["months"])]
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    x = list(range(len(g)))
    ax.fill_between(x, g["p10"], g["p90"], color="#d0d5dd", label="baseline P10-P90")
    ax.plot(x, g["baseline"], color="#475467", label="baseline")
    ax.plot(x, g["actual"], "o-", color="#b42318", label="actual")
    ax.set_xticks(x, list(g.index))
    ax.set_title(f"Actual against the forecast, {review['currency']} a month")
    ax.legend()
    fig.tight_layout()
    return fig


def reforecast_chart(review: dict[str, Any], monthly: pd.DataFrame) -> Any:
    """The fiscal year: actuals to the switchover, then the re-forecast and its fan."""
    from matplotlib.figure import Figure

    from aiopex.outputs import charts as _charts  # noqa: F401 - Agg and the PNG display

    g = _totals(monthly)
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    x = list(range(len(g)))
    after = g["after_period"].astype(bool).to_numpy()
    ax.plot(x, g["baseline"], color="#98a2b3", label="baseline")
    xs = [i for i, a in zip(x, after, strict=True) if a]
    if xs:
        ax.fill_between(xs, g["reforecast_p10"][after], g["reforecast_p90"][after],
                        color="#fcd9bd", label="re-forecast P10-P90")  # fmt: skip
        ax.plot(xs, g["reforecast"][after], color="#c4320a", label="re-forecast")
    before = [i for i, a in zip(x, after, strict=True) if not a]
    ax.plot(before, g["actual"].to_numpy()[before], "o-", color="#1f2933", label="actual")
    ax.set_xticks(x, list(g.index), rotation=45)
    ax.set_title(f"Fiscal year {review['reforecast']['fiscal_year']}: switchover after "
                 f"{review['months'][-1]}")  # fmt: skip
    ax.legend()
    fig.tight_layout()
    return fig


def write_monthly(review: dict[str, Any], folder: Path) -> Path:
    """The monthly detail the notebook and workbook read (``review_monthly.csv``)."""
    from aiopex.atomic import atomic_path

    path = folder / MONTHLY_CSV
    with atomic_path(path) as tmp:
        pd.DataFrame(review["_monthly"]).to_csv(tmp, index=False)
    return path
