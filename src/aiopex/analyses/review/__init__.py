"""The quarterly cost review: actuals against a baseline, variance, re-forecast.

:func:`compute_review` is the arithmetic on a loaded baseline and actuals;
:mod:`aiopex.batch.review_run` reads the inputs and writes the review's files.
"""

from __future__ import annotations

from aiopex.analyses.review.compute import (
    HISTORY_MONTHS,
    REQUEST_QTY,
    USER_DRIVERS,
    BaselineArrays,
    Inputs,
    check_inputs,
    compute_review,
    needs_attention,
    parse_period,
    public_json,
    reforecast,
    reforecast_result,
)

__all__ = [
    "HISTORY_MONTHS",
    "REQUEST_QTY",
    "USER_DRIVERS",
    "BaselineArrays",
    "Inputs",
    "check_inputs",
    "compute_review",
    "needs_attention",
    "parse_period",
    "public_json",
    "reforecast",
    "reforecast_result",
]
