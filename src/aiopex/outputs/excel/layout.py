"""The grid every monthly sheet shares, and a worksheet wrapper that writes safely.

Month ``m`` sits in the same column on every monthly sheet (``E`` for ``m = 0``);
``Drivers`` row 1 holds the months as real dates and row 2 their index ``m``,
and the other monthly sheets link to them. Rows and columns here are 0-based,
as XlsxWriter counts them; formulas use A1 references.
"""

from __future__ import annotations

import math
import re
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from aiopex.months import run_rate_months

__all__ = [
    "FIRST_MONTH_COLUMN",
    "Grid",
    "Sheet",
    "LABEL_ROW",
    "INDEX_ROW",
    "HEAD_ROW",
    "ROW_HEIGHT",
    "TEXT_PER_WIDTH",
    "wrapped_lines",
]

#: Column (1-based, as a spreadsheet user counts) of month ``m = 0`` on every monthly sheet: E.
FIRST_MONTH_COLUMN = 5
#: The same, 0-based.
C0 = FIRST_MONTH_COLUMN - 1

#: Height in points of one line of 10-point text, for rows whose text wraps.
ROW_HEIGHT = 13.5
#: Characters of 10-point text that fit in one unit of column width (a unit is the width
#: of an 11-point digit; lower-case text runs narrower), a little on the safe side.
TEXT_PER_WIDTH = 1.2

LABEL_ROW = 0  # the month as a date
INDEX_ROW = 1  # m = 0 .. H-1
HEAD_ROW = 2  # column headings of the row labels

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Grid:
    """Column letters and ranges of the month columns, for a horizon of ``H`` months."""

    def __init__(self, H: int):
        if H < 1:
            raise ValueError("a result with no months cannot be written as a workbook")
        self.H = H
        self.cols = [xl_col_to_name(C0 + m) for m in range(H)]
        self.last_n = run_rate_months(H)

    def row(self, row: int, sheet: str | None = None, last: int | None = None) -> str:
        """``Sheet!$E$7:$AH$7``: the month cells of 0-based ``row`` (the last ``last`` only)."""
        first = self.cols[-last] if last else self.cols[0]
        pre = f"{sheet}!" if sheet else ""
        return f"{pre}${first}${row + 1}:${self.cols[-1]}${row + 1}"

    def cell(self, m: int, row: int, sheet: str | None = None) -> str:
        """``Sheet!E$7``: month ``m`` of 0-based ``row``, row fixed (moves along a row)."""
        pre = f"{sheet}!" if sheet else ""
        return f"{pre}{self.cols[m]}${row + 1}"


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped ``width`` characters to a line; at least 1.

    >>> wrapped_lines("short", 20), wrapped_lines("word " * 10, 20)
    (1, 3)
    """
    lines, n = 1, 0
    for word in str(text).split():
        k = len(word)
        if n and n + 1 + k > width:
            lines, n = lines + 1, k
        else:
            n = n + 1 + k if n else k
    return lines


def a1(row: int, col: int, sheet: str | None = None, absolute: bool = True) -> str:
    """A1 reference of a 0-based cell: ``a1(4, 1)`` is ``$B$5``."""
    pre = f"{sheet}!" if sheet else ""
    c = xl_col_to_name(col)
    return f"{pre}${c}${row + 1}" if absolute else f"{pre}{c}{row + 1}"


def number(x: Any) -> float | int | None:
    """A plain finite number, or ``None`` for a missing or non-finite value."""
    if x is None or isinstance(x, str):
        return None
    if isinstance(x, bool):
        return int(x)
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, int):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _plain_formula(formula: str, expand_future_functions: bool = False) -> str:
    return formula[1:] if formula.startswith("=") else formula


class Sheet:
    """An XlsxWriter worksheet with writers that keep text as text.

    ``text`` never writes a formula (scenario text that starts with ``=`` stays
    text); ``formula`` writes a formula the workbook built together with its
    cached value, so a file opened without recalculation shows the number.
    """

    def __init__(self, ws: Any, fmt: Any):
        self.ws = ws
        self.fmt = fmt
        self.name: str = ws.get_name()
        # XlsxWriter runs ~30 regular expressions over every formula to prefix Excel 365
        # functions with _xlfn.; the workbook uses none of them, and the formulas of a
        # 60-month forecast would spend most of the writing time there.
        ws._prepare_formula = _plain_formula

    def text(self, row: int, col: int, value: Any, style: str = "text") -> None:
        s = _ILLEGAL.sub("", str(value))[:32767]
        self.ws.write_string(row, col, s, self.fmt[style])

    def value(self, row: int, col: int, value: Any, style: str = "decimal") -> None:
        """A number (or text, or a blank cell for ``None``) as a value."""
        if isinstance(value, str):
            self.text(row, col, value, style if style.startswith("text") else "text")
            return
        v = number(value)
        if v is None:
            self.ws.write_blank(row, col, None, self.fmt[style])
        else:
            self.ws.write_number(row, col, v, self.fmt[style])

    def formula(self, row: int, col: int, formula: str, value: Any, style: str = "decimal") -> None:
        """A formula and its cached value (``None``: the formula gives ``""``)."""
        v = value if isinstance(value, str) else number(value)
        self.ws.write_formula(row, col, formula, self.fmt[style], "" if v is None else v)

    def header(
        self, row: int, labels: list[str], col: int = 0, right_from: int | None = None
    ) -> None:
        """Column headings from ``col``; those from index ``right_from`` on are right-aligned,
        like the numbers below them."""
        for i, label in enumerate(labels):
            right = right_from is not None and i >= right_from
            self.text(row, col + i, label, "text+head+right" if right else "text+head")

    def widths(self, widths: dict[int, float]) -> None:
        for col, w in widths.items():
            self.ws.set_column(col, col, w)

    def print_setup(
        self, repeat_rows: int | None = None, repeat_cols: int | None = None, tall: int = 0
    ) -> None:
        """As :func:`print_setup`, for this sheet."""
        print_setup(self.ws, repeat_rows, repeat_cols, tall)


def print_setup(
    ws: Any, repeat_rows: int | None = None, repeat_cols: int | None = None, tall: int = 0
) -> None:
    """Landscape A4, fit to one page wide (and ``tall`` pages high, 0: as many as needed),
    header rows (and label columns) repeated on every page, sheet name, date and page
    number in the margins."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header("&L&A&R&D", {"margin": 0.25})
    ws.set_footer("&Caiopex workbook, page &P of &N", {"margin": 0.25})
    if repeat_rows is not None:
        ws.repeat_rows(0, repeat_rows)
    if repeat_cols is not None:
        ws.repeat_columns(0, repeat_cols)
    ws.fit_to_pages(1, tall)
