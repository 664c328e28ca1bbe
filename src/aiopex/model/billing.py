"""What the review reports beside the lines from the billing data (docs/review.md):
buckets, corrections, the invoice reconciliation and data quality, for one period.

:func:`billing_sections` takes the actuals as read (:class:`aiopex.inputs.actuals.Actuals`),
the period's months and the baseline's horizon, and returns plain data for
``review.json``: ``charges`` (taxes, credits, adjustments, purchases and unused
commitment, never inside the outlook), ``corrections`` (each correction whose service
month or billing period falls in the period, with both months), ``reconciliation``
(:func:`aiopex.model.reconciliation.reconcile`) and ``data_quality``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from aiopex.model.reconciliation import reconcile, rows_by_bucket

#: ``charges`` keys and the reader's bucket names.
CHARGES: dict[str, str] = {
    "tax": "Tax",
    "credit": "Credit",
    "adjustment": "Adjustment",
    "purchase": "Purchase",
}


def _sum(df: pd.DataFrame) -> dict[str, Any]:
    return {"amount": float(df["amount"].sum()), "rows": int(df["rows"].sum())}


def billing_sections(a: Any, months: list[str], horizon: list[str]) -> dict[str, Any]:
    """``charges``, ``corrections``, ``reconciliation`` and ``data_quality`` of a period.

    ``data_quality`` holds ``focus_version`` (the highest FOCUS version whose mandatory
    columns every file has; None without FOCUS files or when a file lacks some),
    ``units`` (line -> the ``PricingUnit`` values of its rows), ``conversions`` (how each
    was brought to the line's unit), ``superseded_exports``, ``null_cost`` (rows whose
    cost is NULL, counted as 0), ``rows`` (rows of the period per destination),
    ``outside_horizon`` (actuals dated outside the baseline's months: counted in no line)
    and ``notes``. ``missing_actuals`` is added by the review.
    """
    bk = a.buckets[a.buckets["month"].isin(months)]
    charges: dict[str, Any] = {k: _sum(bk[bk["bucket"] == b]) for k, b in CHARGES.items()}
    un = a.unused[a.unused["month"].isin(months)]
    charges["unused_commitment"] = {
        **_sum(un),
        "by_commitment": {
            str(k): float(v) for k, v in un.groupby("commitment")["amount"].sum().items()
        },
    }
    co = a.corrections
    bm = co["billing_month"] if "billing_month" in co else pd.Series(None, index=co.index)
    co = co[co["month"].isin(months) | bm.isin(months)]
    items = [
        {
            "line": None if pd.isna(r["line"]) else str(r["line"]),
            "service_month": str(r["month"]),
            "billing_month": None if pd.isna(r.get("billing_month")) else str(r["billing_month"]),
            "amount": float(r["amount"]),
            "rows": int(r["rows"]),
        }
        for _, r in co.iterrows()
    ]
    in_service = co[co["month"].isin(months)]
    corrections = {
        **_sum(co),
        "in_period_service_months": _sum(in_service),
        "by_line": {
            str(k): float(v)
            for k, v in in_service.groupby(in_service["line"].fillna("(unmapped)"))["amount"]
            .sum()
            .items()
        },
        "items": items,
    }
    q = dict(a.quality)
    units: dict[str, list[str]] = {}
    u = a.units[a.units["month"].isin(months)]
    for line, g in u.groupby("line", sort=True):
        units[str(line)] = sorted(str(x) for x in g["unit"].unique())
    lines = a.lines
    outside = {
        str(m): _sum(lines[lines["month"] == m]) for m in sorted(set(lines["month"]) - set(horizon))
    }
    other = pd.concat(
        [a.unmapped[["month", "amount", "rows"]], a.buckets[["month", "amount", "rows"]]]
    )
    elsewhere = other[~other["month"].isin(horizon)]
    notes = list(q.get("notes", []))
    if outside:
        total = sum(x["amount"] for x in outside.values())
        notes.append(
            f"actuals of {len(outside)} month(s) outside the baseline's months "
            f"{horizon[0]}..{horizon[-1]} ({', '.join(outside)}; {total:,.2f}) are counted "
            "in no line"
        )
    if a.detail.empty:
        notes.append("no FOCUS exports: nothing to reconcile with an invoice")
    return {
        "charges": charges,
        "corrections": corrections,
        "reconciliation": reconcile(a.detail, months),
        "data_quality": {
            "focus_version": q.get("focus_version"),
            "units": units,
            "conversions": q.get("conversions", []),
            "superseded_exports": q.get("superseded_exports", []),
            "null_cost": q.get("null_cost", {"column": None, "rows": 0}),
            "rows": rows_by_bucket(a.detail, months),
            "outside_horizon": {
                "lines": outside,
                "other": _sum(elsewhere),
            },
            "notes": notes,
        },
    }
