"""One formatter for money, shares, counts and metrics in text (CLI, HTML, charts).

``None`` and NaN print as ``n/a``; a payback percentile that is ``None`` lies beyond
the horizon (docs/ranges.md#monte-carlo).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aiopex.metrics import metric as _metric

NA = "n/a"
BEYOND = "beyond the horizon"

#: Currency symbols for compact chart labels; other currencies print their code.
SYMBOLS = {
    "USD": "$",
    "AUD": "A$",
    "CAD": "C$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CHF": "CHF ",
}


def missing(value: Any) -> bool:
    """``True`` for ``None`` and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency: str, decimals: int = 0) -> str:
    """``USD 43,917``; ``n/a`` for ``None`` or NaN.

    Examples
    --------
    >>> money(43916.6, "USD"), money(-0.4612, "EUR", 2), money(None, "USD")
    ('USD 43,917', 'EUR -0.46', 'n/a')
    >>> money(-0.3, "USD")  # no minus sign on an amount shown as zero
    'USD 0'
    """
    if value is None or missing(value):
        return NA
    return f"{currency} {_unsigned_zero(value, decimals):,.{decimals}f}"


def _unsigned_zero(value: float, decimals: int) -> float:
    """``value``, or ``0.0`` where it rounds to zero at ``decimals`` (no ``-0``)."""
    return 0.0 if round(value, decimals) == 0 else value


def signed_money(value: float, currency: str) -> str:
    """``USD +900``, ``USD -6,816``: a step of a bridge (``USD +0`` where it rounds to 0)."""
    return f"{currency} {_unsigned_zero(value, 0):+,.0f}"


def compact_money(value: float, currency: str) -> str:
    """``$1.2M``, ``€850k``, ``SEK 12k``: money for chart axes and labels.

    >>> compact_money(1_234_567, "USD"), compact_money(-850_000, "EUR"), compact_money(12, "")
    ('$1.2M', '-€850k', '12')
    """
    sym = SYMBOLS.get(currency, f"{currency} " if currency else "")
    sign = "-" if value <= -0.5 else ""
    v = abs(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            digits = 1 if v < 10 * div else 0
            return f"{sign}{sym}{v / div:,.{digits}f}{suffix}"
    return f"{sign}{sym}{v:,.0f}"


def share(value: float | None, decimals: int = 1) -> str:
    """``12.3%``; ``n/a`` for ``None`` or NaN.

    >>> share(0.1234), share(0.5, 0), share(None)
    ('12.3%', '50%', 'n/a')
    """
    return NA if missing(value) else f"{value:.{decimals}%}"


def count(value: float | None) -> str:
    """``1,234``: a whole number of things."""
    return NA if missing(value) else f"{value:,.0f}"


def number(value: Any) -> str:
    """A plain number: 4 significant digits below 100, else whole with separators."""
    if missing(value):
        return NA
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def payback(month: float | None, months: Sequence[str] | None, percentile: bool = False) -> str:
    """``month 11 (2027-12)``; no payback is ``not within H months`` (``not within the
    horizon`` when the months are not given), or for a percentile ``beyond the horizon``.

    >>> payback(1, ["2027-01", "2027-02"]), payback(None, ["2027-01"], percentile=True)
    ('month 1 (2027-02)', 'beyond the horizon')
    >>> payback(None, ["2027-01", "2027-02"]), payback(3, None)
    ('not within 2 months', 'month 3')
    """
    if month is None or missing(month):
        if percentile:
            return BEYOND
        return f"not within {len(months)} months" if months else "not within the horizon"
    m = int(round(month))
    label = months[m] if months is not None and 0 <= m < len(months) else ""
    return f"month {m} ({label})" if label else f"month {m}"


#: Metrics whose missing value means "there is none" (no IRR exists), not "not known".
NONE_WHEN_MISSING = frozenset({"irr_annual", "mirr_annual"})


def metric_value(
    name: str,
    value: Any,
    currency: str,
    months: Sequence[str] | None = None,
    percentile: bool = False,
) -> str:
    """A metric's value as text, by its kind and decimals in :mod:`aiopex.metrics`: the one
    rule of every output (CLI, HTML reports, notebooks).

    A missing value (``None`` or NaN) reads as what it means for that metric: no payback
    within the horizon (``beyond the horizon`` for a percentile), ``none`` for an IRR or
    MIRR that does not exist, ``n/a`` otherwise.

    Examples
    --------
    >>> metric_value("npv", 1234.5, "USD"), metric_value("roi", 0.25, "USD")
    ('USD 1,234', '25.0%')
    >>> metric_value("cost_per_request", 0.52481, "USD"), metric_value("retrains", 5.0, "USD")
    ('USD 0.5248', '5')
    >>> metric_value("absorbed_share", 0.254, "USD"), metric_value("npv", None, "USD")
    ('25%', 'n/a')
    >>> metric_value("payback_month", 11, "USD", ["2027-%02d" % m for m in range(1, 13)])
    'month 11 (2027-12)'
    >>> metric_value("payback_month", None, "USD", percentile=True)
    'beyond the horizon'
    >>> metric_value("irr_annual", None, "USD")
    'none'
    """
    kind = _metric(name)
    if kind.kind == "month":
        return payback(value, months, percentile)
    if missing(value):
        return "none" if kind.name in NONE_WHEN_MISSING else NA
    if kind.kind == "money":
        decimals = kind.decimals if abs(value) < 1 else min(kind.decimals, 2)
        return money(value, currency, decimals)
    if kind.kind == "share":
        return share(value, kind.decimals)
    if kind.kind == "count":
        return count(value)
    if kind.kind == "multiple":
        return f"{value:.{kind.decimals}f}x"
    return number(value)  # pragma: no cover - every kind is above


def unique_labels(names: Sequence[str]) -> list[str]:
    """Names made unique for column labels: the second ``a`` is ``a (2)``.

    >>> unique_labels(["base", "downside", "base"])
    ['base', 'downside', 'base (2)']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen[name] = seen.get(name, 0) + 1
        out.append(name if n == 1 else f"{name} ({n})")
    return out
