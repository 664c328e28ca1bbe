"""The review report: tables and charts the quarterly review notebook shows.

The notebook (``notebooks/quarterly_review.ipynb``) only calls these on the
``review.json`` and ``review_monthly.csv`` that :func:`aiopex.batch.review_run.run_review`
wrote; :func:`render_review` runs it with Papermill and writes its HTML without code.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aiopex.analyses.review.records import Accuracy, Amounts
from aiopex.analyses.review.value import Review
from aiopex.atomic import write_csv
from aiopex.model.reconciliation import PARTS
from aiopex.outputs.review_excel import quality_lines

if TYPE_CHECKING:  # pragma: no cover
    from pandas.io.formats.style_render import CSSDict

from aiopex.model import variance as V  # noqa: N812
from aiopex.outputs.format import missing, signed_money
from aiopex.outputs.html import HTML, money, note

NOTEBOOK = "quarterly_review.ipynb"
#: Per line and month: baseline, actual, the fan and the re-forecast (lines only: the file
#: sums to the lines' totals).
MONTHLY_CSV = "review_monthly.csv"
#: Per month, the total over the lines, with percentiles of per-draw totals.
MONTHLY_TOTAL_CSV = "review_monthly_total.csv"


def whole(value: float | None) -> str:
    """A whole amount with separators; a value that rounds to zero is ``0``, never ``-0``;
    ``None`` and NaN are empty.

    >>> whole(-0.0038), whole(-30579.4), whole(None)
    ('0', '-30,579', '')
    """
    if value is None or missing(value):
        return ""
    return f"{round(float(value)):,}"  # round() of a float is an int: no negative zero


def favourable(variance: float, status: str = "ok") -> str:
    """``U`` over the baseline, ``F`` under it, empty for a variance that rounds to 0 at
    the report's precision (whole currency units), ``no actuals`` for a line nobody billed
    (counted at 0, never a saving).

    >>> favourable(0.0012, "ok")
    ''
    >>> favourable(-30579.4, "no_actuals")
    'no actuals'
    >>> favourable(2151.5, "ok"), favourable(-2.6)
    ('U', 'F')
    """
    if status == "no_actuals":
        return "no actuals"
    v = round(float(variance))
    return "" if v == 0 else ("U" if v > 0 else "F")


def reported(review: Review) -> Amounts:
    """The total over the lines with actuals: ``baseline``, ``actual``, ``variance``.

    The review's total counts a line without actuals at ``A = 0``
    (docs/review.md#4-read-the-variance); this is the same total without those lines, so that a
    missing bill does not offset an overrun.
    """
    rows = [r for r in review.sections.lines if r.status != "no_actuals"]
    b = float(sum(r.baseline for r in rows))
    a = float(sum(r.actual for r in rows))
    return Amounts(baseline=b, actual=a, variance=a - b)


def _chance_text(review: Review) -> str:
    ob = review.sections.outside_band
    ch = review.sections.outside_band_by_chance
    said = f"{ob.lines} of {ob.of} lines fell outside their P10-P90 band"
    if not ch:
        return f"{said}; about {ob.expected_share:.0%} would by chance."
    fixed = len(ch.fixed)
    why = f"; the other {fixed} are fixed in the forecast (P10 = P90) and cannot" if fixed else ""
    return (
        f"{said}. By chance alone about {ch.expected_lines:.1f} would: "
        f"{ch.expected_share:.0%} of the {ch.can_vary} lines whose forecast has a "
        f"range{why}."
    )


def _accuracy(review: Review) -> Accuracy | None:
    u = review.sections.usage
    return None if u is None else u.accuracy


def _accuracy_text(review: Review) -> str:
    acc = _accuracy(review)
    if not acc:
        return ""
    below = acc.below_acceptable
    by_month = {m.month: m for m in acc.months}
    if below:
        assert acc.acceptable is not None  # a month is below it
        months = ", ".join(f"{m} ({by_month[m].actual:.2f})" for m in below)
        return (
            "<p style='color:#b42318;border-left:4px solid #b42318;padding-left:8px'>"
            f"<b>The model degraded: accuracy fell below the acceptable {acc.acceptable:.2f} "
            f"in {months}.</b> See <i>Usage and model quality</i>.</p>"
        )
    if acc.acceptable is not None and acc.months:
        low = min(m.actual for m in acc.months)
        return (
            f"<p>Accuracy stayed at or above the acceptable {acc.acceptable:.2f} every month "
            f"(lowest {low:.2f}).</p>"
        )
    return ""


def _usage_text(review: Review) -> str:
    u = review.sections.usage
    if not u:
        return "<p>No usage actuals were given: requests and accuracy are not reviewed.</p>"
    rel = f" ({u.variance / u.baseline:+.1%})" if u.baseline else ""
    band = (
        f", percentile {u.percentile:.0f} of the baseline's draws, band <b>{u.band}</b>"
        if u.percentile is not None
        else ""
    )
    src = u.band_from
    how = f" Band from {src}." if src and src != "the baseline's request draws" else ""
    return (
        f"<p>Requests: {u.actual:,.0f} against a baseline of {u.baseline:,.0f}, "
        f"variance {u.variance:+,.0f}{rel}{band}.{how}</p>"
    )


def headline(review: Review) -> HTML:
    """Period, total against baseline (and the lines with no actuals), usage, the model's
    accuracy, the band, the outlook, what to investigate."""
    s = review.sections
    t, cur, rf = s.total, s.currency, s.reforecast
    inv = [r.line for r in s.lines if r.investigate]
    flag = (
        f"<b style='color:#b42318'>investigate: {', '.join(inv) or 'the total'}</b>"
        if inv or t.investigate
        else "<b style='color:#027a48'>nothing to investigate</b>"
    )
    pct = "n/a" if t.percentile is None else f"{t.percentile:.0f}"
    parts = [
        f"<p><b>{s.system} {s.period}</b> "
        f"({s.months[0]}..{s.months[-1]}): actual {money(t.actual, cur)} "
        f"against a baseline of {money(t.baseline, cur)}, variance "
        f"{signed_money(t.variance, cur)} (percentile {pct} of the baseline's draws, "
        f"band <b>{t.band}</b>).</p>"
    ]
    missing_lines = s.no_actuals()
    if missing_lines:
        rp = reported(review)
        names = ", ".join(f"{r.line} (baseline {money(r.baseline, cur)})" for r in missing_lines)
        n = len(missing_lines)
        parts.append(
            "<p style='color:#b54708;border-left:4px solid #f79009;padding-left:8px'>"
            f"<b>{n} line{'s' if n > 1 else ''} with no actuals: {names}.</b> "
            f"{'They count' if n > 1 else 'It counts'} as 0 in the actual above, not as a "
            f"saving. The lines with actuals cost {money(rp.actual, cur)} against their "
            f"baseline of {money(rp.baseline, cur)}: <b>{signed_money(rp.variance, cur)}"
            "</b>.</p>"
        )
    parts.append(_missing_para(review))
    parts.append(_accuracy_text(review))
    parts.append(_usage_text(review))
    parts.append(
        f"<p>{_chance_text(review)} Fiscal year {rf.fiscal_year} outlook "
        f"{money(rf.outlook, cur)} (P10 {money(rf.p10, cur)}, P90 "
        f"{money(rf.p90, cur)}) against a baseline of {money(rf.baseline, cur)}. "
        f"{flag}.</p>"
    )
    return HTML("".join(parts))


def usage_table(review: Review) -> Any:
    """Requests (and active users) against the baseline, with the band for requests."""
    u = review.sections.usage
    if not u:
        return note("No usage actuals were given (--usage): requests are not reviewed.")
    rows = [
        {
            "what": "requests",
            "baseline": u.baseline,
            "actual": u.actual,
            "variance": u.variance,
            "variance %": u.variance / u.baseline if u.baseline else None,
            "P10": u.p10,
            "P90": u.p90,
            "percentile": u.percentile,
            "band": u.band or "",
        }
    ]
    au = u.active_users
    if au:
        rows.append(
            {
                "what": "active users (summed over the months)",
                "baseline": au.baseline,
                "actual": au.actual,
                "variance": au.variance,
                "variance %": au.variance / au.baseline if au.baseline else None,
                "P10": None,
                "P90": None,
                "percentile": None,
                "band": "",
            }
        )
    df = pd.DataFrame(rows)
    num = ["baseline", "actual", "variance", "P10", "P90"]
    fmt = {c: whole for c in num} | {
        "variance %": lambda v: "" if missing(v) else f"{v:+.1%}",
        "percentile": lambda v: "" if missing(v) else f"{v:.0f}",
    }
    months = review.sections.months
    return _style(df, f"Usage over {months[0]}..{months[-1]}", fmt)


def accuracy_table(review: Review) -> Any:
    """The monitored accuracy per month against the forecast and ``acceptable``; a month
    below it is marked (the model degraded)."""
    acc = _accuracy(review)
    if not acc or not acc.months:
        return note("No accuracy was given in the usage actuals: quality is not reviewed.")
    below = set(acc.below_acceptable)
    ok = acc.acceptable
    df = pd.DataFrame(
        [
            {
                "month": m.month,
                "accuracy": m.actual,
                "forecast": m.forecast,
                "acceptable": ok,
                "": "BELOW ACCEPTABLE: the model degraded" if m.month in below else "",
            }
            for m in acc.months
        ]
    )
    three = {c: (lambda v: "" if missing(v) else f"{v:.3f}") for c in ("accuracy", "forecast")}
    fmt = three | {"acceptable": lambda v: "" if missing(v) else f"{v:.2f}"}
    sty = _style(df, "Accuracy per month against the forecast and the acceptable level", fmt)
    return sty.apply(
        lambda r: ["color:#b42318;font-weight:bold" if r["month"] in below else "" for _ in r],
        axis=1,
    )


def _style(df: pd.DataFrame, caption: str, fmt: dict[str, Any]) -> Any:
    text: list[Hashable] = [
        c for c in df.columns if c not in fmt and not pd.api.types.is_numeric_dtype(df[c])
    ]
    sty = df.style.format(fmt, na_rep="").hide(axis="index").set_caption(caption)
    sty = sty.set_table_styles([{"selector": "", "props": "font-size: 0.9em;"}], overwrite=False)
    if text:
        sty = sty.set_properties(subset=text, **{"text-align": "left"})
        left: list[CSSDict] = [{"selector": "th", "props": "text-align: left;"}]
        sty = sty.set_table_styles({c: left for c in text}, overwrite=False)
    return sty


def line_table(review: Review) -> Any:
    """The line variance: F (favourable, under baseline) or U, percentile, band, flags.

    A line without actuals reads ``no actuals`` (never F: it is not a saving) and is
    shaded; a variance that rounds to 0 gets neither F nor U.
    """
    rows = []
    for r in review.sections.lines:
        rows.append(
            {
                "line": r.line,
                "category": r.category,
                "baseline": r.baseline,
                "actual": r.actual,
                "variance": r.variance,
                "F/U": favourable(r.variance, r.status),
                "volume": r.volume,
                "price": r.price,
                "driver": r.driver,
                "intensity": r.intensity,
                "unexplained": r.unexplained,
                "percentile": r.percentile,
                "band": r.band or "",
                "material": "yes" if r.material else "",
                "status": "" if r.status == "ok" else r.status.replace("_", " "),
                "investigate": "yes" if r.investigate else "",
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
    fmt = {c: whole for c in num} | {"percentile": lambda v: "" if missing(v) else f"{v:.0f}"}
    caption = f"Line variance, {review.sections.currency}: F under, U over the baseline"
    if review.sections.no_actuals():
        caption += "; a line with no actuals counts as 0 and is not a saving (shaded)"
    sty = _style(df, caption, fmt)
    return sty.apply(
        lambda r: ["background-color:#fef0c7" if r["F/U"] == "no actuals" else "" for _ in r],
        axis=1,
    )


def _missing_para(review: Review) -> str:
    gaps = review.sections.missing_actuals
    if not gaps:
        return ""
    listed = "; ".join(V.missing_text(x.line, x.month, x.baseline) for x in gaps[:8])
    more = f"; and {len(gaps) - 8} more (see Data quality)" if len(gaps) > 8 else ""
    return (
        "<p style='color:#b54708;border-left:4px solid #f79009;padding-left:8px'>"
        f"<b>Months without actuals for a line that has actuals in others: {listed}{more}.</b>"
        " Check that nothing is missing from the actuals.</p>"
    )


def data_quality_table(review: Review) -> Any:
    """What was not put on a line: unmapped cost by service, taxes, credits, corrections;
    every month without actuals of a line that has actuals (counted as 0); and the lines
    whose billing rows came in more than one unit (amount counted, no quantity)."""
    s = review.sections
    rows: list[dict[str, Any]] = [
        {"what": f"unmapped: {service}", "amount": v.amount, "rows": v.rows}
        for service, v in s.unmapped.by_service.items()
    ]
    for k, v in s.charges.items():
        rows.append({"what": k.replace("_", " "), "amount": v.amount, "rows": v.rows})
    c = s.corrections
    rows.append({"what": "corrections (included above)", "amount": c.amount, "rows": c.rows})
    rows += [
        {"what": V.missing_text(x.line, x.month, x.baseline), "amount": x.counted_as, "rows": 0}
        for x in s.missing_actuals
    ]
    rows += [
        {"what": V.mixed_text(line, x.units), "amount": x.amount, "rows": x.rows}
        for line, x in s.mixed_units.items()
    ]

    rows += [{"what": f"{w}: {t}", "amount": None, "rows": None} for w, t in quality_lines(s)]
    df = pd.DataFrame(rows)
    fmt = {
        "amount": lambda v: "" if missing(v) else f"{v:,.2f}",
        "rows": lambda v: "" if missing(v) else f"{v:,.0f}",
    }
    caption = (
        f"Data quality, {s.currency} (cost basis {s.cost_basis}); "
        "reported beside the outlook, not inside it"
    )
    return _style(df, caption, fmt)


def reconciliation_table(review: Review) -> Any:
    """The invoices of the period, part by part with their rows, ending in the invoice
    total (``BilledCost``); what the lines billed later and the cost-basis difference
    follow, beside the total (not parts of it)."""
    s = review.sections
    rc = s.reconciliation
    if not rc:
        return HTML("<p>No reconciliation: no FOCUS exports were read.</p>")
    rows_of = rc.rows
    labels = {
        "lines": "on the cost lines",
        "unmapped": "unmapped (no rule)",
        "taxes": "taxes",
        "credits": "credits",
        "adjustments": "adjustments",
        "purchases": "purchases (prepayments, commitments bought)",
        "unused_commitment": "unused commitment",
        "prior_periods": "prior periods (late usage and corrections of closed months)",
        "later_periods": "later periods",
    }
    rows: list[dict[str, Any]] = [
        {"part": labels[p], "amount": rc.parts[p], "rows": rows_of.get(p, 0)} for p in PARTS
    ]
    for m, v in rc.prior_periods_by_month.items():
        rows.append({"part": f"  of which service month {m}", "amount": v, "rows": None})
    rows.append(
        {
            "part": "invoice total",
            "amount": rc.invoice_total,
            "rows": rows_of.get("invoice_total"),
        }
    )
    rows.append({"part": "beside it: billed later", "amount": rc.billed_later, "rows": None})
    if s.cost_basis != "billed":
        rows.append(
            {"part": "beside it: basis difference", "amount": rc.basis_difference, "rows": None}
        )
    df = pd.DataFrame(rows)
    periods = ", ".join(rc.billing_periods) or "none in the exports"
    total_at = len(PARTS) + len(rc.prior_periods_by_month)
    fmt = {"amount": "{:,.2f}", "rows": lambda v: "" if missing(v) else f"{v:,.0f}"}
    caption = (
        f"The invoices of {s.period} (billing periods {periods}), BilledCost in "
        f"{s.currency}: the parts add up to the invoice total"
    )
    return (
        _style(df, caption, fmt).apply(
            lambda r: [
                "font-weight:bold;border-top:1px solid #000" if r.name == total_at else ""
                for _ in r
            ],
            axis=1,
        )  # fmt: skip
    )


def _label(ax: Any, x: float, top: float, text: str) -> None:
    ax.annotate(text, xy=(x, top), xytext=(0, 3), textcoords="offset points", ha="center",
                va="bottom", fontsize=8)  # fmt: skip


def bridge_chart(review: Review) -> Any:
    """Baseline -> volume -> price -> unexplained -> (no actuals) -> actual, one panel per
    category, every bar labelled in the currency.

    ``no actuals`` is the baseline of the category's lines nobody billed, counted at 0
    (docs/review.md#4-read-the-variance): drawn hatched grey, not as a saving; ``unexplained`` is
    then the rest.
    """
    from matplotlib.figure import Figure

    from aiopex.outputs import charts

    s = review.sections
    cur = s.currency
    cats = s.categories
    gaps = {c.category: s.no_actuals(c.category) for c in cats}
    with_gap = any(gaps.values())
    cols = min(4, len(cats))
    nrows = -(-len(cats) // cols)
    with charts.matplotlib.rc_context({"text.parse_math": False}):
        fig = Figure(figsize=(4.4 * cols, 3.8 * nrows), dpi=charts.DPI)
        axes = fig.subplots(nrows, cols, squeeze=False).ravel()
        for ax in axes[len(cats) :]:
            ax.set_visible(False)
        for ax, c in zip(axes, cats, strict=False):
            gap = float(sum(r.variance for r in gaps[c.category]))
            steps = [("volume", c.volume), ("price", c.price),
                     ("unexplained", c.unexplained - gap)]  # fmt: skip
            if c.unused is not None:  # a commitment's group: its unused part (docs/review.md)
                steps.append(("unused commitment", c.unused))
            if with_gap:
                steps.append(("no actuals", gap))
            labels = ["baseline", *(n for n, _ in steps), "actual"]
            ax.bar(0, c.baseline, color="#98a2b3", width=0.7)
            _label(ax, 0, c.baseline, charts._money(c.baseline, cur))
            level = c.baseline
            top = max(c.baseline, c.actual, 0.0)
            for i, (name, v) in enumerate(steps, start=1):
                if round(v) == 0:  # nothing to draw (a zero-height bar would show as a line)
                    continue
                if name == "no actuals":
                    ax.bar(i, v, bottom=level, color="#f2f4f7", edgecolor="#667085",
                           hatch="//", width=0.7)  # fmt: skip
                else:
                    ax.bar(i, v, bottom=level, width=0.7,
                           color="#b42318" if v > 0 else "#027a48")  # fmt: skip
                sign = "+" if v > 0 else ""
                _label(ax, i, max(level, level + v), sign + charts._money(v, cur))
                level += v
                top = max(top, level)
            n = len(steps) + 1
            ax.bar(n, c.actual, color="#1f2933", width=0.7)
            _label(ax, n, c.actual, charts._money(c.actual, cur))
            ax.set_xticks(range(n + 1), labels, rotation=30, ha="right")
            charts._money_axis(ax, cur)
            ax.margins(x=0.04)
            ax.set_ylim(min(0.0, level, c.baseline), 1.2 * top if top > 0 else 1.0)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="y", alpha=0.3)
            title = f"{c.category} (band {c.band})"
            if gaps[c.category]:
                k = len(gaps[c.category])
                title += f"\n{k} line{'s' if k > 1 else ''} without actuals"
            ax.set_title(title, fontsize=10)
        sub = "red: over baseline, green: under"
        if with_gap:
            sub += ", hatched: lines without actuals, counted at 0 (not a saving)"
        fig.suptitle(f"Variance bridge per category, {cur} ({sub})")
        fig.tight_layout()
    return fig


def fan_chart(review: Review, totals: pd.DataFrame) -> Any:
    """The reported actual total per month against the baseline's P10-P90 of that month's
    total (percentiles of per-draw totals).

    The actual is what was reported for the month: a line without actuals counts as 0, as
    in the period's total. When there is one, the baseline of the lines with actuals is
    drawn too (dashed), so that the actual has a like-for-like line to compare with.
    """
    from matplotlib.figure import Figure

    from aiopex.outputs import charts

    cur = review.currency
    g = totals.set_index("month").sort_index()
    g = g[g.index.isin(review.months)]
    gap = g["baseline_no_actuals"].fillna(0.0)
    with charts.matplotlib.rc_context({"text.parse_math": False}):
        fig = Figure(figsize=(8, 4.2), dpi=charts.DPI)
        ax = fig.subplots()
        x = list(range(len(g)))
        ax.fill_between(x, g["p10"], g["p90"], color="#d0d5dd", label="baseline P10-P90")
        ax.plot(x, g["baseline"], color="#475467", label="baseline, every line")
        if (gap > 0).any():
            ax.plot(x, g["baseline"] - gap, "--", color="#475467",
                    label="baseline of the lines with actuals")  # fmt: skip
            label = "actual reported (lines without actuals count as 0)"
        else:
            label = "actual"
        ax.plot(x, g["actual"], "o-", color="#b42318", label=label)
        for xi, v in zip(x, g["actual"], strict=True):
            if not missing(v):
                _label(ax, xi, v, charts._money(v, cur))
        ax.set_xticks(x, list(g.index))
        charts._money_axis(ax, cur)
        ax.margins(x=0.08, y=0.12)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(f"Actual against the forecast, {cur} a month", loc="left")
        ax.legend(fontsize=8)
        fig.tight_layout()
    return fig


def reforecast_chart(review: Review, totals: pd.DataFrame) -> Any:
    """The fiscal year: the outlook's months up to the switchover (actuals, plus the
    baseline of lines without actuals), then the re-forecast and its fan."""
    from matplotlib.figure import Figure

    from aiopex.outputs import charts

    cur = review.currency
    g = totals.set_index("month").sort_index()
    with charts.matplotlib.rc_context({"text.parse_math": False}):
        fig = Figure(figsize=(8.5, 4.2), dpi=charts.DPI)
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
        gap = g["baseline_no_actuals"].fillna(0.0).to_numpy()
        known = (g["actual"].to_numpy() + gap)[before]
        has_gap = bool((gap[before] > 0).any())
        label = "actual + baseline of lines without actuals" if has_gap else "actual"
        ax.plot(before, known, "o-", color="#1f2933", label=label)
        ax.set_xticks(x, list(g.index), rotation=45)
        charts._money_axis(ax, cur)
        ax.margins(x=0.04, y=0.12)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(f"Fiscal year {review.sections.reforecast.fiscal_year}: switchover after "
                     f"{review.months[-1]}, {cur} a month", loc="left")  # fmt: skip
        ax.legend(fontsize=8)
        fig.tight_layout()
    return fig


def write_monthly(review: Review, folder: Path) -> list[Path]:
    """The monthly detail the notebook reads: ``review_monthly.csv`` (one row per line and
    month, so its columns sum to the lines' totals) and ``review_monthly_total.csv`` (one
    row per month: the total, with percentiles of per-draw totals, and
    ``baseline_no_actuals``, the baseline of the lines without actuals that month, which
    ``actual`` counts as 0)."""
    out = []
    for name, frame in ((MONTHLY_CSV, review.monthly), (MONTHLY_TOTAL_CSV, review.monthly_total)):
        path = folder / name
        write_csv(frame, path)
        out.append(path)
    return out
