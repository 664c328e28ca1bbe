"""The usage history CSV of a history-based scenario: read and validated at the boundary.

A system already in use has a usage history, ``month,requests[,active_users]``,
one row per month. :func:`read_history` validates it and lists every problem at once.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

import pandas as pd

from aiopex.errors import DataError, Problem
from aiopex.inputs.files import MAX_HISTORY_BYTES, InputFileError, cap, excerpt, read_regular

#: Standard-normal 95% quantile: a 90% interval is ``mean +/- Z90 * sd``.
Z90 = 1.6448536269514722
#: Months in a season.
SEASON = 12
#: Fewest months of history each method accepts (``auto``: 1 to fit plus 3 backtest origins).
MIN_MONTHS: dict[str, int] = {"naive": 1, "auto": 4, "ets": 6, "theta": 6, "sarimax": 12}
#: Fewest months a fitted seasonal variant (ETS, Theta, SARIMAX) is ever fitted to.
#: Seasonal naive fits nothing (it repeats last year's months) and needs one year.
MIN_SEASONAL = 24
#: Columns of a history CSV; ``active_users`` is optional.
HISTORY_COLUMNS: tuple[str, ...] = ("month", "requests", "active_users")
#: Most rows a usage history may have (a monthly one of 20 years has 240).
MAX_HISTORY_ROWS = 10_000
#: Candidate variants in order of simplicity (ties go to the simpler): name -> (family, seasonal).
VARIANTS: dict[str, tuple[str, bool]] = {
    "naive": ("naive", False),
    "naive_seasonal": ("naive", True),
    "naive_seasonal_drift": ("naive", True),
    "ets": ("ets", False),
    "theta": ("theta", False),
    "sarimax": ("sarimax", False),
    "ets_seasonal": ("ets", True),
    "theta_seasonal": ("theta", True),
    "sarimax_seasonal": ("sarimax", True),
}
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _min_months(variant: str) -> int:
    family, seasonal = VARIANTS[variant]
    if family == "naive":  # with a drift: one year-on-year change at least
        return SEASON + variant.endswith("_drift") if seasonal else MIN_MONTHS["naive"]
    return MIN_SEASONAL if seasonal else MIN_MONTHS[family]


def _needs(method: str) -> int:
    """Minimum months of a method (``auto`` or a family) or of an exact variant."""
    if method in MIN_MONTHS:
        return MIN_MONTHS[method]
    if method in VARIANTS:
        return _min_months(method)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(MIN_MONTHS)}")


def _ranges(months: list[pd.Period]) -> str:
    """``2024-03, 2024-05..2024-07`` for a sorted list of months."""
    parts, i = [], 0
    while i < len(months):
        j = i
        while j + 1 < len(months) and months[j + 1] == months[j] + 1:
            j += 1
        parts.append(str(months[i]) if i == j else f"{months[i]}..{months[j]}")
        i = j + 1
    return ", ".join(parts)


def read_history(path: Path, start: str, method: str, *, label: str | None = None) -> pd.DataFrame:
    """Read and validate a usage history CSV.

    Parameters
    ----------
    path : Path
        Comma-separated UTF-8 file with a header ``month,requests[,active_users]``;
        ``month`` is ``YYYY-MM``, values are numbers >= 0. Row order does not matter.
    start : str
        First production month ``"YYYY-MM"``; the history must end before it.
    method : str
        ``auto``, ``ets``, ``theta``, ``sarimax`` or ``naive``: sets the minimum
        length, :data:`MIN_MONTHS` (naive 1, auto 4, ets 6, theta 6, sarimax 12).
    label : str, optional
        How problems name the file (default ``str(path)``).

    Returns
    -------
    pandas.DataFrame
        Float columns ``requests`` (and ``active_users`` when present), indexed by a
        monthly ``PeriodIndex`` named ``month``, sorted, without gaps.

    Raises
    ------
    DataError
        With every problem found: unreadable or non-CSV file, missing or unknown
        columns, bad or duplicate months, gaps, empty, non-numeric, non-finite or
        negative values, a history ending on or after ``start``, too few months.
        Rows are named by their line in the file (the header is row 1), as a
        spreadsheet shows them: ``row 7, requests``.

    Examples
    --------
    >>> read_history(Path("no/such.csv"), "2024-07", "auto")
    Traceback (most recent call last):
    aiopex.errors.DataError: no/such.csv: file not found
    """
    need = _needs(method)
    file = label or str(path)
    first = pd.Period(start, freq="M")
    problems: list[Problem] = []

    def bad(where: str, message: str) -> None:
        problems.append(Problem(file, where, message))

    try:
        text = read_regular(Path(path), MAX_HISTORY_BYTES).decode("utf-8-sig")
        if text.count("\n") > MAX_HISTORY_ROWS + 1:  # before parsing a million rows
            raise InputFileError(
                f"more than {MAX_HISTORY_ROWS:,} rows; a history is one row a month"
            )
        reader = csv.reader(io.StringIO(text, newline=""))
        lines = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except FileNotFoundError:
        raise DataError(Problem(file, "", "file not found")) from None
    except UnicodeDecodeError:
        raise DataError(Problem(file, "", "not a text CSV file (not UTF-8)")) from None
    except InputFileError as exc:
        raise DataError(Problem(file, "", f"cannot read as CSV: {exc}")) from None
    except csv.Error as exc:
        raise DataError(Problem(file, "", f"cannot read as CSV: {cap(str(exc), 200)}")) from None
    if not lines:
        raise DataError(Problem(file, "", "empty file; expected a header month,requests"))

    header = [h.strip() for h in lines[0][1]]
    if not any(c in h for h in header for c in HISTORY_COLUMNS):  # another file: quote none
        raise DataError(
            Problem(
                file,
                "",
                f"not a usage history: its first row names none of the columns "
                f"{', '.join(HISTORY_COLUMNS)} (is it the right file?)",
            )
        )
    for name in header:
        name = cap(name)
        if name in HISTORY_COLUMNS:
            if header.count(name) > 1:
                bad(name, "column appears more than once")
            continue
        hint = difflib.get_close_matches(name, HISTORY_COLUMNS, n=1)
        sep = next((s for s in ";\t|" if s in name), None)
        bad(
            name,
            "unknown column; expected month, requests and optionally active_users"
            + (f"; did you mean {hint[0]}?" if hint else "")
            + (f"; the file looks {sep!r}-separated, use commas" if sep else ""),
        )
    for name in HISTORY_COLUMNS[:2]:
        if name not in header:
            bad(name, "missing column")
    values = [c for c in HISTORY_COLUMNS[1:] if c in header]

    seen: dict[pd.Period, int] = {}
    records: dict[pd.Period, list[float | None]] = {}
    for lineno, row in lines[1:]:
        cells = {h: c.strip() for h, c in zip(header, row, strict=False)}
        ok, period = len(row) == len(header), None
        numbers: list[float | None] = []
        if not ok:  # still read its month, so that it is not reported missing too
            bad(f"row {lineno}", f"expected {len(header)} fields, got {len(row)}")
        for col in values if ok else ():
            text = cells[col]
            try:
                number = float(text)
            except ValueError:
                number = None
            if not text:
                bad(f"row {lineno}, {col}", "empty value")
            elif number is None:
                bad(f"row {lineno}, {col}", f"not a number, got {excerpt(text)}")
            elif not math.isfinite(number):
                bad(f"row {lineno}, {col}", f"not a finite number, got {excerpt(text)}")
            elif number < 0:
                bad(f"row {lineno}, {col}", f"must be >= 0, got {cap(text)}")
            ok = ok and number is not None and math.isfinite(number) and number >= 0
            numbers.append(number)
        if "month" in cells:
            text, match = cells["month"], _MONTH.fullmatch(cells["month"])
            if not text:
                bad(f"row {lineno}, month", "empty value")
            elif match is None or not 1 <= int(match.group(2)) <= 12:
                bad(f"row {lineno}, month", f"not a month YYYY-MM, got {excerpt(text)}")
            elif (period := pd.Period(text, freq="M")) in seen:
                bad(f"row {lineno}, month", f"{text} again (first at row {seen[period]})")
                period = None
            else:
                seen[period] = lineno
        if ok and period is not None:
            records[period] = numbers

    if len(lines) == 1:
        bad("", "no data rows")
    if seen:
        months = sorted(seen)
        full = pd.period_range(months[0], months[-1], freq="M")
        missing = sorted(set(full) - set(months))
        if missing:
            bad("month", f"missing months {_ranges(missing)}; the history needs every month")
        if months[-1] >= first:
            bad("month", f"the history must end before start {start}; it ends {months[-1]}")
        if len(months) < need:
            bad("", f"{len(months)} months of history; method {method} needs at least {need}")
    if problems:
        raise DataError(problems)
    index = pd.PeriodIndex(sorted(records), freq="M", name="month")
    return pd.DataFrame([records[p] for p in index], index=index, columns=values, dtype=float)
