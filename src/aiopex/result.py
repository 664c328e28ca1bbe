"""What a run returns: :class:`Result`, and the cost-line specs it carries.

The engine computes on numpy arrays of shape ``(draws, months)``; a Result is
what leaves it. ``metrics``, ``drivers``, ``ledger``, ``pilot`` and ``readiness``
always describe the deterministic run (point values, one draw); ``uncertainty``
summarizes the Monte Carlo draws when ``draws > 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.model.costs import LineSpec
from aiopex.names import LEDGER_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from aiopex.inputs.scenario import Scenario


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


@dataclass
class Result:
    """The outcome of :func:`aiopex.run`.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario that was run.
    draws, seed : int, int or None
        Monte Carlo draws and the seed of the one ``numpy.random.Generator``.
    months : list of str
        ``"YYYY-MM"`` of month ``m = 0 .. H-1``.
    lines : list of LineSpec
        The cost lines, in file order.
    series : dict of str to ndarray
        Deterministic monthly series, each shape ``(H,)``: ``active_users``,
        ``new_users``, ``items``, ``requests``, ``input_tokens``, ``output_tokens``,
        ``accuracy``, ``retrain`` (0/1), ``degraded`` (0/1), ``benefit``, ``cost``,
        ``net``, ``cumulative_net``, plus ``line:<name>`` amount and
        ``qty:<name>`` quantity for every cost line.
    metrics : dict
        The summary metrics of SCENARIO.md, under its names, deterministic run.
        ``irr_annual`` and ``payback_month`` may be ``None``.
    pilot : dict or None
        Pilot exposure metrics and ``bridge`` (list of ``{category, naive,
        production, step}``), when the scenario has a pilot.
    readiness : dict
        The readiness report (see :mod:`aiopex.readiness`).
    uncertainty : dict or None
        When ``draws > 1``: ``{metric: {mean, p5, p10, p50, p90, p95}}`` for every
        numeric metric (``cost_by_category`` nested by category), plus
        ``prob_npv_negative`` and ``monthly``: ``{"cost"|"net": {pXX: list}}``.
    history : dict or None
        For a history-based scenario: the chosen method, the errors of every
        candidate, and ``as_of`` (last month of history).
    """

    scenario: Scenario
    draws: int
    seed: int | None
    months: list[str]
    lines: list[LineSpec]
    series: dict[str, np.ndarray]
    metrics: dict[str, Any]
    pilot: dict[str, Any] | None
    readiness: dict[str, Any]
    uncertainty: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def drivers(self) -> pd.DataFrame:
        """Monthly drivers and totals of the deterministic run, one row per month."""
        import pandas as pd

        cols = [k for k in self.series if ":" not in k]
        df = pd.DataFrame({k: self.series[k] for k in cols})
        df.insert(0, "month", self.months)
        df.index.name = "m"
        return df

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """The tidy ledger of the deterministic run.

        One row per month and cost line: ``scenario, draw, month, category,
        line_item, driver, quantity, rate, amount``. ``quantity`` is the driver's
        quantity within the line's months (0 outside them); ``rate`` is the monthly
        rate per unit in that month, escalation included (``annual rate / 12`` for
        ``fte``), so ``amount = quantity * rate`` on every row. ``draw`` is 0.
        """
        import pandas as pd

        H = len(self.months)
        frames = []
        for ln in self.lines:
            frames.append(
                pd.DataFrame(
                    {
                        "scenario": self.scenario.name,
                        "draw": 0,
                        "month": self.months,
                        "category": ln.category,
                        "line_item": ln.name,
                        "driver": ln.driver,
                        "quantity": self.series[f"qty:{ln.name}"],
                        "rate": self.series[f"rate:{ln.name}"],
                        "amount": self.series[f"line:{ln.name}"],
                    }
                )
            )
        if not frames:
            return pd.DataFrame(columns=list(LEDGER_COLUMNS))
        out = pd.concat(frames, ignore_index=True)
        assert len(out) == H * len(self.lines)
        return out[list(LEDGER_COLUMNS)]

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``aiopex forecast --json`` prints.

        ``uncertainty`` holds ``{metric: {mean, p5, p10, p50, p90, p95}}`` and
        ``prob_npv_negative``; the monthly percentiles of cost and net go apart, under
        ``monthly_percentiles``.
        """
        from aiopex import __version__

        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "inputs_hash": self.scenario.inputs_hash,
            "version": __version__,
            "seed": self.seed,
            "draws": self.draws,
            "metrics": self.metrics,
        }
        if self.pilot is not None:
            out["pilot"] = self.pilot
        out["readiness"] = self.readiness
        if self.uncertainty is not None:
            unc = dict(self.uncertainty)
            monthly = unc.pop("monthly", None)
            out["uncertainty"] = unc
            if monthly is not None:
                out["monthly_percentiles"] = {"months": self.months, **monthly}
        if self.history is not None:
            out["history"] = self.history
        return out
