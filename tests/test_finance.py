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
