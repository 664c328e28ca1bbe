"""Charts of a :class:`~aiopex.result.Result`, for the report notebooks.

Every chart is a function ``(result, ax=None) -> matplotlib.figure.Figure``: with
``ax`` it draws on that axes and returns its figure; without, it makes a new
figure. Figures are built with the object-oriented API (``Figure()``, no
``pyplot``), so no global state is touched, nothing is shown by side effect, and
charts can be drawn from several threads. Outside IPython the backend is Agg.
Inside an IPython kernel, importing this module registers a PNG formatter for
figures, so a chart returned as a cell's last value is displayed once, as a PNG
that nbconvert embeds in the HTML report.

Only notebooks (and the benchmark) import this module; the rest of the package
does not import matplotlib.

Examples
--------
>>> from pathlib import Path
>>> import aiopex
>>> from aiopex.outputs import charts
>>> path = Path(aiopex.__file__).parents[2] / "data" / "scenarios" / "claims_triage.yaml"
>>> result = aiopex.run(aiopex.load_scenario(path))
>>> fig = charts.cumulative_net(result)
>>> fig.axes[0].get_title(loc="left")
'Cumulative net cash flow, and payback'
>>> charts.cost_fan(result)
Traceback (most recent call last):
...
ValueError: fan charts need a Monte Carlo run (draws > 1)
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec

import matplotlib
import numpy as np

if (
    "matplotlib.pyplot" not in sys.modules
    and "IPython" not in sys.modules
    and not os.environ.get("MPLBACKEND")
):
    matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from aiopex.names import CATEGORIES, DRIVER_SERIES, PERCENTILES  # noqa: E402
from aiopex.outputs.format import compact_money  # noqa: E402

P = ParamSpec("P")

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.sensitivity import Sensitivity
    from aiopex.model.pilot import PilotExposure
    from aiopex.result import Result

__all__ = [
    "accuracy",
    "commitment_levels",
    "compare_cost_by_category",
    "compare_cumulative_net",
    "cost_by_category",
    "cost_fan",
    "cumulative_net",
    "net_fan",
    "npv_distribution",
    "pilot_bridge",
    "pilot_cost",
    "tornado",
    "usage",
    "usage_history",
]

#: One colour per cost category, the same in every chart and every scenario.
CATEGORY_COLORS: dict[str, str] = dict(
    zip(
        CATEGORIES,
        (
            "#4C78A8",  # compute
            "#F58518",  # monitoring
            "#54A24B",  # retraining
            "#B279A2",  # support
            "#EECA3B",  # change_management
            "#72B7B2",  # data
            "#E45756",  # people
            "#9D755D",  # licenses
            "#BAB0AC",  # other
        ),
        strict=True,
    )
)
SERIES_COLORS = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#72B7B2", "#9D755D")
GOOD, BAD, NEUTRAL = "#2E7D32", "#C62828", "#4C78A8"
FIGSIZE = (10.0, 4.2)
DPI = 110


# -- plumbing -----------------------------------------------------------------------------


def _axes(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _plain_text(chart: Callable[P, Figure]) -> Callable[P, Figure]:
    """Make ``chart`` draw every text as it is: never matplotlib mathtext.

    Names, payers and notes come from scenario files; a ``paid_by`` such as
    "Team A (50% of $) and Team B (50% of $)" must show its dollar signs, not an
    equation. Every text the chart creates gets ``parse_math=False``; tick labels,
    made later at drawing, hold one amount each (a single ``$`` is never math).
    """

    @functools.wraps(chart)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with matplotlib.rc_context({"text.parse_math": False}):
            return chart(*args, **kwargs)

    return wrapper


def _money(value: float, currency: str) -> str:
    return compact_money(value, currency)


def _money_axis(ax: Axes, currency: str, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _pos: _money(v, currency))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _count_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _money(v, "").strip()))


def _dates(months: Sequence[str]) -> np.ndarray:
    """``"YYYY-MM"`` labels as datetime64 of the first of each month."""
    return np.array([np.datetime64(m, "M") for m in months]).astype("datetime64[D]")


def _bar_width() -> float:
    return 24.0  # days: a month's bar with a small gap


def _style(ax: Axes, title: str, ylabel: str = "") -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def _category_costs(result: Result) -> dict[str, np.ndarray]:
    """Monthly cost per category, in the order of :data:`aiopex.names.CATEGORIES`."""
    cats = result.categories
    return {c: cats[c].to_numpy(dtype=float) for c in CATEGORIES if c in cats.columns}


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the runs of True in ``flags`` (stop exclusive)."""
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    change = np.flatnonzero(np.diff(padded.astype(int)))
    return list(zip(change[::2].tolist(), change[1::2].tolist(), strict=True))


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _figure_display(fig: Figure) -> tuple[bytes, dict[str, str]]:
    """PNG bytes and, as the image's alternative text, the chart's title."""
    titles = [ax.get_title(loc="left") or ax.get_title() for ax in fig.axes]
    alt = next((t for t in titles if t), "chart")
    return _figure_png(fig), {"alt": alt}


def _register_ipython_display() -> None:
    """Display figures as PNG in an IPython kernel (no pyplot, so no inline backend)."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_display)


_register_ipython_display()


# -- one scenario -------------------------------------------------------------------------


@_plain_text
def usage(result: Result, ax: Axes | None = None) -> Figure:
    """Active users (adoption) and requests handled by the system, per month."""
    fig, ax = _axes(ax)
    x = _dates(result.months)
    s = {k: result.drivers[k].to_numpy() for k in DRIVER_SERIES}
    ax.bar(x, s["requests"], width=_bar_width(), color="#9ECAE9", label="requests (right axis)")
    ax.set_ylabel("requests per month")
    _count_axis(ax)
    ax2 = ax.twinx()
    ax2.plot(x, s["active_users"], color=NEUTRAL, lw=2.2, label="active users")
    ax2.set_ylabel("active users")
    # Headroom above both series for the legend.
    ax.set_ylim(0, max(float(np.max(s["requests"], initial=0.0)), 1.0) * 1.22)
    ax2.set_ylim(0, max(float(np.max(s["active_users"], initial=0.0)), 1.0) * 1.22)
    _count_axis(ax2)
    # Requests are the bars on the left axis, users the line on the right one.
    ax.yaxis.set_label_position("left")
    ax.set_zorder(ax2.get_zorder() - 1)
    ax.patch.set_visible(False)
    handles = [
        Patch(color="#9ECAE9", label="requests per month"),
        *ax2.get_legend_handles_labels()[0],
    ]
    ax.legend(handles=handles, loc="upper left", frameon=False, ncols=2)
    _style(ax, "Adoption and usage: active users, and requests the system handles")
    ax2.spines[["top"]].set_visible(False)
    return fig


@_plain_text
def usage_history(result: Result, ax: Axes | None = None) -> Figure:
    """Requests per month: the history, then the forecast with its 90% band, on one axis.

    Only for a history-based scenario (``result.history`` with its series); the band is
    the forecast's 5% to 95% interval, the line after the last actual month its point
    forecast.
    """
    h = result.history
    if not h or "forecast" not in h or not h.get("history"):
        raise ValueError("the usage history chart needs a history-based scenario")
    fig, ax = _axes(ax)
    past, fc = h["history"], h["forecast"]
    xp, xf = _dates(past["months"]), _dates(result.months)
    ax.plot(xp, past["values"], color="black", lw=1.8, label=f"history to {h['as_of']}")
    ax.fill_between(
        xf, fc["lower"], fc["upper"], color=NEUTRAL, alpha=0.22, lw=0, label="90% interval"
    )
    ax.plot(xf, fc["mean"], color=NEUTRAL, lw=2, label="forecast")
    ax.axvline(xp[-1], color="grey", lw=1, ls=":")
    ax.set_ylim(0, max(float(np.max(fc["upper"], initial=0.0)), max(past["values"]), 1.0) * 1.15)
    _count_axis(ax)
    ax.legend(loc="upper left", frameon=False, ncols=3)
    from aiopex.model.forecasting import method_label

    title = f"Requests per month: history and forecast ({method_label(h)})"
    _style(ax, title, "requests per month")
    return fig


@_plain_text
def accuracy(result: Result, ax: Axes | None = None) -> Figure:
    """Accuracy per month, with retraining months and degraded months marked.

    Degraded months are shaded: plain where monitoring has detected the drop, hatched
    where it is silent (degraded and not yet noticed, or never acted on).
    """
    fig, ax = _axes(ax)
    x = _dates(result.months)
    s = {k: result.drivers[k].to_numpy() for k in DRIVER_SERIES}
    q = result.scenario.resolved.get("quality", {})
    acc = np.asarray(s["accuracy"], dtype=float)
    degraded = np.asarray(s["degraded"]) > 0
    cols = result.drivers.columns
    silent = result.drivers["silent"].to_numpy() > 0 if "silent" in cols else degraded & False
    detected = degraded & ~silent
    # Month m spans [start of m, start of m+1): steps and spans share those edges.
    edges = np.append(x, x[-1] + np.timedelta64(31, "D")) if len(x) else x
    for a, b in _runs(detected):
        ax.axvspan(edges[a], edges[b], color=BAD, alpha=0.12, lw=0)
    for a, b in _runs(silent):
        ax.axvspan(edges[a], edges[b], color=BAD, alpha=0.35, lw=0, hatch="//", fill=False)
        ax.axvspan(edges[a], edges[b], color=BAD, alpha=0.12, lw=0)
    ax.step(edges, np.append(acc, acc[-1:]), where="post", color=NEUTRAL, lw=2.2, label="accuracy")
    acceptable = q.get("acceptable")
    if isinstance(acceptable, int | float):
        ax.axhline(acceptable, color=BAD, ls="--", lw=1.2, label=f"acceptable ({acceptable:.0%})")
    pilot_acc = q.get("pilot_accuracy")
    if isinstance(pilot_acc, int | float):
        ax.axhline(pilot_acc, color="grey", ls=":", lw=1.2, label=f"pilot ({pilot_acc:.0%})")
    retrains = np.nonzero(np.asarray(s["retrain"]) > 0)[0]
    for j, i in enumerate(retrains):
        ax.axvline(x[i], color=GOOD, lw=1.2, alpha=0.8, label="retraining" if j == 0 else None)
    handles, _ = ax.get_legend_handles_labels()
    if detected.any():
        handles.append(Patch(color=BAD, alpha=0.12, label="degraded, detected"))
    if silent.any():
        handles.append(
            Patch(facecolor=BAD, alpha=0.35, hatch="//", label="degraded, silent (unnoticed)")
        )
    ax.legend(handles=handles, loc="lower left", frameon=False, ncols=2)
    ax.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    low = min(float(acc.min()), float(acceptable or acc.min()))
    ax.set_ylim(max(0.0, low - 0.05), min(1.0, max(float(acc.max()), pilot_acc or 0) + 0.03))
    _style(ax, "Accuracy: retraining (green), degraded months (red; hatched: silent)")
    return fig


@_plain_text
def cost_by_category(result: Result, ax: Axes | None = None) -> Figure:
    """Monthly cost stacked by category."""
    fig, ax = _axes(ax)
    x = _dates(result.months)
    bottom = np.zeros(len(x))
    for cat, values in _category_costs(result).items():
        ax.bar(
            x,
            values,
            bottom=bottom,
            width=_bar_width(),
            color=CATEGORY_COLORS[cat],
            label=cat.replace("_", " "),
        )
        bottom = bottom + values
    _money_axis(ax, result.scenario.currency)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    _style(ax, "Monthly cost by category", "cost per month")
    return fig


@_plain_text
def cumulative_net(result: Result, ax: Axes | None = None) -> Figure:
    """Cumulative net cash flow (benefit minus cost), with the payback month."""
    fig, ax = _axes(ax)
    x = _dates(result.months)
    cum = result.drivers["cumulative_net"].to_numpy(dtype=float)
    cur = result.scenario.currency
    ax.fill_between(x, cum, 0, where=cum >= 0, color=GOOD, alpha=0.15, interpolate=True, lw=0)
    ax.fill_between(x, cum, 0, where=cum < 0, color=BAD, alpha=0.15, interpolate=True, lw=0)
    ax.plot(x, cum, color="black", lw=2)
    ax.axhline(0, color="grey", lw=1)
    pb = result.metrics.get("payback_month")
    if pb is not None:
        ax.axvline(x[pb], color=GOOD, ls="--", lw=1.2)
        ax.annotate(
            f"payback: month {pb} ({result.months[pb]})",
            xy=(x[pb], 0),
            xytext=(-8, 12),
            textcoords="offset points",
            ha="right",
            color=GOOD,
            fontweight="bold",
        )
        title = "Cumulative net cash flow, and payback"
    else:
        title = f"Cumulative net cash flow: no payback within {len(x)} months"
    ax.annotate(
        _money(cum[-1], cur),
        xy=(x[-1], cum[-1]),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
    )
    _money_axis(ax, cur)
    _style(ax, title, "cumulative net")
    return fig


def _pilot_items(result: Result) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pilot's paid and absorbed items: ``name``, ``amount`` per month, ``paid_by``."""
    pilot = result.scenario.model.pilot
    if pilot is None:
        return [], []
    paid = [{"name": p.name, "amount": float(p.amount_per_month)} for p in pilot.paid]
    absorbed = [
        {"name": a.name, "paid_by": a.paid_by or "nobody", "amount": float(a.monthly)}
        for a in pilot.absorbed
    ]
    return paid, absorbed


def _require_pilot(result: Result) -> PilotExposure:
    if result.pilot is None:
        raise ValueError(f"scenario {result.scenario.name!r} has no pilot section")
    return result.pilot


@_plain_text
def pilot_cost(result: Result, ax: Axes | None = None) -> Figure:
    """What the pilot reported per month against what it really cost, and who paid the rest.

    Raises
    ------
    ValueError
        When the scenario has no pilot.
    """
    pilot = _require_pilot(result)
    fig, ax = _axes(ax, (10.0, 3.0))
    cur = result.scenario.currency
    paid, absorbed = _pilot_items(result)
    reported = sum(p["amount"] for p in paid)
    payers: dict[str, float] = {}
    for a in absorbed:
        payers[a["paid_by"]] = payers.get(a["paid_by"], 0.0) + a["amount"]
    rows = ["true pilot cost", "reported pilot cost"]
    ax.barh(rows, [reported, reported], color=NEUTRAL, label="pilot budget (reported)")
    left = reported
    for i, (payer, amount) in enumerate(payers.items()):
        color = SERIES_COLORS[(i + 1) % len(SERIES_COLORS)]
        ax.barh(rows[0], amount, left=left, color=color, label=f"absorbed by {payer}")
        left += amount
    for row, total in ((rows[0], left), (rows[1], reported)):
        ax.annotate(
            _money(total, cur),
            xy=(total, row),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontweight="bold",
        )
    _money_axis(ax, cur, "x")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    share = pilot["absorbed_share"]
    title = "Pilot cost per month: reported and true"
    if share is not None:
        title += f" ({share:.0%} absorbed elsewhere)"
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, left * 1.15 if left > 0 else 1)
    return fig


@_plain_text
def pilot_bridge(result: Result, ax: Axes | None = None) -> Figure:
    """Waterfall from "just scale the pilot up" to the real monthly run-rate, by category.

    Raises
    ------
    ValueError
        When the scenario has no pilot.
    """
    p = _require_pilot(result)
    fig, ax = _axes(ax, (10.0, 4.6))
    cur = result.scenario.currency
    naive = float(p["naive_production_monthly"])
    prod = float(p["production_monthly"])
    # Steps under 0.5% of the larger end are left out (the table lists every category).
    tiny = 0.005 * max(abs(naive), abs(prod), 1e-9)
    steps = [(b["category"], float(b["step"])) for b in p["bridge"] if abs(b["step"]) >= tiny]
    labels = ["pilot scaled up", *(c.replace("_", " ") for c, _ in steps), "production run-rate"]
    level = naive
    bottoms, heights, colors = [0.0], [naive], ["grey"]
    for cat, step in steps:
        bottoms.append(level if step >= 0 else level + step)
        heights.append(abs(step))
        colors.append(CATEGORY_COLORS.get(cat, NEUTRAL))
        level += step
    bottoms.append(0.0)
    heights.append(prod)
    colors.append("black")
    xs = np.arange(len(labels))
    ax.bar(xs, heights, bottom=bottoms, color=colors, width=0.65)
    # Connectors: the running total after each bar, to the next bar.
    levels = np.cumsum([naive, *(s for _, s in steps)])
    for i, lvl in enumerate(levels):
        ax.plot([i + 0.33, i + 0.67], [lvl, lvl], color="grey", lw=0.8)
    for i, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
        if i in (0, len(labels) - 1):
            text = _money(h, cur)
        else:
            step = steps[i - 1][1]
            text = ("+" if step >= 0 else "") + _money(step, cur)
        ax.annotate(
            text,
            xy=(i, b + h),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=9,
        )
    ax.set_xticks(xs, labels, rotation=20, ha="right")
    _money_axis(ax, cur)
    mult = p.get("hidden_cost_multiple")
    title = "From 'just scale it up' to the real run-rate, per month"
    if mult is not None:
        title += f": {mult:.1f}x"
    _style(ax, title, "cost per month")
    return fig


def _fan(result: Result, which: str, ax: Axes | None) -> Figure:
    if result.monthly is None:
        raise ValueError("fan charts need a Monte Carlo run (draws > 1)")
    fig, ax = _axes(ax)
    x = _dates(result.months)
    q = {f"p{p}": result.monthly[f"{which}_p{p}"].to_numpy() for p in PERCENTILES}
    cur = result.scenario.currency
    color = BAD if which == "cost" else NEUTRAL
    if "p5" in q and "p95" in q:
        ax.fill_between(x, q["p5"], q["p95"], color=color, alpha=0.10, lw=0, label="p5 to p95")
    ax.fill_between(x, q["p10"], q["p90"], color=color, alpha=0.25, lw=0, label="p10 to p90")
    ax.plot(x, q["p50"], color=color, lw=2, label="p50 (median)")
    ax.plot(x, result.drivers[which].to_numpy(), color="black", lw=1, ls="--", label="point values")
    if which == "net":
        ax.axhline(0, color="grey", lw=1)
    _money_axis(ax, cur)
    ax.legend(loc="upper left", frameon=False, ncols=4)
    name = "cost" if which == "cost" else "net cash flow (benefit minus cost)"
    _style(ax, f"Monthly {name}: range over {result.n_draws:,} draws", f"{which} per month")
    return fig


@_plain_text
def cost_fan(result: Result, ax: Axes | None = None) -> Figure:
    """Fan chart of monthly cost: p10 to p90 band, p50 line (Monte Carlo runs only)."""
    return _fan(result, "cost", ax)


@_plain_text
def net_fan(result: Result, ax: Axes | None = None) -> Figure:
    """Fan chart of monthly net cash flow: p10 to p90 band, p50 line (Monte Carlo runs only)."""
    return _fan(result, "net", ax)


@_plain_text
def npv_distribution(result: Result, ax: Axes | None = None) -> Figure:
    """Histogram of NPV across Monte Carlo draws, with P(NPV < 0)."""
    if result.draws is None or result.probabilities is None:
        raise ValueError("the NPV distribution needs a Monte Carlo run (draws > 1)")
    draws = result.draws.metrics["npv"].to_numpy()
    fig, ax = _axes(ax)
    cur = result.scenario.currency
    v = np.asarray(draws, dtype=float)
    # Bins of equal width with an edge at 0, so no bin mixes gains and losses.
    n = int(np.clip(np.sqrt(v.size), 15, 60))
    lo, hi = float(min(v.min(), 0.0)), float(max(v.max(), 0.0))
    width = (hi - lo) / n or 1.0
    bins = (np.arange(np.floor(lo / width), np.ceil(hi / width) + 1) * width).tolist()
    neg = v[v < 0]
    pos = v[v >= 0]
    ax.hist(pos, bins=bins, color=GOOD, alpha=0.75, label="NPV >= 0")
    if neg.size:
        ax.hist(neg, bins=bins, color=BAD, alpha=0.75, label="NPV < 0")
    ax.axvline(0, color="black", lw=1)
    for pct in (10, 50, 90):
        val = float(np.percentile(v, pct))
        ax.axvline(val, color="grey", ls="--", lw=1)
        ax.annotate(
            f"p{pct} {_money(val, cur)}",
            xy=(val, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=9,
            color="dimgrey",
        )
    p_neg = result.probabilities["prob_npv_negative"]
    _money_axis(ax, cur, "x")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right", frameon=False)
    _style(ax, f"NPV over {v.size:,} draws: P(NPV < 0) = {p_neg:.1%}", "draws")
    return fig


@_plain_text
def commitment_levels(plan: Any, ax: Axes | None = None) -> Figure:
    """Covered lines' cost over the term against the commitment level: the mean and its
    P10-P90 band over the draws, the on-demand cost (no commitment) and the two
    recommended levels (lowest mean, lowest P90) marked.

    ``plan`` is a :class:`~aiopex.analyses.commitments.CommitmentPlan`.
    """
    fig, ax = _axes(ax)
    cur = plan.currency
    df = plan.levels
    x = df["level"].to_numpy()
    ax.fill_between(x, df["p10"], df["p90"], color=NEUTRAL, alpha=0.2, label="P10 to P90")
    ax.plot(x, df["mean"], color=NEUTRAL, lw=2, label="mean cost")
    ax.axhline(
        plan.on_demand["mean"], color="grey", ls="--", lw=1, label="on demand (no commitment)"
    )
    for level, what, color, y in (
        (plan.best_mean, "lowest mean", GOOD, "mean"),
        (plan.best_p90, "lowest P90", BAD, "p90"),
    ):
        ax.axvline(level, color=color, ls=":", lw=1.2)
        ax.plot([level], [plan.row(level)[y]], "o", color=color)
        ax.annotate(
            f"{what}: {_money(level, cur)} a month",
            xy=(level, plan.row(level)[y]),
            xytext=(6, 8 if y == "mean" else -14),
            textcoords="offset points",
            fontsize=9,
            color=color,
        )
    _money_axis(ax, cur, "x")
    _money_axis(ax, cur)
    ax.set_xlabel("committed spend per month")
    ax.legend(loc="upper left", frameon=False)
    term = f"{plan.term[0]} to {plan.term[-1]}"
    covers = list(plan.covers)
    what_lines = ", ".join(covers) if len(covers) <= 3 else f"{len(covers)} lines"
    _style(
        ax,
        f"Cost of {what_lines} over {term}, at {plan.discount:.0%} off",
        "cost over the term",
    )
    return fig


# -- several scenarios --------------------------------------------------------------------


@_plain_text
def compare_cost_by_category(results: Sequence[Result], ax: Axes | None = None) -> Figure:
    """Total cost over the horizon per scenario, stacked by category."""
    fig, ax = _axes(ax, (10.0, 1.2 + 0.55 * max(1, len(results))))
    names = [r.scenario.name for r in results]
    currencies = {r.scenario.currency for r in results}
    cur = currencies.pop() if len(currencies) == 1 else ""
    left = np.zeros(len(results))
    rows = np.arange(len(results))  # numeric rows: a scenario without costs has no bar
    per = [{c: float(v.sum()) for c, v in _category_costs(r).items()} for r in results]
    for cat in CATEGORIES:
        vals = np.array([p.get(cat, 0.0) for p in per])
        if not vals.any():
            continue
        ax.barh(rows, vals, left=left, color=CATEGORY_COLORS[cat], label=cat.replace("_", " "))
        left = left + vals
    for row, total, r in zip(rows, left, results, strict=True):
        ax.annotate(
            f"{_money(total, r.scenario.currency)} over {len(r.months)} months",
            xy=(total, row),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(rows, names)
    ax.invert_yaxis()
    ax.set_xlim(0, left.max() * 1.45 if left.max() > 0 else 1)
    _money_axis(ax, cur, "x")
    ax.grid(axis="x", alpha=0.3)
    if left.any():
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title("Total cost by category", loc="left", fontsize=12, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


@_plain_text
def compare_cumulative_net(results: Sequence[Result], ax: Axes | None = None) -> Figure:
    """Cumulative net cash flow of every scenario on one chart, with payback points."""
    fig, ax = _axes(ax)
    currencies = {r.scenario.currency for r in results}
    cur = currencies.pop() if len(currencies) == 1 else ""
    for i, r in enumerate(results):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        x = _dates(r.months)
        cum = r.drivers["cumulative_net"].to_numpy(dtype=float)
        ax.plot(x, cum, color=color, lw=2, label=r.scenario.name)
        pb = r.metrics.get("payback_month")
        if pb is not None:
            ax.plot([x[pb]], [cum[pb]], "o", color=color, ms=6)
    ax.axhline(0, color="grey", lw=1)
    _money_axis(ax, cur)
    ax.legend(loc="upper left", frameon=False)
    _style(ax, "Cumulative net cash flow (dots: payback)", "cumulative net")
    return fig


# -- sensitivity ----------------------------------------------------------------------------


def tornado(
    sensitivity: Sensitivity, currency: str = "", ax: Axes | None = None, top: int = 12
) -> Figure:
    """The tornado of :func:`aiopex.sensitivity`: per field, a bar from the metric at its
    P10 to the metric at its P90, around the base value; largest swing on top.

    Parameters
    ----------
    sensitivity : Sensitivity
        What :func:`aiopex.sensitivity` returned.
    currency : str
        For a money metric's axis ("" for a count or a share).
    top : int
        The fields with the largest swings shown (the rest are listed as a count).

    Examples
    --------
    >>> from pathlib import Path
    >>> import aiopex
    >>> path = Path(aiopex.__file__).parents[2] / "data" / "scenarios" / "claims_triage.yaml"
    >>> t = aiopex.sensitivity(aiopex.load_scenario(path), break_even=False)
    >>> tornado(t, "USD").axes[0].get_title(loc="left")
    'What moves npv: each input at its P10 and P90'
    """
    fields = sensitivity.records()
    rows = [f for f in fields if f["swing"] is not None][:top]
    fig, ax = _axes(ax, (FIGSIZE[0], max(2.5, 0.45 * len(rows) + 1.4)))
    base = sensitivity.base or 0.0
    y = np.arange(len(rows))[::-1]
    for yi, f in zip(y, rows, strict=True):
        lo, hi = f["metric_at_low"], f["metric_at_high"]
        if lo is None or hi is None:
            continue
        ax.barh(yi, lo - base, left=base, color="#E45756", alpha=0.85, height=0.6)
        ax.barh(yi, hi - base, left=base, color="#4C78A8", alpha=0.85, height=0.6)
    ax.axvline(base, color="black", linewidth=1)
    # field names are text from the scenario: never read as mathtext
    ax.set_yticks(y, [f["field"].replace("$", r"\$") for f in rows])
    if currency:
        _money_axis(ax, currency, axis="x")
    handles = [
        Patch(color="#E45756", alpha=0.85, label="input at its P10"),
        Patch(color="#4C78A8", alpha=0.85, label="input at its P90"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    _style(ax, f"What moves {sensitivity.metric}: each input at its P10 and P90")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    rest = len(fields) - len(rows)
    if rest > 0:
        ax.set_xlabel(f"{rest} more input{'s' if rest != 1 else ''} with smaller swings")
    return fig
