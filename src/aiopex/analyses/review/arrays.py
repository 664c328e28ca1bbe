"""What the review reads: a baseline's saved result as arrays, and the actuals
of one review, checked against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aiopex.errors import DataError, Problem
from aiopex.inputs.actuals import Actuals
from aiopex.inputs.history import read_history
from aiopex.model import variance as V  # noqa: N812
from aiopex.model.costs import LineSpec
from aiopex.result import Result


@dataclass
class BaselineArrays:
    """What the review reads from a baseline's saved result, as arrays.

    ``amount``, ``quantity``, ``rate``: point run, shape ``(n_lines, H)``;
    ``draws_amount``, ``draws_quantity``: kept draws, shape ``(K, n_lines, H)``;
    ``draws_requests``: the kept draws' requests, shape ``(K, H)`` (None for a baseline
    saved before they were kept).
    """

    months: list[str]
    names: list[str]
    categories: list[str]
    drivers: list[str]
    specs: list[LineSpec]
    amount: np.ndarray
    quantity: np.ndarray
    rate: np.ndarray
    requests: np.ndarray
    active_users: np.ndarray
    accuracy: np.ndarray
    draws_amount: np.ndarray
    draws_quantity: np.ndarray
    currency: str
    acceptable: float | None
    fiscal_year_start: int
    seed: int | None = None
    history: pd.DataFrame | None = None
    method: str = "auto"
    tokens_per_item: tuple[float, float] = (0.0, 0.0)
    draws_requests: np.ndarray | None = None
    inputs_hash: str = ""
    history_path: str | None = None

    @property
    def reforecast_seed(self) -> int:
        """The seed of the re-forecast's draws: the baseline's, else one derived from its
        inputs hash, so that the same review gives the same re-forecast."""
        if self.seed is not None:
            return int(self.seed)
        return int(hashlib.sha256(self.inputs_hash.encode()).hexdigest()[:15], 16)

    @classmethod
    def from_result(cls, r: Result) -> BaselineArrays:
        """From a result with its draws (a saved baseline's)."""
        specs = list(r.line_specs)
        names = [s.name for s in specs]
        H = len(r.months)
        lines = r.lines

        def grid(col: str) -> np.ndarray:
            g = lines.pivot(index="line", columns="m", values=col).reindex(
                index=names, columns=range(H)
            )
            out: np.ndarray = g.to_numpy(dtype=float)
            return out

        d = r.draws
        if d is None:
            raise DataError(Problem("<baseline>", "", "the baseline has no Monte Carlo draws"))
        order = [list(d.line_names).index(n) for n in names]
        m = r.scenario.model
        hist = r.scenario.history_frame
        # a baseline's own copy of its usage history (the file named may have changed)
        hpath = r.scenario.history_copy or m.usage.history
        if hist is None and hpath:  # a saved baseline keeps the path, not the frame
            try:
                hist = read_history(Path(hpath), r.scenario.start, "naive")
            except DataError:
                hist = None  # the file moved or changed: the actuals alone then
        return cls(
            months=list(r.months),
            names=names,
            categories=[s.category for s in specs],
            drivers=[s.driver for s in specs],
            specs=specs,
            amount=grid("amount"),
            quantity=grid("quantity"),
            rate=grid("rate"),
            requests=r.drivers["requests"].to_numpy(dtype=float),
            active_users=r.drivers["active_users"].to_numpy(dtype=float),
            accuracy=r.drivers["accuracy"].to_numpy(dtype=float),
            draws_amount=np.asarray(d.amount)[:, order, :],
            draws_quantity=np.asarray(d.quantity)[:, order, :],
            currency=r.scenario.currency,
            # an acceptable accuracy of 0 (the schema's default) is no threshold
            acceptable=float(m.quality.acceptable) if m.quality.acceptable else None,
            fiscal_year_start=m.finance.fiscal_year_start,
            seed=r.seed,
            history=hist,
            method=m.usage.method,
            inputs_hash=r.scenario.inputs_hash,
            history_path=str(hpath) if hpath and hist is not None else None,
            draws_requests=None if d.requests is None else np.asarray(d.requests, float),
        )


@dataclass
class Inputs:
    """The actuals of one review, already read and checked."""

    actuals: Actuals
    usage: pd.DataFrame | None = None
    cost_basis: str = "effective"
    materiality: tuple[float, float] = V.MATERIALITY
    reprice: bool = False
    files: list[str] = field(default_factory=list)


def check_inputs(b: BaselineArrays, months: list[str], inp: Inputs, label: str) -> list[Problem]:
    """Problems with a period against a baseline and its actuals (not raised)."""
    problems = []
    outside = [m for m in months if m not in b.months]
    if outside:
        problems.append(
            Problem(
                label,
                "--period",
                f"months {', '.join(outside)} are outside the baseline's horizon "
                f"{b.months[0]}..{b.months[-1]}",
            )
        )
    seen = inp.actuals.months()
    missing = [m for m in months if m not in seen]
    if missing:
        problems.append(
            Problem(
                ", ".join(inp.actuals.files) or "--actuals",
                "",
                f"the actuals do not cover the period: no rows for {', '.join(missing)}",
            )
        )
    if inp.usage is not None:
        gone = [m for m in months if m not in inp.usage.index]
        if gone:
            problems.append(Problem("--usage", "", f"no usage actuals for {', '.join(gone)}"))
    return problems
