"""Number formats and cell styles of the workbook, in one place for every sheet.

Every sheet asks :class:`Formats` for a style by name (``fmt["money"]``), so a
share is a percent, a count has thousands separators and a forecast has no
cents wherever it appears.

=============== ===================================== =====================================
name            number format                         used for
=============== ===================================== =====================================
``money``       ``#,##0;(#,##0);"-"``                 monthly amounts in the month grids
``money_cur``   ``[$USD] #,##0;[$USD] (#,##0)``       single amounts (Summary, Pilot, Annual)
``price``       ``#,##0.00######``                    rates per unit on Inputs (may be 0.0006)
``per_unit``    ``[$USD] #,##0.0000``                 cost per request
``count``       ``#,##0;(#,##0)``                     users, requests, tokens, units
``decimal``     ``#,##0.00;(#,##0.00)``               inputs with fractions (FTE, months)
``share``       ``0.0%``                              shares and rates (IRR, ROI, accuracy)
``share_in``    ``0.0##%``                            shares and rates typed on Inputs
``share2``      ``0.00%``                             shares on Sensitivity (a drift of 0.47%)
``fixedN``      ``#,##0.`` and N zeros (N = 0 .. 9)   Sensitivity values, to their digits
``month``       ``mmm-yy``                            month headers (real dates)
``fy``          ``"FY"0``                             fiscal-year headers
``index``       ``0``                                 month indexes and 0/1 flags
``multiple``    ``0.00"x"``                           hidden cost multiple
=============== ===================================== =====================================

Negative amounts show in parentheses. Inputs are blue on light yellow (the
modelling convention for "type here"); engine values are on light blue.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["Formats", "NUMBER_FORMATS", "input_kind", "new_workbook"]


def _cur(code: str) -> str:
    return f"[${code}] "


def number_formats(currency: str) -> dict[str, str]:
    """The number format of every style name, for a scenario's currency code."""
    c = _cur(currency)
    return {
        "money": '#,##0;(#,##0);"-"',
        "money_cur": f"{c}#,##0;{c}(#,##0);{c}0",
        "price": "#,##0.00######",
        "per_unit": f"{c}#,##0.0000;{c}(#,##0.0000)",
        "count": "#,##0;(#,##0)",
        "decimal": "#,##0.00;(#,##0.00)",
        "share": "0.0%;(0.0%)",
        "share_in": "0.0##%",
        "share2": "0.00%;(0.00%)",
        "month": "mmm-yy",
        "fy": '"FY"0',
        "index": "0",
        "multiple": '0.00"x"',
        "text": "@",
        "sci": "0.0E+00",
    }


#: The formats for USD, for reference in docs and tests.
NUMBER_FORMATS = number_formats("USD")

_INPUT = {"font_color": "#0000FF", "bg_color": "#FFF2CC"}
_ENGINE = {"bg_color": "#DDEBF7"}
_CONST = {"bg_color": "#EDEDED"}

#: Extra properties of style variants: ``"money+input"``, ``"count+engine"``, ...
_VARIANTS: dict[str, dict[str, Any]] = {
    "input": _INPUT,
    "engine": _ENGINE,
    "const": _CONST,
    "bold": {"bold": True},
    "head": {"bold": True, "bg_color": "#D9D9D9", "bottom": 1},
    "title": {"bold": True, "font_size": 13},
    "wrap": {"text_wrap": True, "valign": "top"},
    "left": {"align": "left"},
    "right": {"align": "right"},
    "top": {"valign": "top"},
    "total": {"bold": True, "top": 1},
    "note": {"indent": 1},
}


class Formats:
    """Cached XlsxWriter formats by name: ``fmt["money"]``, ``fmt["share+input"]``.

    A name is a number-format name (see the module table) or ``"text"``, followed
    by ``+variant`` parts (``input``, ``engine``, ``const``, ``bold``, ``head``,
    ``title``, ``wrap``, ``left``, ``right``, ``top``, ``total``, ``note``).
    """

    def __init__(self, workbook: Any, currency: str):
        self._wb = workbook
        self._num = number_formats(currency)
        self._cache: dict[str, Any] = {}
        self.currency = currency

    def __getitem__(self, name: str) -> Any:
        f = self._cache.get(name)
        if f is None:
            base, *variants = name.split("+")
            props: dict[str, Any] = {"font_name": "Calibri", "font_size": 10}
            if base != "text":
                props["num_format"] = self._num.get(base) or fixed(base)
            for v in variants:
                props.update(_VARIANTS[v])
            f = self._cache[name] = self._wb.add_format(props)
        return f


def fixed(name: str) -> str:
    """The number format of ``fixedN``: thousands separators and ``N`` decimals.

    >>> fixed("fixed0"), fixed("fixed3")
    ('#,##0;(#,##0)', '#,##0.000;(#,##0.000)')
    """
    if not (name.startswith("fixed") and name[5:].isdigit() and len(name) == 6):
        raise KeyError(f"no number format {name!r}")
    n = int(name[5:])
    f = "#,##0" + ("." + "0" * n if n else "")
    return f"{f};({f})"


_SHARE_SUFFIXES = (
    "discount",
    "accuracy",
    "ceiling",
    "bypass_rate",
    "growth_per_year",
    "escalation_per_year",
    "discount_rate",
    "drift_per_month",
    "floor",
    "acceptable",
    "trigger_below",
)
_MONEY_SUFFIXES = ("hourly_rate", "cost_per_error", "amount_per_month")
_INDEX_SUFFIXES = ("from_month", "to_month", "month", "fiscal_year_start", "horizon_months")


def input_kind(path: str, value: Any) -> str:
    """The number-format name of an input on ``Inputs``, from its dotted path.

    Examples
    --------
    >>> input_kind("finance.discount_rate", 0.1), input_kind("costs.api.rate", 0.003)
    ('share_in', 'price')
    >>> input_kind("costs.api.from_month", 0), input_kind("usage.population", 1200)
    ('index', 'count')
    >>> input_kind("degradation.fallback", "manual")
    'text'
    """
    if isinstance(value, str):
        return "text"
    last = path.rsplit(".", 1)[-1]
    if last.endswith(_SHARE_SUFFIXES):
        return "share_in"
    if last.endswith(_MONEY_SUFFIXES) or (path.startswith("costs.") and last == "rate"):
        return "price"
    whole = float(value) == int(float(value))
    if last in _INDEX_SUFFIXES or last in ("months", "every_months"):
        return "index" if whole else "decimal"
    return "count" if whole else "decimal"


def new_workbook(path: str | os.PathLike[str], title: str) -> Any:
    """An XlsxWriter workbook as every aiopex workbook opens: text stays text (no
    number, formula or URL guessed from it), dates as ``mmm-yy``, built in memory."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "mmm-yy",
            "in_memory": True,
        },
    )
    wb.set_properties({"title": title, "author": "aiopex"})
    return wb
