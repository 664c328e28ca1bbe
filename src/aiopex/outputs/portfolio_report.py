"""The portfolio report: tables and charts the portfolio notebook shows.

The notebook (``notebooks/portfolio.ipynb``) loads the saved results ``aiopex portfolio
--out DIR`` wrote (:func:`aiopex.analyses.portfolio.load_result`): ``DIR/result`` and, when the
portfolio shares fields, ``DIR/independent`` (the same portfolio with ``shared``
emptied), and calls these on them.
:func:`aiopex.batch.portfolio_run.render_portfolio` runs it with Papermill and writes its
HTML without code. Every percentile shown is of a per-draw sum (a month's, a fiscal
year's, the timeline's), never a sum of percentiles.
"""

from __future__ import annotations

import html as _html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aiopex.inputs.portfolio_file import shared_matches
from aiopex.outputs.format import money, share
from aiopex.outputs.html import HTML, _styler, files, note

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler


#: ``aiopex.analyses.portfolio.PortfolioResult`` (this module does not import it: the portfolio
#: module writes the report, and outputs never import what runs them).
PortfolioResult = Any

NOTEBOOK = "portfolio.ipynb"
#: The rendered report's files beside the results.
REPORT_FILES = ("portfolio.ipynb", "portfolio.html")
#: Members shown by name in the contribution chart; the rest are summed in one bar.
TOP_MEMBERS = 15


def headline(result: PortfolioResult, independent: PortfolioResult | None = None) -> HTML:
    """Members, timeline, draws; the total's range; the fiscal years' overrun chances."""
    d = result.to_json()
    cur, tot = result.currency, d["total"]
    n = len(result.members)
    parts = [
        f"<p><b>{_html.escape(result.name)}</b>: {n} member{'s' if n != 1 else ''}, "
        f"{d['months'][0]} to {d['months'][-1]}, {result.draws:,} draws, seed {result.seed}.",
    ]
    if result.description:
        parts.append(f" {_html.escape(result.description)}")
    parts.append("</p>")
    if result.draws > 1:
        summed = sum(m["cost_total_p90"] for m in d["members"])
        parts.append(
            f"<p>Cost over the timeline: <b>{money(tot['p50'], cur)}</b> at the median, "
            f"{money(tot['p10'], cur)} to <b>{money(tot['p90'], cur)}</b> (P10 to P90); "
            f"{money(tot['point'], cur)} at point values. The members' own P90s add up to "
            f"{money(summed, cur)}: adding them would overstate the portfolio's P90 by "
            f"{money(summed - tot['p90'], cur)}.</p>"
        )
    else:
        parts.append(f"<p>Cost over the timeline at point values: {money(tot['point'], cur)}.</p>")
    over = [fy for fy in d["fiscal_years"] if fy["budget"] is not None]
    if over and result.draws > 1:
        items = ", ".join(
            f"FY{fy['year']} {share(fy['prob_over_budget'])}" + _part_year(fy) for fy in over
        )
        worst = max(over, key=lambda fy: fy["prob_over_budget"])
        tone = "#b42318" if worst["prob_over_budget"] >= 0.2 else "#027a48"
        parts.append(
            f"<p>Chance of overrunning the envelope: <b style='color:{tone}'>{items}</b>.</p>"
        )
    elif not over:
        parts.append("<p>The portfolio file sets no budget: no envelope to compare with.</p>")
    return HTML("".join(parts))


# -- the monthly fan ----------------------------------------------------------------------


def fan_chart(result: PortfolioResult) -> Figure:
    """Monthly cost of the portfolio: P10-P90 band, P50, and the point forecast."""
    from aiopex.outputs import charts as c

    with c.matplotlib.rc_context({"text.parse_math": False}):
        fig, ax = c._axes(None)
        x = c._dates(result.months)
        m = result.monthly()
        if result.draws > 1:
            ax.fill_between(x, m["p10"], m["p90"], color=c.BAD, alpha=0.25, lw=0,
                            label="P10 to P90")  # fmt: skip
            ax.plot(x, m["p50"], color=c.BAD, lw=2, label="P50 (median)")
        ax.plot(x, m["point"], color="black", lw=1, ls="--", label="point values")
        starts = sorted({mm.start for mm in result.members} - {result.months[0]})
        for s in starts:
            ax.axvline(c._dates([s])[0], color="grey", lw=0.8, ls=":")
        if starts:
            ax.plot([], [], color="grey", lw=0.8, ls=":", label="a member starts")
        c._money_axis(ax, result.currency)
        ax.legend(loc="upper right", frameon=False, ncols=4)
        what = f"range over {result.draws:,} draws" if result.draws > 1 else "point values"
        c._style(ax, f"Portfolio cost per month: {what}", "cost per month")
    return fig


# -- fiscal years against the envelope ----------------------------------------------------


def fiscal_year_chart(result: PortfolioResult) -> Figure:
    """Each fiscal year: P10-P90 of its cost, P50, point, the budget and P(overrun)."""
    from aiopex.outputs import charts as c

    fys = result.fiscal_years()
    with c.matplotlib.rc_context({"text.parse_math": False}):
        fig, ax = c._axes(None, (10.0, 3.8))
        x = np.arange(len(fys))
        p10 = np.array([f["p10"] for f in fys])
        p50 = np.array([f["p50"] for f in fys])
        p90 = np.array([f["p90"] for f in fys])
        ax.bar(x, p90 - p10, bottom=p10, width=0.5, color=c.BAD, alpha=0.25,
               label="P10 to P90")  # fmt: skip
        ax.scatter(x, p50, color=c.BAD, zorder=3, label="P50")
        ax.scatter(x, [f["point"] for f in fys], color="black", marker="x", zorder=3,
                   label="point values")  # fmt: skip
        shown = False
        for i, f in enumerate(fys):
            if f["budget"] is None:
                continue
            ax.hlines(f["budget"], i - 0.35, i + 0.35, color=c.NEUTRAL, lw=2.5,
                      label="_nolegend_" if shown else "budget")  # fmt: skip
            shown = True
            if result.draws > 1:
                ax.annotate(
                    f"P(over) {share(f['prob_over_budget'])}",
                    (i + 0.37, f["budget"]),
                    va="center",
                    fontsize=9,
                    color=c.BAD if f["prob_over_budget"] >= 0.2 else c.GOOD,
                )
        labels = [f"FY{f['year']}" + _part_year(f, "\n") for f in fys]
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.6, len(fys) - 0.1)
        top = max([*p90, *[f["budget"] or 0 for f in fys], *[f["point"] for f in fys]])
        ax.set_ylim(0, top * 1.12 if top > 0 else 1)
        c._money_axis(ax, result.currency)
        ax.legend(loc="upper left", frameon=False, ncols=4, bbox_to_anchor=(0, -0.12))
        c._style(ax, "Each fiscal year against its envelope", "cost in the fiscal year")
    return fig


def _part_year(fy: dict[str, Any], sep: str = " ") -> str:
    """`` (7 months)`` for a fiscal year cut by an end of the timeline, else ``""``."""
    return "" if fy["months"] == 12 else f"{sep}({fy['months']} months)"


def fiscal_year_table(result: PortfolioResult) -> Styler:
    """Fiscal years: months, point, P10, P50, P90, budget, P(over budget), budget - P90."""
    cur = result.currency
    rows = []
    for f in result.fiscal_years():
        b = f["budget"]
        rows.append(
            {
                "fiscal year": f"FY{f['year']}",
                "months": f["months"],
                "point": money(f["point"], cur),
                "P10": money(f["p10"], cur),
                "P50": money(f["p50"], cur),
                "P90": money(f["p90"], cur),
                "budget": money(b, cur) if b is not None else "-",
                "P(over budget)": share(f["prob_over_budget"]) if b is not None else "-",
                "budget - P90": money(b - f["p90"], cur) if b is not None else "-",
            }
        )
    df = pd.DataFrame(rows)
    return _styler(
        df,
        "Fiscal years: P(over budget) is the share of draws whose fiscal-year cost exceeds it",
        right=[c for c in df.columns if c != "fiscal year"],
    )


# -- members ------------------------------------------------------------------------------


def members_frame(result: PortfolioResult) -> pd.DataFrame:
    """Members ranked by contribution to the portfolio's P90 (largest first)."""
    df = pd.DataFrame(result.member_rows())
    total = df["contribution_to_p90"].sum()
    df["share_of_p90"] = df["contribution_to_p90"] / total if total else 0.0
    return df.sort_values("contribution_to_p90", ascending=False, kind="stable").reset_index(
        drop=True
    )


def members_chart(result: PortfolioResult, top: int = TOP_MEMBERS) -> Figure:
    """Members ranked by contribution to P90, next to their own P90 (``top`` by name)."""
    from aiopex.outputs import charts as c

    df = members_frame(result)
    rest = df.iloc[top:]
    df = df.iloc[:top]
    n = len(df)
    cur = result.currency
    with c.matplotlib.rc_context({"text.parse_math": False}):
        fig, ax = c._axes(None, (10.0, max(2.4, 0.42 * n + 1.4)))
        y = np.arange(n)[::-1]
        ax.barh(y + 0.18, df["contribution_to_p90"], height=0.36, color=c.BAD,
                label="contribution to the portfolio's P90")  # fmt: skip
        ax.barh(y - 0.18, df["cost_total_p90"], height=0.36, color="#98a2b3",
                label="the member's own P90")  # fmt: skip
        ax.set_yticks(y, df["name"])
        c._money_axis(ax, cur, "x")
        ax.legend(loc="upper left", frameon=False, ncols=2, bbox_to_anchor=(0, -0.08))
        title = "Members ranked by contribution to the portfolio's P90"
        if len(rest):
            title += f" (the first {n} of {n + len(rest)})"
            ax.annotate(
                f"The other {len(rest)} members together: contribution "
                f"{c._money(rest['contribution_to_p90'].sum(), cur)}, own P90s "
                f"{c._money(rest['cost_total_p90'].sum(), cur)}",
                (0, 1), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                fontsize=9, color="#52606d",
            )  # fmt: skip
        c._style(ax, title)
        if len(rest):
            ax.set_title(title, loc="left", fontsize=12, fontweight="bold", pad=18)
        ax.grid(axis="x", alpha=0.3)
        ax.grid(axis="y", visible=False)
    return fig


def members_table(result: PortfolioResult) -> Styler:
    """Every member, ranked: start, months, point total, own P90, contribution, share."""
    cur = result.currency
    df = members_frame(result)
    out = pd.DataFrame(
        {
            "member": df["name"],
            "start": df["start"],
            "months": df["months"],
            "point total": [money(v, cur) for v in df["cost_total_point"]],
            "own P90": [money(v, cur) for v in df["cost_total_p90"]],
            "contribution to P90": [money(v, cur) for v in df["contribution_to_p90"]],
            "share": [share(v) for v in df["share_of_p90"]],
        }
    )
    return _styler(
        out,
        "Members by contribution to the portfolio's P90",
        right=["months", "point total", "own P90", "contribution to P90", "share"],
    )


# -- what sharing does --------------------------------------------------------------------


def shared_note(result: PortfolioResult, independent: PortfolioResult | None) -> HTML:
    """Which fields are shared, by how many members; or that nothing is."""
    if not result.shared:
        return note(
            "This portfolio shares no fields: every member's fields are drawn "
            "independently, so there is no second run to compare with."
        )
    users = {
        pat: sum(any(_matches(pat, p) for p in m.shared) for m in result.members)
        for pat in result.shared
    }
    items = "".join(
        f"<li><code>{_html.escape(p)}</code>: {k} member{'s' if k != 1 else ''}</li>"
        for p, k in users.items()
    )
    tail = (
        ""
        if independent is not None
        else "<p><i>No independent run was saved beside this result.</i></p>"
    )
    return HTML(
        "<p>Shared fields (one draw per portfolio draw, common to every member that has "
        f"the field):</p><ul>{items}</ul>{tail}"
    )


def _matches(pattern: str, path: str) -> bool:
    return shared_matches(pattern, path)


def _spread_rows(result: PortfolioResult, independent: PortfolioResult) -> list[dict[str, Any]]:
    rows = [{"total": "whole timeline", "shared": result.total(), "indep": independent.total()}]
    for a, b in zip(result.fiscal_years(), independent.fiscal_years(), strict=True):
        rows.append({"total": f"FY{a['year']}", "shared": a, "indep": b})
    return rows


def shared_table(result: PortfolioResult, independent: PortfolioResult | None) -> Any:
    """P10, P50, P90 and the P10-P90 width of each total, shared and independent."""
    if independent is None or result.draws <= 1:
        return None
    cur = result.currency
    out = []
    for r in _spread_rows(result, independent):
        a, b = r["shared"], r["indep"]
        wa, wb = a["p90"] - a["p10"], b["p90"] - b["p10"]
        out.append(
            {
                "total": r["total"],
                "P10 shared": money(a["p10"], cur),
                "P90 shared": money(a["p90"], cur),
                "P10 independent": money(b["p10"], cur),
                "P90 independent": money(b["p90"], cur),
                "width shared / independent": f"{wa / wb:.2f}x" if wb else "-",
            }
        )
    df = pd.DataFrame(out)
    return _styler(
        df,
        "What sharing does: the same portfolio with every member independent",
        right=[c for c in df.columns if c != "total"],
    )


def shared_chart(result: PortfolioResult, independent: PortfolioResult | None) -> Any:
    """The P10-P90 range of the timeline's total and each fiscal year's, side by side."""
    if independent is None or result.draws <= 1:
        return None

    from aiopex.outputs import charts as c

    rows = _spread_rows(result, independent)
    with c.matplotlib.rc_context({"text.parse_math": False}):
        fig = c.Figure(figsize=(10.0, 3.8), dpi=c.DPI, layout="constrained")
        axes = fig.subplots(1, 2, width_ratios=[1, max(1, len(rows) - 1)])
        groups = [rows[:1], rows[1:]]
        for ax, group in zip(axes, groups, strict=True):
            x = np.arange(len(group))
            for off, key, color, label in (
                (-0.18, "shared", c.BAD, "shared fields"),
                (0.18, "indep", c.NEUTRAL, "every member independent"),
            ):
                lo = np.array([g[key]["p10"] for g in group])
                hi = np.array([g[key]["p90"] for g in group])
                mid = np.array([g[key]["p50"] for g in group])
                ax.bar(x + off, hi - lo, bottom=lo, width=0.34, color=color, alpha=0.35,
                       label=f"P10 to P90, {label}")  # fmt: skip
                ax.scatter(x + off, mid, color=color, zorder=3, s=14)
            ax.set_xticks(x, [g["total"] for g in group])
            c._money_axis(ax, result.currency)
            ax.set_ylim(0, max(g[k]["p90"] for g in group for k in ("shared", "indep")) * 1.12)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_title("What the shared fields do to the spread", loc="left",
                          fontsize=12, fontweight="bold")  # fmt: skip
        axes[1].legend(loc="upper right", frameon=False)
    return fig


def output_files(output_dir: str | os.PathLike[str]) -> HTML:
    """The files and folders ``aiopex portfolio`` wrote beside this report."""
    base = Path(output_dir)
    names = {p.name for p in base.iterdir() if not p.name.startswith(".")}
    names.update(REPORT_FILES)  # being written
    return files(*(base / n for n in sorted(names)), base=base)
