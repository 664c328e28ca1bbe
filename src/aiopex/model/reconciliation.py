"""The invoice reconciliation: the review tied to what the invoices say (docs/review.md,
"The invoice").

For the billing periods whose ``BillingPeriodStart`` falls in the review period, the
invoice total is the sum of their rows' ``BilledCost`` (whatever the cost basis), and
each row goes to exactly one part, tested in this order:

1. service month (``ChargePeriodStart``) before the period: ``prior_periods``
   (late usage and corrections of closed months, also by service month);
2. service month after the period: ``later_periods``;
3. ``CommitmentDiscountStatus`` Unused: ``unused_commitment``;
4. a Tax, Credit, Adjustment or Purchase row no rule names: ``taxes``, ``credits``,
   ``adjustments``, ``purchases``;
5. mapped to a line: ``lines``; otherwise ``unmapped``.

So the parts add up to the invoice total. Beside them, not parts:
``billed_later = (lines' BilledCost for the period's service months, any billing
period) - lines`` (late usage of the period billed in later invoices, when those
exports are given) and ``basis_difference = (lines' actual on the cost basis) -
(their BilledCost)`` over the same rows. Native actuals stay outside.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

#: The parts of the invoice total, in the order a report lists them.
PARTS: tuple[str, ...] = (
    "lines",
    "unmapped",
    "taxes",
    "credits",
    "adjustments",
    "purchases",
    "unused_commitment",
    "prior_periods",
    "later_periods",
)
#: Where a row group of the reader (its ``kind``) goes inside the period.
KIND_PART: dict[str, str] = {
    "line": "lines",
    "unmapped": "unmapped",
    "tax": "taxes",
    "credit": "credits",
    "adjustment": "adjustments",
    "purchase": "purchases",
    "unused": "unused_commitment",
}


def parts_of(detail: pd.DataFrame, months: list[str]) -> pd.Series:
    """The part of each row group of ``detail`` (``month``, ``kind``)."""
    first, last = months[0], months[-1]
    out = detail["kind"].map(KIND_PART).astype(object)
    out[detail["month"] < first] = "prior_periods"
    out[detail["month"] > last] = "later_periods"
    return out


def reconcile(detail: pd.DataFrame, months: list[str]) -> dict[str, Any]:
    """The reconciliation of the invoices of ``months`` (REVIEW's ``reconciliation``).

    Parameters
    ----------
    detail : DataFrame
        ``month, billing_month, kind, line, amount, billed, rows`` per row group
        (:data:`aiopex.inputs.actuals.DETAIL_COLUMNS`): every FOCUS row read.
    months : list of str
        The review period's months.

    Returns
    -------
    dict
        ``invoice_total``, each of :data:`PARTS`, ``billed_later``, ``basis_difference``,
        ``prior_periods_by_month`` (service month -> amount), ``rows`` (part -> rows) and
        ``billing_periods`` (the billing months found in the period). The parts add up to
        ``invoice_total``: it is their sum, each part summed exactly (``math.fsum``).

    Examples
    --------
    >>> d = pd.DataFrame({"month": ["2025-05", "2025-06", "2025-06"],
    ...     "billing_month": ["2025-06"] * 3, "kind": ["line", "line", "purchase"],
    ...     "line": ["a", "a", None], "amount": [15.0, 10.0, 0.0],
    ...     "billed": [15.0, 10.0, 500.0], "rows": [1, 1, 1]})
    >>> r = reconcile(d, ["2025-06"])
    >>> r["invoice_total"], r["lines"], r["purchases"], r["prior_periods"]
    (525.0, 10.0, 500.0, 15.0)
    >>> r["prior_periods_by_month"]
    {'2025-05': 15.0}
    """
    inv = detail[detail["billing_month"].isin(months)]
    part = parts_of(inv, months) if len(inv) else pd.Series([], dtype=object)
    out: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for p in PARTS:
        sel = inv[(part == p).to_numpy()] if len(inv) else inv
        out[p] = math.fsum(float(x) for x in sel["billed"])
        rows[p] = int(sel["rows"].sum())
    out = {"invoice_total": math.fsum(out[p] for p in PARTS), **out}
    period_lines = detail[(detail["kind"] == "line") & detail["month"].isin(months)]
    billed = math.fsum(float(x) for x in period_lines["billed"])
    out["billed_later"] = billed - out["lines"]
    out["basis_difference"] = math.fsum(float(x) for x in period_lines["amount"]) - billed
    prior = inv[(part == "prior_periods").to_numpy()] if len(inv) else inv
    out["prior_periods_by_month"] = {
        str(m): math.fsum(float(x) for x in g["billed"])
        for m, g in prior.groupby("month", sort=True)
    }
    out["rows"] = {"invoice_total": int(inv["rows"].sum()), **rows}
    out["billing_periods"] = sorted(str(m) for m in inv["billing_month"].unique())
    return out


def rows_by_bucket(detail: pd.DataFrame, months: list[str]) -> dict[str, int]:
    """Rows of the period's service months per destination (lines, unmapped, each bucket,
    unused commitment), for data quality.

    >>> d = pd.DataFrame({"month": ["2025-06"] * 2, "kind": ["line", "tax"], "rows": [3, 1]})
    >>> rows_by_bucket(d, ["2025-06"])["taxes"]
    1
    """
    inside = detail[detail["month"].isin(months)]
    by = inside.groupby(inside["kind"].map(KIND_PART))["rows"].sum()
    return {p: int(by.get(p, 0)) for p in PARTS if p not in ("prior_periods", "later_periods")}
