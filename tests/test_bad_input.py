"""Bad input is refused as a user meets it: through the command line.

Every file in ``tests/bad/`` breaks one rule of SCENARIO.md (``several_problems.yaml``
breaks three) and is otherwise valid. ``tests/bad/expected.yaml`` lists, for each,
the substrings the error output must contain (and, for some, the files it must
name, what it must not say and how long it may be). For each file, ``aiopex
forecast`` and ``aiopex validate`` must exit with code 2, name the file and every
expected field path on stderr, print no traceback and nothing on stdout, and write
nothing. ``tests/bad/command_line.yaml`` does the same for bad command lines.

The corpus runs the command line in-process (``aiopex.cli.main``), which is what
``python -m aiopex`` calls; a few tests run the real process as a user would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiopex.cli import main

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "bad"
EXPECTED: dict[str, Any] = yaml.safe_load((BAD / "expected.yaml").read_text())
COMMAND_LINE: dict[str, Any] = yaml.safe_load((BAD / "command_line.yaml").read_text())
EXAMPLES = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
VALID = BAD / "parents" / "valid_base.yaml"


def aiopex(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m aiopex ARGS`` from the repository root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "aiopex", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``aiopex ARGS`` in-process from the repository root: (exit code, stdout, stderr)."""
    capsys.readouterr()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse refuses a usage error with exit 2
        code = int(e.code or 0)
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def spec(case: str) -> dict[str, Any]:
    entry = EXPECTED[case]
    return {"messages": entry} if isinstance(entry, list) else entry


def assert_refused(code: int, out: str, err: str, case: str) -> None:
    s = spec(case)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, f"exit {code}\nstderr:\n{err}"
    assert out == "", f"stdout should be empty, got:\n{out}"
    for name in s.get("named", [Path(case).name]):
        assert name in err, f"{name} not named in stderr:\n{err}"
    missing = [m for m in s["messages"] if m not in err]
    assert not missing, f"{case}: {missing} not in stderr:\n{err}"
    present = [m for m in s.get("absent", []) if m in err]
    assert not present, f"{case}: {present} should not be in stderr:\n{err}"
    assert len(err) <= s.get("max_chars", 10_000), f"{len(err)} characters of errors"


def test_manifest_covers_the_corpus():
    on_disk = {
        p.relative_to(BAD).as_posix()
        for p in BAD.rglob("*.yaml")
        if p.name not in ("expected.yaml", "command_line.yaml") and p.parent.name != "parents"
    }
    assert on_disk == set(EXPECTED)
    assert all(spec(c)["messages"] for c in EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_forecast_refuses(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    ledger, excel = tmp_path / "out.csv", tmp_path / "out.xlsx"
    code, out, err = run_cli(
        capsys, "forecast", rel(BAD / case), "--json", "--ledger", ledger, "--excel", excel
    )
    assert_refused(code, out, err, case)
    assert list(tmp_path.iterdir()) == [], "nothing may be written when input is refused"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_validate_refuses(case: str, capsys: pytest.CaptureFixture[str]):
    assert_refused(*run_cli(capsys, "validate", rel(BAD / case)), case)


@pytest.mark.parametrize("case", ["several_problems.yaml", "alias_bomb.yaml"])
def test_a_real_process_refuses(case: str, tmp_path: Path):
    """The same, as a user meets it: ``python -m aiopex`` in its own process."""
    ledger = tmp_path / "out.csv"
    proc = aiopex("forecast", rel(BAD / case), "--json", "--ledger", ledger)
    assert_refused(proc.returncode, proc.stdout, proc.stderr, case)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", sorted(COMMAND_LINE))
def test_bad_command_lines_are_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    entry = COMMAND_LINE[case]
    out_dir = tmp_path / "out"
    args = [{"FILE": rel(VALID), "OUT": str(out_dir)}.get(a, a) for a in entry["args"]]
    if args[0] == "forecast":
        args += ["--ledger", str(tmp_path / "l.csv")]
    code, out, err = run_cli(capsys, *args)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, f"exit {code}\nstderr:\n{err}"
    missing = [m for m in entry["messages"] if m not in err]
    assert not missing, f"{case}: {missing} not in stderr:\n{err}"
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


def test_set_accepts_the_path_form_errors_print(capsys: pytest.CaptureFixture[str]):
    """``--set costs[2].rate=...`` is the path a problem prints; it works like the name."""
    by_index = run_cli(capsys, "forecast", rel(VALID), "--json", "--set", "costs[2].rate=150000")
    by_name = run_cli(
        capsys, "forecast", rel(VALID), "--json", "--set", "costs.support.rate=150000"
    )
    assert by_index[0] == 0 and by_name[0] == 0, by_index[2] + by_name[2]
    plain = run_cli(capsys, "forecast", rel(VALID), "--json")
    assert by_index[1] == by_name[1] != plain[1]


@pytest.mark.parametrize("kind", ["fifo", "folder", "device", "fifo_parent", "big"])
def test_special_files_are_refused_without_blocking(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A FIFO, a folder or a device is refused as a scenario or a parent; so is a huge file.

    Opening a FIFO to read waits for a writer: the test would hang if it were opened
    that way (a watchdog thread fails it instead).
    """
    target = tmp_path / "s.yaml"
    named = target
    if kind in ("fifo", "fifo_parent"):
        fifo = tmp_path / "parent.yaml" if kind == "fifo_parent" else target
        os.mkfifo(fifo)
        named = fifo
        if kind == "fifo_parent":
            target.write_text("extends: parent.yaml\nname: child\n")
    elif kind == "folder":
        target.mkdir()
    elif kind == "device":
        target = named = Path(os.devnull)
    else:
        target.write_text("name: big\ndescription: " + "x" * 2_000_000 + "\n")
    import threading

    watchdog = threading.Timer(30, lambda: os.open(named, os.O_WRONLY | os.O_NONBLOCK))
    if kind.startswith("fifo"):
        watchdog.start()  # unblocks a blocking open of the FIFO so the failure shows
    try:
        code, out, err = run_cli(capsys, "validate", target)
    finally:
        watchdog.cancel()
    assert code == 2 and "Traceback" not in err, err
    assert str(named) in err
    reason = {
        "fifo": "FIFO",
        "fifo_parent": "FIFO",
        "folder": "folder",
        "device": "device",
        "big": "limit is 1,000,000",
    }[kind]
    assert reason in err, err


def test_validate_lists_the_problems_of_every_file(capsys: pytest.CaptureFixture[str]):
    """One call, several files (a good one among them): every bad file's problems listed."""
    cases = ["negative_money.yaml", "misspelt_key.yaml", "history/gaps.yaml"]
    code, _, err = run_cli(capsys, "validate", rel(EXAMPLES[0]), *(rel(BAD / c) for c in cases))
    assert "Traceback" not in err, err
    assert code == 2, f"exit {code}\nstderr:\n{err}"
    for case in cases:
        wanted = [Path(case).name, *spec(case)["messages"]]
        missing = [s for s in wanted if s not in err]
        assert not missing, f"{case}: {missing} not in stderr:\n{err}"


@pytest.mark.parametrize(
    ("case", "broken", "fixed"),
    [
        ("negative_money.yaml", "rate: -5", "rate: 0.003"),
        ("misspelt_key.yaml", "bypas_rate: 0.1", "bypass_rate: 0.1"),
        ("rollout_share_above_one.yaml", "share: 1.2", "share: 1.0"),
        ("history/negative_value.csv", ",-120,", ",20000,"),
        ("boolean_number.yaml", "\nhorizon_months: true", "\nhorizon_months: 12"),
        ("discount_percent.yaml", "discount_rate: 9", "discount_rate: 0.09"),
        ("duplicate_key.yaml", "    rate: 0.15\n", ""),
        ("history/with_drivers.yaml", "  population: 100\n  growth_per_year: 0.1\n", ""),
    ],
)
def test_corpus_is_otherwise_valid(
    case: str, broken: str, fixed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Repairing the one broken value makes the file valid: each file breaks one rule."""
    src = BAD / case
    for sibling in src.parent.glob(src.stem + ".*"):
        shutil.copy(sibling, tmp_path / sibling.name)
    if src.parent.name == "history":
        shutil.copy(src.parent / "valid.csv", tmp_path / "valid.csv")
    target = tmp_path / src.name
    text = target.read_text()
    assert text.count(broken) == 1
    target.write_text(text.replace(broken, fixed))
    code, _, err = run_cli(capsys, "validate", target.with_suffix(".yaml"))
    assert code == 0, err


def test_example_scenarios_validate(capsys: pytest.CaptureFixture[str]):
    assert len(EXAMPLES) >= 4
    code, _, err = run_cli(capsys, "validate", *map(rel, EXAMPLES))
    assert "Traceback" not in err, err
    assert code == 0, err
