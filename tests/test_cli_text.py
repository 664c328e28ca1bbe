"""What the command line says to a person: help texts, messages, plurals."""

from pathlib import Path

import pytest

from aiopex.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"


def _help(*cmd: str) -> str:
    sub = build_parser()._subparsers._group_actions[0].choices
    return sub[cmd[0]].format_help()


@pytest.mark.parametrize("cmd", ["forecast", "pilot", "readiness", "run"])
def test_set_has_help_text(cmd):
    text = _help(cmd)
    assert "override a field" in text


def test_run_help_shows_its_defaults():
    text = " ".join(_help("run").split())
    assert "(default: reports/run)" in text and "(default: 2000)" in text


def test_validate_does_not_say_nothing_was_written(capsys, tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\nstart: '2027-01'\nusage: {population: 10, items_per_user_mont: 1}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] in ("aiopex: 1 problem", "aiopex: 2 problems"), err
    assert main(["forecast", str(bad)]) == 2
    assert capsys.readouterr().err.rstrip().endswith("nothing was written")


def test_excel_and_ledger_say_what_they_wrote(capsys, tmp_path):
    ledger, xlsx = tmp_path / "l.csv", tmp_path / "f.xlsx"
    args = ["forecast", str(CLAIMS), "--json", "--ledger", str(ledger), "--excel", str(xlsx)]
    assert main(args) == 0
    out = capsys.readouterr()
    assert out.out.lstrip().startswith("{")  # stdout stays one JSON object
    assert f"wrote {ledger}: the ledger, " in out.err and " rows" in out.err
    assert f"wrote {xlsx}: the Excel forecast" in out.err
    assert ledger.exists() and xlsx.exists()
