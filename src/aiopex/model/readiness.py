"""Readiness: the questions a pilot never answers (docs/formulas.md#readiness).

Each of the six questions is answered or not; an empty or missing answer is
reported as unanswered, never guessed. Beside each, what the numbers say.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aiopex.inputs.uncertain import point
from aiopex.model import Floats
from aiopex.model.pilot import PilotExposure, UnbudgetedItem
from aiopex.names import READINESS_QUESTIONS

LABELS = {
    "owner": "Who owns the system in production (one named person)?",
    "monitoring_plan": "Which metrics are monitored, at what thresholds, and who is paged?",
    "retraining_plan": "What triggers a retrain, who approves it, how is it validated?",
    "degradation_plan": "What happens when performance drops?",
    "change_management": "Training, workflow changes, and the concerns of unwilling users?",
    "budget_holder": "Whose budget pays the operating cost?",
}


def readiness_report(
    scenario: Any,
    months: list[str],
    accuracy: Floats,
    category_cost: dict[str, Floats],
    retrains: int,
    run_rate_monthly: float,
    silent_months: int = 0,
    silent_error_cost: float = 0.0,
    pilot: PilotExposure | None = None,
) -> dict[str, Any]:
    """The readiness report of a deterministic run.

    Monitoring evidence: the detection lag used ("detection assumed immediate" without a
    ``monitoring`` section), the silent months (degraded, not yet noticed or never acted
    on) and the cost of their wrong outputs (``silent_error_cost``); a
    ``monitoring_plan`` answered while no cost line is in the ``monitoring`` category is
    flagged (a plan nobody is paid to carry out). Each absorbed pilot item that production
    does not budget (``pilot["unbudgeted_absorbed"]``) is flagged under the budget holder:
    who does that work now?

    Returns
    -------
    dict
        ``{"answered": n, "total": 6, "items": [{"question", "label", "answer",
        "answered", "evidence"}], "warnings": [...]}``; ``answer`` is ``None`` when
        unanswered. ``warnings`` lists every unanswered question and every red flag.
    """
    m = scenario.model
    cur = scenario.currency
    H = len(months)
    cats = set(category_cost)
    acceptable = m.quality.acceptable
    below = np.nonzero(accuracy < acceptable)[0]
    evidence: dict[str, list[str]] = {q: [] for q in READINESS_QUESTIONS}
    flags: list[str] = []

    evidence["owner"].append(f"{H} months in production modelled from {months[0]}")
    if "monitoring" in cats:
        evidence["monitoring_plan"].append(
            f"monitoring costs {cur} {category_cost['monitoring'].sum():,.0f} over the horizon"
        )
    else:
        msg = "no monitoring cost line: nobody is paid to watch the system"
        evidence["monitoring_plan"].append(msg)
        flags.append(msg)
        plan = m.readiness.monitoring_plan
        if isinstance(plan, str) and plan.strip():
            msg = "monitoring_plan is answered but no cost line pays for monitoring"
            evidence["monitoring_plan"].append(msg)
            flags.append(msg)
    if m.monitoring is None:
        msg = (
            "no monitoring section: detection assumed immediate (a month below acceptable "
            "is noticed the same month)"
        )
        evidence["monitoring_plan"].append(msg)
        flags.append(msg)
    else:
        lag = int(max(0.0, np.floor(point(m.monitoring.detection_lag_months) + 0.5)))
        evidence["monitoring_plan"].append(
            f"detection lag {lag} month{'s' if lag != 1 else ''}: a drop below acceptable "
            "goes unnoticed that long"
        )
    if silent_months:
        msg = (
            f"{silent_months} silent month{'s' if silent_months != 1 else ''} (degraded, "
            f"not noticed or not acted on): wrong outputs cost {cur} "
            f"{silent_error_cost:,.0f}"
        )
        evidence["monitoring_plan"].append(msg)
        flags.append(msg)
    pol = m.retraining.policy
    if pol == "none":
        msg = (
            f"retraining.policy is none: accuracy drifts from {accuracy[0]:.1%} at launch "
            f"to {accuracy[-1]:.1%} in {months[-1]}"
        )
        evidence["retraining_plan"].append(msg)
        flags.append(msg)
    else:
        evidence["retraining_plan"].append(f"{pol} retraining: {retrains} retrains over {H} months")
        if "retraining" not in cats:
            msg = "no retraining cost line although retrains are planned"
            evidence["retraining_plan"].append(msg)
            flags.append(msg)
    fallback = m.degradation.fallback
    if below.size:
        first = int(below[0])
        evidence["degradation_plan"].append(
            f"accuracy first falls below acceptable ({acceptable:.0%}) in month {first} "
            f"({months[first]}); {below.size} degraded months"
        )
    else:
        evidence["degradation_plan"].append(
            f"accuracy stays at or above acceptable ({acceptable:.0%}) in every month"
        )
    if fallback == "none":
        msg = "degradation.fallback is none: the system keeps running however low its accuracy"
        if below.size:
            msg += f" (silent degradation from {months[int(below[0])]})"
        evidence["degradation_plan"].append(msg)
        flags.append(msg)
    else:
        evidence["degradation_plan"].append(
            "fallback manual: degraded months earn no benefit once detected"
        )
    if "change_management" in cats:
        evidence["change_management"].append(
            f"change management costs {cur} "
            f"{category_cost['change_management'].sum():,.0f} over the horizon"
        )
    else:
        msg = "no change-management cost line: training and workflow changes are unfunded"
        evidence["change_management"].append(msg)
        flags.append(msg)
    evidence["budget_holder"].append(
        f"run-rate {cur} {run_rate_monthly:,.0f} a month ({cur} {12 * run_rate_monthly:,.0f} a "
        "year) lands on this budget"
    )
    for item in pilot["unbudgeted_absorbed"] if pilot is not None else []:
        msg = unbudgeted_flag(item, item["category"] in cats, len(months))
        evidence["budget_holder"].append(msg)
        flags.append(msg)

    items = []
    for q in READINESS_QUESTIONS:
        raw = getattr(m.readiness, q)
        answer = raw.strip() if isinstance(raw, str) and raw.strip() else None
        if answer is None:
            flags.insert(0, f"{q}: UNANSWERED")
        items.append(
            {
                "question": q,
                "label": LABELS[q],
                "answer": answer,
                "answered": answer is not None,
                "evidence": evidence[q],
            }
        )
    return {
        "answered": sum(i["answered"] for i in items),
        "total": len(items),
        "items": items,
        "warnings": flags,
    }


def unbudgeted_flag(item: UnbudgetedItem, has_line: bool, horizon: int) -> str:
    """The readiness flag of one absorbed pilot item that production does not budget.

    >>> flag = unbudgeted_flag({"name": "borrowed data scientist", "category": "people",
    ...     "amount_per_month": 7200.0, "paid_by": "Group Analytics"}, False, 36)
    >>> flag.startswith("the pilot relied on 7,200 a month of people work (borrowed data")
    True
    >>> flag.endswith("Group Analytics); production has no people line: who does it now?")
    True
    """
    cat = item["category"].replace("_", " ")
    who = f"paid by {item['paid_by']}" if item.get("paid_by") else "paid by nobody: not counted"
    if has_line:
        window = min(12, horizon)
        where = f"production's {cat} lines cost nothing in its last {window} months"
    else:
        where = f"production has no {cat} line"
    return (
        f"the pilot relied on {item['amount_per_month']:,.0f} a month of {cat} work "
        f"({item['name']}, {who}); {where}: who does it now?"
    )
