"""Each range form of SCENARIO.md as scipy.stats builds it: the independent check of the
package's samplers and quantiles (tests/test_properties.py, tests/test_sensitivity.py)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from aiopex.inputs.uncertain import Bounds, Range

#: z of the 95th percentile of a standard normal: a range's low and high are P5 and P95.
Z90 = 1.6448536269514722


def scipy_dist(r: Range, bounds: Bounds | None = None):  # noqa: ANN201 - a frozen scipy distribution
    """The distribution SCENARIO.md gives the form of ``r``; a ``{mean, sd}`` normal with an
    open lower bound is truncated there (the sampler resamples below it)."""
    if r.mean is not None:
        if bounds is not None:
            return stats.truncnorm((bounds.lo - r.mean) / r.sd, np.inf, loc=r.mean, scale=r.sd)
        return stats.norm(r.mean, r.sd)
    a, b = r.low, r.high
    if r.kind == "lognormal":
        mu, s = (math.log(a) + math.log(b)) / 2, (math.log(b) - math.log(a)) / (2 * Z90)
        return stats.lognorm(s, scale=math.exp(mu))
    if r.kind == "normal":
        return stats.norm((a + b) / 2, (b - a) / (2 * Z90))
    if r.kind == "pert":
        c = r.mode
        return stats.beta(1 + 4 * (c - a) / (b - a), 1 + 4 * (b - c) / (b - a), a, b - a)
    if r.kind == "triangular":
        return stats.triang((r.mode - a) / (b - a), a, b - a)
    return stats.uniform(a, b - a)
