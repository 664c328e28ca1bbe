"""Percentiles by sorting give numpy's numbers, bit for bit (the outputs' one rule)."""

from __future__ import annotations

import numpy as np
import pytest

from aiopex.model.percentiles import percentiles


@pytest.mark.parametrize("method", ["linear", "lower"])
@pytest.mark.parametrize("axis", [0, 1])
def test_same_numbers_as_numpy(method: str, axis: int) -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 4))
        a = rng.normal(size=(n, k)) * 10.0 ** int(rng.integers(-3, 8))
        if rng.random() < 0.3:
            a = np.round(a)  # ties
        if rng.random() < 0.2:
            a[rng.random(a.shape) < 0.1] = np.nan
        if rng.random() < 0.1:
            a[rng.random(a.shape) < 0.2] = np.inf
        q = [5, 10, 25, 50, 75, 90, 95] if rng.random() < 0.5 else [0, 33.3, 66.7, 100]
        a = a if axis == 0 else a.T
        want = np.percentile(a, q, axis=axis, method=method)
        got = percentiles(a, q, axis=axis, method=method)
        assert np.array_equal(got, want, equal_nan=True), (a, q)


def test_three_dimensions_and_one() -> None:
    rng = np.random.default_rng(1)
    a = rng.lognormal(size=(4, 301, 12))
    assert np.array_equal(
        percentiles(a, (10, 50, 90), axis=1), np.percentile(a, (10, 50, 90), axis=1)
    )
    x = rng.normal(size=1001)
    assert np.array_equal(percentiles(x, (5, 95)), np.percentile(x, (5, 95)))
