"""The ``Sensitivity`` sheet: what moves NPV, one uncertain input at a time (a tornado).

For every *(u)* input whose range has width, the deterministic model is run with that input at its
P10 and at its P90 and every other input at its point value
(docs/ranges.md#sensitivity-what-moves-the-result); the swing is ``|npv(P90) - npv(P10)|``, largest
first. Values, not formulas: each row is a run of the whole model, which the workbook's formulas do
not hold. A native bar chart shows the largest swings around the base.

The last column is each input's NPV break-even
(:func:`aiopex.analyses.sensitivity.break_even_values`): the value at which NPV crosses
zero with every other input at its point value, empty where NPV keeps its sign between
the input's P1 and P99. An input's P10, P90 and break-even share one number format
(:func:`value_style`): shares as percents with two decimals, other values to three
significant digits (money from 1 to 100 to the cent)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiopex.outputs.excel.formats import input_kind
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import Sheet
from aiopex.outputs.excel.source import Source
from aiopex.outputs.excel.stale import write_flag

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.sensitivity import Sensitivity

NAME = "Sensitivity"
#: Bars in the chart (the table lists every field).
CHART_FIELDS = 12


def value_style(path: str, values: list[float | None]) -> str:
    """The number format of an input's P10, P90 and break-even on ``Sensitivity``.

    A share is a percent with two decimals (``share2``); any other value shows three
    significant digits of the smallest of ``values`` (``fixedN``), money from 1 to 100
    to the cent.

    Examples
    --------
    >>> value_style("quality.drift_per_month", [0.0047, 0.0131])
    'share2'
    >>> value_style("costs.llm.rate", [0.00272954, 0.00346669])  # 0.00273, 0.00347
    'fixed5'
    >>> value_style("benefits.cost_per_error", [11.14, 25.92, 30.56])
    'fixed2'
    >>> value_style("costs.integration.rate", [207239.99, 304150.90])
    'fixed0'
    >>> value_style("usage.adoption.midpoint_months", [2.55, 4.23]), value_style("x", [None])
    ('fixed2', 'fixed2')
    """
    if input_kind(path, 0.5) == "share_in":
        return "share2"
    xs = [abs(float(v)) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not xs:
        return "fixed2"
    smallest = min(xs)
    decimals = min(9, max(0, 2 - math.floor(math.log10(smallest))))
    if input_kind(path, 1.5) == "price" and 1 <= smallest < 100:
        decimals = 2
    return f"fixed{decimals}"


def write(wb: Any, fmt: Any, src: Source, sens: Sensitivity | None, inputs: InputRefs) -> None:
    """The sheet, from :func:`aiopex.sensitivity`'s value; none without a field to vary."""
    if sens is None or sens.fields.empty:
        return
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    metric = sens.metric
    cur = src.currency
    sh.text(0, 0, f"Sensitivity: what moves {metric}, one input at a time", "text+title")
    sh.text(
        1,
        0,
        "each input at its P10 and P90, every other input at its point value; largest swing first",
    )
    sh.text(2, 0, f"{metric} with every input at its point value (base)")
    sh.text(
        3,
        0,
        "values from the run: they do not recalculate when Inputs change",
        "text+note",
    )
    write_flag(wb, sh, 3, 3, inputs)
    sh.value(2, 3, sens.base, "money_cur+bold")
    head = 4
    fields = sens.records()
    has_be = sens.has_break_even
    labels = ["input", "P10", "P90", f"{metric} at P10", f"{metric} at P90", "swing"]
    labels += ["low - base", "high - base"]
    if has_be:
        labels.append(f"break-even ({metric} = 0)")
    sh.header(head, labels, right_from=1)
    base = sens.base
    r = head
    for f in fields:
        r += 1
        sh.text(r, 0, f["field"])
        kind = value_style(f["field"], [f.get("low"), f.get("high"), f.get("break_even")])
        sh.value(r, 1, f.get("low"), kind)
        sh.value(r, 2, f.get("high"), kind)
        sh.value(r, 3, f.get("metric_at_low"), "money_cur")
        sh.value(r, 4, f.get("metric_at_high"), "money_cur")
        sh.value(r, 5, f.get("swing"), "money_cur+bold")
        for col, key in ((6, "metric_at_low"), (7, "metric_at_high")):
            v = f.get(key)
            d = None if v is None or base is None else v - base
            sh.value(r, col, d, "money_cur")
        if has_be:
            sh.value(r, 8, f.get("break_even"), kind)
    if has_be:  # in the empty row above the table
        sh.text(
            head - 1,
            0,
            f"break-even: the input's value at which {metric} is 0, every other input at its "
            "point value; empty where it stays on one side of 0 from the input's P1 to P99",
            "text+note",
        )
    n = min(CHART_FIELDS, len(fields))
    if n:  # no range, no chart (a chart needs a series)
        _chart(wb, sh, head, n, r, metric, cur)
    sh.widths({0: 40, 1: 14, 2: 14, 3: 16, 4: 16, 5: 16, 6: 16, 7: 16, 8: 18})
    sh.ws.freeze_panes(head + 1, 1)
    sh.print_setup(tall=1)


def _chart(wb: Any, sh: Any, head: int, n: int, r: int, metric: str, cur: str) -> None:
    """The tornado of the first ``n`` inputs: the metric minus base at each's P10 and P90."""
    chart = wb.add_chart({"type": "bar"})
    for col, name, color in ((6, "input at P10", "#C0504D"), (7, "input at P90", "#4F81BD")):
        chart.add_series(
            {
                "name": name,
                "categories": [NAME, head + 1, 0, head + n, 0],
                "values": [NAME, head + 1, col, head + n, col],
                "fill": {"color": color},
                "overlap": 100,
                "gap": 40,
            }
        )
    chart.set_title({"name": f"{metric} minus base ({cur})", "overlay": False})
    chart.set_y_axis({"reverse": True, "label_position": "low"})
    chart.set_x_axis({"num_format": "#,##0;(#,##0)"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 60 + 26 * n})
    sh.ws.insert_chart(r + 2, 0, chart, {"object_position": 1})
