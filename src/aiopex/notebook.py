"""The helpers the report notebooks call to load and run (what they show is
:mod:`aiopex.outputs`), so that the notebooks stay thin: parameters, a call, a table.

- :func:`locate` and :func:`output_folder`: paths given as notebook parameters;
- :func:`run_scenarios` and :func:`load_results`: the scenarios of a comparison, run or
  read back, with those refused kept aside;
- :func:`load_review` and :func:`load_portfolio`: what ``aiopex review`` and
  ``aiopex portfolio`` saved, for their reports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from aiopex.analyses.portfolio import PortfolioResult
from aiopex.analyses.portfolio import load_result as load_portfolio_result
from aiopex.analyses.review import Review
from aiopex.engine import run
from aiopex.errors import AiopexError, DataError, Problem
from aiopex.inputs.files import locate
from aiopex.inputs.scenario import load_scenario
from aiopex.outputs.review_report import MONTHLY_CSV, MONTHLY_TOTAL_CSV
from aiopex.result import Result, load_result

__all__ = [
    "BATCH_RESULT",
    "load_portfolio",
    "load_results",
    "load_review",
    "locate",
    "output_folder",
    "run_scenarios",
]


def output_folder(path: str | os.PathLike[str]) -> Path:
    """The output folder a notebook parameter names (see :func:`locate`), created."""
    folder = locate(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_scenarios(
    paths: Sequence[str | os.PathLike[str]],
    overrides: dict[str, Any] | None = None,
    draws: int = 1,
    seed: int | None = None,
) -> tuple[list[Result], list[tuple[str, str]]]:
    """Load and run every scenario; collect those that fail on their input.

    A scenario whose file (or data) is refused does not stop the comparison of
    the others: it is returned in the second list, as ``(path, problems)``, for
    :func:`aiopex.outputs.html.skipped` to show. Any other error propagates.

    Returns
    -------
    results : list of Result
        In the order of ``paths``, without the refused ones.
    refused : list of (str, str)
        The path and the problems of each refused scenario.
    """
    results: list[Result] = []
    refused: list[tuple[str, str]] = []
    for p in paths:
        try:
            results.append(run(load_scenario(locate(p), overrides), draws=draws, seed=seed))
        except AiopexError as e:
            refused.append((str(p), str(e)))
    return results, refused


#: Where ``aiopex run`` saves each scenario's result: ``OUT/<scenario>/result/``.
BATCH_RESULT = "result"


def load_results(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
) -> tuple[list[Result], list[tuple[str, str]]]:
    """Read saved results for a comparison; collect those that cannot be read.

    Each path is a saved result (``aiopex forecast FILE --save DIR``, a folder with
    ``manifest.json``) or a batch folder (``aiopex run --out DIR``), which stands for
    the saved result of each of its reports (``DIR/<scenario>/result``), in name order.
    One path may be given alone (``papermill -p saved reports/demo`` passes a string).
    Nothing is computed: the numbers are those the results were saved with.

    Returns
    -------
    results : list of Result
        In the order of ``paths``.
    refused : list of (str, str)
        Each path that holds no readable saved result, and why, for
        :func:`aiopex.outputs.html.skipped`.

    Raises
    ------
    DataError
        When not one result could be read: nothing to compare (every path and why).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    results: list[Result] = []
    refused: list[tuple[str, str]] = []
    for p in paths:
        folder = locate(p)
        if (folder / "manifest.json").is_file() or not folder.is_dir():
            found = [folder]
        else:
            found = sorted(m.parent for m in folder.glob(f"*/{BATCH_RESULT}/manifest.json"))
            if not found:
                refused.append((str(p), "no saved result here, nor in its report folders"))
        for f in found:
            try:
                results.append(load_result(f))
            except AiopexError as e:
                refused.append((str(f), str(e)))
            except (OSError, ValueError, KeyError) as e:  # a damaged saved result
                refused.append((str(f), f"cannot read the saved result: {type(e).__name__}: {e}"))
    if not results:
        why = [Problem(p, "", f"nothing to compare: {w}") for p, w in refused]
        raise DataError(why or [Problem("saved", "", "nothing to compare: no path given")])
    return results, refused


def load_review(
    review_json: str | os.PathLike[str],
) -> tuple[Review, pd.DataFrame, pd.DataFrame]:
    """The review of ``review.json`` (without the workbook's detail), the monthly detail
    per line and the monthly totals beside it (what ``aiopex review`` wrote in one
    folder)."""
    p = Path(review_json)
    data = json.loads(p.read_text(encoding="utf-8"))
    monthly = pd.read_csv(p.parent / MONTHLY_CSV)
    totals = pd.read_csv(p.parent / MONTHLY_TOTAL_CSV)
    return Review.from_data(data, monthly, totals), monthly, totals


def load_portfolio(path: str | os.PathLike[str]) -> PortfolioResult:
    """A portfolio result saved by ``aiopex portfolio`` (``OUT/result``)."""
    return load_portfolio_result(Path(path))
