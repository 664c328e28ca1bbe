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
    where no root is found in ``(-0.99, 10000)`` a month. Where several roots exist the
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
    exists = (net > 0).any(axis=1) & (net < 0).any(axis=1)
    out = np.full(D, np.nan)
    if not exists.any():
        return out
    rows = np.nonzero(exists)[0]
    c = net[rows]
    mc = m * c
    scale = np.abs(c).max(axis=1)
    x = np.full(rows.size, 0.01)
    good = np.zeros(rows.size, dtype=bool)
    active = np.arange(rows.size)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            xa = x[active]
            v = 1.0 / (1.0 + xa)
            pw = np.cumprod(np.broadcast_to(v[:, None], (active.size, H)), axis=1) / v[:, None]
            f = np.einsum("ij,ij->i", c[active], pw)
            df = -np.einsum("ij,ij->i", mc[active], pw) * v
            step = np.where(df != 0, f / df, np.inf)
            x_new = xa - step
            x_new = np.where(np.isfinite(x_new) & (x_new > -0.99), x_new, np.nan)
            x[active] = x_new
            settled = np.abs(step) < tol * np.maximum(1.0, np.abs(xa))
            ok = settled & np.isfinite(x_new) & (np.abs(f) / scale[active] < 1e-6)
            good[active[ok]] = True
            active = active[~ok & np.isfinite(x_new)]
            if active.size == 0:
                break
    if not good.all():
        x[~good] = _bisect(c[~good])
    out[rows] = x
    return out


def _bisect(c: np.ndarray) -> np.ndarray:
    """Root of ``sum c_m / (1+x)^m`` by bisection on the first bracket of a grid; NaN if none."""
    grid = np.concatenate([np.linspace(-0.99, -0.01, 99), np.geomspace(1e-4, 1e4, 320)])
    grid.sort()
    m = np.arange(c.shape[1])
    disc = (1.0 + grid[:, None]) ** -m  # (grid, months)
    with np.errstate(all="ignore"):
        vals = c @ disc.T  # (rows, grid): NPV of every row at every grid rate
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
