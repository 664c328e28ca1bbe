"""Tables and headline blocks of a :class:`~aiopex.result.Result`, for the report notebooks.

Each function returns something a notebook displays as a cell's last value: a
pandas ``Styler`` for tables, an :class:`HTML` block for the headline. The
values are formatted here, once (``USD 43,917``, ``12.5%``, ``month 9
(2027-10)``), so the notebooks stay free of formatting code. Metric names are
those of SCENARIO.md wherever a table prints them as data.

This module also holds the small file helpers the notebooks need:
:func:`locate` for the paths given as parameters, :func:`write_summary` for
the ``summary.json`` the batch runner's index reads, and
:func:`write_comparison_workbook`.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiopex.atomic import atomic_path, write_text
from aiopex.inputs.uncertain import is_constant, point
from aiopex.metrics import metric
from aiopex.months import run_rate_months
from aiopex.names import CATEGORIES, METRICS
from aiopex.outputs.format import metric_value, money, payback, share, signed_money
from aiopex.result import jsonable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler

    from aiopex.result import Result

__all__ = [
    "HTML",
    "bridge_table",
    "category_table",
    "comparison_table",
    "files",
    "headline",
    "headline_values",
    "locate",
    "metrics_table",
    "money",
    "note",
    "output_folder",
    "pilot_table",
    "readiness_table",
    "run_scenarios",
    "skipped",
    "summary",
    "write_comparison_workbook",
    "write_summary",
]

UNANSWERED = "UNANSWERED"

_TABLE_STYLES = [
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
    """How usage was forecast from history: method, backtest error, warnings, flags.

    ``None`` for a driver-based scenario. A history too short to trust is said in bold.
    """
    if not result.history:
        return None
    from aiopex.model.forecasting import describe

    h = result.history
    text = html.escape("Usage forecast: " + describe(h) + ".")
    if h.get("too_short"):
        text = f"<strong>{text}</strong>"
    return HTML(f'<p style="color: #52606d;">{text}</p>')


def files(*paths: str | os.PathLike[str]) -> HTML:
    """The files a notebook wrote, as a list (name and folder)."""
    items = "".join(
        f"<li><code>{html.escape(Path(p).name)}</code> in {html.escape(str(Path(p).parent))}</li>"
        for p in paths
    )
    return HTML(f"<p>Written:</p><ul>{items}</ul>")


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
    hcm = result.pilot.get("hidden_cost_multiple") if result.pilot else None
    return {
        "run_rate": f"{money(m['run_rate_monthly'], cur)} / month",
        "npv": money(m["npv"], cur),
        "payback": _payback(result, m.get("payback_month")),
        "hidden_cost_multiple": (
            f"{hcm:.1f}x" if hcm is not None else ("no pilot" if not result.pilot else "n/a")
        ),
    }


def _card(title: str, value: str, note: str, tone: str = "#1f2933") -> str:
    return (
        '<div style="flex: 1 1 12rem; border: 1px solid #d9e2ec; border-radius: 6px; '
        'padding: .6rem .9rem; background: #fbfcfd;">'
        f'<div style="font-size: .8rem; color: #52606d; text-transform: uppercase; '
        f'letter-spacing: .04em;">{html.escape(title)}</div>'
        f'<div style="font-size: 1.35rem; font-weight: 700; color: {tone}; margin: .2rem 0;">'
        f"{html.escape(value)}</div>"
        f'<div style="font-size: .8rem; color: #52606d;">{html.escape(note)}</div>'
        "</div>"
    )


def headline(result: Result) -> HTML:
    """The headline of a go-live meeting: run-rate, NPV, payback, hidden cost multiple.

    With a Monte Carlo run, each card also gives the p10 to p90 range, and the
    NPV card the probability that NPV is negative.
    """
    s = result.scenario
    m = result.metrics
    u = result.uncertainty
    cur = s.currency
    v = headline_values(result)
    red, green = "#b42318", "#1b7f3b"

    rr_note = f"mean of the last {run_rate_months(len(result.months))} months"
    rate = s.model.finance.discount_rate
    npv_note = f"at {point(rate):.1%} a year" + ("" if is_constant(rate) else " (point value)")
    if u is not None:
        rr, npv = u.loc["run_rate_monthly"], u.loc["npv"]
        prob = result.probabilities or {}
        rr_note += f"; p10 to p90: {money(rr['p10'], cur)} to {money(rr['p90'], cur)}"
        npv_note += (
            f"; p10 to p90: {money(npv['p10'], cur)} to {money(npv['p90'], cur)}; "
            f"P(NPV < 0) = {prob['prob_npv_negative']:.1%}"
        )
    irr = m.get("irr_annual")
    pb_note = "IRR " + (f"{irr:.0%} a year" if irr is not None else "none (no sign change)")
    if result.pilot:
        p = result.pilot
        hcm_note = (
            f"production {money(p['production_monthly'], cur)} / month against "
            f"{money(p['naive_production_monthly'], cur)} from scaling up the pilot's budget"
        )
    else:
        hcm_note = "the scenario has no pilot section"
    hcm = result.pilot.get("hidden_cost_multiple") if result.pilot else None
    cards = "".join(
        [
            _card("Run-rate", v["run_rate"], rr_note),
            _card("NPV", v["npv"], npv_note, red if m["npv"] < 0 else green),
            _card(
                "Payback", v["payback"], pb_note, red if m.get("payback_month") is None else green
            ),
            _card(
                "Hidden cost multiple",
                v["hidden_cost_multiple"],
                hcm_note,
                red if hcm is not None and hcm >= 1.5 else "#1f2933",
            ),
        ]
    )
    r = result.readiness
    ready_tone = green if r["answered"] == r["total"] else red
    runs = (
        f"{result.n_draws:,} Monte Carlo draws, seed {result.seed}"
        if result.n_draws > 1
        else "point values (1 draw)"
    )
    meta = (
        f"{len(result.months)} months from {result.months[0]} · {cur} · {runs} · "
        f"inputs hash {s.inputs_hash[:12]} · {Path(s.path).name}"
    )
    desc = html.escape(s.description or "")
    body = (
        '<div style="font-family: system-ui, sans-serif; margin: .5rem 0 1rem;">'
        f'<div style="font-size: 1.6rem; font-weight: 700;">{html.escape(s.name)}</div>'
        f'<div style="color: #323f4b; margin: .2rem 0;">{desc}</div>'
        f'<div style="color: #7b8794; font-size: .8rem; margin-bottom: .6rem;">'
        f"{html.escape(meta)}</div>"
        f'<div style="display: flex; flex-wrap: wrap; gap: .6rem;">{cards}</div>'
        f'<div style="margin-top: .6rem; color: {ready_tone}; font-weight: 600;">'
        f"Readiness: {r['answered']} of {r['total']} questions answered, "
        f"{len(r['warnings'])} flags</div>"
        "</div>"
    )
    return HTML(body)


# -- tables of one scenario ---------------------------------------------------------------


def _styler(df: pd.DataFrame, caption: str | None = None, right: Sequence[str] = ()) -> Styler:
    sty = df.style.hide(axis="index").set_table_styles(_TABLE_STYLES)
    if caption:
        sty = sty.set_caption(caption)
    if right:
        sty = sty.set_properties(subset=list(right), **{"text-align": "right"})
    return sty.format(escape="html")


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
                "paid by": a.paid_by or "nobody counted it",
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


def _metric_rows(result: Result) -> list[tuple[str, Any, dict[str, Any] | None]]:
    """``(name, value, percentiles or None)`` for every metric, categories expanded."""
    u = result.uncertainty

    def stats(name: str) -> dict[str, Any] | None:
        if u is None or name not in u.index:
            return None
        return {k: (None if math.isnan(v) else float(v)) for k, v in u.loc[name].items()}

    out: list[tuple[str, Any, dict[str, Any] | None]] = []
    for name in METRICS:
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
    """Every summary metric of SCENARIO.md, under its name; p10, p50, p90 with draws > 1."""
    import pandas as pd

    rows = []
    mc = result.uncertainty is not None
    for name, value, pct in _metric_rows(result):
        base = name.split(".")[0]
        row = {
            "metric": name,
            "what it is": metric(base).label,
            "value": _metric(result, name, value),
        }
        if mc:
            for q in ("p10", "p50", "p90"):
                row[q] = _percentile(result, name, pct.get(q)) if pct else ""
            row["defined in"] = _share(pct.get("defined_share")) if pct else ""
        rows.append(row)
    if mc:
        prob = result.probabilities or {}
        for key, what in (
            ("prob_npv_negative", "share of draws with NPV < 0"),
            ("prob_no_payback", "share of draws with no payback within the horizon"),
        ):
            rows.append(
                {
                    "metric": key,
                    "what it is": what,
                    "value": _share(prob.get(key)),
                    **{k: "" for k in ("p10", "p50", "p90", "defined in")},
                }
            )
    df = pd.DataFrame(rows)
    right = ["value", *(["p10", "p50", "p90", "defined in"] if mc else [])]
    cap = "Metrics (point values" + (
        f"; p10, p50, p90 over {result.n_draws:,} draws)" if mc else ")"
    )
    return _styler(df, cap, right=right)


# -- several scenarios --------------------------------------------------------------------


def run_scenarios(
    paths: Sequence[str | os.PathLike[str]],
    overrides: dict[str, Any] | None = None,
    draws: int = 1,
    seed: int | None = None,
) -> tuple[list[Result], list[tuple[str, str]]]:
    """Load and run every scenario; collect those that fail on their input.

    A scenario whose file (or data) is refused does not stop the comparison of
    the others: it is returned in the second list, as ``(path, problems)``, for
    :func:`skipped` to show. Any other error propagates.

    Returns
    -------
    results : list of Result
        In the order of ``paths``, without the refused ones.
    refused : list of (str, str)
        The path and the problems of each refused scenario.
    """
    from aiopex import load_scenario, run
    from aiopex.errors import AiopexError

    results: list[Result] = []
    refused: list[tuple[str, str]] = []
    for p in paths:
        try:
            results.append(run(load_scenario(locate(p), overrides), draws=draws, seed=seed))
        except AiopexError as e:
            refused.append((str(p), str(e)))
    return results, refused


#: Where ``aiopex run`` saves each scenario's result: ``OUT/<scenario>/result/``.
BATCH_RESULT = "result"


def load_results(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[list[Result], list[tuple[str, str]]]:
    """Read saved results for a comparison; collect those that cannot be read.

    Each path is a saved result (``aiopex forecast FILE --save DIR``, a folder with
    ``manifest.json``) or a batch folder (``aiopex run --out DIR``), which stands for
    the saved result of each of its reports (``DIR/<scenario>/result``), in name order.
    Nothing is computed: the numbers are those the results were saved with.

    Returns
    -------
    results : list of Result
        In the order of ``paths``.
    refused : list of (str, str)
        Each path that holds no readable saved result, and why, for :func:`skipped`.
    """
    from aiopex import load_result
    from aiopex.errors import AiopexError

    results: list[Result] = []
    refused: list[tuple[str, str]] = []
    for p in paths:
        folder = locate(p)
        if (folder / "manifest.json").is_file() or not folder.is_dir():
            found = [folder]
        else:
            found = sorted(m.parent for m in folder.glob(f"*/{BATCH_RESULT}/manifest.json"))
            if not found:
                refused.append((str(p), "no saved result here, nor in its report folders"))
        for f in found:
            try:
                results.append(load_result(f))
            except AiopexError as e:
                refused.append((str(f), str(e)))
            except (OSError, ValueError, KeyError) as e:  # a damaged saved result
                refused.append((str(f), f"cannot read the saved result: {type(e).__name__}: {e}"))
    return results, refused


def skipped(refused: Sequence[tuple[str, str]]) -> HTML | None:
    """The scenarios :func:`load_results` or :func:`run_scenarios` left out, with why.

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
    seen: dict[str, int] = {}
    out = []
    for r in results:
        n = seen[r.scenario.name] = seen.get(r.scenario.name, 0) + 1
        out.append(r.scenario.name if n == 1 else f"{r.scenario.name} ({n})")
    return out


def comparison_table(results: Sequence[Result]) -> Styler:
    """Headline and summary metrics of several scenarios side by side."""
    import pandas as pd

    names = _column_names(results)
    table: dict[str, dict[str, str]] = {}
    for r in results:
        col: dict[str, str] = {}
        hv = headline_values(r)
        col["hidden_cost_multiple"] = hv["hidden_cost_multiple"]
        for name in METRICS:
            if name != "cost_by_category":
                col[name] = _metric(r, name, r.metrics.get(name))
        if r.uncertainty is not None:
            npv, cur = r.uncertainty.loc["npv"], r.scenario.currency
            col["npv p10 to p90"] = f"{money(npv['p10'], cur)} to {money(npv['p90'], cur)}"
            col["prob_npv_negative"] = _share((r.probabilities or {})["prob_npv_negative"])
            col["prob_no_payback"] = _share((r.probabilities or {})["prob_no_payback"])
        r_ = r.readiness
        col["readiness answered"] = f"{r_['answered']} of {r_['total']}"
        col["horizon"] = f"{len(r.months)} months from {r.months[0]}"
        table[names[len(table)]] = col
    order = [
        "horizon",
        "run_rate_monthly",
        "npv",
        "npv p10 to p90",
        "prob_npv_negative",
        "payback_month",
        "prob_no_payback",
        "hidden_cost_multiple",
        *(
            m
            for m in METRICS
            if m not in {"cost_by_category", "run_rate_monthly", "npv", "payback_month"}
        ),
        "readiness answered",
    ]
    present = [k for k in order if any(k in table[n] for n in names)]
    df = pd.DataFrame(
        {"metric": present, **{n: [table[n].get(k, "") for k in present] for n in names}}
    )
    return _styler(df, "Metrics side by side", right=names)


def category_table(results: Sequence[Result]) -> Styler:
    """Total cost per category (rows) and scenario (columns), with each category's share."""
    import pandas as pd

    names = _column_names(results)
    cats = [c for c in CATEGORIES if any(c in r.metrics["cost_by_category"] for r in results)]
    data: dict[str, list[str]] = {"category": [*cats, "total"]}
    for name, r in zip(names, results, strict=True):
        by = r.metrics["cost_by_category"]
        total = r.metrics["cost_total"]
        cur = r.scenario.currency
        col = []
        for c in cats:
            v = by.get(c)
            col.append(
                ""
                if v is None
                else f"{money(v, cur)} ({v / total:.0%})"
                if total
                else money(v, cur)
            )
        col.append(money(total, cur))
        data[name] = col
    df = pd.DataFrame(data)
    sty = _styler(df, "Total cost by category over each horizon", right=names)
    return sty.apply(
        lambda row: ["font-weight: bold;" if row["category"] == "total" else ""] * len(row), axis=1
    )


# -- files --------------------------------------------------------------------------------


def locate(path: str | os.PathLike[str]) -> Path:
    """Find a path given as a notebook parameter.

    An absolute path, or one that exists relative to the working directory, is
    returned as it is. Otherwise a relative path is looked up from each parent of
    the working directory in turn, so the notebooks' defaults
    (``data/scenarios/...``) work whether the kernel runs at the project root or in
    ``notebooks/``. Failing that, the path is returned unchanged (and whoever opens
    it reports it missing).
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    first = p.parts[0] if p.parts else ""
    for parent in Path.cwd().resolve().parents:
        if first and (parent / first).exists():
            return parent / p
    return p


def output_folder(path: str | os.PathLike[str]) -> Path:
    """The output folder a notebook parameter names (see :func:`locate`), created."""
    folder = locate(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def summary(result: Result, status: str = "ok") -> dict[str, Any]:
    """What ``summary.json`` holds: the formatted headline, raw metrics, and provenance."""
    from aiopex import __version__

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
    """Write the comparison as an Excel workbook of values.

    Sheets: ``Metrics`` (a row per scenario, a column per metric of SCENARIO.md),
    ``Cost by category`` (a row per scenario and category) and ``Monthly`` (a row
    per scenario and month: cost, benefit, net, cumulative net). Each scenario's own
    workbook holds the live formulas; this one is for reading side by side.
    """
    import pandas as pd

    metrics, cats, monthly = [], [], []
    for r in results:
        s = r.scenario
        row: dict[str, Any] = {"scenario": s.name, "currency": s.currency, "file": str(s.path)}
        row.update({k: v for k, v in r.metrics.items() if k != "cost_by_category"})
        if r.pilot is not None:
            row["hidden_cost_multiple"] = r.pilot.get("hidden_cost_multiple")
        if r.uncertainty is not None:
            row.update(r.probabilities or {})
            for q in ("p10", "p50", "p90"):
                row[f"npv_{q}"] = float(r.uncertainty.loc["npv", q])
        row.update({"seed": r.seed, "draws": r.n_draws, "inputs_hash": s.inputs_hash})
        metrics.append(row)
        for c, v in r.metrics["cost_by_category"].items():
            cats.append({"scenario": s.name, "category": c, "cost_total": v})
        d = r.drivers
        for m, label in enumerate(r.months):
            monthly.append(
                {
                    "scenario": s.name,
                    "m": m,
                    "month": label,
                    **{
                        k: float(d[k].iloc[m]) for k in ("cost", "benefit", "net", "cumulative_net")
                    },
                }
            )
    path = Path(path)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            pd.DataFrame(jsonable(metrics)).to_excel(xw, sheet_name="Metrics", index=False)
            pd.DataFrame(cats).to_excel(xw, sheet_name="Cost by category", index=False)
            pd.DataFrame(monthly).to_excel(xw, sheet_name="Monthly", index=False)
    return path
