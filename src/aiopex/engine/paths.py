"""A scenario's monthly cost and net over Monte Carlo draws (:func:`cost_paths`): what a
portfolio and a commitment plan sum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aiopex.engine.montecarlo import simulate_chunks
from aiopex.engine.params import (
    HISTORY_STREAM,
    Streams,
    _history,
    _point_params,
    _sampled_params,
    line_specs,
)
from aiopex.engine.simulation import Params, Simulation, simulate
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import stream
from aiopex.model import costs as _costs
from aiopex.model.costs import LineSpec
from aiopex.model.percentiles import percentiles
from aiopex.names import COMMITMENT_DRIVER

if TYPE_CHECKING:  # pragma: no cover
    pass


@dataclass
class CostPaths:
    """One scenario's monthly cost and net over Monte Carlo draws: what a portfolio sums.

    Attributes
    ----------
    cost, net : ndarray, shape (draws, months)
        ``cost(m)`` (the sum of the cost lines) and ``net(m) = benefit(m) - cost(m)`` of
        every draw; one row at point values when ``draws == 1``.
    point_cost, point_net : ndarray, shape (months,)
        The deterministic run at point values.
    line_names, line_categories, line_drivers : list of str
        The cost lines, in file order.
    point_lines : ndarray, shape (lines, months)
        Each line's ``amount(m)`` at point values.
    line_percentiles : ndarray, shape (lines, 3, months)
        Each line's P10, P50 and P90 of ``amount(m)`` over the draws (numpy's linear
        percentiles), per month.
    spend : ndarray, shape (draws, months), or None
        With ``spend_of``: the on-demand amounts of those lines, summed (any commitment
        on them set aside).
    independent_cost, independent_net : ndarray, shape (draws, months), or None
        With ``independent`` streams: ``cost(m)`` and ``net(m)`` of every draw when the
        fields in ``differing`` draw from those streams instead (a portfolio member
        with nothing shared), from the same pass.
    """

    cost: np.ndarray
    net: np.ndarray
    point_cost: np.ndarray
    point_net: np.ndarray
    line_names: list[str]
    line_categories: list[str]
    line_drivers: list[str]
    point_lines: np.ndarray
    line_percentiles: np.ndarray
    spend: np.ndarray | None = None
    independent_cost: np.ndarray | None = None
    independent_net: np.ndarray | None = None


#: The line percentiles :func:`cost_paths` keeps (P10, P50, P90).
LINE_PERCENTILES = (10, 50, 90)


def cost_paths(
    scenario: Scenario,
    draws: int,
    seed: int,
    streams: Streams | None = None,
    chunk: int | None = None,
    spend_of: tuple[str, ...] = (),
    independent: Streams | None = None,
    differing: frozenset[str] = frozenset(),
) -> CostPaths:
    """Monthly cost and net of every draw, and each cost line's percentiles.

    The same model as :func:`monte_carlo` (:func:`simulate` on chunks of draws), without
    the per-draw metrics: a portfolio member's task. ``draws == 1`` is the deterministic
    run at point values. Field ``path`` draws from ``streams(path)`` (default
    ``stream(seed, path)``, as a scenario run alone), the history forecast's paths from
    ``streams("usage.history")``. With ``spend_of`` (line names), a commitment that
    covers any of them is set aside and ``spend`` holds their summed amounts per draw.

    With ``independent``, the same pass also gives the cost and net of every draw when
    the fields in ``differing`` draw from ``independent(path)`` instead (the others keep
    their draws): a portfolio member's view with nothing shared. Where those fields are
    only cost lines' ``rate`` and ``escalation_per_year`` (and the discount rate, which
    cost does not use), only those lines' amounts are computed again, and the lines are
    added up in the same order, so the numbers are those of a run of their own.

    Examples
    --------
    >>> import aiopex, pathlib
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> cp = cost_paths(s, 200, seed=1)
    >>> cp.cost.shape == (200, s.horizon)
    True
    >>> bool(np.allclose(cost_paths(s, 1, seed=1).cost[0], aiopex.run(s).drivers["cost"]))
    True
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    H = scenario.horizon
    lines = [ln for ln in line_specs(scenario) if not set(ln.covers) & set(spend_of)]
    hist = _history(scenario) if scenario.model.usage.history_based else None
    p0 = _point_params(scenario)
    det = simulate(scenario, lines, p0, 1, hist)
    point_lines = np.zeros((len(lines), H))
    for i, ln in enumerate(lines):
        point_lines[i] = det.line(ln.name).amount[0]
    if draws == 1:
        p, hist_req = p0, None
    else:
        p = _sampled_params(scenario, draws, seed, streams)
        rng = streams(HISTORY_STREAM) if streams is not None else stream(seed, HISTORY_STREAM)
        hist_req = hist[0].sample(draws, rng) if hist is not None else None
    alt = independent is not None and draws > 1
    if independent is not None and alt:
        p_alt = dict(p)
        p_alt.update(_sampled_params(scenario, draws, seed, independent, only=differing))
        alt_lines = _rate_only_lines(lines, differing)
        if alt_lines is None and HISTORY_STREAM in differing and hist is not None:
            hist_alt = hist[0].sample(draws, independent(HISTORY_STREAM))
        else:
            hist_alt = hist_req
        alt_cost, alt_net = np.empty((draws, H)), np.empty((draws, H))
    cost = np.empty((draws, H))
    net = np.empty((draws, H))
    amounts = np.empty((len(lines), draws, H))
    for c in simulate_chunks(scenario, lines, p, draws, hist, hist_req, chunk):
        cost[c.lo : c.hi] = c.sim.cost
        net[c.lo : c.hi] = c.sim.net
        for i, ln in enumerate(lines):
            amounts[i, c.lo : c.hi] = c.sim.line(ln.name).amount
        if alt:
            lo, hi = c.lo, c.hi
            pa = {k: v[lo:hi] if v.shape[0] > 1 else v for k, v in p_alt.items()}
            if alt_lines is None:  # a field the usage or quality depends on: run again
                ha = hist_alt[lo:hi] if hist_alt is not None else None
                other = simulate(scenario, lines, pa, hi - lo, hist, ha, keep_lines=False)
                alt_cost[lo:hi], alt_net[lo:hi] = other.cost, other.net
            else:
                recost = _recost(lines, c.sim, pa, alt_lines, H)
                alt_cost[lo:hi] = recost
                alt_net[lo:hi] = c.sim.benefit - recost
    spend = None
    if spend_of:
        idx = [i for i, ln in enumerate(lines) if ln.name in spend_of]
        spend = amounts[idx].sum(axis=0)
    pct = percentiles(amounts, LINE_PERCENTILES, axis=1)  # (3, lines, H)
    return CostPaths(
        cost=cost,
        net=net,
        point_cost=np.asarray(det.cost[0], dtype=float),
        point_net=np.asarray(det.net[0], dtype=float),
        line_names=[ln.name for ln in lines],
        line_categories=[ln.category for ln in lines],
        line_drivers=[ln.driver for ln in lines],
        point_lines=point_lines,
        line_percentiles=np.ascontiguousarray(pct.transpose(1, 0, 2)),
        spend=spend,
        independent_cost=alt_cost if alt else None,
        independent_net=alt_net if alt else None,
    )


#: The fields of a cost line that only its own amount depends on.
_AMOUNT_ONLY = ("rate", "escalation_per_year")


def _rate_only_lines(lines: list[LineSpec], paths: frozenset[str]) -> frozenset[str] | None:
    """The lines whose amounts change when ``paths`` draw otherwise, or None when a path
    moves more than amounts (usage, quality, a commitment, a line's quantity)."""
    if any(ln.driver == COMMITMENT_DRIVER for ln in lines):
        return None
    names = {ln.name for ln in lines}
    out = set()
    for path in paths:
        if path == "finance.discount_rate":
            continue  # cost and net do not depend on it
        head, _, field = path.rpartition(".")
        if not head.startswith("costs.") or field not in _AMOUNT_ONLY:
            return None
        name = head[len("costs.") :]
        if name not in names:
            return None
        out.add(name)
    return frozenset(out)


def _recost(
    lines: list[LineSpec],
    sim: Simulation,
    p: Params,
    changed: frozenset[str],
    H: int,
) -> np.ndarray:
    """``cost(m)`` with the amounts of the ``changed`` lines from the parameters ``p``:
    the same sum, in the same order, as :func:`simulate`."""
    cost = np.zeros(sim.cost.shape)
    for ln in lines:
        qty, _, amt = sim.line(ln.name)
        if ln.name in changed:
            k = f"costs.{ln.name}."
            rate_m = _costs.monthly_rate(ln, p[k + "rate"], p[k + "escalation_per_year"], H)
            amt = _costs.amount(qty, rate_m, ln)
        cost += amt
    return cost
