"""The portfolio's result: its draws summed by calendar month, the totals, fiscal years
and members' contributions taken from them, and the folder it is saved in.

Percentiles of any total (a month, a fiscal year, the whole timeline) are taken over
the per-draw sums (numpy's linear percentiles, :mod:`aiopex.model.percentiles`), never
added up; the contribution to P90 is explained in :mod:`aiopex.analyses.portfolio`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.atomic import atomic_dir
from aiopex.errors import AiopexError, Problem
from aiopex.model.percentiles import FAN, percentiles
from aiopex.months import fiscal_year
from aiopex.result import jsonable
from aiopex.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Percentiles reported for every total: P10, P50, P90 (numpy's linear percentiles, through
#: :func:`aiopex.model.percentiles.percentiles`, as every output takes them).
PORTFOLIO_PERCENTILES = FAN
#: Share of draws on each side of the P90 rank averaged for the contribution to P90.
TAIL_HALF_WIDTH = 0.025


@dataclass
class MemberSummary:
    """One member as the portfolio ran it."""

    name: str
    path: str
    inputs_hash: str
    start: str
    horizon: int
    offset: int
    shared: list[str]
    cost_total_point: float


@dataclass
class PortfolioResult:
    """The portfolio's draws, summed by calendar month, and what each member added.

    Attributes
    ----------
    cost, net : ndarray, shape (draws, months)
        Per draw, the sum over members of ``cost(t)`` and ``net(t)`` in calendar month t.
    point_cost, point_net : ndarray, shape (months,)
        The sum of the members' deterministic runs.
    member_totals : ndarray, shape (members, draws)
        Each member's total cost over its horizon, per draw.
    lines : DataFrame
        One row per member, cost line and month of the member: ``member``, ``line``,
        ``category``, ``driver``, ``month``, ``point``, ``p10``, ``p50``, ``p90``.
    created : str
        When the result was made (UTC): the forecast's vintage in every output, kept
        when the result is saved and loaded.
    """

    name: str
    seed: int
    draws: int
    currency: str
    fiscal_year_start: int
    months: list[str]
    shared: list[str]
    budget: dict[int, float]
    inputs_hash: str
    members: list[MemberSummary]
    cost: np.ndarray
    net: np.ndarray
    point_cost: np.ndarray
    point_net: np.ndarray
    member_totals: np.ndarray
    lines: pd.DataFrame
    version: str = __version__
    created: str = field(default_factory=lambda: _now())  # the forecast's vintage, UTC
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # -- totals ---------------------------------------------------------------------------

    def monthly(self) -> dict[str, list[float]]:
        """``point`` and P10/P50/P90 of the portfolio's cost, per calendar month."""
        pct = percentiles(self.cost, PORTFOLIO_PERCENTILES, axis=0)
        out = {"point": self.point_cost.tolist()}
        out.update(
            {f"p{q}": row.tolist() for q, row in zip(PORTFOLIO_PERCENTILES, pct, strict=True)}
        )
        return out

    def total(self) -> dict[str, float]:
        """Cost over the whole timeline: point, mean and percentiles of the per-draw sums."""
        t = self.cost.sum(axis=1)
        out = {"point": float(self.point_cost.sum()), "mean": float(t.mean())}
        out.update(_percentiles(t))
        return out

    def fiscal_year_index(self) -> dict[int, list[int]]:
        """The timeline's month indexes of each fiscal year."""
        out: dict[int, list[int]] = {}
        for i, m in enumerate(self.months):
            out.setdefault(fiscal_year(m, self.fiscal_year_start), []).append(i)
        return out

    def fiscal_years(self) -> list[dict[str, Any]]:
        """Each fiscal year of the timeline: point, percentiles, budget and overrun chance.

        ``prob_over_budget`` = share of draws whose fiscal-year cost exceeds the budget
        (``None`` without a budget). ``months`` counts the year's months in the timeline
        (fewer than 12 at its ends).
        """
        out = []
        for year, idx in self.fiscal_year_index().items():
            t = self.cost[:, idx].sum(axis=1)
            b = self.budget.get(year)
            row: dict[str, Any] = {
                "year": year,
                "months": len(idx),
                "point": float(self.point_cost[idx].sum()),
                "mean": float(t.mean()),
            }
            row.update(_percentiles(t))
            row["budget"] = b
            row["prob_over_budget"] = None if b is None else float(np.mean(t > b))
            out.append(row)
        return out

    def tail_draws(self) -> np.ndarray:
        """The draws near the portfolio's P90 total (see the module's docstring)."""
        n = self.draws
        order = np.argsort(self.cost.sum(axis=1), kind="stable")
        center = int(round(0.9 * (n - 1)))
        half = int(math.floor(TAIL_HALF_WIDTH * n))
        return order[max(0, center - half) : min(n, center + half + 1)]

    def member_rows(self) -> list[dict[str, Any]]:
        """Each member: hash, own total (point and P90) and its contribution to P90."""
        tail = self.tail_draws()
        # every member's P90 from one sort of the (members, draws) totals
        p90 = percentiles(self.member_totals, [90], axis=1)[0] if self.members else []
        rows = []
        for i, m in enumerate(self.members):
            t = self.member_totals[i]
            rows.append(
                {
                    "name": m.name,
                    "inputs_hash": m.inputs_hash,
                    "start": m.start,
                    "months": m.horizon,
                    "cost_total_point": m.cost_total_point,
                    "cost_total_p90": float(p90[i]),
                    "contribution_to_p90": float(t[tail].mean()),
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``aiopex portfolio --json`` object."""
        return jsonable(  # type: ignore[no-any-return]
            {
                "name": self.name,
                "seed": self.seed,
                "draws": self.draws,
                "currency": self.currency,
                "version": self.version,
                "inputs_hash": self.inputs_hash,
                "fiscal_year_start": self.fiscal_year_start,
                "shared": self.shared,
                "months": self.months,
                "cost": self.monthly(),
                "total": self.total(),
                "fiscal_years": self.fiscal_years(),
                "members": self.member_rows(),
            }
        )

    def save(self, path: str | Path) -> Path:
        """Write the result to a folder (whole or not at all); :func:`load_result` reads it.

        ``portfolio.json`` (the JSON object plus the members' paths, offsets and shared
        fields), ``draws.npz`` (``cost``, ``net``, ``point_cost``, ``point_net``,
        ``member_totals``) and ``lines.parquet``.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_dir(path, owner=is_saved_portfolio) as tmp:
            doc = self.to_json()
            doc["format"] = "aiopex.portfolio"
            doc["description"] = self.description
            doc["created"] = self.created
            doc["budget"] = {str(k): v for k, v in self.budget.items()}
            doc["member_details"] = [m.__dict__ for m in self.members]
            (tmp / "portfolio.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
            np.savez(
                tmp / "draws.npz",
                cost=self.cost,
                net=self.net,
                point_cost=self.point_cost,
                point_net=self.point_net,
                member_totals=self.member_totals,
            )
            pq.write_table(
                pa.Table.from_pandas(self.lines, preserve_index=False), tmp / "lines.parquet"
            )
        return Path(path)


def is_saved_portfolio(folder: Path) -> bool:
    """Whether ``folder`` holds a portfolio result saved by :meth:`PortfolioResult.save`."""
    try:
        doc = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == "aiopex.portfolio"


def load_result(path: str | Path) -> PortfolioResult:
    """Read a folder written by :meth:`PortfolioResult.save`."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        doc = json.loads((path / "portfolio.json").read_text(encoding="utf-8"))
        arrays = np.load(path / "draws.npz")
        lines = pq.read_table(path / "lines.parquet").to_pandas()
    except (OSError, ValueError) as e:
        raise AiopexError(Problem(str(path), "", f"not a saved portfolio result: {e}")) from None
    if doc.get("format") != "aiopex.portfolio":
        raise AiopexError(Problem(str(path), "portfolio.json", "not a saved portfolio result"))
    return PortfolioResult(
        name=doc["name"],
        seed=doc["seed"],
        draws=doc["draws"],
        currency=doc["currency"],
        fiscal_year_start=doc["fiscal_year_start"],
        months=doc["months"],
        shared=doc["shared"],
        budget={int(k): float(v) for k, v in doc["budget"].items()},
        inputs_hash=doc["inputs_hash"],
        members=[MemberSummary(**m) for m in doc["member_details"]],
        cost=arrays["cost"],
        net=arrays["net"],
        point_cost=arrays["point_cost"],
        point_net=arrays["point_net"],
        member_totals=arrays["member_totals"],
        lines=lines,
        version=doc["version"],
        description=doc.get("description", ""),
        created=doc.get("created", ""),
    )


def _now() -> str:
    """The time a result is made, UTC, ``YYYY-MM-DDTHH:MM:SSZ`` (its forecast vintage)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _percentiles(x: np.ndarray) -> dict[str, float]:
    pct = percentiles(x, PORTFOLIO_PERCENTILES)
    return {f"p{q}": float(v) for q, v in zip(PORTFOLIO_PERCENTILES, pct, strict=True)}
