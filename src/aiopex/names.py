"""Column, metric and category names, in one place.

These are the names docs/formulas.md fixes: wherever a metric is printed as data,
it is printed under one of these names.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "compute",
    "monitoring",
    "retraining",
    "support",
    "change_management",
    "data",
    "people",
    "licenses",
    "other",
)

DRIVERS: tuple[str, ...] = (
    "fixed",
    "one_time",
    "per_request",
    "per_1k_input_tokens",
    "per_1k_output_tokens",
    "per_active_user",
    "per_new_user",
    "fte",
    "per_retrain",
    "capacity",
)

#: The cost drivers a commitment may cover: the usage-priced ones (docs/formulas.md#commitments).
USAGE_PRICED: tuple[str, ...] = (
    "per_request",
    "per_1k_input_tokens",
    "per_1k_output_tokens",
    "per_active_user",
    "capacity",
)

#: The ledger driver of a commitment's own line.
COMMITMENT_DRIVER = "commitment"

#: The metrics of a scenario with commitments (totals in ``metrics``; one entry per
#: commitment under ``commitments``).
COMMITMENT_METRICS: tuple[str, ...] = (
    "unused_commitment",
    "commitment_savings",
    "commitment_utilization",
)

METRICS: tuple[str, ...] = (
    "cost_total",
    "cost_by_category",
    "benefit_total",
    "net_total",
    "npv",
    "irr_annual",
    "mirr_annual",
    "payback_month",
    "roi",
    "run_rate_monthly",
    "requests_total",
    "cost_per_request",
    "retrains",
    "degraded_months",
    "silent_months",
    "silent_error_cost",
    "error_cost_total",
    "errors_caught",
    "errors_escaped",
)

PILOT_METRICS: tuple[str, ...] = (
    "pilot_reported_monthly",
    "pilot_absorbed_monthly",
    "pilot_true_monthly",
    "absorbed_share",
    "naive_production_monthly",
    "production_monthly",
    "hidden_cost_multiple",
    "unbudgeted_absorbed_monthly",
)

READINESS_QUESTIONS: tuple[str, ...] = (
    "owner",
    "monitoring_plan",
    "retraining_plan",
    "degradation_plan",
    "change_management",
    "budget_holder",
)

#: Monthly driver series, the rows of the workbook's ``Drivers`` sheet.
DRIVER_SERIES: tuple[str, ...] = (
    "active_users",
    "new_users",
    "items",
    "requests",
    "input_tokens",
    "output_tokens",
    "accuracy",
    "retrain",
    "degraded",
    "silent",
    "detected",
)

#: Columns of the tidy ledger, in order.
LEDGER_COLUMNS: tuple[str, ...] = (
    "scenario",
    "draw",
    "month",
    "category",
    "line_item",
    "driver",
    "quantity",
    "rate",
    "amount",
)

#: Percentiles reported for every metric of a Monte Carlo run.
PERCENTILES: tuple[int, ...] = (5, 10, 50, 90, 95)

#: Defaults of a cost line's optional fields (``to_month`` defaults to the last month,
#: H-1). LineSpec construction (:func:`aiopex.model.costs.line_spec`) and the list of
#: inputs (:meth:`aiopex.inputs.scenario.Scenario.scalar_inputs`) read them here.
LINE_DEFAULTS: dict[str, float | int] = {
    "escalation_per_year": 0.0,
    "from_month": 0,
    "month": 0,
    "min_units": 1,
}
