"""The review period: ``2027-Q1``, ``FY2028-Q1`` or ``2027-01..2027-03`` as months."""

from __future__ import annotations

import re

from aiopex.errors import DataError, Problem
from aiopex.months import add as add_months
from aiopex.months import fiscal_year_months, month_range

# ASCII digits only, the whole text (``\d`` takes full-width digits, ``$`` a final newline)
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_FQUARTER = re.compile(r"FY([0-9]{4})-Q([1-4])")
_RANGE = re.compile(r"([0-9]{4}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
#: Drivers whose quantity follows active or new users in the re-forecast.


def parse_period(text: str, fiscal_year_start: int = 1) -> list[str]:
    """The months of a review period.

    ``2027-Q1`` is a calendar quarter; ``FY2028-Q1`` a fiscal quarter (the fiscal
    year is named by the calendar year it ends in); ``2027-01..2027-03`` a range.

    Examples
    --------
    >>> parse_period("2027-Q1")
    ['2027-01', '2027-02', '2027-03']
    >>> parse_period("FY2028-Q1", fiscal_year_start=4)
    ['2027-04', '2027-05', '2027-06']
    >>> parse_period("FY2028-Q4", fiscal_year_start=4)
    ['2028-01', '2028-02', '2028-03']
    >>> parse_period("2027-11..2028-01")
    ['2027-11', '2027-12', '2028-01']
    """
    t = text.strip(" \t")
    if m := _QUARTER.fullmatch(t):
        first = f"{m.group(1)}-{3 * (int(m.group(2)) - 1) + 1:02d}"
        return month_range(first, add_months(first, 2))
    if m := _FQUARTER.fullmatch(t):
        fy, q = int(m.group(1)), int(m.group(2))
        start = fiscal_year_months(fy, fiscal_year_start)[0]
        first = add_months(start, 3 * (q - 1))
        return month_range(first, add_months(first, 2))
    months = _RANGE.fullmatch(t)
    if (m := months) and _MONTH.fullmatch(m.group(1)) and _MONTH.fullmatch(m.group(2)):
        if m.group(2) < m.group(1):
            raise DataError(Problem("<command line>", "--period", f"{t}: ends before it starts"))
        return month_range(m.group(1), m.group(2))
    raise DataError(
        Problem(
            "<command line>",
            "--period",
            f"expected 2027-Q1, FY2028-Q1 or 2027-01..2027-03, got {text!r}",
        )
    )
