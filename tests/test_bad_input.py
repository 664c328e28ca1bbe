"""Bad input is refused as a user meets it: through the command line.

Every file in ``tests/bad/`` breaks one rule of SCENARIO.md (``several_problems.yaml``
breaks three) and is otherwise valid. ``tests/bad/expected.yaml`` lists, for each,
the substrings the error output must contain. For each file, ``aiopex forecast``
and ``aiopex validate`` must exit with code 2, name the file and every expected
field path on stderr, print no traceback and nothing on stdout, and write nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "bad"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "expected.yaml").read_text())
EXAMPLES = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))


def aiopex(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m aiopex ARGS`` from the repository root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "aiopex", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def assert_refused(proc: subprocess.CompletedProcess[str], case: str) -> None:
    err = proc.stderr
    assert "Traceback" not in err, err
    assert proc.returncode == 2, f"exit {proc.returncode}\nstderr:\n{err}"
    assert proc.stdout == "", f"stdout should be empty, got:\n{proc.stdout}"
    assert Path(case).name in err, f"{Path(case).name} not named in stderr:\n{err}"
    missing = [s for s in EXPECTED[case] if s not in err]
    assert not missing, f"{case}: {missing} not in stderr:\n{err}"


def test_manifest_covers_the_corpus():
    on_disk = {
        p.relative_to(BAD).as_posix() for p in BAD.rglob("*.yaml") if p.name != "expected.yaml"
    }
    assert on_disk == set(EXPECTED)
    assert all(isinstance(v, list) and v for v in EXPECTED.values())


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_forecast_refuses(case: str, tmp_path: Path):
    ledger = tmp_path / "out.csv"
    proc = aiopex("forecast", rel(BAD / case), "--json", "--ledger", ledger)
    assert_refused(proc, case)
    assert not ledger.exists()
    assert list(tmp_path.iterdir()) == [], "nothing may be written when input is refused"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_validate_refuses(case: str):
    assert_refused(aiopex("validate", rel(BAD / case)), case)


def test_validate_lists_the_problems_of_every_file():
    """One call, several files (a good one among them): every bad file's problems listed."""
    cases = ["negative_money.yaml", "misspelt_key.yaml", "history/gaps.yaml"]
    proc = aiopex("validate", rel(EXAMPLES[0]), *(rel(BAD / c) for c in cases))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\nstderr:\n{proc.stderr}"
    for case in cases:
        wanted = [Path(case).name, *EXPECTED[case]]
        missing = [s for s in wanted if s not in proc.stderr]
        assert not missing, f"{case}: {missing} not in stderr:\n{proc.stderr}"


@pytest.mark.parametrize(
    ("case", "broken", "fixed"),
    [
        ("negative_money.yaml", "rate: -5", "rate: 0.003"),
        ("misspelt_key.yaml", "bypas_rate: 0.1", "bypass_rate: 0.1"),
        ("rollout_share_above_one.yaml", "share: 1.2", "share: 1.0"),
        ("history/negative_value.csv", ",-120,", ",20000,"),
    ],
)
def test_corpus_is_otherwise_valid(case: str, broken: str, fixed: str, tmp_path: Path):
    """Repairing the one broken value makes the file valid: each file breaks one rule."""
    src = BAD / case
    for sibling in src.parent.glob(src.stem + ".*"):
        shutil.copy(sibling, tmp_path / sibling.name)
    target = tmp_path / src.name
    text = target.read_text()
    assert text.count(broken) == 1
    target.write_text(text.replace(broken, fixed))
    scenario = target.with_suffix(".yaml")
    proc = aiopex("validate", scenario)
    assert proc.returncode == 0, proc.stderr


def test_example_scenarios_validate():
    assert len(EXAMPLES) >= 4
    proc = aiopex("validate", *map(rel, EXAMPLES))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
