"""The ``Inputs`` sheet: every scalar input of the resolved scenario, each a defined name.

One row per input: dotted path (as ``--set`` names it), point value, unit or
note, and whether the workbook's formulas use it. Every value cell gets a
defined name (``costs.llm_input.rate`` is ``llm_input_rate``), so formulas read
as words. Then the pilot's hours, rates and amounts, and the workbook
constants (12 months a year, 60 minutes an hour, 1000 tokens), so no number is
ever typed inside a formula.

Money inputs show no cents when they have none (``240,000``, ``48``), cents otherwise
(``176.64``), and a price below 1 every digit it has (``0.0025`` per 1k tokens): a
conditional format drops the decimals of a whole amount, so an edited value still shows
its cents.
Notes wrap within their column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiopex.model import costs as cost_model
from aiopex.model.returns import IRR_CEILING, SMALL_OUTLAY
from aiopex.names import COMMITMENT_DRIVER
from aiopex.outputs.excel.formats import input_kind
from aiopex.outputs.excel.layout import ROW_HEIGHT, TEXT_PER_WIDTH, Sheet, a1, wrapped_lines
from aiopex.outputs.excel.source import Source

NAME = "Inputs"
#: Width of the notes column, in characters of the default font; longer notes wrap.
NOTE_WIDTH = 72

#: Inputs whose cells the formulas read (the rest shape the engine's drivers).
LIVE_PREFIXES = (
    "costs.",
    "benefits.",
    "finance.discount_rate",
    "finance.fiscal_year_start",
    "degradation.fallback",
    "pilot.",
    "commitments.",
)

#: Workbook constants: (defined name, value, note).
CONSTANTS: tuple[tuple[str, float, str], ...] = (
    ("months_per_year", 12, "months in a year: escalation (1+e)^(m/12), fte rate / 12, rates"),
    ("minutes_per_hour", 60, "minutes in an hour: benefits"),
    ("tokens_per_1k", 1000, "tokens per thousand: per_1k_*_tokens lines"),
    ("irr_ceiling", IRR_CEILING, "an annual IRR above this says little (Summary's IRR note)"),
    (
        "small_outlay",
        SMALL_OUTLAY,
        "an outlay under this share of the net that follows it is small (the IRR note)",
    ),
)

#: Sections whose name is dropped from the defined name (``benefits.hourly_rate`` is
#: ``hourly_rate``); other sections keep it (``usage_population``).
_SHORT = ("costs.", "benefits.", "finance.", "degradation.", "commitments.")
_CELL_LIKE = re.compile(r"^([a-z]{1,3}\d+|r\d*c?\d*|c\d*)$", re.IGNORECASE)


@dataclass(frozen=True)
class InputRefs:
    """What other sheets need from ``Inputs``: the defined name and value of every input."""

    names: dict[str, str]  # dotted path -> defined name
    values: dict[str, Any]  # dotted path -> point value
    irr_guess: str  # defined name of the IRR guess
    first_row: int = 1  # 0-based rows of the first and last input (column F: the run's value)
    last_row: int = 1

    def __getitem__(self, path: str) -> str:
        return self.names[path]

    def value(self, path: str) -> Any:
        return self.values[path]


def defined_name(path: str) -> str:
    """The defined name of an input: its dotted path as a spreadsheet name.

    Examples
    --------
    >>> defined_name("costs.llm_input.rate"), defined_name("usage.adoption.ceiling")
    ('llm_input_rate', 'usage_adoption_ceiling')
    >>> defined_name("pilot.paid[0].amount_per_month")
    'pilot_paid_1_amount_per_month'
    """
    p = path
    for pre in _SHORT:
        if p.startswith(pre):
            p = p[len(pre) :]
            break
    p = re.sub(r"\[(\d+)\]", lambda m: f"_{int(m.group(1)) + 1}", p)
    name = re.sub(r"[^A-Za-z0-9_]", "_", p)
    if not re.match(r"^[A-Za-z_]", name) or _CELL_LIKE.match(name):
        name = "in_" + name
    return name


def _validation(path: str) -> dict[str, Any] | None:
    """Excel data validation of an input cell the formulas read, where its values are few."""
    if path == "degradation.fallback":
        return {"validate": "list", "source": ["manual", "none"]}
    if path == "finance.fiscal_year_start":
        return {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 12}
    if path.startswith("costs.") and path.endswith(("from_month", "to_month", ".month")):
        return {"validate": "integer", "criteria": ">=", "value": 0}
    if path.startswith("costs.") and path.endswith(("rate", "fte", "capacity_per_unit")):
        return {"validate": "decimal", "criteria": ">=", "value": 0}
    if path.startswith("commitments.") and path.endswith(".discount"):
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 0.999999}
    if path.startswith("commitments.") and path.endswith(".amount_per_month"):
        return {"validate": "decimal", "criteria": ">=", "value": 0}
    if path.startswith("commitments.") and path.endswith(("from_month", "term_months")):
        return {"validate": "integer", "criteria": ">=", "value": 0}
    return None


def is_live(path: str) -> bool:
    """Whether the workbook's formulas read this input."""
    return path.startswith(LIVE_PREFIXES)


def rows(src: Source) -> list[tuple[str, Any, str]]:
    """Every input as ``(dotted path, point value, unit or note)``, in sheet order."""
    sc = src.scenario
    out = list(sc.scalar_inputs())
    have = {p for p, _, _ in out}

    def need(path: str, value: Any, note: str = "default applied by aiopex") -> None:
        if path not in have and value is not None:
            out.append((path, value, note))
            have.add(path)

    need("finance.discount_rate", 0.10)
    need("finance.fiscal_year_start", src.fiscal_year_start, "month (1-12) the fiscal year starts")
    need("degradation.fallback", "none")
    for name in ("minutes_saved_per_item", "hourly_rate", "cost_per_error"):
        need(f"benefits.{name}", 0.0)
    for ln in src.specs:
        if ln.driver == COMMITMENT_DRIVER:  # its inputs are the scenario's commitments.*
            continue
        p = f"costs.{ln.name}"
        need(f"{p}.rate", ln.rate)
        need(f"{p}.escalation_per_year", ln.escalation_per_year)
        need(f"{p}.from_month", ln.from_month)
        need(f"{p}.to_month", ln.to_month)
        if ln.driver == "one_time":
            need(f"{p}.month", ln.month)
        if ln.driver == "fte":
            need(f"{p}.fte", ln.fte)
        if ln.driver == "capacity":
            need(f"{p}.capacity_per_unit", ln.capacity_per_unit)
            need(f"{p}.min_units", ln.min_units)
    pilot = getattr(sc.model, "pilot", None)
    if pilot is not None and src.pilot is not None:
        cur = src.currency
        need("pilot.requests_per_month", pilot.requests_per_month, "requests per month")
        need("pilot.months", pilot.months, "months the pilot ran")
        need("pilot.users", pilot.users, "pilot users")
        for i, it in enumerate(pilot.paid):
            need(f"pilot.paid[{i}].amount_per_month", it.amount_per_month, f"{cur}: {it.name}")
        for i, it in enumerate(pilot.absorbed):
            p = f"pilot.absorbed[{i}]"
            if it.amount_per_month is not None:
                need(f"{p}.amount_per_month", it.amount_per_month, f"{cur}: {it.name}")
            else:
                need(f"{p}.hours_per_month", it.hours_per_month, f"hours: {it.name}")
                need(f"{p}.hourly_rate", it.hourly_rate, f"{cur} per hour: {it.name}")
    return out


def _note(sh: Sheet, r: int, note: str) -> str:
    """The unit or note of row ``r``, wrapped (with a taller row) when it is long; returns
    the style variant of the row's other cells (``"+top"`` when it wraps, else ``""``)."""
    lines = wrapped_lines(note, NOTE_WIDTH * TEXT_PER_WIDTH - 2)  # less the indent
    if lines == 1:
        sh.text(r, 2, note, "text+note")
        return ""
    sh.text(r, 2, note, "text+note+wrap")
    sh.ws.set_row(r, ROW_HEIGHT * lines)
    return "+top"


def write(wb: Any, fmt: Any, src: Source) -> InputRefs:
    """Write ``Inputs``; return the defined name and value of every input."""
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    sh.header(
        0, ["input", "value", "unit or note", "in formulas", "defined name", "value the run used"]
    )
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    taken: set[str] = set()
    money_cells: list[str] = []
    r = 1
    for path, value, note in rows(src):
        name = defined_name(path)
        if name.lower() in taken:  # two paths that read alike: keep the whole path
            name = defined_name("x." + path.replace(".", "_"))
        taken.add(name.lower())
        top = _note(sh, r, note)  # "+top" in a row whose note wraps
        sh.text(r, 0, path, "text" + top)
        kind = input_kind(path, value)
        if kind == "price":
            money_cells.append(a1(r, 1, absolute=False))
            if abs(float(value)) >= 1:  # an amount: to the cent (a point value may be 176.635...)
                kind = "decimal"
        sh.value(r, 1, value, kind + "+input" + top)
        sh.text(r, 3, "live" if is_live(path) else "engine only: re-run aiopex", "text" + top)
        sh.text(r, 4, name, "text" + top)
        sh.value(r, 5, value, kind + top)  # kept as written: the stale flags compare with it
        wb.define_name(name, "=" + a1(r, 1, NAME))
        rule = _validation(path)
        if rule is not None:
            sh.ws.data_validation(r, 1, r, 1, rule)
        names[path], values[path] = name, value
        r += 1
    last_input = r - 1
    for col, range_name in ((1, "inputs_now"), (3, "inputs_in_formulas"), (5, "inputs_as_run")):
        # the stale flags of the sheets that do not recalculate compare these
        first_cell, last_cell = a1(1, col, NAME), a1(last_input, col)
        wb.define_name(range_name, f"={first_cell}:{last_cell}")
    r += 1
    sh.text(r, 0, "workbook constants (unit conversions, not scenario inputs)", "text+bold")
    r += 1
    consts = [*CONSTANTS]
    if any(ln.driver == "capacity" for ln in src.specs):
        consts.append(
            (
                "capacity_tolerance",
                getattr(cost_model, "CEIL_TOLERANCE", 0.0),
                "capacity units round up, ignoring float noise below this share of a unit count",
            )
        )
    irr = src.metrics.get("irr_annual")
    guess = (1.0 + irr) ** (1.0 / 12.0) - 1.0 if isinstance(irr, int | float) else 0.1
    consts.append(
        ("irr_guess_monthly", guess, "where IRR starts its search: the aiopex run's monthly IRR")
    )
    for name, value, note in consts:
        top = _note(sh, r, note)
        sh.text(r, 0, name, "text" + top)
        style = {"irr_guess_monthly": "share", "capacity_tolerance": "sci"}.get(name, "count")
        sh.value(r, 1, value, style + "+const" + top)
        sh.text(r, 3, "constant", "text" + top)
        sh.text(r, 4, name, "text" + top)
        wb.define_name(name, "=" + a1(r, 1, NAME))
        r += 1
    if money_cells:  # a whole amount without cents: 240,000 rather than 240,000.00
        first = money_cells[0]
        sh.ws.conditional_format(
            first,
            {
                "type": "formula",
                "criteria": f"=AND(ISNUMBER({first}),{first}=INT({first}))",
                "format": wb.add_format({"num_format": "#,##0"}),
                "multi_range": " ".join(money_cells),
            },
        )

    def fit(texts: Any, least: float) -> float:  # a column as wide as its longest text
        return max(least, max(map(len, texts), default=0) / TEXT_PER_WIDTH + 2)

    sh.widths({0: fit(names, 40), 1: 16, 2: NOTE_WIDTH, 3: 24, 4: fit(names.values(), 34), 5: 18})
    sh.ws.freeze_panes(1, 1)
    sh.print_setup(repeat_rows=0)
    return InputRefs(
        names=names,
        values=values,
        irr_guess="irr_guess_monthly",
        first_row=1,
        last_row=last_input,
    )
