"""Uncertain numbers: the *(u)* fields of SCENARIO.md and how they are sampled.

A *(u)* field is a plain number or a range:

================================================  ==========================  ============================
form                                              meaning                     point value
================================================  ==========================  ============================
``0.004``                                         constant                    itself
``{low: a, high: b}``                             90% interval: lognormal     ``sqrt(a*b)`` (lognormal),
                                                  when ``a > 0``, else normal ``(a+b)/2`` (normal)
``{low: a, mode: c, high: b, dist: pert}``        PERT (beta, lambda 4)       ``c``
``{low: a, mode: c, high: b, dist: triangular}``  triangular                  ``c``
``{low: a, high: b, dist: uniform}``              uniform                     ``(a+b)/2``
``{mean: u, sd: s, dist: normal}``                normal                      ``u``
================================================  ==========================  ============================

A range may set ``point: x`` explicitly. Sampled values are clipped to the
field's valid range. A range whose low equals its high is that constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: z of the 95th percentile of a standard normal: a 90% interval is mean +- Z90 * sd.
Z90 = 1.6448536269514722

DISTS = ("lognormal", "normal", "pert", "triangular", "uniform")

#: A number in a range: a finite int or float; never a boolean or a quoted number.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Range(BaseModel):
    """A range form of an uncertain number (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: Number | None = None
    high: Number | None = None
    mode: Number | None = None
    mean: Number | None = None
    sd: Number | None = None
    dist: str | None = None
    point: Number | None = None

    @model_validator(mode="after")
    def _check(self) -> Range:
        d = self.dist
        if d is not None and d not in DISTS:
            shown = repr(d[:40]) + ("…" if len(d) > 40 else "")
            raise ValueError(f"dist: unknown distribution {shown}; use one of {', '.join(DISTS)}")
        if d == "normal" and self.mean is not None:
            if self.sd is None:
                raise ValueError("sd: required with mean for dist normal")
            if self.sd < 0:
                raise ValueError(f"sd: must be >= 0 (0 is the constant mean), got {self.sd:g}")
            if self.low is not None or self.high is not None or self.mode is not None:
                raise ValueError("a range gives low and high, or mean and sd; not both")
            return self
        if self.mean is not None or self.sd is not None:
            raise ValueError("mean and sd go with dist: normal only")
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or mean and sd with dist: normal)")
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low={self.low:g}, high={self.high:g}")
        if d in ("pert", "triangular"):
            if self.mode is None:
                raise ValueError(f"mode: required for dist {d}")
            if not self.low <= self.mode <= self.high:
                raise ValueError(
                    f"mode: must lie between low and high, got low={self.low:g}, "
                    f"mode={self.mode:g}, high={self.high:g}"
                )
        elif self.mode is not None:
            raise ValueError("mode: only for dist pert or triangular")
        if d == "lognormal" and not self.low > 0:
            raise ValueError(
                f"low: a lognormal range needs low > 0, got {self.low:g} "
                "(leave out dist for a normal range)"
            )
        return self

    @property
    def kind(self) -> str:
        """The distribution actually used: ``dist``, or lognormal/normal for ``{low, high}``."""
        if self.dist is not None:
            return self.dist
        return "lognormal" if self.low is not None and self.low > 0 else "normal"

    def describe(self) -> str:
        """Short human text, e.g. ``'pert 0.1..0.3 (mode 0.2)'``."""
        k = self.kind
        if self.mean is not None:
            return f"normal mean {self.mean:g}, sd {self.sd:g}"
        s = f"{k} {self.low:g}..{self.high:g}"
        if self.mode is not None:
            s += f" (mode {self.mode:g})"
        if k in ("lognormal", "normal") and self.dist is None:
            s += ", 90% interval"
        return s


Uncertain = float | Range


@dataclass(frozen=True)
class Bounds:
    """The valid range of a field: values are checked against it and samples clipped to it.

    ``lo_open`` makes the lower bound strict (``> lo``). ``percent_hint`` marks an
    annual rate (a fraction): a value above ``hi`` is refused as a likely percentage.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    percent_hint: bool = False

    def check(self, x: float) -> str | None:
        """Return a problem message when ``x`` is outside the bounds, else ``None``."""
        if self.lo_open and not x > self.lo:
            return f"must be > {self.lo:g}, got {x:g}"
        if not self.lo_open and x < self.lo:
            return f"must be >= {self.lo:g}, got {x:g}"
        if x > self.hi:
            if self.percent_hint:
                return f"{x:g} looks like a percentage; write {x / 100:g}"
            return f"must be <= {self.hi:g}, got {x:g}"
        return None


def point(value: Uncertain) -> float:
    """The point value a deterministic run uses.

    Examples
    --------
    >>> point(0.004)
    0.004
    >>> point(Range(low=2, high=8))
    4.0
    >>> point(Range(low=-1, high=3))
    1.0
    >>> point(Range(low=1, mode=2, high=9, dist="pert"))
    2.0
    """
    if not isinstance(value, Range):
        return float(value)
    r = value
    if r.point is not None:
        return float(r.point)
    k = r.kind
    if r.mean is not None:
        return float(r.mean)
    assert r.low is not None and r.high is not None
    if k == "lognormal":
        return math.sqrt(r.low * r.high)
    if k in ("pert", "triangular"):
        assert r.mode is not None
        return float(r.mode)
    return (r.low + r.high) / 2


def is_constant(value: Uncertain) -> bool:
    """True for a plain number or a range of zero width."""
    if not isinstance(value, Range):
        return True
    if value.mean is not None:
        return value.sd == 0
    return value.low == value.high


def sample(
    value: Uncertain, draws: int, rng: np.random.Generator, bounds: Bounds | None = None
) -> np.ndarray:
    """Draw ``draws`` values of an uncertain number, clipped to ``bounds``.

    A constant (or a zero-width range) is returned as its point value without
    consuming random numbers, so a degenerate range behaves as that constant.

    - lognormal ``{low: a, high: b}``, ``a > 0``: ``ln X ~ N((ln a + ln b)/2,
      (ln b - ln a) / (2 * 1.6449))``, so that a and b are its 5th and 95th percentiles.
    - normal ``{low: a, high: b}``, ``a <= 0``: ``N((a+b)/2, (b-a) / (2 * 1.6449))``.
    - pert: ``a + (b-a) * Beta(1 + 4 (c-a)/(b-a), 1 + 4 (b-c)/(b-a))``.
    - triangular, uniform, normal ``{mean, sd}``: as named.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = sample(Range(low=10, high=40), 100_000, rng)
    >>> bool(abs(np.percentile(x, 5) - 10) < 0.3 and abs(np.percentile(x, 95) - 40) < 1)
    True
    """
    if is_constant(value):
        out = np.full(draws, point(value))
    else:
        r = value
        assert isinstance(r, Range)
        k = r.kind
        if r.mean is not None:
            out = rng.normal(r.mean, r.sd, draws)
        else:
            a, b = float(r.low), float(r.high)  # type: ignore[arg-type]
            if k == "lognormal":
                mu = (math.log(a) + math.log(b)) / 2
                sigma = (math.log(b) - math.log(a)) / (2 * Z90)
                out = rng.lognormal(mu, sigma, draws)
            elif k == "normal":
                out = rng.normal((a + b) / 2, (b - a) / (2 * Z90), draws)
            elif k == "pert":
                c = float(r.mode)  # type: ignore[arg-type]
                alpha = 1 + 4 * (c - a) / (b - a)
                beta = 1 + 4 * (b - c) / (b - a)
                out = a + (b - a) * rng.beta(alpha, beta, draws)
            elif k == "triangular":
                out = rng.triangular(a, float(r.mode), b, draws)  # type: ignore[arg-type]
            else:
                out = rng.uniform(a, b, draws)
    if bounds is not None:
        out = np.clip(out, bounds.lo, bounds.hi)
    return out


def as_json(value: Any) -> Any:
    """A plain-JSON form of a number or range (ranges drop unset keys)."""
    if isinstance(value, Range):
        return value.model_dump(exclude_none=True)
    return value
