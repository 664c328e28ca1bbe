"""The quarterly cost review of one baseline: actuals against the baseline, the
variance split, the bands and the re-forecast, as one dict.

:func:`compute_review` is the arithmetic of docs/review.md on a loaded baseline and
actuals; :func:`aiopex.batch.review_run.run_review` reads and checks the inputs and
writes the files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from aiopex.analyses.review import groups as G  # noqa: N812
from aiopex.analyses.review.arrays import BaselineArrays, Inputs
from aiopex.analyses.review.reforecast import (
    reforecast,
    request_draws,
)
from aiopex.inputs.actuals import Actuals
from aiopex.model import variance as V  # noqa: N812
from aiopex.model.billing import billing_sections
from aiopex.model.percentiles import BAND, FAN, band_bounds, percentiles
from aiopex.months import fiscal_year, fiscal_year_months
from aiopex.names import CATEGORIES
from aiopex.result import jsonable


def _usage_json(
    b: BaselineArrays,
    usage: pd.DataFrame | None,
    months: list[str],
    idx: list[int],
    Ra: float | None,
    Rb: float | None,
) -> dict[str, Any] | None:
    """Requests against the baseline (with their band), active users and accuracy."""
    usage_json: dict[str, Any] | None = None
    if usage is not None:
        assert Ra is not None and Rb is not None
        usage_json = {"baseline": Rb, "actual": Ra, "variance": Ra - Rb}
        req_draws, source = request_draws(b, idx)
        if req_draws is not None:
            pct, band, lo, hi = V.percentile_and_band(req_draws, Ra)
            usage_json.update(percentile=pct, band=band, p10=lo, p90=hi)
        else:
            usage_json.update(percentile=None, band=None, p10=None, p90=None)
        usage_json["band_from"] = source
        if "active_users" in usage and usage.loc[months, "active_users"].notna().all():
            ua = float(usage.loc[months, "active_users"].sum())
            ub = float(b.active_users[idx].sum())
            usage_json["active_users"] = {"baseline": ub, "actual": ua, "variance": ua - ub}
        if "accuracy" in usage:
            acc = []
            below = []
            for m, k in zip(months, idx, strict=True):
                x = float(usage.at[m, "accuracy"])  # type: ignore[arg-type]
                if math.isnan(x):
                    continue
                acc.append({"month": m, "actual": float(x), "forecast": float(b.accuracy[k])})
                if b.acceptable is not None and x < b.acceptable:
                    below.append(m)
            usage_json["accuracy"] = {
                "acceptable": b.acceptable,
                "months": acc,
                "below_acceptable": below,
            }

    return usage_json


def _unmapped(a: Actuals, months: list[str]) -> dict[str, Any]:
    """Spend on no line in the period, by service (largest first)."""
    um = a.unmapped[a.unmapped["month"].isin(months)]
    by_service = um.groupby("service")[["amount", "rows"]].sum()
    unmapped = {
        "amount": float(um["amount"].sum()),
        "rows": int(um["rows"].sum()),
        "by_service": {
            str(s): {"amount": float(r["amount"]), "rows": int(r["rows"])}
            for s, r in by_service.sort_values("amount", ascending=False).iterrows()
        },
    }
    return unmapped


def _monthly_detail(
    b: BaselineArrays,
    months: list[str],
    fy_months: list[str],
    rf: dict[str, Any],
    act: pd.Series,
    known_month: Callable[[str, int | None], tuple[float, float]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per line and month, and per month in total: baseline, actual, the band (P10, P50,
    P90 of the baseline's draws) and the re-forecast with its P10 and P90, for the
    notebook and the workbook."""
    t_end = rf["t_end"]
    shown = [k for k, m in enumerate(b.months) if m in fy_months or m in months]
    # per line and month, over the draws (axis 0): shape (len(FAN), lines, len(shown))
    p10, p50, p90 = percentiles(b.draws_amount[:, :, shown], FAN)
    r10, r90 = percentiles(rf["draws"][:, :, shown], BAND)
    monthly = []
    for i, name in enumerate(b.names):
        for j, k in enumerate(shown):
            m = b.months[k]
            monthly.append(
                {
                    "line": name,
                    "category": b.categories[i],
                    "month": m,
                    "baseline": float(b.amount[i, k]),
                    "actual": float(act.loc[(name, m)]) if (name, m) in act.index else None,
                    "p10": float(p10[i, j]),
                    "p50": float(p50[i, j]),
                    "p90": float(p90[i, j]),
                    "reforecast": float(rf["amount"][i, k]),
                    "reforecast_p10": float(r10[i, j]),
                    "reforecast_p90": float(r90[i, j]),
                    "after_period": k > t_end,
                }
            )
    # the total per month, with percentiles of per-draw totals (never sums of percentiles).
    # Up to the period's end, ``actual`` is what the lines with actuals in the period
    # reported (0 in a month without one, as in the period's total and the outlook) and
    # ``baseline_no_actuals`` the baseline of the lines without actuals in the period,
    # which the outlook adds back (a line nobody billed is not free); after it, ``actual``
    # is whatever was reported.
    monthly_total = []
    reported = set(act.index.get_level_values(1))
    # per-draw totals of each month, then their percentiles: shape (len(FAN), len(shown))
    d = np.stack([b.draws_amount[:, :, k].sum(axis=1) for k in shown], axis=1)
    rd = np.stack([rf["draws"][:, :, k].sum(axis=1) for k in shown], axis=1)
    t10, t50, t90 = percentiles(d, FAN)
    u10, u90 = percentiles(rd, BAND)
    for j, k in enumerate(shown):
        m = b.months[k]
        if m <= months[-1]:
            billed_m, unbilled_m = known_month(m, k)
            actual_m: float | None = billed_m
            gap_m: float | None = unbilled_m
        else:
            actual_m = (
                float(sum(float(act.loc[(n, m)]) for n in b.names if (n, m) in act.index))
                if m in reported
                else None
            )
            gap_m = None
        monthly_total.append(
            {
                "month": m,
                "baseline": float(b.amount[:, k].sum()),
                "actual": actual_m,
                "baseline_no_actuals": gap_m,
                "p10": float(t10[j]),
                "p50": float(t50[j]),
                "p90": float(t90[j]),
                "reforecast": float(rf["amount"][:, k].sum()),
                "reforecast_p10": float(u10[j]),
                "reforecast_p90": float(u90[j]),
                "after_period": k > t_end,
            }
        )
    return monthly, monthly_total


def _outlook(
    b: BaselineArrays,
    months: list[str],
    inp: Inputs,
    rf: dict[str, Any],
    by_line: pd.DataFrame,
    in_groups: list[str] | None = None,
) -> tuple[
    list[str],
    pd.Series,
    Callable[[str, int | None], tuple[float, float]],
    list[dict[str, Any]],
    list[dict[str, Any]],
    dict[str, Any],
]:
    """The fiscal year's outlook: its months, the actuals per line and month, the known
    months' amounts, the months missing from lines with actuals, the outlook per month
    and ``review.json``'s ``reforecast``."""
    a = inp.actuals
    fy = fiscal_year(months[-1], b.fiscal_year_start)
    fy_months = fiscal_year_months(fy, b.fiscal_year_start)
    fixed = 0.0
    later_idx = []
    base_fy = 0.0
    # actuals dated outside the horizon count in no line (data quality lists them)
    frame = G.with_unused(a, in_groups or [])
    act = frame[frame["month"].isin(b.months)].groupby(["line", "month"])["amount"].sum()
    # The outlook (docs/review.md#5-read-the-re-forecast), per line: a line with actuals
    # in the period counts its actual amounts (0 in a month without one, listed in
    # ``missing_actuals``); a line without (``no_actuals``) its baseline amounts, since a
    # line nobody billed is not free.
    billed_lines = set(by_line.index) | set(in_groups or [])
    known = sorted(set(months) | {m for m in fy_months if m <= months[-1]})
    missing_actuals = [  # a month that expected nothing (baseline 0) is not missing
        {"line": n, "month": m, "counted_as": 0.0, "baseline": base}
        for i, n in enumerate(b.names)
        if n in billed_lines and n not in (in_groups or [])  # no Unused rows: none unused
        for m in known
        if (n, m) not in act.index
        and m in b.months  # before the start or after the horizon: never missing
        and (base := float(b.amount[i, b.months.index(m)])) != 0
    ]

    def known_month(m: str, k: int | None) -> tuple[float, float]:
        """Actuals of the lines with actuals, baseline of the others, in month ``m``."""
        billed = sum(float(act.get((n, m), 0.0)) for n in b.names if n in billed_lines)
        unbilled = (
            sum(float(b.amount[i, k]) for i, n in enumerate(b.names) if n not in billed_lines)
            if k is not None
            else 0.0
        )
        return billed, unbilled

    outlook_monthly = []
    for m in fy_months:
        k = b.months.index(m) if m in b.months else None
        if k is not None:
            base_fy += float(b.amount[:, k].sum())
        if m <= months[-1]:
            billed, unbilled = known_month(m, k)
            fixed += billed + unbilled
            outlook_monthly.append(
                {
                    "month": m,
                    "amount": billed + unbilled,
                    "actual": billed,
                    "baseline_no_actuals": unbilled,
                    "source": "actual",
                }
            )
        elif k is not None:
            later_idx.append(k)
            outlook_monthly.append(
                {
                    "month": m,
                    "amount": float(rf["amount"][:, k].sum()),
                    "actual": None,
                    "baseline_no_actuals": None,
                    "source": "reforecast",
                }
            )
    point = fixed + (float(rf["amount"][:, later_idx].sum()) if later_idx else 0.0)
    later_draws = rf["draws"][:, :, later_idx].sum(axis=(1, 2)) if later_idx else 0.0
    od = np.broadcast_to(np.asarray(fixed + later_draws, dtype=float), (b.draws_amount.shape[0],))
    p10, p90 = band_bounds(od)
    reforecast_json = {
        "fiscal_year": str(fy),
        "outlook": point,
        "baseline": base_fy,
        "p10": p10,
        "p90": p90,
        "_months": fy_months,
        "_usage": rf["how"],
        "_repriced": bool(inp.reprice),
    }

    return fy_months, act, known_month, missing_actuals, outlook_monthly, reforecast_json


def _period_by_line(a: Actuals, months: list[str]) -> pd.DataFrame:
    """The period's actual ``amount`` and ``quantity`` per line.

    The quantity is missing when a month of the line has an amount but no quantity (not
    given, or FOCUS rows in mixed units), so that the split is not made on part of the
    months: docs/review.md#4-read-the-variance puts all of the variance in
    ``unexplained`` then.
    """
    la = a.lines[a.lines["month"].isin(months)]
    return la.groupby("line").agg(
        amount=("amount", "sum"),
        quantity=("quantity", lambda s: s.sum() if s.notna().all() else np.nan),
    )


def _line_inputs(
    b: BaselineArrays, idx: list[int], by_line: pd.DataFrame, grouped: set[str]
) -> list[V.LineInput]:
    """What the variance split of each line reads (a line in a commitment's group aside):
    baseline and actual amounts and quantities over the period, the baseline's draws."""
    amount, quantity = by_line["amount"].to_dict(), by_line["quantity"].to_dict()
    items = []
    for i, name in enumerate(b.names):
        if name in grouped:
            continue
        B = float(b.amount[i, idx].sum())
        has = name in amount
        if B == 0 and not has:
            continue
        qa = float(quantity[name]) if has else None
        items.append(
            V.LineInput(
                line=name,
                category=b.categories[i],
                driver=b.drivers[i],
                B=B,
                Qb=float(b.quantity[i, idx].sum()),
                A=float(amount[name]) if has else None,
                Qa=None if qa is None or math.isnan(qa) else qa,
                draws=b.draws_amount[:, i, idx].sum(axis=1),
            )
        )
    return items


def _categories_and_total(
    b: BaselineArrays, rows: list[dict[str, Any]], idx: list[int], inp: Inputs
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each category's row and the total's: sums of their lines' rows, each judged
    against the draws of its own per-draw total (a group counts its members)."""
    line_index = {n: i for i, n in enumerate(b.names)}

    def draws_of(members: list[dict[str, Any]]) -> np.ndarray:
        ii = [line_index[n] for r in members for n in r.get("_members", [r["line"]])]
        d: np.ndarray = b.draws_amount[:, ii][:, :, idx].sum(axis=(1, 2))
        return d

    cats = []
    for c in CATEGORIES:
        members = [r for r in rows if r["category"] == c]
        if members:
            agg = V.aggregate(members, draws_of(members), inp.materiality)
            cats.append({"category": c, **agg})
    return cats, V.aggregate(rows, draws_of(rows), inp.materiality)


def _price_factors(items: list[V.LineInput]) -> dict[str, float]:
    """For ``--reprice``: ``pa / pb`` of each line where both prices exist."""
    return {
        it.line: (it.A / it.Qa) / (it.B / it.Qb)
        for it in items
        if it.A is not None and it.Qa and it.Qb and it.B and it.A
    }


def _billing(
    a: Actuals,
    months: list[str],
    b: BaselineArrays,
    inp: Inputs,
    groups: list[G.Group],
    in_groups: list[str],
) -> dict[str, Any]:
    """:func:`~aiopex.model.billing.billing_sections` of the period, a group's unused
    commitment kept out of the charges beside the outlook, and a note when the
    commitments are judged on a cost basis other than ``effective``."""
    billing = billing_sections(a, months, b.months)  # buckets, invoice, data quality
    G.charges_beside(billing["charges"], a, months, in_groups)
    if groups and inp.cost_basis != "effective":
        billing["data_quality"]["notes"].append(
            f"the commitments ({', '.join(g.name for g in groups)}) are judged on the "
            f"{inp.cost_basis} cost basis: their covered lines' actuals show the commitment's "
            "share as the effective basis does only when the export amortizes it there"
        )
    return billing


def compute_review(
    b: BaselineArrays, months: list[str], inp: Inputs, period: str = ""
) -> dict[str, Any]:
    """Every number of the review (docs/review.md), as plain data.

    Returns the ``review.json`` object (without ``baseline``) plus ``_monthly``
    (per line and month: baseline, actual, the fan and the re-forecast) and
    ``_monthly_total`` (the same for the total, with percentiles of per-draw totals)
    for the notebook and workbook.
    """
    idx = [b.months.index(m) for m in months]
    a = inp.actuals
    by_line = _period_by_line(a, months)
    usage = inp.usage
    Ra = Rb = None
    if usage is not None:
        Ra = float(usage.loc[months, "requests"].sum())
        Rb = float(b.requests[idx].sum())
    # a commitment and the lines it covers are judged as one group (groups.py)
    groups = G.groups_of(b, idx)
    items = _line_inputs(b, idx, by_line, {b.names[i] for g in groups for i in g.members})
    rows = _in_ledger_order(
        b,
        V.line_rows(items, Rb, Ra, inp.materiality),
        {
            b.names[g.covers[0]]: G.group_row(b, g, idx, months, a, by_line, inp.materiality)
            for g in groups
        },
    )
    cats, total = _categories_and_total(b, rows, idx, inp)
    rf = reforecast(b, months, inp, _price_factors(items))
    # inside the outlook, a group's commitment counts its unused actuals (0 in a month
    # without Unused rows: the commitment was used), never its baseline
    in_groups = [r["line"] for r in rows if r.get("group") and r["status"] == "ok"]
    fy_months, act, known_month, missing_actuals, outlook_monthly, reforecast_json = _outlook(
        b, months, inp, rf, by_line, in_groups
    )
    billing = _billing(a, months, b, inp, groups, in_groups)
    monthly, monthly_total = _monthly_detail(b, months, fy_months, rf, act, known_month)
    return {
        "period": period,
        "months": months,
        "currency": b.currency,
        "cost_basis": inp.cost_basis,
        "_materiality": {"share": inp.materiality[0], "amount": inp.materiality[1]},
        "lines": rows,
        "categories": cats,
        "total": total,
        "usage": _usage_json(b, usage, months, idx, Ra, Rb),
        "unmapped": _unmapped(a, months),  # data quality: everything not on a line
        "charges": billing["charges"],
        "corrections": billing["corrections"],
        "missing_actuals": missing_actuals,
        "mixed_units": a.mixed_units(months),
        "reconciliation": billing["reconciliation"],
        "data_quality": {**billing["data_quality"], "missing_actuals": missing_actuals},
        "outside_band": V.outside_band(rows),
        "outside_band_by_chance": V.outside_by_chance(rows),
        "reforecast": reforecast_json,
        "_investigate": [r["line"] for r in rows if r["investigate"]],
        "_outlook_monthly": outlook_monthly,
        "_monthly": monthly,
        "_monthly_total": monthly_total,
        "_reforecast_amount": rf["amount"],
    }


def _in_ledger_order(
    b: BaselineArrays, rows: list[dict[str, Any]], groups: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The lines' rows in the baseline's order, each group's row where its first covered
    line stands."""
    by_name = {r["line"]: r for r in rows}
    out = []
    for n in b.names:
        if n in by_name:
            out.append(by_name[n])
        if n in groups:
            out.append(groups[n])
    return out


def needs_attention(review: dict[str, Any]) -> bool:
    """A line or the total is ``investigate``."""
    return bool(review["total"]["investigate"]) or any(r["investigate"] for r in review["lines"])


def public_json(review: dict[str, Any]) -> dict[str, Any]:
    """``review.json``: the review without its private detail (keys starting ``_``)."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if not str(k).startswith("_")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    out: dict[str, Any] = jsonable(strip(review))
    return out
