"""Quality, retraining and the degradation plan (docs/formulas.md#quality-and-retraining).

Arrays are ``(draws, months)``; parameters ``(draws, 1)``.
"""

from __future__ import annotations

import numpy as np

from aiopex.model import Floats


def accuracy_from_age(age: Floats, launch: Floats, drift: Floats, floor: float) -> Floats:
    """``accuracy(m) = max(floor, launch_accuracy - drift_per_month * age(m))``."""
    return np.maximum(floor, launch - drift * age)


def retrain_and_age(
    policy: str,
    months: int,
    draws: int,
    *,
    every_months: int | None = None,
    trigger_below: float | None = None,
    launch: Floats | None = None,
    drift: Floats | None = None,
    floor: float = 0.0,
) -> tuple[Floats, Floats]:
    """Retraining flags and model age per month.

    - ``age(0) = 0``; otherwise ``age(m) = 0`` in a retraining month, else ``age(m-1) + 1``.
    - scheduled: ``retrain(m) = 1`` when ``m > 0`` and ``m % every_months == 0``.
    - triggered: ``retrain(m) = 1`` when ``m > 0`` and
      ``max(floor, launch_accuracy - drift_per_month * (age(m-1) + 1)) < trigger_below``.
    - none: never.

    Returns
    -------
    retrain, age : ndarray of shape (draws, months)
    """
    m = np.arange(months)
    if policy == "scheduled":
        assert every_months is not None
        retrain = ((m > 0) & (m % every_months == 0)).astype(float)
        age = (m % every_months).astype(float)
        return np.broadcast_to(retrain, (draws, months)).copy(), np.broadcast_to(
            age, (draws, months)
        ).copy()
    if policy == "triggered":
        assert trigger_below is not None and launch is not None and drift is not None
        retrain = np.zeros((draws, months))
        age = np.zeros((draws, months))
        launch_ = np.broadcast_to(launch, (draws, 1))[:, 0]
        drift_ = np.broadcast_to(drift, (draws, 1))[:, 0]
        prev = np.zeros(draws)
        for k in range(1, months):
            cand = prev + 1.0
            fire = np.maximum(floor, launch_ - drift_ * cand) < trigger_below
            retrain[:, k] = fire
            prev = np.where(fire, 0.0, cand)
            age[:, k] = prev
        return retrain, age
    return np.zeros((draws, months)), np.broadcast_to(m.astype(float), (draws, months)).copy()


def degraded(accuracy: Floats, acceptable: float) -> Floats:
    """``degraded(m) = accuracy(m) < acceptable`` (as 0/1)."""
    return (accuracy < acceptable).astype(float)


def detection_lag(lag_months: Floats | float) -> Floats:
    """Whole months of detection lag: ``lag = max(0, floor(detection_lag_months + 0.5))``.

    Examples
    --------
    >>> detection_lag(np.array([0.0, 0.49, 0.5, 1.5, 2.4])).tolist()
    [0.0, 0.0, 1.0, 2.0, 2.0]
    """
    return np.maximum(0.0, np.floor(np.asarray(lag_months, dtype=float) + 0.5))


def silent_and_detected(
    degraded_: Floats, lag_months: Floats | float, fallback: str
) -> tuple[Floats, Floats]:
    """Silent and detected degraded months (docs/formulas.md#detection).

    An *episode* is a maximal run of consecutive degraded months; its first ``lag``
    months (:func:`detection_lag`) are silent, the rest detected. With
    ``fallback: none`` nobody acts on a detection and every degraded month is silent.
    ``detected(m) = degraded(m) - silent(m)``.

    Parameters
    ----------
    degraded_ : ndarray (draws, months)
        0/1 degraded flags.
    lag_months : ndarray (draws, 1) or float
        ``monitoring.detection_lag_months`` per draw (0 without a monitoring section).
    fallback : str
        ``manual`` or ``none``.

    Returns
    -------
    silent, detected : ndarray (draws, months), 0/1

    Examples
    --------
    >>> deg = np.array([[0, 1, 1, 1, 0, 1, 1]], dtype=float)
    >>> s, d = silent_and_detected(deg, 2.0, "manual")
    >>> s.tolist(), d.tolist()
    ([[0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    """
    deg = np.asarray(degraded_, dtype=float)
    if fallback == "none":
        return deg.copy(), np.zeros_like(deg)
    m = np.arange(deg.shape[-1])
    # months since the last non-degraded month: the position in the episode, 1-based
    last_ok = np.maximum.accumulate(np.where(deg > 0, -1, m), axis=-1)
    position = m - last_ok
    silent = ((deg > 0) & (position <= detection_lag(lag_months))).astype(float)
    return silent, deg - silent
