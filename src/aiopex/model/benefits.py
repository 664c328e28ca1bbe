"""What the system is worth each month, and what its errors cost (docs/formulas.md#benefits)."""

from __future__ import annotations

import numpy as np

from aiopex.model import Floats


def error_unit_cost(
    cost_per_error: Floats | float,
    hourly_rate: Floats | float,
    catch_rate: Floats | float = 0.0,
    minutes_per_caught_error: Floats | float = 0.0,
) -> Floats | float:
    """The cost of one wrong output, ``e``.

    ``e = (1 - catch_rate) * cost_per_error + catch_rate * minutes_per_caught_error / 60 *
    hourly_rate``: the errors a human check catches cost rework time, the others reach
    the workflow. Without a human check ``catch_rate = 0`` and ``e = cost_per_error``.

    >>> float(error_unit_cost(15.0, 48.0, 0.9, 3.0))
    3.66
    """
    return (1.0 - catch_rate) * cost_per_error + catch_rate * (
        minutes_per_caught_error / 60.0 * hourly_rate
    )


def running(detected: Floats, fallback: str) -> Floats:
    """1 in a month the system runs, 0 in a *detected* degraded month with
    ``fallback: manual`` (the work went back to people)."""
    if fallback == "manual":
        return np.where(detected > 0, 0.0, 1.0)
    return np.ones_like(np.asarray(detected, dtype=float))


def benefit(
    requests: Floats,
    accuracy: Floats,
    detected: Floats,
    minutes_saved_per_item: Floats,
    hourly_rate: Floats,
    error_cost: Floats | float,
    fallback: str,
) -> Floats:
    """Monthly benefit.

    ``benefit(m) = requests(m) * (accuracy(m) * minutes_saved_per_item / 60 * hourly_rate
    - (1 - accuracy(m)) * e)``, ``e`` the cost of one wrong output
    (:func:`error_unit_cost`: ``cost_per_error`` without a human check), except that in
    a *detected* degraded month with ``fallback: manual`` the work goes back to people
    and ``benefit(m) = 0``. In a silent month (degraded, not yet noticed) the formula
    holds: the wrong outputs reach the workflow. With ``fallback: none`` the formula
    holds however low the accuracy.
    """
    b = requests * (
        accuracy * minutes_saved_per_item / 60.0 * hourly_rate - (1.0 - accuracy) * error_cost
    )
    if fallback == "manual":
        b = np.where(detected > 0, 0.0, b)
    return b


def errors(requests: Floats, accuracy: Floats, detected: Floats, fallback: str) -> Floats:
    """Wrong outputs per month in the months the system runs: ``requests(m) * (1 -
    accuracy(m))``, 0 in a detected degraded month with ``fallback: manual``. Times
    ``catch_rate`` they are ``errors_caught``, times ``1 - catch_rate`` ``errors_escaped``,
    times ``e`` ``error_cost_total`` (summed over the horizon)."""
    return requests * (1.0 - accuracy) * running(detected, fallback)


def silent_error(
    requests: Floats, accuracy: Floats, silent: Floats, error_cost: Floats | float
) -> Floats:
    """The cost of wrong outputs in silent months, per month:
    ``silent(m) * requests(m) * (1 - accuracy(m)) * e``; its sum over the months is the
    metric ``silent_error_cost``."""
    return silent * requests * (1.0 - accuracy) * error_cost
