"""What the system is worth each month (SCENARIO.md, "Benefits")."""

from __future__ import annotations

import numpy as np


def benefit(
    requests: np.ndarray,
    accuracy: np.ndarray,
    degraded: np.ndarray,
    minutes_saved_per_item: np.ndarray,
    hourly_rate: np.ndarray,
    cost_per_error: np.ndarray,
    fallback: str,
) -> np.ndarray:
    """Monthly benefit.

    ``benefit(m) = requests(m) * (accuracy(m) * minutes_saved_per_item / 60 * hourly_rate
    - (1 - accuracy(m)) * cost_per_error)``, except that in a degraded month with
    ``fallback: manual`` the work goes back to people and ``benefit(m) = 0``. With
    ``fallback: none`` the formula holds however low the accuracy.
    """
    b = requests * (
        accuracy * minutes_saved_per_item / 60.0 * hourly_rate - (1.0 - accuracy) * cost_per_error
    )
    if fallback == "manual":
        b = np.where(degraded > 0, 0.0, b)
    return b
