"""Finance functions against independent references (numpy-financial, closed forms)."""

import numpy as np
import numpy_financial as npf
import pytest

from aiopex.model import finance


def test_npv_is_excel_npv():
    # Excel: =NPV(r, v1..vn) = sum v_i / (1+r)^i, i from 1; numpy_financial.npv starts at 0,
    # so Excel's NPV equals npf.npv(r, [0] + flows).
    rng = np.random.default_rng(3)
    net = rng.normal(100, 500, size=(5, 36))
    r = finance.monthly_rate(0.1)
    expected = [npf.npv(float(r), [0.0, *row]) for row in net]
    np.testing.assert_allclose(finance.npv(net, np.full(5, 0.1)), expected, rtol=1e-12)


def test_monthly_rate_compounds_to_annual():
    assert (1 + finance.monthly_rate(0.1)) ** 12 - 1 == pytest.approx(0.1, rel=1e-12)


@pytest.mark.parametrize(
    "flows",
    [
        [-1000, 100, 200, 300, 400, 500],
        [-5000] + [300] * 36,
        [-200, -300, 50, 80, 120, 200, 400, 100],
        [100, -50, -60, 20],
    ],
)
def test_irr_matches_numpy_financial_and_zeroes_npv(flows):
    x = finance.irr(np.array([flows], dtype=float))[0]
    assert x == pytest.approx(npf.irr(flows), rel=1e-8)
    m = np.arange(len(flows))
    assert np.sum(np.array(flows) / (1 + x) ** m) == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("flows", [[100, 50, 10], [-100, -5, -1], [0, 0, 0]])
def test_irr_does_not_exist_without_a_sign_change(flows):
    assert np.isnan(finance.irr(np.array([flows], dtype=float))[0])
    assert np.isnan(finance.irr_annual(np.array([flows], dtype=float))[0])


def test_irr_vectorized_equals_row_by_row():
    rng = np.random.default_rng(7)
    net = np.cumsum(rng.normal(50, 100, size=(200, 48)), axis=1) - 800
    net[:, 0] = -3000
    vec = finance.irr(net)
    for i in range(0, 200, 17):
        ref = npf.irr(net[i])
        if np.isnan(ref):
            continue
        assert vec[i] == pytest.approx(ref, rel=1e-7)


def test_payback_month_rule():
    net = np.array(
        [
            [-5, 3, 3, -2, 4],  # cum -5,-2,1,-1,3 -> from month 4 (1 at month 2 dips again)
            [1, 1, 1, 1, 1],  # never negative -> 0
            [-5, 1, 1, 1, 1],  # ends at -1 -> None
        ],
        dtype=float,
    )
    got = finance.payback_month(net)
    assert got[0] == 4 and got[1] == 0 and np.isnan(got[2])


# -- which IRR root, and MIRR, against numpy-financial on random flows ---------------------

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FLOWS = st.lists(st.integers(-1000, 1000).map(float), min_size=2, max_size=30)


def _roots(flows: list[float]) -> np.ndarray:
    """Every real IRR > -1 of the flows (roots of the polynomial in 1/(1+x)), sorted."""
    v = np.roots(np.array(flows)[::-1])
    v = v[(np.abs(v.imag) < 1e-12) & (v.real > 0)].real
    return np.sort(1.0 / v - 1.0)


def _well_separated(roots: np.ndarray) -> bool:
    """The root closest to zero is simple and well apart from the others (the engine scans
    a grid about 10% apart in 1+x and does not resolve two roots inside one cell)."""
    if roots.size == 0:
        return True
    best = roots[np.argmin(np.abs(roots))]
    if not -0.999 < best < 1e3:
        return False
    others = roots[roots != best]
    return bool(np.all(np.abs(np.log1p(others) - np.log1p(best)) > 0.25))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(FLOWS)
def test_irr_is_numpy_financials_root_closest_to_zero(flows):
    roots = _roots(flows)
    assume(_well_separated(roots))
    got = finance.irr(np.array([flows]))[0]
    want = npf.irr(flows)
    if np.isnan(want) or not ((np.array(flows) > 0).any() and (np.array(flows) < 0).any()):
        assert np.isnan(got)
        return
    assert got == pytest.approx(want, rel=1e-7, abs=1e-10)


def test_irr_with_two_roots_returns_the_one_closest_to_zero():
    # -100 + 230 v - 132 v^2 = 0: v = 1/1.1 or 1/1.2, roots 10% and 20% a month
    x = finance.irr(np.array([[-100.0, 230.0, -132.0], [100.0, -230.0, 132.0]]))
    np.testing.assert_allclose(x, [0.1, 0.1], rtol=1e-12)
    # roots -50% and +25%: closest to zero is +25%
    flows = np.polynomial.polynomial.polyfromroots([1 / 0.5, 1 / 1.25])  # in v = 1/(1+x)
    assert finance.irr(flows[None, :])[0] == pytest.approx(0.25, rel=1e-10)
    assert npf.irr(flows) == pytest.approx(0.25, rel=1e-10)


def test_irr_rows_are_independent_and_vectorized():
    rng = np.random.default_rng(11)
    net = rng.integers(-500, 500, size=(300, 24)).astype(float)
    vec = finance.irr(net)
    for i in range(0, 300, 7):
        np.testing.assert_equal(vec[i], finance.irr(net[i : i + 1])[0])


@settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(FLOWS, st.floats(-0.5, 2.0))
def test_mirr_is_numpy_financials_mirr_at_the_monthly_rate(flows, annual):
    r = float(finance.monthly_rate(annual))
    got = finance.mirr(np.array([flows]), annual)[0]
    want = npf.mirr(flows, r, r)
    if np.isnan(want):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    annual_got = finance.mirr_annual(np.array([flows]), annual)[0]
    np.testing.assert_allclose(annual_got, (1 + got) ** 12 - 1, rtol=1e-12)


def test_mirr_is_excels_formula():
    """Excel: MIRR = (-NPV(rr, pos) * (1+rr)^n / (NPV(fr, neg) * (1+fr)))^(1/(n-1)) - 1."""
    flows = np.array([-120000.0, 39000, 30000, 21000, 37000, 46000])
    r = 0.1
    npv_excel = lambda rate, v: sum(x / (1 + rate) ** (i + 1) for i, x in enumerate(v))  # noqa: E731
    pos, neg = np.where(flows > 0, flows, 0), np.where(flows < 0, flows, 0)
    n = len(flows)
    want = (-npv_excel(r, pos) * (1 + r) ** n / (npv_excel(r, neg) * (1 + r))) ** (1 / (n - 1)) - 1
    got = finance.mirr(flows[None, :], (1 + r) ** 12 - 1)[0]
    assert got == pytest.approx(want, rel=1e-12)
    # one month, or flows of one sign: undefined
    assert np.isnan(finance.mirr(np.array([[-5.0]]), 0.1)[0])
    assert np.isnan(finance.mirr(np.array([[-5.0, -1.0, 0.0]]), 0.1)[0])
