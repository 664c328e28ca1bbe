"""Commitments: committed spend bought ahead at a discount (docs/formulas.md#commitments).

A commitment of ``C`` a month at discount ``d`` buys ``E = C / (1 - d)`` of
on-demand spend on the lines it covers. In each month ``m`` of its term, with
``S(m)`` the covered lines' on-demand amounts (as the cost lines define them):

====================  ========================================================
``covered(m)``        ``min(S(m), E)``
``overage(m)``        ``S(m) - covered(m)``, billed at the on-demand rates
covered lines' cost   ``C + overage(m)`` in place of ``S(m)``
``unused(m)``         ``C - (1 - d) * covered(m)``: paid for, not used
``savings(m)``        ``S(m) - C - overage(m)`` (negative when committing cost more)
====================  ========================================================

Outside the term the covered lines cost ``S(m)`` and every figure above is 0. In
the ledger each covered line keeps its quantity while its rate is multiplied by
``overage(m) / S(m)`` (0 when ``S(m) = 0``); the commitment is a line of its own
with quantity 1 in its term (0 outside) and rate ``C``.

Every function works on arrays of shape ``(draws, months)`` (or anything that
broadcasts to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.model import Floats
from aiopex.model.costs import LineSpec
from aiopex.names import COMMITMENT_DRIVER as COMMITMENT


def on_demand_bought(amount_per_month: float | Floats, discount: float) -> Floats:
    """``E = C / (1 - d)``: the on-demand spend a commitment of ``C`` a month buys.

    >>> float(on_demand_bought(15000.0, 0.25))
    20000.0
    """
    return np.asarray(amount_per_month, dtype=float) / (1.0 - discount)


def term_window(from_month: int, term_months: int, months: int) -> Floats:
    """1.0 in the term's months ``from_month .. from_month + term_months - 1`` (cut at the
    horizon), else 0.0; shape ``(months,)``.

    >>> term_window(2, 3, 6).tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    >>> term_window(4, 12, 6).tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    """
    m = np.arange(months)
    return ((m >= from_month) & (m < from_month + term_months)).astype(float)


@dataclass(frozen=True)
class Split:
    """What a commitment does to its covered lines, month by month (see the module).

    Every attribute has the broadcast shape of ``S`` and the window; all are 0
    outside the term except ``billed`` (``S(m)`` there) and ``factor`` (1 there).

    Attributes
    ----------
    spend : ndarray
        ``S(m)``, the covered lines' on-demand spend (every month).
    window : ndarray, shape (months,)
        1 in the term's months.
    covered, overage, unused, savings : ndarray
        ``min(S, E)``, ``S - covered``, ``C - (1 - d) * covered``, ``S - C - overage``.
    billed : ndarray
        The covered lines' cost: ``C + overage`` in the term, ``S`` outside.
    factor : ndarray
        What each covered line's rate is multiplied by: ``overage / S`` in the term
        (0 when ``S = 0``), 1 outside.
    """

    spend: Floats
    window: Floats
    covered: Floats
    overage: Floats
    unused: Floats
    savings: Floats
    billed: Floats
    factor: Floats


def split(S: Floats, C: float, d: float, window: Floats) -> Split:
    """Split the covered lines' on-demand spend ``S(m)`` under a commitment.

    Parameters
    ----------
    S : ndarray, shape (draws, months)
        The covered lines' on-demand amounts, summed.
    C : float
        ``amount_per_month``, owed in every month of the term.
    d : float
        ``discount``, in ``[0, 1)``.
    window : ndarray, shape (months,)
        1 in the term's months (:func:`term_window`).

    Examples
    --------
    >>> s = split(np.array([[10000.0, 30000.0, 0.0]]), 15000.0, 0.25, np.ones(3))
    >>> s.covered.tolist(), s.overage.tolist(), s.billed.tolist()
    ([[10000.0, 20000.0, 0.0]], [[0.0, 10000.0, 0.0]], [[15000.0, 25000.0, 15000.0]])
    >>> s.unused.tolist(), s.savings.tolist()
    ([[7500.0, 0.0, 15000.0]], [[-5000.0, 5000.0, -15000.0]])
    """
    S = np.asarray(S, dtype=float)
    w = np.asarray(window, dtype=float)
    E = C / (1.0 - d)
    covered = np.minimum(S, E) * w
    overage = (S - np.minimum(S, E)) * w
    unused = (C - (1.0 - d) * covered) * w
    savings = (S - C - overage) * w
    billed = np.where(w > 0, C + overage, S)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(S != 0, overage / np.where(S != 0, S, 1.0), 0.0)
    factor = np.where(w > 0, ratio, 1.0)
    return Split(S, w, covered, overage, unused, savings, billed, factor)


def utilization(unused_total: Floats, committed_total: float) -> Floats:
    """``commitment_utilization = 1 - unused / (C * n)``, ``n`` the term's months within
    the horizon (``committed_total = C * n``).

    >>> float(utilization(np.array(30000.0), 15000.0 * 12))
    0.8333333333333334
    """
    return 1.0 - np.asarray(unused_total, dtype=float) / committed_total


def level_costs(S_term: Floats, levels: Floats, d: float) -> Floats:
    """Per level ``C`` and draw, the covered lines' cost over the term:
    ``sum_m (C + max(S(m) - C / (1 - d), 0))``.

    A broadcast over the draws already computed, one level at a time (memory stays
    one ``(draws, months)`` array).

    Parameters
    ----------
    S_term : ndarray, shape (draws, n)
        The covered lines' on-demand amounts in the term's ``n`` months.
    levels : ndarray, shape (L,)
        Committed spend per month.
    d : float
        The discount.

    Returns
    -------
    ndarray, shape (L, draws)

    Examples
    --------
    >>> level_costs(np.array([[10000.0, 30000.0]]), np.array([0.0, 15000.0]), 0.25).tolist()
    [[40000.0], [40000.0]]
    """
    S_term = np.asarray(S_term, dtype=float)
    n = S_term.shape[1]
    out = np.empty((len(levels), S_term.shape[0]))
    buf = np.empty_like(S_term)
    for i, C in enumerate(np.asarray(levels, dtype=float)):
        np.subtract(S_term, C / (1.0 - d), out=buf)
        np.maximum(buf, 0.0, out=buf)
        out[i] = buf.sum(axis=1) + C * n
    return out


def level_unused(S_term: Floats, levels: Floats, d: float) -> Floats:
    """Per level and draw, the unused commitment over the term:
    ``sum_m (C - (1 - d) * min(S(m), C / (1 - d)))``; shape ``(L, draws)``.

    >>> level_unused(np.array([[10000.0, 30000.0]]), np.array([15000.0]), 0.25).tolist()
    [[7500.0]]
    """
    S_term = np.asarray(S_term, dtype=float)
    n = S_term.shape[1]
    out = np.empty((len(levels), S_term.shape[0]))
    buf = np.empty_like(S_term)
    for i, C in enumerate(np.asarray(levels, dtype=float)):
        np.minimum(S_term, C / (1.0 - d), out=buf)
        out[i] = C * n - (1.0 - d) * buf.sum(axis=1)
    return out


def line_spec(commitment: Any, lines: list[LineSpec], horizon: int) -> LineSpec:
    """A scenario's commitment as the ledger line of its own (driver ``commitment``).

    Its category is its first covered line's; its rate ``C``; its months the term,
    ``from_month .. from_month + term_months - 1``, cut at the horizon.
    """
    first = next(ln for ln in lines if ln.name == commitment.covers[0])
    return LineSpec(
        name=commitment.name,
        category=first.category,
        driver=COMMITMENT,
        rate=float(commitment.amount_per_month),
        escalation_per_year=0.0,
        from_month=int(commitment.from_month),
        to_month=min(int(commitment.from_month) + int(commitment.term_months), horizon) - 1,
        covers=tuple(commitment.covers),
        discount=float(commitment.discount),
    )


def months_in_horizon(spec: LineSpec) -> int:
    """``n``: the term's months within the horizon."""
    return spec.to_month - spec.from_month + 1


Arrays = tuple[Floats, Floats, Floats]


def apply(spec: LineSpec, lines: dict[str, Arrays], shape: tuple[int, int]) -> tuple[Arrays, Split]:
    """Apply one commitment to its covered lines' ``(quantity, rate, amount)``, in place.

    In the term each covered line's rate and amount are multiplied by
    ``overage(m) / S(m)`` (its quantity is kept), so the covered lines add up to
    ``overage(m)``; returns the commitment's own line (quantity 1 in the term, 0
    outside; rate ``C``; amount ``C`` in the term) and the :class:`Split`.
    """
    H = shape[1]
    w = term_window(spec.from_month, months_in_horizon(spec), H)
    S = np.zeros(shape)
    for name in spec.covers:
        S = S + lines[name][2]
    assert spec.discount is not None
    sp = split(S, spec.rate, spec.discount, w)
    for name in spec.covers:
        qty, rate, amt = lines[name]
        lines[name] = (qty, rate * sp.factor, amt * sp.factor)
    qty = np.broadcast_to(w, shape)
    return (qty, np.full(shape, spec.rate), qty * spec.rate), sp
