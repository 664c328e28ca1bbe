"""Percentiles over Monte Carlo draws: numpy's numbers, computed by sorting.

:func:`percentiles` returns exactly what ``numpy.percentile(a, q, axis, method=...)``
returns for the ``linear`` (numpy's default) and ``lower`` methods, the two the
outputs use (docs/formulas.md, "Ranges"): the ``k``-th smallest value and, for
``linear``, the interpolation between two neighbours with numpy's formula. It sorts
the draws once instead of selecting each rank apart, which is 2 to 4 times faster
on ``(draws, months)`` arrays. A slice holding a NaN gives NaN, as numpy's does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aiopex.model import Floats

#: The band a review judges an actual against, and a fan's outer bounds: P10 and P90.
BAND: tuple[int, int] = (10, 90)
#: A fan: P10, the median, P90.
FAN: tuple[int, int, int] = (10, 50, 90)


def band_bounds(draws: Floats) -> tuple[float, float]:
    """``(P10, P90)`` of one total's draws (:data:`BAND`, linear percentiles).

    >>> [round(x, 9) for x in band_bounds(np.arange(1.0, 101.0))]
    [10.9, 90.1]
    """
    lo, hi = percentiles(np.asarray(draws, dtype=float), BAND)
    return float(lo), float(hi)


def percentiles(
    a: Floats, q: Sequence[float] | Floats, axis: int = 0, method: str = "linear"
) -> Floats:
    """``numpy.percentile(a, q, axis=axis, method=method)``, the same numbers.

    Parameters
    ----------
    a : ndarray
        Values; ``axis`` runs over the draws.
    q : sequence of float
        Percentiles, 0 to 100.
    axis : int
        The axis of the draws.
    method : {"linear", "lower"}
        ``linear``: with ``v = (n - 1) q / 100``, the ``floor(v)``-th smallest value
        moved toward the next by ``v - floor(v)``; ``lower``: the ``floor(v)``-th.

    Returns
    -------
    ndarray
        Shape ``(len(q),) + a.shape`` without ``axis``.

    Examples
    --------
    >>> x = np.array([[4.0, 1.0], [1.0, 2.0], [3.0, 3.0], [2.0, 4.0]])
    >>> percentiles(x, [10, 50], axis=0).tolist()
    [[1.3, 1.3], [2.5, 2.5]]
    >>> percentiles(x, [10, 50], axis=0, method="lower").tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    """
    a = np.asarray(a, dtype=float)
    n = a.shape[axis]
    if n == 0 or method not in ("linear", "lower"):
        return np.asarray(np.percentile(a, q, axis=axis, method=method))  # type: ignore[call-overload]
    s = np.moveaxis(np.sort(a, axis=axis), axis, 0)  # NaN sorts last
    qs = np.true_divide(np.asarray(q, dtype=float), 100)
    virtual = (n - 1) * qs
    if method == "lower":
        out = s[np.floor(virtual).astype(np.intp)]
    else:
        prev = np.floor(virtual)
        nxt = prev + 1
        above = virtual >= n - 1
        prev[above] = -1
        nxt[above] = -1
        below = virtual < 0
        prev[below] = 0
        nxt[below] = 0
        prev_i, next_i = prev.astype(np.intp), nxt.astype(np.intp)
        gamma = (virtual - prev_i).reshape(virtual.shape + (1,) * (s.ndim - 1))
        lo, hi = s[prev_i], s[next_i]
        diff = hi - lo
        out = lo + diff * gamma
        np.subtract(hi, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    nan = np.isnan(s[-1])
    if nan.any():
        out[..., nan] = np.nan
    return np.asarray(out)
