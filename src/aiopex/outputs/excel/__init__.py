"""The Excel forecast: a workbook with live formulas and their values, laid out the FAST way.

:func:`write_workbook` turns a :class:`~aiopex.result.Result` into an ``.xlsx``
file that a finance partner can audit and edit, written with XlsxWriter. Every
formula carries the value the engine computed, so Excel's Protected View, file
previewers and ``pandas.read_excel`` show the numbers before any recalculation.
Inputs, workings and outputs are apart; there is one time axis (``Drivers``
rows 1-2: the months as dates and their index ``m``, linked from every monthly
sheet, month ``m`` in the same column everywhere); each formula is the same
along its row; inputs are defined names (``=llm_input_rate * ...``) and no
number is typed inside a formula.

One module per sheet, each a ``write`` function that takes the references it
needs and returns, as a small frozen dataclass, the ones the next sheet needs:

=========== ================================================================
sheet       holds
=========== ================================================================
Inputs      every scalar input (dotted path, point value, unit, live or not,
            defined name), the pilot's hours, rates and amounts, constants
Drivers     the months (dates), fiscal years, the engine's monthly drivers as
            values, and the capacity units of every ``capacity`` line
Costs       one row per cost line, one column per month, every cell a formula;
            category subtotals and the total
CashFlow    time saved, cost of errors, benefit, cost, net, cumulative net;
            NPV, IRR, MIRR, payback month and date
Annual      fiscal-year totals: ``SUMIFS`` over the monthly rows
Summary     the metrics (docs/formulas.md) as formulas; cost and cumulative-net charts
Pilot       what the pilot paid and absorbed, its metrics and the bridge
Readiness   the six questions, their answers and what the numbers say
Uncertainty percentiles of every metric (Monte Carlo runs only)
Sensitivity what moves NPV: each uncertain input at its P10 and P90 (a tornado),
            and the input's value at which NPV crosses zero (break-even)
About       version, inputs hash, seed, time written, how to read the workbook
=========== ================================================================

Warnings
--------
Only the inputs the formulas use are live (``Inputs`` column D says which): cost
lines, benefits, the discount rate, the fiscal year start, the fallback and the
pilot. Usage, quality and retraining inputs shape the drivers, which are the
engine's values: changing those needs a new ``aiopex forecast`` run.

Text from the scenario file (description, pilot items, readiness answers) is
always stored as text, never as a formula, even when it starts with ``=``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiopex.atomic import atomic_path
from aiopex.outputs.excel import (
    about,
    annual,
    cashflow,
    costs,
    drivers,
    inputs,
    pilot,
    readiness,
    summary,
    uncertainty,
)
from aiopex.outputs.excel import sensitivity as tornado_sheet
from aiopex.outputs.excel.formats import Formats, new_workbook
from aiopex.outputs.excel.layout import FIRST_MONTH_COLUMN, Grid
from aiopex.outputs.excel.source import read

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.sensitivity import Sensitivity
    from aiopex.result import Result

__all__ = ["write_workbook", "SHEETS", "FIRST_MONTH_COLUMN"]

#: The sheets, in workbook order (``Pilot`` and ``Uncertainty`` only when they apply).
SHEETS: tuple[str, ...] = (
    "Inputs",
    "Drivers",
    "Costs",
    "CashFlow",
    "Annual",
    "Summary",
    "Pilot",
    "Readiness",
    "Uncertainty",
    "Sensitivity",
    "About",
)


def write_workbook(
    result: Result, path: str | Path, sensitivity: Sensitivity | None = None
) -> Path:
    """Write ``result`` as an Excel workbook with live formulas and their values.

    Parameters
    ----------
    result : Result
        What :func:`aiopex.run` returned.
    path : str or Path
        The ``.xlsx`` file to write; written under a temporary name and renamed
        into place, so an interrupted run leaves no half-written file.
    sensitivity : Sensitivity, optional
        The NPV tornado (:func:`aiopex.sensitivity`, with break-even values) for the
        ``Sensitivity`` sheet; without it, or without a field to vary, there is no such
        sheet. The workbook runs no model itself.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Every month of a cost line on ``Costs`` is the amount of docs/formulas.md#costs::

        =IF(AND(m >= from_month, m <= to_month), q(m) * rate * (1 + e)^(m / 12), 0)

    with ``q`` per driver (``tokens / tokens_per_1k``, ``fte * rate / 12``,
    capacity units ``MAX(min_units, ROUNDUP(requests / capacity_per_unit, 0))``,
    ...). ``CashFlow`` computes the benefit as time saved less the cost of errors
    (0 in a degraded month when the fallback is ``manual``), the net,
    ``NPV(r, net)`` with ``r = (1 + discount_rate)^(1/12) - 1``,
    ``(1 + IRR(net))^12 - 1`` and ``(1 + MIRR(net, r, r))^12 - 1``. Every formula
    is written with its value; after a spreadsheet program recalculates, every
    value is the same, and ``Summary`` column B equals ``result.metrics``
    (``None`` is an empty cell).

    Warnings
    --------
    Drivers are values, not formulas: only inputs marked ``live`` on ``Inputs``
    move the totals.

    Examples
    --------
    >>> import pathlib, tempfile, aiopex, openpyxl
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "demo.yaml").write_text('''
    ... name: demo
    ... start: "2027-01"
    ... horizon_months: 12
    ... usage: {population: 100, items_per_user_month: 50,
    ...         adoption: {ceiling: 0.8, midpoint_months: 2, steepness: 1}}
    ... costs: [{name: api, category: compute, driver: per_request, rate: 0.02}]
    ... ''')
    >>> result = aiopex.run(aiopex.load_scenario(d / "demo.yaml"))
    >>> out = write_workbook(result, d / "demo.xlsx")
    >>> wb = openpyxl.load_workbook(out)
    >>> wb.sheetnames
    ['Inputs', 'Drivers', 'Costs', 'CashFlow', 'Annual', 'Summary', 'Readiness', 'About']
    >>> wb["Costs"]["E4"].value  # api, month 0: in its months, requests x rate x escalation
    '=IF(AND(E$2>=api_from_month,E$2<=api_to_month),Drivers!E$8*api_rate*(1+api_escalation_per_year)^(E$2/months_per_year),0)'
    >>> cached = openpyxl.load_workbook(out, data_only=True)["Summary"]
    >>> cached["A2"].value, cached["E2"].value  # in words, and its name in the data
    ('Total cost', 'cost_total')
    >>> round(cached["B2"].value, 2) == round(result.metrics["cost_total"], 2)
    True
    """
    src = read(result)
    grid = Grid(src.H)
    target = Path(path)
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, f"aiopex forecast: {src.scenario.name}")
        wb.set_calc_mode("auto")
        fmt = Formats(wb, src.currency)
        ins = inputs.write(wb, fmt, src)
        drv = drivers.write(wb, fmt, src, grid, ins)
        cst = costs.write(wb, fmt, src, grid, ins, drv)
        cfl = cashflow.write(wb, fmt, src, grid, ins, drv, cst)
        annual.write(wb, fmt, src, grid, drv, cst, cfl)
        smy = summary.write(wb, fmt, src, grid, ins, drv, cst, cfl)
        pilot.write(wb, fmt, src, grid, ins, drv, cst, smy)
        readiness.write(wb, fmt, src)
        uncertainty.write(wb, fmt, src, grid, drv, ins)
        tornado_sheet.write(wb, fmt, src, sensitivity, ins)
        about.write(wb, fmt, src)
        wb.close()
    return target
