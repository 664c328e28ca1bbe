"""The quarterly cost review: actuals against a baseline, variance, re-forecast.

:func:`compute_review` is the arithmetic of REVIEW.md on a loaded baseline and
actuals; :func:`aiopex.batch.review_run.run_review` reads and checks the inputs and
writes the files.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiopex.errors import DataError, Problem
from aiopex.model import variance as V  # noqa: N812
from aiopex.model.costs import DRIVERS
from aiopex.months import add as add_months
from aiopex.months import fiscal_year, fiscal_year_months, month_range
from aiopex.names import CATEGORIES

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_FQUARTER = re.compile(r"^FY(\d{4})-Q([1-4])$")
_RANGE = re.compile(r"^(\d{4}-\d{2})\.\.(\d{4}-\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: Drivers whose quantity follows active or new users in the re-forecast.
USER_DRIVERS = frozenset(d.name for d in DRIVERS.values() if d.scales_with == "users")
#: Drivers whose quantity follows requests in the re-forecast.
REQUEST_QTY = frozenset({"per_request", "per_1k_input_tokens", "per_1k_output_tokens"})
#: Fewest months of actual requests for a history-based re-forecast of usage.
HISTORY_MONTHS = 12


def parse_period(text: str, fiscal_year_start: int = 1) -> list[str]:
    """The months of a review period.

    ``2027-Q1`` is a calendar quarter; ``FY2028-Q1`` a fiscal quarter (the fiscal
    year is named by the calendar year it ends in); ``2027-01..2027-03`` a range.

    Examples
    --------
    >>> parse_period("2027-Q1")
    ['2027-01', '2027-02', '2027-03']
    >>> parse_period("FY2028-Q1", fiscal_year_start=4)
    ['2027-04', '2027-05', '2027-06']
    >>> parse_period("FY2028-Q4", fiscal_year_start=4)
    ['2028-01', '2028-02', '2028-03']
    >>> parse_period("2027-11..2028-01")
    ['2027-11', '2027-12', '2028-01']
    """
    t = text.strip()
    if m := _QUARTER.match(t):
        first = f"{m.group(1)}-{3 * (int(m.group(2)) - 1) + 1:02d}"
        return month_range(first, add_months(first, 2))
    if m := _FQUARTER.match(t):
        fy, q = int(m.group(1)), int(m.group(2))
        start = fiscal_year_months(fy, fiscal_year_start)[0]
        first = add_months(start, 3 * (q - 1))
        return month_range(first, add_months(first, 2))
    if (m := _RANGE.match(t)) and _MONTH.match(m.group(1)) and _MONTH.match(m.group(2)):
        if m.group(2) < m.group(1):
            raise DataError(Problem("<command line>", "--period", f"{t}: ends before it starts"))
        return month_range(m.group(1), m.group(2))
    raise DataError(
        Problem(
            "<command line>",
            "--period",
            f"expected 2027-Q1, FY2028-Q1 or 2027-01..2027-03, got {text!r}",
        )
    )


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
    specs: list[Any]
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
    def from_result(cls, r: Any) -> BaselineArrays:
        """From a typed Result (RESULT_API: ``lines``, ``drivers``, ``draws``)."""
        specs = list(r.line_specs)
        names = [s.name for s in specs]
        H = len(r.months)
        lines = r.lines

        def grid(col: str) -> np.ndarray:
            g = lines.pivot(index="line", columns="m", values=col).reindex(
                index=names, columns=range(H)
            )
            return g.to_numpy(dtype=float)

        d = r.draws
        if d is None:
            raise DataError(Problem("<baseline>", "", "the baseline has no Monte Carlo draws"))
        order = [list(d.line_names).index(n) for n in names]
        m = r.scenario.model
        q = getattr(m, "quality", None)
        fin = getattr(m, "finance", None)
        fys = getattr(fin, "fiscal_year_start", None) if fin is not None else None
        hist = getattr(r.scenario, "history_frame", None)
        hpath = getattr(m.usage, "history", None)
        if hist is None and hpath:  # a saved baseline keeps the path, not the frame
            from aiopex.inputs.history import read_history

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
            acceptable=(float(q.acceptable) if q is not None and q.acceptable else None),
            fiscal_year_start=int(fys or 1),
            seed=r.seed,
            history=hist,
            method=str(getattr(m.usage, "method", None) or "auto"),
            inputs_hash=str(getattr(r.scenario, "inputs_hash", "") or ""),
            history_path=str(hpath) if hpath and hist is not None else None,
            draws_requests=(
                None if getattr(d, "requests", None) is None else np.asarray(d.requests, float)
            ),
        )


@dataclass
class Inputs:
    """The actuals of one review, already read and checked."""

    actuals: Any  # aiopex.inputs.actuals.Actuals
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


def _scale_series(
    b: BaselineArrays, months: list[str], inp: Inputs, later: np.ndarray, K: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Usage scale factors after the period: point ``(H,)`` and per draw ``(K, H)``.

    Returns ``s_req, s_users, s_req_draws, s_users_draws, how``.
    """
    H = len(b.months)
    idx = [b.months.index(m) for m in months]
    one = np.ones(H)
    if inp.usage is None:
        return one, one, np.ones((K, H)), np.ones((K, H)), "baseline usage (no usage actuals)"
    u = inp.usage
    Ra = float(u.loc[months, "requests"].sum())
    Rb = float(b.requests[idx].sum())
    # the history-based path: the scenario's history plus the actuals, 12 months or more
    series = u["requests"][u.index <= months[-1]]
    series.index = pd.PeriodIndex(series.index, freq="M")
    if b.history is not None and "requests" in b.history:
        h = b.history["requests"]
        h = h[h.index < series.index[0]]
        series = pd.concat([h, series]).sort_index()
    contiguous = len(series) > 0 and (len(series) == (series.index[-1] - series.index[0]).n + 1)
    if contiguous and len(series) >= HISTORY_MONTHS and later.any():
        from aiopex.model.forecasting import forecast_series

        first = int(np.argmax(later))
        n = H - first
        fc = forecast_series(series, b.months[first], n, b.method, label="usage actuals")
        base = b.requests[first:]
        ratio = np.divide(fc.mean, base, out=np.ones(n), where=base > 0)
        s_req = one.copy()
        s_req[first:] = ratio
        rng = np.random.default_rng(b.reforecast_seed)
        paths = fc.sample(K, rng)
        s_draws = np.ones((K, H))
        s_draws[:, first:] = np.divide(paths, base, out=np.ones_like(paths), where=base > 0)
        su, sud = s_req, s_draws
        if "active_users" in u and u["active_users"].notna().all():
            au = u["active_users"][u.index <= months[-1]]
            ua = float(au.loc[months].sum())
            ub = float(b.active_users[idx].sum())
            r = ua / ub if ub > 0 else 1.0
            su = np.where(later, r, 1.0)
            sud = np.broadcast_to(su, (K, H)).copy()
        return s_req, su, s_draws, sud, f"history-based ({fc.method}, {len(series)} months)"
    s = Ra / Rb if Rb > 0 else 1.0
    su = s
    if "active_users" in u and u.loc[months, "active_users"].notna().all():
        ua = float(u.loc[months, "active_users"].sum())
        ub = float(b.active_users[idx].sum())
        su = ua / ub if ub > 0 else s
    s_req = np.where(later, s, 1.0)
    s_users = np.where(later, su, 1.0)
    return (
        s_req,
        s_users,
        np.broadcast_to(s_req, (K, H)).copy(),
        np.broadcast_to(s_users, (K, H)).copy(),
        f"baseline usage scaled (requests x{s:.4g}, users x{su:.4g})",
    )


def _request_draws(b: BaselineArrays, idx: list[int]) -> tuple[np.ndarray | None, str | None]:
    """Per kept draw, the baseline's requests over the period's months, and where from.

    From the baseline's own request draws (:attr:`BaselineArrays.draws_requests`),
    whatever its cost lines. A baseline saved before request draws were kept falls back
    to the quantity of a ``per_request`` line billed in every month of the period (its
    quantity is the requests); without one there is no band (None).
    """
    if b.draws_requests is not None:
        return b.draws_requests[:, idx].sum(axis=1), "the baseline's request draws"
    i = next(
        (
            i
            for i, s in enumerate(b.specs)
            if s.driver == "per_request" and all(b.quantity[i, k] > 0 for k in idx)
        ),
        None,
    )
    if i is None:
        return None, (
            "none: this baseline was saved without request draws and has no per_request "
            "line (save a new baseline for a usage band)"
        )
    return b.draws_quantity[:, i, idx].sum(axis=1), (
        f"the quantity of the per_request line {b.names[i]} (this baseline was saved "
        "without request draws)"
    )


def reforecast(
    b: BaselineArrays,
    months: list[str],
    inp: Inputs,
    price_factor: dict[str, float],
) -> dict[str, Any]:
    """The baseline run again from the period's actuals for every month after it.

    Usage after the period is the baseline's times ``s_req`` (requests, tokens) and
    ``s_users`` (active and new users), or a history-based forecast with 12 months or
    more of actual requests; capacity units are recomputed from the scaled requests;
    quality, retraining and the other drivers do not change. A line's rate is the
    baseline's, times ``pa / pb`` with ``--reprice``.

    Returns
    -------
    dict
        ``amount`` ``(n_lines, H)`` and ``draws`` ``(K, n_lines, H)``, equal to the
        baseline's up to the period's end; ``how`` describes the usage path;
        ``s_req`` and ``s_users`` ``(H,)`` the point scale factors of requests and
        users (1 up to the period's end); ``draws_requests`` ``(K, H)`` the kept
        draws' requests times their scale (None when the baseline has none).
    """
    H = len(b.months)
    t_end = b.months.index(months[-1])
    later = np.arange(H) > t_end
    K = b.draws_amount.shape[0]
    s_req, s_users, sd_req, sd_users, how = _scale_series(b, months, inp, later, K)
    amount = b.amount.copy()
    draws = b.draws_amount.copy()
    for i, spec in enumerate(b.specs):
        d = spec.driver
        q = b.quantity[i]
        qd = b.draws_quantity[:, i, :]
        if d in REQUEST_QTY:
            f, fd = s_req, sd_req
        elif d in USER_DRIVERS:
            f, fd = s_users, sd_users
        elif d == "capacity":
            cpu = float(spec.capacity_per_unit or 1.0)
            lo = float(spec.min_units or 0)
            inwin = q > 0
            new_q = np.where(inwin, np.maximum(lo, np.ceil(b.requests * s_req / cpu)), 0.0)
            f = np.divide(new_q, q, out=np.ones(H), where=q > 0)
            # per draw: the point run's requests on that draw's usage path (a draw's own
            # capacity per unit is not kept)
            new_qd = np.where(qd > 0, np.maximum(lo, np.ceil(b.requests * sd_req / cpu)), 0.0)
            fd = np.divide(new_qd, qd, out=np.ones_like(qd), where=qd > 0)
        else:
            f, fd = np.ones(H), np.ones((K, H))
        p = price_factor.get(spec.name, 1.0) if inp.reprice else 1.0
        amount[i, later] = b.amount[i, later] * f[later] * p
        draws[:, i, later] = b.draws_amount[:, i, later] * fd[:, later] * p
    dreq = None if b.draws_requests is None else b.draws_requests * sd_req
    return {
        "amount": amount,
        "draws": draws,
        "how": how,
        "t_end": t_end,
        "s_req": s_req,
        "s_users": s_users,
        "draws_requests": dreq,
    }


def compute_review(
    b: BaselineArrays, months: list[str], inp: Inputs, period: str = ""
) -> dict[str, Any]:
    """Every number of the review (REVIEW.md), as plain data.

    Returns the ``review.json`` object (without ``baseline``) plus ``_monthly``
    (per line and month: baseline, actual, the fan and the re-forecast) and
    ``_monthly_total`` (the same for the total, with percentiles of per-draw totals)
    for the notebook and workbook.
    """
    idx = [b.months.index(m) for m in months]
    a = inp.actuals
    la = a.lines[a.lines["month"].isin(months)]
    # Qa of the period: missing when a month of the line has an amount but no quantity
    # (not given, or FOCUS rows in mixed units), so that the split is not made on part
    # of the months: REVIEW.md puts all of the variance in ``unexplained`` then
    by_line = la.groupby("line").agg(
        amount=("amount", "sum"),
        quantity=("quantity", lambda s: s.sum() if s.notna().all() else np.nan),
    )
    usage = inp.usage
    Ra = Rb = None
    if usage is not None:
        Ra = float(usage.loc[months, "requests"].sum())
        Rb = float(b.requests[idx].sum())
    items = []
    for i, name in enumerate(b.names):
        B = float(b.amount[i, idx].sum())
        has = name in by_line.index
        if B == 0 and not has:
            continue
        qa = float(by_line.loc[name, "quantity"]) if has else None
        items.append(
            V.LineInput(
                line=name,
                category=b.categories[i],
                driver=b.drivers[i],
                B=B,
                Qb=float(b.quantity[i, idx].sum()),
                A=float(by_line.loc[name, "amount"]) if has else None,
                Qa=None if qa is None or math.isnan(qa) else qa,
                draws=b.draws_amount[:, i, idx].sum(axis=1),
            )
        )
    rows = V.line_rows(items, Rb, Ra, inp.materiality)
    line_index = {n: i for i, n in enumerate(b.names)}
    cats = []
    for c in CATEGORIES:
        members = [r for r in rows if r["category"] == c]
        if not members:
            continue
        ii = [line_index[r["line"]] for r in members]
        d = b.draws_amount[:, ii][:, :, idx].sum(axis=(1, 2))
        cats.append({"category": c, **V.aggregate(members, d, inp.materiality)})
    ii = [line_index[r["line"]] for r in rows]
    total_draws = b.draws_amount[:, ii][:, :, idx].sum(axis=(1, 2))
    total = V.aggregate(rows, total_draws, inp.materiality)

    # price factors for --reprice: pa / pb where both exist
    price_factor = {}
    for it in items:
        if it.A is not None and it.Qa and it.Qb and it.B and it.A:
            price_factor[it.line] = (it.A / it.Qa) / (it.B / it.Qb)
    rf = reforecast(b, months, inp, price_factor)
    fy = fiscal_year(months[-1], b.fiscal_year_start)
    fy_months = fiscal_year_months(fy, b.fiscal_year_start)
    t_end = rf["t_end"]
    fixed = 0.0
    later_idx = []
    base_fy = 0.0
    # actuals dated outside the horizon count in no line (data quality lists them)
    act = a.lines[a.lines["month"].isin(b.months)].groupby(["line", "month"])["amount"].sum()
    # REVIEW.md's outlook, per line: a line with actuals in the period counts its actual
    # amounts (0 in a month without one, listed in ``missing_actuals``); a line without
    # (``no_actuals``) its baseline amounts, since a line nobody billed is not free.
    billed_lines = set(by_line.index)
    known = sorted(set(months) | {m for m in fy_months if m <= months[-1]})
    missing_actuals = [  # a month that expected nothing (baseline 0) is not missing
        {"line": n, "month": m, "counted_as": 0.0, "baseline": base}
        for i, n in enumerate(b.names)
        if n in billed_lines
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
    od = fixed + (rf["draws"][:, :, later_idx].sum(axis=(1, 2)) if later_idx else 0.0)
    od = np.broadcast_to(np.asarray(od, dtype=float), (b.draws_amount.shape[0],))
    p10, p90 = (float(x) for x in np.percentile(od, [10, 90]))
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

    # usage and accuracy
    usage_json: dict[str, Any] | None = None
    if usage is not None:
        assert Ra is not None and Rb is not None
        usage_json = {"baseline": Rb, "actual": Ra, "variance": Ra - Rb}
        req_draws, source = _request_draws(b, idx)
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
                x = usage.loc[m, "accuracy"]
                if pd.isna(x):
                    continue
                acc.append({"month": m, "actual": float(x), "forecast": float(b.accuracy[k])})
                if b.acceptable is not None and x < b.acceptable:
                    below.append(m)
            usage_json["accuracy"] = {
                "acceptable": b.acceptable,
                "months": acc,
                "below_acceptable": below,
            }

    # data quality: everything not on a line, for the period
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
    from aiopex.model.billing import billing_sections

    billing = billing_sections(a, months, b.months)  # buckets, invoice, data quality
    charges, corrections = billing["charges"], billing["corrections"]
    investigate = [r["line"] for r in rows if r["investigate"]]

    # monthly detail for the notebook and workbook
    monthly = []
    for i, name in enumerate(b.names):
        for k, m in enumerate(b.months):
            if m not in fy_months and m not in months:
                continue
            d = b.draws_amount[:, i, k]
            rd = rf["draws"][:, i, k]
            monthly.append(
                {
                    "line": name,
                    "category": b.categories[i],
                    "month": m,
                    "baseline": float(b.amount[i, k]),
                    "actual": float(act.loc[(name, m)]) if (name, m) in act.index else None,
                    "p10": float(np.percentile(d, 10)),
                    "p50": float(np.percentile(d, 50)),
                    "p90": float(np.percentile(d, 90)),
                    "reforecast": float(rf["amount"][i, k]),
                    "reforecast_p10": float(np.percentile(rd, 10)),
                    "reforecast_p90": float(np.percentile(rd, 90)),
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
    for k, m in enumerate(b.months):
        if m not in fy_months and m not in months:
            continue
        d = b.draws_amount[:, :, k].sum(axis=1)
        rd = rf["draws"][:, :, k].sum(axis=1)
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
                "p10": float(np.percentile(d, 10)),
                "p50": float(np.percentile(d, 50)),
                "p90": float(np.percentile(d, 90)),
                "reforecast": float(rf["amount"][:, k].sum()),
                "reforecast_p10": float(np.percentile(rd, 10)),
                "reforecast_p90": float(np.percentile(rd, 90)),
                "after_period": k > t_end,
            }
        )
    return {
        "period": period,
        "months": months,
        "currency": b.currency,
        "cost_basis": inp.cost_basis,
        "_materiality": {"share": inp.materiality[0], "amount": inp.materiality[1]},
        "lines": rows,
        "categories": cats,
        "total": total,
        "usage": usage_json,
        "unmapped": unmapped,
        "charges": charges,
        "corrections": corrections,
        "missing_actuals": missing_actuals,
        "mixed_units": a.mixed_units(months),
        "reconciliation": billing["reconciliation"],
        "data_quality": {**billing["data_quality"], "missing_actuals": missing_actuals},
        "outside_band": V.outside_band(rows),
        "outside_band_by_chance": V.outside_by_chance(rows),
        "reforecast": reforecast_json,
        "_investigate": investigate,
        "_outlook_monthly": outlook_monthly,
        "_monthly": monthly,
        "_monthly_total": monthly_total,
        "_reforecast_amount": rf["amount"],
    }


def needs_attention(review: dict[str, Any]) -> bool:
    """A line or the total is ``investigate``."""
    return bool(review["total"]["investigate"]) or any(r["investigate"] for r in review["lines"])


def public_json(review: dict[str, Any]) -> dict[str, Any]:
    """``review.json``: the review without its private detail (keys starting ``_``)."""
    from aiopex.result import jsonable

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if not str(k).startswith("_")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return jsonable(strip(review))


def reforecast_result(result: Any, amount: np.ndarray, arr: BaselineArrays, months, inp) -> Any:
    """The re-forecast as a Result to save as the next baseline (lines and draws replaced)."""
    import copy

    rf = reforecast(arr, months, inp, {})  # draws; prices already in ``amount`` when repriced
    if inp.reprice:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rf["amount"] > 0, amount / rf["amount"], 1.0)
        rf_draws = rf["draws"] * ratio[None, :, :]
    else:
        rf_draws = rf["draws"]
    new = copy.copy(result)
    new.__dict__.pop("ledger", None)  # a cached view of the old lines
    lines = result.lines.copy()
    H = len(arr.months)
    for i, name in enumerate(arr.names):
        sel = (lines["line"] == name).to_numpy()
        q = arr.quantity[i]
        rate = arr.rate[i]
        new_amt = amount[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            new_q = np.where(rate != 0, new_amt / rate, q)
        lines.loc[sel, "amount"] = new_amt[lines.loc[sel, "m"].to_numpy()]
        lines.loc[sel, "quantity"] = new_q[lines.loc[sel, "m"].to_numpy()]
    new.lines = lines
    d = copy.copy(result.draws)
    order = [arr.names.index(n) for n in d.line_names]
    d.amount = rf_draws[:, order, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(arr.draws_amount > 0, rf_draws / arr.draws_amount, 1.0)
    d.quantity = (arr.draws_quantity * f)[:, order, :]
    d.requests = rf["draws_requests"]
    new.draws = d
    drv = result.drivers.copy()  # the point usage after the period, scaled like the lines
    for col in ("requests", "items", "input_tokens", "output_tokens"):
        if col in drv:
            drv[col] = drv[col].to_numpy(dtype=float) * rf["s_req"][: len(drv)]
    for col in ("active_users", "new_users"):
        if col in drv:
            drv[col] = drv[col].to_numpy(dtype=float) * rf["s_users"][: len(drv)]
    new.drivers = drv
    cats = result.categories.copy()
    for c in cats.columns:
        ii = [i for i, cc in enumerate(arr.categories) if cc == c]
        cats[c] = amount[ii].sum(axis=0)[:H]
    new.categories = cats
    return new
