"""The command line end to end, as a user runs it."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aiopex.names import LEDGER_COLUMNS, METRICS, PERCENTILES, PILOT_METRICS

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"
ASSISTANT = ROOT / "data" / "scenarios" / "support_assistant.yaml"


def aiopex(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aiopex", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_forecast_json_has_exactly_the_contract_keys():
    r = aiopex("forecast", str(CLAIMS), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["scenario"] == "claims_triage"
    assert len(out["inputs_hash"]) == 64 and out["version"] and "seed" in out
    assert set(out["metrics"]) == set(METRICS)
    assert set(out["pilot"]) == set(PILOT_METRICS) | {"bridge", "unbudgeted_absorbed"}
    assert out["readiness"]["total"] == 6
    assert "uncertainty" not in out
    bridge = sum(step["step"] for step in out["pilot"]["bridge"])
    p = out["pilot"]
    assert bridge == pytest.approx(p["production_monthly"] - p["naive_production_monthly"])


def test_forecast_monte_carlo_json_and_reproducibility():
    args = ("forecast", str(CLAIMS), "--json", "--draws", "300", "--seed", "11")
    a, b = aiopex(*args), aiopex(*args)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    u = json.loads(a.stdout)["uncertainty"]
    assert 0 <= u["prob_npv_negative"] <= 1
    for name in ("npv", "cost_total", "run_rate_monthly"):
        assert set(u[name]) == {"mean", "defined_share"} | {f"p{q}" for q in PERCENTILES}
        assert u[name]["p5"] <= u[name]["p50"] <= u[name]["p95"]
    out = json.loads(a.stdout)
    assert set(u) == set(METRICS) | {"prob_npv_negative", "prob_no_payback"}
    assert 0 <= u["prob_no_payback"] <= 1 and 0 < u["payback_month"]["defined_share"] <= 1
    monthly = out["monthly_percentiles"]
    assert len(monthly["months"]) == len(monthly["cost"]["p50"]) == len(monthly["net"]["p95"])
    c = aiopex("forecast", str(CLAIMS), "--json", "--draws", "300", "--seed", "12")
    assert json.loads(c.stdout)["uncertainty"]["npv"] != u["npv"]


def test_set_overrides_and_ledger(tmp_path):
    out = tmp_path / "ledger.csv"
    base = json.loads(aiopex("forecast", str(CLAIMS), "--json").stdout)
    r = aiopex(
        "forecast", str(CLAIMS), "--json", "--set", "usage.bypass_rate=0.5", "--ledger", str(out)
    )
    assert r.returncode == 0, r.stderr
    changed = json.loads(r.stdout)
    assert changed["metrics"]["requests_total"] < base["metrics"]["requests_total"]
    assert changed["inputs_hash"] != base["inputs_hash"]
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == list(LEDGER_COLUMNS)
    total = sum(float(row["amount"]) for row in rows)
    assert total == pytest.approx(changed["metrics"]["cost_total"], rel=1e-9)
    assert not list(tmp_path.glob(".*.tmp"))


def test_readable_summary_pilot_and_readiness():
    r = aiopex("forecast", str(CLAIMS))
    assert r.returncode == 0 and "run-rate" in r.stdout and "NPV" in r.stdout
    p = aiopex("pilot", str(CLAIMS))
    assert p.returncode == 0 and "Absorbed by others" in p.stdout and "paid by" in p.stdout
    q = aiopex("readiness", str(ASSISTANT))
    assert q.returncode == 0
    assert "UNANSWERED" in q.stdout and "fallback is none" in q.stdout
    j = json.loads(aiopex("readiness", str(ASSISTANT), "--json").stdout)
    assert j["answered"] < 6
    assert any(i["answer"] is None for i in j["items"])


@pytest.mark.parametrize("cmd", ["validate", "forecast", "pilot", "readiness", "run", "schema"])
def test_help_on_every_command(cmd):
    r = aiopex(cmd, "--help")
    assert r.returncode == 0 and "usage: aiopex" in r.stdout


def test_bad_override_is_exit_2_without_traceback():
    r = aiopex("forecast", str(CLAIMS), "--set", "costs.no_such_line.rate=1")
    assert r.returncode == 2
    assert "costs.no_such_line.rate" in r.stderr and "Traceback" not in r.stderr


def test_bad_draws_is_exit_2():
    r = aiopex("forecast", str(CLAIMS), "--draws", "0")
    assert r.returncode == 2 and "--draws" in r.stderr


def test_forecast_writes_the_workbook(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "claims.xlsx"
    r = aiopex("forecast", str(CLAIMS), "--excel", str(out), "--draws", "100", "--seed", "1")
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    for sheet in (
        "Inputs",
        "Drivers",
        "Costs",
        "CashFlow",
        "Summary",
        "Pilot",
        "Readiness",
        "Uncertainty",
        "About",
    ):
        assert sheet in wb.sheetnames
    assert [p for p in tmp_path.iterdir()] == [out]


def test_forecast_imports_no_heavy_library():
    """A deterministic ``forecast --json`` prints metrics only: no table is built, so
    not even pandas is loaded (the Result's frames are built on first use)."""
    code = (
        "import sys, contextlib, io\n"
        "from aiopex.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['forecast', {str(CLAIMS)!r}, '--json']) == 0\n"
        "heavy = {'statsmodels', 'matplotlib', 'openpyxl', 'papermill', 'scipy', 'pandas',"
        " 'pyarrow'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_help_imports_no_numerics() -> None:
    """``aiopex --help`` starts without numpy, pydantic or the scenario schema."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from aiopex.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('numpy', 'pandas', 'pydantic', 'aiopex.inputs.schema', 'importlib.metadata')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "aiopex", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("aiopex ") and out.stdout.split()[1][0].isdigit()
