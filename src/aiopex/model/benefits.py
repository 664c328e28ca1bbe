"""What the system is worth each month, and what silent errors cost (SCENARIO.md, "Benefits")."""

from __future__ import annotations

import numpy as np


def benefit(
    requests: np.ndarray,
    accuracy: np.ndarray,
    detected: np.ndarray,
    minutes_saved_per_item: np.ndarray,
    hourly_rate: np.ndarray,
    cost_per_error: np.ndarray,
    fallback: str,
) -> np.ndarray:
    """Monthly benefit.

    ``benefit(m) = requests(m) * (accuracy(m) * minutes_saved_per_item / 60 * hourly_rate
    - (1 - accuracy(m)) * cost_per_error)``, except that in a *detected* degraded month
    with ``fallback: manual`` the work goes back to people and ``benefit(m) = 0``. In a
    silent month (degraded, not yet noticed) the formula holds: the wrong outputs reach
    the workflow. With ``fallback: none`` the formula holds however low the accuracy.
    """
    b = requests * (
        accuracy * minutes_saved_per_item / 60.0 * hourly_rate - (1.0 - accuracy) * cost_per_error
    )
    if fallback == "manual":
        b = np.where(detected > 0, 0.0, b)
    return b


def silent_error(
    requests: np.ndarray, accuracy: np.ndarray, silent: np.ndarray, cost_per_error: np.ndarray
) -> np.ndarray:
    """The cost of wrong outputs in silent months, per month:
    ``silent(m) * requests(m) * (1 - accuracy(m)) * cost_per_error``; its sum over the
    months is the metric ``silent_error_cost``."""
    return silent * requests * (1.0 - accuracy) * cost_per_error
