"""Uncertain numbers: the *(u)* fields of docs/scenario.md (docs/ranges.md) and how they are sampled.

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
field's valid range at a closed bound (shares to [0, 1], money and counts to >= 0)
and resampled at an open bound (a rate that must be > -1, a capacity that must be
> 0). A range whose low equals its high is that constant.

Each field draws from its own random stream, :func:`stream`, keyed by the seed and
the field's dotted path (common random numbers): adding, removing or changing the
range of one field leaves every other field's draws unchanged.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist
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


def stable_hash(path: str) -> int:
    """A 64-bit hash of a field's dotted path that is the same in every process.

    BLAKE2b of the UTF-8 path, 8 bytes, little-endian (Python's ``hash()`` of a string
    changes from one process to the next, so it is never used for seeding).

    Examples
    --------
    >>> stable_hash("usage.population") == stable_hash("usage.population")
    True
    >>> stable_hash("usage.population") != stable_hash("usage.bypass_rate")
    True
    """
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, path: str) -> np.random.Generator:
    """The random stream of one field: ``numpy.random.default_rng([seed, stable_hash(path)])``.

    Parameters
    ----------
    seed : int
        The run's seed, >= 0.
    path : str
        The field's dotted path (``usage.population``, ``costs.llm_api.rate``), or
        ``usage.history`` for the paths of a history-based usage forecast.

    Examples
    --------
    >>> a = stream(7, "usage.population").random(3)
    >>> bool((a == stream(7, "usage.population").random(3)).all())
    True
    >>> bool((a == stream(7, "usage.bypass_rate").random(3)).any())
    False
    """
    return np.random.default_rng([int(seed), stable_hash(path)])


def _draw(r: Range, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` raw draws of a range with width (no clipping)."""
    k = r.kind
    if r.mean is not None:
        assert r.sd is not None  # a normal given by its mean has its sd (the schema checks)
        return rng.normal(r.mean, r.sd, n)
    a, b = float(r.low), float(r.high)  # type: ignore[arg-type]
    if k == "lognormal":
        mu = (math.log(a) + math.log(b)) / 2
        sigma = (math.log(b) - math.log(a)) / (2 * Z90)
        return rng.lognormal(mu, sigma, n)
    if k == "normal":
        return rng.normal((a + b) / 2, (b - a) / (2 * Z90), n)
    if k == "pert":
        c = float(r.mode)  # type: ignore[arg-type]
        alpha = 1 + 4 * (c - a) / (b - a)
        beta = 1 + 4 * (b - c) / (b - a)
        return a + (b - a) * rng.beta(alpha, beta, n)
    if k == "triangular":
        return rng.triangular(a, float(r.mode), b, n)  # type: ignore[arg-type]
    return rng.uniform(a, b, n)


#: Rounds of resampling at an open bound before giving up (each round redraws only
#: the values at or below the bound; a valid range has at most half its mass there).
MAX_RESAMPLE_ROUNDS = 200


def sample(
    value: Uncertain, draws: int, rng: np.random.Generator, bounds: Bounds | None = None
) -> np.ndarray:
    """Draw ``draws`` values of an uncertain number within ``bounds``.

    A constant (or a zero-width range) is returned as its point value without
    consuming random numbers, so a degenerate range behaves as that constant.

    - lognormal ``{low: a, high: b}``, ``a > 0``: ``ln X ~ N((ln a + ln b)/2,
      (ln b - ln a) / (2 * 1.6449))``, so that a and b are its 5th and 95th percentiles.
    - normal ``{low: a, high: b}``, ``a <= 0``: ``N((a+b)/2, (b-a) / (2 * 1.6449))``.
    - pert: ``a + (b-a) * Beta(1 + 4 (c-a)/(b-a), 1 + 4 (b-c)/(b-a))``.
    - triangular, uniform, normal ``{mean, sd}``: as named.

    Values beyond a closed bound are clipped onto it. Values at or below an open lower
    bound (``bounds.lo_open``: a discount rate > -1, a capacity > 0) are drawn again,
    from the same stream, until every value is valid: the distribution is truncated
    there, never piled onto a value the field may not take.

    Raises
    ------
    ValueError
        When resampling does not end (a range almost entirely below an open bound;
        validation refuses such ranges).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = sample(Range(low=10, high=40), 100_000, rng)
    >>> bool(abs(np.percentile(x, 5) - 10) < 0.3 and abs(np.percentile(x, 95) - 40) < 1)
    True
    >>> y = sample(Range(mean=0, sd=1, dist="normal"), 1000, rng, Bounds(0, lo_open=True))
    >>> bool((y > 0).all())
    True
    """
    if is_constant(value):
        out = np.full(draws, point(value))
    else:
        assert isinstance(value, Range)
        out = _draw(value, draws, rng)
        if bounds is not None and bounds.lo_open:
            for _ in range(MAX_RESAMPLE_ROUNDS):
                bad = np.flatnonzero(~(out > bounds.lo))
                if bad.size == 0:
                    break
                out[bad] = _draw(value, bad.size, rng)
            else:
                raise ValueError(
                    f"{value.describe()}: too many draws at or below {bounds.lo:g}; "
                    "the range must lie mostly above it"
                )
    if bounds is not None:
        out = np.clip(out, bounds.lo, bounds.hi)
    return out


#: z of the 10th percentile of a standard normal (docs/ranges.md#sensitivity-what-moves-the-result).
Z10 = -1.2815515655446004


def _z(q: float) -> float:
    """Standard normal quantile; exactly :data:`Z10` and ``-Z10`` at 0.1 and 0.9."""
    if q == 0.1:
        return Z10
    if q == 0.9:
        return -Z10

    return NormalDist().inv_cdf(q)


def _raw_quantile(r: Range, q: float) -> float:
    k = r.kind
    if r.mean is not None:
        return float(r.mean) + _z(q) * float(r.sd)  # type: ignore[arg-type]
    a, b = float(r.low), float(r.high)  # type: ignore[arg-type]
    if k == "lognormal":
        mu = (math.log(a) + math.log(b)) / 2
        s = (math.log(b) - math.log(a)) / (2 * Z90)
        return math.exp(mu + _z(q) * s)
    if k == "normal":
        return (a + b) / 2 + _z(q) * (b - a) / (2 * Z90)
    if k == "pert":
        from scipy.special import betaincinv

        c = float(r.mode)  # type: ignore[arg-type]
        alpha = 1 + 4 * (c - a) / (b - a)
        beta = 1 + 4 * (b - c) / (b - a)
        return a + (b - a) * float(betaincinv(alpha, beta, q))
    if k == "triangular":
        c = float(r.mode)  # type: ignore[arg-type]
        if q < (c - a) / (b - a):
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))
    return a + q * (b - a)


def _cdf(r: Range, x: float) -> float:
    """CDF of a normal or lognormal range at ``x`` (the forms that reach an open bound)."""
    if r.mean is not None:
        return NormalDist(float(r.mean), float(r.sd)).cdf(x)  # type: ignore[arg-type]
    a, b = float(r.low), float(r.high)  # type: ignore[arg-type]
    if r.kind == "lognormal":
        if x <= 0:
            return 0.0
        mu = (math.log(a) + math.log(b)) / 2
        return NormalDist(mu, (math.log(b) - math.log(a)) / (2 * Z90)).cdf(math.log(x))
    return NormalDist((a + b) / 2, (b - a) / (2 * Z90)).cdf(x)


def quantile(value: Uncertain, q: float, bounds: Bounds | None = None) -> float:
    """The ``q`` quantile of an uncertain number, clipped to the field's valid range.

    ==============================  ===========================================================
    form                            quantile ``q`` (P10 at ``q = 0.1``, P90 at ``q = 0.9``)
    ==============================  ===========================================================
    constant, zero-width range      the point value
    ``{low, high}``, lognormal      ``exp(mu + z_q s)``, ``mu = (ln a + ln b)/2``,
                                    ``s = (ln b - ln a)/(2 * 1.6448536269514722)``
    ``{low, high}``, normal         ``(a+b)/2 + z_q (b-a)/(2 * 1.6448536269514722)``
    ``{mean, sd, dist: normal}``    ``mean + z_q sd``
    pert                            ``a + (b-a) * BetaInv(q; 1 + 4(c-a)/(b-a), 1 + 4(b-c)/(b-a))``
    triangular                      ``a + sqrt(q (b-a)(c-a))`` below ``(c-a)/(b-a)``, else
                                    ``b - sqrt((1-q)(b-a)(b-c))``
    uniform                         ``a + q (b-a)``
    ==============================  ===========================================================

    with ``z_0.1 = -1.2815515655446004`` (and ``z_0.9`` its negative). The result is
    clipped to ``bounds``; where it falls at or below an open bound (a value the field may
    not take), it is the quantile of the distribution truncated there, as sampled
    (:func:`sample` resamples those draws).

    Examples
    --------
    >>> round(quantile(Range(low=10, high=40), 0.1), 6)
    11.654378
    >>> quantile(Range(low=0, high=10, dist="uniform"), 0.9)
    9.0
    >>> quantile(Range(low=0.9, high=1.3, dist="uniform"), 0.9, Bounds(0, 1))
    1.0
    """
    if is_constant(value):
        x = point(value)
    else:
        assert isinstance(value, Range)
        x = _raw_quantile(value, q)
        if bounds is not None and bounds.lo_open and not x > bounds.lo:
            f = _cdf(value, bounds.lo)
            x = _raw_quantile(value, f + q * (1.0 - f))
            if not x > bounds.lo:
                x = float(np.nextafter(bounds.lo, math.inf))
    if bounds is not None:
        x = min(max(x, bounds.lo), bounds.hi)
    return float(x)


def as_json(value: Any) -> Any:
    """A plain-JSON form of a number or range (ranges drop unset keys)."""
    if isinstance(value, Range):
        return value.model_dump(exclude_none=True)
    return value
