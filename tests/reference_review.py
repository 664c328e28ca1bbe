"""A slow, plain reference of the quarterly review's numbers, for the tests.

Written from the review's definitions (docs/review.md) one line and one draw at a time,
in plain Python: it imports nothing of aiopex, and takes no numpy percentile either
(:func:`percentile` is numpy's default "linear" definition written out). The tests feed
it the same baseline and actuals as the review and compare every number:

- the variance split of each line (``variance, volume, price, driver, intensity,
  unexplained``), categories and the total (sums of their lines);
- the judgement against the forecast's own range: ``percentile`` (share of the
  baseline's draws of the same total at or below the actual, times 100), ``band``
  (``below`` P10, ``above`` P90, compared to the half cent), ``material`` and
  ``investigate``, and ``status`` (``ok``, ``unbudgeted``, ``no_actuals``);
- the outlook of the fiscal year: actuals up to the period's end for a line with
  actuals in the period (0 in a month without one), the baseline for a line without,
  the re-forecast's point amounts after the period; and the baseline over those months;
- a commitment and the lines it covers, judged as one group (:func:`commitment_group`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Half a cent: a bill rounded to cents is not outside a band that has no width.
CENT = 0.005
#: Drivers whose quantity scales with requests (they get ``driver`` and ``intensity``).
REQUEST_DRIVERS = ("per_request", "per_1k_input_tokens", "per_1k_output_tokens", "capacity")
#: 5% of the baseline, at least 1,000.
MATERIALITY = (0.05, 1000.0)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile by linear interpolation between order statistics: with
    ``v = (n - 1) q / 100``, the ``floor(v)``-th smallest value plus the fraction
    ``v - floor(v)`` of the step to the next."""
    xs = sorted(values)
    v = (len(xs) - 1) * q / 100.0
    lo = math.floor(v)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (v - lo)


def _usable(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x != 0


def split(
    B: float,
    A: float,
    Qb: float | None,
    Qa: float | None,
    Rb: float | None,
    Ra: float | None,
    scales_with_requests: bool,
) -> dict[str, float | None]:
    """``variance = A - B``; ``volume = (Qa - Qb) pb``, ``price = (pa - pb) Qa`` with
    ``pb = B / Qb``, ``pa = A / Qa``; ``driver = (Ra - Rb) kb pb``, ``intensity = Ra (ka -
    kb) pb`` with ``k = Q / R`` for a line that scales with requests, given usage;
    ``unexplained`` the rest (all of the variance when a quantity or the price is missing
    or zero)."""
    out: dict[str, float | None] = {
        "baseline": B,
        "actual": A,
        "variance": A - B,
        "volume": 0.0,
        "price": 0.0,
        "driver": None,
        "intensity": None,
    }
    pb = B / Qb if _usable(Qb) else None
    if _usable(Qa) and _usable(Qb) and _usable(pb):
        assert Qa is not None and Qb is not None and pb is not None
        pa = A / Qa
        out["volume"] = (Qa - Qb) * pb
        out["price"] = (pa - pb) * Qa
        if not (math.isfinite(out["volume"]) and math.isfinite(out["price"])):
            # a quantity so near zero that the price overflows: no split (unexplained)
            out["volume"] = out["price"] = 0.0
        elif scales_with_requests and _usable(Ra) and _usable(Rb):
            assert Ra is not None and Rb is not None
            kb, ka = Qb / Rb, Qa / Ra
            driver, intensity = (Ra - Rb) * kb * pb, Ra * (ka - kb) * pb
            if math.isfinite(driver) and math.isfinite(intensity):
                out["driver"], out["intensity"] = driver, intensity
    out["unexplained"] = (A - B) - out["volume"] - out["price"]  # type: ignore[operator]
    return out


def judge(
    row: dict[str, float | None],
    draws: list[float] | None,
    status: str,
    materiality: tuple[float, float] = MATERIALITY,
) -> dict[str, object]:
    """``percentile``, ``band``, ``material``, ``investigate`` and ``status`` of a row."""
    out: dict[str, object] = dict(row)
    A, B, variance = row["actual"], row["baseline"], row["variance"]
    assert A is not None and B is not None and variance is not None
    out["percentile"] = out["band"] = None
    if status == "ok" and draws:
        out["percentile"] = 100.0 * sum(1 for d in draws if d <= A) / len(draws)
        p10, p90 = percentile(draws, 10), percentile(draws, 90)
        out["band"] = "below" if A < p10 - CENT else "above" if A > p90 + CENT else "within"
    share, amount = materiality
    out["material"] = abs(variance) >= max(share * B, amount)
    if status == "no_actuals":
        out["investigate"] = False
    elif status == "unbudgeted":
        out["investigate"] = out["material"]
    else:
        out["investigate"] = bool(out["material"] and out["band"] in ("below", "above"))
    out["status"] = status
    return out


@dataclass
class Line:
    """One cost line of the baseline over the review period, and its actuals.

    ``baseline`` and ``quantity`` hold the baseline's point amount and quantity per
    period month; ``draws`` each kept draw's amounts per period month; ``actual`` the
    actual amount per month of the period that has one (empty: no actuals), ``actual_q``
    the actual quantity per month (``None`` where the month has none).
    """

    name: str
    category: str
    driver: str
    baseline: list[float]
    quantity: list[float]
    draws: list[list[float]]
    actual: dict[str, float] = field(default_factory=dict)
    actual_q: dict[str, float | None] = field(default_factory=dict)


def review(
    lines: list[Line],
    months: list[str],
    Rb: float | None = None,
    Ra: float | None = None,
    materiality: tuple[float, float] = MATERIALITY,
) -> dict[str, object]:
    """Every line's row, every category's, the total's and the count outside the band."""
    rows = []
    for ln in lines:
        B = sum(ln.baseline)
        Qb = sum(ln.quantity)
        if not ln.actual and B == 0:
            continue  # nothing expected, nothing billed: no row (the review lists none)
        if not ln.actual:
            status, A, Qa = "no_actuals", 0.0, None
        else:
            status = "unbudgeted" if B == 0 else "ok"
            A = sum(ln.actual.values())
            qs = [ln.actual_q.get(m) for m in months if m in ln.actual]
            # the period's quantity is missing when a month with actuals lacks one
            Qa = None if any(q is None for q in qs) else sum(q for q in qs if q is not None)
        row = split(B, A, Qb, Qa, Rb, Ra, ln.driver in REQUEST_DRIVERS)
        totals = [sum(d) for d in ln.draws]
        rows.append({"line": ln.name, "category": ln.category, **judge(row, totals, status)})

    def group(members: list[Line]) -> dict[str, object]:
        names = {ln.name for ln in members}
        mine = [r for r in rows if r["line"] in names]
        row: dict[str, float | None] = {
            k: sum(float(r[k]) for r in mine)  # type: ignore[arg-type]
            for k in ("baseline", "actual", "variance", "volume", "price", "unexplained")
        }
        for k in ("driver", "intensity"):
            parts = [float(r[k]) for r in mine if r[k] is not None]  # type: ignore[arg-type]
            row[k] = sum(parts) if parts else None
        n = len(members[0].draws)
        totals = [sum(sum(ln.draws[i]) for ln in members) for i in range(n)]
        return judge(row, totals, "ok", materiality)

    listed = {r["line"] for r in rows}
    categories: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.name in listed:
            categories.setdefault(ln.category, []).append(ln)
    banded = [r for r in rows if r["band"] is not None]
    return {
        "lines": rows,
        "categories": {c: group(m) for c, m in categories.items()},
        "total": group([ln for ln in lines if ln.name in listed]),
        "outside_band": {
            "lines": sum(1 for r in banded if r["band"] != "within"),
            "of": len(banded),
        },
    }


def outlook(
    fy_months: list[str],
    period_end: str,
    baseline: dict[str, dict[str, float]],
    actual: dict[str, dict[str, float]],
    billed: set[str],
    reforecast: dict[str, dict[str, float]],
) -> tuple[float, float]:
    """``(outlook, baseline)`` of the fiscal year's months ``fy_months``.

    ``baseline``, ``actual`` and ``reforecast`` map a line to its amount per month;
    ``billed`` names the lines with actuals in the period. Up to ``period_end`` a billed
    line counts its actual (0 in a month without one), any other line its baseline;
    after it, every line its re-forecast point amount.
    """
    total = base = 0.0
    for m in fy_months:
        for line, per_month in baseline.items():
            base += per_month.get(m, 0.0)
            if m <= period_end:
                if line in billed:
                    total += actual.get(line, {}).get(m, 0.0)
                else:
                    total += per_month.get(m, 0.0)
            else:
                total += reforecast.get(line, {}).get(m, 0.0)
    return total, base


@dataclass
class Commitment:
    """A commitment of the baseline over the review period, with the lines it covers.

    ``in_term`` is 1 or 0 per period month; ``on_demand`` maps each covered line to its
    on-demand baseline amount per period month (quantity times the line's own rate, before
    the commitment); ``draws`` each kept draw's amounts per period month of the commitment's
    own line (``C`` in the term); ``unused`` the actual unused commitment per month.
    """

    name: str
    category: str
    amount_per_month: float
    discount: float
    in_term: list[int]
    covers: list[Line]
    on_demand: dict[str, list[float]]
    draws: list[list[float]]
    unused: dict[str, float] = field(default_factory=dict)


def commitment_group(
    c: Commitment, months: list[str], materiality: tuple[float, float] = MATERIALITY
) -> dict[str, object]:
    """The group's row (docs/review.md, Commitments): ``B`` = ``C`` in each month of the
    term plus the covered lines' baseline; ``A`` = the covered lines' actuals plus the
    actual unused commitment; ``volume`` = sum over the covered lines of ``(Qa - Qb) pb``
    with ``pb`` the on-demand baseline amount over ``Qb``; ``unused`` = actual unused less
    the baseline's (``C - (1 - d) min(S, C / (1 - d))`` in each term month, ``S`` the
    covered lines' on-demand amount); ``unexplained`` the rest; judged on the draws of the
    commitment's line plus the covered lines."""
    C, d = c.amount_per_month, c.discount
    E = C / (1 - d)
    B = sum(C * w for w in c.in_term) + sum(sum(ln.baseline) for ln in c.covers)
    unused_b = 0.0
    for k, w in enumerate(c.in_term):
        S = sum(c.on_demand[ln.name][k] for ln in c.covers)
        unused_b += (C - (1 - d) * min(S, E)) * w
    has = any(ln.actual for ln in c.covers) or bool(c.unused)
    volume = 0.0
    A = 0.0
    for ln in c.covers:
        A += sum(ln.actual.values())
        Qb = sum(ln.quantity)
        qs = [ln.actual_q.get(m) for m in months if m in ln.actual]
        if not ln.actual or any(q is None for q in qs) or Qb == 0:
            continue
        Qa = sum(q for q in qs if q is not None)
        pb = sum(c.on_demand[ln.name]) / Qb
        if Qa != 0:
            volume += (Qa - Qb) * pb
    unused_a = sum(c.unused.values())
    A += unused_a
    if not has:
        A = volume = 0.0
    unused = unused_a - unused_b if has else 0.0
    row: dict[str, float | None] = {
        "baseline": B, "actual": A, "variance": A - B, "volume": volume, "price": 0.0,
        "unused": unused, "unexplained": A - B - volume - unused,
    }  # fmt: skip
    n = len(c.draws)
    totals = [sum(c.draws[i]) + sum(sum(ln.draws[i]) for ln in c.covers) for i in range(n)]
    out = judge(row, totals, "ok" if has else "no_actuals", materiality)
    out["unused_baseline"] = unused_b
    return out
