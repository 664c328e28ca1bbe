"""History-based usage: read a monthly usage CSV and forecast it (SCENARIO.md, Usage).

A system already in use has a usage history, ``month,requests[,active_users]``,
one row per month. :func:`read_history` validates it at the boundary and lists
every problem at once; :func:`forecast_series` forecasts one column of it with a
statsmodels model and a 90% prediction interval, which :meth:`HistoryForecast.sample`
turns into Monte Carlo paths.

Methods, each in a plain and, from :data:`MIN_SEASONAL` months, a seasonal variant
(period 12): ``naive`` (last value / same month last year), ``ets`` (ETSModel,
additive error, damped additive trend, additive season), ``theta`` (ThetaModel,
deseasonalized), ``sarimax`` (SARIMAX(1,1,1) with drift / (1,1,1)(0,1,1,12)).
Variants are compared by rolling-origin error (:func:`backtest_origins`), never by
AIC across families; ``auto`` compares every variant, a named method only its own two.
statsmodels is imported inside the functions that fit, so the CLI starts fast.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aiopex.errors import DataError, Problem
from aiopex.inputs.history import (  # noqa: F401  (re-exported)
    HISTORY_COLUMNS,
    MIN_MONTHS,
    MIN_SEASONAL,
    SEASON,
    VARIANTS,
    Z90,
    _min_months,
    _needs,
    read_history,
)


def backtest_origins(n: int) -> tuple[int, list[int]]:
    """Rolling-origin scheme for ``n`` months: ``(horizon, training lengths)``.

    The horizon is ``min(6, max(1, n // 4))`` months; up to 3 origins, ``horizon // 2``
    months apart (at least 1), the last one leaving exactly ``horizon`` months to
    score. A variant is backtested only when every training window meets its minimum,
    so a seasonal variant needs 24 months in the shortest window: 36 months of history.

    >>> backtest_origins(36)
    (6, [24, 27, 30])
    """
    h = min(6, max(1, n // 4))
    step = max(1, h // 2)
    return h, sorted(t for t in (n - h - k * step for k in range(3)) if t >= 1)


def _predict(variant: str, y: pd.Series, steps: int) -> tuple[np.ndarray, ...]:
    """Point forecast and 90% interval of ``steps`` months after ``y``; raises on failure."""
    family, seasonal = VARIANTS[variant]
    v, n = y.to_numpy(dtype=float), len(y)
    if family != "naive":  # imported here, not at the top, and before the filter below:
        # importing statsmodels sets its warnings to "always", which would override it
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.forecasting.theta import ThetaModel
        from statsmodels.tsa.statespace.sarimax import SARIMAX
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if family == "naive":
            h = np.arange(1, steps + 1)
            if seasonal:  # same month last year; sd grows with the years ahead
                mean = v[n - SEASON + (h - 1) % SEASON]
                resid, grow = v[SEASON:] - v[:-SEASON], np.sqrt((h - 1) // SEASON + 1)
            else:  # random walk: sd of one-step changes times sqrt(h)
                mean, resid, grow = np.full(steps, v[-1]), np.diff(v), np.sqrt(h)
            sd = math.sqrt(np.mean(resid**2)) if resid.size else 0.0
            lo, hi = mean - Z90 * sd * grow, mean + Z90 * sd * grow
        elif family == "ets":
            model = ETSModel(
                y,
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add" if seasonal else None,
                seasonal_periods=SEASON if seasonal else None,
            )
            frame = model.fit(disp=False).get_prediction(n, n + steps - 1)
            frame = frame.summary_frame(alpha=0.1)
            mean, lo, hi = frame["mean"], frame["pi_lower"], frame["pi_upper"]
        elif family == "theta":
            res = ThetaModel(y, period=SEASON, deseasonalize=seasonal).fit()
            pi = res.prediction_intervals(steps, alpha=0.1)
            mean, lo, hi = res.forecast(steps), pi["lower"], pi["upper"]
        else:
            model = SARIMAX(
                y,
                order=(1, 1, 1),
                trend="n" if seasonal else "t",
                seasonal_order=(0, 1, 1, SEASON) if seasonal else (0, 0, 0, 0),
            )
            fc = model.fit(disp=False).get_forecast(steps)
            ci = fc.conf_int(alpha=0.1)
            mean, lo, hi = fc.predicted_mean, ci.iloc[:, 0], ci.iloc[:, 1]
    mean, lo, hi = (np.asarray(a, dtype=float).reshape(-1) for a in (mean, lo, hi))
    if mean.shape != (steps,) or not np.isfinite(np.r_[mean, lo, hi]).all():
        raise ValueError("the fit gave no finite forecast")
    mean = np.maximum(mean, 0.0)
    return mean, np.clip(lo, 0.0, mean), np.maximum(hi, mean)


@dataclass
class HistoryForecast:
    """A forecast of one history column for months ``start .. start+H-1``.

    Attributes
    ----------
    method : str
        The variant used, e.g. ``ets`` or ``sarimax_seasonal`` (for ``auto``, the one chosen).
    mean, lower, upper : numpy.ndarray
        ``(H,)`` point forecast and 90% prediction interval (5% and 95%), all >= 0,
        ``lower <= mean <= upper``.
    errors : dict of str to float
        Rolling-origin MASE (mean absolute error over every origin and step, divided by
        the mean absolute month-to-month change of the history) of each variant
        considered; ``inf`` when its fit failed, ``nan`` when the history was too short
        to backtest the method asked.
    as_of : str
        ``"YYYY-MM"``, the last month of history.
    failures : dict of str to str
        Why each failed variant failed.
    """

    method: str
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    errors: dict[str, float]
    as_of: str
    failures: dict[str, str] = field(default_factory=dict)

    def sample(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``(draws, H)`` usage paths from the forecast.

        One standard-normal shock ``z`` per draw is shared by every month, so a path is
        high or low throughout (the prudent choice for budget totals):
        ``max(mean + z * sd, 0)`` with ``sd = (upper - mean) / Z90``. The half-width
        is taken on the upper side because ``lower`` has been clipped at 0; for an
        unclipped symmetric interval it equals ``(upper - lower) / (2 * Z90)``. The 5%
        and 95% quantiles of the draws are then ``lower`` and ``upper``.

        Warnings
        --------
        ``draws == 1`` returns ``mean[None, :]`` exactly and uses no random numbers:
        a deterministic run is one draw at point values.

        Examples
        --------
        >>> fc = HistoryForecast("naive", np.array([10.0]), np.array([5.0]),
        ...                      np.array([15.0]), {}, "2024-06")
        >>> fc.sample(1, np.random.default_rng(0)).tolist()
        [[10.0]]
        """
        if draws < 1:
            raise ValueError(f"draws must be >= 1, got {draws}")
        if draws == 1:
            return self.mean[None, :].copy()
        sd = (self.upper - self.mean) / Z90
        return np.maximum(self.mean + rng.standard_normal(draws)[:, None] * sd, 0.0)


def forecast_series(
    y: pd.Series, start: str, horizon: int, method: str, *, label: str | None = None
) -> HistoryForecast:
    """Forecast a monthly series for ``horizon`` months from ``start``.

    Parameters
    ----------
    y : pandas.Series
        Monthly values >= 0 without gaps, indexed by a ``PeriodIndex`` (or dates),
        as a column of :func:`read_history`.
    start : str
        First month forecast, ``"YYYY-MM"``, after the last month of ``y``. Months
        between the two are forecast too, then dropped.
    horizon : int
        Months to return.
    method : str
        ``auto``, ``ets``, ``theta``, ``sarimax`` or ``naive``; or an exact variant of
        :data:`VARIANTS` such as ``ets_seasonal``, e.g. the ``method`` of another forecast
        (forecasting ``active_users`` like ``requests``).
    label : str, optional
        How a :class:`DataError` names the data (default ``usage history``).

    Returns
    -------
    HistoryForecast

    Notes
    -----
    Every variant in reach (``auto``: all of :data:`VARIANTS`; a family: its plain
    and seasonal variants; a variant: itself) is scored on the rolling origins of
    :func:`backtest_origins`,
    on forecasts clipped at 0, and the lowest error wins, the simpler on a tie. A
    variant whose fit fails at any origin scores ``inf`` and is dropped. The winner is
    refitted on the whole history. A named method too short to backtest (ets or theta
    below 10 months, sarimax below 21, a seasonal variant below 36) is fitted without a
    score. The error is a MASE, so a variant scoring below 1 beats, over the backtest
    horizon, what the last value achieves one month ahead in sample.

    Raises
    ------
    DataError
        Fewer months than :data:`MIN_MONTHS`, ``start`` not after the history, or
        the named method fails to fit.

    Warnings
    --------
    Intervals are the models' own, which assume the model is right: on a short history
    they are narrow because little variation has been seen (one month: zero width).

    Examples
    --------
    >>> y = pd.Series([100.0, 110, 120, 130], index=pd.period_range("2024-01", periods=4, freq="M"))
    >>> fc = forecast_series(y, "2024-06", 3, "naive")
    >>> fc.method, fc.as_of, fc.mean.tolist()
    ('naive', '2024-04', [130.0, 130.0, 130.0])
    """
    need = _needs(method)
    file = label or "usage history"
    if not isinstance(y.index, pd.PeriodIndex):
        y = y.set_axis(pd.DatetimeIndex(y.index).to_period("M"))
    y = y.astype(float).sort_index()
    n = len(y)
    if n < need:
        raise DataError(Problem(file, "", f"{n} months; method {method} needs at least {need}"))
    if not np.isfinite(y.to_numpy()).all() or (n > 1 and (np.diff(y.index.asi8) != 1).any()):
        raise DataError(Problem(file, "", "the series must be finite and without gaps"))
    gap = (pd.Period(start, freq="M") - y.index[-1]).n
    if gap < 1:
        raise DataError(Problem(file, "", f"must end before start {start}, ends {y.index[-1]}"))
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")

    if method == "auto":
        names = list(VARIANTS)
    else:
        names = [method, f"{method}_seasonal"] if method in MIN_MONTHS else [method]
    v = y.to_numpy()
    h, origins = backtest_origins(n)
    scale = np.mean(np.abs(np.diff(v))) if n > 1 else 0.0
    scale = scale or np.mean(v) or 1.0
    errors: dict[str, float] = {}
    failures: dict[str, str] = {}
    for name in names:
        if not origins or _min_months(name) > origins[0]:
            continue
        try:
            err = [np.abs(v[t : t + h] - _predict(name, y.iloc[:t], h)[0]) for t in origins]
            errors[name] = float(np.mean(err) / scale)
        except Exception as exc:
            errors[name], failures[name] = math.inf, f"backtest: {type(exc).__name__}: {exc}"
    if not errors and method != "auto":
        errors[names[0]] = math.nan
    ranked = sorted(errors, key=lambda k: (not errors[k] < math.inf, errors[k], names.index(k)))
    if method == "auto":
        ranked = [k for k in ranked if errors[k] < math.inf]
    for name in ranked:
        try:
            mean, lo, hi = _predict(name, y, gap - 1 + horizon)
        except Exception as exc:
            errors[name], failures[name] = math.inf, f"fit: {type(exc).__name__}: {exc}"
            continue
        sl = slice(gap - 1, None)
        return HistoryForecast(name, mean[sl], lo[sl], hi[sl], errors, str(y.index[-1]), failures)
    reasons = "; ".join(f"{k}: {r}" for k, r in failures.items())
    raise DataError(
        Problem(
            file, "", f"method {method} could not be fitted ({reasons}); try method: naive or auto"
        )
    )
