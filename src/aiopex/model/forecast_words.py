"""History forecasts in words: what the CLI and the reports say about a forecast.

:func:`describe` turns :meth:`aiopex.model.forecasting.HistoryForecast.info` into one
plain sentence: the method, why it was chosen (the season test's statistic, or the
shape of a one-year history), the backtest error beside how often the interval held
the backtest's months, and the warnings. :func:`method_label` names the method in a
few words for a chart. See docs/formulas.md, "History-based usage".
"""

from __future__ import annotations

import math
from typing import Any

from aiopex.inputs.history import MIN_SEASONAL, VARIANTS

#: How :func:`describe` names each variant (the name a scenario's ``method`` takes in brackets
#: where it differs from the family's).
_NAMES = {
    "naive_seasonal": "seasonal naive (same month last year)",
    "naive_seasonal_drift": "seasonal naive with drift (same month last year plus the mean"
    " change from one year to the next)",
    "naive": "the last value",
    "ets": "damped ETS",
    "ets_seasonal": "seasonal ETS (ets_seasonal)",
    "theta": "Theta",
    "theta_seasonal": "seasonal Theta (theta_seasonal)",
    "sarimax": "ARIMA(1,1,1) with drift",
    "sarimax_seasonal": "seasonal ARIMA (the airline model: sarimax_seasonal)",
}
#: Short names for a chart's title (:func:`method_label`).
_SHORT = {
    "naive": "last value",
    "naive_seasonal": "seasonal naive",
    "naive_seasonal_drift": "seasonal naive with drift",
    "ets": "damped ETS",
    "ets_seasonal": "seasonal ETS",
    "theta": "Theta",
    "theta_seasonal": "seasonal Theta",
    "sarimax": "ARIMA with drift",
    "sarimax_seasonal": "seasonal ARIMA",
}


def _listed(names: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def method_label(info: dict[str, Any]) -> str:
    """A forecast's method in a few words, for a chart's title.

    >>> method_label({"method": "combo_short", "members": ["ets", "naive"]})
    'mean of damped ETS and last value'
    >>> method_label({"method": "theta", "members": ["theta"]})
    'Theta'
    >>> seasonal = ["ets_seasonal", "theta_seasonal", "sarimax_seasonal", "naive_seasonal"]
    >>> method_label({"method": "combo_seasonal", "members": seasonal})
    'mean of seasonal ETS, Theta, ARIMA and naive'
    """
    members = list(info.get("members") or [info["method"]])
    if len(members) > 1 and all(VARIANTS.get(m, ("", False))[1] for m in members):
        families = {"naive": "naive", "ets": "ETS", "theta": "Theta", "sarimax": "ARIMA"}
        return f"mean of seasonal {_listed([families[VARIANTS[m][0]] for m in members])}"
    names = [_SHORT.get(m, m) for m in members]
    return f"mean of {_listed(names)}" if len(names) > 1 else names[0]


def describe(info: dict[str, Any]) -> str:
    """One plain sentence on a forecast's :meth:`HistoryForecast.info` (CLI, reports).

    >>> text = describe({"method": "combo_seasonal", "members": ["ets_seasonal", "theta"],
    ...                  "months": 30, "as_of": "2026-12", "log_scale": True,
    ...                  "backtest_mase": 0.42, "calibration": 1.0,
    ...                  "calibration_upper": 1.1, "warnings": 2})
    >>> text.split("; ")
    ['mean of seasonal ETS (ets_seasonal) and Theta, fitted in logs, on 30 months of history to \
2026-12', \
'backtest error 0.42 (MASE), interval widened x1.00 below and x1.10 above by the backtest', \
'2 statsmodels warnings while fitting']
    """
    members = list(info.get("members") or [info["method"]])
    members = [_NAMES.get(m, m) for m in members]
    what = f"mean of {_listed(members)}" if len(members) > 1 else members[0]
    text = f"{what}{', fitted in logs,' if info.get('log_scale') else ''}"
    text += f" on {info.get('months', '?')} months of history to {info['as_of']}"
    why = why_text(info)
    text += f"; {why}" if why else ""
    err = info.get("backtest_mase")
    text += f"; backtest error {err:.2f} (MASE)" if err is not None else "; not backtested"
    held = info.get("backtest_coverage")
    if err is not None and held is not None:
        text += f", its 90% interval held {held:.0%} of the backtest's months"
    k = info.get("calibration", 1.0) or 1.0
    k_hi = info.get("calibration_upper", k) or k
    if k_hi != k:
        text += f", interval widened x{k:.2f} below and x{k_hi:.2f} above by the backtest"
    elif k > 1.0:
        text += f", interval widened x{k:.2f} by the backtest"
    if info.get("warnings"):
        n = info["warnings"]
        text += f"; {n} statsmodels warning{'s' if n != 1 else ''} while fitting"
    if info.get("too_short"):
        text += f"; TOO SHORT TO TRUST: under {MIN_SEASONAL} months no yearly season can be fitted"
        text += {
            "naive_seasonal": ", so last year's months are repeated as they were (they beat"
            " the trend models in the backtest)",
            "naive_seasonal_drift": ", so last year's months are repeated, moved by the mean"
            " change from one year to the next (they beat the trend models in the backtest)",
        }.get(info["method"], ", so the forecast has none")
        if info["method"] == "naive_seasonal" and (info.get("why") or {}).get("rule") == "shape":
            text = text.removesuffix(" (they beat the trend models in the backtest)")
    return text


def why_text(info: dict[str, Any]) -> str:
    """Why ``auto`` chose what it did, from ``info["why"]`` (empty for a named method).

    >>> why_text({"why": {"rule": "season_test", "r12": 0.62, "limit": 0.49}})
    "a yearly season: the monthly changes' lag-12 autocorrelation is 0.62, over its limit 0.49"
    >>> why_text({"log_scale": True, "why": {"rule": "shape", "ramp": False,
    ...           "straightness": 0.1, "change": 0.05}})[:58]
    'a mature year: it returns to its level (straightness 0.10,'
    """
    why = info.get("why") or {}
    rule, errors = why.get("rule"), info.get("errors") or {}
    if rule == "season_test":
        return (
            "a yearly season: the monthly changes' lag-12 autocorrelation is"
            f" {why['r12']:.2f}, over its limit {why['limit']:.2f}"
        )
    if rule == "season_backtest":
        r12, limit = why.get("r12"), why.get("limit")
        stat = f"{r12:.2f}, under its limit {limit:.2f}" if _finite(r12, limit) else "untestable"
        seasonal, plain = errors.get("combo_seasonal"), errors.get("combo")
        text = f"the season test saw none (lag-12 autocorrelation {stat})"
        if _finite(seasonal, plain):
            text += (
                f", so the backtest chose: with a season {seasonal:.2f}, without {plain:.2f} (MASE)"
            )
        return text
    if rule == "assumed":
        return "a yearly season assumed: 24 to 35 months are too few years to test for one"
    if rule == "shape":
        change = why.get("change", 0.0)
        moved = (
            f"x{math.exp(change):.2f}" if info.get("log_scale") else f"{change:.0%} of its level"
        )
        shape = f"straightness {why.get('straightness', 0.0):.2f}, first to last quarter {moved}"
        if why.get("ramp"):
            return f"one year that ramps up ({shape}): its trend is damped, no season repeated"
        return f"a mature year: it returns to its level ({shape}), so its months are repeated"
    return ""


def _finite(*xs: Any) -> bool:
    return all(isinstance(x, (int, float)) and math.isfinite(x) for x in xs)
