"""Cost lines: quantity, rate and amount per month (SCENARIO.md, "Cost lines").

========================  ===========================================================  ==================
driver                    quantity ``q(m)``                                            amount
========================  ===========================================================  ==================
``fixed``                 1                                                            ``rate`` per month
``one_time``              1 in month ``month`` (default 0), else 0                     ``rate`` once
``per_request``           ``requests(m)``                                              ``q * rate``
``per_1k_input_tokens``   ``input_tokens(m) / 1000``                                   ``q * rate``
``per_1k_output_tokens``  ``output_tokens(m) / 1000``                                  ``q * rate``
``per_active_user``       ``active_users(m)``                                          ``q * rate``
``per_new_user``          ``new_users(m)``                                             ``q * rate``
``fte``                   ``fte`` (a field of the line)                                ``q * rate / 12``
``per_retrain``           ``retrain(m)``                                               ``q * rate``
``capacity``              ``max(min_units, ceil(requests(m) / capacity_per_unit))``    ``q * rate``
========================  ===========================================================  ==================

Then ``amount(m) = 0`` outside ``from_month .. to_month``, and otherwise the amount
above times ``(1 + escalation_per_year)^(m/12)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineSpec:
    """One cost line as the deterministic run used it (point values).

    ``from_month`` and ``to_month`` are inclusive month indexes already clipped to
    ``0 .. H-1``. ``month`` is the month of a ``one_time`` line. ``fte``,
    ``capacity_per_unit`` and ``min_units`` are set only for the drivers that use them.
    """

    name: str
    category: str
    driver: str
    rate: float
    escalation_per_year: float
    from_month: int
    to_month: int
    month: int | None = None
    fte: float | None = None
    capacity_per_unit: float | None = None
    min_units: int | None = None


def quantity(
    line: LineSpec,
    drivers: dict[str, np.ndarray],
    fte: np.ndarray | None,
    capacity_per_unit: np.ndarray | None,
    shape: tuple[int, int],
) -> np.ndarray:
    """The quantity ``q(m)`` of a line's driver, shape ``(draws, months)``."""
    d = line.driver
    months = shape[1]
    if d == "fixed":
        return np.ones(shape)
    if d == "one_time":
        q = np.zeros(shape)
        if line.month is not None and line.month < months:
            q[:, line.month] = 1.0
        return q
    if d == "per_request":
        return np.broadcast_to(drivers["requests"], shape)
    if d == "per_1k_input_tokens":
        return np.broadcast_to(drivers["input_tokens"] / 1000.0, shape)
    if d == "per_1k_output_tokens":
        return np.broadcast_to(drivers["output_tokens"] / 1000.0, shape)
    if d == "per_active_user":
        return np.broadcast_to(drivers["active_users"], shape)
    if d == "per_new_user":
        return np.broadcast_to(drivers["new_users"], shape)
    if d == "fte":
        assert fte is not None
        return np.broadcast_to(fte, shape)
    if d == "per_retrain":
        return np.broadcast_to(drivers["retrain"], shape)
    if d == "capacity":
        assert capacity_per_unit is not None
        units = np.ceil(drivers["requests"] / capacity_per_unit)
        return np.broadcast_to(np.maximum(float(line.min_units or 0), units), shape)
    raise ValueError(f"unknown driver {d!r}")  # pragma: no cover - the schema refuses it


def escalation(escalation_per_year: np.ndarray, months: int) -> np.ndarray:
    """``(1 + escalation_per_year)^(m/12)`` for ``m = 0 .. months-1``."""
    return (1.0 + escalation_per_year) ** (np.arange(months) / 12.0)


def window(line: LineSpec, months: int) -> np.ndarray:
    """1 within ``from_month .. to_month`` (inclusive), else 0."""
    m = np.arange(months)
    return ((m >= line.from_month) & (m <= line.to_month)).astype(float)


def monthly_rate(
    line: LineSpec, rate: np.ndarray, escalation_per_year: np.ndarray, months: int
) -> np.ndarray:
    """The rate per unit of quantity in month ``m``: ``rate * (1+e)^(m/12)``, ``/ 12`` for ``fte``.

    So that ``amount(m) = q(m) * monthly_rate(m) * window(m)`` for every driver.
    """
    per = rate / 12.0 if line.driver == "fte" else rate
    return per * escalation(escalation_per_year, months)


def amount(q: np.ndarray, rate_m: np.ndarray, line: LineSpec) -> np.ndarray:
    """``amount(m) = q(m) * rate * (1 + escalation_per_year)^(m/12)`` within the window, else 0."""
    return q * rate_m * window(line, q.shape[1])
