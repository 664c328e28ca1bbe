"""The metric registry: name, label, unit, kind and format of every summary metric.

One entry per metric of SCENARIO.md; the CLI, the HTML reports and the workbook read
their labels and formats from here. A metric added to the engine is added here once.

``kind`` is one of ``money`` (in the scenario's currency), ``share`` (a fraction shown
as a percentage), ``count`` (a whole number of things), ``month`` (a month index) or
``multiple`` (``2.1x``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """How a metric is named, measured and shown.

    Attributes
    ----------
    name : str
        The SCENARIO.md name, as printed in data.
    label : str
        What it is, in words.
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
    unit: str
    kind: str
    decimals: int = 0
    whole_months: bool = False


_ALL = (
    Metric("cost_total", "total cost over the horizon", "currency", "money"),
    Metric("cost_by_category", "total cost of the category", "currency", "money"),
    Metric("benefit_total", "total benefit over the horizon", "currency", "money"),
    Metric("time_saved_total", "value of the time saved by correct outputs", "currency", "money"),
    Metric("error_cost_total", "cost of wrong outputs reaching the workflow", "currency", "money"),
    Metric("net_total", "benefit minus cost", "currency", "money"),
    Metric("npv", "net present value (Excel's NPV, monthly)", "currency", "money"),
    Metric("irr_annual", "internal rate of return, annualized", "per year", "share", 1),
    Metric("mirr_annual", "modified IRR, annualized", "per year", "share", 1),
    Metric(
        "payback_month",
        "first month from which cumulative net stays >= 0",
        "month",
        "month",
        whole_months=True,
    ),
    Metric("roi", "net total / cost total", "share", "share", 1),
    Metric("run_rate_monthly", "mean monthly cost, last 12 months", "currency", "money"),
    Metric("requests_total", "requests handled by the system", "requests", "count"),
    Metric("cost_per_request", "cost total / requests total", "currency", "money", 4),
    Metric("retrains", "retraining months", "months", "count", whole_months=True),
    Metric(
        "degraded_months", "months below acceptable accuracy", "months", "count", whole_months=True
    ),
    Metric(
        "silent_months",
        "degraded months not yet detected or acted on",
        "months",
        "count",
        whole_months=True,
    ),
    Metric("silent_error_cost", "cost of errors in silent months", "currency", "money"),
    Metric("pilot_reported_monthly", "what the pilot's budget showed", "currency", "money"),
    Metric("pilot_absorbed_monthly", "what others paid for the pilot", "currency", "money"),
    Metric("pilot_true_monthly", "reported + absorbed", "currency", "money"),
    Metric("absorbed_share", "absorbed / true", "share", "share", 0),
    Metric("naive_production_monthly", "the pilot's budget scaled up", "currency", "money"),
    Metric("production_monthly", "the production run-rate", "currency", "money"),
    Metric("hidden_cost_multiple", "production / scaled-up pilot", "x", "multiple", 1),
    Metric("prob_npv_negative", "share of draws with NPV < 0", "share", "share", 1),
    Metric(
        "prob_no_payback", "share of draws with no payback within the horizon", "share", "share", 1
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
    return REGISTRY.get(base) or Metric(base, "", "", "number")


#: Metrics counted in whole months (Monte Carlo percentiles with ``method="lower"``).
WHOLE_MONTH_METRICS: frozenset[str] = frozenset(m.name for m in _ALL if m.whole_months)
