"""What a run returns: :class:`Result`, pandas frames with plain column names.

The engine computes on numpy arrays of shape ``(draws, months)``; a Result is
what leaves it. ``metrics``, ``drivers``, ``lines``, ``categories``, ``ledger``,
``pilot`` and ``readiness`` always describe the deterministic run (point values,
one draw); ``uncertainty``, ``probabilities``, ``monthly`` and ``draws`` describe
the Monte Carlo draws when ``n_draws > 1`` (else they are ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.metrics import WHOLE_MONTH_METRICS, Metrics
from aiopex.model.costs import LineSpec
from aiopex.model.percentiles import percentiles
from aiopex.model.pilot import PilotExposure
from aiopex.names import LEDGER_COLUMNS, PERCENTILES
from aiopex.result.saved import save

if TYPE_CHECKING:  # pragma: no cover
    import os
    from pathlib import Path

    import pandas as pd

    from aiopex.inputs.scenario import Scenario

#: Columns of :attr:`Result.uncertainty`, in order.
STAT_COLUMNS: tuple[str, ...] = ("mean", *(f"p{q}" for q in PERCENTILES), "defined_share")


def jsonable(x: Any) -> Any:
    """Plain JSON data: numpy scalars as Python numbers, NaN and infinities as ``None``.

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": [float("nan"), np.int64(2)]})
    {'a': 1.5, 'b': [None, 2]}
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def summarize(name: str, x: np.ndarray) -> dict[str, float | None]:
    """Mean, percentiles and ``defined_share`` of one metric over all draws.

    ``x`` holds one value per draw, NaN where the metric is undefined in that draw.
    No draw is dropped silently:

    - ``defined_share`` = share of draws where the metric is defined;
    - ``mean`` is over the draws where it is defined (``None`` if none is);
    - ``payback_month``: "not within the horizon" (NaN) counts as later than every
      month, so percentiles are over all draws and one that falls there is ``None``
      ("beyond the horizon"); other metrics take percentiles over defined draws;
    - whole-month metrics (:data:`~aiopex.metrics.WHOLE_MONTH_METRICS`) take
      percentiles without interpolation (numpy ``method="lower"``), others the
      linear default.

    Examples
    --------
    >>> s = summarize("payback_month", np.array([3.0, 5.0, np.nan, np.nan]))
    >>> s["p10"], s["p50"], s["p90"], s["defined_share"]
    (3.0, 5.0, None, 0.5)
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    share = float(ok.mean()) if x.size else 0.0
    method = "lower" if name in WHOLE_MONTH_METRICS else "linear"
    if name == "payback_month":
        pool = np.where(ok, x, np.inf)
    else:
        pool = x[ok]
    out: dict[str, float | None] = {"mean": float(x[ok].mean()) if ok.any() else None}
    if pool.size:
        pct = percentiles(pool, PERCENTILES, method=method)
        out.update({f"p{q}": _finite(v) for q, v in zip(PERCENTILES, pct, strict=True)})
    else:
        out.update({f"p{q}": None for q in PERCENTILES})
    out["defined_share"] = share
    return out


def summarize_rows(names: list[str], x: np.ndarray) -> np.ndarray:
    """:func:`summarize` of every row of ``x`` (one metric's draws a row), as floats.

    Returns an array ``(rows, len(STAT_COLUMNS))`` in :data:`STAT_COLUMNS` order, NaN
    where :func:`summarize` gives ``None``: the values of ``Result.uncertainty``.
    """
    out = np.full((len(names), len(STAT_COLUMNS)), np.nan)
    for i, (name, row) in enumerate(zip(names, x, strict=True)):
        stats = summarize(name, row)
        out[i] = [np.nan if stats[c] is None else stats[c] for c in STAT_COLUMNS]
    return out


def _finite(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class Draws:
    """What a Monte Carlo run keeps of its draws.

    Attributes
    ----------
    metrics : DataFrame
        One row per draw (all draws, index ``draw``), one column per metric
        (``cost_by_category.<c>`` flattened with a dot); NaN where undefined.
    kept : ndarray of int
        Sorted indexes of the draws whose lines are kept: all draws up to
        ``keep_draws``, else a seeded subset chosen before the draws are run.
    line_names : list of str
        The cost lines, in file order (axis 1 of ``amount`` and ``quantity``).
    amount, quantity : ndarray, shape ``(len(kept), n_lines, H)``
        Each kept draw's amount and quantity per line and month (quantity within
        the line's months, so ``amount = quantity * rate``).
    requests : ndarray, shape ``(len(kept), H)``, or None
        Each kept draw's requests per month (the review's band for usage); None in a
        result saved before they were kept.
    """

    metrics: pd.DataFrame
    kept: np.ndarray
    line_names: list[str]
    amount: np.ndarray
    quantity: np.ndarray
    requests: np.ndarray | None = None

    def total(self, lines: list[str] | str | None = None, months: Any = None) -> np.ndarray:
        """Per kept draw, the total amount of ``lines`` over ``months``.

        Parameters
        ----------
        lines : list of str, str or None
            Line names (``None``: all lines).
        months : sequence of int, slice or None
            Month indexes ``m`` (``None``: the whole horizon).

        Returns
        -------
        ndarray, shape ``(len(kept),)``
            Sums per draw: take percentiles of these, never sum percentiles.
        """
        a = self.amount
        if lines is not None:
            names = [lines] if isinstance(lines, str) else list(lines)
            unknown = [n for n in names if n not in self.line_names]
            if unknown:
                raise KeyError(f"no cost line {unknown[0]!r}")
            a = a[:, [self.line_names.index(n) for n in names], :]
        if months is not None:
            a = a[:, :, months] if isinstance(months, slice) else a[:, :, np.asarray(months)]
        return a.sum(axis=(1, 2))


@dataclass
class Frames:
    """The deterministic run's monthly tables: :attr:`Result.drivers`,
    :attr:`Result.lines`, :attr:`Result.categories` and :attr:`Result.commitment_months`
    (described there)."""

    drivers: pd.DataFrame
    lines: pd.DataFrame
    categories: pd.DataFrame
    commitment_months: pd.DataFrame | None = None


@dataclass
class Result:
    """The outcome of :func:`aiopex.run`.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario that was run.
    n_draws, seed : int, int or None
        Monte Carlo draws (1 = deterministic) and the seed of the run.
    months : list of str
        ``"YYYY-MM"`` of month ``m = 0 .. H-1``.
    line_specs : list of LineSpec
        The cost lines at point values, in file order.
    frames : Frames or callable
        The tables below, or what builds them (called once, on first use of one): a run
        builds no frame, nor imports pandas, until one is read.
    drivers : DataFrame
        Index ``m``; columns ``month``, ``active_users``, ``new_users``, ``items``,
        ``requests``, ``input_tokens``, ``output_tokens``, ``accuracy``, ``retrain``
        (0/1), ``degraded`` (0/1), ``benefit``, ``cost``, ``net``,
        ``cumulative_net``.
    lines : DataFrame
        One row per line and month (file order, then ``m``): ``line, category,
        driver, m, month, quantity, rate, amount``; quantity within the line's
        months, ``rate`` monthly with escalation, ``amount = quantity * rate``.
    categories : DataFrame
        Index ``m``; one column per category present: its monthly cost.
    metrics : dict
        The summary metrics of docs/formulas.md#finance, under its names; ``None`` where
        undefined.
    pilot : dict or None
        Pilot exposure metrics and ``bridge``, when the scenario has a pilot.
    readiness : dict
        The readiness report (see :mod:`aiopex.model.readiness`).
    history : dict or None
        For a history-based scenario: method, errors of every candidate, ``as_of``.
    uncertainty : DataFrame or None
        Index ``metric`` (``cost_by_category.<c>`` flattened); columns ``mean``,
        ``p5`` .. ``p95``, ``defined_share`` (see :func:`summarize`).
    probabilities : dict or None
        ``prob_npv_negative`` and ``prob_no_payback``, shares of all draws.
    monthly : DataFrame or None
        Index ``m``; ``cost_p5`` .. ``cost_p95`` and ``net_p5`` .. ``net_p95``
        over all draws.
    draws : Draws or None
        Per-draw metrics of all draws, lines of the kept draws.
    commitments : list of dict
        One entry per commitment of the scenario (deterministic run): ``name``,
        ``covers``, ``amount_per_month``, ``discount``, ``from_month``, ``to_month``,
        ``months`` (of the term within the horizon), ``unused_commitment``,
        ``commitment_savings``, ``commitment_utilization``; the totals are in
        ``metrics`` (docs/formulas.md#commitments).
    commitment_months : DataFrame or None
        With commitments, one row per commitment and month (deterministic run):
        ``commitment, m, month, in_term, spend`` (``S(m)``, the covered lines'
        on-demand spend), ``covered, overage, unused_commitment, commitment_savings``.
    """

    scenario: Scenario
    n_draws: int
    seed: int | None
    months: list[str]
    line_specs: list[LineSpec]
    frames: Frames | Callable[[], Frames] = field(repr=False, compare=False)
    metrics: Metrics
    pilot: PilotExposure | None
    readiness: dict[str, Any]
    history: dict[str, Any] | None = None
    uncertainty: pd.DataFrame | None = None
    probabilities: dict[str, float] | None = None
    monthly: pd.DataFrame | None = None
    draws: Draws | None = None
    commitments: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def _frames(self) -> Frames:
        return self.frames if isinstance(self.frames, Frames) else self.frames()

    # Each table is a cached property, so it may also be replaced by assignment (as the
    # review's re-forecast does on a copy).
    @cached_property
    def drivers(self) -> pd.DataFrame:
        return self._frames.drivers

    @cached_property
    def lines(self) -> pd.DataFrame:
        return self._frames.lines

    @cached_property
    def categories(self) -> pd.DataFrame:
        return self._frames.categories

    @cached_property
    def commitment_months(self) -> pd.DataFrame | None:
        return self._frames.commitment_months

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """The tidy ledger of the deterministic run: one row per line and month
        (docs/workbook.md#the-ledger).

        One row per month and cost line: ``scenario, draw, month, category,
        line_item, driver, quantity, rate, amount``; ``draw`` is 0. Same numbers
        as :attr:`lines`.
        """
        df = self.lines.rename(columns={"line": "line_item"})
        df.insert(0, "scenario", self.scenario.name)
        df.insert(1, "draw", 0)
        return df[list(LEDGER_COLUMNS)].reset_index(drop=True)

    def line(self, name: str, column: str = "amount") -> np.ndarray:
        """One line's ``quantity``, ``rate`` or ``amount`` per month, shape ``(H,)``."""
        rows = self.lines[self.lines["line"] == name]
        if rows.empty:
            raise KeyError(f"no cost line {name!r}")
        return rows[column].to_numpy()

    def uncertainty_json(self) -> dict[str, Any] | None:
        """``{metric: {mean, p5, .., p95, defined_share}}`` (``cost_by_category``
        nested by category), plus ``prob_npv_negative`` and ``prob_no_payback``."""
        if self.uncertainty is None:
            return None
        out: dict[str, Any] = {}
        for name, row in self.uncertainty.iterrows():
            stats = {k: _finite(row[k]) for k in STAT_COLUMNS}
            base, _, cat = str(name).partition(".")
            if cat:
                out.setdefault(base, {})[cat] = stats
            else:
                out[base] = stats
        out.update(self.probabilities or {})
        return out

    def monthly_json(self) -> dict[str, Any] | None:
        """``{"months": [...], "cost"|"net": {"p5": [...], ...}}``, or ``None``."""
        if self.monthly is None:
            return None
        out: dict[str, Any] = {"months": self.months}
        for which in ("cost", "net"):
            out[which] = {f"p{q}": self.monthly[f"{which}_p{q}"].tolist() for q in PERCENTILES}
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``aiopex forecast --json`` prints.

        ``uncertainty`` holds ``{metric: {mean, p5, .., p95, defined_share}}``,
        ``prob_npv_negative`` and ``prob_no_payback``; the monthly percentiles of cost
        and net go apart, under ``monthly_percentiles``.
        """
        from aiopex.version import __version__

        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "inputs_hash": self.scenario.inputs_hash,
            "version": __version__,
            "seed": self.seed,
            "draws": self.n_draws,
            "metrics": self.metrics,
        }
        if self.commitments:
            out["commitments"] = self.commitments
        if self.pilot is not None:
            out["pilot"] = self.pilot
        out["readiness"] = self.readiness
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty_json()
            out["monthly_percentiles"] = self.monthly_json()
        if self.history is not None:
            out["history"] = self.history
        return out

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this result to the folder ``path``: ``manifest.json`` and Parquet tables.

        See :mod:`aiopex.result.saved`; :func:`aiopex.load_result` reads it back.
        """
        return save(self, path)
