"""Workbook writing time: a 60-month scenario with 20 cost lines (target < 1 s).

Writes the scenario YAML to a temporary folder, runs the engine once, then times
:func:`aiopex.outputs.excel.write_workbook` (best of 5) against a baseline run in
the same process: bare XlsxWriter writing as many numbers as the workbook has
cells, into one sheet (the floor of any XlsxWriter workbook of that size). Prints
one JSON line (:mod:`figure`)::

    {"bench": "excel_write", "value": SECONDS, "unit": "s", "target": 1.0, "met": ...,
     "months": 60, "lines": 20, "cells": ..., "baseline_seconds": ..., "vs_baseline": ...}

Run: ``python benchmarks/bench_excel.py``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figure import emit_value

import aiopex
from aiopex.outputs.excel import write_workbook

MONTHS, LINES, REPEATS = 60, 20, 5

HEAD = f"""
name: bench_excel
description: 60 months, 20 cost lines, every driver
currency: USD
start: "2027-01"
horizon_months: {MONTHS}
usage:
  population: {{low: 800, high: 1500}}
  rollout: [{{month: 0, share: 0.1}}, {{month: 3, share: 0.5}}, {{month: 6, share: 1.0}}]
  adoption: {{ceiling: 0.8, midpoint_months: 3, steepness: 1.0}}
  items_per_user_month: 150
  bypass_rate: 0.1
  growth_per_year: 0.05
  seasonality: [1.1, 1.0, 1.0, 0.9, 1.0, 1.0, 0.8, 0.8, 1.0, 1.1, 1.1, 1.2]
  tokens_per_item: {{input: 1200, output: 250}}
quality: {{launch_accuracy: 0.9, drift_per_month: 0.01, floor: 0.5, acceptable: 0.82}}
retraining: {{policy: triggered, trigger_below: 0.85}}
degradation: {{fallback: manual}}
benefits: {{minutes_saved_per_item: 6, hourly_rate: 48, cost_per_error: 15}}
finance: {{discount_rate: 0.1}}
pilot:
  months: 3
  users: 25
  requests_per_month: 3000
  paid: [{{name: llm_api, category: compute, amount_per_month: 450}}]
  absorbed:
    - {{name: review, category: monitoring, hours_per_month: 60, hourly_rate: 95, paid_by: CoE}}
readiness:
  owner: "Dana Reyes"
costs:
"""

# (category, driver, extra fields); cycled to make LINES lines.
KINDS = [
    ("compute", "per_1k_input_tokens", "rate: 0.003, escalation_per_year: -0.2"),
    ("compute", "per_1k_output_tokens", "rate: 0.012, escalation_per_year: -0.2"),
    ("compute", "capacity", "rate: 2500, capacity_per_unit: 50000, min_units: 1"),
    ("data", "per_request", "rate: 0.0004"),
    ("licenses", "per_active_user", "rate: 12, escalation_per_year: 0.05"),
    ("change_management", "per_new_user", "rate: 40"),
    ("people", "fte", "rate: 150000, fte: 0.5"),
    ("retraining", "per_retrain", "rate: 5000"),
    ("monitoring", "fixed", "rate: 900, from_month: 1, to_month: 50"),
    ("other", "one_time", "rate: 40000, month: 2"),
]


def scenario_yaml() -> str:
    lines = []
    for i in range(LINES):
        cat, driver, extra = KINDS[i % len(KINDS)]
        lines.append(f"  - {{name: line_{i:02d}, category: {cat}, driver: {driver}, {extra}}}")
    return HEAD + "\n".join(lines) + "\n"


def baseline(path: Path, cells: int) -> None:
    """Bare XlsxWriter: ``cells`` numbers with one number format, in one sheet."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    ws = wb.add_worksheet()
    fmt = wb.add_format({"num_format": "#,##0"})
    for i in range(cells):
        ws.write_number(i // MONTHS, i % MONTHS, float(i), fmt)
    wb.close()


def count_cells(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def best(fn: Callable[[int], None]) -> float:
    times = []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench_excel.yaml"
        path.write_text(scenario_yaml(), encoding="utf-8")
        result = aiopex.run(aiopex.load_scenario(path))
        assert len(result.months) == MONTHS
        write_workbook(result, Path(d) / "warm.xlsx")  # imports
        cells = count_cells(Path(d) / "warm.xlsx")
        seconds = best(lambda i: write_workbook(result, Path(d) / f"out{i}.xlsx"))
        base = best(lambda i: baseline(Path(d) / f"base{i}.xlsx", cells))
    emit_value(
        "excel_write",
        seconds,
        "s",
        1.0,
        months=MONTHS,
        lines=LINES,
        cells=cells,
        baseline_seconds=round(base, 4),
        vs_baseline=round(seconds / base, 2),
    )


if __name__ == "__main__":
    main()
