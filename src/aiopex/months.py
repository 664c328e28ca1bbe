"""Months, quarters and fiscal years: the one place for month arithmetic.

A month is a ``"YYYY-MM"`` string; month ``m`` of a forecast is ``start`` plus
``m`` months. A fiscal year starts in month ``fiscal_year_start`` (1-12,
``finance.fiscal_year_start``) and is named by the calendar year in which it
ends: with ``fiscal_year_start: 4``, FY2028 is 2027-04 .. 2028-03; with 1, FY2027
is the calendar year 2027 (docs/formulas.md#finance).
"""

from __future__ import annotations

import datetime as dt
import re

#: A month as users type it: ASCII digits only (``\\d`` would take full-width ones).
MONTH_TEXT = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")

#: Months the run-rate averages over, at most (``run_rate_monthly``, docs/formulas.md#finance).
RUN_RATE_MONTHS = 12


def parse(text: object) -> str | None:
    """``text`` as a month ``"YYYY-MM"`` (surrounding spaces removed), or ``None``.

    ASCII digits only, and nothing else in the text: a newline or full-width digits
    would end up in folder names and reports.

    >>> parse(" 2027-03 "), parse("2027-13"), parse("2026-12\\n2"), parse("２０２７-01")
    ('2027-03', None, None, None)
    """
    if not isinstance(text, str):
        return None
    t = text.strip(" \t")
    return t if MONTH_TEXT.fullmatch(t) else None


def parts(month: str) -> tuple[int, int]:
    """``(year, month 1-12)`` of ``"YYYY-MM"``.

    >>> parts("2027-04")
    (2027, 4)
    """
    return int(month[:4]), int(month[5:7])


def add(month: str, k: int) -> str:
    """``month`` plus ``k`` months (``k`` may be negative).

    >>> add("2027-11", 3), add("2027-01", -1)
    ('2028-02', '2026-12')
    """
    y, m = parts(month)
    n = y * 12 + m - 1 + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def diff(first: str, last: str) -> int:
    """Months from ``first`` to ``last`` (``add(first, diff(first, last)) == last``).

    >>> diff("2027-11", "2028-02")
    3
    """
    (y0, m0), (y1, m1) = parts(first), parts(last)
    return (y1 - y0) * 12 + m1 - m0


def labels(start: str, n: int) -> list[str]:
    """The labels of months ``m = 0 .. n-1`` of a forecast starting at ``start``.

    >>> labels("2027-11", 3)
    ['2027-11', '2027-12', '2028-01']
    """
    return [add(start, k) for k in range(n)]


def month_range(first: str, last: str) -> list[str]:
    """Months ``first .. last`` inclusive.

    >>> month_range("2027-11", "2028-02")
    ['2027-11', '2027-12', '2028-01', '2028-02']
    """
    return labels(first, diff(first, last) + 1)


def first_day(month: str) -> dt.date:
    """The first day of ``month``, for spreadsheets and charts.

    >>> first_day("2027-04")
    datetime.date(2027, 4, 1)
    """
    y, m = parts(month)
    return dt.date(y, m, 1)


def quarter(month: str) -> str:
    """The calendar quarter of ``month``: ``"2027-Q2"``.

    >>> quarter("2027-04")
    '2027-Q2'
    """
    y, m = parts(month)
    return f"{y}-Q{(m - 1) // 3 + 1}"


def fiscal_year(month: str, fiscal_year_start: int = 1) -> int:
    """The fiscal year holding ``month``, named by the calendar year it ends in.

    >>> fiscal_year("2027-04", 4), fiscal_year("2027-03", 4), fiscal_year("2027-12", 1)
    (2028, 2027, 2027)
    """
    y, m = parts(month)
    return y + 1 if fiscal_year_start > 1 and m >= fiscal_year_start else y


def fiscal_quarter(month: str, fiscal_year_start: int = 1) -> str:
    """The fiscal quarter of ``month``: ``"FY2028-Q1"``.

    >>> fiscal_quarter("2027-04", 4), fiscal_quarter("2028-03", 4)
    ('FY2028-Q1', 'FY2028-Q4')
    """
    _, m = parts(month)
    q = (m - fiscal_year_start) % 12 // 3 + 1
    return f"FY{fiscal_year(month, fiscal_year_start)}-Q{q}"


def fiscal_year_months(fy: int, fiscal_year_start: int = 1) -> list[str]:
    """The twelve months of fiscal year ``fy``.

    >>> fiscal_year_months(2028, 4)[0], fiscal_year_months(2028, 4)[-1]
    ('2027-04', '2028-03')
    """
    y = fy if fiscal_year_start == 1 else fy - 1
    return labels(f"{y:04d}-{fiscal_year_start:02d}", 12)


def run_rate_window(horizon: int) -> slice:
    """The months the run-rate averages over: the last ``min(12, H)``.

    >>> run_rate_window(36), run_rate_window(5)
    (slice(24, 36, None), slice(0, 5, None))
    """
    return slice(horizon - run_rate_months(horizon), horizon)


def run_rate_months(horizon: int) -> int:
    """How many months the run-rate averages over: ``min(12, H)``."""
    return min(RUN_RATE_MONTHS, horizon)
