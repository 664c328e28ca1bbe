"""When the IRR is not a useful measure (docs/formulas.md, "When the IRR says little").

An IRR is the rate that makes the net cash flows' present value zero. When the money
the project is ever out of pocket is small against what it earns afterwards, that rate
compounds a small stake into an enormous number (573%, 3,354% a year) that says little
about the decision. Then the reports lead with NPV and MIRR (which reinvests at the
discount rate) and give the IRR with a note.

With ``C(m)`` the cumulative net and ``low = min_m C(m)``:

- ``outlay = -min(0, low)``: the most the project is ever out of pocket;
- ``recovered = C(H-1) - low``: the net that follows that lowest point;
- the IRR is *not useful* when ``irr_annual > IRR_CEILING`` (100% a year) or when
  ``0 < outlay < SMALL_OUTLAY * recovered`` (the outlay is under a tenth of what follows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aiopex.model import Floats

#: An annual IRR above this (100%) is flagged.
IRR_CEILING = 1.0
#: An outlay under this share of the net that follows it is flagged as small.
SMALL_OUTLAY = 0.10


@dataclass(frozen=True)
class IrrVerdict:
    """Whether the IRR is a useful measure, and why not.

    Attributes
    ----------
    useful : bool
        False when the IRR is above 100% a year or the outlay is small against what
        follows it (and there is an IRR).
    outlay : float
        ``-min(0, lowest cumulative net)``.
    recovered : float
        Cumulative net at the horizon less the lowest cumulative net.
    reason : str
        Why it is not useful, in words ('' when it is).
    """

    useful: bool
    outlay: float
    recovered: float
    reason: str


def irr_verdict(net: Floats, irr_annual: float | None) -> IrrVerdict:
    """Judge the IRR of monthly net cash flows ``net`` (the base case).

    Examples
    --------
    >>> v = irr_verdict(np.array([-1000.0, 5000.0, 5000.0, 5000.0]), 50.0)
    >>> v.useful, v.outlay, v.recovered
    (False, 1000.0, 15000.0)
    >>> irr_verdict(np.array([-1000.0, 300.0, 400.0, 500.0]), 0.6).useful
    True
    >>> irr_verdict(np.array([100.0, 200.0]), None).useful  # no IRR: nothing to judge
    True
    """
    cum = np.cumsum(np.asarray(net, dtype=float))
    if cum.size == 0:
        return IrrVerdict(True, 0.0, 0.0, "")
    low = float(cum.min())
    outlay = -min(0.0, low)
    recovered = float(cum[-1]) - low
    if irr_annual is None:
        return IrrVerdict(True, outlay, recovered, "")
    reasons = []
    if irr_annual > IRR_CEILING:
        reasons.append(f"above {IRR_CEILING:.0%} a year")
    if 0 < outlay < SMALL_OUTLAY * recovered:
        reasons.append(
            f"the most the project is ever out of pocket is under {SMALL_OUTLAY:.0%} of the "
            "net that follows"
        )
    return IrrVerdict(not reasons, outlay, recovered, "; ".join(reasons))
