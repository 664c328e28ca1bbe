"""Variance of actuals against a baseline, and the judgement against its own range.

Over a review period, with ``B`` the baseline's point amount, ``Qb`` its point quantity, ``A`` the
actual amount and ``Qa`` the actual quantity (docs/review.md#4-read-the-variance):

===============  =====================================================================
field            definition
===============  =====================================================================
``variance``     ``A - B`` (positive: over budget, unfavourable for a cost)
``volume``       ``(Qa - Qb) * pb`` with ``pb = B / Qb``
``price``        ``(pa - pb) * Qa`` with ``pa = A / Qa``
``driver``       ``(Ra - Rb) * kb * pb`` for lines whose quantity scales with requests,
                 ``R`` requests over the period, ``k = Q / R``
``intensity``    ``Ra * (ka - kb) * pb``, so that ``driver + intensity = volume``
``unexplained``  ``variance - volume - price``: all of ``variance`` where ``Qa``,
                 ``Qb`` or ``pb`` is missing or zero (then ``volume = price = 0``)
===============  =====================================================================

``driver`` and ``intensity`` are None without usage actuals, for lines that do not
scale with requests, and where ``Ra`` or ``Rb`` is zero.

The band comes from the baseline's Monte Carlo draws of the same total (per draw,
summed over the period's months, never by adding monthly percentiles):
``percentile`` is the share of draws at or below ``A`` times 100; ``band`` is
``below`` when ``A`` is under the draws' P10, ``above`` when over their P90,
else ``within``. A row is ``material`` when
``|variance| >= max(share * B, amount)`` and ``investigate`` when material and
outside the band (an ``unbudgeted`` line: when material; ``no_actuals``: never).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.model import Floats
from aiopex.model.costs import DRIVERS
from aiopex.model.percentiles import band_bounds

#: Drivers whose quantity scales with requests: they get the driver/intensity split.
REQUEST_DRIVERS: frozenset[str] = frozenset(
    d.name for d in DRIVERS.values() if d.scales_with == "requests"
)
#: Share of lines expected outside an 80% band by chance.
EXPECTED_OUTSIDE = 0.2
#: Half a cent: bills are rounded to cents, forecasts are not.
CENT = 0.005
#: Default materiality: 5% of the baseline, at least 1,000 in the scenario's currency.
MATERIALITY = (0.05, 1000.0)


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x != 0


def split(
    B: float,
    A: float,
    Qb: float | None,
    Qa: float | None,
    Rb: float | None = None,
    Ra: float | None = None,
    scales_with_requests: bool = False,
) -> dict[str, float | None]:
    """The variance of one line over the period, split into volume, price and the rest.

    Parameters
    ----------
    B, A : float
        Baseline and actual amount over the period.
    Qb, Qa : float or None
        Baseline and actual quantity over the period (None or NaN: unknown).
    Rb, Ra : float or None
        Baseline and actual requests over the period (None without usage actuals).
    scales_with_requests : bool
        Whether the line's quantity scales with requests (:data:`REQUEST_DRIVERS`).

    Returns
    -------
    dict
        ``baseline, actual, variance, volume, price, driver, intensity, unexplained``.

    Examples
    --------
    Baseline 100 units at 2.0, actual 120 units at 2.5:

    >>> s = split(200.0, 300.0, 100.0, 120.0)
    >>> s["variance"], s["volume"], s["price"], s["unexplained"]
    (100.0, 40.0, 60.0, 0.0)

    Requests went from 1,000 to 1,100 and units per request from 0.1 to 0.109...:

    >>> s = split(200.0, 300.0, 100.0, 120.0, Rb=1000.0, Ra=1100.0, scales_with_requests=True)
    >>> round(s["driver"], 9), round(s["intensity"], 9)
    (20.0, 20.0)

    No actual quantity: everything is unexplained.

    >>> split(200.0, 300.0, 100.0, None)["unexplained"]
    100.0
    """
    variance = A - B
    qa = None if Qa is None or not math.isfinite(Qa) else Qa
    qb = None if Qb is None or not math.isfinite(Qb) else Qb
    volume = price = 0.0
    driver: float | None = None
    intensity: float | None = None
    pb = B / qb if qb is not None and _ok(qb) else None
    if _ok(qa) and _ok(qb) and _ok(pb):
        assert qa is not None and qb is not None and pb is not None
        pa = A / qa
        volume = (qa - qb) * pb
        price = (pa - pb) * qa
        if not (math.isfinite(volume) and math.isfinite(price)):  # overflow, tiny quantities
            volume = price = 0.0
        elif scales_with_requests and _ok(Ra) and _ok(Rb):
            assert Ra is not None and Rb is not None
            kb, ka = qb / Rb, qa / Ra
            driver = (Ra - Rb) * kb * pb
            intensity = Ra * (ka - kb) * pb
            if not (math.isfinite(driver) and math.isfinite(intensity)):
                driver = intensity = None
    unexplained = variance - volume - price
    return {
        "baseline": B,
        "actual": A,
        "variance": variance,
        "volume": volume,
        "price": price,
        "driver": driver,
        "intensity": intensity,
        "unexplained": unexplained,
    }


def percentile_and_band(draws: Floats, actual: float) -> tuple[float, str, float, float]:
    """Where ``actual`` falls in the distribution of per-draw totals.

    Returns
    -------
    percentile : float
        ``100 * share of draws <= actual``.
    band : str
        ``below`` (``actual < P10``), ``above`` (``actual > P90``) or ``within``;
        compared to the cent (:data:`CENT`), so that a bill rounded to cents is not
        "outside" a line whose forecast has no uncertainty.
    p10, p90 : float
        The draws' 10th and 90th percentiles (:func:`aiopex.model.percentiles.band_bounds`).

    Examples
    --------
    >>> d = np.arange(1.0, 101.0)
    >>> percentile_and_band(d, 50.0)[:2], percentile_and_band(d, 95.0)[1]
    ((50.0, 'within'), 'above')
    """
    d = np.asarray(draws, dtype=float)
    pct = float(np.mean(d <= actual) * 100.0)
    p10, p90 = band_bounds(d)
    band = "below" if actual < p10 - CENT else "above" if actual > p90 + CENT else "within"
    return pct, band, p10, p90


def material(variance: float, baseline: float, share: float, amount: float) -> bool:
    """``|variance| >= max(share * baseline, amount)``.

    >>> material(1200.0, 10000.0, 0.05, 1000.0), material(600.0, 10000.0, 0.05, 1000.0)
    (True, False)
    """
    return abs(variance) >= max(share * abs(baseline), amount)


@dataclass(frozen=True)
class LineInput:
    """What the variance of one line needs over the period."""

    line: str
    category: str
    driver: str
    B: float
    Qb: float | None
    A: float | None  # None: no actuals for this line
    Qa: float | None
    draws: Floats  # per-draw baseline amount over the period, shape (draws,)


def judge(
    row: dict[str, Any],
    draws: Floats | None,
    status: str,
    materiality: tuple[float, float],
) -> dict[str, Any]:
    """Add ``percentile, band, material, investigate, status`` to a variance row
    (and the band's bounds as ``_p10`` and ``_p90``)."""
    row = dict(row)
    mat = material(row["variance"], row["baseline"], *materiality)
    if status == "ok" and draws is not None and len(draws):
        pct, band, p10, p90 = percentile_and_band(draws, row["actual"])
        row.update(percentile=pct, band=band, _p10=p10, _p90=p90)
        row["_chance"] = chance_outside(draws, p10, p90)
    else:
        row.update(percentile=None, band=None, _p10=None, _p90=None, _chance=None)
    row["material"] = mat
    if status == "no_actuals":
        row["investigate"] = False
    elif status == "unbudgeted":
        row["investigate"] = mat
    else:
        row["investigate"] = bool(mat and row["band"] in ("below", "above"))
    row["status"] = status
    return row


def line_rows(
    items: list[LineInput],
    Rb: float | None,
    Ra: float | None,
    materiality: tuple[float, float] = MATERIALITY,
) -> list[dict[str, Any]]:
    """The variance rows of every line: split, band, materiality, status.

    ``status`` is ``no_actuals`` (baseline but no actuals: ``A = 0``, no band),
    ``unbudgeted`` (actuals but a zero baseline: no band) or ``ok``.
    """
    out = []
    for it in items:
        if it.A is None:
            status, A, Qa = "no_actuals", 0.0, None
        else:
            status = "unbudgeted" if it.B == 0 else "ok"
            A, Qa = it.A, it.Qa
        row = split(it.B, A, it.Qb, Qa, Rb, Ra, it.driver in REQUEST_DRIVERS)
        row = judge(row, it.draws, status, materiality)
        out.append({"line": it.line, "category": it.category, **row, "_Qb": it.Qb, "_Qa": Qa})
    return out


_SUMMED = ("baseline", "actual", "variance", "volume", "price", "unexplained")


def aggregate(
    rows: list[dict[str, Any]],
    draws: Floats,
    materiality: tuple[float, float] = MATERIALITY,
) -> dict[str, Any]:
    """A category's or the total's row: sums of the lines' fields, its own band.

    ``driver`` and ``intensity`` are summed over the lines that have them (None when
    none has); ``unused`` (a commitment's group, docs/review.md) over the rows that have
    it, present only when one has. ``draws`` is the per-draw baseline total of the same
    lines and months.
    """
    out: dict[str, Any] = {k: float(sum(r[k] for r in rows)) for k in _SUMMED}
    if any("unused" in r for r in rows):  # a commitment's group among them
        out["unused"] = float(sum(r.get("unused", 0.0) for r in rows))
    for k in ("driver", "intensity"):
        vals = [r[k] for r in rows if r[k] is not None]
        out[k] = float(sum(vals)) if vals else None
    return judge(out, draws, "ok", materiality)


def chance_outside(draws: Floats, p10: float, p90: float) -> float:
    """The share of the baseline's own draws that :func:`percentile_and_band` would put
    outside the band: the chance that the line falls outside by chance alone.

    About 0.2 for a line whose forecast has a spread; 0 for a fixed line (every draw the
    same, P10 = P90), which cannot fall outside its band by chance.

    >>> chance_outside(np.arange(1.0, 101.0), 10.9, 90.1), chance_outside(np.ones(50), 1, 1)
    (0.2, 0.0)
    """
    d = np.asarray(draws, dtype=float)
    return float(np.mean((d < p10 - CENT) | (d > p90 + CENT)))


def outside_by_chance(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How many lines could fall outside their band by chance, and how many would.

    Only a line whose forecast has a spread can (``can_vary``: some of its draws lie
    outside its own band); ``expected_lines`` is the sum over the banded lines of
    :func:`chance_outside` (about 20% of ``can_vary``), ``expected_share`` that over
    ``can_vary``; ``fixed`` names the banded lines that cannot.
    """
    banded = [r for r in rows if r.get("band") is not None]
    chance = [float(r.get("_chance") or 0.0) for r in banded]
    can = sum(c > 0 for c in chance)
    expected = float(sum(chance))
    return {
        "lines": sum(r["band"] != "within" for r in banded),
        "of": len(banded),
        "can_vary": can,
        "expected_lines": expected,
        "expected_share": expected / can if can else 0.0,
        "fixed": [r["line"] for r, c in zip(banded, chance, strict=True) if c == 0],
    }


def outside_band(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How many lines with a band fell outside it, against the 20% expected by chance."""
    banded = [r for r in rows if r.get("band") is not None]
    n = sum(r["band"] != "within" for r in banded)
    return {"lines": n, "of": len(banded), "expected_share": EXPECTED_OUTSIDE}


def missing_text(line: str, month: str, baseline: float | None) -> str:
    """A month without actuals of a line that has actuals in others, as the review says it.

    >>> missing_text("gpu", "2027-02", 6000.0)
    'gpu: no actuals for 2027-02, counted as 0 (baseline 6,000)'
    """
    than = "" if baseline is None else f" (baseline {baseline:,.0f})"
    return f"{line}: no actuals for {month}, counted as 0{than}"


def mixed_text(line: str, units: dict[str, int]) -> str:
    """``"gpu: billed in 2 units (GB 393 rows, Hours 36), so no quantity: ..."``.

    >>> mixed_text("gpu", {"GB": 393, "Hours": 36})
    'gpu: billed in 2 units (GB 393 rows, Hours 36), so no quantity: its variance is unexplained'
    """
    said = ", ".join(
        f"{u} {n} rows" if i == 0 else f"{u} {n}" for i, (u, n) in enumerate(units.items())
    )
    return (
        f"{line}: billed in {len(units)} units ({said}), so no quantity: "
        "its variance is unexplained"
    )
