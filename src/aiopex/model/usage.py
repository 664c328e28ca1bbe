"""Usage drivers: who uses the system and how much (docs/formulas.md#usage).

Every function works on arrays: parameters of shape ``(draws, 1)`` broadcast
against month indexes of shape ``(months,)`` into ``(draws, months)``.
"""

from __future__ import annotations

import numpy as np

from aiopex.model import Floats


def adopt(k: Floats, ceiling: Floats, midpoint: Floats, steepness: Floats) -> Floats:
    """Share of people with access who use the system ``k`` months after access.

    ``adopt(k) = ceiling / (1 + exp(-steepness * (k - midpoint_months)))`` for
    ``k >= 0`` (``k = 0`` is the access month), 0 for ``k < 0``.

    Examples
    --------
    >>> float(adopt(np.array(3), np.array(0.8), np.array(3.0), np.array(1.0)))
    0.4
    """
    with np.errstate(over="ignore"):
        a = ceiling / (1.0 + np.exp(-steepness * (k - midpoint)))
    return np.where(k >= 0, a, 0.0)


def active_users(
    population: Floats,
    waves: list[tuple[int, float]],
    ceiling: Floats,
    midpoint: Floats,
    steepness: Floats,
    months: int,
) -> Floats:
    """Active users per month.

    ``active_users(m) = sum_w population * (share_w - share_{w-1}) * adopt(m - a_w)``,
    wave ``w`` giving access at month ``a_w`` (``share_{-1} = 0``).
    """
    m = np.arange(months, dtype=float)
    out: Floats = np.zeros(np.broadcast_shapes(np.shape(population), (1, months)))
    prev = 0.0
    for month, share in waves:
        out = out + population * (share - prev) * adopt(m - month, ceiling, midpoint, steepness)
        prev = share
    return out


def new_users(active: Floats) -> Floats:
    """``new_users(m) = max(active_users(m) - active_users(m-1), 0)``, ``active_users(-1) = 0``."""
    return np.maximum(np.diff(active, axis=-1, prepend=0.0), 0.0)


def seasonal_factors(seasonality: list[float] | None, start_month: int, months: int) -> Floats:
    """``seasonality[calendar month of m]`` for each month; ``start_month`` is 1..12."""
    if seasonality is None:
        return np.ones(months)
    s = np.asarray(seasonality, dtype=float)
    return s[(start_month - 1 + np.arange(months)) % 12]


def items(
    active: Floats,
    items_per_user_month: Floats,
    growth_per_year: Floats,
    seasonal: Floats,
) -> Floats:
    """Eligible work items per month.

    ``items(m) = active_users(m) * items_per_user_month * (1 + growth_per_year)^(m/12)
    * seasonality[calendar month of m]``
    """
    m = np.arange(active.shape[-1])
    return active * items_per_user_month * (1.0 + growth_per_year) ** (m / 12.0) * seasonal


def requests(items_: Floats, bypass_rate: Floats) -> Floats:
    """``requests(m) = items(m) * (1 - bypass_rate)``: the items the system handles."""
    return items_ * (1.0 - bypass_rate)


def tokens(requests_: Floats, per_item: Floats) -> Floats:
    """``input_tokens(m) = requests(m) * tokens_per_item.input``, likewise output tokens."""
    return requests_ * per_item
