"""Capacity units have one rule (model/costs.ceil_units, docs/formulas.md): the forecast,
the workbook and the review's re-forecast count the same units.

The scenario below has 1000 * 100 * (1 - 0.7) = 30000.000000000004 requests a month from
month 1 on (adoption is exactly its ceiling there: steepness 100 from midpoint 0); at
10,000 requests a unit that is 3 units, where a plain ``ceil`` gives 4.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import aiopex

SCENARIO = """\
name: capacity_noise
start: "2027-01"
horizon_months: 12
usage:
  population: 1000
  adoption: {ceiling: 1.0, midpoint_months: 0, steepness: 100}
  items_per_user_month: 100
  bypass_rate: 0.7
costs:
  - {name: gpu, category: compute, driver: capacity, capacity_per_unit: 10000, rate: 500}
"""

#: Units per month: half the users in month 0 (15,000 requests), then 30000.000000000004.
UNITS = [2.0] + [3.0] * 11


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("capacity") / "capacity_noise.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_the_scenario_has_the_float_noise(scenario_file: Path) -> None:
    r = aiopex.run(aiopex.load_scenario(scenario_file))
    requests = r.drivers["requests"].to_numpy()
    assert requests[1] == 30000.000000000004 and np.ceil(requests[1] / 10000) == 4


def test_the_forecast_counts_three_units(scenario_file: Path) -> None:
    r = aiopex.run(aiopex.load_scenario(scenario_file))
    gpu = r.lines[r.lines["line"] == "gpu"].sort_values("m")
    assert gpu["quantity"].tolist() == UNITS
    assert gpu["amount"].tolist() == [u * 500 for u in UNITS]


@pytest.mark.slow
def test_the_workbook_counts_three_units(scenario_file: Path, tmp_path: Path) -> None:
    """The Drivers sheet's units formula, recalculated by LibreOffice, and its cached value."""
    from recalc import load_values, recalculate

    from aiopex.outputs.excel import FIRST_MONTH_COLUMN, write_workbook

    r = aiopex.run(aiopex.load_scenario(scenario_file))
    path = write_workbook(r, tmp_path / "capacity_noise.xlsx")
    (recalculated,) = recalculate([path], tmp_path / "recalc")
    for wb in (load_values(path), load_values(recalculated)):
        ws = wb["Drivers"]
        row = next(c.row for c in ws["A"] if c.value == "capacity_units:gpu")
        got = [ws.cell(row=row, column=FIRST_MONTH_COLUMN + m).value for m in range(12)]
        assert got == UNITS


def test_the_reviews_reforecast_counts_three_units(scenario_file: Path, tmp_path: Path) -> None:
    """The usage actuals equal the baseline's requests (the re-forecast's scale is exactly
    1): the re-forecast after the period bills 3 units a month, as the forecast did. Its
    own np.ceil billed 4 (2,000 a month instead of 1,500)."""
    import csv

    from aiopex.cli import main

    r = aiopex.run(aiopex.load_scenario(scenario_file))
    requests = r.drivers["requests"].to_numpy()
    base = tmp_path / "baselines"
    args = ["baseline", str(scenario_file), "--as-of", "2026-12", "--draws", "1000"]
    assert main([*args, "--seed", "1", "--out", str(base)]) == 0
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "month,requests\n" + "".join(f"2027-0{m + 1},{float(requests[m])!r}\n" for m in range(3)),
        encoding="utf-8",
    )
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "month,line,amount,quantity\n"
        + "".join(f"2027-0{m + 1},gpu,{UNITS[m] * 500},{UNITS[m]}\n" for m in range(3)),
        encoding="utf-8",
    )
    out = tmp_path / "review"
    rc = main(
        ["review", "--baseline", str(base / "capacity_noise" / "2026-12"), "--actuals",
         str(actuals), "--usage", str(usage), "--period", "2027-Q1", "--out", str(out),
         "--no-report"]
    )  # fmt: skip
    assert rc == 0
    with open(out / "review_monthly.csv", encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["line"] == "gpu"]
    later = [float(row["reforecast"]) for row in rows if row["after_period"] == "True"]
    assert later == [1500.0] * 9
    review = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert review["reforecast"]["outlook"] == pytest.approx(sum(UNITS) * 500)
