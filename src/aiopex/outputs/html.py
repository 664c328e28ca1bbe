"""Tables and headline blocks of a :class:`~aiopex.result.Result`, for the report notebooks.

Each function returns something a notebook displays as a cell's last value: a
pandas ``Styler`` for tables, an :class:`HTML` block for the headline. The
values are formatted here, once (``USD 43,917``, ``12.5%``, ``month 9
(2027-10)``), so the notebooks stay free of formatting code. Metric names are
those of docs/formulas.md wherever a table prints them as data.

This module also holds the small file helpers the notebooks need:
:func:`locate` for the paths given as parameters, :func:`write_summary` for
the ``summary.json`` the batch runner's index reads, and
:func:`write_comparison_workbook`.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiopex.atomic import write_text
from aiopex.inputs.files import locate
from aiopex.inputs.uncertain import is_constant, point
from aiopex.months import run_rate_months
from aiopex.names import CATEGORIES, COMMITMENT_METRICS, METRICS
from aiopex.outputs import text
from aiopex.outputs.format import (
    metric_value,
    money,
    payback,
    share,
    signed_money,
    unique_labels,
)
from aiopex.result import jsonable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler
    from pandas.io.formats.style_render import CSSDict

    from aiopex.result import Result

__all__ = [
    "HTML",
    "bridge_table",
    "category_table",
    "comparison_table",
    "files",
    "fiscal_year_table",
    "headline",
    "headline_values",
    "metrics_table",
    "money",
    "note",
    "pilot_table",
    "readiness_table",
    "skipped",
    "summary",
    "unbudgeted_table",
    "write_comparison_workbook",
    "write_summary",
]

UNANSWERED = "UNANSWERED"

_TABLE_STYLES: list[CSSDict] = [
    {"selector": "th", "props": "text-align: left; padding: 4px 10px; background: #f0f4f8;"},
    {"selector": "td", "props": "padding: 4px 10px; vertical-align: top;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
]


class HTML:
    """A block of HTML that Jupyter displays as such (and prints as its source)."""

    def __init__(self, source: str):
        self.source = source

    def _repr_html_(self) -> str:
        return self.source

    def __str__(self) -> str:
        return self.source


def note(text: str) -> HTML:
    """A short note in the report, in place of a chart or table that does not apply."""
    return HTML(f'<p style="color: #52606d; font-style: italic;">{html.escape(text)}</p>')


def history_note(result: Result) -> HTML | None:
    """How usage was forecast from history: what the chart shows, the method, backtest
    error, warnings, flags.

    ``None`` for a driver-based scenario (its report says nothing about a history). A
    history too short to trust is said in bold.
    """
    if not result.history:
        return None
    from aiopex.model.forecasting import describe

    h = result.history
    text = html.escape("Usage forecast: " + describe(h) + ".")
    if h.get("too_short"):
        text = f"<strong>{text}</strong>"
    about = (
        "This system is already in use, so its usage is forecast from its history: the "
        "chart above shows that history and the forecast on one axis (the band is the 90% "
        "interval); below, how it was forecast and how well that did on the history's own "
        "past months (backtest error, a MASE: below 1 beats repeating the last month)."
    )
    return HTML(f'<p>{html.escape(about)}</p><p style="color: #52606d;">{text}</p>')


def files(*paths: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> HTML:
    """The files a notebook wrote, as a list of paths relative to ``base``.

    ``base`` is the folder the report lies in (default: the working directory); a file
    outside it is shown by its name only, never by an absolute local path.
    """
    root = Path(base if base is not None else Path.cwd()).resolve()
    items = []
    for p in paths:
        full = Path(p).resolve()
        shown = full.relative_to(root).as_posix() if full.is_relative_to(root) else full.name
        items.append(
            f'<li><a href="{html.escape(shown)}"><code>{html.escape(shown)}</code></a></li>'
        )
    where = "beside this report" if base is not None else "in the working folder"
    return HTML(f"<p>Written {where}:</p><ul>{''.join(items)}</ul>")


# -- formatting ---------------------------------------------------------------------------


def _signed(value: float, currency: str) -> str:
    return signed_money(value, currency)


def _share(value: float | None) -> str:
    return share(value)


def _payback(result: Result, month: float | None) -> str:
    return payback(month, result.months)


def _metric(result: Result, name: str, value: Any) -> str:
    return metric_value(name, value, result.scenario.currency, result.months)


def _percentile(result: Result, name: str, value: Any) -> str:
    """A percentile of a metric; a payback percentile that is ``None`` lies beyond the horizon."""
    return metric_value(name, value, result.scenario.currency, result.months, percentile=True)


# -- the headline -------------------------------------------------------------------------


def headline_values(result: Result) -> dict[str, str]:
    """The four headline numbers, formatted: ``run_rate``, ``npv``, ``payback``,
    ``hidden_cost_multiple``.

    These are what the batch runner's ``index.html`` shows for each scenario.

    Examples
    --------
    >>> from pathlib import Path
    >>> import aiopex
    >>> path = Path(aiopex.__file__).parents[2] / "data" / "scenarios" / "claims_triage.yaml"
    >>> for key, value in headline_values(aiopex.run(aiopex.load_scenario(path))).items():
    ...     print(f"{key}: {value}")
    run_rate: USD 43,917 / month
    npv: USD 5,707,701
    payback: month 11 (2027-12)
    hidden_cost_multiple: 2.1x
    """
    m = result.metrics
    cur = result.scenario.currency
    return {
        "run_rate": f"{money(m['run_rate_monthly'], cur)} / month",
        "npv": money(m["npv"], cur),
        "payback": _payback(result, m.get("payback_month")),
        "hidden_cost_multiple": text.hidden_cost_multiple(result.pilot),
    }


def _card(title: str, value: str, note: str, tone: str = "#1f2933") -> str:
    """A headline card; ``note`` is plain text, its ``; `` separated parts one per line."""
    note_html = "<br>".join(html.escape(n) for n in note.split("; "))
    return (
        '<div style="flex: 1 1 15rem; border: 1px solid #d9e2ec; border-radius: 6px; '
        'padding: .6rem .9rem; background: #fbfcfd;">'
        f'<div style="font-size: .8rem; color: #52606d; text-transform: uppercase; '
        f'letter-spacing: .04em;">{html.escape(title)}</div>'
        f'<div style="font-size: 1.35rem; font-weight: 700; color: {tone}; margin: .2rem 0;">'
        f"{html.escape(value)}</div>"
        f'<div style="font-size: .8rem; color: #52606d;">{note_html}</div>'
        "</div>"
    )


def _stats(result: Result, name: str) -> dict[str, float | None] | None:
    """A metric's Monte Carlo percentiles (``None`` where undefined), or ``None``."""
    return text.stats(result, name)


def _range_note(result: Result, name: str) -> str:
    """``median X; P10 to P90: A to B`` for a Monte Carlo run, else ''."""
    st = _stats(result, name)
    if st is None:
        return ""
    cur, months = result.scenario.currency, result.months

    def f(q: str) -> str:
        return metric_value(name, st[q], cur, months, percentile=True)

    return f"median {f('p50')}; P10 to P90: {f('p10')} to {f('p90')}"


def headline(result: Result) -> HTML:
    """The headline of a go-live meeting: run-rate, NPV, benefit, payback, hidden cost multiple.

    A scenario with silent months (degraded, not yet noticed) says how many and what the
    wrong outputs of those months cost (``silent_months``, ``silent_error_cost``).

    Each card's large number is the base case (one run with every range at its point
    value); with a Monte Carlo run the card also gives the median and the P10 to P90
    range, and the NPV card the probability that NPV is negative. The benefit card
    splits benefit into the value of time saved and the cost of errors. The readiness
    line lists every flag by name.
    """
    s = result.scenario
    m = result.metrics
    mc = result.uncertainty is not None
    cur = s.currency
    v = headline_values(result)
    red, green = "#b42318", "#1b7f3b"

    def joined(*notes: str) -> str:
        return "; ".join(n for n in notes if n)

    rr_note = joined(
        f"mean of the last {run_rate_months(len(result.months))} months",
        _range_note(result, "run_rate_monthly"),
    )
    rate = s.model.finance.discount_rate
    prob = result.probabilities or {}
    npv_note = joined(
        f"at {point(rate):.1%} a year" + ("" if is_constant(rate) else " (point value)"),
        _range_note(result, "npv"),
        f"P(NPV < 0) = {prob['prob_npv_negative']:.1%}" if "prob_npv_negative" in prob else "",
    )
    parts = text.benefit_parts(result)
    ben_note = joined(
        f"time saved {money(parts['time_saved'], cur)} less cost of errors "
        f"{money(parts['cost_of_errors'], cur)}",
        _range_note(result, "benefit_total"),
    )
    irr = m.get("irr_annual")
    irr_note = text.irr_note(result)  # an IRR that says little: lead with NPV and MIRR
    pb_note = joined(
        "IRR "
        + (
            f"{irr:,.0%} a year" + (" (says little here: see below)" if irr_note else "")
            if irr is not None
            else "none (no sign change)"
        ),
        _range_note(result, "payback_month"),
    )
    hcm = result.pilot.get("hidden_cost_multiple") if result.pilot else None
    if result.pilot and result.pilot.get("pilot_reported_monthly"):
        p = result.pilot
        hcm_note = (
            f"production {money(p['production_monthly'], cur)} / month against "
            f"{money(p['naive_production_monthly'], cur)} from scaling up the pilot's budget"
        )
    elif result.pilot:
        hcm_note = (
            "the pilot's budget showed nothing: others paid for all of it, so the whole "
            f"run-rate of {money(result.pilot['production_monthly'], cur)} / month is new"
        )
    else:
        hcm_note = "the scenario has no pilot section"
    npv_card = _card("NPV", v["npv"], npv_note, red if m["npv"] < 0 else green)
    mirr = m.get("mirr_annual")
    mirr_card = _card(
        "MIRR",
        "none" if mirr is None else f"{mirr:.1%} a year",
        joined("reinvested at the discount rate", _range_note(result, "mirr_annual")),
    )
    cards = "".join(
        [
            *([npv_card, mirr_card] if irr_note else []),
            _card("Run-rate", v["run_rate"], rr_note),
            *([] if irr_note else [npv_card]),
            _card(
                "Benefit",
                money(m["benefit_total"], cur),
                ben_note,
                red if m["benefit_total"] < 0 else "#1f2933",
            ),
            _card(
                "Payback", v["payback"], pb_note, red if m.get("payback_month") is None else green
            ),
            _card(
                "Hidden cost multiple",
                v["hidden_cost_multiple"],
                hcm_note,
                red if hcm is None and result.pilot or (hcm or 0) >= 1.5 else "#1f2933",
            ),
        ]
    )
    r = result.readiness
    flags = text.flags(r)
    ready_tone = green if not flags else red
    runs = (
        f"{result.n_draws:,} Monte Carlo draws, seed {result.seed}"
        if result.n_draws > 1
        else "point values (1 draw)"
    )
    meta = (
        f"{len(result.months)} months from {result.months[0]} · {cur} · {runs} · "
        f"inputs hash {s.inputs_hash[:12]} · {Path(s.path).name}"
    )
    basis = (
        "Large numbers are the <strong>base case</strong>: one run with every range of the "
        "scenario at its point value. "
        + (
            f"Beside them, the <strong>median</strong> and the <strong>P10 to P90</strong> "
            f"range over {result.n_draws:,} Monte Carlo draws: they differ from the base case "
            "because costs and benefits do not move in proportion to their inputs."
            if mc
            else "Run with draws > 1 to see ranges."
        )
    )
    flag_list = "".join(f"<li>{html.escape(f)}</li>" for f in flags)
    silent = m.get("silent_months") or 0
    silent_note = (
        f'<div style="color: {red}; font-weight: 600; margin-bottom: .6rem;">'
        f"{silent} silent month{'s' if silent != 1 else ''}: the model is below acceptable "
        "accuracy and nobody has noticed (or acts on it); wrong outputs reaching the workflow "
        f"cost {html.escape(money(m.get('silent_error_cost') or 0.0, cur))}.</div>"
        if silent
        else ""
    )
    after_cards = (
        f'<div style="color: #52606d; font-size: .85rem; margin-top: .5rem;">'
        f"{html.escape(irr_note)}</div>"
        if irr_note
        else ""
    )
    silent_note += "".join(  # a cost line whose months fall after the horizon
        f'<div style="color: #b54708; margin-bottom: .4rem;">Note: {html.escape(n)}.</div>'
        for n in s.notes()
    )
    desc = html.escape(s.description or "")
    body = (
        '<div style="font-family: system-ui, sans-serif; margin: .5rem 0 1rem;">'
        f'<div style="font-size: 1.6rem; font-weight: 700;">{html.escape(s.name)}</div>'
        f'<div style="color: #323f4b; margin: .2rem 0;">{desc}</div>'
        f'<div style="color: #7b8794; font-size: .8rem; margin-bottom: .6rem;">'
        f"{html.escape(meta)}</div>"
        f'<div style="color: #323f4b; font-size: .9rem; margin-bottom: .6rem;">{basis}</div>'
        f"{silent_note}"
        f'<div style="display: flex; flex-wrap: wrap; gap: .6rem;">{cards}</div>'
        f"{after_cards}"
        f'<div style="margin-top: .6rem; color: {ready_tone}; font-weight: 600;">'
        f"Readiness: {html.escape(text.readiness_line(r))}</div>"
        + (f'<ul style="margin: .2rem 0; color: {red};">{flag_list}</ul>' if flags else "")
        + "</div>"
    )
    return HTML(body)


# -- tables of one scenario ---------------------------------------------------------------


def _styler(df: pd.DataFrame, caption: str | None = None, right: Sequence[str] = ()) -> Styler:
    """A table: text columns left-aligned, the ``right`` (number) columns right-aligned,
    headers aligned with their column. Set per cell, so that no notebook or nbconvert
    style sheet (which right-aligns every cell) overrides it."""
    sty = df.style.hide(axis="index").set_table_styles(_TABLE_STYLES)
    if caption:
        sty = sty.set_caption(caption)
    left: list[Hashable] = [c for c in df.columns if c not in set(right)]
    if left:
        sty = sty.set_properties(subset=left, **{"text-align": "left"})
    if right:
        sty = sty.set_properties(subset=list(right), **{"text-align": "right"})
        sty = sty.set_table_styles(
            {c: [{"selector": "th", "props": "text-align: right;"}] for c in right},
            overwrite=False,
        )
    return sty.format(escape="html")


def commitments_table(result: Result) -> Styler | HTML:
    """Each commitment's months: the covered lines' spend on demand, what the commitment
    covered, the overage at the lines' own rates, the commitment, what the covered lines
    cost, the unused commitment and the saving (base case), with the term's totals.

    A scenario without commitments gets a note saying so.
    """
    import pandas as pd

    if not result.commitments or result.commitment_months is None:
        return note("No commitment in this scenario: every line is paid as used, on demand.")
    cur = result.scenario.currency
    cm = result.commitment_months
    rows = []
    for c in result.commitments:
        own = cm[(cm["commitment"] == c["name"]) & cm["in_term"]]
        C = float(c["amount_per_month"])
        for r in [*own.itertuples(index=False), None]:
            if r is None:  # the term's totals
                vals = own[["spend", "covered", "overage", "unused_commitment",
                            "commitment_savings"]].sum()  # fmt: skip
                month, committed = "term total", C * len(own)
            else:
                vals, month, committed = r._asdict(), r.month, C
            rows.append(
                {
                    "commitment": c["name"],
                    "month": month,
                    "on demand": text.money(vals["spend"], cur),
                    "covered": text.money(vals["covered"], cur),
                    "overage": text.money(vals["overage"], cur),
                    "commitment paid": text.money(committed, cur),
                    "covered lines cost": text.money(committed + vals["overage"], cur),
                    "unused": text.money(vals["unused_commitment"], cur),
                    "saving": _signed(vals["commitment_savings"], cur),
                }
            )
    df = pd.DataFrame(rows)
    caption = "; ".join(
        f"{c['name']}: {text.money(c['amount_per_month'], cur)} a month at "
        f"{c['discount']:.0%} off {', '.join(c['covers'])}, "
        f"{text.share(c['commitment_utilization'])} used"
        for c in result.commitments
    )
    sty = _styler(df, caption, right=list(df.columns[2:]))
    return sty.apply(
        lambda row: [
            "font-weight: bold; border-top: 1px solid #999;" if row["month"] == "term total"
            else "" for _ in row
        ],
        axis=1,
    )  # fmt: skip


def readiness_table(result: Result) -> Styler:
    """The six readiness questions, their answers (or UNANSWERED), and what the numbers say."""
    import pandas as pd

    r = result.readiness
    rows = [
        {
            "question": item["question"],
            "what it asks": item["label"],
            "answer": item["answer"] if item["answered"] else UNANSWERED,
            "what the numbers say": "\n".join(item["evidence"]),
        }
        for item in r["items"]
    ]
    df = pd.DataFrame(rows)
    sty = _styler(df, f"Readiness: {r['answered']} of {r['total']} answered")
    sty = sty.map(
        lambda v: "color: #b42318; font-weight: bold;" if v == UNANSWERED else "",
        subset=["answer"],
    )
    return sty.set_properties(
        subset=["answer", "what the numbers say"],
        **{"white-space": "pre-line", "max-width": "28rem"},
    )


def pilot_table(result: Result) -> Styler | HTML:
    """What the pilot reported, what it absorbed (and who paid), and its true monthly cost.

    A scenario without a ``pilot`` section gets a note saying so.
    """
    import pandas as pd

    if result.pilot is None or result.scenario.model.pilot is None:
        return note("The scenario has no pilot section: there is no pilot exposure to show.")
    cur = result.scenario.currency
    pm = result.scenario.model.pilot
    p = result.pilot
    rows = [
        {
            "item": it.name,
            "category": it.category,
            "paid by": "the pilot's budget (reported)",
            "per month": money(it.amount_per_month, cur),
        }
        for it in pm.paid
    ]
    if not pm.paid:
        rows.append(
            {
                "item": "nothing: the pilot's budget showed no cost, others paid for all of it",
                "category": "",
                "paid by": "the pilot's budget (reported)",
                "per month": money(0.0, cur),
            }
        )
    rows.append(
        {
            "item": "reported pilot cost",
            "category": "",
            "paid by": "",
            "per month": money(p["pilot_reported_monthly"], cur),
        }
    )
    for a in pm.absorbed:
        how = (
            f" ({a.hours_per_month:g} h x {money(a.hourly_rate, cur)})"
            if a.amount_per_month is None
            else ""
        )
        rows.append(
            {
                "item": a.name + how,
                "category": a.category,
                "paid by": a.paid_by or "nobody (not counted)",
                "per month": money(a.monthly, cur),
            }
        )
    share = p.get("absorbed_share")
    rows.append(
        {
            "item": "absorbed by others" + (f" ({share:.0%} of the true cost)" if share else ""),
            "category": "",
            "paid by": "",
            "per month": money(p["pilot_absorbed_monthly"], cur),
        }
    )
    rows.append(
        {
            "item": "true pilot cost",
            "category": "",
            "paid by": "",
            "per month": money(p["pilot_true_monthly"], cur),
        }
    )
    df = pd.DataFrame(rows)
    totals = {"reported pilot cost", "true pilot cost"}
    sty = _styler(df, "The pilot's monthly cost: reported and absorbed", right=["per month"])
    return sty.apply(
        lambda row: (
            [
                "font-weight: bold; border-top: 1px solid #9aa5b1;"
                if row["item"] in totals or row["item"].startswith("absorbed by others")
                else ""
            ]
            * len(row)
        ),
        axis=1,
    )


def bridge_table(result: Result) -> Styler | None:
    """The bridge from the pilot scaled up to the production run-rate, per category.

    ``None`` (nothing displayed) when the scenario has no pilot.
    """
    import pandas as pd

    if result.pilot is None:
        return None
    cur = result.scenario.currency
    p = result.pilot
    rows = [
        {
            "category": b["category"],
            "pilot scaled up": money(b["naive"], cur),
            "production": money(b["production"], cur),
            "step": _signed(b["step"], cur),
        }
        for b in p["bridge"]
    ]
    rows.append(
        {
            "category": "total per month",
            "pilot scaled up": money(p["naive_production_monthly"], cur),
            "production": money(p["production_monthly"], cur),
            "step": _signed(p["production_monthly"] - p["naive_production_monthly"], cur),
        }
    )
    df = pd.DataFrame(rows)
    mult = p.get("hidden_cost_multiple")
    cap = "Bridge, per month" + (f": production is {mult:.1f}x the pilot scaled up" if mult else "")
    sty = _styler(df, cap, right=["pilot scaled up", "production", "step"])
    return sty.apply(
        lambda row: (
            ["font-weight: bold;" if row["category"] == "total per month" else ""] * len(row)
        ),
        axis=1,
    )


def unbudgeted_table(result: Result) -> Styler | HTML | None:
    """Beside the bridge: the work the pilot absorbed in a category production does not pay
    for at all (no cost line of it, or none that costs anything in the run-rate months),
    with who paid for it in the pilot. The bridge has only production's categories, so
    without this table that work would vanish (docs/formulas.md, "The pilot").

    ``None`` without a pilot; a note when production budgets every absorbed category.
    """
    import pandas as pd

    if result.pilot is None:
        return None
    p = result.pilot
    items = p.get("unbudgeted_absorbed") or []
    cur = result.scenario.currency
    if not items:
        return note(
            "Every category of work the pilot absorbed has a production cost line: the "
            "bridge shows all of it."
        )
    df = pd.DataFrame(
        [
            {
                "absorbed by the pilot": it["name"],
                "category": it["category"].replace("_", " "),
                "paid by in the pilot": it["paid_by"] or "nobody (not counted)",
                "per month": money(it["amount_per_month"], cur),
                "in production": "no cost line pays for it",
            }
            for it in items
        ]
    )
    cap = (
        f"Not in the bridge: {money(p['unbudgeted_absorbed_monthly'], cur)} a month of work "
        "the pilot got for free and nobody budgets in production. Who does it now?"
    )
    sty = _styler(df, cap, right=["per month"])
    return sty.set_properties(subset=["in production"], **{"color": "#b42318"})


def _metric_rows(result: Result) -> list[tuple[str, Any, dict[str, float | None] | None]]:
    """``(name, value, percentiles or None)`` for every metric, categories expanded."""

    def stats(name: str) -> dict[str, float | None] | None:
        return _stats(result, name)

    out: list[tuple[str, Any, dict[str, float | None] | None]] = []
    for name in (*METRICS, *COMMITMENT_METRICS):
        if name == "cost_by_category":
            cats = result.metrics["cost_by_category"]
            for c in CATEGORIES:
                if c in cats:
                    key = f"cost_by_category.{c}"
                    out.append((key, cats[c], stats(key)))
            continue
        if name in result.metrics:
            out.append((name, result.metrics.get(name), stats(name)))
    return out


def metrics_table(result: Result) -> Styler:
    """Every summary metric, by its human label, with what it is.

    The ``base case`` column is the run with every range at its point value; with
    draws > 1, the median, P10 and P90 over the draws follow, and the share of draws
    in which the metric exists. Benefit is followed by its two parts, the value of
    time saved and the cost of errors (base case). The last column gives each
    metric's name in the JSON output and the workbook.
    """
    import pandas as pd

    rows = []
    mc = result.uncertainty is not None
    cur = result.scenario.currency
    parts = text.benefit_parts(result)
    quantiles = (("median", "p50"), ("P10", "p10"), ("P90", "p90"))

    def blank() -> dict[str, str]:
        return {k: "" for k, _ in quantiles} | {"defined in": ""} if mc else {}

    irr_note = text.irr_note(result)
    for name, value, pct in _metric_rows(result):
        row = {
            "metric": text.label(name),
            "what it is": (
                "says little here: a small outlay against what follows it; read MIRR and NPV"
                if name == "irr_annual" and irr_note
                else text.note(name)
            ),
            "base case": _metric(result, name, value),
        }
        if mc:
            for col, q in quantiles:
                row[col] = _percentile(result, name, pct.get(q)) if pct else ""
            row["defined in"] = _share(pct.get("defined_share")) if pct else ""
        row["name in the data"] = name
        rows.append(row)
        if name == "benefit_total":
            for key, amount in (
                ("time_saved_total", parts["time_saved"]),
                ("error_cost_total", -parts["cost_of_errors"]),
            ):
                rows.append(
                    {
                        "metric": "  " + text.label(key),
                        "what it is": text.note(key),
                        "base case": money(amount, cur),
                        **blank(),
                        "name in the data": "",
                    }
                )
    if mc:
        prob = result.probabilities or {}
        for key in ("prob_npv_negative", "prob_no_payback"):
            rows.append(
                {
                    "metric": text.label(key),
                    "what it is": text.note(key),
                    "base case": _share(prob.get(key)),
                    **blank(),
                    "name in the data": key,
                }
            )
    df = pd.DataFrame(rows)
    right = ["base case", *([c for c, _ in quantiles] + ["defined in"] if mc else [])]
    cap = "Metrics: the base case (every range at its point value)" + (
        f"; median, P10 and P90 over {result.n_draws:,} Monte Carlo draws" if mc else ""
    )
    sty = _styler(df, cap, right=right)
    return sty.set_properties(
        subset=["metric"], **{"white-space": "pre", "font-weight": "600"}
    ).set_properties(subset=["name in the data"], **{"color": "#7b8794", "font-size": ".8em"})


# -- several scenarios --------------------------------------------------------------------


def skipped(refused: Sequence[tuple[str, str]]) -> HTML | None:
    """The scenarios :func:`aiopex.notebook.load_results` or
    :func:`aiopex.notebook.run_scenarios` left out, with why.

    ``None`` when none.
    """
    if not refused:
        return None
    items = "".join(
        f"<li><code>{html.escape(Path(p).name)}</code>: "
        f'<span style="white-space: pre-line;">{html.escape(why)}</span></li>'
        for p, why in refused
    )
    return HTML(
        '<div style="color: #b42318;"><strong>Not compared</strong> (their input was '
        f"refused, or no result was saved):<ul>{items}</ul></div>"
    )


def _column_names(results: Sequence[Result]) -> list[str]:
    """Scenario names as column labels, made unique (``name``, ``name (2)``, ...)."""
    return unique_labels([r.scenario.name for r in results])


#: Totals that the comparison shows per year, so that different horizons compare.
_PER_YEAR: tuple[Literal["cost_total", "benefit_total", "net_total", "requests_total"], ...] = (
    "cost_total",
    "benefit_total",
    "net_total",
    "requests_total",
)


def _years(r: Result) -> float:
    return len(r.months) / 12.0


def horizons_differ(results: Sequence[Result]) -> bool:
    """True when the scenarios do not all cover the same months."""
    return len({(r.months[0], len(r.months)) for r in results}) > 1


def comparison_table(results: Sequence[Result]) -> Styler:
    """Headline and summary metrics of several scenarios side by side.

    Totals are shown **per year** (total / (months / 12)), so that scenarios with
    different horizons compare; NPV, IRR, payback and ROI are over each scenario's own
    horizon, which the first row gives and marks when the horizons differ.
    """
    import pandas as pd

    names = _column_names(results)
    differ = horizons_differ(results)
    rows: dict[str, dict[str, str]] = {}

    def put(key: str, col: str, value: str) -> None:
        rows.setdefault(key, {})[col] = value

    for name, r in zip(names, results, strict=True):
        cur = r.scenario.currency
        m = r.metrics
        horizon = f"{len(r.months)} months from {r.months[0]}"
        put("Horizon", name, horizon + (" (differs)" if differ else ""))
        put("Run-rate, a month", name, money(m["run_rate_monthly"], cur))
        for key in _PER_YEAR:
            value = m[key]
            per_year = None if value is None else value / _years(r)
            lab = text.label(key) + ", a year (average)"
            if key == "requests_total":
                put(lab, name, "n/a" if per_year is None else f"{per_year:,.0f}")
            else:
                put(lab, name, money(per_year, cur))
            if key == "benefit_total":
                parts = text.benefit_parts(r)
                put(
                    "  of which time saved, a year",
                    name,
                    money(parts["time_saved"] / _years(r), cur),
                )
                put(
                    "  less cost of errors, a year",
                    name,
                    money(parts["cost_of_errors"] / _years(r), cur),
                )
        for metric in ("npv", "mirr_annual", "irr_annual", "payback_month", "roi"):
            little = metric == "irr_annual" and text.irr_note(r)
            note = " (says little: read MIRR)" if little else ""
            put(
                text.label(metric) + (" (own horizon)" if differ else ""),
                name,
                _metric(r, metric, m.get(metric)) + note,
            )
        if r.uncertainty is not None:
            npv = _stats(r, "npv") or {}
            put(
                "NPV, P10 to P90",
                name,
                f"{money(npv.get('p10'), cur)} to {money(npv.get('p90'), cur)}",
            )
            prob = r.probabilities or {}
            put(text.label("prob_npv_negative"), name, _share(prob.get("prob_npv_negative")))
            put(text.label("prob_no_payback"), name, _share(prob.get("prob_no_payback")))
        put(text.label("hidden_cost_multiple"), name, text.hidden_cost_multiple(r.pilot))
        put(
            text.label("cost_per_request"),
            name,
            _metric(r, "cost_per_request", m.get("cost_per_request")),
        )
        put("Readiness", name, text.readiness_line(r.readiness))
    df = pd.DataFrame(
        {"metric": list(rows), **{n: [rows[k].get(n, "") for k in rows] for n in names}}
    )
    cap = "Metrics side by side: totals per year" + (
        "; the horizons differ, so NPV, IRR, payback and ROI each cover their own" if differ else ""
    )
    sty = _styler(df, cap, right=names)
    return sty.set_properties(subset=["metric"], **{"white-space": "pre"})


def fiscal_year_table(results: Sequence[Result]) -> Styler:
    """Scenarios side by side per fiscal year: cost, benefit, net and cost per category,
    a row per scenario under each, a column per fiscal year (named by the calendar year
    it ends in, starting in the first scenario's ``finance.fiscal_year_start``) and the
    total. A year partly outside a scenario's horizon says how many months it holds."""
    import pandas as pd

    from aiopex.months import fiscal_year
    from aiopex.outputs.excel.comparison import (
        fiscal_year_start,
        fiscal_year_totals,
    )

    start = fiscal_year_start(results)
    years = sorted({fiscal_year(m, start) for r in results for m in r.months})
    names = _column_names(results)
    totals = [fiscal_year_totals(r, start) for r in results]
    cats = [c for c in CATEGORIES if any(c in r.categories.columns for r in results)]
    blocks = [("Total cost", "cost"), ("Benefit", "benefit"), ("Net (benefit - cost)", "net")]
    blocks += [(f"Cost: {c.replace('_', ' ')}", f"category {c}") for c in cats]
    rows = []
    for label, key in blocks:
        rows.append({"": label, **{f"FY{y}": "" for y in years}, "total": ""})
        for name, r, t in zip(names, results, totals, strict=True):
            cur = r.scenario.currency
            row: dict[str, str] = {"": "  " + name}
            for y in years:
                v = t.get(key, {}).get(y)
                n = t["months"].get(y, 0)
                row[f"FY{y}"] = (
                    "" if v is None else money(v, cur) + (f" ({n} mo)" if n < 12 else "")
                )
            row["total"] = money(sum(t.get(key, {}).values()), cur)
            rows.append(row)
    df = pd.DataFrame(rows)
    cols = [f"FY{y}" for y in years] + ["total"]
    month = ("January February March April May June July August September October November "
             "December").split()[start - 1]  # fmt: skip
    cap = (
        f"Per fiscal year (from {month}, named by the year it ends in); "
        "(n mo): a year with only n months in the scenario's horizon"
    )
    sty = _styler(df, cap, right=cols)
    heads = {label for label, _ in blocks}
    return sty.set_properties(subset=[""], **{"white-space": "pre"}).apply(
        lambda row: ["font-weight: bold;" if row[""] in heads else ""] * len(row), axis=1
    )


def category_table(results: Sequence[Result]) -> Styler:
    """Cost per category (rows) and scenario (columns), a year on average, with its share."""
    import pandas as pd

    names = _column_names(results)
    cats = [c for c in CATEGORIES if any(c in r.metrics["cost_by_category"] for r in results)]
    data: dict[str, list[str]] = {"category": [c.replace("_", " ") for c in cats] + ["total"]}
    for name, r in zip(names, results, strict=True):
        by = r.metrics["cost_by_category"]
        total = r.metrics["cost_total"]
        cur = r.scenario.currency
        y = _years(r)
        col = []
        for c in cats:
            v = by.get(c)
            col.append(
                ""
                if v is None
                else f"{money(v / y, cur)} ({v / total:.0%})"
                if total
                else money(v / y, cur)
            )
        col.append(money(total / y, cur))
        data[name] = col
    df = pd.DataFrame(data)
    cap = "Cost by category, a year (average over each horizon), with its share"
    if horizons_differ(results):
        cap += "; the horizons differ"
    sty = _styler(df, cap, right=names)
    return sty.apply(
        lambda row: ["font-weight: bold;" if row["category"] == "total" else ""] * len(row), axis=1
    )


# -- files --------------------------------------------------------------------------------


def summary(result: Result, status: str = "ok") -> dict[str, Any]:
    """What ``summary.json`` holds: the formatted headline, raw metrics, and provenance."""
    from aiopex.version import __version__

    s = result.scenario
    out: dict[str, Any] = {
        "scenario": s.name,
        "status": status,
        "file": str(s.path),
        "inputs_hash": s.inputs_hash,
        "seed": result.seed,
        "draws": result.n_draws,
        "version": __version__,
        "headline": headline_values(result),
        "metrics": jsonable(result.metrics),
    }
    r = result.readiness
    out["readiness"] = {
        "answered": r["answered"],
        "total": r["total"],
        "flags": text.flags(r),
        "text": text.readiness_line(r),
    }
    parts = text.benefit_parts(result)
    out["benefit"] = {"time_saved": parts["time_saved"], "cost_of_errors": parts["cost_of_errors"]}
    if result.pilot is not None:
        out["pilot"] = jsonable({k: v for k, v in result.pilot.items() if k != "bridge"})
    if result.probabilities is not None:
        out.update(jsonable(result.probabilities))
    return out


def write_summary(result: Result, folder: str | os.PathLike[str]) -> Path:
    """Write ``folder/summary.json`` (see :func:`summary`) atomically; return its path."""
    path = Path(folder) / "summary.json"
    write_text(path, json.dumps(summary(result), indent=2) + "\n")
    return path


def write_comparison_workbook(results: Sequence[Result], path: str | os.PathLike[str]) -> Path:
    """The comparison workbook (:func:`aiopex.outputs.excel.comparison.write_comparison_workbook`):
    scenarios side by side per fiscal year, their metrics and their monthly cash flows,
    formatted like the scenario workbook."""
    from aiopex.outputs.excel.comparison import write_comparison_workbook as write

    return write(results, path)


def _shown_path(path: str | os.PathLike[str], root: Path | None) -> str:
    """A path as a reader can use it: relative to ``root`` (or the working folder), never an
    absolute local path; elsewhere, its last two parts (``claims_triage/result``), so that
    two saved results never collapse into one name."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    for base in (root, Path.cwd().resolve()):
        if base is not None and p.resolve().is_relative_to(base):
            return p.resolve().relative_to(base).as_posix()
    return Path(*p.parts[-2:]).as_posix() if len(p.parts) > 2 else p.name


def _project_root(path: str | os.PathLike[str]) -> Path | None:
    """The nearest folder above ``path`` that holds ``notebooks/budget_scenario.ipynb``."""
    for parent in Path(path).resolve().parents:
        if (parent / "notebooks" / "budget_scenario.ipynb").exists():
            return parent
    return None


#: Where the report notebooks are when aiopex is installed from a wheel (no checkout).
NOTEBOOKS_OF_THE_PACKAGE = (
    "NB=\"$(python -c 'from aiopex.batch.layout import notebooks_dir; print(notebooks_dir())')\""
)


def rerun(
    notebook: str,
    output: str,
    parameters: dict[str, Any],
    paths: Sequence[str] = ("scenario", "output_dir"),
) -> HTML:
    """How to run this report again: the Papermill command with this report's own parameters.

    From a checkout (a folder holding ``notebooks/``) the command runs from that folder,
    paths relative to it. From an installed wheel the notebook is the one the package
    ships, found with ``notebooks_dir()`` in a first line, and paths are relative to the
    folder that holds the report's output folder (a batch's ``--out``). Never an absolute
    local path, and never two saved results shown alike.
    """
    first = (
        parameters.get("scenario")
        or (parameters.get("scenarios") or parameters.get("saved") or [None])[0]
    )
    root = _project_root(locate(first)) if first else None
    out_dir = parameters.get("output_dir")
    base = root
    if base is None and out_dir and Path(out_dir).is_absolute():
        base = Path(out_dir).resolve().parent  # the batch folder
    shown: dict[str, Any] = {}
    for key, value in parameters.items():
        if key == "output_dir" and value:
            out = Path(value)
            if not out.is_absolute():
                shown[key] = out.as_posix()
            elif base is not None and out.resolve().is_relative_to(base):
                shown[key] = out.resolve().relative_to(base).as_posix()
            # elsewhere: left out, the notebook's default folder applies
        elif key in paths and value:
            shown[key] = _shown_path(locate(value), base)
        elif key in ("scenarios", "saved") and value:
            shown[key] = [_shown_path(locate(v), base) for v in value]
        else:
            shown[key] = value
    if root is not None:
        cmd = text.papermill_command(notebook, output, shown)
        where = "from the project folder"
    else:
        name = Path(notebook).name
        cmd = (
            NOTEBOOKS_OF_THE_PACKAGE
            + "\n"
            + text.papermill_command(f"$NB/{name}", output, shown).replace(
                f"'$NB/{name}'", f'"$NB/{name}"'
            )
        )
        where = (
            "from the folder that holds this report's folder (aiopex installed as a package: "
            "the first line finds its notebooks)"
            if base is not None
            else "from the folder of the scenario"
        )
    return HTML(
        f"<p>The command that runs this report again, {where}:</p>"
        f'<pre style="white-space: pre-wrap;"><code>{html.escape(cmd)}</code></pre>'
    )
