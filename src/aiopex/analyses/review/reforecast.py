"""The re-forecast: the baseline's remaining months rescaled by the usage seen so
far, and the re-forecast as a Result to save as the next baseline.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aiopex.analyses.review.arrays import BaselineArrays, Inputs
from aiopex.model import costs as _costs
from aiopex.model.costs import DRIVERS
from aiopex.model.forecasting import forecast_series

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.result import Result

USER_DRIVERS = frozenset(d.name for d in DRIVERS.values() if d.scales_with == "users")
#: Drivers whose quantity follows requests in the re-forecast.
REQUEST_QTY = frozenset({"per_request", "per_1k_input_tokens", "per_1k_output_tokens"})
#: Fewest months of actual requests for a history-based re-forecast of usage.
HISTORY_MONTHS = 12


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
    s_u = s
    if "active_users" in u and u.loc[months, "active_users"].notna().all():
        ua = float(u.loc[months, "active_users"].sum())
        ub = float(b.active_users[idx].sum())
        s_u = ua / ub if ub > 0 else s
    s_req = np.where(later, s, 1.0)
    s_users = np.where(later, s_u, 1.0)
    return (
        s_req,
        s_users,
        np.broadcast_to(s_req, (K, H)).copy(),
        np.broadcast_to(s_users, (K, H)).copy(),
        f"baseline usage scaled (requests x{s:.4g}, users x{s_u:.4g})",
    )


def request_draws(b: BaselineArrays, idx: list[int]) -> tuple[np.ndarray | None, str | None]:
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
            # the units of the driver registry (min_units, float noise ignored as the
            # forecast and the workbook do), on the scaled requests
            assert spec.capacity_per_unit is not None  # a capacity line has one (schema)
            cpu = np.array([[float(spec.capacity_per_unit)]])
            units = _costs.quantity(spec, {"requests": b.requests * s_req}, None, cpu, (1, H))
            new_q = np.where(q > 0, units[0], 0.0)
            f = np.divide(new_q, q, out=np.ones(H), where=q > 0)
            # per draw: the point run's requests on that draw's usage path (a draw's own
            # capacity per unit is not kept)
            units_d = _costs.quantity(spec, {"requests": b.requests * sd_req}, None, cpu, (K, H))
            new_qd = np.where(qd > 0, units_d, 0.0)
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


def reforecast_result(
    result: Result, amount: np.ndarray, arr: BaselineArrays, months: list[str], inp: Inputs
) -> Result:
    """The re-forecast as a Result to save as the next baseline (lines and draws replaced)."""
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
    assert result.draws is not None  # a baseline keeps its draws (BaselineArrays checks)
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
