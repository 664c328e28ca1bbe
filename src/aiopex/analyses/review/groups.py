"""Commitments in the review: a commitment of the baseline and the lines it covers,
judged as one group named after the commitment (docs/review.md, "Commitments").

Over the period's months, for a commitment whose term falls (at least partly) in the
period:

=================  ==================================================================
``baseline`` B     the group's baseline: ``C`` in each month of the term, plus the
                   covered lines' baseline amounts (their overage in the term, their
                   on-demand amount outside it)
``actual`` A       the covered lines' actuals plus the commitment's unused actuals
                   (FOCUS rows with ``CommitmentDiscountStatus`` Unused that the
                   mapping's ``commitments`` puts in it, or native rows naming it)
``volume``         sum over the covered lines of ``(Qa - Qb) * pb``, ``pb`` the line's
                   on-demand baseline rate (its on-demand amount over ``Qb``); a line
                   without ``Qa``, ``Qb`` or ``pb`` adds nothing (its move stays in
                   ``unexplained``)
``unused``         the actual unused commitment less the baseline's
                   (``sum_m C - (1 - d) * min(S(m), C / (1 - d))`` over the term's
                   months in the period)
``unexplained``    ``variance - volume - unused``
=================  ==================================================================

``price`` is 0 (a covered line's amortized actuals do not show a price to compare). The
band, materiality and ``investigate`` are judged as for a line, on the baseline's draws of
the group's total (the commitment's own line plus the covered lines, summed per draw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aiopex.analyses.review.arrays import BaselineArrays
from aiopex.inputs.actuals import Actuals
from aiopex.model import commitments as _commit
from aiopex.model import costs as _costs
from aiopex.model import variance as V  # noqa: N812
from aiopex.names import COMMITMENT_DRIVER

#: ``lines[].group`` of a commitment's group row.
GROUP = "commitment"


@dataclass(frozen=True)
class Group:
    """A commitment of the baseline whose term falls in the review period."""

    name: str
    category: str
    index: int  # the commitment's own ledger line
    covers: tuple[int, ...]  # the covered lines' indexes
    amount_per_month: float
    discount: float
    window: np.ndarray  # (H,): 1 in the term's months

    @property
    def members(self) -> list[int]:
        """The ledger lines of the group: the commitment's own, then the covered ones."""
        return [self.index, *self.covers]


def groups_of(b: BaselineArrays, idx: list[int]) -> list[Group]:
    """The baseline's commitments whose term has a month among ``idx``."""
    out = []
    H = len(b.months)
    for i, spec in enumerate(b.specs):
        if spec.driver != COMMITMENT_DRIVER:
            continue
        w = _commit.term_window(spec.from_month, _commit.months_in_horizon(spec), H)
        if not w[idx].any():
            continue
        out.append(
            Group(
                name=spec.name,
                category=b.categories[i],
                index=i,
                covers=tuple(b.names.index(c) for c in spec.covers),
                amount_per_month=float(spec.rate),
                discount=float(spec.discount or 0.0),
                window=w,
            )
        )
    return out


def on_demand(b: BaselineArrays, i: int) -> np.ndarray:
    """The baseline's on-demand amount of line ``i`` per month (before any commitment):
    point quantity times the line's own rate, escalated, in its months; shape ``(H,)``."""
    spec = b.specs[i]
    H = len(b.months)
    rate = _costs.monthly_rate(spec, np.asarray(spec.rate), np.asarray(spec.escalation_per_year), H)
    out: np.ndarray = b.quantity[i] * rate * _costs.window(spec, H)
    return out


def baseline_unused(b: BaselineArrays, g: Group, idx: list[int]) -> float:
    """The baseline's unused commitment over the period's months."""
    S = sum(on_demand(b, i) for i in g.covers)
    sp = _commit.split(np.asarray(S)[None, :], g.amount_per_month, g.discount, g.window)
    return float(sp.unused[0, idx].sum())


def actual_unused(a: Actuals, name: str, months: list[str]) -> tuple[float, int]:
    """The commitment's unused actuals over ``months`` and their rows: FOCUS Unused rows
    the mapping puts in it, plus native rows naming the commitment as their line."""
    un = a.unused
    un = un[(un["group"] == name) & un["month"].isin(months)] if "group" in un else un.iloc[:0]
    own = a.lines[(a.lines["line"] == name) & a.lines["month"].isin(months)]
    amount = float(un["amount"].sum()) + float(own["amount"].sum())
    return amount, int(un["rows"].sum()) + int(own["rows"].sum())


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x != 0


def group_row(
    b: BaselineArrays,
    g: Group,
    idx: list[int],
    months: list[str],
    a: Actuals,
    by_line: pd.DataFrame,
    materiality: tuple[float, float],
) -> dict[str, Any]:
    """The group's variance row: a line's fields (``price``, ``driver`` and ``intensity``
    aside), plus ``group``, ``unused`` (the split's part), ``unused_baseline``,
    ``unused_actual`` and ``covers`` (per covered line: its baseline and actual amount,
    quantities, on-demand rate and volume)."""
    B = float(b.amount[g.members][:, idx].sum())
    covers = []
    volume = 0.0
    A_lines = 0.0
    has = False
    for i in g.covers:
        name = b.names[i]
        Qb = float(b.quantity[i, idx].sum())
        S = float(on_demand(b, i)[idx].sum())
        pb = S / Qb if _ok(Qb) else None
        A_i: float | None = None
        Qa: float | None = None
        if name in by_line.index:
            has = True
            A_i = float(by_line.at[name, "amount"])  # type: ignore[arg-type]
            q = float(by_line.at[name, "quantity"])  # type: ignore[arg-type]
            Qa = None if math.isnan(q) else q
            A_lines += A_i
        vol = (Qa - Qb) * pb if Qa is not None and _ok(Qa) and pb is not None else None
        if vol is not None and not math.isfinite(vol):
            vol = None
        volume += vol or 0.0
        covers.append(
            {
                "line": name,
                "baseline": float(b.amount[i, idx].sum()),
                "actual": A_i,
                "baseline_quantity": Qb,
                "actual_quantity": Qa,
                "on_demand_rate": pb,
                "on_demand_baseline": S,
                "volume": vol,
            }
        )
    ua, urows = actual_unused(a, g.name, months)
    ub = baseline_unused(b, g, idx)
    has = has or urows > 0
    status = "ok" if has else "no_actuals"
    A = A_lines + ua if has else 0.0
    variance = A - B
    unused = ua - ub if has else 0.0
    if not has:
        volume = 0.0
    row: dict[str, Any] = {
        "baseline": B,
        "actual": A,
        "variance": variance,
        "volume": volume,
        "price": 0.0,
        "driver": None,
        "intensity": None,
        "unexplained": variance - volume - unused,
        "unused": unused,
    }
    draws = b.draws_amount[:, g.members][:, :, idx].sum(axis=(1, 2))
    row = V.judge(row, draws, status, materiality)
    return {
        "line": g.name,
        "category": g.category,
        **row,
        "group": GROUP,
        "amount_per_month": g.amount_per_month,
        "discount": g.discount,
        "term_months_in_period": int(g.window[idx].sum()),
        "unused_baseline": ub,
        "unused_actual": ua if has else None,
        "covers": covers,
        "_Qb": None,
        "_Qa": None,
        "_members": [b.names[i] for i in g.members],
    }


def with_unused(a: Actuals, names: list[str]) -> pd.DataFrame:
    """The actuals per line and month (``line, month, amount``), with the unused
    actuals of the groups ``names`` as their commitment's own line: inside the outlook a
    group counts what was spent on it, its unused part included."""
    lines = a.lines[["line", "month", "amount"]]
    un = a.unused
    if not names or "group" not in un:
        return lines
    mine = un[un["group"].isin(names)][["group", "month", "amount"]]
    return pd.concat([lines, mine.rename(columns={"group": "line"})], ignore_index=True)


def charges_beside(
    charges: dict[str, Any], a: Actuals, months: list[str], names: list[str]
) -> None:
    """Keep in ``charges["unused_commitment"]`` (beside the outlook) only the unused
    commitment in no group; the groups' is listed as ``in_groups`` (inside the outlook)."""
    un = a.unused[a.unused["month"].isin(months)]
    mine = un["group"].isin(names) if "group" in un else pd.Series(False, index=un.index)
    rest = un[~mine]
    charges["unused_commitment"] = {
        "amount": float(rest["amount"].sum()),
        "rows": int(rest["rows"].sum()),
        "by_commitment": {
            str(k): float(v) for k, v in rest.groupby("commitment")["amount"].sum().items()
        },
        "in_groups": {
            str(k): float(v) for k, v in un[mine].groupby("group")["amount"].sum().items()
        },
    }
