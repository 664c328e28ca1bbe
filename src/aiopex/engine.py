"""The engine: a scenario to monthly arrays of shape ``(draws, months)``, then metrics.

A deterministic run is one draw at point values; a Monte Carlo run samples every
*(u)* field from its own random stream (keyed by the seed and the field's path) and
runs the same code on chunks of draws, keeping only what the summaries need (monthly
cost and net, per-draw metrics).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, cast, get_args

import numpy as np
from annotated_types import GroupedMetadata
from pydantic import BaseModel

from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import Bounds, Uncertain, is_constant, point, sample, stream
from aiopex.metrics import WHOLE_MONTH_METRICS, Metrics
from aiopex.model import benefits as _benefits
from aiopex.model import commitments as _commit
from aiopex.model import costs as _costs
from aiopex.model import finance, quality, usage
from aiopex.model.costs import LineSpec
from aiopex.model.percentiles import percentiles
from aiopex.model.pilot import pilot_exposure
from aiopex.model.readiness import readiness_report
from aiopex.months import labels as month_labels
from aiopex.months import parts as month_parts
from aiopex.months import run_rate_window
from aiopex.names import CATEGORIES, COMMITMENT_DRIVER, DRIVER_SERIES, PERCENTILES
from aiopex.result import STAT_COLUMNS, Draws, Frames, Result, summarize_rows

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The stream name of the history forecast's Monte Carlo paths.
HISTORY_STREAM = "usage.history"

#: Draws simulated at once in a Monte Carlo run (bounds peak memory).
CHUNK = 2048

#: Draws whose per-line monthly amounts a Monte Carlo run keeps (``Result.draws``).
KEEP_DRAWS = 2000


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for a run given none (recorded in its
    outputs, so the run can be repeated)."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # a SeedSequence made without entropy draws an int
    return entropy % (2**32)


def uncertain_fields(model: BaseModel, prefix: str = "") -> list[tuple[str, Uncertain, Bounds]]:
    """Every *(u)* field of a scenario as ``(dotted path, value, bounds)``, in file order.

    Cost lines are addressed by name (``costs.llm_api.rate``), as overrides are.
    """
    out: list[tuple[str, Uncertain, Bounds]] = []
    for name, bounds in _field_bounds(type(model)):
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if bounds is not None:
            if value is not None:
                out.append((path, value, bounds))
        elif isinstance(value, BaseModel):
            out.extend(uncertain_fields(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for item in value:
                key = getattr(item, "name", None)
                if key is not None:
                    out.extend(uncertain_fields(item, f"{path}.{key}."))
    return out


@functools.cache
def _field_bounds(cls: type[BaseModel]) -> tuple[tuple[str, Bounds | None], ...]:
    """``(field name, Bounds or None)`` of every field of a model class (computed once)."""
    return tuple((n, _bounds(f.metadata, f.annotation)) for n, f in cls.model_fields.items())


def _bounds(metadata: list[Any], annotation: Any) -> Bounds | None:
    """The :class:`Bounds` of a *(u)* field, also when the field is optional."""
    for item in metadata:
        for b in item if isinstance(item, GroupedMetadata) else (item,):
            if isinstance(b, Bounds):
                return b
    for arg in get_args(annotation):
        b = _bounds(list(getattr(arg, "__metadata__", ())), None)
        if b is not None:
            return b
    return None


def line_specs(scenario: Scenario) -> list[LineSpec]:
    """The scenario's cost lines at point values, defaults applied (:func:`costs.line_spec`),
    then each commitment's own line (:func:`commitments.line_spec`)."""
    H = scenario.horizon
    lines = [_costs.line_spec(ln, H, point) for ln in scenario.model.costs]
    return lines + [_commit.line_spec(c, lines, H) for c in scenario.model.commitments]


def _point_params(scenario: Scenario) -> dict[str, np.ndarray]:
    return {p: np.array([[point(v)]]) for p, v, _ in uncertain_fields(scenario.model)}


#: Gives the random stream of a field's dotted path (a portfolio keys members' fields apart).
Streams = Callable[[str], np.random.Generator]


def _sampled_params(
    scenario: Scenario,
    draws: int,
    seed: int,
    streams: Streams | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, np.ndarray]:
    """Sample every *(u)* field: ``(draws, 1)`` arrays; constants stay ``(1, 1)`` and broadcast.

    Field ``path`` draws from its own stream, ``stream(seed, path)`` (common random
    numbers: the other fields' draws do not depend on it), or ``streams(path)`` when
    given; with ``only``, just those fields.
    """
    out = {}
    for p, v, b in uncertain_fields(scenario.model):
        if only is not None and p not in only:
            continue
        rng = streams(p) if streams is not None else stream(seed, p)
        x = sample(v, draws, rng, b)
        out[p] = x[:1].reshape(1, 1) if is_constant(v) else x.reshape(draws, 1)
    return out


def _history(scenario: Scenario) -> Any:
    """Fit the history-based usage forecast (statsmodels is imported only here)."""
    from aiopex.inputs.history import read_history
    from aiopex.model import forecasting as history

    u = scenario.model.usage
    frame = scenario.history_frame
    if frame is None:
        assert u.history is not None  # a history-based scenario names its file
        frame = read_history(Path(u.history), scenario.start, u.method)
    fc = history.forecast_series(frame["requests"], scenario.start, scenario.horizon, u.method)
    users = None
    if "active_users" in frame.columns:
        users = history.forecast_series(
            frame["active_users"], scenario.start, scenario.horizon, fc.method
        )
    return fc, users


#: The parameters of a run: each field's path (``usage.population``,
#: ``costs.<line>.rate``, as :func:`uncertain_fields` names them) -> its values, shape
#: ``(draws, 1)`` (``(1, 1)`` for a constant).
Params: TypeAlias = dict[str, np.ndarray]


class LineArrays(NamedTuple):
    """One cost line's monthly arrays, each ``(draws, months)``."""

    quantity: np.ndarray
    rate: np.ndarray
    amount: np.ndarray


@dataclass(frozen=True, slots=True)
class Simulation:
    """What :func:`simulate` makes of ``draws`` parameter sets: monthly arrays of shape
    ``(draws, months)``.

    Attributes
    ----------
    series : dict
        The driver series by name (:data:`aiopex.names.DRIVER_SERIES`: usage, accuracy,
        ``retrain``, ``degraded``, ``silent``, ``detected``), the names the driver
        registry reads a line's quantity from.
    benefit, cost, net : ndarray
        Value of the correct outputs, the cost of every line, ``benefit - cost``.
    silent_error : ndarray
        The cost of the wrong outputs of silent months.
    error_cost, errors_caught, errors_escaped : ndarray
        The wrong outputs' cost, and the wrong outputs caught and not.
    category : dict
        Cost per category, in :data:`aiopex.names.CATEGORIES` order.
    commitments : dict
        Per commitment line: its split and ``C * n`` (the committed amount in the horizon).
    lines : dict or None
        Per line, its :class:`LineArrays` (None unless asked for: ``keep_lines``).
    """

    series: dict[str, np.ndarray]
    benefit: np.ndarray
    silent_error: np.ndarray
    error_cost: np.ndarray
    errors_caught: np.ndarray
    errors_escaped: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    category: dict[str, np.ndarray]
    commitments: dict[str, tuple[Any, float]]
    lines: dict[str, LineArrays] | None

    @property
    def requests(self) -> np.ndarray:
        return self.series["requests"]

    def line(self, name: str) -> LineArrays:
        """A line's arrays (the simulation must have kept them)."""
        assert self.lines is not None, "simulate(..., keep_lines=True) keeps the lines"
        return self.lines[name]


def simulate(
    scenario: Scenario,
    lines: list[LineSpec],
    p: Params,
    draws: int,
    hist: tuple[Any, Any] | None = None,
    hist_requests: np.ndarray | None = None,
    keep_lines: bool = True,
) -> Simulation:
    """Run the model on ``draws`` parameter sets ``p`` (each ``(draws, 1)``): the
    monthly arrays ``(draws, months)`` of a :class:`Simulation` (with the lines' arrays
    when ``keep_lines``)."""
    m = scenario.model
    u = m.usage
    H = scenario.horizon
    shape = (draws, H)
    out: dict[str, np.ndarray] = {}  # the driver series, by name
    if hist is None:
        waves = [(w.month, w.share) for w in u.rollout] if u.rollout else [(0, 1.0)]
        active = usage.active_users(
            p["usage.population"],
            waves,
            p["usage.adoption.ceiling"],
            p["usage.adoption.midpoint_months"],
            p["usage.adoption.steepness"],
            H,
        )
        seasonal = usage.seasonal_factors(u.seasonality, month_parts(scenario.start)[1], H)
        items = usage.items(
            active, p["usage.items_per_user_month"], p["usage.growth_per_year"], seasonal
        )
        req = usage.requests(items, p["usage.bypass_rate"])
    else:
        fc, users_fc = hist
        req = hist_requests if hist_requests is not None else fc.mean[None, :]
        if users_fc is not None:
            ratio = np.divide(req, fc.mean, out=np.ones_like(req), where=fc.mean > 0)
            active = users_fc.mean[None, :] * ratio
        elif "usage.items_per_user_month" in p:
            active = req / np.maximum(p["usage.items_per_user_month"], 1e-12)
        else:
            active = np.zeros_like(req)
        bypass = p["usage.bypass_rate"]
        items = np.divide(req, 1.0 - bypass, out=np.zeros_like(req), where=bypass < 1)
    out["active_users"] = np.broadcast_to(active, shape)
    out["new_users"] = usage.new_users(out["active_users"])
    out["items"] = np.broadcast_to(items, shape)
    out["requests"] = req = np.broadcast_to(req, shape)
    out["input_tokens"] = usage.tokens(req, p["usage.tokens_per_item.input"])
    out["output_tokens"] = usage.tokens(req, p["usage.tokens_per_item.output"])

    q = m.quality
    launch, drift = p["quality.launch_accuracy"], p["quality.drift_per_month"]
    r = m.retraining
    retrain, age = quality.retrain_and_age(
        r.policy,
        H,
        draws,
        every_months=r.every_months,
        trigger_below=r.trigger_below,
        launch=launch,
        drift=drift,
        floor=q.floor,
    )
    acc = quality.accuracy_from_age(age, launch, drift, q.floor)
    deg = quality.degraded(acc, q.acceptable)
    lag = p.get("monitoring.detection_lag_months", 0.0)
    silent, detected = quality.silent_and_detected(deg, lag, m.degradation.fallback)
    out.update(accuracy=acc, retrain=retrain, degraded=deg, silent=silent, detected=detected)
    catch = p.get("benefits.human_check.catch_rate", 0.0)
    e = _benefits.error_unit_cost(
        p["benefits.cost_per_error"],
        p["benefits.hourly_rate"],
        catch,
        p.get("benefits.human_check.minutes_per_caught_error", 0.0),
    )
    benefit = _benefits.benefit(
        req,
        acc,
        detected,
        p["benefits.minutes_saved_per_item"],
        p["benefits.hourly_rate"],
        e,
        m.degradation.fallback,
    )
    wrong = _benefits.errors(req, acc, detected, m.degradation.fallback)

    cost = np.zeros(shape)
    category: dict[str, np.ndarray] = {}
    arrays: dict[str, LineArrays] = {}
    kept: dict[str, _commit.Arrays] = {}  # quantity, monthly rate, amount
    for ln in lines:
        if ln.driver == COMMITMENT_DRIVER:
            continue
        k = f"costs.{ln.name}."
        qty = _costs.quantity(ln, out, p.get(k + "fte"), p.get(k + "capacity_per_unit"), shape)
        rate_m = _costs.monthly_rate(ln, p[k + "rate"], p[k + "escalation_per_year"], H)
        kept[ln.name] = (qty, rate_m, _costs.amount(qty, rate_m, ln))
    commitments: dict[str, tuple[Any, float]] = {}  # name -> (Split, C * n)
    for ln in lines:
        if ln.driver == COMMITMENT_DRIVER:
            kept[ln.name], split = _commit.apply(ln, kept, shape)
            commitments[ln.name] = (split, ln.rate * _commit.months_in_horizon(ln))
    for ln in lines:
        qty, rate_m, amt = kept[ln.name]
        cost += amt
        if ln.category in category:
            category[ln.category] += amt
        else:
            category[ln.category] = amt.copy()
        if keep_lines:
            arrays[ln.name] = LineArrays(qty, np.broadcast_to(rate_m, shape), amt)
    return Simulation(
        series=out,
        benefit=benefit,
        silent_error=_benefits.silent_error(req, acc, silent, e),
        error_cost=wrong * e,
        errors_caught=wrong * catch,
        errors_escaped=wrong * (1.0 - catch),
        cost=cost,
        net=benefit - cost,
        category={c: category[c] for c in CATEGORIES if c in category},
        commitments=commitments,
        lines=arrays if keep_lines else None,
    )


def metrics_per_draw(sim: Simulation, discount_rate: np.ndarray) -> dict[str, Any]:
    """The summary metrics (docs/formulas.md#finance) for every draw, each an array ``(draws,)``.

    - ``cost_total`` = sum of ``cost(m)``; ``cost_by_category`` = sum per category
    - ``benefit_total`` = sum of ``benefit(m)``; ``net_total = benefit_total - cost_total``
    - ``npv`` = ``sum_m net(m) / (1 + r)^(m+1)``, ``r = (1 + discount_rate)^(1/12) - 1``
    - ``irr_annual`` = ``(1 + IRR of net(m))^12 - 1`` (NaN where no IRR), the IRR being
      the root closest to zero
    - ``mirr_annual`` = ``(1 + MIRR of net(m))^12 - 1``, Excel's ``MIRR`` with the monthly
      discount rate as finance and reinvestment rate (NaN where undefined)
    - ``payback_month`` (NaN where the cumulative net ends below 0)
    - ``roi = net_total / cost_total``
    - ``run_rate_monthly`` = mean ``cost(m)`` over the last ``min(12, H)`` months
    - ``requests_total``; ``cost_per_request = cost_total / requests_total``
    - ``retrains``, ``degraded_months``, ``silent_months``: counts of months
    - ``silent_error_cost`` = sum over silent months of
      ``requests(m) * (1 - accuracy(m)) * e``, ``e`` the cost of one wrong output
      (``cost_per_error``, or with a human check
      ``(1 - catch_rate) * cost_per_error + catch_rate * minutes_per_caught_error / 60 *
      hourly_rate``)
    - ``error_cost_total``, ``errors_caught``, ``errors_escaped``: over the months the
      system runs (not a detected month with ``fallback: manual``), ``requests(m) * (1 -
      accuracy(m))`` times ``e``, ``catch_rate`` and ``1 - catch_rate``
    """
    cost, benefit, net = sim.cost, sim.benefit, sim.net
    H = cost.shape[1]
    cost_total = cost.sum(axis=1)
    benefit_total = benefit.sum(axis=1)
    requests_total = sim.requests.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost_total != 0, (benefit_total - cost_total) / cost_total, np.nan)
        cpr = np.where(requests_total != 0, cost_total / requests_total, np.nan)
    out = {
        "cost_total": cost_total,
        "cost_by_category": {c: a.sum(axis=1) for c, a in sim.category.items()},
        "benefit_total": benefit_total,
        "net_total": benefit_total - cost_total,
        "npv": finance.npv(net, discount_rate[:, 0]),
        "irr_annual": finance.irr_annual(net),
        "mirr_annual": finance.mirr_annual(net, discount_rate[:, 0]),
        "payback_month": finance.payback_month(net),
        "roi": roi,
        "run_rate_monthly": cost[:, run_rate_window(H)].mean(axis=1),
        "requests_total": requests_total,
        "cost_per_request": cpr,
        "retrains": sim.series["retrain"].sum(axis=1),
        "degraded_months": sim.series["degraded"].sum(axis=1),
        "silent_months": sim.series["silent"].sum(axis=1),
        "silent_error_cost": sim.silent_error.sum(axis=1),
        "error_cost_total": sim.error_cost.sum(axis=1),
        "errors_caught": sim.errors_caught.sum(axis=1),
        "errors_escaped": sim.errors_escaped.sum(axis=1),
    }
    out.update(commitment_metrics(sim.commitments))
    return out


def commitment_metrics(commitments: dict[str, tuple[Any, float]]) -> dict[str, np.ndarray]:
    """Per draw, the commitments' ``unused_commitment`` and ``commitment_savings`` (sums
    over the terms) and ``commitment_utilization`` (``1 - unused / sum(C * n)``, ``n`` the
    term's months within the horizon); ``{}`` without commitments."""
    if not commitments:
        return {}
    unused = sum(sp.unused.sum(axis=1) for sp, _ in commitments.values())
    savings = sum(sp.savings.sum(axis=1) for sp, _ in commitments.values())
    committed = sum(c for _, c in commitments.values())
    return {
        "unused_commitment": unused,
        "commitment_savings": savings,
        "commitment_utilization": _commit.utilization(unused, committed),
    }


def _scalar(x: float, integer: bool = False) -> float | int | None:
    x = float(x)
    if math.isnan(x):
        return None
    return int(round(x)) if integer else x


def _point_metrics(per_draw: dict[str, Any]) -> Metrics:
    """The first draw's metrics as plain numbers: whole-month metrics as ints, NaN as None
    (the keys are the registry's, tests/test_types.py checks)."""
    out: dict[str, Any] = {}
    for k, v in per_draw.items():
        if k == "cost_by_category":
            out[k] = {c: float(a[0]) for c, a in v.items()}
        else:
            out[k] = _scalar(v[0], integer=k in WHOLE_MONTH_METRICS)
    return cast(Metrics, out)


def _flat_metrics(per: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-draw metrics flat: one array per metric, ``cost_by_category.<c>`` by category."""
    cols: dict[str, np.ndarray] = {}
    for k, v in per.items():
        if k == "cost_by_category":
            for c, a in v.items():
                cols[f"{k}.{c}"] = np.asarray(a, dtype=float)
        else:
            cols[k] = np.asarray(v, dtype=float)
    return cols


def keep_indexes(draws: int, keep_draws: int, seed: int) -> np.ndarray:
    """The draws whose cost lines a Monte Carlo run keeps, sorted.

    All draws when ``draws <= keep_draws``; else ``keep_draws`` of them chosen
    without replacement by a generator of their own (seeded by ``seed``), before
    any draw is run, so chunking does not change which are kept.
    """
    if draws <= keep_draws:
        return np.arange(draws)
    rng = np.random.default_rng([seed, 0x6B656570])  # its own stream: "keep"
    return np.sort(rng.choice(draws, size=keep_draws, replace=False))


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


@dataclass(frozen=True)
class Chunk:
    """Draws ``lo`` to ``hi`` (excluded) of a run: their parameters and what
    :func:`simulate` made of them."""

    lo: int
    hi: int
    params: dict[str, np.ndarray]
    sim: Simulation


def simulate_chunks(
    scenario: Scenario,
    lines: list[LineSpec],
    params: dict[str, np.ndarray],
    draws: int,
    hist: tuple[Any, Any] | None = None,
    hist_requests: np.ndarray | None = None,
    chunk: int | None = None,
    keep_lines: Callable[[int, int], bool] | bool = True,
) -> Iterator[Chunk]:
    """The one chunked Monte Carlo loop: :func:`simulate` on ``chunk`` draws at a time
    (:data:`CHUNK` by default), which bounds peak memory.

    ``params`` holds every field's ``(draws, 1)`` values (or ``(1, 1)`` for a constant,
    broadcast to every draw), all drawn up front, so the chunk size changes no number;
    ``hist_requests`` the history forecast's ``(draws, months)`` paths. ``keep_lines``
    says whether a chunk keeps its lines' arrays, or for which ``(lo, hi)`` it does.
    """
    chunk = chunk or CHUNK
    for lo in range(0, draws, chunk):
        hi = min(lo + chunk, draws)
        pc = {k: v[lo:hi] if v.shape[0] > 1 else v for k, v in params.items()}
        keep = keep_lines(lo, hi) if callable(keep_lines) else keep_lines
        hr = hist_requests[lo:hi] if hist_requests is not None else None
        yield Chunk(lo, hi, pc, simulate(scenario, lines, pc, hi - lo, hist, hr, keep_lines=keep))


def monte_carlo(
    scenario: Scenario,
    lines: list[LineSpec],
    draws: int,
    seed: int,
    hist: tuple[Any, Any] | None = None,
    chunk: int | None = None,
    keep_draws: int = KEEP_DRAWS,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame, Draws]:
    """Sample every *(u)* field ``draws`` times and summarize the metrics.

    Each *(u)* field draws from its own stream keyed by the seed and its dotted path
    (:func:`aiopex.inputs.uncertain.stream`), the history forecast's paths from the
    stream of ``usage.history``; all are drawn up front, so chunking does not change
    them, and adding or changing one field's range leaves the other fields' draws as
    they were. The draws whose lines are kept are chosen up front too
    (:func:`keep_indexes`).

    Returns
    -------
    uncertainty : DataFrame
        Index ``metric``; ``mean``, ``p5`` .. ``p95``, ``defined_share``
        (:func:`aiopex.result.summarize`).
    probabilities : dict
        ``prob_npv_negative`` = share of draws with NPV < 0; ``prob_no_payback`` =
        share of draws whose payback is not within the horizon.
    monthly : DataFrame
        Index ``m``; ``cost_p5`` .. ``net_p95``: percentiles over all draws, per month.
    draws : Draws
    """
    import pandas as pd

    p = _sampled_params(scenario, draws, seed)
    hist_req = hist[0].sample(draws, stream(seed, HISTORY_STREAM)) if hist is not None else None
    H = scenario.horizon
    kept = keep_indexes(draws, keep_draws, seed)
    n_lines = len(lines)
    kept_amount = np.zeros((kept.size, n_lines, H))
    kept_quantity = np.zeros((kept.size, n_lines, H))
    kept_requests = np.zeros((kept.size, H))
    windows = [_costs.window(ln, H) for ln in lines]
    cost_all = np.empty((draws, H))
    net_all = np.empty((draws, H))
    per_chunks: list[dict[str, np.ndarray]] = []

    def keeps(lo: int, hi: int) -> bool:
        a, b = np.searchsorted(kept, [lo, hi])
        return bool(b > a)

    for c in simulate_chunks(scenario, lines, p, draws, hist, hist_req, chunk, keeps):
        lo, hi, pc, sim = c.lo, c.hi, c.params, c.sim
        a, b = np.searchsorted(kept, [lo, hi])
        cost_all[lo:hi] = sim.cost
        net_all[lo:hi] = sim.net
        if b > a:
            rows: Any = kept[a:b] - lo
            if rows.size == hi - lo:  # every draw of the chunk is kept: no gather
                rows = slice(None)
            kept_requests[a:b] = sim.requests[rows]
            for i, ln in enumerate(lines):
                qty, _, amt = sim.line(ln.name)
                kept_amount[a:b, i] = amt[rows]
                kept_quantity[a:b, i] = qty[rows] * windows[i]
        per_chunks.append(_flat_metrics(metrics_per_draw(sim, pc["finance.discount_rate"])))
    names = list(per_chunks[0])
    # one (metrics, draws) matrix: each metric's draws contiguous, for the summaries
    per_matrix = np.empty((len(names), draws))
    for j, name in enumerate(names):
        np.concatenate([c[name] for c in per_chunks], out=per_matrix[j])
    per_draw = pd.DataFrame(per_matrix.T, columns=names)
    per_draw.index.name = "draw"
    unc = pd.DataFrame(
        summarize_rows([n.split(".")[0] for n in names], per_matrix),
        index=pd.Index(names, name="metric"),
        columns=list(STAT_COLUMNS),
    )
    npv, payback = per_matrix[names.index("npv")], per_matrix[names.index("payback_month")]
    probabilities = {
        "prob_npv_negative": float(np.mean(npv < 0)),
        "prob_no_payback": float(np.mean(np.isnan(payback))),
    }
    monthly = pd.DataFrame(
        np.concatenate([percentiles(a, PERCENTILES, axis=0).T for a in (cost_all, net_all)], 1),
        columns=[f"{name}_p{q}" for name in ("cost", "net") for q in PERCENTILES],
        index=pd.RangeIndex(H, name="m"),
    )
    kept_draws = Draws(
        metrics=per_draw,
        kept=kept,
        line_names=[ln.name for ln in lines],
        amount=kept_amount,
        quantity=kept_quantity,
        requests=kept_requests,
    )
    return unc, probabilities, monthly, kept_draws


@dataclass
class CostPaths:
    """One scenario's monthly cost and net over Monte Carlo draws: what a portfolio sums.

    Attributes
    ----------
    cost, net : ndarray, shape (draws, months)
        ``cost(m)`` (the sum of the cost lines) and ``net(m) = benefit(m) - cost(m)`` of
        every draw; one row at point values when ``draws == 1``.
    point_cost, point_net : ndarray, shape (months,)
        The deterministic run at point values.
    line_names, line_categories, line_drivers : list of str
        The cost lines, in file order.
    point_lines : ndarray, shape (lines, months)
        Each line's ``amount(m)`` at point values.
    line_percentiles : ndarray, shape (lines, 3, months)
        Each line's P10, P50 and P90 of ``amount(m)`` over the draws (numpy's linear
        percentiles), per month.
    spend : ndarray, shape (draws, months), or None
        With ``spend_of``: the on-demand amounts of those lines, summed (any commitment
        on them set aside).
    independent_cost, independent_net : ndarray, shape (draws, months), or None
        With ``independent`` streams: ``cost(m)`` and ``net(m)`` of every draw when the
        fields in ``differing`` draw from those streams instead (a portfolio member
        with nothing shared), from the same pass.
    """

    cost: np.ndarray
    net: np.ndarray
    point_cost: np.ndarray
    point_net: np.ndarray
    line_names: list[str]
    line_categories: list[str]
    line_drivers: list[str]
    point_lines: np.ndarray
    line_percentiles: np.ndarray
    spend: np.ndarray | None = None
    independent_cost: np.ndarray | None = None
    independent_net: np.ndarray | None = None


#: The line percentiles :func:`cost_paths` keeps (P10, P50, P90).
LINE_PERCENTILES = (10, 50, 90)


def cost_paths(
    scenario: Scenario,
    draws: int,
    seed: int,
    streams: Streams | None = None,
    chunk: int | None = None,
    spend_of: tuple[str, ...] = (),
    independent: Streams | None = None,
    differing: frozenset[str] = frozenset(),
) -> CostPaths:
    """Monthly cost and net of every draw, and each cost line's percentiles.

    The same model as :func:`monte_carlo` (:func:`simulate` on chunks of draws), without
    the per-draw metrics: a portfolio member's task. ``draws == 1`` is the deterministic
    run at point values. Field ``path`` draws from ``streams(path)`` (default
    ``stream(seed, path)``, as a scenario run alone), the history forecast's paths from
    ``streams("usage.history")``. With ``spend_of`` (line names), a commitment that
    covers any of them is set aside and ``spend`` holds their summed amounts per draw.

    With ``independent``, the same pass also gives the cost and net of every draw when
    the fields in ``differing`` draw from ``independent(path)`` instead (the others keep
    their draws): a portfolio member's view with nothing shared. Where those fields are
    only cost lines' ``rate`` and ``escalation_per_year`` (and the discount rate, which
    cost does not use), only those lines' amounts are computed again, and the lines are
    added up in the same order, so the numbers are those of a run of their own.

    Examples
    --------
    >>> import aiopex, pathlib
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> cp = cost_paths(s, 200, seed=1)
    >>> cp.cost.shape == (200, s.horizon)
    True
    >>> bool(np.allclose(cost_paths(s, 1, seed=1).cost[0], aiopex.run(s).drivers["cost"]))
    True
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    H = scenario.horizon
    lines = [ln for ln in line_specs(scenario) if not set(ln.covers) & set(spend_of)]
    hist = _history(scenario) if scenario.model.usage.history_based else None
    p0 = _point_params(scenario)
    det = simulate(scenario, lines, p0, 1, hist)
    point_lines = np.zeros((len(lines), H))
    for i, ln in enumerate(lines):
        point_lines[i] = det.line(ln.name).amount[0]
    if draws == 1:
        p, hist_req = p0, None
    else:
        p = _sampled_params(scenario, draws, seed, streams)
        rng = streams(HISTORY_STREAM) if streams is not None else stream(seed, HISTORY_STREAM)
        hist_req = hist[0].sample(draws, rng) if hist is not None else None
    alt = independent is not None and draws > 1
    if independent is not None and alt:
        p_alt = dict(p)
        p_alt.update(_sampled_params(scenario, draws, seed, independent, only=differing))
        alt_lines = _rate_only_lines(lines, differing)
        if alt_lines is None and HISTORY_STREAM in differing and hist is not None:
            hist_alt = hist[0].sample(draws, independent(HISTORY_STREAM))
        else:
            hist_alt = hist_req
        alt_cost, alt_net = np.empty((draws, H)), np.empty((draws, H))
    cost = np.empty((draws, H))
    net = np.empty((draws, H))
    amounts = np.empty((len(lines), draws, H))
    for c in simulate_chunks(scenario, lines, p, draws, hist, hist_req, chunk):
        cost[c.lo : c.hi] = c.sim.cost
        net[c.lo : c.hi] = c.sim.net
        for i, ln in enumerate(lines):
            amounts[i, c.lo : c.hi] = c.sim.line(ln.name).amount
        if alt:
            lo, hi = c.lo, c.hi
            pa = {k: v[lo:hi] if v.shape[0] > 1 else v for k, v in p_alt.items()}
            if alt_lines is None:  # a field the usage or quality depends on: run again
                ha = hist_alt[lo:hi] if hist_alt is not None else None
                other = simulate(scenario, lines, pa, hi - lo, hist, ha, keep_lines=False)
                alt_cost[lo:hi], alt_net[lo:hi] = other.cost, other.net
            else:
                recost = _recost(lines, c.sim, pa, alt_lines, H)
                alt_cost[lo:hi] = recost
                alt_net[lo:hi] = c.sim.benefit - recost
    spend = None
    if spend_of:
        idx = [i for i, ln in enumerate(lines) if ln.name in spend_of]
        spend = amounts[idx].sum(axis=0)
    pct = percentiles(amounts, LINE_PERCENTILES, axis=1)  # (3, lines, H)
    return CostPaths(
        cost=cost,
        net=net,
        point_cost=np.asarray(det.cost[0], dtype=float),
        point_net=np.asarray(det.net[0], dtype=float),
        line_names=[ln.name for ln in lines],
        line_categories=[ln.category for ln in lines],
        line_drivers=[ln.driver for ln in lines],
        point_lines=point_lines,
        line_percentiles=np.ascontiguousarray(pct.transpose(1, 0, 2)),
        spend=spend,
        independent_cost=alt_cost if alt else None,
        independent_net=alt_net if alt else None,
    )


#: The fields of a cost line that only its own amount depends on.
_AMOUNT_ONLY = ("rate", "escalation_per_year")


def _rate_only_lines(lines: list[LineSpec], paths: frozenset[str]) -> frozenset[str] | None:
    """The lines whose amounts change when ``paths`` draw otherwise, or None when a path
    moves more than amounts (usage, quality, a commitment, a line's quantity)."""
    if any(ln.driver == COMMITMENT_DRIVER for ln in lines):
        return None
    names = {ln.name for ln in lines}
    out = set()
    for path in paths:
        if path == "finance.discount_rate":
            continue  # cost and net do not depend on it
        head, _, field = path.rpartition(".")
        if not head.startswith("costs.") or field not in _AMOUNT_ONLY:
            return None
        name = head[len("costs.") :]
        if name not in names:
            return None
        out.add(name)
    return frozenset(out)


def _recost(
    lines: list[LineSpec],
    sim: Simulation,
    p: Params,
    changed: frozenset[str],
    H: int,
) -> np.ndarray:
    """``cost(m)`` with the amounts of the ``changed`` lines from the parameters ``p``:
    the same sum, in the same order, as :func:`simulate`."""
    cost = np.zeros(sim.cost.shape)
    for ln in lines:
        qty, _, amt = sim.line(ln.name)
        if ln.name in changed:
            k = f"costs.{ln.name}."
            rate_m = _costs.monthly_rate(ln, p[k + "rate"], p[k + "escalation_per_year"], H)
            amt = _costs.amount(qty, rate_m, ln)
        cost += amt
    return cost
