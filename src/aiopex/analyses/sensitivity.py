"""What moves the result: the one-at-a-time tornado and break-even values
(docs/ranges.md#sensitivity-what-moves-the-result).

For every *(u)* field whose range has width, the deterministic model is run with that
field at its own P10 and at its P90 (:func:`aiopex.inputs.uncertain.quantile`, clipped to
the field's valid range) and every other field at its point value. For a metric
(default ``npv``) the swing is ``|metric(P90) - metric(P10)|``; the tornado lists the
fields by swing, largest first (file order on ties), fields with swing 0 last, with the
base value (every field at its point value).

The whole tornado is **one** vectorized run: row 0 is the base, rows ``2i+1`` and
``2i+2`` put field ``i`` at its P10 and P90, so ``2 x fields + 1`` draws go through the
engine together (never a Python loop of runs).

A field's *break-even* is the value at which NPV crosses zero with every other field at
its point value, searched between the field's P1 and P99: 16 equal steps in one
vectorized run locate the sign changes, the one nearest the point value is kept and
bisection (one run per step for all fields at once) narrows it to 1e-10 of the range.
``None`` where NPV does not change sign within P1..P99. A field that moves NPV by whole
steps (a capacity's units, a detection lag in whole months) may jump across zero: its
break-even is then where the jump happens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aiopex.engine import (
    _history,
    _point_params,
    line_specs,
    metrics_per_draw,
    simulate,
    uncertain_fields,
)
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import Bounds, Uncertain, is_constant, quantile

#: The quantiles of the tornado (docs/ranges.md#sensitivity-what-moves-the-result: each field at its
#: own P10 and P90).
LOW_Q, HIGH_Q = 0.1, 0.9
#: The range searched for a break-even value: the field's P1 to P99.
SEARCH_Q = (0.01, 0.99)
#: Equal steps between P1 and P99 scanned for sign changes of NPV before bisection.
SCAN_STEPS = 16
#: Bisection steps (each one engine run for all fields): 2^-40 of the range.
BISECT_STEPS = 40


@dataclass(frozen=True)
class Field:
    """One *(u)* field with width: its dotted path, value and bounds."""

    path: str
    value: Uncertain
    bounds: Bounds


def fields_with_width(scenario: Scenario) -> list[Field]:
    """Every *(u)* field whose range has width, in file order."""
    return [Field(p, v, b) for p, v, b in uncertain_fields(scenario.model) if not is_constant(v)]


class _Runner:
    """Runs the deterministic model on rows of parameter sets: each row sets some fields
    to given values, every other field at its point value."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.lines = line_specs(scenario)
        self.hist = _history(scenario) if scenario.model.usage.history_based else None
        self.base = _point_params(scenario)

    def metrics(self, settings: dict[str, np.ndarray], rows: int) -> dict[str, Any]:
        """Per-row metrics; ``settings`` maps a field's path to ``(rows,)`` values."""
        p = dict(self.base)
        for path, values in settings.items():
            p[path] = np.asarray(values, dtype=float).reshape(rows, 1)
        sim = simulate(self.scenario, self.lines, p, rows, self.hist, keep_lines=False)
        rate = np.broadcast_to(p["finance.discount_rate"], (rows, 1))
        return metrics_per_draw(sim, rate)

    def one_field_each(
        self, fields: list[Field], values: np.ndarray, base_row: bool = False
    ) -> tuple[dict[str, Any], int]:
        """Rows that each move one field: ``values`` is ``(fields, k)``; row ``1 + i*k + j``
        (or ``i*k + j`` without ``base_row``) puts field ``i`` at ``values[i, j]``."""
        n, k = values.shape
        off = 1 if base_row else 0
        rows = off + n * k
        settings: dict[str, np.ndarray] = {}
        for i, f in enumerate(fields):
            col = np.full(rows, float(self.base[f.path][0, 0]))
            col[off + i * k : off + (i + 1) * k] = values[i]
            settings[f.path] = col
        return self.metrics(settings, rows), off


def metric_values(per: dict[str, Any], metric: str) -> np.ndarray:
    """One metric per row from :func:`aiopex.engine.metrics_per_draw`'s output.

    ``metric`` is a metric name of docs/formulas.md (``npv``, ``run_rate_monthly``, ...) or
    ``cost_by_category.<category>``.
    """
    if metric.startswith("cost_by_category."):
        cat = metric.split(".", 1)[1]
        by = per["cost_by_category"]
        if cat not in by:
            raise KeyError(f"no cost line of category {cat!r}")
        return np.asarray(by[cat], dtype=float)
    if metric == "cost_by_category" or metric not in per:
        raise KeyError(f"unknown metric {metric!r}")
    return np.asarray(per[metric], dtype=float)


def sensitivity_metrics(scenario: Scenario) -> list[str]:
    """The metric names :func:`tornado` accepts for a scenario."""
    r = _Runner(scenario)
    per = r.metrics({}, 1)
    names = [k for k in per if k != "cost_by_category"]
    return names + [f"cost_by_category.{c}" for c in per["cost_by_category"]]


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def tornado(scenario: Scenario, metric: str = "npv", break_even: bool = True) -> dict[str, Any]:
    """The one-at-a-time tornado of ``metric``, and NPV break-even values.

    Parameters
    ----------
    scenario : Scenario
    metric : str
        A metric of docs/formulas.md (``npv``, ``run_rate_monthly``, ``cost_total``, ...) or
        ``cost_by_category.<category>``.
    break_even : bool
        Also compute each field's NPV break-even value (key ``break_even``).

    Returns
    -------
    dict
        ``{"metric", "base", "fields": [{"field", "low", "high", "metric_at_low",
        "metric_at_high", "swing"[, "break_even"]}]}``: ``low``/``high`` are the field's
        P10/P90, ``swing = |metric_at_high - metric_at_low|``; fields by swing, largest
        first, swing 0 last. A metric undefined at a value (an IRR that does not exist) is
        ``None``, and so is that field's swing (listed after the others).

    Examples
    --------
    >>> import aiopex, pathlib
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> t = tornado(s, "npv", break_even=False)
    >>> swings = [f["swing"] for f in t["fields"]]
    >>> swings == sorted(swings, reverse=True)
    True
    """
    runner = _Runner(scenario)
    fields = fields_with_width(scenario)
    qs = np.array(
        [[quantile(f.value, q, f.bounds) for q in (LOW_Q, HIGH_Q)] for f in fields]
    ).reshape(len(fields), 2)
    per, off = runner.one_field_each(fields, qs, base_row=True)
    values = metric_values(per, metric)
    base = float(values[0])
    rows: list[dict[str, Any]] = []
    for i, f in enumerate(fields):
        lo_v, hi_v = float(values[off + 2 * i]), float(values[off + 2 * i + 1])
        swing = abs(hi_v - lo_v)
        rows.append(
            {
                "field": f.path,
                "low": float(qs[i, 0]),
                "high": float(qs[i, 1]),
                "metric_at_low": _num(lo_v),
                "metric_at_high": _num(hi_v),
                "swing": _num(swing),
            }
        )
    if break_even and fields:
        be = break_even_values(scenario, fields, runner)
        for row, v in zip(rows, be, strict=True):
            row["break_even"] = v
    order = sorted(
        range(len(rows)),
        key=lambda i: (rows[i]["swing"] is None, -float(rows[i]["swing"] or 0.0), i),
    )
    return {"metric": metric, "base": _num(base), "fields": [rows[i] for i in order]}


def break_even_values(
    scenario: Scenario, fields: list[Field] | None = None, runner: Any = None
) -> list[float | None]:
    """Per field, the value at which NPV crosses zero, every other field at its point.

    Searched between the field's P1 and P99 (clipped to its valid range): NPV on
    :data:`SCAN_STEPS` equal steps (one vectorized run for every field), the sign change
    nearest the point value, then :data:`BISECT_STEPS` bisection steps (each one run for
    all fields). ``None`` where NPV keeps one sign over P1..P99.
    """
    runner = runner or _Runner(scenario)
    fields = fields_with_width(scenario) if fields is None else fields
    n = len(fields)
    if n == 0:
        return []
    lo = np.array([quantile(f.value, SEARCH_Q[0], f.bounds) for f in fields])
    hi = np.array([quantile(f.value, SEARCH_Q[1], f.bounds) for f in fields])
    t = np.linspace(0.0, 1.0, SCAN_STEPS + 1)
    grid = lo[:, None] + (hi - lo)[:, None] * t[None, :]  # (fields, steps + 1)
    per, _ = runner.one_field_each(fields, grid)
    npv = metric_values(per, "npv").reshape(n, SCAN_STEPS + 1)
    sign = np.sign(npv)
    pt = np.array([float(runner.base[f.path][0, 0]) for f in fields])
    out: list[float | None] = [None] * n
    a = np.full(n, np.nan)
    b = np.full(n, np.nan)
    sa = np.zeros(n)
    for i in range(n):
        exact = np.flatnonzero(sign[i] == 0)
        cells = np.flatnonzero(sign[i, :-1] * sign[i, 1:] < 0)
        # (distance to the point value, an exact zero or None, a crossing cell or None)
        cand: list[tuple[float, float | None, int | None]] = [
            (float(abs(grid[i, j] - pt[i])), float(grid[i, j]), None) for j in exact
        ]
        mids = (grid[i, cells] + grid[i, cells + 1]) / 2
        cand += [(float(abs(mids[k] - pt[i])), None, int(j)) for k, j in enumerate(cells)]
        if not cand:
            continue
        _, value, cell = min(cand, key=lambda c: c[0])
        if value is not None:
            out[i] = value
        else:
            assert cell is not None
            a[i], b[i], sa[i] = grid[i, cell], grid[i, cell + 1], sign[i, cell]
    todo = np.flatnonzero(~np.isnan(a))
    if todo.size:
        sub = [fields[i] for i in todo]
        aa, bb, ss = a[todo], b[todo], sa[todo]
        for _ in range(BISECT_STEPS):
            mid = (aa + bb) / 2
            per, _ = runner.one_field_each(sub, mid[:, None])
            sm = np.sign(metric_values(per, "npv"))
            left = sm == ss  # the root is right of mid
            aa = np.where(left, mid, aa)
            bb = np.where(left, bb, mid)
        for k, fi in enumerate(todo.tolist()):
            out[fi] = float((aa[k] + bb[k]) / 2)
    return out


#: Columns of :attr:`Sensitivity.fields`, in order (``break_even`` only when computed).
FIELD_COLUMNS = ("field", "low", "high", "metric_at_low", "metric_at_high", "swing")


@dataclass(frozen=True)
class Sensitivity:
    """What moves a metric: the one-at-a-time tornado of a scenario, as a value.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    currency : str
        Its currency (money metrics are in it).
    metric : str
        The metric moved (``npv``, ``run_rate_monthly``, ... or
        ``cost_by_category.<category>``).
    base : float or None
        The metric with every field at its point value; None where undefined.
    fields : DataFrame
        One row per field with a range, by swing, largest first: ``field`` (its dotted
        path), ``low`` and ``high`` (its P10 and P90), ``metric_at_low``,
        ``metric_at_high``, ``swing`` (``|at_high - at_low|``; NaN where the metric is
        undefined) and, when computed, ``break_even`` (the field's value at which NPV
        is 0, the others at point values; NaN where NPV keeps its sign).
    """

    scenario: str
    currency: str
    metric: str
    base: float | None
    fields: pd.DataFrame

    @property
    def has_break_even(self) -> bool:
        return "break_even" in self.fields.columns

    def records(self) -> list[dict[str, Any]]:
        """The rows of :attr:`fields` as dicts, largest swing first; None where a number
        is undefined."""
        return [
            {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in self.fields.to_dict("records")
        ]

    def to_json(self) -> dict[str, Any]:
        """The object ``aiopex sensitivity --json`` prints: ``{"metric", "base",
        "fields": [{"field", "low", "high", "metric_at_low", "metric_at_high",
        "swing"[, "break_even"]}]}``, None where a number is undefined."""
        return {"metric": self.metric, "base": self.base, "fields": self.records()}


def sensitivity(scenario: Scenario, metric: str = "npv", break_even: bool = True) -> Sensitivity:
    """The one-at-a-time tornado of ``metric`` (and NPV break-even values) as a value.

    :func:`tornado` computes it; nothing is written.

    Examples
    --------
    >>> import aiopex, pathlib
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> t = aiopex.sensitivity(s, "npv", break_even=False)
    >>> list(t.fields.columns) == list(FIELD_COLUMNS)
    True
    """
    t = tornado(scenario, metric, break_even=break_even)
    cols = [*FIELD_COLUMNS, "break_even"] if break_even and t["fields"] else list(FIELD_COLUMNS)
    frame = pd.DataFrame(t["fields"], columns=cols).astype(
        {c: "float64" for c in cols if c != "field"}
    )
    return Sensitivity(scenario.name, scenario.currency, metric, t["base"], frame)
