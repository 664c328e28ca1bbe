"""The summary metrics of a simulation, per draw (docs/formulas.md#finance), and at
point values."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from aiopex.engine.simulation import Simulation
from aiopex.metrics import WHOLE_MONTH_METRICS, Metrics
from aiopex.model import commitments as _commit
from aiopex.model import finance
from aiopex.months import run_rate_window

if TYPE_CHECKING:  # pragma: no cover
    pass


def metrics_per_draw(sim: Simulation, discount_rate: np.ndarray) -> dict[str, Any]:
    """The summary metrics (docs/formulas.md#finance) for every draw, each an array ``(draws,)``.

    - ``cost_total`` = sum of ``cost(m)``; ``cost_by_category`` = sum per category
    - ``benefit_total`` = sum of ``benefit(m)``; ``net_total = benefit_total - cost_total``
    - ``npv`` = ``sum_m net(m) / (1 + r)^(m+1)``, ``r = (1 + discount_rate)^(1/12) - 1``
    - ``irr_annual`` = ``(1 + IRR of net(m))^12 - 1`` (NaN where no IRR), the IRR being
      the root closest to zero
    - ``mirr_annual`` = ``(1 + MIRR of net(m))^12 - 1``, Excel's ``MIRR`` with the monthly
      discount rate as finance and reinvestment rate (NaN where undefined)
    - ``payback_month`` (NaN where the cumulative net ends below 0)
    - ``roi = net_total / cost_total``
    - ``run_rate_monthly`` = mean ``cost(m)`` over the last ``min(12, H)`` months
    - ``requests_total``; ``cost_per_request = cost_total / requests_total``
    - ``retrains``, ``degraded_months``, ``silent_months``: counts of months
    - ``silent_error_cost`` = sum over silent months of
      ``requests(m) * (1 - accuracy(m)) * e``, ``e`` the cost of one wrong output
      (``cost_per_error``, or with a human check
      ``(1 - catch_rate) * cost_per_error + catch_rate * minutes_per_caught_error / 60 *
      hourly_rate``)
    - ``error_cost_total``, ``errors_caught``, ``errors_escaped``: over the months the
      system runs (not a detected month with ``fallback: manual``), ``requests(m) * (1 -
      accuracy(m))`` times ``e``, ``catch_rate`` and ``1 - catch_rate``
    """
    cost, benefit, net = sim.cost, sim.benefit, sim.net
    H = cost.shape[1]
    cost_total = cost.sum(axis=1)
    benefit_total = benefit.sum(axis=1)
    requests_total = sim.requests.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost_total != 0, (benefit_total - cost_total) / cost_total, np.nan)
        cpr = np.where(requests_total != 0, cost_total / requests_total, np.nan)
    out = {
        "cost_total": cost_total,
        "cost_by_category": {c: a.sum(axis=1) for c, a in sim.category.items()},
        "benefit_total": benefit_total,
        "net_total": benefit_total - cost_total,
        "npv": finance.npv(net, discount_rate[:, 0]),
        "irr_annual": finance.irr_annual(net),
        "mirr_annual": finance.mirr_annual(net, discount_rate[:, 0]),
        "payback_month": finance.payback_month(net),
        "roi": roi,
        "run_rate_monthly": cost[:, run_rate_window(H)].mean(axis=1),
        "requests_total": requests_total,
        "cost_per_request": cpr,
        "retrains": sim.series["retrain"].sum(axis=1),
        "degraded_months": sim.series["degraded"].sum(axis=1),
        "silent_months": sim.series["silent"].sum(axis=1),
        "silent_error_cost": sim.silent_error.sum(axis=1),
        "error_cost_total": sim.error_cost.sum(axis=1),
        "errors_caught": sim.errors_caught.sum(axis=1),
        "errors_escaped": sim.errors_escaped.sum(axis=1),
    }
    out.update(commitment_metrics(sim.commitments))
    return out


def commitment_metrics(commitments: dict[str, tuple[Any, float]]) -> dict[str, np.ndarray]:
    """Per draw, the commitments' ``unused_commitment`` and ``commitment_savings`` (sums
    over the terms) and ``commitment_utilization`` (``1 - unused / sum(C * n)``, ``n`` the
    term's months within the horizon); ``{}`` without commitments."""
    if not commitments:
        return {}
    unused = sum(sp.unused.sum(axis=1) for sp, _ in commitments.values())
    savings = sum(sp.savings.sum(axis=1) for sp, _ in commitments.values())
    committed = sum(c for _, c in commitments.values())
    return {
        "unused_commitment": unused,
        "commitment_savings": savings,
        "commitment_utilization": _commit.utilization(unused, committed),
    }


def _scalar(x: float, integer: bool = False) -> float | int | None:
    x = float(x)
    if math.isnan(x):
        return None
    return int(round(x)) if integer else x


def _point_metrics(per_draw: dict[str, Any]) -> Metrics:
    """The first draw's metrics as plain numbers: whole-month metrics as ints, NaN as None
    (the keys are the registry's, tests/test_types.py checks)."""
    out: dict[str, Any] = {}
    for k, v in per_draw.items():
        if k == "cost_by_category":
            out[k] = {c: float(a[0]) for c, a in v.items()}
        else:
            out[k] = _scalar(v[0], integer=k in WHOLE_MONTH_METRICS)
    return cast(Metrics, out)


def _flat_metrics(per: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-draw metrics flat: one array per metric, ``cost_by_category.<c>`` by category."""
    cols: dict[str, np.ndarray] = {}
    for k, v in per.items():
        if k == "cost_by_category":
            for c, a in v.items():
                cols[f"{k}.{c}"] = np.asarray(a, dtype=float)
        else:
            cols[k] = np.asarray(v, dtype=float)
    return cols
