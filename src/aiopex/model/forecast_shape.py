"""The shape of a usage history: a yearly season, or a ramp-up (docs/formulas.md).

``auto`` (:func:`aiopex.model.forecasting.forecast_series`) asks :func:`season_test`
from 36 months whether the history has a yearly season, and, with exactly one year of
history, where nothing seasonal can be backtested, :func:`is_ramp` whether the year is
a ramp-up or a mature year that returns to its level.
"""

from __future__ import annotations

import math

import numpy as np

from aiopex.inputs.history import SEASON
from aiopex.model import Floats

#: A year of history is a ramp-up (:func:`is_ramp`) from this straightness and change.
RAMP_STRAIGHT, RAMP_CHANGE = 0.6, math.log(1.5)
#: Standard-normal 95% quantile: the seasonality test's two-sided 10% level.
_Z_TEST = 1.6448536269514722


def season_test(w: Floats) -> tuple[float, float]:
    """The yearly-season statistic of ``w`` and its limit: ``(r12, limit)``.

    ``r12`` is the month-to-month changes' autocorrelation at lag 12, ``limit`` its 90%
    limit under no season (Bartlett): ``1.645 * sqrt((1 + 2 * sum(r1..r11 ** 2)) / N)``
    for ``N`` changes, the test the Theta method uses to decide whether to
    deseasonalize, here on the changes so that a trend does not pass for a season.
    ``(nan, nan)`` when there are too few changes or none varies.
    """
    d = np.diff(np.asarray(w, dtype=float))
    if d.size <= SEASON + 1 or not np.ptp(d) > 0:
        return math.nan, math.nan
    d = d - d.mean()
    denom = float(d @ d)
    r = np.array([d[k:] @ d[: d.size - k] for k in range(1, SEASON + 1)]) / denom
    limit = _Z_TEST * math.sqrt((1 + 2 * float(np.sum(r[:-1] ** 2))) / d.size)
    return float(r[-1]), limit


def has_season(w: Floats) -> bool:
    """Whether :func:`season_test` sees a yearly season in ``w``: ``|r12| > limit``.

    A strong season fails it at 3-4 years (its own autocorrelations at lags 1-11 raise
    the limit), so ``auto`` backtests the seasonal combination where it says no.

    >>> t = np.arange(48)
    >>> has_season(np.sin(2 * np.pi * t / 12) + 0.01 * t), has_season(0.5 * t)
    (True, False)
    """
    r12, limit = season_test(w)
    return bool(abs(r12) > limit)


def year_shape(w: Floats) -> tuple[float, float]:
    """How a year of history moves: ``(straightness, change)``.

    ``straightness = |w[-1] - w[0]| / sum(|w[t] - w[t-1]|)``: 1 when every month moves
    the same way, near 0 when the year returns to where it started; ``change`` is
    ``|mean(last 3 months) - mean(first 3)|`` in the working scale (in logs: 0.41 is a
    factor 1.5). A flat year is ``(0, 0)``.

    >>> year = np.log([10, 20, 40, 60, 80, 90, 95, 97, 98, 99, 99, 100.0])
    >>> [round(x, 2) for x in year_shape(year)]
    [1.0, 1.6]
    """
    w = np.asarray(w, dtype=float)
    path = float(np.sum(np.abs(np.diff(w))))
    if not path > 0:
        return 0.0, 0.0
    return abs(float(w[-1] - w[0])) / path, abs(float(w[-3:].mean() - w[:3].mean()))


def is_ramp(w: Floats, log: bool) -> bool:
    """Whether a year of history ``w`` (working scale) is a ramp-up rather than a mature year.

    A ramp (a new system being adopted) is nearly monotone and ends far from where it
    started: :func:`year_shape`'s straightness at least :data:`RAMP_STRAIGHT` and its
    change at least :data:`RAMP_CHANGE` (a factor 1.5 in logs; in levels the change over
    the mean level). A mature year returns towards its level.
    """
    straight, change = year_shape(w)
    if not log:
        change = change / max(float(np.mean(np.abs(w))), 1e-12)
    return straight >= RAMP_STRAIGHT and change >= RAMP_CHANGE
