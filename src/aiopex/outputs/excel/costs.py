"""The ``Costs`` sheet: one row per cost line, one column per month, every cell a formula.

Each month of a line is the amount of docs/formulas.md#costs::

    =IF(AND(m >= from_month, m <= to_month), q(m) * rate * (1 + escalation_per_year)^(m / 12), 0)

with ``q(m)`` per driver (:func:`quantity_formula`), then the subtotal of every
category (``SUMIF`` on column B) and the total cost.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.model import costs as cost_model
from aiopex.model.costs import DRIVERS
from aiopex.names import COMMITMENT_DRIVER
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import C0, HEAD_ROW, INDEX_ROW, Grid, Sheet
from aiopex.outputs.excel.source import Source

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.model.costs import LineSpec

NAME = "Costs"
D = monthly.DRIVERS


@dataclass(frozen=True)
class CostRefs:
    """Rows (0-based) of ``Costs``: every line, every category subtotal, the total, and
    every commitment's workings (``{commitment: {key: row}}``, :func:`commitment_rows`)."""

    line_row: dict[str, int]
    category_row: dict[str, int]
    total_row: int
    commitment_row: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)


def quantity_formula(ln: LineSpec, col: str, drivers: DriverRefs, inputs: InputRefs) -> str:
    """The ``q(m) * rate`` part of a line's month in column ``col``, from the driver
    registry (:data:`aiopex.model.costs.DRIVERS`)."""
    try:
        d = DRIVERS[ln.driver]
    except KeyError:
        raise ValueError(f"cost line {ln.name!r}: unknown driver {ln.driver!r}") from None
    values = {"rate": inputs[f"costs.{ln.name}.rate"], "m": f"{col}${INDEX_ROW + 1}"}
    for field in d.fields:
        if field in ("fte", "month"):
            values[field] = inputs[f"costs.{ln.name}.{field}"]
    if d.series == "capacity_units":
        values["series"] = f"{D}!{col}${drivers.capacity_row[ln.name] + 1}"
    elif d.series is not None:
        values["series"] = f"{D}!{col}${drivers.row[d.series] + 1}"
    return d.excel.format(**values)


def on_demand_formula(ln: LineSpec, col: str, drivers: DriverRefs, inputs: InputRefs) -> str:
    """A cost line's month in column ``col`` as "Cost lines" defines it (no commitment)::

    =IF(AND(m >= from_month, m <= to_month), q(m) * rate * (1 + e)^(m / 12), 0)
    """
    n = lambda field: inputs[f"costs.{ln.name}.{field}"]  # noqa: E731
    t = f"{col}${INDEX_ROW + 1}"
    return (
        f"=IF(AND({t}>={n('from_month')},{t}<={n('to_month')}),"
        f"{quantity_formula(ln, col, drivers, inputs)}"
        f"*(1+{n('escalation_per_year')})^({t}/months_per_year),0)"
    )


def write(
    wb: Any, fmt: Any, src: Source, grid: Grid, inputs: InputRefs, drivers: DriverRefs
) -> CostRefs:
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    monthly.time_axis(
        sh, grid, f"Costs ({src.currency}): quantity x rate x escalation", drivers.dates
    )
    sh.header(HEAD_ROW, ["cost line", "category", "driver", "total"], right_from=3)
    # the commitments' workings go below the total: their rows are known before any line
    block_top = HEAD_ROW + len(src.specs) + 2 + len(src.categories) + 4
    block = commitment_rows(src, block_top)
    r = HEAD_ROW
    line_row: dict[str, int] = {}
    for ln in src.specs:
        r += 1
        sh.text(r, 0, ln.name)
        sh.text(r, 1, ln.category)
        sh.text(r, 2, ln.driver)
        amount = src.amount[ln.name]
        for m, c in enumerate(grid.cols):
            if ln.driver == COMMITMENT_DRIVER:  # C in the term, 0 outside
                rows = block[ln.name]
                amount_in = inputs[f"commitments.{ln.name}.amount_per_month"]
                f = f"={c}{rows['in_term'] + 1}*{amount_in}"
            elif ln.name in block:  # covered: on demand x overage / S in the term
                rows = block[block[ln.name]]
                f = f"={c}{rows['on_demand:' + ln.name] + 1}*{c}{rows['factor'] + 1}"
            else:
                f = on_demand_formula(ln, c, drivers, inputs)
            sh.formula(r, C0 + m, f, float(amount[m]), "money")
        sh.formula(r, 3, f"=SUM({grid.row(r)})", float(amount.sum()), "money+bold")
        line_row[ln.name] = r
    r += 2
    sh.text(r, 0, "subtotals by category", "text+bold")
    first, last = (min(line_row.values()), max(line_row.values())) if line_row else (r, r)
    category_row: dict[str, int] = {}
    for cat in src.categories:
        r += 1
        sh.text(r, 0, cat)
        sh.text(r, 1, "category")
        values = src.category_amount[cat]
        for m, c in enumerate(grid.cols):
            f = f"=SUMIF($B${first + 1}:$B${last + 1},$A{r + 1},{c}${first + 1}:{c}${last + 1})"
            sh.formula(r, C0 + m, f, float(values[m]), "money")
        sh.formula(r, 3, f"=SUM({grid.row(r)})", float(values.sum()), "money+bold")
        category_row[cat] = r
    r += 1
    total_row = r
    sh.text(r, 0, "total cost", "text+total")
    for col in (1, 2):
        sh.text(r, col, "", "text+total")
    subs = list(category_row.values()) or [r - 1]
    lo, hi = min(subs) + 1, max(subs) + 1
    cost = np.asarray(src.cost, dtype=float)
    for m, c in enumerate(grid.cols):
        sh.formula(r, C0 + m, f"=SUM({c}${lo}:{c}${hi})", float(cost[m]), "money+total")
    sh.formula(r, 3, f"=SUM({grid.row(r)})", float(cost.sum()), "money+total")
    assert block_top > total_row + 1
    write_commitments(sh, src, grid, inputs, drivers, block)
    monthly.finish(sh, grid)
    commits = {k: v for k, v in block.items() if isinstance(v, dict)}
    return CostRefs(line_row=line_row, category_row=category_row, total_row=total_row,
                    commitment_row=commits)  # fmt: skip


#: The workings of one commitment, in order: (key, label, total shown).
WORKINGS: tuple[tuple[str, str, bool], ...] = (
    ("spend", "spend on demand S", True),
    ("in_term", "in the term (1) or not (0)", True),
    ("billed", "covered lines' cost: C + MAX(S - C/(1-d), 0) in the term, else S", True),
    ("covered", "covered: MIN(S, C/(1-d))", True),
    ("overage", "overage: S - covered, at the lines' own rates", True),
    ("unused_commitment", "unused commitment: C - (1-d) x covered", True),
    ("commitment_savings", "saving: S - C - overage", True),
    ("factor", "covered lines' rate factor: overage / S (0 when S = 0)", False),
)


def commitment_rows(src: Source, top: int) -> dict[str, Any]:
    """Rows of every commitment's workings from row ``top``: ``{commitment: {key: row}}``
    (keys ``label``, ``on_demand:<line>``, then :data:`WORKINGS`), and ``{line:
    commitment}`` for every covered line."""
    out: dict[str, Any] = {}
    r = top
    for ln in src.specs:
        if ln.driver != COMMITMENT_DRIVER:
            continue
        rows = {"label": r}
        for name in ln.covers:
            r += 1
            rows[f"on_demand:{name}"] = r
            out[name] = ln.name
        for key, _, _ in WORKINGS:
            r += 1
            rows[key] = r
        out[ln.name] = rows
        r += 2
    return out


def write_commitments(
    sh: Sheet, src: Source, grid: Grid, inputs: InputRefs, drivers: DriverRefs, block: dict
) -> None:
    """Each commitment's month-by-month workings (docs/formulas.md, Commitments)."""
    cm = src.result.commitment_months
    for ln in src.specs:
        if ln.driver != COMMITMENT_DRIVER:
            continue
        assert cm is not None  # a commitment line comes with its months
        rows = block[ln.name]
        k = lambda field, ln=ln: inputs[f"commitments.{ln.name}.{field}"]  # noqa: E731
        C, d = k("amount_per_month"), k("discount")
        sh.text(rows["label"], 0, f"commitment {ln.name}: covers {', '.join(ln.covers)}",
                "text+bold")  # fmt: skip
        spend_rows = []
        specs = {s.name: s for s in src.specs}
        for name in ln.covers:
            r = rows[f"on_demand:{name}"]
            spec = specs[name]
            rate = cost_model.monthly_rate(
                spec, np.array(spec.rate), np.array(spec.escalation_per_year), src.H
            )
            on_demand = src.quantity[name] * rate
            sh.text(r, 0, f"{name} on demand")
            sh.text(r, 1, spec.category)
            sh.text(r, 2, spec.driver)
            for m, c in enumerate(grid.cols):
                sh.formula(r, C0 + m, on_demand_formula(spec, c, drivers, inputs),
                           float(on_demand[m]), "money")  # fmt: skip
            sh.formula(r, 3, f"=SUM({grid.row(r)})", float(on_demand.sum()), "money")
            spend_rows.append(r)
        own = cm[cm["commitment"] == ln.name].sort_values("m")
        S = own["spend"].to_numpy(float)
        w = own["in_term"].to_numpy(bool)
        values = {
            "spend": S,
            "in_term": w.astype(float),
            "billed": np.where(w, ln.rate + own["overage"].to_numpy(float), S),
            "covered": own["covered"].to_numpy(float),
            "overage": own["overage"].to_numpy(float),
            "unused_commitment": own["unused_commitment"].to_numpy(float),
            "commitment_savings": own["commitment_savings"].to_numpy(float),
        }
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(S != 0, values["overage"] / np.where(S != 0, S, 1.0), 0.0)
        values["factor"] = np.where(w, ratio, 1.0)
        for key, label, total in WORKINGS:
            r = rows[key]
            sh.text(r, 0, label)
            for m, c in enumerate(grid.cols):
                cell = lambda key, c=c, rows=rows: f"{c}{rows[key] + 1}"  # noqa: E731
                t = f"{c}${INDEX_ROW + 1}"
                S_, w_ = cell("spend"), cell("in_term")
                f = {
                    "spend": "=" + "+".join(f"{c}{x + 1}" for x in spend_rows),
                    "in_term": f"=IF(AND({t}>={k('from_month')},"
                    f"{t}<{k('from_month')}+{k('term_months')}),1,0)",
                    "billed": f"=IF({w_}=1,{C}+MAX({S_}-{C}/(1-{d}),0),{S_})",
                    "covered": f"=IF({w_}=1,MIN({S_},{C}/(1-{d})),0)",
                    "overage": f"=IF({w_}=1,{S_}-{cell('covered')},0)",
                    "unused_commitment": f"=IF({w_}=1,{C}-(1-{d})*{cell('covered')},0)",
                    "commitment_savings": f"=IF({w_}=1,{S_}-{C}-{cell('overage')},0)",
                    "factor": f"=IF({w_}=1,IF({S_}=0,0,{cell('overage')}/{S_}),1)",
                }[key]
                style = "decimal" if key == "factor" else "index" if key == "in_term" else "money"
                sh.formula(r, C0 + m, f, float(values[key][m]), style)
            if total:
                style = "index" if key == "in_term" else "money+bold"
                sh.formula(r, 3, f"=SUM({grid.row(r)})", float(values[key].sum()), style)
