"""History-based usage: reading the CSV, the forecasts, the backtest, the draws.

Real series shipped with statsmodels (no download): ``elec_equip``, monthly
electrical equipment orders 1995-2016 (strongly seasonal), and ``co2``, the weekly
Mauna Loa record averaged to monthly means (trend and season).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aiopex.errors import DataError
from aiopex.model import forecasting as history
from aiopex.model.forecasting import (
    MIN_MONTHS,
    Z90,
    HistoryForecast,
    forecast_series,
    read_history,
)


def _monthly(s: pd.Series) -> pd.Series:
    return s.set_axis(pd.DatetimeIndex(s.index).to_period("M")).astype(float)


@pytest.fixture(scope="module")
def elec() -> pd.Series:
    from statsmodels.datasets import elec_equip

    return _monthly(elec_equip.load().data.iloc[:, 0])


@pytest.fixture(scope="module")
def co2() -> pd.Series:
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    return _monthly(weekly.resample("MS").mean().interpolate()).iloc[-120:]


def _after(y: pd.Series, months: int = 1) -> str:
    return str(y.index[-1] + months)


# --- forecasts on real series -------------------------------------------------------


@pytest.mark.parametrize("method", ["naive", "ets", "theta", "sarimax", "auto"])
@pytest.mark.parametrize("series", ["co2", "elec"])
def test_every_method_forecasts_a_real_series(method, series, request):
    y = request.getfixturevalue(series).iloc[-60:]
    fc = forecast_series(y, _after(y), 18, method)
    assert fc.mean.shape == fc.lower.shape == fc.upper.shape == (18,)
    assert (fc.lower >= 0).all()
    assert (fc.lower <= fc.mean).all() and (fc.mean <= fc.upper).all()
    assert (fc.upper > fc.lower).all()  # a real interval, not a point
    assert fc.as_of == str(y.index[-1]) and fc.months == 60 and not fc.too_short
    assert np.isfinite(fc.errors[fc.method]) and fc.backtest_error == fc.errors[fc.method]
    if method == "auto":  # both series are seasonal and long enough: the seasonal mean
        assert fc.method == "combo_seasonal"
        assert set(fc.members) == set(history.COMBOS["combo_seasonal"])  # Theta from 36
    else:  # a family: the lower-error of its plain and seasonal forms
        assert history.VARIANTS[fc.method][0] == method
        forms = [k for k in fc.errors if history.VARIANTS[k][0] == method]
        assert len(forms) == 2 and fc.errors[fc.method] == min(fc.errors[k] for k in forms)
    info = fc.info()
    assert info["method"] == fc.method and info["as_of"] == fc.as_of
    assert info["backtest_mase"] == pytest.approx(fc.backtest_error, abs=1e-4)


def test_months_between_history_and_start_are_forecast_then_dropped(co2):
    y = co2.iloc[-48:]
    right_after = forecast_series(y, _after(y, 1), 9, "sarimax")
    three_later = forecast_series(y, _after(y, 4), 6, "sarimax")
    assert three_later.method == right_after.method
    np.testing.assert_allclose(three_later.mean, right_after.mean[3:])
    np.testing.assert_allclose(three_later.upper, right_after.upper[3:])


def test_naive_is_last_value_with_sqrt_h_interval():
    y = pd.Series([100.0, 104, 98, 103, 101], index=pd.period_range("2024-01", periods=5, freq="M"))
    fc = forecast_series(y, "2024-06", 4, "naive")
    sd = np.sqrt(np.mean(np.diff(y.to_numpy()) ** 2))  # random-walk innovations: the changes
    np.testing.assert_allclose(fc.mean, 101.0)
    np.testing.assert_allclose(fc.upper - fc.mean, Z90 * sd * np.sqrt([1, 2, 3, 4]))
    assert fc.too_short and fc.calibration == 1.0 and not fc.log


def test_fits_are_quiet_even_when_statsmodels_is_first_imported_by_a_fit():
    # A constant series makes ETS and SARIMAX warn (ConvergenceWarning). Importing
    # statsmodels resets its warnings to "always", so the import must come before the
    # local record: run in a fresh interpreter, where the fit is that first import.
    # The warnings are counted on the forecast instead of shown.
    code = (
        "import numpy as np, pandas as pd\n"
        "from aiopex.model.forecasting import forecast_series\n"
        "y = pd.Series(100.0, index=pd.period_range('2021-01', periods=30, freq='M'))\n"
        "print(sum(forecast_series(y, '2023-07', 6, m).warnings\n"
        "          for m in ('auto', 'ets', 'theta', 'sarimax')))\n"
    )
    src = str(Path(history.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert int(out.stdout) > 0  # counted, not lost


def test_theta_backtest_with_fixed_parameters_is_statsmodels_forecast_at_the_end(elec):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    v = np.log(elec.to_numpy()[:80])
    for seasonal in (True, False):
        res = ThetaModel(pd.Series(v), period=12, deseasonalize=seasonal, method="additive").fit()
        np.testing.assert_allclose(history._theta_from(res, v, 80, 7), res.forecast(7), rtol=1e-12)


def test_sarimax_drift_is_a_straight_line():
    # trend="c" with d=1 is a constant slope; trend="t" would be a quadratic in levels
    rng = np.random.default_rng(3)
    y = 1000 + 20 * np.arange(40) + rng.normal(0, 5, 40)
    with history._fitting([0]):
        fit = history._fit("sarimax", pd.Series(y), 60, [])
    slope = np.diff(fit.point)
    assert slope[-12:].mean() == pytest.approx(slope[:12].mean(), rel=0.05)
    assert slope.mean() == pytest.approx(20, rel=0.1)


# --- auto: a combination, intervals calibrated on rolling origins -------------------


@pytest.mark.parametrize("series", ["elec", "co2"])
def test_auto_beats_last_value_on_a_12_month_holdout(series, request):
    y = request.getfixturevalue(series)
    train, holdout = y.iloc[:-12], y.iloc[-12:].to_numpy()
    fc = forecast_series(train, str(y.index[-12]), 12, "auto")
    mae_auto = np.mean(np.abs(fc.mean - holdout))
    mae_naive = np.mean(np.abs(train.iloc[-1] - holdout))
    assert mae_auto < 0.6 * mae_naive, (fc.method, mae_auto, mae_naive)
    assert fc.method == "combo_seasonal", "both series are seasonal"
    assert np.mean((holdout >= fc.lower) & (holdout <= fc.upper)) >= 0.75


def test_intervals_cover_about_90_percent_of_real_months(elec, co2):
    # 4 origins a year apart on each series, 12 months ahead: 96 months scored
    inside, totals = [], []
    for y in (elec, co2):
        for back in (48, 36, 24, 12):
            train, test = y.iloc[: len(y) - back], y.iloc[len(y) - back :].iloc[:12]
            fc = forecast_series(train, str(test.index[0]), 12, "auto")
            inside.extend((test >= fc.lower) & (test <= fc.upper))
            paths = fc.sample(4000, np.random.default_rng(back)).sum(axis=1)
            lo, hi = np.quantile(paths, [0.05, 0.95])
            totals.append(lo <= test.sum() <= hi)
            assert fc.calibration >= history.K_FLOOR
    assert 0.8 <= np.mean(inside) <= 0.99, np.mean(inside)
    assert np.mean(totals) >= 0.6


def _spy_fits(monkeypatch) -> list[tuple[str, int, list[int]]]:
    fitted: list[tuple[str, int, list[int]]] = []
    real = history._fit

    def spy(variant, w, steps, origins):
        fitted.append((variant, len(w), list(origins)))
        return real(variant, w, steps, origins)

    monkeypatch.setattr(history, "_fit", spy)
    return fitted


def _fitted_season(variant: str) -> bool:
    """A seasonal variant that estimates its season (seasonal naive estimates nothing)."""
    family, seasonal = history.VARIANTS[variant]
    return seasonal and family != "naive"


@pytest.mark.parametrize("n", [12, 18, 20, 23, 24, 30])
def test_short_histories_are_flagged_and_never_fit_a_season_below_24_months(elec, monkeypatch, n):
    fitted = _spy_fits(monkeypatch)
    y = elec.iloc[:n]
    fc = forecast_series(y, _after(y), 12, "auto")
    assert fc.too_short == (n < 24) and fc.info()["too_short"] == (n < 24)
    for variant, months, origins in fitted:
        if _fitted_season(variant):  # 24 months at least, and backtested from 24 on
            assert months >= 24 and all(t >= 24 for t in origins), (variant, months, origins)
    if n < 24:
        assert not any(_fitted_season(v) for v, _, _ in fitted)
        # 12 months: last year cannot be backtested, the year's shape decides; from 13
        # the lower backtest error
        naive = ("naive_seasonal", "naive_seasonal_drift")
        assert ("naive_seasonal_drift" in fc.errors) == (n > 12)
        assert fc.method in ("combo_short", *naive[: 1 if n == 12 else 2])
        if n == 12:
            assert fc.why["rule"] == "shape"
            assert (fc.method == "combo_short") == fc.why["ramp"]
        else:
            assert fc.errors[fc.method] == min(fc.errors[k] for k in ("combo_short", *naive))
    else:  # 24 to 35 months of a seasonal series: fitted seasons and last year's months;
        # seasonal Theta (a season from the years' averages) only from 36 months
        assert fc.method == "combo_seasonal"
        assert set(fc.members) == set(history.COMBOS["combo_seasonal"]) - {"theta_seasonal"}
        assert "theta_seasonal" not in {v for v, _, _ in fitted}
    assert (fc.upper > fc.lower).all()
    # 24 months: a fitted season is backtested from 24 months on, so not at all, and
    # the interval is the models' own widened by Student's t for 24 - 12 months
    # (one mature year repeats its months: nothing to backtest either)
    assert np.isfinite(fc.backtest_error) == (n != 24 and fc.method != "naive_seasonal")
    if n == 24:
        assert fc.calibration == pytest.approx(history.small_sample_factor(24, True, True))
        assert fc.calibration > 1.05
    assert ("TOO SHORT TO TRUST" in history.describe(fc.info())) == (n < 24)


def _seasonal_growth(n: int, seed: int, growth: float = 0.02, noise: float = 0.03):
    """Log-normal monthly series: growth a month, a yearly season, random-walk level."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = np.cumsum(rng.normal(0, noise, n)) + growth * t
    pattern = 0.25 * np.sin(2 * np.pi * t / 12)
    y = np.exp(8 + level + pattern + rng.normal(0, noise, n))
    return pd.Series(y, index=pd.period_range("2020-01", periods=n, freq="M"))


def test_a_seasonal_series_of_30_months_gets_a_season_and_one_of_20_months_none(monkeypatch):
    y = _seasonal_growth(30, seed=1, growth=0.002)
    fc = forecast_series(y, _after(y), 12, "auto")
    assert fc.method == "combo_seasonal" and "ets_seasonal" in fc.members
    # the forecast follows last year's shape: its highs and lows in the same months
    shape = np.log(fc.mean) - np.log(fc.mean).mean()
    last_year = np.log(y.to_numpy()[-12:]) - np.log(y.to_numpy()[-12:]).mean()
    assert np.corrcoef(shape, last_year)[0, 1] > 0.8

    fitted = _spy_fits(monkeypatch)
    short = y.iloc[:20]
    fc = forecast_series(short, _after(short), 12, "auto")
    assert fitted and not any(_fitted_season(v) for v, _, _ in fitted)
    # the season is strong: last year's months (moved by the mean change from one year
    # to the next, in logs: the growth) beat the trend models
    assert fc.method == "naive_seasonal_drift" and fc.too_short
    logs = np.log(short.to_numpy())
    growth = np.mean(logs[12:] - logs[:-12])
    np.testing.assert_allclose(np.log(fc.mean), logs[-12:] + growth, rtol=1e-9)
    assert fc.errors[fc.method] < min(fc.errors["combo_short"], fc.errors["naive_seasonal"])
    assert "last year's months are repeated, moved by" in history.describe(fc.info())


def test_a_growing_series_without_season_of_20_months_keeps_growing():
    rng = np.random.default_rng(4)
    y = pd.Series(
        np.exp(9 + 0.05 * np.arange(20) + np.cumsum(rng.normal(0, 0.02, 20))),
        index=pd.period_range("2024-01", periods=20, freq="M"),
    )
    fc = forecast_series(y, _after(y), 12, "auto")
    # the trend models, or last year moved by a year's growth; never last year as it was
    assert fc.method in ("combo_short", "naive_seasonal_drift") and fc.too_short
    assert fc.errors[fc.method] < fc.errors["naive_seasonal"]
    assert fc.mean[-1] > fc.mean[0] > y.iloc[-1]  # the growth goes on


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n", [12, 16])
def test_a_first_year_ramp_up_that_levels_off_is_not_extrapolated(n, seed):
    # a new system's usage: an S-curve of adoption that levels off at 150,000 requests
    # a month. A trend fitted to the ramp and carried on forecast 1.8-2.8x the plateau
    # here (``combo`` of ETS, Theta and SARIMAX with a drift, before combo_short); damped
    # ETS with the last value stays near it, and the interval holds what follows.
    rng = np.random.default_rng(seed)
    t = np.arange(n + 12)
    v = 150_000 / (1 + np.exp(-(t - 6) / 2.5)) * np.exp(rng.normal(0, 0.03, t.size))
    y = pd.Series(v, index=pd.period_range("2024-07", periods=t.size, freq="M"))
    train, after = y.iloc[:n], y.to_numpy()[n:]
    fc = forecast_series(train, _after(train), 12, "auto")
    assert fc.method == "combo_short" and set(fc.members) == {"ets", "naive"} and fc.too_short
    assert n > 12 or (fc.why["rule"] == "shape" and fc.why["ramp"])
    assert fc.mean.max() < 1.25 * after.max()
    mase = np.mean(np.abs(after - fc.mean)) / np.mean(np.abs(np.diff(train.to_numpy())))
    assert mase < 2.0
    assert np.mean((after >= fc.lower) & (after <= fc.upper)) >= 0.9


def test_one_mature_year_repeats_its_months_and_says_why():
    # a year that returns to its level (a season, little growth) is not a ramp-up: its
    # months are repeated as they were, and the output says which rule decided; the
    # interval (the spread of the month-to-month changes) holds most of the next year
    inside = []
    for seed in range(8):
        y = _seasonal_growth(24, seed=seed, growth=0.002)
        train, after = y.iloc[:12], y.to_numpy()[12:]
        fc = forecast_series(train, _after(train), 12, "auto")
        assert fc.method == "naive_seasonal" and fc.why["rule"] == "shape"
        assert not fc.why["ramp"] and fc.why["straightness"] < history.RAMP_STRAIGHT
        np.testing.assert_allclose(fc.mean, train.to_numpy())
        assert (fc.lower < fc.mean).all() and (fc.mean < fc.upper).all()
        inside.extend((after >= fc.lower) & (after <= fc.upper))
    assert 0.8 <= np.mean(inside) <= 1.0, np.mean(inside)
    text = history.describe(fc.info())
    assert "a mature year: it returns to its level (straightness" in text
    assert "TOO SHORT TO TRUST" in text


def test_a_strong_season_the_test_misses_at_36_months_is_kept_by_the_backtest():
    # a strong season raises its own limit (lag-1..11 autocorrelations): the test says
    # no season at 3 years; the backtest of the seasonal mean against the plain one
    # keeps it, and the output shows the statistic and both errors
    rng = np.random.default_rng(0)
    t = np.arange(48)
    v = np.exp(5 + 0.8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.05, 48))
    y = pd.Series(v, index=pd.period_range("2021-01", periods=48, freq="M"))
    train, after = y.iloc[:36], v[36:]
    assert not history.has_season(np.log(train.to_numpy()))
    fc = forecast_series(train, _after(train), 12, "auto")
    assert fc.why["rule"] == "season_backtest" and fc.why["r12"] < fc.why["limit"]
    assert fc.method == "combo_seasonal"
    assert fc.errors["combo_seasonal"] < 0.5 * fc.errors["combo"]
    assert np.mean(np.abs(np.log(after / fc.mean))) < 0.1
    text = history.describe(fc.info())
    assert "the season test saw none (lag-12 autocorrelation 0." in text
    assert "so the backtest chose: with a season" in text
    assert "of the backtest's months" in text


@pytest.mark.parametrize(
    "values", [[0.0] * 18, [5.0] * 5 + [0.0] * 13, [0.0] * 30, [100.0] * 20 + [0.0] * 10]
)
def test_a_history_of_zeros_or_ending_in_zeros_forecasts(values):
    """A system switched off, or never used: a perfect (zero) backtest error once made the
    combination drop every member (inf * 0 is nan) and crash."""
    y = pd.Series(values, index=pd.period_range("2024-07", periods=len(values), freq="M"))
    fc = history.forecast_series(y, str(y.index[-1] + 1), 12, "auto")
    assert fc.method.startswith("combo") and np.isfinite(fc.mean).all()
    assert (fc.lower >= 0).all() and (fc.lower <= fc.mean).all() and (fc.mean <= fc.upper).all()
    assert np.isfinite(fc.sample(50, np.random.default_rng(0))).all()


def test_same_history_same_forecast(elec):
    y = elec.iloc[:40]
    a, b = (forecast_series(y, _after(y), 12, "auto") for _ in range(2))
    for field in ("mean", "lower", "upper", "sd"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.errors == b.errors and a.members == b.members and a.calibration == b.calibration


def test_has_season_tells_a_season_from_a_trend_or_a_cycle():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    assert history.has_season(np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, 120))
    assert not history.has_season(0.02 * t + np.cumsum(rng.normal(0, 0.05, 120)))
    assert not history.has_season(np.sin(2 * np.pi * t / 130) + rng.normal(0, 0.05, 120))
    assert not history.has_season(np.ones(40))


def test_a_long_series_without_season_gets_the_plain_combination():
    # a sunspot-like cycle of 11 years: nothing repeats every 12 months
    rng = np.random.default_rng(2)
    t = np.arange(120)
    v = 60 + 40 * np.sin(2 * np.pi * t / 132) + np.cumsum(rng.normal(0, 2, 120))
    y = pd.Series(v, index=pd.period_range("2010-01", periods=120, freq="M"))
    fc = forecast_series(y, _after(y), 12, "auto")
    # the test sees no season, so both means are backtested, and the plain one wins
    assert fc.why["rule"] == "season_backtest" and abs(fc.why["r12"]) < fc.why["limit"]
    assert fc.method == "combo" and fc.errors["combo"] < fc.errors["combo_seasonal"]
    assert not any(history.VARIANTS[m][1] for m in fc.members)


def test_intervals_are_calibrated_on_a_known_process():
    # 12 simulated seasonal series with growth, 72 months each, 12 months ahead: the
    # 90% intervals hold close to 90% of the months that follow
    inside = []
    for seed in range(12):
        y = _seasonal_growth(84, seed=100 + seed)
        train, test = y.iloc[:72], y.iloc[72:].to_numpy()
        fc = forecast_series(train, _after(train), 12, "auto")
        assert fc.method == "combo_seasonal"
        inside.extend((test >= fc.lower) & (test <= fc.upper))
    assert 0.8 <= np.mean(inside) <= 0.99, np.mean(inside)


def test_backtest_origins():
    assert history.backtest_origins(4) == []
    assert history.backtest_origins(12) == [6, 7, 8, 9, 10, 11]
    assert history.backtest_origins(30, 24) == [24, 25, 26, 27, 28, 29]
    assert history.backtest_origins(100) == [52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 96]


def test_a_failing_candidate_is_dropped_from_auto_and_fails_loudly_when_asked(elec, monkeypatch):
    real = history._fit

    def broken_ets(variant, w, steps, origins):
        if variant.startswith("ets"):
            raise np.linalg.LinAlgError("singular matrix")
        return real(variant, w, steps, origins)

    monkeypatch.setattr(history, "_fit", broken_ets)
    y = elec.iloc[:40]
    fc = forecast_series(y, _after(y), 6, "auto")
    assert fc.errors["ets_seasonal"] == np.inf and "singular matrix" in fc.failures["ets_seasonal"]
    assert fc.members and not any(m.startswith("ets") for m in fc.members)
    with pytest.raises(DataError, match="method ets could not be fitted.*singular matrix"):
        forecast_series(y, _after(y), 6, "ets", label="data/usage.csv")


def test_a_named_method_too_short_to_backtest_is_fitted_without_a_score(elec):
    fc = forecast_series(elec.iloc[:6], _after(elec.iloc[:6]), 3, "ets")
    assert fc.method == "ets" and list(fc.errors) == ["ets"] and np.isnan(fc.errors["ets"])
    assert fc.info()["backtest_mase"] is None


def test_the_method_of_one_forecast_can_be_asked_for_another(elec):
    y = elec.iloc[:40]
    requests = forecast_series(y, _after(y), 6, "auto")
    assert requests.method == "combo_seasonal"  # what the engine passes back for users
    users = forecast_series(y / 30, _after(y), 6, requests.method)
    assert users.method == requests.method and users.members == requests.members
    np.testing.assert_allclose(users.mean, requests.mean / 30, rtol=0.02)
    with pytest.raises(DataError, match="method theta_seasonal needs at least 24"):
        forecast_series(y.iloc[:20], _after(y), 6, "theta_seasonal")


def test_forecast_series_refuses_too_short_or_overlapping(elec):
    with pytest.raises(DataError, match="3 months; method auto needs at least 4"):
        forecast_series(elec.iloc[:3], "2000-01", 3, "auto")
    with pytest.raises(DataError, match="must end before start 1995-12"):
        forecast_series(elec.iloc[:12], "1995-12", 3, "naive")


# --- sample ---------------------------------------------------------------------------


@pytest.fixture
def fc() -> HistoryForecast:
    mean = np.array([100.0, 120.0, 10.0])
    lower = np.array([80.0, 90.0, 0.0])  # the last month's lower bound was clipped at 0
    return HistoryForecast("x", mean, lower, mean + (mean - lower) * [1, 1, 3], {}, "2024-01")


def test_one_draw_is_the_point_forecast_and_uses_no_random_numbers(fc):
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    out = fc.sample(1, rng)
    assert out.shape == (1, 3) and np.array_equal(out[0], fc.mean)
    assert rng.bit_generator.state == state


def test_draws_without_sd_share_one_shock_and_hit_the_interval(fc):
    a = fc.sample(40_000, np.random.default_rng(7))
    np.testing.assert_array_equal(a, fc.sample(40_000, np.random.default_rng(7)))
    assert not np.array_equal(a, fc.sample(40_000, np.random.default_rng(8)))
    assert a.shape == (40_000, 3) and (a >= 0).all()
    q5, q95 = np.quantile(a, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(q5, fc.lower, atol=0.6)
    np.testing.assert_allclose(q95, fc.upper, atol=0.6)
    above = a[:, :2] > fc.mean[:2]
    assert (above[:, 0] == above[:, 1]).all()


def test_a_backtest_that_falls_short_widens_the_upper_side_only():
    # forecasts from 12 origins that fall 3 sd short, give or take 0.3: the upper side
    # is widened, the lower keeps the floor
    rng = np.random.default_rng(3)
    w, sd = np.zeros(40), np.ones(12)
    bt = {t: w[t : t + 12] - 3 - rng.normal(0, 0.3, 12) for t in range(16, 28)}
    k_lo, k_hi = history._conformal(w, bt, sd, 1.0)
    assert k_lo == history.K_FLOOR and k_hi > 1.8


def test_paths_with_a_wider_upper_side_keep_both_quantiles_and_the_median():
    mean, sd, up = np.array([100.0, 100.0]), np.array([10.0, 12.0]), np.array([20.0, 24.0])
    fc = HistoryForecast(
        "combo", mean, mean - Z90 * sd, mean + Z90 * up, {}, "2024-01", sd=sd, sd_upper=up
    )
    q5, q50, q95 = np.quantile(
        fc.sample(40_000, np.random.default_rng(2)), [0.05, 0.5, 0.95], axis=0
    )
    np.testing.assert_allclose(q5, fc.lower, rtol=0.01)
    np.testing.assert_allclose(q50, fc.mean, rtol=0.01)
    np.testing.assert_allclose(q95, fc.upper, rtol=0.01)


def test_paths_of_a_fitted_forecast_keep_each_months_interval_and_correlate(elec):
    y = elec.iloc[:60]
    fc = forecast_series(y, _after(y), 24, "auto")
    assert fc.log and fc.sd is not None
    a = fc.sample(40_000, np.random.default_rng(5))
    np.testing.assert_array_equal(a, fc.sample(40_000, np.random.default_rng(5)))
    q5, q50, q95 = np.quantile(a, [0.05, 0.5, 0.95], axis=0)
    np.testing.assert_allclose(q5, fc.lower, rtol=0.02)
    np.testing.assert_allclose(q50, fc.mean, rtol=0.01)
    np.testing.assert_allclose(q95, fc.upper, rtol=0.02)
    # each month's own noise plus a random walk: neighbours move together, the more so
    # as the shared walk grows, and less than fully
    r = np.corrcoef(np.log(a[:, [0, 1, 12, 13, 23]]).T)
    assert 0 < r[0, 1] < r[2, 3] < 1 and r[2, 3] > 0.5 and r[0, 4] < r[0, 1]


# --- read_history ---------------------------------------------------------------------


def _csv(tmp_path: Path, text: str, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, start: str = "2025-01", method: str = "naive", **kw) -> set:
    with pytest.raises(DataError) as info:
        read_history(path, start, method, **kw)
    return {(p.file, p.field, p.message) for p in info.value.problems}


def test_reads_a_good_history_in_any_row_order(tmp_path):
    path = _csv(
        tmp_path,
        "\ufeffmonth, requests ,active_users\n2024-02,1200,40\n\n2024-01,1000.5,35\n"
        "2024-03,1500,41\n",
    )
    df = read_history(path, "2024-05", "naive")
    assert isinstance(df.index, pd.PeriodIndex) and df.index.freqstr == "M"
    assert df.index.name == "month" and list(df.columns) == ["requests", "active_users"]
    assert df.dtypes.eq(float).all()
    assert df["requests"].tolist() == [1000.5, 1200.0, 1500.0]
    assert [str(p) for p in df.index] == ["2024-01", "2024-02", "2024-03"]
    # straight into the forecast
    assert forecast_series(df["requests"], "2024-05", 2, "naive").as_of == "2024-03"


def test_every_problem_of_a_bad_file_is_listed_at_once(tmp_path):
    path = _csv(
        tmp_path,
        "month,requests,active_users\n"
        "2024-01,100,10\n"  # row 2
        "2024-02,abc,10\n"  # row 3
        "2024-02,120,\n"  # row 4
        "2024-05,-5,12\n"  # row 5
        "2024-13,130,13\n"  # row 6
        "2024-06,inf,14\n"  # row 7
        "2024-09,140\n"  # row 8
        ",160,16\n"  # row 9
        "2025-01,150,15\n",  # row 10
    )
    f = "data/usage.csv"
    assert _problems(path, label=f) == {
        (f, "row 3, requests", "not a number, got 'abc'"),
        (f, "row 4, month", "2024-02 again (first at row 3)"),
        (f, "row 4, active_users", "empty value"),
        (f, "row 5, requests", "must be >= 0, got -5"),
        (f, "row 6, month", "not a month YYYY-MM, got '2024-13'"),
        (f, "row 7, requests", "not a finite number, got 'inf'"),
        (f, "row 9, month", "empty value"),
        (f, "row 8", "expected 3 fields, got 2"),  # its month still counts: no gap reported
        (
            f,
            "month",
            "missing months 2024-03..2024-04, 2024-07..2024-08, 2024-10..2024-12; "
            "the history needs every month",
        ),
        (f, "month", "the history must end before start 2025-01; it ends 2025-01"),
    }


@pytest.mark.parametrize("method", list(MIN_MONTHS))
def test_too_short_for_the_method(tmp_path, method):
    need = MIN_MONTHS[method]
    months = pd.period_range("2020-01", periods=need, freq="M")
    rows = "".join(f"{m},{100 + i}\n" for i, m in enumerate(months))
    assert read_history(_csv(tmp_path, "month,requests\n" + rows), "2030-01", method).shape == (
        need,
        1,
    )
    if need > 1:
        short = "month,requests\n" + rows.split("\n", 1)[1]
        message = f"{need - 1} months of history; method {method} needs at least {need}"
        assert _problems(_csv(tmp_path, short), "2030-01", method) == {
            (str(tmp_path / "usage.csv"), "", message)
        }


def test_columns_missing_unknown_or_misspelt(tmp_path):
    path = _csv(tmp_path, "month,request,users\n2024-01,5,1\n")
    f = str(path)
    assert _problems(path) == {
        (
            f,
            "request",
            "unknown column; expected month, requests and optionally active_users; "
            "did you mean requests?",
        ),
        (f, "users", "unknown column; expected month, requests and optionally active_users"),
        (f, "requests", "missing column"),
    }
    path = _csv(tmp_path, "requests\n5\n")
    assert _problems(path) == {(str(path), "month", "missing column")}


def test_semicolons_get_a_hint(tmp_path):
    path = _csv(tmp_path, "month;requests\n2024-01;5\n")
    messages = {m for _, _, m in _problems(path)}
    assert any("';'-separated, use commas" in m for m in messages)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe\x00", "not a text CSV file (not UTF-8)"),
        (b"", "empty file; expected a header month,requests"),
        (b"month,requests\n", "no data rows"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "usage.csv"
    if content is not None:
        path.write_bytes(content)
    assert _problems(path, label="u.csv") == {("u.csv", "", message)}


def test_history_ending_on_start_is_refused(tmp_path):
    path = _csv(tmp_path, "month,requests\n2024-11,5\n2024-12,6\n")
    assert _problems(path, start="2024-12") == {
        (str(path), "month", "the history must end before start 2024-12; it ends 2024-12")
    }
    assert len(read_history(path, "2025-01", "naive")) == 2


def test_the_forecast_info_reaches_the_cli_text_the_chart_and_the_report_note():
    import aiopex
    from aiopex.cli import summary_text
    from aiopex.outputs import charts
    from aiopex.outputs import html as report

    path = Path(__file__).parents[1] / "data" / "scenarios" / "usage_history_reforecast.yaml"
    r = aiopex.run(aiopex.load_scenario(path))
    h = r.history
    assert h["method"] == "combo_seasonal" and h["months"] == 30 and not h["too_short"]
    assert h["backtest_mase"] > 0 and h["warnings"] >= 0 and h["as_of"] == "2026-12"
    assert len(h["history"]["values"]) == 30 and len(h["forecast"]["mean"]) == r.scenario.horizon
    text = summary_text(r)
    assert "usage forecast from history: mean of seasonal ETS (ets_seasonal), seasonal" in text
    assert "backtest error" in text
    fig = charts.usage_history(r)
    assert fig.axes[0].get_title(loc="left") == (
        "Requests per month: history and forecast (mean of seasonal ETS, ARIMA and naive)"
    )
    assert "backtest error" in str(report.history_note(r))
    short = {**h, "too_short": True, "months": 14}
    assert "TOO SHORT TO TRUST" in history.describe(short)


@pytest.mark.parametrize("variant", sorted(history.VARIANTS))
def test_describe_names_every_variant_in_words(variant):
    """The CLI and reports name a method in words; the scenario's name only in brackets."""
    info = {
        "method": variant,
        "members": [variant],
        "months": 40,
        "as_of": "2026-12",
        "backtest_mase": 0.5,
        "warnings": 1,
    }
    text = history.describe(info)
    assert variant not in re.sub(r"\([^)]*\)", "", text), text
    assert "1 statsmodels warning while" in text
