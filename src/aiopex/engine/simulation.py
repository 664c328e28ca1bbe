"""The model over ``(draws, months)``: :func:`simulate` runs usage, quality, benefits
and the cost lines on a set of parameters and returns a :class:`Simulation`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import numpy as np

from aiopex.inputs.scenario import Scenario
from aiopex.model import benefits as _benefits
from aiopex.model import commitments as _commit
from aiopex.model import costs as _costs
from aiopex.model import quality, usage
from aiopex.model.costs import LineSpec
from aiopex.months import parts as month_parts
from aiopex.names import CATEGORIES, COMMITMENT_DRIVER

if TYPE_CHECKING:  # pragma: no cover
    pass

#: The parameters of a run: each field's path (``usage.population``,
#: ``costs.<line>.rate``, as :func:`uncertain_fields` names them) -> its values, shape
#: ``(draws, 1)`` (``(1, 1)`` for a constant).
Params: TypeAlias = dict[str, np.ndarray]


class LineArrays(NamedTuple):
    """One cost line's monthly arrays, each ``(draws, months)``."""

    quantity: np.ndarray
    rate: np.ndarray
    amount: np.ndarray


@dataclass(frozen=True, slots=True)
class Simulation:
    """What :func:`simulate` makes of ``draws`` parameter sets: monthly arrays of shape
    ``(draws, months)``.

    Attributes
    ----------
    series : dict
        The driver series by name (:data:`aiopex.names.DRIVER_SERIES`: usage, accuracy,
        ``retrain``, ``degraded``, ``silent``, ``detected``), the names the driver
        registry reads a line's quantity from.
    benefit, cost, net : ndarray
        Value of the correct outputs, the cost of every line, ``benefit - cost``.
    silent_error : ndarray
        The cost of the wrong outputs of silent months.
    error_cost, errors_caught, errors_escaped : ndarray
        The wrong outputs' cost, and the wrong outputs caught and not.
    category : dict
        Cost per category, in :data:`aiopex.names.CATEGORIES` order.
    commitments : dict
        Per commitment line: its split and ``C * n`` (the committed amount in the horizon).
    lines : dict or None
        Per line, its :class:`LineArrays` (None unless asked for: ``keep_lines``).
    """

    series: dict[str, np.ndarray]
    benefit: np.ndarray
    silent_error: np.ndarray
    error_cost: np.ndarray
    errors_caught: np.ndarray
    errors_escaped: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    category: dict[str, np.ndarray]
    commitments: dict[str, tuple[Any, float]]
    lines: dict[str, LineArrays] | None

    @property
    def requests(self) -> np.ndarray:
        return self.series["requests"]

    def line(self, name: str) -> LineArrays:
        """A line's arrays (the simulation must have kept them)."""
        assert self.lines is not None, "simulate(..., keep_lines=True) keeps the lines"
        return self.lines[name]


def simulate(
    scenario: Scenario,
    lines: list[LineSpec],
    p: Params,
    draws: int,
    hist: tuple[Any, Any] | None = None,
    hist_requests: np.ndarray | None = None,
    keep_lines: bool = True,
) -> Simulation:
    """Run the model on ``draws`` parameter sets ``p`` (each ``(draws, 1)``): the
    monthly arrays ``(draws, months)`` of a :class:`Simulation` (with the lines' arrays
    when ``keep_lines``)."""
    m = scenario.model
    u = m.usage
    H = scenario.horizon
    shape = (draws, H)
    out: dict[str, np.ndarray] = {}  # the driver series, by name
    if hist is None:
        waves = [(w.month, w.share) for w in u.rollout] if u.rollout else [(0, 1.0)]
        active = usage.active_users(
            p["usage.population"],
            waves,
            p["usage.adoption.ceiling"],
            p["usage.adoption.midpoint_months"],
            p["usage.adoption.steepness"],
            H,
        )
        seasonal = usage.seasonal_factors(u.seasonality, month_parts(scenario.start)[1], H)
        items = usage.items(
            active, p["usage.items_per_user_month"], p["usage.growth_per_year"], seasonal
        )
        req = usage.requests(items, p["usage.bypass_rate"])
    else:
        fc, users_fc = hist
        req = hist_requests if hist_requests is not None else fc.mean[None, :]
        if users_fc is not None:
            ratio = np.divide(req, fc.mean, out=np.ones_like(req), where=fc.mean > 0)
            active = users_fc.mean[None, :] * ratio
        elif "usage.items_per_user_month" in p:
            active = req / np.maximum(p["usage.items_per_user_month"], 1e-12)
        else:
            active = np.zeros_like(req)
        bypass = p["usage.bypass_rate"]
        items = np.divide(req, 1.0 - bypass, out=np.zeros_like(req), where=bypass < 1)
    out["active_users"] = np.broadcast_to(active, shape)
    out["new_users"] = usage.new_users(out["active_users"])
    out["items"] = np.broadcast_to(items, shape)
    out["requests"] = req = np.broadcast_to(req, shape)
    out["input_tokens"] = usage.tokens(req, p["usage.tokens_per_item.input"])
    out["output_tokens"] = usage.tokens(req, p["usage.tokens_per_item.output"])

    q = m.quality
    launch, drift = p["quality.launch_accuracy"], p["quality.drift_per_month"]
    r = m.retraining
    retrain, age = quality.retrain_and_age(
        r.policy,
        H,
        draws,
        every_months=r.every_months,
        trigger_below=r.trigger_below,
        launch=launch,
        drift=drift,
        floor=q.floor,
    )
    acc = quality.accuracy_from_age(age, launch, drift, q.floor)
    deg = quality.degraded(acc, q.acceptable)
    lag = p.get("monitoring.detection_lag_months", 0.0)
    silent, detected = quality.silent_and_detected(deg, lag, m.degradation.fallback)
    out.update(accuracy=acc, retrain=retrain, degraded=deg, silent=silent, detected=detected)
    catch = p.get("benefits.human_check.catch_rate", 0.0)
    e = _benefits.error_unit_cost(
        p["benefits.cost_per_error"],
        p["benefits.hourly_rate"],
        catch,
        p.get("benefits.human_check.minutes_per_caught_error", 0.0),
    )
    benefit = _benefits.benefit(
        req,
        acc,
        detected,
        p["benefits.minutes_saved_per_item"],
        p["benefits.hourly_rate"],
        e,
        m.degradation.fallback,
    )
    wrong = _benefits.errors(req, acc, detected, m.degradation.fallback)

    cost = np.zeros(shape)
    category: dict[str, np.ndarray] = {}
    arrays: dict[str, LineArrays] = {}
    kept: dict[str, _commit.Arrays] = {}  # quantity, monthly rate, amount
    for ln in lines:
        if ln.driver == COMMITMENT_DRIVER:
            continue
        k = f"costs.{ln.name}."
        qty = _costs.quantity(ln, out, p.get(k + "fte"), p.get(k + "capacity_per_unit"), shape)
        rate_m = _costs.monthly_rate(ln, p[k + "rate"], p[k + "escalation_per_year"], H)
        kept[ln.name] = (qty, rate_m, _costs.amount(qty, rate_m, ln))
    commitments: dict[str, tuple[Any, float]] = {}  # name -> (Split, C * n)
    for ln in lines:
        if ln.driver == COMMITMENT_DRIVER:
            kept[ln.name], split = _commit.apply(ln, kept, shape)
            commitments[ln.name] = (split, ln.rate * _commit.months_in_horizon(ln))
    for ln in lines:
        qty, rate_m, amt = kept[ln.name]
        cost += amt
        if ln.category in category:
            category[ln.category] += amt
        else:
            category[ln.category] = amt.copy()
        if keep_lines:
            arrays[ln.name] = LineArrays(qty, np.broadcast_to(rate_m, shape), amt)
    return Simulation(
        series=out,
        benefit=benefit,
        silent_error=_benefits.silent_error(req, acc, silent, e),
        error_cost=wrong * e,
        errors_caught=wrong * catch,
        errors_escaped=wrong * (1.0 - catch),
        cost=cost,
        net=benefit - cost,
        category={c: category[c] for c in CATEGORIES if c in category},
        commitments=commitments,
        lines=arrays if keep_lines else None,
    )
