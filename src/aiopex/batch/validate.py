"""Everything a batch checks before it runs or writes anything.

Every problem of every input is collected and raised at once
(:class:`~aiopex.errors.AiopexError`: exit code 2): the scenario files and the
overrides, the settings, the notebooks' parameters, and every path the batch
would write under ``OUT``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aiopex.batch.layout import (
    BUDGET_NOTEBOOK,
    COMPARISON,
    COMPARISON_NOTEBOOK,
    check_report_paths,
)
from aiopex.errors import AiopexError, Problem
from aiopex.inputs.run_request import check_draws
from aiopex.inputs.scenario import load_scenario

SCENARIO_SUFFIXES = (".yaml", ".yml")
BUDGET_PARAMETERS = ("scenario", "overrides", "draws", "seed", "output_dir")
COMPARISON_PARAMETERS = ("saved", "output_dir")


def collect_scenario_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders into scenario files (``*.yaml``, ``*.yml`` of a folder).

    Returns the files, in the order given (a folder's sorted by name), and the problems.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(q for q in path.iterdir() if q.suffix in SCENARIO_SUFFIXES)
            if not found:
                problems.append(Problem(str(p), "", "folder has no scenario files (*.yaml)"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(p), "", "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = Path(os.path.realpath(f))  # a symlink loop is named when read
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def check_parameters(notebook: str | os.PathLike[str], parameters: Iterable[str]) -> list[Problem]:
    """Problems for every name in ``parameters`` the notebook's ``parameters`` cell lacks.

    Papermill only warns about an unknown parameter; a batch refuses it.
    """
    import papermill as pm

    try:
        known = pm.inspect_notebook(str(notebook))
    except Exception as e:  # missing or unreadable notebook
        return [Problem(str(notebook), "", f"cannot read the notebook: {e}")]
    return [
        Problem(str(notebook), name, f"unknown parameter; the notebook has {', '.join(known)}")
        for name in parameters
        if name not in known
    ]


def validate(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: Path,
    jobs: int,
    draws: int,
    seed: int,
    overrides: dict[str, Any],
    notebooks_dir: Path,
) -> list[Any]:
    """The scenarios of a batch, loaded; or every problem with its inputs and outputs."""
    problems: list[Problem] = []
    if not paths:
        problems.append(Problem("", "", "no scenario files given"))
    for name, value, low in (("draws", draws, 1), ("jobs", jobs, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(Problem(f"--{name}", "", f"must be an integer >= {low}, got {value!r}"))
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(Problem("--seed", "", f"must be an integer, got {seed!r}"))

    files, found = collect_scenario_files(paths)
    problems.extend(found)
    scenarios = []
    by_name: dict[str, Path] = {}
    for f in files:
        try:
            sc = load_scenario(f, overrides)
        except AiopexError as e:
            problems.extend(e.problems)
            continue
        if isinstance(draws, int) and not isinstance(draws, bool) and draws > 1:
            problems.extend(check_draws(draws, sc, str(f)))  # memory, before any kernel starts
        if sc.name == COMPARISON:
            problems.append(
                Problem(str(f), "name", f"{COMPARISON!r} is the comparison report's name; rename")
            )
        elif sc.name in by_name:
            problems.append(
                Problem(str(f), "name", f"{sc.name!r} is also the name in {by_name[sc.name]}")
            )
        by_name.setdefault(sc.name, f)
        scenarios.append(sc)

    problems.extend(check_parameters(notebooks_dir / BUDGET_NOTEBOOK, BUDGET_PARAMETERS))
    problems.extend(check_parameters(notebooks_dir / COMPARISON_NOTEBOOK, COMPARISON_PARAMETERS))
    problems.extend(check_report_paths(out_dir, [*by_name, COMPARISON]))
    if problems:
        raise AiopexError(problems)
    return scenarios
