"""Finance metrics with Excel's conventions (SCENARIO.md, "Finance").

Cash flows are at month end; every function works on ``(draws, months)`` arrays
and returns one value per draw.

Warnings
--------
Excel's ``NPV`` discounts the first cash flow (``net_0 / (1 + r)``), unlike
``numpy_financial.npv``. aiopex follows Excel, so the workbook's ``=NPV()`` and the
package agree to the cent.
"""

from __future__ import annotations

import numpy as np


def monthly_rate(discount_rate: np.ndarray | float) -> np.ndarray:
    """``r = (1 + discount_rate)^(1/12) - 1``: the monthly rate of an annual effective rate.

    Examples
    --------
    >>> round(float(monthly_rate(0.10)), 8)
    0.00797414
    """
    return (1.0 + np.asarray(discount_rate, dtype=float)) ** (1.0 / 12.0) - 1.0


def npv(net: np.ndarray, discount_rate: np.ndarray | float) -> np.ndarray:
    """``NPV = sum_m net(m) / (1 + r)^(m+1)``, exactly Excel's ``=NPV(r, net_0 .. net_{H-1})``.

    Examples
    --------
    >>> round(float(npv(np.array([[110.0]]), (1.1 ** 12) - 1)[0]), 9)  # one month at 10% a month
    100.0
    """
    net = np.atleast_2d(net)
    r = np.reshape(monthly_rate(discount_rate), (-1, 1))
    m = np.arange(net.shape[1])
    return (net / (1.0 + r) ** (m + 1)).sum(axis=1)


def irr(net: np.ndarray, tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """Monthly IRR of each row of ``net``; NaN where the cash flows have no IRR.

    Solves ``sum_m net(m) / (1 + x)^m = 0`` for ``x > -1`` (Excel's ``IRR``), vectorized:
    Newton's method from 0.01 a month, then bisection on a bracket for rows Newton
    did not settle. Rows whose flows never change sign have no IRR (NaN), as do rows
    where no root is found in ``(-0.99, 10)`` a month. Where several roots exist the
    one found from the guess is returned, as Excel does.

    Examples
    --------
    >>> round(float(irr(np.array([[-100.0, 60.0, 60.0]]))[0]), 6)
    0.130662
    >>> bool(np.isnan(irr(np.array([[100.0, 50.0]]))[0]))
    True
    """
    net = np.atleast_2d(np.asarray(net, dtype=float))
    D, H = net.shape
    m = np.arange(H)
    has_pos = (net > 0).any(axis=1)
    has_neg = (net < 0).any(axis=1)
    exists = has_pos & has_neg
    out = np.full(D, np.nan)
    if not exists.any():
        return out
    c = net[exists]
    scale = np.abs(c).max(axis=1)
    x = np.full(c.shape[0], 0.01)
    done = np.zeros(c.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            v = 1.0 / (1.0 + x)
            pw = v[:, None] ** m
            f = (c * pw).sum(axis=1)
            df = (-(m * c) * pw * v[:, None]).sum(axis=1)
            step = np.where(df != 0, f / df, 0.0)
            x_new = x - step
            x_new = np.where(x_new <= -0.99, (x - 0.99) / 2, x_new)
            done = np.abs(step) < tol * np.maximum(1.0, np.abs(x))
            x = np.where(np.isfinite(x_new), x_new, x)
            if done.all():
                break
        v = 1.0 / (1.0 + x)
        resid = np.abs((c * v[:, None] ** m).sum(axis=1)) / scale
        good = done & np.isfinite(x) & (resid < 1e-7) & (x > -0.99)
    if not good.all():
        x[~good] = _bisect(c[~good])
    out[exists] = x
    return out


def _bisect(c: np.ndarray) -> np.ndarray:
    """Root of ``sum c_m / (1+x)^m`` by bisection on the first bracket of a grid; NaN if none."""
    grid = np.concatenate([np.linspace(-0.99, -0.01, 99), np.geomspace(1e-4, 10.0, 200)])
    grid.sort()
    m = np.arange(c.shape[1])
    with np.errstate(all="ignore"):
        vals = (c[:, None, :] / (1.0 + grid[None, :, None]) ** m).sum(axis=2)
    out = np.full(c.shape[0], np.nan)
    for i in range(c.shape[0]):
        s = np.sign(vals[i])
        idx = np.nonzero(s[:-1] * s[1:] <= 0)[0]
        if idx.size == 0:
            continue
        # the bracket closest to the guess (0.01 a month)
        j = idx[np.argmin(np.abs(grid[idx] - 0.01))]
        lo, hi = grid[j], grid[j + 1]
        flo = vals[i, j]
        for _ in range(200):
            mid = (lo + hi) / 2
            fm = (c[i] / (1.0 + mid) ** m).sum()
            if np.sign(fm) == np.sign(flo):
                lo, flo = mid, fm
            else:
                hi = mid
            if hi - lo < 1e-14:
                break
        out[i] = (lo + hi) / 2
    return out


def irr_annual(net: np.ndarray) -> np.ndarray:
    """``irr_annual = (1 + IRR of net(m))^12 - 1``; NaN where the flows have no IRR."""
    return (1.0 + irr(net)) ** 12 - 1.0


def payback_month(net: np.ndarray) -> np.ndarray:
    """Smallest ``m`` from which the cumulative net is ``>= 0`` for every later month.

    NaN where the cumulative net ends below 0.

    Examples
    --------
    >>> payback_month(np.array([[-5.0, 3.0, 3.0, -2.0, 4.0]])).tolist()
    [4.0]
    >>> payback_month(np.array([[-5.0, 3.0]])).tolist()
    [nan]
    """
    cum = np.cumsum(np.atleast_2d(net), axis=1)
    ok = cum >= 0
    tail_ok = np.logical_and.accumulate(ok[:, ::-1], axis=1)[:, ::-1]
    n_ok = tail_ok.sum(axis=1)
    H = cum.shape[1]
    return np.where(ok[:, -1], H - n_ok, np.nan).astype(float)
