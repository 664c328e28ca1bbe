"""Cost lines: quantity, rate and amount per month (docs/formulas.md#costs).

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

``ceil`` ignores float noise below ``1e-9`` relative (:func:`ceil_units`).

Then ``amount(m) = 0`` outside ``from_month .. to_month``, and otherwise the amount
above times ``(1 + escalation_per_year)^(m/12)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.model import Floats
from aiopex.names import LINE_DEFAULTS


@dataclass(frozen=True)
class LineSpec:
    """One cost line as the deterministic run used it (point values).

    ``from_month`` and ``to_month`` are inclusive month indexes already clipped to
    ``0 .. H-1``. ``month`` is the month of a ``one_time`` line. ``fte``,
    ``capacity_per_unit`` and ``min_units`` are set only for the drivers that use them.
    A commitment's own line has driver ``commitment``, rate ``C``, its term as months,
    ``covers`` and ``discount`` (:mod:`aiopex.model.commitments`).
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
    covers: tuple[str, ...] = ()
    discount: float | None = None

    def __post_init__(self) -> None:  # a saved result gives a list
        object.__setattr__(self, "covers", tuple(self.covers))


def line_spec(line: Any, horizon: int, point: Callable[[Any], float]) -> LineSpec:
    """A scenario's cost line as a :class:`LineSpec`: the one place its defaults apply.

    ``point`` gives the point value of a *(u)* field. Defaults
    (:data:`aiopex.names.LINE_DEFAULTS`): ``escalation_per_year`` 0, ``from_month`` 0,
    ``to_month`` H-1 (and cut at H-1), ``month`` 0 for ``one_time``, ``min_units`` 1 for
    ``capacity``.
    """

    def get(field: str) -> Any:
        v = getattr(line, field, None)
        return LINE_DEFAULTS[field] if v is None else v

    fields = DRIVERS[line.driver].fields
    return LineSpec(
        name=line.name,
        category=line.category,
        driver=line.driver,
        rate=point(line.rate),
        escalation_per_year=point(get("escalation_per_year")),
        from_month=int(get("from_month")),
        to_month=min(line.to_month, horizon - 1) if line.to_month is not None else horizon - 1,
        month=int(get("month")) if "month" in fields else None,
        fte=point(line.fte) if line.fte is not None else None,
        capacity_per_unit=(
            point(line.capacity_per_unit) if line.capacity_per_unit is not None else None
        ),
        min_units=int(get("min_units")) if "min_units" in fields else None,
    )


@dataclass(frozen=True)
class Driver:
    """One cost driver: the one place that says how it works.

    Attributes
    ----------
    name : str
        As written in a scenario's ``driver:``.
    quantity : callable
        ``quantity(line, drivers, fte, capacity_per_unit, shape)`` -> ``q(m)``, shape
        ``(draws, months)``; ``drivers`` holds the monthly driver series.
    excel : str
        The workbook formula of ``q(m) * rate``, with placeholders ``{rate}``,
        ``{fte}``, ``{month}`` (the line's fields on ``Inputs``), ``{m}`` (the month
        index cell) and ``{series}`` (the ``Drivers`` cell of :attr:`series` that
        month, or of the line's capacity units).
    unit : str
        What one unit of quantity is.
    scales_with : str
        ``requests``, ``users`` or ``none``: what the quantity follows.
    series : str or None
        The monthly driver series the quantity reads (``None``: none).
    fields : tuple of str
        The line fields the driver needs besides ``rate`` and the months.
    annual_rate : bool
        The line's ``rate`` is per year (monthly rate ``rate / 12``).
    """

    name: str
    quantity: Callable[..., Floats]
    excel: str
    unit: str
    scales_with: str
    series: str | None = None
    fields: tuple[str, ...] = ()
    annual_rate: bool = False


def _one_time(line: LineSpec, drivers: Any, fte: Any, cap: Any, shape: tuple[int, int]) -> Floats:
    q = np.zeros(shape)
    if line.month is not None and line.month < shape[1]:
        q[:, line.month] = 1.0
    return q


def _series(name: str, divisor: float = 1.0) -> Callable[..., Floats]:
    def q(line: LineSpec, drivers: Any, fte: Any, cap: Any, shape: tuple[int, int]) -> Floats:
        x = drivers[name] if divisor == 1.0 else drivers[name] / divisor
        return np.broadcast_to(x, shape)

    return q


def _fte(line: LineSpec, drivers: Any, fte: Any, cap: Any, shape: tuple[int, int]) -> Floats:
    assert fte is not None
    return np.broadcast_to(fte, shape)


def _capacity(line: LineSpec, drivers: Any, fte: Any, cap: Any, shape: tuple[int, int]) -> Floats:
    assert cap is not None and line.min_units is not None  # line_spec sets both
    units = ceil_units(drivers["requests"] / cap)
    return np.broadcast_to(np.maximum(float(line.min_units), units), shape)


_LIST = (
    Driver("fixed", lambda ln, d, f, c, shape: np.ones(shape), "{rate}", "month", "none"),
    Driver("one_time", _one_time, "IF({m}={month},{rate},0)", "once", "none", fields=("month",)),
    Driver(
        "per_request",
        _series("requests"),
        "{series}*{rate}",
        "request",
        "requests",
        "requests",
    ),
    Driver(
        "per_1k_input_tokens",
        _series("input_tokens", 1000.0),
        "{series}/tokens_per_1k*{rate}",
        "1,000 input tokens",
        "requests",
        "input_tokens",
    ),
    Driver(
        "per_1k_output_tokens",
        _series("output_tokens", 1000.0),
        "{series}/tokens_per_1k*{rate}",
        "1,000 output tokens",
        "requests",
        "output_tokens",
    ),
    Driver(
        "per_active_user",
        _series("active_users"),
        "{series}*{rate}",
        "active user",
        "users",
        "active_users",
    ),
    Driver(
        "per_new_user", _series("new_users"), "{series}*{rate}", "new user", "users", "new_users"
    ),
    Driver(
        "fte",
        _fte,
        "{fte}*{rate}/months_per_year",
        "FTE (rate per year)",
        "none",
        fields=("fte",),
        annual_rate=True,
    ),
    Driver("per_retrain", _series("retrain"), "{series}*{rate}", "retraining", "none", "retrain"),
    Driver(
        "capacity",
        _capacity,
        "{series}*{rate}",
        "capacity unit",
        "requests",
        "capacity_units",
        fields=("capacity_per_unit", "min_units"),
    ),
)

#: Every cost driver by name, in the order of docs/scenario.md#costs (:data:`aiopex.names.DRIVERS`).
DRIVERS: dict[str, Driver] = {d.name: d for d in _LIST}


def quantity(
    line: LineSpec,
    drivers: dict[str, Floats],
    fte: Floats | None,
    capacity_per_unit: Floats | None,
    shape: tuple[int, int],
) -> Floats:
    """The quantity ``q(m)`` of a line's driver, shape ``(draws, months)`` (see :data:`DRIVERS`)."""
    try:
        d = DRIVERS[line.driver]
    except KeyError:  # pragma: no cover - the schema refuses it
        raise ValueError(f"unknown driver {line.driver!r}") from None
    return d.quantity(line, drivers, fte, capacity_per_unit, shape)


#: Relative float noise ignored when rounding capacity units up.
CEIL_TOLERANCE = 1e-9


def ceil_units(x: Floats) -> Floats:
    """Units needed for a load of ``x`` units: ``ceil(x - 1e-9 * |x|)``.

    ``ceil`` that ignores float noise below ``1e-9`` relative: 30000.000000000004
    requests at 10000 per unit need 3 units, not 4. The workbook uses the same rule,
    ``CEILING.MATH(x - 1E-9*ABS(x))``.

    Examples
    --------
    >>> ceil_units(np.array([30000.000000000004 / 10000, 3.01, 0.0, 2.0])).tolist()
    [3.0, 4.0, 0.0, 2.0]
    """
    return np.ceil(x - CEIL_TOLERANCE * np.abs(x))


def escalation(escalation_per_year: Floats, months: int) -> Floats:
    """``(1 + escalation_per_year)^(m/12)`` for ``m = 0 .. months-1``."""
    return (1.0 + escalation_per_year) ** (np.arange(months) / 12.0)


def window(line: LineSpec, months: int) -> Floats:
    """1 within ``from_month .. to_month`` (inclusive), else 0."""
    m = np.arange(months)
    return ((m >= line.from_month) & (m <= line.to_month)).astype(float)


def monthly_rate(line: LineSpec, rate: Floats, escalation_per_year: Floats, months: int) -> Floats:
    """The rate per unit of quantity in month ``m``: ``rate * (1+e)^(m/12)``, ``/ 12`` for ``fte``.

    So that ``amount(m) = q(m) * monthly_rate(m) * window(m)`` for every driver.
    """
    per = rate / 12.0 if DRIVERS[line.driver].annual_rate else rate
    return per * escalation(escalation_per_year, months)


def amount(q: Floats, rate_m: Floats, line: LineSpec) -> Floats:
    """``amount(m) = q(m) * rate * (1 + escalation_per_year)^(m/12)`` within the window, else 0."""
    return q * rate_m * window(line, q.shape[1])
