"""``aiopex.run``: a scenario to its :class:`~aiopex.result.Result` (the deterministic run
at point values, its tables built on first use, and the Monte Carlo summaries)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.engine.metrics import _point_metrics, commitment_metrics, metrics_per_draw
from aiopex.engine.montecarlo import KEEP_DRAWS, monte_carlo
from aiopex.engine.params import _history, _point_params, fresh_seed, line_specs
from aiopex.engine.simulation import LineArrays, simulate
from aiopex.inputs.scenario import Scenario
from aiopex.model import commitments as _commit
from aiopex.model import costs as _costs
from aiopex.model.costs import LineSpec
from aiopex.model.pilot import pilot_exposure
from aiopex.model.readiness import readiness_report
from aiopex.months import labels as month_labels
from aiopex.names import COMMITMENT_DRIVER, DRIVER_SERIES
from aiopex.result import Frames, Result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _line_frame(
    lines: list[LineSpec], det_lines: dict[str, LineArrays], months: list[str]
) -> pd.DataFrame:
    """One row per line and month of the deterministic run (``Result.lines``), built
    as one frame: columns ``line, category, driver, m, month, quantity, rate, amount``."""
    import pandas as pd

    H, n = len(months), len(lines)

    def stacked(i: int) -> np.ndarray:
        rows = [np.asarray(det_lines[ln.name][i][0], dtype=float) for ln in lines]
        return np.concatenate(rows) if rows else np.empty(0)

    windows = [_costs.window(ln, H) for ln in lines]
    text = {
        "line": [ln.name for ln in lines],
        "category": [ln.category for ln in lines],
        "driver": [ln.driver for ln in lines],
    }
    cols: dict[str, Any] = {k: np.repeat(np.array(v, dtype=object), H) for k, v in text.items()}
    cols["m"] = np.tile(np.arange(H), n)
    cols["month"] = np.tile(np.array(months, dtype=object), n)
    cols["quantity"] = stacked(0) * (np.concatenate(windows) if windows else 1.0)
    cols["rate"] = stacked(1)
    cols["amount"] = stacked(2)
    if n == 0:
        for k in ("line", "category", "driver", "month"):
            cols[k] = pd.Series(dtype=object)
        cols["m"] = pd.Series(dtype=np.int64)
    return pd.DataFrame(cols)


def _frames(
    lines: list[LineSpec],
    det_lines: dict[str, LineArrays],
    months: list[str],
    series: dict[str, np.ndarray],
    category: dict[str, np.ndarray],
    commits: dict[str, Any],
) -> Frames:
    """The deterministic run's tables (:class:`~aiopex.result.Frames`), from its arrays.

    :func:`run` hands this to its Result, which calls it on first use of ``drivers``,
    ``lines``, ``categories`` or ``commitment_months``: what prints only metrics (``aiopex
    forecast --json``) never builds a frame, nor imports pandas.
    """
    import pandas as pd

    H = len(months)
    index = pd.RangeIndex(H, name="m")
    drivers = pd.DataFrame({"month": np.array(months, dtype=object), **series}, index=index)
    commitment_months = None
    if commits:
        commitment_months = pd.concat(
            [
                pd.DataFrame(
                    {
                        "commitment": name,
                        "m": np.arange(H),
                        "month": months,
                        "in_term": sp.window.astype(bool),
                        "spend": sp.spend[0],
                        "covered": sp.covered[0],
                        "overage": sp.overage[0],
                        "unused_commitment": sp.unused[0],
                        "commitment_savings": sp.savings[0],
                    }
                )
                for name, sp in commits.items()
            ],
            ignore_index=True,
        )
    return Frames(
        drivers=drivers,
        lines=_line_frame(lines, det_lines, months),
        categories=pd.DataFrame(category, index=index),
        commitment_months=commitment_months,
    )


def run(
    scenario: Scenario, draws: int = 1, seed: int | None = None, keep_draws: int = KEEP_DRAWS
) -> Result:
    """Compute the forecast, metrics, pilot exposure, readiness and Monte Carlo ranges.

    Parameters
    ----------
    scenario : Scenario
        From :func:`aiopex.load_scenario`.
    draws : int
        1 for a deterministic run at point values; more for Monte Carlo.
    seed : int, optional
        Seed of the one ``numpy.random.Generator``; drawn (and recorded) when omitted.
    keep_draws : int
        How many draws keep their per-line monthly amounts (``Result.draws``): all
        draws up to this many, else a seeded subset of this size.

    Returns
    -------
    Result
        ``metrics``, ``drivers``, ``lines``, ``categories``, ``ledger``, ``pilot`` and
        ``readiness`` of the deterministic run; ``uncertainty``, ``probabilities``,
        ``monthly`` and ``draws`` when ``draws > 1``.

    Examples
    --------
    >>> import aiopex, pathlib
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> r = aiopex.run(s)
    >>> r.metrics["cost_total"] > 0
    True
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    if keep_draws < 0:
        raise ValueError("keep_draws must be >= 0")
    H = scenario.horizon
    lines = line_specs(scenario)
    hist = _history(scenario) if scenario.model.usage.history_based else None
    p = _point_params(scenario)
    det = simulate(scenario, lines, p, 1, hist)
    per = metrics_per_draw(det, p["finance.discount_rate"])
    metrics = _point_metrics(per)

    months = month_labels(scenario.start, H)
    series = {k: np.asarray(det.series[k][0], dtype=float) for k in DRIVER_SERIES}
    series["benefit"] = np.asarray(det.benefit[0], dtype=float)
    series["cost"] = np.asarray(det.cost[0], dtype=float)
    series["net"] = net = np.asarray(det.net[0], dtype=float)
    series["cumulative_net"] = np.cumsum(net)
    assert det.lines is not None  # simulate keeps the lines by default
    det_lines = det.lines
    category = {c: np.asarray(a[0], dtype=float) for c, a in det.category.items()}
    commits = {
        ln.name: det.commitments[ln.name][0] for ln in lines if ln.driver == COMMITMENT_DRIVER
    }

    pilot = None
    if scenario.model.pilot is not None:
        pilot = pilot_exposure(
            scenario.model.pilot,
            series["requests"],
            category,
            metrics["run_rate_monthly"],
        )
    readiness = readiness_report(
        scenario,
        months,
        series["accuracy"],
        category,
        metrics["retrains"],
        metrics["run_rate_monthly"],
        silent_months=metrics["silent_months"],
        silent_error_cost=metrics["silent_error_cost"],
        pilot=pilot,
    )
    history_info = None
    if hist is not None:
        fc = hist[0]
        history_info = fc.info(series=True)

    commitments = [
        {
            "name": ln.name,
            "covers": list(ln.covers),
            "amount_per_month": ln.rate,
            "discount": ln.discount,
            "from_month": ln.from_month,
            "to_month": ln.to_month,
            "months": _commit.months_in_horizon(ln),
            **{
                k: float(v[0])
                for k, v in commitment_metrics({ln.name: det.commitments[ln.name]}).items()
            },
        }
        for ln in lines
        if ln.driver == COMMITMENT_DRIVER
    ]
    result = Result(
        scenario=scenario,
        n_draws=draws,
        seed=seed,
        months=months,
        line_specs=lines,
        frames=functools.partial(_frames, lines, det_lines, months, series, category, commits),
        metrics=metrics,
        pilot=pilot,
        readiness=readiness,
        history=history_info,
        commitments=commitments,
    )
    if draws > 1:
        if seed is None:
            seed = fresh_seed()
            result.seed = seed
        mc = monte_carlo(scenario, lines, draws, seed, hist, keep_draws=keep_draws)
        result.uncertainty, result.probabilities, result.monthly, result.draws = mc
    return result
