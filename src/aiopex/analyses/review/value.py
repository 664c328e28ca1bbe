"""The quarterly review as a value: :func:`aiopex.review` reads a baseline and its
actuals, computes the review and returns a :class:`Review`; nothing is written
(``aiopex review`` writes it: :mod:`aiopex.batch.review_run`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aiopex.analyses.review.compute import compute_review, needs_attention, public_json
from aiopex.analyses.review.gather import ReviewJob, gather, input_hashes
from aiopex.analyses.review.records import Sections, parse
from aiopex.analyses.review.reforecast import reforecast_result
from aiopex.errors import DataError, Problem
from aiopex.model import variance as V  # noqa: N812
from aiopex.result import Result
from aiopex.result.baselines import differences
from aiopex.version import __version__


@dataclass(frozen=True)
class Review:
    """One baseline's quarterly review (docs/review.md).

    Attributes
    ----------
    system, period : str
        The baseline's scenario name and the period reviewed (``2027-Q1``).
    months : tuple of str
        The period's months.
    currency : str
        The baseline's currency.
    attention : bool
        A line or the total is to investigate.
    monthly : DataFrame
        One row per cost line and month of the fiscal year: ``line``, ``category``,
        ``month``, ``baseline``, ``actual``, the band ``p10``, ``p50``, ``p90``,
        ``reforecast`` and ``after_period``.
    monthly_total : DataFrame
        The same per month for the total of the lines (percentiles of per-draw totals),
        with ``baseline_no_actuals``.
    lines : DataFrame
        One row per cost line: the variance split (volume, price, unexplained), the
        band, the judgement.
    sections : Sections
        Every section of the review, typed (:mod:`aiopex.analyses.review.records`):
        what the report and the workbook render.
    data : dict
        Every number of the review as ``review.json`` holds it (:meth:`to_json`), with
        the detail the workbook reads (keys starting ``_``).
    next_baseline : Result or None
        The re-forecast as a result to save as the next baseline, when asked for.
    problems : list of Problem
        What stops writing the review: numbers that are not finite (amounts whose sums
        overflow), or a different ``next_baseline`` saved already.
    """

    system: str
    period: str
    months: tuple[str, ...]
    currency: str
    attention: bool
    monthly: pd.DataFrame
    monthly_total: pd.DataFrame
    lines: pd.DataFrame
    sections: Sections
    data: dict[str, Any]
    next_baseline: Result | None = None
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def from_data(
        cls,
        data: dict[str, Any],
        monthly: pd.DataFrame | None = None,
        monthly_total: pd.DataFrame | None = None,
        *,
        next_baseline: Result | None = None,
        problems: list[Problem] | None = None,
    ) -> Review:
        """The review of its data: the dict of :func:`compute_review` (the monthly detail
        taken from it when not given) or ``review.json`` read back, with the monthly CSVs
        written beside it (without them, the monthly frames are empty)."""
        sections = parse(data)
        return cls(
            system=sections.system,
            period=sections.period,
            months=sections.months,
            currency=sections.currency,
            attention=needs_attention(data),
            monthly=pd.DataFrame(data.get("_monthly", [])) if monthly is None else monthly,
            monthly_total=(
                pd.DataFrame(data.get("_monthly_total", []))
                if monthly_total is None
                else monthly_total
            ),
            lines=pd.DataFrame(data["lines"]),
            sections=sections,
            data=data,
            next_baseline=next_baseline,
            problems=problems or [],
        )

    def to_json(self) -> dict[str, Any]:
        """``review.json``: the review without its private detail."""
        return public_json(self.data)


def _overflows(review: dict[str, Any], label: str) -> list[Problem]:
    """Problems for numbers of a review that are not finite (amounts whose sums overflow),
    found before anything is written: review.json, the CSVs and the workbook would hold
    ``inf``, or fail half-written. At most the first five are named."""
    found: list[str] = []

    def walk(x: Any, where: str) -> None:
        if len(found) > 5:
            return
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(x, list | tuple):
            for i, v in enumerate(x):
                walk(v, f"{where}[{i}]")
        elif isinstance(x, float | np.floating) and math.isinf(x):
            found.append(where)

    walk({k: v for k, v in review.items() if k != "_reforecast_amount"}, "")
    return [
        Problem(
            label,
            where,
            "not a finite number: the actuals' amounts are too large to add up (overflow)",
        )
        for where in found[:5]
    ]


def review_of(job: ReviewJob, period: str, save_next: bool = False) -> Review:
    """The review of one gathered baseline (:func:`~aiopex.analyses.review.gather.gather`)."""
    bl, arr, months, inp, existing = job.baseline, job.arrays, job.months, job.inputs, job.existing
    rv = compute_review(arr, months, inp, period)
    rv = {
        "period": period,
        "system": bl.name,
        "baseline": {"as_of": bl.as_of, "inputs_hash": bl.inputs_hash, "path": str(bl.path)},
        "version": __version__,
        "seed": arr.reforecast_seed,
        "inputs": input_hashes(bl, inp.files),
        **{k: v for k, v in rv.items() if k != "period"},
    }
    nxt = None
    problems: list[Problem] = []
    problems.extend(_overflows(rv, str(bl.path)))
    if save_next:
        nxt = reforecast_result(bl.result, rv["_reforecast_amount"], arr, months, inp)
        if existing is not None:
            diff = differences(nxt, existing)
            if diff:
                problems.append(
                    Problem(
                        str(existing.path),
                        "--save-baseline",
                        "a different baseline already exists here (differs in "
                        f"{', '.join(diff)}); baselines are immutable",
                    )
                )
    return Review.from_data(rv, next_baseline=nxt, problems=problems)


def review(
    baseline: str | Path,
    actuals: list[str | Path],
    period: str,
    *,
    usage: str | Path | None = None,
    mapping: str | Path | None = None,
    cost_basis: str = "effective",
    materiality: tuple[float, float] | str = V.MATERIALITY,
    reprice: bool = False,
    fiscal_year_start: int | None = None,
) -> Review:
    """Review one baseline's actuals for a period; nothing is written.

    Parameters
    ----------
    baseline : path
        A saved baseline (``DIR/<name>/<as_of>``).
    actuals : list of path
        Cost actuals (CSV or ``.xlsx``) and FOCUS exports, files or folders.
    period : str
        ``2027-Q1``, ``FY2028-Q1`` or ``2027-01..2027-03``.
    usage, mapping : path, optional
        Usage actuals, and the mapping file FOCUS exports need.
    cost_basis, materiality, reprice, fiscal_year_start
        As ``aiopex review``'s options (docs/review.md#3-run-the-review).

    Raises
    ------
    DataError
        Every problem of every input at once; or ``baseline`` holds several baselines
        (``aiopex review`` reviews a folder of them).
    """
    period = period.strip(" \t")  # recorded as read, never as typed
    jobs, multi, problems = gather(
        baseline,
        actuals,
        period,
        usage=usage,
        mapping=mapping,
        cost_basis=cost_basis,
        materiality=materiality,
        reprice=reprice,
        fiscal_year_start=fiscal_year_start,
    )
    if multi and not problems:
        problems.append(
            Problem(str(baseline), "", f"{len(jobs)} baselines here: review one at a time")
        )
    if problems:
        raise DataError(problems)
    rv = review_of(jobs[0], period)
    if rv.problems:  # numbers that are not finite
        raise DataError(rv.problems)
    return rv
