"""Variance split, band and materiality (REVIEW.md): identities as properties,
hand-computed examples, the band against a direct computation from the draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiopex.model.variance import (
    LineInput,
    aggregate,
    line_rows,
    material,
    outside_band,
    percentile_and_band,
    split,
)

money = st.floats(min_value=0.0, max_value=1e7, allow_nan=False)
qty = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e7, allow_nan=False))
req = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e8, allow_nan=False))


@settings(max_examples=100, deadline=None)
@given(B=money, A=money, Qb=qty, Qa=qty, Rb=req, Ra=req, scales=st.booleans())
def test_identities(B, A, Qb, Qa, Rb, Ra, scales) -> None:
    s = split(B, A, Qb, Qa, Rb, Ra, scales)
    scale = max(1.0, abs(A), abs(B), abs(s["volume"]), abs(s["price"]))
    assert s["variance"] == A - B
    assert s["volume"] + s["price"] + s["unexplained"] == pytest.approx(
        s["variance"], abs=1e-9 * scale
    )
    if s["driver"] is not None:
        assert s["driver"] + s["intensity"] == pytest.approx(
            s["volume"], abs=1e-9 * max(1.0, abs(s["driver"]), abs(s["intensity"]))
        )
    else:
        assert s["intensity"] is None
    splittable = all(x is not None and x > 0 for x in (Qa, Qb)) and B > 0
    if not splittable:
        assert s["volume"] == 0.0 and s["price"] == 0.0
        assert s["unexplained"] == s["variance"]


def test_hand_computed() -> None:
    # Tokens: baseline 3,000k tokens at 0.01: B = 30.0
    # actual 3,600k tokens at 0.0125: A = 45.0
    s = split(30.0, 45.0, 3000.0, 3600.0, Rb=1000.0, Ra=1100.0, scales_with_requests=True)
    # volume = (3600 - 3000) * 0.01 = 6; price = (0.0125 - 0.01) * 3600 = 9
    assert s["volume"] == pytest.approx(6.0)
    assert s["price"] == pytest.approx(9.0)
    assert s["unexplained"] == pytest.approx(0.0, abs=1e-12)
    # kb = 3, ka = 3600/1100; driver = 100 * 3 * 0.01 = 3;
    # intensity = 1100 * (3600/1100 - 3) * 0.01 = 3
    assert s["driver"] == pytest.approx(3.0)
    assert s["intensity"] == pytest.approx(3.0)
    # a fixed line has no driver split, even with usage
    s = split(30.0, 45.0, 3.0, 3.0, Rb=1000.0, Ra=1100.0, scales_with_requests=False)
    assert s["driver"] is None and s["price"] == pytest.approx(15.0) and s["volume"] == 0.0
    # no actual quantity: all unexplained
    s = split(30.0, 45.0, 3000.0, None)
    assert (s["volume"], s["price"], s["unexplained"]) == (0.0, 0.0, 15.0)


def test_band_against_direct_computation() -> None:
    rng = np.random.default_rng(3)
    draws = rng.lognormal(10, 0.3, size=(2000, 3))  # per draw, three months
    totals = draws.sum(axis=1)  # per-draw total over the months
    for actual in (15000.0, 66000.0, 90000.0):
        pct, band, p10, p90 = percentile_and_band(totals, actual)
        below = sum(1 for t in totals if t <= actual)
        assert pct == pytest.approx(100.0 * below / len(totals))
        srt = np.sort(totals)

        # numpy's linear percentile, by hand
        def q(p: float, srt=srt) -> float:
            h = (len(srt) - 1) * p
            lo = math.floor(h)
            return srt[lo] + (h - lo) * (srt[min(lo + 1, len(srt) - 1)] - srt[lo])

        assert p10 == pytest.approx(q(0.1)) and p90 == pytest.approx(q(0.9))
        want = "below" if actual < q(0.1) else "above" if actual > q(0.9) else "within"
        assert band == want
    # never the sum of monthly percentiles: those are wider than the total's
    month_p90 = np.percentile(draws, 90, axis=0).sum()
    assert month_p90 > np.percentile(totals, 90)


def test_materiality_status_and_investigate() -> None:
    assert material(-1000.0, 10.0, 0.05, 1000.0)
    assert not material(4999.0, 100000.0, 0.05, 1000.0)
    d = np.linspace(900.0, 1100.0, 1001)
    items = [
        LineInput("a", "compute", "per_request", 1000.0, 100.0, 5000.0, 400.0, d * 1.0),
        LineInput("b", "compute", "fixed", 1000.0, 1.0, None, None, d),
        LineInput("c", "support", "fixed", 0.0, 0.0, 2500.0, None, np.zeros(1001)),
        LineInput("d", "support", "fixed", 1000.0, 1.0, 1001.0, 1.0, d),
    ]
    rows = line_rows(items, Rb=None, Ra=None)
    a, b, c, dd = rows
    assert a["status"] == "ok" and a["band"] == "above" and a["material"] and a["investigate"]
    assert a["driver"] is None  # no usage actuals: null, not 0
    assert b["status"] == "no_actuals" and b["actual"] == 0.0 and b["band"] is None
    assert b["percentile"] is None and not b["investigate"] and b["unexplained"] == -1000.0
    assert c["status"] == "unbudgeted" and c["band"] is None and c["investigate"]
    assert dd["band"] == "within" and not dd["investigate"]
    assert outside_band(rows) == {"lines": 1, "of": 2, "expected_share": 0.2}
    tot = aggregate(rows, d * 2 + d, (0.05, 1000.0))
    assert tot["actual"] == 5000.0 + 0 + 2500.0 + 1001.0
    assert tot["variance"] == pytest.approx(sum(r["variance"] for r in rows))
    assert tot["driver"] is None and tot["band"] == "above"
