"""The metric registry: name, label, unit, kind and format of every summary metric.

One entry per metric of docs/formulas.md#finance; the CLI, the HTML reports and the workbook read
their labels and formats from here. A metric added to the engine is added here once.

``kind`` is one of ``money`` (in the scenario's currency), ``share`` (a fraction shown
as a percentage), ``count`` (a whole number of things), ``month`` (a month index) or
``multiple`` (``2.1x``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class Metric:
    """How a metric is named, measured and shown.

    Attributes
    ----------
    name : str
        The metric's name in docs/formulas.md, as printed in data.
    label : str
        Its name for people (``Net present value (NPV)``): table rows, the CLI.
    note : str
        What it is, in a few words: the reports' "what it is" column.
    unit : str
        Its unit (``"currency"`` for money).
    kind : str
        ``money``, ``share``, ``count``, ``month`` or ``multiple``.
    decimals : int
        Decimals shown (money and shares; counts and months show none).
    whole_months : bool
        Counted in whole months: Monte Carlo percentiles take no interpolation.
    """

    name: str
    label: str
    note: str
    unit: str
    kind: str
    decimals: int = 0
    whole_months: bool = False


_ALL = (
    Metric(
        "cost_total", "Total cost", "sum of the monthly cost over the horizon", "currency", "money"
    ),
    Metric(
        "cost_by_category",
        "Cost by category",
        "total cost of the category over the horizon",
        "currency",
        "money",
    ),
    Metric(
        "benefit_total",
        "Total benefit",
        "time saved minus cost of errors, over the horizon",
        "currency",
        "money",
    ),
    Metric(
        "time_saved_total",
        "Value of time saved",
        "correct outputs x minutes saved x hourly rate",
        "currency",
        "money",
    ),
    Metric(
        "error_cost_total",
        "Cost of errors",
        "wrong outputs x the cost of one (escaped: cost per error; caught: rework time)",
        "currency",
        "money",
    ),
    Metric(
        "errors_caught",
        "Errors caught by the human check",
        "wrong outputs x catch rate, in the months the system runs",
        "errors",
        "count",
    ),
    Metric(
        "errors_escaped",
        "Errors that reached the workflow",
        "wrong outputs x (1 - catch rate), in the months the system runs",
        "errors",
        "count",
    ),
    Metric(
        "net_total", "Net (benefit - cost)", "benefit minus cost, undiscounted", "currency", "money"
    ),
    Metric(
        "npv",
        "Net present value (NPV)",
        "monthly net cash flows discounted at the discount rate (Excel's NPV)",
        "currency",
        "money",
    ),
    Metric(
        "irr_annual",
        "Internal rate of return (IRR), a year",
        "annualized; none when the cash flows never change sign",
        "per year",
        "share",
        1,
    ),
    Metric(
        "mirr_annual",
        "Modified IRR (MIRR), a year",
        "annualized, finance and reinvestment at the discount rate",
        "per year",
        "share",
        1,
    ),
    Metric(
        "payback_month",
        "Payback month",
        "first month from which the cumulative net stays >= 0",
        "month",
        "month",
        whole_months=True,
    ),
    Metric("roi", "Return on cost (ROI)", "net total / cost total", "share", "share", 1),
    Metric(
        "run_rate_monthly",
        "Run-rate, a month",
        "mean monthly cost over the last 12 months (or fewer)",
        "currency",
        "money",
    ),
    Metric(
        "requests_total",
        "Requests handled",
        "items the system handles over the horizon",
        "requests",
        "count",
    ),
    Metric(
        "cost_per_request",
        "Cost per request",
        "cost total / requests handled",
        "currency",
        "money",
        4,
    ),
    Metric(
        "retrains", "Retrainings", "months with a retraining", "months", "count", whole_months=True
    ),
    Metric(
        "degraded_months",
        "Degraded months",
        "months below the acceptable accuracy",
        "months",
        "count",
        whole_months=True,
    ),
    Metric(
        "silent_months",
        "Silent months (degraded, unnoticed)",
        "degraded months before monitoring notices",
        "months",
        "count",
        whole_months=True,
    ),
    Metric(
        "silent_error_cost",
        "Cost of errors in silent months",
        "errors reaching the workflow in silent months",
        "currency",
        "money",
    ),
    Metric(
        "unused_commitment",
        "Unused commitment",
        "committed spend paid for and not used, over the terms",
        "currency",
        "money",
    ),
    Metric(
        "commitment_savings",
        "Saving from commitments",
        "on-demand cost of the covered lines less what they cost committed",
        "currency",
        "money",
    ),
    Metric(
        "commitment_utilization",
        "Commitment used",
        "1 - unused / committed spend over the terms",
        "share",
        "share",
        1,
    ),
    Metric(
        "pilot_reported_monthly",
        "Pilot cost, as its budget showed it",
        "what the pilot's budget showed",
        "currency",
        "money",
    ),
    Metric(
        "pilot_absorbed_monthly",
        "Pilot cost absorbed by others",
        "what others paid for the pilot",
        "currency",
        "money",
    ),
    Metric("pilot_true_monthly", "True pilot cost", "reported + absorbed", "currency", "money"),
    Metric(
        "absorbed_share", "Share of the pilot cost absorbed", "absorbed / true", "share", "share"
    ),
    Metric(
        "naive_production_monthly",
        "The pilot scaled up ('just scale it up')",
        "the pilot's budget scaled up",
        "currency",
        "money",
    ),
    Metric(
        "production_monthly", "Production run-rate", "the production run-rate", "currency", "money"
    ),
    Metric(
        "hidden_cost_multiple",
        "Hidden cost multiple",
        "production / scaled-up pilot",
        "x",
        "multiple",
        1,
    ),
    Metric(
        "unbudgeted_absorbed_monthly",
        "Absorbed pilot work production does not budget",
        "absorbed items whose category costs nothing in production",
        "currency",
        "money",
    ),
    Metric(
        "prob_npv_negative",
        "P(NPV < 0)",
        "share of Monte Carlo draws in which the NPV is below 0",
        "share",
        "share",
        1,
    ),
    Metric(
        "prob_no_payback",
        "P(no payback within the horizon)",
        "share of draws without payback within the horizon",
        "share",
        "share",
        1,
    ),
)

#: Every metric by name.
REGISTRY: dict[str, Metric] = {m.name: m for m in _ALL}


def metric(name: str) -> Metric:
    """The registry entry of ``name``; ``cost_by_category.<c>`` is ``cost_by_category``.

    >>> metric("cost_by_category.compute").kind, metric("payback_month").whole_months
    ('money', True)

    A name not in the registry (yet) is a plain ``number`` with no label, so an output
    never fails on it; tests require every metric of :mod:`aiopex.names` to be here.
    """
    base = name.split(".", 1)[0]
    return REGISTRY.get(base) or Metric(base, "", "", "", "number")


#: Metrics counted in whole months (Monte Carlo percentiles with ``method="lower"``).
WHOLE_MONTH_METRICS: frozenset[str] = frozenset(m.name for m in _ALL if m.whole_months)


class _CommitmentMetrics(TypedDict, total=False):
    """The metrics a scenario has only with commitments."""

    unused_commitment: float
    commitment_savings: float
    commitment_utilization: float | None


class Metrics(_CommitmentMetrics):
    """``Result.metrics``: the deterministic run's value of every scenario metric of the
    registry (:data:`aiopex.names.METRICS`, the commitment metrics with commitments;
    tests/test_types.py checks the keys against the registry). Whole-month metrics are
    ints; a metric that may be undefined (docs/formulas.md) is ``None`` there."""

    cost_total: float
    cost_by_category: dict[str, float]
    benefit_total: float
    net_total: float
    npv: float
    irr_annual: float | None
    mirr_annual: float | None
    payback_month: int | None
    roi: float | None
    run_rate_monthly: float
    requests_total: float
    cost_per_request: float | None
    retrains: int
    degraded_months: int
    silent_months: int
    silent_error_cost: float
    error_cost_total: float
    errors_caught: float
    errors_escaped: float
