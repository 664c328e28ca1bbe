"""A slow, month-by-month reference of SCENARIO.md, for parity tests.

This module re-implements the driver-based part of the scenario contract
(``../shared/SCENARIO.md``) one month at a time, with plain Python floats,
lists, loops and the :mod:`math` module. It deliberately does not import
``aiopex``: the tests in ``test_reference_parity.py`` require that the package's
vectorized engine and this reference produce the same numbers (the lifelib
habit of keeping a slow model beside the fast one).

Every quantity over time is one small method of :class:`ReferenceModel`, named
as in SCENARIO.md, whose docstring quotes the formula it implements, so a
finance reader can audit it line by line against the contract.

Defaults where the file leaves a section out (the package's defaults):

- ``currency`` USD, ``horizon_months`` 36;
- no ``rollout``: the whole population has access from month 0;
- no ``seasonality``: every multiplier 1; ``growth_per_year``, ``bypass_rate`` and
  ``tokens_per_item`` 0;
- cost lines: ``escalation_per_year`` 0, ``from_month`` 0, ``to_month`` H-1,
  ``one_time`` ``month`` 0, ``capacity`` ``min_units`` 1;
- no ``quality``: accuracy 1.0 in every month, never degraded (launch_accuracy 1,
  drift 0, floor 0, acceptable 0);
- no ``retraining``: policy ``none``; no ``degradation``: fallback ``none``;
- no ``monitoring``: detection lag 0 (a degraded month is noticed the same month);
- no ``benefits``: minutes saved, hourly rate and cost per error all 0;
- no ``finance``: discount_rate 0.10.

Ratios whose denominator is 0 (``roi`` with no cost, ``cost_per_request`` with no
request, ``hidden_cost_multiple`` with a zero naive estimate, ``absorbed_share``
with a zero true pilot cost) are ``None``.

Only the IRR comes from a library (``numpy_financial.irr``), as SCENARIO.md and
DESIGN.md allow; every other number is computed here.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy_financial as npf
import yaml

#: SCENARIO.md's category order (also the order of the pilot bridge).
CATEGORY_ORDER: tuple[str, ...] = (
    "compute",
    "monitoring",
    "retraining",
    "support",
    "change_management",
    "data",
    "people",
    "licenses",
    "other",
)

#: The monthly series :func:`reference_run` returns, by name.
SERIES: tuple[str, ...] = (
    "active_users",
    "new_users",
    "items",
    "requests",
    "input_tokens",
    "output_tokens",
    "age",
    "accuracy",
    "retrain",
    "degraded",
    "silent",
    "detected",
    "benefit",
    "cost",
    "net",
    "cumulative_net",
)


# --------------------------------------------------------------------------- #
# Composition: extends                                                          #
# --------------------------------------------------------------------------- #


def merge_mappings(base: dict, child: dict) -> dict:
    """Merge ``child`` over ``base``: "mappings merge key by key, lists replace".

    Nested mappings merge recursively; any other value in ``child`` (a number, a
    string, a list) replaces the inherited one.
    """
    out = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_mappings(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_costs(base: list[dict], child: list[dict]) -> list[dict]:
    """Merge cost lines: "``costs`` ... merge by ``name`` (a line with ``remove: true``
    drops the inherited line)".

    An inherited line named again in ``child`` is merged key by key (so a child may
    restate only ``rate``); a new name is appended after the inherited lines, in the
    child's order. Inherited lines keep their order.
    """
    out = [copy.deepcopy(line) for line in base]
    for line in child:
        names = [ln["name"] for ln in out]
        if line["name"] in names:
            i = names.index(line["name"])
            if line.get("remove"):
                del out[i]
            else:
                out[i] = merge_mappings(out[i], line)
        elif not line.get("remove"):
            out.append(copy.deepcopy(line))
    for line in out:
        line.pop("remove", None)
    return out


def merge_scenarios(base: dict, child: dict) -> dict:
    """A child scenario over its parent: mappings merge, lists replace, ``costs`` by name."""
    out = copy.deepcopy(base)
    for key, value in child.items():
        if key == "costs":
            out["costs"] = merge_costs(base.get("costs") or [], value or [])
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_mappings(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve(doc: dict, base_dir: str | Path | None = None, _seen: tuple = ()) -> dict:
    """Resolve ``extends`` chains: "``extends: base.yaml`` (relative to this file) starts
    from another scenario ... Chains are allowed; a cycle is an error."
    """
    doc = copy.deepcopy(doc)
    parent_ref = doc.pop("extends", None)
    if parent_ref is None:
        return doc
    parent_path = (Path(base_dir or ".") / parent_ref).resolve()
    if parent_path in _seen:
        raise ValueError(f"extends cycle through {parent_path}")
    parent = yaml.safe_load(parent_path.read_text(encoding="utf-8"))
    parent = resolve(parent, parent_path.parent, (*_seen, parent_path))
    return merge_scenarios(parent, doc)


def load(path: str | Path) -> dict:
    """Read a scenario file and resolve its ``extends`` chain."""
    path = Path(path).resolve()
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return resolve(doc, path.parent, (path,))


# --------------------------------------------------------------------------- #
# Uncertain numbers                                                             #
# --------------------------------------------------------------------------- #


def point_value(x: Any) -> float:
    """The point value of a *(u)* number, per SCENARIO.md's table.

    - ``0.004``: itself;
    - ``{low: a, high: b}``: ``sqrt(a*b)`` when ``a > 0`` (lognormal), else ``(a+b)/2``;
    - ``{low, mode, high, dist: pert|triangular}``: ``mode``;
    - ``{low, high, dist: uniform}``: ``(a+b)/2``;
    - ``{mean, sd, dist: normal}``: ``mean``;
    - ``point: x`` in a range wins over all of these.
    """
    if isinstance(x, bool):
        raise TypeError(f"not a number: {x!r}")
    if isinstance(x, int | float):
        return float(x)
    if not isinstance(x, dict):
        raise TypeError(f"not a number or a range: {x!r}")
    if "point" in x:
        return float(x["point"])
    dist = x.get("dist")
    if dist in ("pert", "triangular"):
        return float(x["mode"])
    if "mean" in x:
        return float(x["mean"])
    a, b = float(x["low"]), float(x["high"])
    if dist == "uniform" or dist == "normal":
        return (a + b) / 2
    # no dist (or dist: lognormal): lognormal when a > 0, else normal
    if a > 0:
        return math.sqrt(a * b)
    return (a + b) / 2


def _get(section: dict | None, key: str, default: float) -> float:
    """Point value of ``section[key]``, or ``default`` when absent."""
    if not section or section.get(key) is None:
        return float(default)
    return point_value(section[key])


# --------------------------------------------------------------------------- #
# The model, one small function per quantity over time                           #
# --------------------------------------------------------------------------- #


def _cell(fn: Callable) -> Callable:
    """Memoize a method per argument tuple (a modelx "cell")."""
    name = fn.__name__

    def wrapper(self: ReferenceModel, *args: Any) -> Any:
        key = (name, args)
        if key not in self._cache:
            self._cache[key] = fn(self, *args)
        return self._cache[key]

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


class ReferenceModel:
    """SCENARIO.md for a driver-based scenario, one month and one formula at a time.

    Parameters
    ----------
    doc : dict
        A resolved scenario (no ``extends`` left).
    """

    def __init__(self, doc: dict):
        if "extends" in doc:
            raise ValueError("resolve extends first")
        usage = doc["usage"]
        if "history" in usage:
            raise ValueError("the reference covers driver-based usage only")
        self.doc = doc
        self.name = doc.get("name")
        self.currency = doc.get("currency", "USD")
        self.H = int(doc.get("horizon_months", 36))
        start = doc.get("start")
        self.start = None if start is None else (int(start[:4]), int(start[5:7]))

        # usage
        self.population = point_value(usage["population"])
        rollout = usage.get("rollout")
        if rollout:
            self.waves = [(int(w["month"]), point_value(w["share"])) for w in rollout]
        else:
            self.waves = [(0, 1.0)]
        adoption = usage["adoption"]
        self.ceiling = point_value(adoption["ceiling"])
        self.midpoint_months = point_value(adoption["midpoint_months"])
        self.steepness = point_value(adoption["steepness"])
        self.items_per_user_month = point_value(usage["items_per_user_month"])
        self.bypass_rate = _get(usage, "bypass_rate", 0.0)
        self.growth_per_year = _get(usage, "growth_per_year", 0.0)
        seasonality = usage.get("seasonality")
        self.seasonality = [1.0] * 12 if seasonality is None else [float(s) for s in seasonality]
        tokens = usage.get("tokens_per_item") or {}
        self.tokens_input = _get(tokens, "input", 0.0)
        self.tokens_output = _get(tokens, "output", 0.0)

        # quality, retraining, degradation
        quality = doc.get("quality")
        if quality is None:
            self.launch_accuracy, self.drift_per_month, self.floor, self.acceptable = (
                1.0,
                0.0,
                0.0,
                0.0,
            )
        else:
            self.launch_accuracy = point_value(quality["launch_accuracy"])
            self.drift_per_month = _get(quality, "drift_per_month", 0.0)
            self.floor = float(quality.get("floor", 0.0))
            self.acceptable = float(quality.get("acceptable", 0.0))
        retraining = doc.get("retraining") or {}
        self.policy = retraining.get("policy", "none")
        self.every_months = retraining.get("every_months")
        self.trigger_below = retraining.get("trigger_below")
        self.fallback = (doc.get("degradation") or {}).get("fallback", "none")
        monitoring = doc.get("monitoring")
        lag = 0.0 if monitoring is None else _get(monitoring, "detection_lag_months", 0.0)
        self.detection_lag = max(0, math.floor(lag + 0.5))

        # benefits, finance
        benefits = doc.get("benefits")
        self.minutes_saved_per_item = _get(benefits, "minutes_saved_per_item", 0.0)
        self.hourly_rate = _get(benefits, "hourly_rate", 0.0)
        self.cost_per_error = _get(benefits, "cost_per_error", 0.0)
        check = (benefits or {}).get("human_check")
        # without a human check, catch_rate = 0 (SCENARIO.md "Benefits")
        self.catch_rate = 0.0 if check is None else point_value(check["catch_rate"])
        self.minutes_per_caught_error = (
            0.0 if check is None else point_value(check["minutes_per_caught_error"])
        )
        # e, the cost of one wrong output
        self.error_cost = (
            1.0 - self.catch_rate
        ) * self.cost_per_error + self.catch_rate * self.minutes_per_caught_error / 60 * (
            self.hourly_rate
        )
        self.discount_rate = _get(doc.get("finance"), "discount_rate", 0.10)

        # cost lines, at point values
        self.lines: list[dict] = []
        for raw in doc.get("costs") or []:
            line = {
                "name": raw["name"],
                "category": raw["category"],
                "driver": raw["driver"],
                "rate": point_value(raw["rate"]),
                "escalation_per_year": _get(raw, "escalation_per_year", 0.0),
                "from_month": int(raw.get("from_month", 0)),
                "to_month": int(raw.get("to_month", self.H - 1)),
                "month": int(raw.get("month", 0)),
                "fte": _get(raw, "fte", 0.0),
                "capacity_per_unit": _get(raw, "capacity_per_unit", 0.0),
                "min_units": int(raw.get("min_units", 1)),
            }
            self.lines.append(line)
        # commitments: committed spend per month at a discount, over a term
        self.commitments: list[dict] = []
        for raw in doc.get("commitments") or []:
            start = int(raw.get("from_month", 0))
            self.commitments.append(
                {
                    "name": raw["name"],
                    "covers": list(raw["covers"]),
                    "C": float(raw["amount_per_month"]),
                    "d": float(raw["discount"]),
                    "from_month": start,
                    "last_month": min(start + int(raw["term_months"]), self.H) - 1,
                    "category": next(
                        ln["category"] for ln in self.lines if ln["name"] == raw["covers"][0]
                    ),
                }
            )
        self.pilot_doc = doc.get("pilot")
        self._cache: dict = {}

    # ---- time ------------------------------------------------------------ #

    def month_label(self, m: int) -> str:
        """Month ``m`` as ``YYYY-MM``: "month ``m`` is ``start`` plus ``m`` months"."""
        year, month = self.start
        k = (month - 1) + m
        return f"{year + k // 12:04d}-{k % 12 + 1:02d}"

    def calendar_month(self, m: int) -> int:
        """Calendar month (1 = January) of month ``m``."""
        if self.start is None:
            raise ValueError("seasonality needs start")
        return (self.start[1] - 1 + m) % 12 + 1

    # ---- usage ----------------------------------------------------------- #

    def adopt(self, k: int) -> float:
        """``adopt(k) = ceiling / (1 + exp(-steepness * (k - midpoint_months)))`` for
        ``k >= 0`` months since access, 0 for ``k < 0``."""
        if k < 0:
            return 0.0
        return self.ceiling / (1.0 + math.exp(-self.steepness * (k - self.midpoint_months)))

    @_cell
    def active_users(self, m: int) -> float:
        """``active_users(m) = sum_w population * (share_w - share_{w-1}) * adopt(m - a_w)``,
        ``share_{-1} = 0``."""
        total = 0.0
        previous_share = 0.0
        for access_month, share in self.waves:
            total += self.population * (share - previous_share) * self.adopt(m - access_month)
            previous_share = share
        return total

    @_cell
    def new_users(self, m: int) -> float:
        """``new_users(m) = max(active_users(m) - active_users(m-1), 0)``,
        ``active_users(-1) = 0``."""
        before = self.active_users(m - 1) if m > 0 else 0.0
        return max(self.active_users(m) - before, 0.0)

    @_cell
    def items(self, m: int) -> float:
        """``items(m) = active_users(m) * items_per_user_month * (1 + growth_per_year)^(m/12)
        * seasonality[calendar month of m]``."""
        season = 1.0
        if any(s != 1.0 for s in self.seasonality):
            season = self.seasonality[self.calendar_month(m) - 1]
        return (
            self.active_users(m)
            * self.items_per_user_month
            * (1.0 + self.growth_per_year) ** (m / 12)
            * season
        )

    @_cell
    def requests(self, m: int) -> float:
        """``requests(m) = items(m) * (1 - bypass_rate)``."""
        return self.items(m) * (1.0 - self.bypass_rate)

    def input_tokens(self, m: int) -> float:
        """``input_tokens(m) = requests(m) * tokens_per_item.input``."""
        return self.requests(m) * self.tokens_input

    def output_tokens(self, m: int) -> float:
        """``output_tokens(m) = requests(m) * tokens_per_item.output``."""
        return self.requests(m) * self.tokens_output

    # ---- quality --------------------------------------------------------- #

    def _accuracy_at_age(self, age: int) -> float:
        """``max(floor, launch_accuracy - drift_per_month * age)``."""
        return max(self.floor, self.launch_accuracy - self.drift_per_month * age)

    @_cell
    def retrain(self, m: int) -> int:
        """Scheduled: ``retrain(m) = 1`` when ``m > 0`` and ``m % every_months == 0``.
        Triggered: ``retrain(m) = 1`` when ``m > 0`` and the accuracy with ``age(m-1) + 1``
        would be below ``trigger_below``. None: never."""
        if m == 0 or self.policy == "none":
            return 0
        if self.policy == "scheduled":
            return 1 if m % int(self.every_months) == 0 else 0
        if self.policy == "triggered":
            would_be = self._accuracy_at_age(self.age(m - 1) + 1)
            return 1 if would_be < float(self.trigger_below) else 0
        raise ValueError(f"unknown retraining policy {self.policy!r}")

    @_cell
    def age(self, m: int) -> int:
        """``age(0) = 0``; otherwise ``age(m) = 0`` in a retraining month, else
        ``age(m-1) + 1``."""
        if m == 0 or self.retrain(m):
            return 0
        return self.age(m - 1) + 1

    @_cell
    def accuracy(self, m: int) -> float:
        """``accuracy(m) = max(floor, launch_accuracy - drift_per_month * age(m))``
        (a retraining month runs at ``launch_accuracy``)."""
        return self._accuracy_at_age(self.age(m))

    def degraded(self, m: int) -> int:
        """``degraded(m) = accuracy(m) < acceptable``."""
        return 1 if self.accuracy(m) < self.acceptable else 0

    # ---- monitoring ------------------------------------------------------ #

    @_cell
    def episode_month(self, m: int) -> int:
        """Position of month ``m`` in its episode (1 = the first degraded month of a run of
        consecutive degraded months), 0 in a month that is not degraded."""
        if not self.degraded(m):
            return 0
        return (self.episode_month(m - 1) if m > 0 else 0) + 1

    def silent(self, m: int) -> int:
        """``silent(m) = 1`` in the first ``lag`` months of an episode, ``lag =
        max(0, floor(detection_lag_months + 0.5))``; with ``fallback: none`` every
        degraded month is silent."""
        if not self.degraded(m):
            return 0
        if self.fallback == "none":
            return 1
        return 1 if self.episode_month(m) <= self.detection_lag else 0

    def detected(self, m: int) -> int:
        """``detected(m) = degraded(m) - silent(m)``."""
        return self.degraded(m) - self.silent(m)

    # ---- benefits -------------------------------------------------------- #

    @_cell
    def benefit(self, m: int) -> float:
        """``benefit(m) = requests(m) * (accuracy(m) * minutes_saved_per_item / 60 *
        hourly_rate - (1 - accuracy(m)) * e)``, ``e`` the cost of one wrong output
        (``cost_per_error``, or with a human check ``(1 - catch_rate) * cost_per_error +
        catch_rate * minutes_per_caught_error / 60 * hourly_rate``), except 0 in a
        *detected* degraded month with ``fallback: manual`` (a silent month keeps the
        formula)."""
        if not self.runs(m):
            return 0.0
        acc = self.accuracy(m)
        return self.requests(m) * (
            acc * self.minutes_saved_per_item / 60 * self.hourly_rate
            - (1.0 - acc) * self.error_cost
        )

    def runs(self, m: int) -> bool:
        """The system runs in month ``m``: not a detected month with ``fallback: manual``."""
        return not (self.detected(m) and self.fallback == "manual")

    def wrong_outputs(self, m: int) -> float:
        """``requests(m) * (1 - accuracy(m))`` in a month the system runs, else 0."""
        return self.requests(m) * (1.0 - self.accuracy(m)) if self.runs(m) else 0.0

    # ---- cost lines ------------------------------------------------------ #

    def quantity(self, line: dict, m: int) -> float:
        """``q(m)`` of SCENARIO.md's driver table.

        fixed: 1; one_time: 1 in month ``month`` (default 0), else 0; per_request:
        ``requests(m)``; per_1k_input_tokens: ``input_tokens(m) / 1000``;
        per_1k_output_tokens: ``output_tokens(m) / 1000``; per_active_user:
        ``active_users(m)``; per_new_user: ``new_users(m)``; fte: ``fte``; per_retrain:
        ``retrain(m)``; capacity: ``max(min_units, ceil(requests(m) / capacity_per_unit))``,
        the ``ceil`` ignoring float noise below 1e-9 relative: ``ceil(x - 1e-9 * |x|)``
        (issue 7: 30000.000000000004 requests at 10000 a unit are 3 units).
        """
        driver = line["driver"]
        if driver == "fixed":
            return 1.0
        if driver == "one_time":
            return 1.0 if m == line["month"] else 0.0
        if driver == "per_request":
            return self.requests(m)
        if driver == "per_1k_input_tokens":
            return self.input_tokens(m) / 1000
        if driver == "per_1k_output_tokens":
            return self.output_tokens(m) / 1000
        if driver == "per_active_user":
            return self.active_users(m)
        if driver == "per_new_user":
            return self.new_users(m)
        if driver == "fte":
            return line["fte"]
        if driver == "per_retrain":
            return float(self.retrain(m))
        if driver == "capacity":
            x = self.requests(m) / line["capacity_per_unit"]
            units = math.ceil(x - 1e-9 * abs(x))
            return float(max(line["min_units"], units))
        raise ValueError(f"unknown driver {driver!r}")

    @_cell
    def on_demand(self, name: str, m: int) -> float:
        """A cost line's amount as "Cost lines" defines it: ``0`` outside ``from_month ..
        to_month``, otherwise ``q * rate`` (``q * rate / 12`` for ``fte``) times
        ``(1 + escalation_per_year)^(m/12)``."""
        line = next(ln for ln in self.lines if ln["name"] == name)
        if not line["from_month"] <= m <= line["to_month"]:
            return 0.0
        q = self.quantity(line, m)
        base = q * line["rate"] / 12 if line["driver"] == "fte" else q * line["rate"]
        return base * (1.0 + line["escalation_per_year"]) ** (m / 12)

    # ---- commitments ------------------------------------------------------ #

    def commitment(self, name: str) -> dict:
        return next(c for c in self.commitments if c["name"] == name)

    def covering(self, line: str) -> dict | None:
        """The commitment that covers ``line`` (a line appears in one commitment only)."""
        return next((c for c in self.commitments if line in c["covers"]), None)

    @staticmethod
    def in_term(c: dict, m: int) -> bool:
        """The term: ``from_month .. from_month + term_months - 1``, cut at the horizon."""
        return c["from_month"] <= m <= c["last_month"]

    def spend(self, c: dict, m: int) -> float:
        """``S(m)``: the covered lines' on-demand amounts."""
        return sum(self.on_demand(line, m) for line in c["covers"])

    def covered(self, c: dict, m: int) -> float:
        """``covered(m) = min(S(m), E)``, ``E = C / (1 - d)``, in the term (0 outside)."""
        if not self.in_term(c, m):
            return 0.0
        return min(self.spend(c, m), c["C"] / (1.0 - c["d"]))

    def overage(self, c: dict, m: int) -> float:
        """``overage(m) = S(m) - covered(m)`` in the term (0 outside)."""
        if not self.in_term(c, m):
            return 0.0
        return self.spend(c, m) - self.covered(c, m)

    def unused_commitment(self, c: dict, m: int) -> float:
        """``unused_commitment(m) = C - (1 - d) * covered(m)`` in the term (0 outside)."""
        if not self.in_term(c, m):
            return 0.0
        return c["C"] - (1.0 - c["d"]) * self.covered(c, m)

    def commitment_savings(self, c: dict, m: int) -> float:
        """``commitment_savings(m) = S(m) - C - overage(m)`` in the term (0 outside)."""
        if not self.in_term(c, m):
            return 0.0
        return self.spend(c, m) - c["C"] - self.overage(c, m)

    @_cell
    def amount(self, name: str, m: int) -> float:
        """A line's amount in the ledger: a commitment's own line is ``C`` in its term, 0
        outside; a covered line in the term is its on-demand amount times
        ``overage(m) / S(m)`` (0 when ``S(m) = 0``); any other, its on-demand amount."""
        if any(c["name"] == name for c in self.commitments):
            c = self.commitment(name)
            return c["C"] if self.in_term(c, m) else 0.0
        c = self.covering(name)
        if c is None or not self.in_term(c, m):
            return self.on_demand(name, m)
        S = self.spend(c, m)
        if S == 0:
            return 0.0
        return self.on_demand(name, m) * self.overage(c, m) / S

    def ledger_lines(self) -> list[dict]:
        """The cost lines, then each commitment's own line (its category: its first
        covered line's)."""
        return self.lines + [
            {"name": c["name"], "category": c["category"]} for c in self.commitments
        ]

    @_cell
    def cost(self, m: int) -> float:
        """``cost(m)``: the sum of all lines (a commitment's own line included)."""
        total = 0.0
        for line in self.ledger_lines():
            total += self.amount(line["name"], m)
        return total

    def category_cost(self, category: str, m: int) -> float:
        """Sum of the month-``m`` amounts of the lines of ``category``."""
        total = 0.0
        for line in self.ledger_lines():
            if line["category"] == category:
                total += self.amount(line["name"], m)
        return total

    def commitment_figures(self) -> list[dict[str, Any]]:
        """Per commitment, sums over its term: ``unused_commitment``,
        ``commitment_savings``, and ``commitment_utilization = 1 - unused / (C * n)``
        with ``n`` the term's months within the horizon."""
        out = []
        for c in self.commitments:
            term = [m for m in self.months() if self.in_term(c, m)]
            unused = sum(self.unused_commitment(c, m) for m in term)
            out.append(
                {
                    "name": c["name"],
                    "unused_commitment": unused,
                    "commitment_savings": sum(self.commitment_savings(c, m) for m in term),
                    "commitment_utilization": 1.0 - unused / (c["C"] * len(term)),
                    "committed": c["C"] * len(term),
                }
            )
        return out

    # ---- finance --------------------------------------------------------- #

    @_cell
    def net(self, m: int) -> float:
        """``net(m) = benefit(m) - cost(m)``."""
        return self.benefit(m) - self.cost(m)

    @_cell
    def cumulative_net(self, m: int) -> float:
        """``sum_{k<=m} net(k)``."""
        return (self.cumulative_net(m - 1) if m > 0 else 0.0) + self.net(m)

    def months(self) -> list[int]:
        """``m = 0 .. H-1``."""
        return list(range(self.H))

    def last_months(self) -> list[int]:
        """The last ``min(12, H)`` months."""
        n = min(12, self.H)
        return list(range(self.H - n, self.H))

    def cost_total(self) -> float:
        """``cost_total``: sum of ``cost(m)``."""
        return sum(self.cost(m) for m in self.months())

    def cost_by_category(self) -> dict[str, float]:
        """``cost_by_category``: sum per category, every category present among the lines
        (also one that sums to 0)."""
        present = {ln["category"] for ln in self.lines}
        return {
            c: sum(self.category_cost(c, m) for m in self.months())
            for c in CATEGORY_ORDER
            if c in present
        }

    def benefit_total(self) -> float:
        """``benefit_total``: sum of ``benefit(m)``."""
        return sum(self.benefit(m) for m in self.months())

    def net_total(self) -> float:
        """``net_total = benefit_total - cost_total``."""
        return self.benefit_total() - self.cost_total()

    def monthly_rate(self) -> float:
        """``r = (1 + discount_rate)^(1/12) - 1``."""
        return (1.0 + self.discount_rate) ** (1 / 12) - 1.0

    def npv(self) -> float:
        """``NPV = sum_m net(m) / (1 + r)^(m+1)`` (Excel's ``=NPV(r, net_0 .. net_{H-1})``)."""
        r = self.monthly_rate()
        return sum(self.net(m) / (1.0 + r) ** (m + 1) for m in self.months())

    def irr_annual(self) -> float | None:
        """``irr_annual = (1 + IRR of net(m))^12 - 1``; ``None`` where the cash flows have no
        IRR (no sign change, or ``numpy_financial.irr`` finds none)."""
        flows = [self.net(m) for m in self.months()]
        if not (any(f > 0 for f in flows) and any(f < 0 for f in flows)):
            return None
        irr = npf.irr(flows)
        if irr is None or math.isnan(irr):
            return None
        return (1.0 + float(irr)) ** 12 - 1.0

    def mirr_annual(self) -> float | None:
        """``mirr_annual = (1 + MIRR of net(m))^12 - 1``, Excel's ``MIRR(net, r, r)`` with
        ``r`` the monthly discount rate: ``(-NPV(r, positive flows) * (1+r)^n /
        (NPV(r, negative flows) * (1+r)))^(1/(n-1)) - 1`` with ``n = H`` and Excel's NPV
        (first flow discounted once); ``None`` without a positive and a negative flow, or
        with one month."""
        flows = [self.net(m) for m in self.months()]
        n = len(flows)
        if n < 2 or not (any(f > 0 for f in flows) and any(f < 0 for f in flows)):
            return None
        r = self.monthly_rate()

        def excel_npv(values: list[float]) -> float:
            return sum(v / (1.0 + r) ** (i + 1) for i, v in enumerate(values))

        positives = [f if f > 0 else 0.0 for f in flows]
        negatives = [f if f < 0 else 0.0 for f in flows]
        ratio = -excel_npv(positives) * (1.0 + r) ** n / (excel_npv(negatives) * (1.0 + r))
        return (1.0 + (ratio ** (1.0 / (n - 1)) - 1.0)) ** 12 - 1.0

    def payback_month(self) -> int | None:
        """``payback_month``: smallest ``m`` from which the cumulative net ``sum_{k<=j}
        net(k)`` is ``>= 0`` for every ``j >= m``; ``None`` if it ends below 0."""
        if self.cumulative_net(self.H - 1) < 0:
            return None
        payback = self.H - 1
        for j in range(self.H - 1, -1, -1):
            if self.cumulative_net(j) >= 0:
                payback = j
            else:
                break
        return payback

    def roi(self) -> float | None:
        """``roi = net_total / cost_total``."""
        cost = self.cost_total()
        return None if cost == 0 else self.net_total() / cost

    def run_rate_monthly(self) -> float:
        """``run_rate_monthly``: mean ``cost(m)`` over the last ``min(12, H)`` months."""
        last = self.last_months()
        return sum(self.cost(m) for m in last) / len(last)

    def requests_total(self) -> float:
        """``requests_total``: sum of ``requests(m)``."""
        return sum(self.requests(m) for m in self.months())

    def cost_per_request(self) -> float | None:
        """``cost_per_request = cost_total / requests_total``."""
        req = self.requests_total()
        return None if req == 0 else self.cost_total() / req

    def retrains(self) -> int:
        """``retrains``: number of retraining months."""
        return sum(self.retrain(m) for m in self.months())

    def degraded_months(self) -> int:
        """``degraded_months``: number of degraded months."""
        return sum(self.degraded(m) for m in self.months())

    def silent_months(self) -> int:
        """``silent_months``: number of silent months."""
        return sum(self.silent(m) for m in self.months())

    def silent_error_cost(self) -> float:
        """``silent_error_cost``: sum over silent months of ``requests(m) * (1 -
        accuracy(m)) * e``."""
        return sum(
            self.requests(m) * (1.0 - self.accuracy(m)) * self.error_cost
            for m in self.months()
            if self.silent(m)
        )

    def error_cost_total(self) -> float:
        """``error_cost_total``: sum over the months the system runs of ``requests(m) * (1 -
        accuracy(m)) * e``."""
        return sum(self.wrong_outputs(m) * self.error_cost for m in self.months())

    def errors_caught(self) -> float:
        """``errors_caught``: sum over the months the system runs of ``requests(m) * (1 -
        accuracy(m)) * catch_rate``."""
        return sum(self.wrong_outputs(m) * self.catch_rate for m in self.months())

    def errors_escaped(self) -> float:
        """``errors_escaped``: likewise times ``1 - catch_rate``."""
        return sum(self.wrong_outputs(m) * (1.0 - self.catch_rate) for m in self.months())

    def metrics(self) -> dict[str, Any]:
        """All summary metrics under SCENARIO.md's names."""
        return {
            "cost_total": self.cost_total(),
            "cost_by_category": self.cost_by_category(),
            "benefit_total": self.benefit_total(),
            "net_total": self.net_total(),
            "npv": self.npv(),
            "irr_annual": self.irr_annual(),
            "mirr_annual": self.mirr_annual(),
            "payback_month": self.payback_month(),
            "roi": self.roi(),
            "run_rate_monthly": self.run_rate_monthly(),
            "requests_total": self.requests_total(),
            "cost_per_request": self.cost_per_request(),
            "retrains": self.retrains(),
            "degraded_months": self.degraded_months(),
            "silent_months": self.silent_months(),
            "silent_error_cost": self.silent_error_cost(),
            "error_cost_total": self.error_cost_total(),
            "errors_caught": self.errors_caught(),
            "errors_escaped": self.errors_escaped(),
            **self.commitment_totals(),
        }

    def commitment_totals(self) -> dict[str, float]:
        """With commitments: ``unused_commitment`` and ``commitment_savings`` summed over
        the commitments, ``commitment_utilization = 1 - unused / sum(C * n)``."""
        figures = self.commitment_figures()
        if not figures:
            return {}
        unused = sum(f["unused_commitment"] for f in figures)
        return {
            "unused_commitment": unused,
            "commitment_savings": sum(f["commitment_savings"] for f in figures),
            "commitment_utilization": 1.0 - unused / sum(f["committed"] for f in figures),
        }

    # ---- pilot ----------------------------------------------------------- #

    @staticmethod
    def absorbed_amount(item: dict) -> float:
        """An absorbed item: ``amount_per_month``, or ``hours_per_month * hourly_rate``."""
        if item.get("amount_per_month") is not None:
            return point_value(item["amount_per_month"])
        return point_value(item["hours_per_month"]) * point_value(item["hourly_rate"])

    def prod_requests(self) -> float:
        """``prod_requests``: mean of ``requests(m)`` over the last ``min(12, H)`` months."""
        last = self.last_months()
        return sum(self.requests(m) for m in last) / len(last)

    def pilot(self) -> dict[str, Any] | None:
        """Pilot exposure metrics and the bridge (SCENARIO.md "The pilot, and what it
        absorbed").

        - ``pilot_reported_monthly``: sum of ``paid``;
        - ``pilot_absorbed_monthly``: sum of ``absorbed``;
        - ``pilot_true_monthly``: reported + absorbed; ``absorbed_share``: absorbed / true;
        - ``naive_production_monthly = pilot_reported_monthly / requests_per_month *
          prod_requests``;
        - ``production_monthly = run_rate_monthly``;
        - ``hidden_cost_multiple = production_monthly / naive_production_monthly``;
        - bridge, per category ``c`` among the paid items and the cost lines:
          ``step = production_c - naive_c``, ``naive_c`` scaling the paid items of ``c``
          the same way, ``production_c`` the category's mean cost over the last
          ``min(12, H)`` months;
        - ``unbudgeted_absorbed``: the absorbed items whose category costs nothing in
          those months (no line of it, or every amount 0 then), with ``name``,
          ``category``, ``amount_per_month``, ``paid_by`` (None when not given);
          ``unbudgeted_absorbed_monthly`` their sum.
        """
        p = self.pilot_doc
        if p is None:
            return None
        paid = p.get("paid") or []
        absorbed = p.get("absorbed") or []
        rpm = point_value(p["requests_per_month"])
        prod = self.prod_requests()
        reported = sum(point_value(it["amount_per_month"]) for it in paid)
        absorbed_total = sum(self.absorbed_amount(it) for it in absorbed)
        true = reported + absorbed_total
        naive = reported / rpm * prod
        production = self.run_rate_monthly()
        categories = {it["category"] for it in paid} | {ln["category"] for ln in self.lines}
        last = self.last_months()
        bridge = []
        for c in CATEGORY_ORDER:
            if c not in categories:
                continue
            paid_c = sum(point_value(it["amount_per_month"]) for it in paid if it["category"] == c)
            naive_c = paid_c / rpm * prod
            production_c = sum(self.category_cost(c, m) for m in last) / len(last)
            bridge.append(
                {
                    "category": c,
                    "naive": naive_c,
                    "production": production_c,
                    "step": production_c - naive_c,
                }
            )
        unbudgeted = [
            {
                "name": it["name"],
                "category": it["category"],
                "amount_per_month": self.absorbed_amount(it),
                "paid_by": it.get("paid_by"),
            }
            for it in absorbed
            if all(self.category_cost(it["category"], m) == 0 for m in last)
        ]
        return {
            "pilot_reported_monthly": reported,
            "pilot_absorbed_monthly": absorbed_total,
            "pilot_true_monthly": true,
            "absorbed_share": None if true == 0 else absorbed_total / true,
            "naive_production_monthly": naive,
            "production_monthly": production,
            "hidden_cost_multiple": None if naive == 0 else production / naive,
            "bridge": bridge,
            "unbudgeted_absorbed": unbudgeted,
            "unbudgeted_absorbed_monthly": sum(u["amount_per_month"] for u in unbudgeted),
        }

    # ---- everything ------------------------------------------------------ #

    def run(self) -> dict[str, Any]:
        """Every series, line, metric and pilot number, month by month."""
        for m in self.months():  # fill the cells in time order: shallow recursion
            self.cumulative_net(m)
        series = {name: [float(getattr(self, name)(m)) for m in self.months()] for name in SERIES}
        lines = {
            ln["name"]: [self.amount(ln["name"], m) for m in self.months()]
            for ln in self.ledger_lines()
        }
        return {
            "months": None if self.start is None else [self.month_label(m) for m in self.months()],
            "series": series,
            "lines": lines,
            "metrics": self.metrics(),
            "pilot": self.pilot(),
            "commitments": self.commitment_figures(),
            "commitment_months": {
                c["name"]: {
                    key: [float(getattr(self, key)(c, m)) for m in self.months()]
                    for key in ("covered", "overage", "unused_commitment", "commitment_savings")
                }
                for c in self.commitments
            },
        }


def reference_run(doc: dict | str | Path, base_dir: str | Path | None = None) -> dict[str, Any]:
    """Run the reference model on a scenario.

    Parameters
    ----------
    doc : dict or path
        A scenario mapping (as ``yaml.safe_load`` gives it; an ``extends`` in it is
        resolved relative to ``base_dir``), or the path of a scenario file.
    base_dir : path, optional
        Directory ``extends`` is relative to, for a mapping; default the current one.

    Returns
    -------
    dict
        ``{"months": [...], "series": {name: [float per month]}, "lines": {name:
        [amount per month]}, "metrics": {...}, "pilot": {...} or None}``.

    Examples
    --------
    >>> out = reference_run({"start": "2025-01", "horizon_months": 2,
    ...     "usage": {"population": 100, "items_per_user_month": 10,
    ...               "adoption": {"ceiling": 1, "midpoint_months": 0, "steepness": 1}},
    ...     "costs": [{"name": "api", "category": "compute", "driver": "per_request",
    ...                "rate": 0.1}]})
    >>> out["series"]["active_users"][0], out["lines"]["api"][0]
    (50.0, 50.0)
    """
    if isinstance(doc, str | Path):
        resolved = load(doc)
    else:
        resolved = resolve(doc, base_dir)
    return ReferenceModel(resolved).run()
