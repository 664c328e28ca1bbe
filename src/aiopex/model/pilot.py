"""The pilot, and what it absorbed (docs/formulas.md#pilot-what-it-absorbed).

With ``prod_requests`` the mean of ``requests(m)`` over the last ``min(12, H)`` months:

- ``pilot_reported_monthly`` = sum of ``paid``
- ``pilot_absorbed_monthly`` = sum of ``absorbed`` (``amount_per_month``, or
  ``hours_per_month * hourly_rate``)
- ``pilot_true_monthly`` = reported + absorbed
- ``absorbed_share`` = absorbed / true
- ``naive_production_monthly`` = ``pilot_reported_monthly / requests_per_month * prod_requests``
  ("we just need to scale it up")
- ``production_monthly`` = ``run_rate_monthly``
- ``hidden_cost_multiple`` = ``production_monthly / naive_production_monthly``
- bridge: one step per category, ``production_c - naive_c``, where ``naive_c`` scales
  the pilot's paid items of category ``c`` the same way and ``production_c`` is that
  category's mean cost over the same months.
- ``unbudgeted_absorbed``: the absorbed items whose category costs nothing in production
  over those months (no line of that category, or none that costs anything then), each
  ``name``, ``category``, ``amount_per_month``, ``paid_by`` (``None`` when not given);
  ``unbudgeted_absorbed_monthly`` is their sum. The bridge has only production's
  categories, so without this list these items would vanish.

See docs/formulas.md, "The pilot".
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from aiopex.inputs.schema import Pilot
from aiopex.model import Floats
from aiopex.months import run_rate_window
from aiopex.names import CATEGORIES


class BridgeStep(TypedDict):
    """One category's step of the bridge, per month."""

    category: str
    naive: float
    production: float
    step: float


class UnbudgetedItem(TypedDict):
    """An absorbed pilot item whose category costs nothing in production."""

    name: str
    category: str
    amount_per_month: float
    paid_by: str | None


class PilotExposure(TypedDict):
    """What the pilot hid: ``Result.pilot``, the pilot metrics of the registry
    (:data:`aiopex.names.PILOT_METRICS`, tests/test_types.py checks) with the bridge and the
    unbudgeted items."""

    pilot_reported_monthly: float
    pilot_absorbed_monthly: float
    pilot_true_monthly: float
    absorbed_share: float | None
    naive_production_monthly: float
    production_monthly: float
    hidden_cost_multiple: float | None
    bridge: list[BridgeStep]
    unbudgeted_absorbed: list[UnbudgetedItem]
    unbudgeted_absorbed_monthly: float


def _ratio(a: float, b: float) -> float | None:
    return a / b if b != 0 else None


def pilot_exposure(
    pilot: Pilot,
    requests: Floats,
    category_cost: dict[str, Floats],
    run_rate_monthly: float,
) -> PilotExposure:
    """Pilot exposure metrics and the bridge, for one (deterministic) run.

    Parameters
    ----------
    pilot : Pilot
        The scenario's ``pilot`` section.
    requests : ndarray (months,)
        Monthly requests.
    category_cost : dict of str to ndarray (months,)
        Monthly cost per category present among the cost lines.
    run_rate_monthly : float
        Mean cost over the last ``min(12, H)`` months.
    """
    H = requests.shape[-1]
    tail = run_rate_window(H)
    prod_requests = float(np.mean(requests[tail]))
    reported = float(sum(p.amount_per_month for p in pilot.paid))
    absorbed = float(sum(a.monthly for a in pilot.absorbed))
    true = reported + absorbed
    scale = prod_requests / pilot.requests_per_month
    naive = reported * scale
    cats = [c for c in CATEGORIES if c in category_cost or any(p.category == c for p in pilot.paid)]
    bridge: list[BridgeStep] = []
    for c in cats:
        naive_c = sum(p.amount_per_month for p in pilot.paid if p.category == c) * scale
        prod_c = float(np.mean(category_cost[c][tail])) if c in category_cost else 0.0
        bridge.append(
            {"category": c, "naive": naive_c, "production": prod_c, "step": prod_c - naive_c}
        )
    unbudgeted: list[UnbudgetedItem] = [
        {
            "name": a.name,
            "category": a.category,
            "amount_per_month": float(a.monthly),
            "paid_by": a.paid_by,
        }
        for a in pilot.absorbed
        if not costs_in_production(category_cost, a.category, tail)
    ]
    return {
        "pilot_reported_monthly": reported,
        "pilot_absorbed_monthly": absorbed,
        "pilot_true_monthly": true,
        "absorbed_share": _ratio(absorbed, true),
        "naive_production_monthly": naive,
        "production_monthly": run_rate_monthly,
        "hidden_cost_multiple": _ratio(run_rate_monthly, naive),
        "bridge": bridge,
        "unbudgeted_absorbed": unbudgeted,
        "unbudgeted_absorbed_monthly": float(sum(u["amount_per_month"] for u in unbudgeted)),
    }


def costs_in_production(category_cost: dict[str, np.ndarray], category: str, tail: slice) -> bool:
    """Whether ``category`` costs anything in the months of ``production_monthly``: a line of
    that category with a non-zero amount in one of them."""
    cost = category_cost.get(category)
    return cost is not None and bool(np.any(np.asarray(cost)[..., tail] != 0))
