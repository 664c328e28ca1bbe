"""What the workbook reads from a :class:`~aiopex.result.Result`, as plain arrays.

The sheets never reach into the Result themselves: :func:`read` gathers, once,
the months, the engine's monthly drivers, every cost line's amounts and the
metrics, and each sheet takes what it needs from the :class:`Source`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.months import first_day, fiscal_year
from aiopex.names import CATEGORIES, DRIVER_SERIES

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.model.costs import LineSpec
    from aiopex.model.pilot import PilotExposure
    from aiopex.result import Result

__all__ = ["Source", "read"]


@dataclass(frozen=True)
class Source:
    """The numbers of one result, shaped for the workbook (point run)."""

    result: Result
    scenario: Any
    currency: str
    months: list[str]
    dates: list[dt.date]
    drivers: dict[str, np.ndarray]  # DRIVER_SERIES, each (H,)
    specs: list[LineSpec]
    amount: dict[str, np.ndarray]  # line name -> (H,)
    quantity: dict[str, np.ndarray]  # line name -> (H,), within the line's months
    categories: list[str]
    category_amount: dict[str, np.ndarray]
    benefit: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    metrics: dict[str, Any]
    pilot: PilotExposure | None
    readiness: dict[str, Any]
    n_draws: int
    seed: int | None
    fiscal_year_start: int

    @property
    def H(self) -> int:  # noqa: N802 - the horizon, H as docs/formulas.md writes it
        return len(self.months)

    @property
    def fiscal_years(self) -> list[int]:
        """Fiscal year of every month."""
        return [fiscal_year(m, self.fiscal_year_start) for m in self.months]

    def uncertainty_rows(self) -> list[tuple[str, dict[str, Any]]]:
        """``(metric, {stat: value})`` of a Monte Carlo run (``None`` where undefined)."""
        u = self.result.uncertainty
        if u is None or self.n_draws <= 1:
            return []
        return [
            (str(k), {str(c): None if np.isnan(v) else float(v) for c, v in row.items()})
            for k, row in u.iterrows()
        ]

    def probabilities(self) -> dict[str, float]:
        """``prob_npv_negative`` and ``prob_no_payback`` of a Monte Carlo run."""
        return dict(self.result.probabilities or {})

    def monthly_percentiles(self) -> dict[str, np.ndarray]:
        """``{"cost p5": (H,), ...}`` of a Monte Carlo run."""
        monthly = self.result.monthly
        if monthly is None or self.n_draws <= 1:
            return {}
        return {c.replace("_", " "): monthly[c].to_numpy(float) for c in monthly.columns}


def read(result: Result) -> Source:
    """Gather what the workbook shows from ``result``."""
    sc = result.scenario
    months = list(result.months)
    H = len(months)
    specs = list(result.line_specs)
    drivers_df = result.drivers
    drivers = {
        name: drivers_df[name].to_numpy(float)
        for name in (*DRIVER_SERIES, "benefit", "cost", "net")
    }
    amount: dict[str, np.ndarray] = {}
    quantity: dict[str, np.ndarray] = {}
    for name, g in result.lines.groupby("line", sort=False):
        g = g.sort_values("m")
        amount[str(name)] = g["amount"].to_numpy(float)
        quantity[str(name)] = g["quantity"].to_numpy(float)
    cats = list((result.metrics.get("cost_by_category") or {}).keys())
    order = {c: i for i, c in enumerate(CATEGORIES)}
    extra = {ln.category for ln in specs} - set(cats)
    cats += sorted(extra, key=lambda c: order.get(c, len(order)))
    category_amount = {
        c: result.categories[c].to_numpy(float) if c in result.categories else np.zeros(H)
        for c in cats
    }
    fys = sc.model.finance.fiscal_year_start  # its default is the schema's
    n_draws = int(result.n_draws)
    return Source(
        result=result,
        scenario=sc,
        currency=str(getattr(sc, "currency", "USD") or "USD"),
        months=months,
        dates=[first_day(m) for m in months],
        drivers={k: drivers[k] for k in DRIVER_SERIES},
        specs=specs,
        amount=amount,
        quantity=quantity,
        categories=cats,
        category_amount=category_amount,
        benefit=drivers["benefit"],
        cost=drivers["cost"],
        net=drivers["net"],
        metrics=dict(result.metrics),
        pilot=result.pilot,
        readiness=result.readiness or {},
        n_draws=n_draws,
        seed=result.seed,
        fiscal_year_start=fys,
    )
