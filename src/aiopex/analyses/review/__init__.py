"""The quarterly cost review: actuals against a baseline, variance, re-forecast.

``period`` (which months), ``arrays`` (the baseline as arrays, the actuals),
``reforecast`` (the months ahead) and ``compute`` (:func:`compute_review`, the
arithmetic on a loaded baseline and actuals);
:mod:`aiopex.batch.review_run` reads the inputs and writes the review's files.
"""

from __future__ import annotations

from aiopex.analyses.review.arrays import BaselineArrays, Inputs, check_inputs
from aiopex.analyses.review.compute import compute_review, needs_attention, public_json
from aiopex.analyses.review.gather import ReviewJob, gather, parse_materiality
from aiopex.analyses.review.period import parse_period
from aiopex.analyses.review.reforecast import (
    HISTORY_MONTHS,
    REQUEST_QTY,
    USER_DRIVERS,
    reforecast,
    reforecast_result,
)
from aiopex.analyses.review.value import Review, review, review_of

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
    "Review",
    "ReviewJob",
    "gather",
    "parse_materiality",
    "review",
    "review_of",
]
