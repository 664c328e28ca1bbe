"""The Excel forecast: a workbook with live formulas, laid out the FAST way.

:func:`write_workbook` turns a :class:`~aiopex.result.Result` into an ``.xlsx``
file that a finance partner can audit and edit. Inputs, workings and outputs are
apart; there is one time axis (``Drivers`` rows 1-2, linked from every monthly
sheet, month ``m`` in the same column everywhere); each formula is the same
along its row; and no number is typed inside a formula: unit conversions (12
months a year, 60 minutes an hour, 1000 tokens) are named cells on ``Inputs``.

=========== ================================================================
sheet       holds
=========== ================================================================
Inputs      one row per scalar input of the resolved scenario: dotted path (as
            overrides name it), point value, unit or note, and whether the
            workbook's formulas use it; then the workbook constants
Drivers     the engine's monthly drivers as values (active and new users,
            items, requests, tokens, accuracy, retraining and degraded flags),
            and the capacity units of every ``capacity`` line as formulas
Costs       one row per cost line, one column per month, every cell a formula
            (quantity x rate x escalation inside the line's months); category
            subtotals and the total
CashFlow    benefit, cost, net, cumulative net; monthly discount rate, ``NPV``,
            ``IRR`` and the payback month
Summary     the metrics of SCENARIO.md as formulas, a stacked chart of cost by
            category and a line chart of the cumulative net
Pilot       what the pilot paid and absorbed (its inputs, styled as inputs),
            the pilot metrics and the bridge, as formulas
Readiness   the six questions, their answers and what the numbers say
Uncertainty percentiles of every metric (Monte Carlo runs only)
About       package version, inputs hash, seed, time written, scenario file
=========== ================================================================

Warnings
--------
Only the inputs the formulas use are live (``Inputs`` column D says which): cost
rates and their fields, benefits, the discount rate and the fallback. Usage,
quality and retraining inputs shape the drivers, which are the engine's values:
changing those needs a new ``aiopex forecast`` run.

Text from the scenario file (description, pilot items, readiness answers) is
always stored as text, never as a formula, even when it starts with ``=``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from aiopex.atomic import atomic_path
from aiopex.names import CATEGORIES, DRIVER_SERIES, METRICS, PILOT_METRICS

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.model.costs import LineSpec
from aiopex.result import Result

__all__ = ["write_workbook", "SHEETS", "FIRST_MONTH_COLUMN"]

#: The sheets, in workbook order (``Pilot`` and ``Uncertainty`` only when they apply).
SHEETS: tuple[str, ...] = (
    "Inputs",
    "Drivers",
    "Costs",
    "CashFlow",
    "Summary",
    "Pilot",
    "Readiness",
    "Uncertainty",
    "About",
)

#: Column (1-based) of month ``m = 0`` on every monthly sheet: ``E``.
FIRST_MONTH_COLUMN = 5

# Rows of the time axis on every monthly sheet.
_LABEL_ROW = 1  # "YYYY-MM"
_INDEX_ROW = 2  # m = 0 .. H-1
_HEAD_ROW = 3

# Workbook constants: (defined name, value, note). Named so formulas read as words.
_CONSTANTS: tuple[tuple[str, float, str], ...] = (
    ("months_per_year", 12, "months in a year: escalation (1+e)^(m/12), fte rate/12, NPV rate"),
    ("minutes_per_hour", 60, "minutes in an hour: benefits"),
    ("tokens_per_1k", 1000, "tokens per thousand: per_1k_*_tokens lines"),
)

_DRIVER_UNITS = {
    "active_users": "users",
    "new_users": "users",
    "items": "items",
    "requests": "requests",
    "input_tokens": "tokens",
    "output_tokens": "tokens",
    "accuracy": "share correct",
    "retrain": "1 = retraining month",
    "degraded": "1 = degraded month",
}
#: Driver rows whose total over the horizon means something (column D of ``Drivers``).
_ADDITIVE = {"new_users", "items", "requests", "input_tokens", "output_tokens"}
_ADDITIVE |= {"retrain", "degraded"}

# -- styles ------------------------------------------------------------------------------

_INPUT_FONT = Font(color="0000FF")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_CONST_FILL = PatternFill("solid", fgColor="EDEDED")
_ENGINE_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_TITLE_FONT = Font(bold=True, size=13)
_TOTAL_FONT = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

_COUNT_FMT = "#,##0"
_DEC_FMT = "#,##0.00"
_SHARE_FMT = "0.00%"
_ACC_FMT = "0.0000"
_FLAG_FMT = "0"


def _money_format(currency: str) -> str:
    code = "".join(ch for ch in str(currency) if ch.isalpha())[:3] or "USD"
    return f"[${code}] #,##0.00;[${code}] -#,##0.00"


def _num(x: Any) -> float | int | None:
    """A plain Python number for a cell, or ``None`` for a missing or non-finite value."""
    if x is None:
        return None
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class _Sheet:
    """A worksheet with small helpers that keep text as text."""

    def __init__(self, ws: Worksheet):
        self.ws = ws

    def text(self, row: int, col: int, value: Any, **style: Any) -> None:
        """Write ``value`` as a string cell: never a formula, never an error code."""
        s = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:32767]
        cell = self.ws.cell(row=row, column=col)
        cell.value = s
        cell.data_type = "s"  # openpyxl infers a formula from a leading "="
        _style(cell, **style)

    def value(self, row: int, col: int, value: Any, **style: Any) -> None:
        """Write a number (or ``None``) as a value."""
        cell = self.ws.cell(row=row, column=col)
        if isinstance(value, str):
            self.text(row, col, value, **style)
            return
        cell.value = _num(value)
        _style(cell, **style)

    def formula(self, row: int, col: int, formula: str, **style: Any) -> None:
        """Write a formula the writer built (never text from the scenario)."""
        assert formula.startswith("=")
        cell = self.ws.cell(row=row, column=col)
        cell.value = formula
        _style(cell, **style)

    def header(self, row: int, labels: Iterable[str], col: int = 1) -> None:
        for i, label in enumerate(labels):
            self.text(row, col + i, label, font=_HEAD_FONT, fill=_HEAD_FILL)

    def widths(self, widths: dict[str, float]) -> None:
        for letter, w in widths.items():
            self.ws.column_dimensions[letter].width = w


def _style(cell: Any, **style: Any) -> None:
    for k, v in style.items():
        if v is not None:
            setattr(cell, k, v)


def _input_style() -> dict[str, Any]:
    return {"font": _INPUT_FONT, "fill": _INPUT_FILL}


class _Writer:
    """Builds the workbook for one result; one method per sheet."""

    def __init__(self, result: Result):
        self.r = result
        self.sc = result.scenario
        self.H = len(result.months)
        if self.H < 1:
            raise ValueError("a result with no months cannot be written as a workbook")
        self.cols = [get_column_letter(FIRST_MONTH_COLUMN + m) for m in range(self.H)]
        self.money = _money_format(getattr(self.sc, "currency", "USD"))
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.input_row: dict[str, int] = {}
        self.used: set[str] = set()
        self.n_last = min(12, self.H)
        # Categories in the engine's order (cost_by_category), else SCENARIO.md's.
        cats = list((result.metrics.get("cost_by_category") or {}).keys())
        order = {c: i for i, c in enumerate(CATEGORIES)}
        extra = {ln.category for ln in result.lines} - set(cats)
        self.categories = cats + sorted(extra, key=lambda c: order.get(c, len(order)))

    # -- references ------------------------------------------------------------------

    def inp(self, path: str) -> str:
        """Absolute reference of an input on ``Inputs``, and mark it live."""
        self.used.add(path)
        return f"Inputs!$B${self.input_row[path]}"

    def row_range(self, sheet: str | None, row: int, last_n: int | None = None) -> str:
        """``E7:AN7`` (the month columns of ``row``), optionally only the last ``n``."""
        first = self.cols[-last_n] if last_n else self.cols[0]
        pre = f"{sheet}!" if sheet else ""
        return f"{pre}${first}${row}:${self.cols[-1]}${row}"

    def time_axis(self, sh: _Sheet, first_header: str) -> None:
        """Rows 1-2 of a monthly sheet: linked to the one time axis on ``Drivers``."""
        sh.text(_LABEL_ROW, 1, first_header, font=_TITLE_FONT)
        sh.text(_INDEX_ROW, 1, "m (month index)")
        for m, c in enumerate(self.cols):
            col = FIRST_MONTH_COLUMN + m
            sh.formula(_LABEL_ROW, col, f"=Drivers!{c}${_LABEL_ROW}", font=_HEAD_FONT)
            sh.formula(_INDEX_ROW, col, f"=Drivers!{c}${_INDEX_ROW}", font=_HEAD_FONT)
        sh.ws.freeze_panes = sh.ws.cell(row=_HEAD_ROW + 1, column=FIRST_MONTH_COLUMN)

    # -- Inputs ----------------------------------------------------------------------

    def inputs(self) -> None:
        ws = self.wb.create_sheet("Inputs")
        self.ws_inputs = sh = _Sheet(ws)
        sh.header(1, ["input", "value", "unit or note", "in formulas"])
        rows = list(self.sc.scalar_inputs())
        have = {p for p, _, _ in rows}
        for extra in self._missing_inputs(have):
            rows.append(extra)
        r = 2
        for path, value, note in rows:
            sh.text(r, 1, path)
            sh.value(r, 2, value, **_input_style())
            sh.text(r, 3, note)
            self.input_row[path] = r
            r += 1
        r += 1
        sh.text(r, 1, "workbook constants (unit conversions, not scenario inputs)", font=_HEAD_FONT)
        r += 1
        for name, value, note in _CONSTANTS:
            sh.text(r, 1, name)
            sh.value(r, 2, value, fill=_CONST_FILL)
            sh.text(r, 3, note)
            self.wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${r}")
            r += 1
        irr = self.r.metrics.get("irr_annual")
        guess = (1.0 + irr) ** (1.0 / 12.0) - 1.0 if _num(irr) is not None else 0.1
        sh.text(r, 1, "irr_guess_monthly")
        sh.value(r, 2, guess, fill=_CONST_FILL)
        sh.text(r, 3, "starting point of IRR's iteration (the aiopex run's monthly IRR)")
        self.wb.defined_names["irr_guess_monthly"] = DefinedName(
            "irr_guess_monthly", attr_text=f"Inputs!$B${r}"
        )
        sh.widths({"A": 44, "B": 16, "C": 60, "D": 30})
        ws.freeze_panes = "B2"

    def _missing_inputs(self, have: set[str]) -> list[tuple[str, Any, str]]:
        """Inputs the formulas need that ``scalar_inputs`` did not list (engine defaults)."""
        out: list[tuple[str, Any, str]] = []
        note = "default applied by aiopex"

        def need(path: str, value: Any) -> None:
            if path not in have and value is not None:
                out.append((path, value, note))
                have.add(path)

        for ln in self.r.lines:
            p = f"costs.{ln.name}"
            need(f"{p}.rate", ln.rate)
            need(f"{p}.escalation_per_year", ln.escalation_per_year)
            need(f"{p}.from_month", ln.from_month)
            need(f"{p}.to_month", ln.to_month)
            if ln.driver == "one_time":
                need(f"{p}.month", ln.month if ln.month is not None else 0)
            if ln.driver == "fte":
                need(f"{p}.fte", ln.fte)
            if ln.driver == "capacity":
                need(f"{p}.capacity_per_unit", ln.capacity_per_unit)
                need(f"{p}.min_units", ln.min_units if ln.min_units is not None else 1)
        need("benefits.minutes_saved_per_item", 0.0)
        need("benefits.hourly_rate", 0.0)
        need("benefits.cost_per_error", 0.0)
        need("finance.discount_rate", 0.10)
        need("degradation.fallback", "none")
        return out

    def mark_live_inputs(self) -> None:
        sh = self.ws_inputs
        for path, row in self.input_row.items():
            live = path in self.used
            sh.text(row, 4, "live" if live else "engine only: re-run aiopex")

    # -- Drivers ---------------------------------------------------------------------

    def drivers(self) -> None:
        ws = self.wb.create_sheet("Drivers")
        sh = _Sheet(ws)
        sh.text(_LABEL_ROW, 1, "Drivers (aiopex engine values)", font=_TITLE_FONT)
        sh.text(_INDEX_ROW, 1, "m (month index)")
        for m, label in enumerate(self.r.months):
            sh.text(_LABEL_ROW, FIRST_MONTH_COLUMN + m, label, font=_HEAD_FONT)
            sh.value(_INDEX_ROW, FIRST_MONTH_COLUMN + m, m, font=_HEAD_FONT)
        sh.header(_HEAD_ROW, ["driver", "unit", "", "total"])
        self.drow: dict[str, int] = {}
        r = _HEAD_ROW + 1
        for name in DRIVER_SERIES:
            values = self.r.series.get(name)
            sh.text(r, 1, name)
            sh.text(r, 2, _DRIVER_UNITS.get(name, ""))
            fmt = {"accuracy": _ACC_FMT, "retrain": _FLAG_FMT, "degraded": _FLAG_FMT}.get(
                name, _DEC_FMT
            )
            vals = [0.0] * self.H if values is None else list(values.tolist())
            if name in ("retrain", "degraded"):
                vals = [int(round(v)) for v in vals]
            for m, v in enumerate(vals):
                sh.value(r, FIRST_MONTH_COLUMN + m, v, number_format=fmt, fill=_ENGINE_FILL)
            if name in _ADDITIVE:
                sh.formula(r, 4, f"=SUM({self.row_range(None, r)})", number_format=fmt)
            self.drow[name] = r
            r += 1
        self.cap_row: dict[str, int] = {}
        caps = [ln for ln in self.r.lines if ln.driver == "capacity"]
        if caps:
            r += 1
            sh.text(
                r,
                1,
                "workings: capacity units = MAX(min_units, ROUNDUP(requests / "
                "capacity_per_unit, 0))",
                font=_HEAD_FONT,
            )
            r += 1
            req = self.drow["requests"]
            for ln in caps:
                p = f"costs.{ln.name}"
                mn, cpu = self.inp(f"{p}.min_units"), self.inp(f"{p}.capacity_per_unit")
                sh.text(r, 1, f"capacity_units:{ln.name}")
                sh.text(r, 2, "units")
                for m, c in enumerate(self.cols):
                    sh.formula(
                        r,
                        FIRST_MONTH_COLUMN + m,
                        f"=MAX({mn},ROUNDUP({c}${req}/{cpu},0))",
                        number_format=_FLAG_FMT,
                    )
                self.cap_row[ln.name] = r
                r += 1
        sh.widths({"A": 34, "B": 20, "C": 4, "D": 16})
        ws.freeze_panes = ws.cell(row=_HEAD_ROW + 1, column=FIRST_MONTH_COLUMN)

    # -- Costs -----------------------------------------------------------------------

    def _quantity(self, ln: LineSpec, c: str, p: str) -> str:
        """The quantity x rate part of one month's amount (SCENARIO.md, cost lines)."""
        rate = self.inp(f"{p}.rate")
        d = self.drow
        drv = ln.driver
        if drv == "fixed":
            return rate
        if drv == "one_time":
            return f"IF({c}${_INDEX_ROW}={self.inp(f'{p}.month')},{rate},0)"
        if drv == "per_request":
            return f"Drivers!{c}${d['requests']}*{rate}"
        if drv == "per_1k_input_tokens":
            return f"Drivers!{c}${d['input_tokens']}/tokens_per_1k*{rate}"
        if drv == "per_1k_output_tokens":
            return f"Drivers!{c}${d['output_tokens']}/tokens_per_1k*{rate}"
        if drv == "per_active_user":
            return f"Drivers!{c}${d['active_users']}*{rate}"
        if drv == "per_new_user":
            return f"Drivers!{c}${d['new_users']}*{rate}"
        if drv == "fte":
            return f"{self.inp(f'{p}.fte')}*{rate}/months_per_year"
        if drv == "per_retrain":
            return f"Drivers!{c}${d['retrain']}*{rate}"
        if drv == "capacity":
            return f"Drivers!{c}${self.cap_row[ln.name]}*{rate}"
        raise ValueError(f"cost line {ln.name!r}: unknown driver {drv!r}")

    def costs(self) -> None:
        ws = self.wb.create_sheet("Costs")
        sh = _Sheet(ws)
        self.time_axis(sh, "Costs (formulas: quantity x rate x escalation, in the line's months)")
        sh.header(_HEAD_ROW, ["cost line", "category", "driver", "total"])
        r = _HEAD_ROW + 1
        line_rows: list[int] = []
        for ln in self.r.lines:
            p = f"costs.{ln.name}"
            sh.text(r, 1, ln.name)
            sh.text(r, 2, ln.category)
            sh.text(r, 3, ln.driver)
            lo, hi = self.inp(f"{p}.from_month"), self.inp(f"{p}.to_month")
            esc = self.inp(f"{p}.escalation_per_year")
            for m, c in enumerate(self.cols):
                t = f"{c}${_INDEX_ROW}"
                f = (
                    f"=IF(AND({t}>={lo},{t}<={hi}),"
                    f"{self._quantity(ln, c, p)}*(1+{esc})^({t}/months_per_year),0)"
                )
                sh.formula(r, FIRST_MONTH_COLUMN + m, f, number_format=self.money)
            sh.formula(r, 4, f"=SUM({self.row_range(None, r)})", number_format=self.money)
            line_rows.append(r)
            r += 1
        r += 1
        sh.text(r, 1, "subtotals by category", font=_HEAD_FONT)
        r += 1
        self.sub_row: dict[str, int] = {}
        if line_rows:
            lo_r, hi_r = line_rows[0], line_rows[-1]
        for cat in self.categories:
            sh.text(r, 1, cat)
            sh.text(r, 2, "category")
            for m, c in enumerate(self.cols):
                if line_rows:
                    f = f"=SUMIF($B${lo_r}:$B${hi_r},$A{r},{c}${lo_r}:{c}${hi_r})"
                    sh.formula(r, FIRST_MONTH_COLUMN + m, f, number_format=self.money)
            sh.formula(r, 4, f"=SUM({self.row_range(None, r)})", number_format=self.money)
            self.sub_row[cat] = r
            r += 1
        self.cost_total_row = r
        sh.text(r, 1, "total cost", font=_TOTAL_FONT)
        subs = list(self.sub_row.values())
        for m, c in enumerate(self.cols):
            if subs:
                f = f"=SUM({c}${subs[0]}:{c}${subs[-1]})"
            else:
                f = f"=SUM({c}${_HEAD_ROW + 1}:{c}${_HEAD_ROW + 1})"
            sh.formula(r, FIRST_MONTH_COLUMN + m, f, number_format=self.money, font=_TOTAL_FONT)
        sh.formula(
            r, 4, f"=SUM({self.row_range(None, r)})", number_format=self.money, font=_TOTAL_FONT
        )
        sh.widths({"A": 34, "B": 18, "C": 22, "D": 18})
        for c in self.cols:
            ws.column_dimensions[c].width = 13

    # -- CashFlow --------------------------------------------------------------------

    def cashflow(self) -> None:
        ws = self.wb.create_sheet("CashFlow")
        sh = _Sheet(ws)
        self.time_axis(sh, "Cash flow (month-end)")
        sh.header(_HEAD_ROW, ["line", "unit", "", "total"])
        d = self.drow
        mins = self.inp("benefits.minutes_saved_per_item")
        hourly = self.inp("benefits.hourly_rate")
        cpe = self.inp("benefits.cost_per_error")
        fallback = self.inp("degradation.fallback")
        B, C, N, CUM, PB = 4, 5, 6, 7, 8
        self.cf = {"benefit": B, "cost": C, "net": N, "cumulative_net": CUM}
        labels = {
            B: "benefit",
            C: "cost",
            N: "net",
            CUM: "cumulative net",
            PB: "payback helper: m + 1 where the cumulative net is below 0",
        }
        for row, label in labels.items():
            sh.text(row, 1, label)
            sh.text(row, 2, "month index" if row == PB else "money")
        for m, c in enumerate(self.cols):
            col = FIRST_MONTH_COLUMN + m
            acc = f"Drivers!{c}${d['accuracy']}"
            benefit = (
                f'=IF(AND(Drivers!{c}${d["degraded"]}=1,{fallback}="manual"),0,'
                f"Drivers!{c}${d['requests']}*({acc}*{mins}/minutes_per_hour*{hourly}"
                f"-(1-{acc})*{cpe}))"
            )
            sh.formula(B, col, benefit, number_format=self.money)
            sh.formula(C, col, f"=Costs!{c}${self.cost_total_row}", number_format=self.money)
            sh.formula(N, col, f"={c}${B}-{c}${C}", number_format=self.money)
            sh.formula(CUM, col, f"=SUM(${self.cols[0]}${N}:{c}${N})", number_format=self.money)
            sh.formula(PB, col, f"=IF({c}${CUM}<0,{c}${_INDEX_ROW}+1,0)", number_format=_FLAG_FMT)
        for row in (B, C, N):
            sh.formula(row, 4, f"=SUM({self.row_range(None, row)})", number_format=self.money)
        sh.ws.cell(row=N, column=1).font = _TOTAL_FONT

        net = self.row_range(None, N)
        r = PB + 2
        sh.text(r, 1, "finance", font=_HEAD_FONT)
        self.cf_rate, self.cf_npv, self.cf_irr_m, self.cf_irr, self.cf_payback = range(r + 1, r + 6)
        dr = self.inp("finance.discount_rate")
        rows = [
            (self.cf_rate, "monthly discount rate", f"=(1+{dr})^(1/months_per_year)-1", "0.0000%"),
            (self.cf_npv, "npv", f"=NPV(D{self.cf_rate},{net})", self.money),
            (self.cf_irr_m, "irr monthly", f'=IFERROR(IRR({net},irr_guess_monthly),"")', "0.00%"),
            (
                self.cf_irr,
                "irr_annual",
                f'=IF(D{self.cf_irr_m}="","",(1+D{self.cf_irr_m})^months_per_year-1)',
                _SHARE_FMT,
            ),
            (
                self.cf_payback,
                "payback_month",
                f'=IF(${self.cols[-1]}${CUM}<0,"",MAX({self.row_range(None, PB)}))',
                _FLAG_FMT,
            ),
        ]
        for row, label, f, fmt in rows:
            sh.text(row, 1, label)
            sh.formula(row, 4, f, number_format=fmt, font=_TOTAL_FONT)
        sh.widths({"A": 52, "B": 12, "C": 4, "D": 18})
        for c in self.cols:
            ws.column_dimensions[c].width = 13

    # -- Summary ---------------------------------------------------------------------

    def summary(self) -> None:
        ws = self.wb.create_sheet("Summary")
        sh = _Sheet(ws)
        sh.header(1, ["metric", "value", "unit", "aiopex run (value when written)"])
        cur = getattr(self.sc, "currency", "USD")
        rows: list[tuple[str, str, str, Any, str]] = []  # name, formula, fmt, engine, unit
        m = self.r.metrics
        ct = self.cost_total_row
        self.srow: dict[str, int] = {}
        r = 2
        # first pass: assign rows
        names: list[str] = []
        for name in METRICS:
            if name == "cost_by_category":
                names += [f"cost_by_category.{c}" for c in self.categories]
            else:
                names.append(name)
        for name in names:
            self.srow[name] = r
            r += 1
        S = self.srow

        def b(name: str) -> str:
            return f"B{S[name]}"

        for name in names:
            if name.startswith("cost_by_category."):
                cat = name.split(".", 1)[1]
                engine = (m.get("cost_by_category") or {}).get(cat)
                rows.append((name, f"=Costs!D{self.sub_row[cat]}", self.money, engine, cur))
                continue
            engine = m.get(name)
            f, fmt, unit = {
                "cost_total": (f"=Costs!D{ct}", self.money, cur),
                "benefit_total": (f"=CashFlow!D{self.cf['benefit']}", self.money, cur),
                "net_total": (f"={b('benefit_total')}-{b('cost_total')}", self.money, cur),
                "npv": (f"=CashFlow!D{self.cf_npv}", self.money, cur),
                "irr_annual": (f"=CashFlow!D{self.cf_irr}", _SHARE_FMT, "per year"),
                "payback_month": (f"=CashFlow!D{self.cf_payback}", _FLAG_FMT, "month index"),
                "roi": (
                    f'=IF({b("cost_total")}=0,"",{b("net_total")}/{b("cost_total")})',
                    _SHARE_FMT,
                    "net / cost",
                ),
                "run_rate_monthly": (
                    f"=AVERAGE({self.row_range('Costs', ct, self.n_last)})",
                    self.money,
                    f"{cur} per month, mean of the last {self.n_last} months",
                ),
                "requests_total": (
                    f"=Drivers!D{self.drow['requests']}",
                    _COUNT_FMT,
                    "requests",
                ),
                "cost_per_request": (
                    f'=IF({b("requests_total")}=0,"",{b("cost_total")}/{b("requests_total")})',
                    "#,##0.0000",
                    f"{cur} per request",
                ),
                "retrains": (f"=Drivers!D{self.drow['retrain']}", _FLAG_FMT, "months"),
                "degraded_months": (f"=Drivers!D{self.drow['degraded']}", _FLAG_FMT, "months"),
            }[name]
            rows.append((name, f, fmt, engine, unit))
        for name, f, fmt, engine, unit in rows:
            row = S[name]
            sh.text(row, 1, name)
            sh.formula(row, 2, f, number_format=fmt, font=_TOTAL_FONT)
            sh.text(row, 3, unit)
            sh.value(row, 4, engine, number_format=fmt)
        self.summary_end = r - 1
        sh.widths({"A": 34, "B": 20, "C": 40, "D": 30})
        ws.freeze_panes = "B2"
        self._charts(ws)

    def _charts(self, ws: Worksheet) -> None:
        costs = self.wb["Costs"]
        cats = Reference(
            self.wb["Drivers"],
            min_col=FIRST_MONTH_COLUMN,
            max_col=FIRST_MONTH_COLUMN + self.H - 1,
            min_row=_LABEL_ROW,
        )
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "stacked"
        bar.overlap = 100
        bar.title = "Cost by category"
        bar.y_axis.title = "cost per month"
        for cat, row in self.sub_row.items():
            ref = Reference(
                costs,
                min_col=FIRST_MONTH_COLUMN,
                max_col=FIRST_MONTH_COLUMN + self.H - 1,
                min_row=row,
            )
            bar.series.append(Series(ref, title=cat))
        bar.set_categories(cats)
        bar.y_axis.number_format = _COUNT_FMT
        bar.x_axis.delete = bar.y_axis.delete = False  # openpyxl hides axes in Excel otherwise
        bar.height, bar.width = 9, 22
        ws.add_chart(bar, "F2")

        line = LineChart()
        line.title = "Cumulative net"
        line.y_axis.title = "cumulative net"
        ref = Reference(
            self.wb["CashFlow"],
            min_col=FIRST_MONTH_COLUMN,
            max_col=FIRST_MONTH_COLUMN + self.H - 1,
            min_row=self.cf["cumulative_net"],
        )
        line.series.append(Series(ref, title="cumulative net"))
        line.set_categories(cats)
        line.y_axis.number_format = _COUNT_FMT
        line.x_axis.delete = line.y_axis.delete = False
        line.height, line.width = 9, 22
        ws.add_chart(line, "F21")

    # -- Pilot -----------------------------------------------------------------------

    def pilot(self) -> None:
        pdoc = (getattr(self.sc, "resolved", None) or {}).get("pilot")
        if self.r.pilot is None or not pdoc:
            return
        ws = self.wb.create_sheet("Pilot")
        sh = _Sheet(ws)
        sh.text(
            1,
            1,
            "Pilot: what it paid, what it absorbed, and the bridge to production",
            font=_TITLE_FONT,
        )
        r = 3
        sh.header(r, ["pilot input", "value", "note"])
        prow: dict[str, int] = {}
        for key, note in (
            ("months", "months the pilot ran"),
            ("users", "pilot users"),
            ("requests_per_month", "requests per month in the pilot"),
        ):
            r += 1
            sh.text(r, 1, f"pilot.{key}")
            sh.value(r, 2, _point(pdoc.get(key)), **_input_style())
            sh.text(r, 3, note)
            prow[key] = r
        r += 2
        sh.text(r, 1, "paid: what the pilot's own budget showed, per month", font=_HEAD_FONT)
        r += 1
        sh.header(r, ["name", "category", "amount_per_month"])
        paid = list(pdoc.get("paid") or [])
        paid_rows: list[int] = []
        for it in paid:
            r += 1
            sh.text(r, 1, it.get("name", ""))
            sh.text(r, 2, it.get("category", ""))
            sh.value(
                r, 3, _point(it.get("amount_per_month")), number_format=self.money, **_input_style()
            )
            paid_rows.append(r)
        r += 2
        sh.text(r, 1, "absorbed: what someone else paid, or nobody counted", font=_HEAD_FONT)
        r += 1
        sh.header(
            r, ["name", "category", "hours_per_month", "hourly_rate", "amount_per_month", "paid_by"]
        )
        abs_rows: list[int] = []
        for it in pdoc.get("absorbed") or []:
            r += 1
            sh.text(r, 1, it.get("name", ""))
            sh.text(r, 2, it.get("category", ""))
            if it.get("amount_per_month") is not None:
                sh.value(
                    r, 5, _point(it["amount_per_month"]), number_format=self.money, **_input_style()
                )
            else:
                sh.value(r, 3, _point(it.get("hours_per_month")), **_input_style())
                sh.value(
                    r, 4, _point(it.get("hourly_rate")), number_format=self.money, **_input_style()
                )
                sh.formula(r, 5, f"=C{r}*D{r}", number_format=self.money)
            if it.get("paid_by") is not None:
                sh.text(r, 6, it["paid_by"])
            abs_rows.append(r)

        r += 2
        sh.header(r, ["metric", "value", "definition", "aiopex run (value when written)"])
        self.prow: dict[str, int] = {}
        names = ["prod_requests", *PILOT_METRICS]
        for name in names:
            r += 1
            self.prow[name] = r
        P = self.prow

        def b(name: str) -> str:
            return f"B{P[name]}"

        paid_sum = f"=SUM(C{paid_rows[0]}:C{paid_rows[-1]})" if paid_rows else None
        abs_sum = f"=SUM(E{abs_rows[0]}:E{abs_rows[-1]})" if abs_rows else None
        rpm = f"B{prow['requests_per_month']}"
        rpm_abs = f"$B${prow['requests_per_month']}"
        defs = {
            "prod_requests": (
                f"=AVERAGE({self.row_range('Drivers', self.drow['requests'], self.n_last)})",
                _DEC_FMT,
                f"mean requests per month over the last {self.n_last} months",
            ),
            "pilot_reported_monthly": (paid_sum, self.money, "sum of paid"),
            "pilot_absorbed_monthly": (abs_sum, self.money, "sum of absorbed"),
            "pilot_true_monthly": (
                f"={b('pilot_reported_monthly')}+{b('pilot_absorbed_monthly')}",
                self.money,
                "reported + absorbed",
            ),
            "absorbed_share": (
                f'=IF({b("pilot_true_monthly")}=0,"",'
                f"{b('pilot_absorbed_monthly')}/{b('pilot_true_monthly')})",
                _SHARE_FMT,
                "absorbed / true",
            ),
            "naive_production_monthly": (
                f"={b('pilot_reported_monthly')}/{rpm}*{b('prod_requests')}",
                self.money,
                "reported / pilot requests per month x production requests",
            ),
            "production_monthly": (
                f"=Summary!B{self.srow['run_rate_monthly']}",
                self.money,
                "run_rate_monthly",
            ),
            "hidden_cost_multiple": (
                f'=IF({b("naive_production_monthly")}=0,"",'
                f"{b('production_monthly')}/{b('naive_production_monthly')})",
                "0.00",
                "production / naive",
            ),
        }
        for name in names:
            f, fmt, note = defs[name]
            row = P[name]
            sh.text(row, 1, name)
            if f is None:
                sh.value(row, 2, 0, number_format=fmt)
            else:
                sh.formula(row, 2, f, number_format=fmt, font=_TOTAL_FONT)
            sh.text(row, 3, note)
            if name in self.r.pilot:
                sh.value(row, 4, self.r.pilot.get(name), number_format=fmt)

        r += 2
        sh.text(r, 1, "bridge: from the naive scale-up to the production run rate", font=_HEAD_FONT)
        r += 1
        sh.header(r, ["category", "naive", "production", "step"])
        bridge_cats = [b_["category"] for b_ in self.r.pilot.get("bridge") or []]
        if not bridge_cats:
            cats = {it.get("category") for it in paid} | set(self.categories)
            bridge_cats = [c for c in CATEGORIES if c in cats]
        self.bridge_row: dict[str, int] = {}
        first = r + 1
        for cat in bridge_cats:
            r += 1
            self.bridge_row[cat] = r
            sh.text(r, 1, cat)
            if paid_rows:
                lo, hi = paid_rows[0], paid_rows[-1]
                sh.formula(
                    r,
                    2,
                    f"=SUMIF($B${lo}:$B${hi},$A{r},$C${lo}:$C${hi})/{rpm_abs}"
                    f"*$B${P['prod_requests']}",
                    number_format=self.money,
                )
            else:
                sh.value(r, 2, 0, number_format=self.money)
            if cat in self.sub_row:
                sh.formula(
                    r,
                    3,
                    f"=AVERAGE({self.row_range('Costs', self.sub_row[cat], self.n_last)})",
                    number_format=self.money,
                )
            else:
                sh.value(r, 3, 0, number_format=self.money)
            sh.formula(r, 4, f"=C{r}-B{r}", number_format=self.money)
        r += 1
        sh.text(r, 1, "total", font=_TOTAL_FONT)
        for col, letter in ((2, "B"), (3, "C"), (4, "D")):
            if bridge_cats:
                sh.formula(
                    r,
                    col,
                    f"=SUM({letter}{first}:{letter}{r - 1})",
                    number_format=self.money,
                    font=_TOTAL_FONT,
                )
        sh.widths({"A": 44, "B": 18, "C": 48, "D": 30, "E": 18, "F": 28})

    # -- Readiness -------------------------------------------------------------------

    def readiness(self) -> None:
        rd = self.r.readiness or {}
        ws = self.wb.create_sheet("Readiness")
        sh = _Sheet(ws)
        answered, total = rd.get("answered"), rd.get("total")
        sh.text(1, 1, "Readiness: the questions a pilot never answers", font=_TITLE_FONT)
        sh.text(2, 1, "answered")
        sh.value(2, 2, answered)
        sh.text(2, 3, f"of {total}" if total is not None else "")
        r = 4
        sh.header(r, ["question", "label", "answered", "answer", "what the numbers say"])
        for it in rd.get("items") or []:
            r += 1
            sh.text(r, 1, it.get("question", ""))
            sh.text(r, 2, it.get("label", ""))
            sh.text(r, 3, "yes" if it.get("answered") else "NO")
            if it.get("answer"):
                sh.text(r, 4, it["answer"], alignment=_WRAP)
            ev = it.get("evidence") or []
            if ev:
                sh.text(r, 5, "\n".join(str(e) for e in ev), alignment=_WRAP)
        warnings = rd.get("warnings") or []
        if warnings:
            r += 2
            sh.text(r, 1, "warnings", font=_HEAD_FONT)
            for w in warnings:
                r += 1
                sh.text(r, 1, w)
        sh.widths({"A": 22, "B": 34, "C": 10, "D": 70, "E": 60})
        ws.freeze_panes = "A5"

    # -- Uncertainty -----------------------------------------------------------------

    def uncertainty(self) -> None:
        u = self.r.uncertainty
        if not u or self.r.draws <= 1:
            return
        ws = self.wb.create_sheet("Uncertainty")
        sh = _Sheet(ws)
        sh.text(
            1,
            1,
            f"Uncertainty: {self.r.draws} Monte Carlo draws, seed {self.r.seed}",
            font=_TITLE_FONT,
        )
        rows: list[tuple[str, dict[str, Any]]] = []
        for name, v in u.items():
            if name in ("monthly", "prob_npv_negative") or not isinstance(v, dict):
                continue
            if name == "cost_by_category":
                rows += [(f"cost_by_category.{c}", s) for c, s in v.items() if isinstance(s, dict)]
            else:
                rows.append((name, v))
        stats: list[str] = []
        for _, s in rows:
            for k in s:
                if k not in stats:
                    stats.append(k)
        r = 3
        sh.header(r, ["metric", *stats])
        for name, s in rows:
            r += 1
            sh.text(r, 1, name)
            for j, k in enumerate(stats):
                sh.value(r, 2 + j, s.get(k), number_format="#,##0.####")
        if "prob_npv_negative" in u:
            r += 2
            sh.text(r, 1, "prob_npv_negative")
            sh.value(r, 2, u["prob_npv_negative"], number_format=_SHARE_FMT)
        monthly = u.get("monthly") or {}
        if monthly:
            r += 2
            sh.text(r, 1, "monthly percentiles", font=_HEAD_FONT)
            r += 1
            for m, c in enumerate(self.cols):
                sh.formula(r, FIRST_MONTH_COLUMN + m, f"=Drivers!{c}${_LABEL_ROW}", font=_HEAD_FONT)
            for series, pct in monthly.items():
                for k, values in pct.items():
                    r += 1
                    sh.text(r, 1, f"{series} {k}")
                    for m, v in enumerate(list(values)[: self.H]):
                        sh.value(r, FIRST_MONTH_COLUMN + m, v, number_format=self.money)
        sh.widths({"A": 34})
        for col in range(2, max(2 + len(stats), FIRST_MONTH_COLUMN + self.H)):
            ws.column_dimensions[get_column_letter(col)].width = 16
        ws.freeze_panes = "B4"

    # -- About -----------------------------------------------------------------------

    def about(self) -> None:
        from aiopex import __version__

        ws = self.wb.create_sheet("About")
        sh = _Sheet(ws)
        sc = self.sc
        when = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
        rows: list[tuple[str, Any]] = [
            ("package", "aiopex"),
            ("version", __version__),
            ("scenario", getattr(sc, "name", "")),
            ("scenario file", str(getattr(sc, "path", ""))),
            ("description", getattr(sc, "description", "") or ""),
            ("currency", getattr(sc, "currency", "")),
            ("start", getattr(sc, "start", "")),
            ("horizon_months", self.H),
            ("inputs_hash", getattr(sc, "inputs_hash", "")),
            ("seed", self.r.seed),
            ("draws", self.r.draws),
            ("written (UTC)", when),
        ]
        sh.header(1, ["item", "value"])
        r = 1
        for k, v in rows:
            r += 1
            sh.text(r, 1, k)
            if isinstance(v, int | float) and not isinstance(v, bool):
                sh.value(r, 2, v)
            elif v is None:
                sh.text(r, 2, "none")
            else:
                sh.text(r, 2, v, alignment=_WRAP)
        notes = [
            "Inputs (yellow, blue text) are the resolved scenario's point values; "
            "Inputs column D says which ones the formulas use.",
            "Drivers (blue fill) are the aiopex engine's monthly values: changing usage, "
            "quality or retraining inputs needs a new `aiopex forecast` run.",
            "Costs, CashFlow, Summary and Pilot are formulas: change a rate, a discount rate "
            "or a benefit input and every total moves.",
            "Money is in the scenario's currency; cash flows are at month end; NPV is Excel's "
            "NPV at the monthly rate (1 + discount_rate)^(1/12) - 1.",
        ]
        r += 2
        sh.text(r, 1, "notes", font=_HEAD_FONT)
        for n in notes:
            r += 1
            sh.text(r, 1, n)
        sh.widths({"A": 22, "B": 90})

    # -- all -------------------------------------------------------------------------

    def build(self) -> Workbook:
        self.inputs()
        self.drivers()
        self.costs()
        self.cashflow()
        self.summary()
        self.pilot()
        self.readiness()
        self.uncertainty()
        self.about()
        self.mark_live_inputs()
        self.wb.active = self.wb.sheetnames.index("Summary")
        self.wb.properties.creator = "aiopex"
        return self.wb


def _point(x: Any) -> Any:
    """A plain number from a resolved-scenario value (a mapping range gets its point)."""
    if isinstance(x, dict):
        try:
            from aiopex.inputs.uncertain import Range, point

            return point(Range.model_validate(x))
        except Exception:  # noqa: BLE001 - fall back to what the file says
            return x.get("point", x.get("mode", x.get("mean")))
    return x


def write_workbook(result: Result, path: str | Path) -> Path:
    """Write ``result`` as an Excel workbook with live formulas.

    Parameters
    ----------
    result : Result
        What :func:`aiopex.run` returned.
    path : str or Path
        The ``.xlsx`` file to write; written under a temporary name and renamed
        into place, so an interrupted run leaves no half-written file.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Every cell of ``Costs`` in the month columns is a formula on ``Drivers`` and
    ``Inputs``, as SCENARIO.md's cost-line table gives it::

        =IF(AND(m >= from_month, m <= to_month), q(m) * rate * (1 + e)^(m / 12), 0)

    with ``q`` per driver (``tokens / 1000``, ``fte * rate / 12``, capacity units
    ``MAX(min_units, ROUNDUP(requests / capacity_per_unit, 0))``, ...). ``CashFlow``
    computes the benefit (0 in a degraded month when the fallback is ``manual``),
    the net, ``NPV(r, net)`` with ``r = (1 + discount_rate)^(1/12) - 1`` and
    ``(1 + IRR(net))^12 - 1``. After a spreadsheet program recalculates, every
    value in ``Summary`` column B equals ``result.metrics`` (``None`` is an empty
    cell).

    Warnings
    --------
    Drivers are values, not formulas: only inputs marked ``live`` on ``Inputs``
    move the totals. A spreadsheet program rounds ``ROUNDUP`` arguments to 15
    significant digits first, so a capacity line whose requests are within about
    1e-15 relative of a whole number of units may differ by one unit from aiopex.

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
    ['Inputs', 'Drivers', 'Costs', 'CashFlow', 'Summary', 'Readiness', 'About']
    >>> f = wb["Costs"]["E4"].value  # api, month 0: in its months, requests x rate x escalation
    >>> f[:44]
    '=IF(AND(E$2>=Inputs!$B$24,E$2<=Inputs!$B$25)'
    >>> f[44:]
    ',Drivers!E$7*Inputs!$B$22*(1+Inputs!$B$23)^(E$2/months_per_year),0)'
    """
    wb = _Writer(result).build()
    target = Path(path)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
