"""Finance metrics with Excel's conventions (docs/formulas.md#finance).

Cash flows are at month end; every function works on ``(draws, months)`` arrays
and returns one value per draw.

Warnings
--------
Excel's ``NPV`` discounts the first cash flow (``net_0 / (1 + r)``), unlike
``numpy_financial.npv``. aiopex follows Excel, so the workbook's ``=NPV()`` and the
package agree to the cent.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import numpy as np

from aiopex.model import Floats


def monthly_rate(discount_rate: Floats | float) -> Floats:
    """``r = (1 + discount_rate)^(1/12) - 1``: the monthly rate of an annual effective rate.

    Examples
    --------
    >>> round(float(monthly_rate(0.10)), 8)
    0.00797414
    """
    return (1.0 + np.asarray(discount_rate, dtype=float)) ** (1.0 / 12.0) - 1.0


def npv(net: Floats, discount_rate: Floats | float) -> Floats:
    """``NPV = sum_m net(m) / (1 + r)^(m+1)``, exactly Excel's ``=NPV(r, net_0 .. net_{H-1})``.

    Examples
    --------
    >>> round(float(npv(np.array([[110.0]]), (1.1 ** 12) - 1)[0]), 9)  # one month at 10% a month
    100.0
    """
    net = np.atleast_2d(net)
    r = np.reshape(monthly_rate(discount_rate), (-1, 1))
    m = np.arange(net.shape[1])
    out: Floats = (net / (1.0 + r) ** (m + 1)).sum(axis=1)
    return out


#: Rates (monthly) scanned for sign changes of the NPV: 0, and from 1e-6 to 0.999999 below
#: zero and to 1e4 above it, geometrically spaced (about 10% apart).
_GRID_NEG = -np.geomspace(1e-6, 1 - 1e-6, 150)[::-1]
_GRID_POS = np.geomspace(1e-6, 1e4, 220)
IRR_GRID = np.concatenate([_GRID_NEG, [0.0], _GRID_POS])
_ZERO = _GRID_NEG.size


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries, inspected once a process."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Within the block, BLAS runs on one thread (threadpoolctl); restored on leaving."""
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


@functools.lru_cache(maxsize=16)
def _grid_powers(H: int) -> Floats:
    """``(grid, H)``: ``(1+g)^(H-1-m)`` below zero, ``(1+g)^-m`` from zero up, so that
    ``flows @ powers.T`` has the sign of the NPV at every grid rate; powers below 1e-250
    are set to 0 (subnormal numbers slow matrix products down a hundredfold)."""
    g = IRR_GRID[:, None]
    m = np.arange(H)[None, :]
    with np.errstate(all="ignore"):
        pw = np.where(g < 0, (1.0 + g) ** (H - 1 - m), (1.0 + g) ** -m)
    pw[pw < 1e-250] = 0.0
    pw.setflags(write=False)
    return pw


def _scaled_npv(c: Floats, x: Floats, K: Floats) -> tuple[Floats, Floats]:
    """``h(x) = sum_m c_m (1+x)^(K-m)`` and ``h'(x)`` per row: the NPV at rate ``x`` times
    ``(1+x)^K``, the same sign; ``K = H-1`` below zero keeps every power <= 1."""
    H = c.shape[1]
    e = K[:, None] - np.arange(H)[None, :]
    lx = np.log1p(x)[:, None]
    pw = np.exp(e * lx)
    h = np.einsum("ij,ij->i", c, pw)
    dh = np.einsum("ij,ij->i", c * e, pw) / (1.0 + x)
    return h, dh


def irr(net: Floats) -> Floats:
    """Monthly IRR of each row of ``net``: the root closest to zero; NaN where none.

    Solves ``sum_m net(m) / (1 + x)^m = 0`` for ``x > -1``. Cash flows may have several
    such roots (one per sign change, at most); aiopex returns **the root closest to zero**
    (as ``numpy_financial.irr`` does), so the answer does not depend on a starting guess.
    Rows whose flows never change sign have no IRR (NaN), as do rows whose NPV changes sign
    at no monthly rate in ``(-0.999999, 10000)``.

    Method, vectorized over rows: the NPV's sign on the grid :data:`IRR_GRID` (0, then
    about 10% apart out to -0.999999 and 10000); the sign change nearest zero on each side
    brackets a root, which safeguarded Newton (bisection when a step leaves the bracket)
    refines to 1e-14 relative; the one of the two with the smaller ``|x|`` is returned.
    Two roots closer together than the grid's spacing cancel out (no sign change between
    grid points) and are missed: flows whose NPV touches zero without crossing it.

    Warnings
    --------
    Excel's ``IRR`` runs Newton's method from a guess (10%) and may return another root
    when there are several.

    Examples
    --------
    >>> round(float(irr(np.array([[-100.0, 60.0, 60.0]]))[0]), 6)
    0.130662
    >>> bool(np.isnan(irr(np.array([[100.0, 50.0]]))[0]))
    True
    >>> round(float(irr(np.array([[-100.0, 230.0, -132.0]]))[0]), 6)  # roots 10% and 20%
    0.1
    """
    net = np.atleast_2d(np.asarray(net, dtype=float))
    D, H = net.shape
    out = np.full(D, np.nan)
    exists = (net > 0).any(axis=1) & (net < 0).any(axis=1)
    if not exists.any():
        return out
    rows = np.flatnonzero(exists)
    c = net[rows]
    g = IRR_GRID
    with np.errstate(all="ignore"), single_threaded_blas():
        # a BLAS matrix product on one thread (several threads on a busy machine are
        # up to 1000x slower on products this small)
        v = c @ _grid_powers(H).T
    pos, neg, zero = v > 0, v < 0, v == 0  # the NPV's sign at each grid rate
    change = (pos[:, :-1] & neg[:, 1:]) | (neg[:, :-1] & pos[:, 1:])
    pos_event = change[:, _ZERO:] | zero[:, _ZERO + 1 :]  # cells [g_j, g_j+1], j >= zero
    neg_event = change[:, :_ZERO] | zero[:, :_ZERO]  # cells j < zero
    best = np.full(rows.size, np.nan)
    at_zero = zero[:, _ZERO]
    best[at_zero] = 0.0
    cand = []
    has_pos = pos_event.any(axis=1) & ~at_zero
    j_pos = _ZERO + np.argmax(pos_event, axis=1)
    cand.append((np.flatnonzero(has_pos), j_pos, 0))
    has_neg = neg_event.any(axis=1) & ~at_zero
    j_neg = _ZERO - 1 - np.argmax(neg_event[:, ::-1], axis=1)
    cand.append((np.flatnonzero(has_neg), j_neg, H - 1))
    for idx, j, K in cand:
        if idx.size == 0:
            continue
        root = _refine(c[idx], g[j[idx]], g[j[idx] + 1], K)
        cur = best[idx]
        better = np.isnan(cur) | (np.abs(root) < np.abs(cur))
        best[idx] = np.where(better, root, cur)
    out[rows] = best
    return out


def _refine(c: Floats, lo: Floats, hi: Floats, K: int, max_iter: int = 200) -> Floats:
    """The root of ``sum c_m (1+x)^(K-m)`` in ``[lo, hi]`` (a sign change), per row:
    Newton's method, falling back to bisection whenever a step leaves the bracket."""
    n = c.shape[0]
    Kv = np.full(n, float(K))
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    with np.errstate(all="ignore"):
        f_lo, _ = _scaled_npv(c, lo, Kv)
        f_hi, _ = _scaled_npv(c, hi, Kv)
    x = np.where(f_lo == 0, lo, np.where(f_hi == 0, hi, (lo + hi) / 2))
    s_lo = np.sign(f_lo)
    active = np.flatnonzero((f_lo != 0) & (f_hi != 0))
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            if active.size == 0:
                break
            xa = x[active]
            f, df = _scaled_npv(c[active], xa, Kv[active])
            same = np.sign(f) == s_lo[active]
            lo[active] = np.where(same, xa, lo[active])
            hi[active] = np.where(same, hi[active], xa)
            la, ha = lo[active], hi[active]
            step = f / df
            xn = xa - step
            tol = 1e-14 * np.maximum(1.0, np.abs(xa))
            bad = ~np.isfinite(xn) | (xn < la) | (xn > ha)
            converged = (f == 0) | (~bad & (np.abs(step) <= tol))
            xn = np.where(bad, (la + ha) / 2, xn)
            done = converged | ((ha - la) <= tol)
            x[active] = np.where(f == 0, xa, xn)
            active = active[~done]
    return x


def irr_annual(net: Floats) -> Floats:
    """``irr_annual = (1 + IRR of net(m))^12 - 1``; NaN where the flows have no IRR.

    The monthly IRR is the root closest to zero (:func:`irr`).
    """
    return (1.0 + irr(net)) ** 12 - 1.0


def mirr(net: Floats, discount_rate: Floats | float) -> Floats:
    """Monthly MIRR of each row of ``net``, as Excel's ``MIRR(values, r, r)`` with ``r`` the
    monthly discount rate as both the finance and the reinvestment rate.

    With ``n`` months, the positive flows compounded to the last month at ``r`` and the
    negative flows discounted to month 0 at ``r``:

    ``MIRR = (sum_{net>0} net(m) (1+r)^(n-1-m) / -sum_{net<0} net(m) (1+r)^-m)^(1/(n-1)) - 1``

    which is Excel's ``(-NPV(r, positives) * (1+r)^n / (NPV(r, negatives) * (1+r)))^(1/(n-1))
    - 1``. NaN (Excel's ``#DIV/0!``) where there is no positive or no negative flow, or
    only one month.

    Examples
    --------
    >>> r = (1.1 ** 12) - 1  # 10% a month
    >>> round(float(mirr(np.array([[-100.0, 0.0, 121.0]]), r)[0]), 9)  # 121 / 100 over 2 months
    0.1
    >>> bool(np.isnan(mirr(np.array([[100.0, 50.0]]), 0.1)[0]))
    True
    """
    net = np.atleast_2d(np.asarray(net, dtype=float))
    D, n = net.shape
    r = np.reshape(monthly_rate(discount_rate), (-1, 1))
    m = np.arange(n)
    pos = np.where(net > 0, net, 0.0)
    neg = np.where(net < 0, net, 0.0)
    with np.errstate(all="ignore"):
        fv_pos = (pos * (1.0 + r) ** (n - 1 - m)).sum(axis=1)
        pv_neg = (neg * (1.0 + r) ** -m).sum(axis=1)
        out = (fv_pos / -pv_neg) ** (1.0 / (n - 1)) - 1.0 if n > 1 else np.full(D, np.nan)
    ok = (net > 0).any(axis=1) & (net < 0).any(axis=1) & (n > 1)
    return np.where(ok, out, np.nan)


def mirr_annual(net: Floats, discount_rate: Floats | float) -> Floats:
    """``mirr_annual = (1 + MIRR of net(m))^12 - 1`` (:func:`mirr`); NaN where undefined."""
    return (1.0 + mirr(net, discount_rate)) ** 12 - 1.0


def payback_month(net: Floats) -> Floats:
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
