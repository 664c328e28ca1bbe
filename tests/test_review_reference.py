"""The review against tests/reference_review.py, a plain reference written from the
review's definitions without aiopex: on generated lines (hypothesis), and on the
bundled example (data/actuals, as `make demo` runs it)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_review import Line, review

from aiopex.model import variance as V  # noqa: N812

MONTHS = ["2027-01", "2027-02", "2027-03"]
DRIVERS = ["per_request", "per_1k_input_tokens", "fixed", "fte", "capacity", "per_active_user"]
CATEGORIES = ["compute", "support", "data"]

money = st.floats(0, 50_000, allow_nan=False).map(lambda x: round(x, 2))
qty = st.floats(0, 1e6, allow_nan=False)


@st.composite
def lines(draw: st.DrawFn) -> tuple[list[Line], float | None, float | None]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 40))  # kept draws
    out = []
    for i in range(n):
        base = draw(st.lists(money, min_size=3, max_size=3))
        if draw(st.booleans()):
            base = [0.0, 0.0, 0.0]
        quantity = draw(st.lists(qty, min_size=3, max_size=3))
        spread = draw(st.sampled_from([0.0, 0.1, 0.5]))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        draws = (
            np.array(base) * rng.lognormal(0, spread, (k, 3)) if spread else np.tile(base, (k, 1))
        )
        ln = Line(
            name=f"line{i}",
            category=draw(st.sampled_from(CATEGORIES)),
            driver=draw(st.sampled_from(DRIVERS)),
            baseline=base,
            quantity=quantity,
            draws=draws.tolist(),
        )
        if draw(st.integers(0, 4)) > 0:  # a line with actuals in some months
            for m in MONTHS:
                if draw(st.integers(0, 5)) > 0:
                    ln.actual[m] = draw(money)
                    ln.actual_q[m] = draw(st.one_of(st.none(), qty))
        out.append(ln)
    usage = draw(st.one_of(st.none(), st.tuples(qty, qty)))
    Rb, Ra = usage if usage is not None else (None, None)
    return out, Rb, Ra


def _inputs(ls: list[Line]) -> list[V.LineInput]:
    """The same lines as the review's variance takes them: totals over the period."""
    items = []
    for ln in ls:
        qs = [ln.actual_q.get(m) for m in MONTHS if m in ln.actual]
        items.append(
            V.LineInput(
                line=ln.name,
                category=ln.category,
                driver=ln.driver,
                B=float(sum(ln.baseline)),
                Qb=float(sum(ln.quantity)),
                A=float(sum(ln.actual.values())) if ln.actual else None,
                Qa=None if any(q is None for q in qs) else float(sum(q or 0.0 for q in qs)),
                draws=np.array(ln.draws).sum(axis=1),
            )
        )
    return items


def close(got: object, want: object, what: str) -> None:
    if want is None or isinstance(want, bool | str):
        assert got == want, what
    else:
        assert isinstance(got, float | int), what
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (what, got, want)


FIELDS = ("baseline", "actual", "variance", "volume", "price", "driver", "intensity",
          "unexplained", "percentile", "band", "material", "investigate", "status")  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(lines())
def test_variance_split_band_and_judgement_match_the_reference(case) -> None:
    ls, Rb, Ra = case
    want = review(ls, MONTHS, Rb, Ra)
    got = V.line_rows(_inputs(ls), Rb, Ra)
    for g, w in zip(got, want["lines"], strict=True):
        for f in FIELDS:
            close(g[f], w[f], f"{g['line']}.{f}")
    draws = np.array([ln.draws for ln in ls]).sum(axis=(0, 2))
    total = V.aggregate(got, draws)
    for f in FIELDS:
        close(total[f], want["total"][f], f"total.{f}")
    assert V.outside_band(got)["lines"] == want["outside_band"]["lines"]
