"""FOCUS ``PricingUnit`` and the cost lines' driver units (docs/review.md, "Units").

A ``PricingUnit`` is an optional count and a unit name: ``1000000 Tokens``,
``1K tokens``, ``Tokens``, ``1 Month``, ``Requests``. The count is a number with an
optional ``K`` (10^3), ``M`` (10^6) or ``B`` (10^9); the name matches
case-insensitively, singular or plural. The quantity in a line's unit is
``PricingQuantity`` times the count, converted to the driver's unit:

=========================================== ======= ===================
driver                                      name    one driver unit is
=========================================== ======= ===================
``per_1k_input_tokens``, ``per_1k_output_tokens`` token   1,000 tokens
``per_request``                             request 1 request
``per_active_user``, ``per_new_user``       user    1 user
``fixed``                                   month   1 month
=========================================== ======= ===================

Any other pairing (``1 Hour`` of a GPU for a ``capacity`` line) needs the rule's
``quantity_scale``, which replaces the conversion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: driver -> (unit name, how many of that unit make one driver unit).
DRIVER_UNITS: dict[str, tuple[str, float]] = {
    "per_1k_input_tokens": ("token", 1000.0),
    "per_1k_output_tokens": ("token", 1000.0),
    "per_request": ("request", 1.0),
    "per_active_user": ("user", 1.0),
    "per_new_user": ("user", 1.0),
    "fixed": ("month", 1.0),
}
_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}
_UNIT = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*([KMB])?\s+)?([A-Za-z][A-Za-z ]*?)\s*$", re.I)


@dataclass(frozen=True)
class PricingUnit:
    """A parsed ``PricingUnit``: how many of which unit."""

    count: float
    name: str  # lower case, singular


def parse_unit(text: str | None) -> PricingUnit | None:
    """The count and unit name of a ``PricingUnit``, or None when it has no such form.

    >>> parse_unit("1000000 Tokens"), parse_unit("1K tokens").count, parse_unit("Requests")
    (PricingUnit(count=1000000.0, name='token'), 1000.0, PricingUnit(count=1.0, name='request'))
    >>> parse_unit("GB-Month") is None, parse_unit("1,000 Tokens") is None
    (True, True)
    """
    if text is None:
        return None
    m = _UNIT.match(text)
    if not m:
        return None
    count = float(m.group(1)) if m.group(1) else 1.0
    count *= _SUFFIX[(m.group(2) or "").upper()]
    name = " ".join(m.group(3).lower().split())
    if name.endswith("s"):
        name = name[:-1]
    return PricingUnit(count, name)


def factor(unit: str | None, driver: str) -> float | None:
    """Driver units per unit of ``PricingQuantity`` at ``unit``, or None when the unit
    cannot be converted to the driver's (then the rule needs a ``quantity_scale``).

    >>> factor("1000000 Tokens", "per_1k_input_tokens"), factor("1 Month", "fixed")
    (1000.0, 1.0)
    >>> factor("Hours", "capacity") is None, factor("Tokens", "per_request") is None
    (True, True)
    """
    want = DRIVER_UNITS.get(driver)
    got = parse_unit(unit)
    if want is None or got is None or got.name != want[0]:
        return None
    return got.count / want[1]


def conversion_text(unit: str, driver: str, f: float | None, scale: float | None) -> str:
    """How a unit was brought to the line's unit, for data quality.

    >>> conversion_text("1000000 Tokens", "per_1k_input_tokens", 1000.0, None)
    'x 1000 (1000000 Tokens = 1000 x 1k tokens)'
    >>> print(conversion_text("Hours", "capacity", None, 0.5))
    x 0.5 (the rule's quantity_scale)
    """
    if scale is not None:
        return f"x {scale:g} (the rule's quantity_scale)"
    names = {"token": "1k tokens", "request": "requests", "user": "users", "month": "months"}
    name = names.get(DRIVER_UNITS[driver][0], "") if driver in DRIVER_UNITS else ""
    return f"x {f:g} ({unit} = {f:g} x {name})"
