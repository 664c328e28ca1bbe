"""The scenario file's schema: every field and rule of docs/scenario.md as pydantic models.

Validation collects every problem at once; :mod:`aiopex.scenario` turns them into
:class:`aiopex.errors.Problem` with the file and the field path. Cross-field rules
raise ``ValueError("<relative.path>: message")`` so the path can be completed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from annotated_types import GroupedMetadata
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from aiopex.inputs.currencies import CURRENCIES
from aiopex.inputs.files import excerpt
from aiopex.inputs.uncertain import Bounds, Range, Uncertain
from aiopex.names import CATEGORIES, DRIVERS, USAGE_PRICED

# -- sane upper bounds: a value beyond them is a typo, never a real system ---------------

#: Months: month indices, horizons, lags, intervals (100 years).
MAX_MONTHS = 1200
#: People (population, users).
MAX_PEOPLE = 1e10
#: Money per unit, per month or per year, in the scenario's currency.
MAX_MONEY = 1e12
#: Counts: items, tokens, requests, capacities.
MAX_COUNT = 1e12
#: Characters of free text (descriptions, readiness answers).
MAX_TEXT = 10_000
#: Characters of a cost line's name.
MAX_NAME = 64
#: Characters of a scenario's name (what the file system allows is checked where files
#: are written).
MAX_SCENARIO_NAME = 1000
#: Items in a list (cost lines, rollout waves, pilot items).
MAX_ITEMS = 500

#: A plain number: a finite int or float; never a boolean or a quoted number.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]

# -- uncertain numbers ------------------------------------------------------------------


def _uncertain_validator(bounds: Bounds):
    def parse(v: Any) -> Uncertain:
        if isinstance(v, bool):
            raise ValueError(f"must be a number or a range, got {v!r} (a boolean)")
        if isinstance(v, (int, float)):
            try:
                x = float(v)
            except OverflowError:
                x = math.inf
            if not math.isfinite(x):
                raise ValueError(f"must be a finite number, got {excerpt(v)}")
            msg = bounds.check(x)
            if msg:
                raise ValueError(msg)
            return x
        if isinstance(v, Range):
            return v
        if isinstance(v, dict):
            from pydantic import ValidationError

            try:
                r = Range.model_validate(v)
            except ValidationError as e:
                msgs = []
                for err in e.errors():
                    loc = ".".join(str(p) for p in err["loc"])
                    m = err["msg"].removeprefix("Value error, ")
                    if err["type"] == "extra_forbidden":
                        m = (
                            f"{loc}: unknown key in a range; use low/high[/mode/dist/point] "
                            "or mean/sd with dist: normal"
                        )
                    elif err["type"] in ("float_type", "finite_number", "string_type"):
                        m = f"{loc}: {not_a_number(err.get('input'))}"
                    elif loc:
                        m = f"{loc}: {m}"
                    msgs.append(m)
                raise ValueError("; ".join(msgs)) from None
            for key in ("low", "high", "mode", "point"):
                x = getattr(r, key)
                if x is not None:
                    msg = bounds.check(x)
                    if msg:
                        raise ValueError(f"{key}: {msg}")
            if r.mean is not None:
                msg = bounds.check(r.mean)
                if msg:
                    raise ValueError(f"mean: {msg}")
            return r
        raise ValueError(not_a_number(v, "a number or a range"))

    return parse


def not_a_number(v: Any, wanted: str = "a finite number") -> str:
    """The message for a value where a number belongs (a boolean, quoted text, NaN...)."""
    if isinstance(v, bool):
        return f"must be {wanted}, got {v!r} (a boolean)"
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return f"must be {wanted}, got the text {excerpt(v)}"
        return f"must be {wanted}, got the text {excerpt(v)}; write numbers without quotes"
    if isinstance(v, float) and not math.isfinite(v):
        return f"must be {wanted}, got {v!r}"
    if v is None:
        return f"must be {wanted}, got nothing (null)"
    if isinstance(v, (int, float)):
        return f"must be {wanted}, got {v!r}"
    return f"must be {wanted}, got {type(v).__name__} {excerpt(v)}"


_RANGE_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "properties": {
                "low": {
                    "type": "number",
                    "description": "lower end: the 5th percentile of {low, high}, the minimum "
                    "of pert, triangular and uniform",
                },
                "high": {
                    "type": "number",
                    "description": "upper end: the 95th percentile of {low, high}, the maximum "
                    "of pert, triangular and uniform",
                },
                "mode": {
                    "type": "number",
                    "description": "most likely value (pert and triangular); also their point "
                    "value",
                },
                "mean": {"type": "number", "description": "mean of a dist: normal range"},
                "sd": {
                    "type": "number",
                    "minimum": 0,
                    "description": "standard deviation of a dist: normal range, >= 0",
                },
                "dist": {
                    "enum": ["lognormal", "normal", "pert", "triangular", "uniform"],
                    "description": "distribution; without it, {low, high} is a 90% interval, "
                    "lognormal when low > 0 (point sqrt(low*high)), else normal "
                    "(point (low+high)/2)",
                },
                "point": {
                    "type": "number",
                    "description": "the value a deterministic run (the base case) uses, "
                    "instead of the form's own point value",
                },
            },
            "additionalProperties": False,
        },
    ]
}


def _range_schema(b: Bounds) -> dict[str, Any]:
    number: dict[str, Any] = {"type": "number"}
    if math.isfinite(b.lo):
        number["exclusiveMinimum" if b.lo_open else "minimum"] = b.lo
    if math.isfinite(b.hi):
        number["maximum"] = b.hi
    return {"anyOf": [number, _RANGE_SCHEMA["anyOf"][1]]}


@dataclass(frozen=True)
class U(GroupedMetadata):  # noqa: N801 - reads as a type in field annotations
    """The metadata of an uncertain-number field: its valid range (checked, and clipped
    when sampled), its validator and its JSON Schema, for ``Annotated[Uncertain, U(...)]``."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    desc: str = ""
    percent_hint: bool = False

    def __iter__(self) -> Iterator[object]:
        b = Bounds(self.lo, self.hi, self.lo_open, self.percent_hint)
        yield b
        yield PlainValidator(_uncertain_validator(b))
        yield WithJsonSchema({**_range_schema(b), "description": self.desc})


Money = Annotated[Uncertain, U(0, MAX_MONEY, desc="money, >= 0; a number or a range")]
Count = Annotated[Uncertain, U(0, MAX_COUNT, desc="count, >= 0; a number or a range")]
Share = Annotated[Uncertain, U(0, 1, desc="share in [0, 1]; a number or a range")]
Growth = Annotated[
    Uncertain, U(-1, 10, lo_open=True, desc="yearly rate, > -1; a number or a range")
]
Rate = Annotated[
    Uncertain, U(-1, 1, lo_open=True, percent_hint=True, desc="annual rate, a fraction in (-1, 1]")
]
Months = Annotated[Uncertain, U(0, MAX_MONTHS, desc="months, >= 0; a number or a range")]
Share01 = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
#: A month index or a number of months (an integer).
MonthIndex = Annotated[int, Field(strict=True, ge=0, le=MAX_MONTHS)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Name = Annotated[str, Field(max_length=MAX_NAME)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- usage ------------------------------------------------------------------------------


class Wave(_Model):
    month: MonthIndex = Field(description="month index at which this wave gets access, >= 0")
    share: Share01 = Field(
        description="cumulative share of the population with access after this wave, 0 to 1"
    )


class Adoption(_Model):
    ceiling: Share = Field(
        1.0,
        description="share of people with access who end up using the system, 0 to 1; "
        "default 1; may be a range",
    )
    midpoint_months: Annotated[
        Uncertain, U(0, MAX_MONTHS, desc="months after access to half the ceiling")
    ] = Field(
        0.0,
        description="months after a person gets access at which adoption reaches half "
        "the ceiling, >= 0; default 0; may be a range",
    )
    steepness: Annotated[
        Uncertain, U(0, 100, lo_open=True, desc="logistic slope, per month, > 0")
    ] = Field(
        1.0,
        description="slope of the logistic adoption curve, per month, > 0: larger is faster "
        "around the midpoint; default 1; may be a range",
    )


class Tokens(_Model):
    input: Count = Field(
        0.0, description="input (prompt) tokens per request, >= 0; default 0; may be a range"
    )
    output: Count = Field(
        0.0,
        description="output (completion) tokens per request, >= 0; default 0; may be a range",
    )


#: Usage fields a history-based scenario does not use (docs/scenario.md#top-level).
DRIVER_ONLY = ("population", "rollout", "adoption", "growth_per_year", "seasonality")


class Usage(_Model):
    population: (
        Annotated[Uncertain, U(0, MAX_PEOPLE, desc="people, >= 0; a number or a range")] | None
    ) = Field(
        None,
        description="people whose work the system is meant to serve, >= 0; required unless "
        "history is given; may be a range",
    )
    rollout: Annotated[list[Wave], Field(max_length=MAX_MONTHS)] | None = Field(
        None,
        description="waves of access, {month, share} with cumulative shares; default: "
        "everyone has access in month 0",
    )
    adoption: Adoption = Field(
        Adoption(),
        description="logistic adoption after access: ceiling / (1 + exp(-steepness * "
        "(k - midpoint_months))), k months since access",
    )
    items_per_user_month: Count | None = Field(
        None,
        description="eligible work items per active user per month, >= 0; required unless "
        "history is given; may be a range",
    )
    bypass_rate: Share = Field(
        0.0,
        description="share of eligible items handled around the system, 0 to 1; default 0; "
        "may be a range",
    )
    growth_per_year: Growth = Field(
        0.0,
        description="yearly growth of items per user, compounding monthly, > -1 (0.05 is 5%); "
        "default 0; may be a range",
    )
    seasonality: (
        list[Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=100)]] | None
    ) = Field(
        None,
        description="12 multipliers of the item volume, January to December, >= 0; default all 1",
    )
    tokens_per_item: Tokens = Field(
        Tokens(), description="tokens per request, for token-priced cost lines; default 0"
    )
    history: Annotated[str, Field(max_length=4096)] | None = Field(
        None,
        description="usage history CSV (month, requests[, active_users]), relative to the "
        "scenario file; it must end before start. Excludes population, rollout, adoption, "
        "growth_per_year and seasonality",
    )
    method: Literal["auto", "ets", "theta", "sarimax", "naive"] = Field(
        "auto",
        description="how the history is forecast; auto picks the method with the smallest "
        "rolling-origin backtest error; default auto",
    )

    @field_validator("rollout")
    @classmethod
    def _rollout(cls, waves: list[Wave] | None) -> list[Wave] | None:
        if waves is None:
            return waves
        if not waves:
            raise ValueError("must list at least one wave")
        found = []  # every wave out of order, not only the first
        for i in range(1, len(waves)):
            if waves[i].share < waves[i - 1].share:
                found.append(
                    f"[{i}].share: shares must not decrease, got {waves[i].share:g} "
                    f"after {waves[i - 1].share:g}"
                )
            if waves[i].month <= waves[i - 1].month:
                found.append(
                    f"[{i}].month: wave months must increase, got {waves[i].month} "
                    f"after {waves[i - 1].month}"
                )
        if found:
            raise ValueError("; ".join(found))
        return waves

    @field_validator("seasonality")
    @classmethod
    def _seasonality(cls, s: list[float] | None) -> list[float] | None:
        if s is not None and len(s) != 12:
            raise ValueError(f"must have 12 multipliers, January..December, got {len(s)}")
        return s

    @model_validator(mode="after")
    def _mode(self) -> Usage:
        if self.history is not None:
            extra = [k for k in DRIVER_ONLY if k in self.model_fields_set]
            if extra:
                raise ValueError(
                    "; ".join(
                        f"{k}: not used with usage.history, which drives usage: remove it"
                        for k in extra
                    )
                )
        if self.history is None:
            if self.population is None:
                raise ValueError("population: required (or give usage.history)")
            if self.items_per_user_month is None:
                raise ValueError("items_per_user_month: required (or give usage.history)")
        return self

    @property
    def history_based(self) -> bool:
        return self.history is not None


# -- quality, retraining, degradation, benefits, finance ---------------------------------


class Quality(_Model):
    pilot_accuracy: Share01 | None = Field(
        None,
        description="accuracy the pilot measured on curated data, 0 to 1; shown for "
        "comparison, not used in the forecast",
    )
    launch_accuracy: Share = Field(
        1.0,
        description="accuracy at launch and right after each retraining, 0 to 1; default 1; "
        "may be a range",
    )
    drift_per_month: Annotated[
        Uncertain, U(0, 1, desc="accuracy lost per month since the last (re)training")
    ] = Field(
        0.0,
        description="accuracy lost per month since the last (re)training, >= 0 (0.01 is one "
        "point a month); default 0; may be a range",
    )
    floor: Share01 = Field(0.0, description="accuracy never falls below this, 0 to 1; default 0")
    acceptable: Share01 = Field(
        0.0,
        description="below this accuracy a month is degraded and the degradation plan "
        "applies, 0 to 1; default 0",
    )


class Retraining(_Model):
    policy: Literal["scheduled", "triggered", "none"] = Field(
        "none",
        description="scheduled: every every_months; triggered: when accuracy would fall "
        "below trigger_below; none: never (default)",
    )
    every_months: Annotated[int, Field(strict=True, ge=1, le=MAX_MONTHS)] | None = Field(
        default=None,
        description="scheduled retraining at months every_months, 2*every_months, ...; "
        "whole months >= 1; required for policy scheduled",
    )
    trigger_below: Share01 | None = Field(
        None,
        description="triggered retraining in a month whose accuracy would fall below this, "
        "0 to 1; required for policy triggered",
    )

    @model_validator(mode="after")
    def _policy(self) -> Retraining:
        if self.policy == "scheduled" and self.every_months is None:
            raise ValueError("every_months: required for policy scheduled")
        if self.policy == "triggered" and self.trigger_below is None:
            raise ValueError("trigger_below: required for policy triggered")
        return self


def ignored_by_policy(retraining: Any) -> list[str]:
    """``"every_months: only for policy scheduled ..."`` for each field that the policy
    written beside it would silently ignore (docs/scenario.md#top-level).

    Asked of each file's own ``retraining`` mapping: a scenario that ``extends`` another
    and switches the policy leaves the parent's field behind, and that is not an error.

    >>> ignored_by_policy({"policy": "none", "every_months": 3})
    ['every_months: only for policy scheduled, the policy is none; remove it']
    """
    if not isinstance(retraining, dict):
        return []
    policy = retraining.get("policy", "none")
    return [
        f"{key}: only for policy {needs}, the policy is {policy}; remove it"
        for key, needs in (("every_months", "scheduled"), ("trigger_below", "triggered"))
        if retraining.get(key) is not None and policy != needs and "policy" in retraining
    ]


class Degradation(_Model):
    fallback: Literal["manual", "none"] = Field(
        "none",
        description="manual: in a detected degraded month the work goes back to people and "
        "earns no benefit; none (default): the system keeps running however low its accuracy",
    )


class HumanCheck(_Model):
    catch_rate: Share = Field(
        description="share of wrong outputs the person checking catches, in [0, 1]; required; "
        "may be a range"
    )
    minutes_per_caught_error: Annotated[
        Uncertain, U(0, 10_000, desc="minutes, >= 0; a number or a range")
    ] = Field(
        description="minutes of rework on each caught error, at hourly_rate, >= 0; required; "
        "may be a range"
    )


class Benefits(_Model):
    minutes_saved_per_item: Annotated[
        Uncertain, U(0, 10_000, desc="minutes, >= 0; a number or a range")
    ] = Field(
        0.0,
        description="minutes of work saved by each correct output, >= 0; default 0; may be a range",
    )
    hourly_rate: Money = Field(
        0.0,
        description="loaded hourly cost of the people whose time is saved, money per hour, "
        ">= 0; default 0; may be a range",
    )
    cost_per_error: Money = Field(
        0.0,
        description="cost of one wrong output that reaches the workflow, money, >= 0; "
        "default 0; may be a range",
    )
    human_check: HumanCheck | None = Field(
        None,
        description="a person between the model and the workflow who accepts or corrects each "
        "output: caught errors cost rework time, not cost_per_error; optional",
    )


class Finance(_Model):
    discount_rate: Rate = Field(
        0.10,
        description="annual effective discount rate, a fraction > -1 (0.10 is 10%); "
        "default 0.10; may be a range",
    )
    fiscal_year_start: Annotated[int, Field(strict=True, ge=1, le=12)] = Field(
        1,
        description="month (1-12) the fiscal year starts; a fiscal year is named by the "
        "calendar year it ends in; default 1",
    )


class Monitoring(_Model):
    detection_lag_months: Annotated[
        Uncertain,
        U(
            0,
            MAX_MONTHS,
            desc="months a drop below `acceptable` goes unnoticed; 0 = the same month",
        ),
    ] = Field(
        0.0,
        description="months a drop below acceptable accuracy goes unnoticed, >= 0; 0: noticed "
        "the same month; default 0; may be a range",
    )


# -- cost lines -------------------------------------------------------------------------

_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


class CostLine(_Model):
    name: Name = Field(
        description="unique snake_case name of the line; overrides address it as "
        "costs.<name>.<field>"
    )
    category: Literal[CATEGORIES] = Field(  # type: ignore[valid-type]
        description="the category the line is reported in"
    )
    driver: Literal[DRIVERS] = Field(  # type: ignore[valid-type]
        description="what the quantity follows: fixed (1 a month), one_time, per_request, "
        "per_1k_input_tokens, per_1k_output_tokens, per_active_user, per_new_user, fte, "
        "per_retrain, capacity"
    )
    rate: Money = Field(
        description="money per unit of the driver: per month for fixed, once for one_time, "
        "per FTE per YEAR for fte, per unit per month for capacity; >= 0; may be a range"
    )
    from_month: MonthIndex | None = Field(
        default=None,
        description="first month index the line costs anything (inclusive); default 0",
        json_schema_extra={"default": 0},  # None here means "not given"
    )
    to_month: MonthIndex | None = Field(
        default=None,
        description="last month index the line costs anything (inclusive); default the last month",
    )
    escalation_per_year: Rate = Field(
        0.0,
        description="price change per year, compounding monthly from month 0, > -1 (-0.20 is "
        "20% cheaper a year); default 0; may be a range",
    )
    month: MonthIndex | None = Field(
        default=None,
        description="one_time only: the month index the cost falls in; default 0",
        json_schema_extra={"default": 0},  # None here means "not given"
    )
    fte: (
        Annotated[Uncertain, U(0, 1e6, desc="full-time equivalents, >= 0; a number or a range")]
        | None
    ) = Field(
        None,
        description="fte only: number of full-time equivalents, >= 0; required for driver fte; "
        "may be a range",
    )
    capacity_per_unit: (
        Annotated[Uncertain, U(0, MAX_COUNT, lo_open=True, desc="requests one unit serves")] | None
    ) = Field(
        None,
        description="capacity only: requests one unit serves per month, > 0; required "
        "for driver capacity; may be a range",
    )
    min_units: Annotated[int, Field(strict=True, ge=0, le=10**9)] | None = Field(
        default=None,
        description="capacity only: units kept running however low the load; default 1",
        json_schema_extra={"default": 1},  # None here means "not given"
    )
    description: Text | None = Field(None, description="free text about the line")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SNAKE.fullmatch(v):
            raise ValueError(f"must be snake_case (a-z, 0-9, _), got {excerpt(v)}")
        return v

    @model_validator(mode="after")
    def _driver_fields(self) -> CostLine:
        d = self.driver
        if d == "fte" and self.fte is None:
            raise ValueError("fte: required for driver fte (number of full-time equivalents)")
        if d == "capacity" and self.capacity_per_unit is None:
            raise ValueError("capacity_per_unit: required for driver capacity")
        if d != "fte" and self.fte is not None:
            raise ValueError(f"fte: only for driver fte, this line's driver is {d}")
        if d != "capacity" and (self.capacity_per_unit is not None or self.min_units is not None):
            raise ValueError(f"capacity_per_unit: only for driver capacity, not {d}")
        if d != "one_time" and self.month is not None:
            raise ValueError(f"month: only for driver one_time, not {d}")
        if (
            self.from_month is not None
            and self.to_month is not None
            and self.to_month < self.from_month
        ):
            raise ValueError(
                f"to_month: must be >= from_month, got from {self.from_month} to {self.to_month}"
            )
        return self


# -- commitments ------------------------------------------------------------------------


def _discount(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(not_a_number(v, "a fraction in [0, 1)"))
    x = float(v)
    if not math.isfinite(x):
        raise ValueError(not_a_number(v, "a fraction in [0, 1)"))
    if x > 1 and x <= 100:
        raise ValueError(f"{x:g} looks like a percentage; write {x / 100:g}")
    if not 0 <= x < 1:
        raise ValueError(f"must be a fraction in [0, 1), got {x:g}")
    return x


class Commitment(_Model):
    name: Name = Field(
        description="unique snake_case name of the commitment, not a cost line's; its own "
        "line in the ledger"
    )
    covers: Annotated[list[Name], Field(min_length=1, max_length=MAX_ITEMS)] = Field(
        description="the usage-priced cost lines (per_request, token drivers, "
        "per_active_user, capacity) whose spend the commitment pays for; a line appears in "
        "one commitment only"
    )
    amount_per_month: Annotated[
        float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_MONEY)
    ] = Field(description="committed spend per month, > 0, owed whether used or not")
    discount: Annotated[
        float,
        PlainValidator(_discount),
        WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": 1}),
    ] = Field(
        description="the committed spend buys usage at this discount off the covered lines' "
        "rates, a fraction in [0, 1) (0.25 is 25%)"
    )
    from_month: MonthIndex = Field(
        0, description="first month index of the term, within the horizon; default 0"
    )
    term_months: Annotated[int, Field(strict=True, ge=1, le=MAX_MONTHS)] = Field(
        description="length of the term, whole months >= 1; cut at the horizon"
    )
    description: Text | None = Field(None, description="free text about the commitment")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SNAKE.fullmatch(v):
            raise ValueError(f"must be snake_case (a-z, 0-9, _), got {excerpt(v)}")
        return v


def commitment_problems(costs: Any, commitments: Any, horizon: Any) -> list[str]:
    """Every cross-field problem of ``commitments``, as ``"commitments[i].field: why"``.

    Works on the raw file (lists of mappings) as well as on validated models, so that
    these problems are listed even when another field of the file is invalid. Rules:
    names unique and not a cost line's; each covered line exists, is usage-priced
    (:data:`USAGE_PRICED`) and is covered by one commitment only; ``from_month`` within
    the horizon.

    >>> for p in commitment_problems([{"name": "api", "driver": "per_request"}],
    ...     [{"name": "c", "covers": ["api", "apx"], "from_month": 40}], 36):
    ...     print(p)
    commitments[0].covers: no cost line 'apx' (did you mean api?)
    commitments[0].from_month: 40 is after the horizon (months 0 to 35)
    """

    def get(x: Any, key: str) -> Any:
        return x.get(key) if isinstance(x, dict) else getattr(x, key, None)

    if not isinstance(commitments, list):
        return []
    drivers: dict[str, Any] = {}
    for ln in costs if isinstance(costs, list) else []:
        n = get(ln, "name")
        if isinstance(n, str):
            drivers.setdefault(n, get(ln, "driver"))
    found: list[str] = []
    names: dict[str, int] = {}
    owner: dict[str, int] = {}
    for i, c in enumerate(commitments):
        where = f"commitments[{i}]"
        name = get(c, "name")
        if isinstance(name, str):
            if name in names:
                found.append(
                    f"{where}.name: duplicate commitment name {excerpt(name)} "
                    f"(also commitments[{names[name]}])"
                )
            else:
                names[name] = i
            if name in drivers:
                found.append(
                    f"{where}.name: {excerpt(name)} is a cost line's name (a commitment is a "
                    "line of its own: name it apart)"
                )
        covers = get(c, "covers")
        seen: set[str] = set()
        for line in covers if isinstance(covers, list) else []:
            if not isinstance(line, str):
                continue
            if line in seen:
                found.append(f"{where}.covers: {excerpt(line)} is listed twice")
                continue
            seen.add(line)
            if line not in drivers:
                match = difflib.get_close_matches(line, list(drivers), n=1, cutoff=0.6)
                hint = f" (did you mean {match[0]}?)" if match else ""
                found.append(f"{where}.covers: no cost line {excerpt(line)}{hint}")
                continue
            if drivers[line] not in USAGE_PRICED:
                found.append(
                    f"{where}.covers: {excerpt(line)} has driver {drivers[line]}, and a commitment "
                    f"covers usage-priced lines only ({', '.join(USAGE_PRICED)})"
                )
            if line in owner:
                found.append(
                    f"{where}.covers: {excerpt(line)} is already covered by "
                    f"commitments[{owner[line]}] (a line appears in one commitment only)"
                )
            else:
                owner[line] = i
        start = get(c, "from_month")
        if (
            isinstance(start, int)
            and not isinstance(start, bool)
            and isinstance(horizon, int)
            and not isinstance(horizon, bool)
            and start >= horizon
        ):
            found.append(
                f"{where}.from_month: {start} is after the horizon (months 0 to {horizon - 1})"
            )
    return found


# -- pilot and readiness ----------------------------------------------------------------


Amount = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_MONEY)]


class PaidItem(_Model):
    name: Annotated[str, Field(max_length=200)] = Field(
        description="what the pilot's budget paid for"
    )
    category: Literal[CATEGORIES] = Field(  # type: ignore[valid-type]
        description="cost category, as for cost lines"
    )
    amount_per_month: Amount = Field(description="amount the pilot's budget showed per month, >= 0")


class AbsorbedItem(_Model):
    name: Annotated[str, Field(max_length=200)] = Field(
        description="what was absorbed: paid by someone else, or not counted"
    )
    category: Literal[CATEGORIES] = Field(  # type: ignore[valid-type]
        description="cost category, as for cost lines"
    )
    amount_per_month: Amount | None = Field(
        None, description="amount per month, >= 0; or give hours_per_month and hourly_rate"
    )
    hours_per_month: (
        Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1e7)] | None
    ) = Field(None, description="hours of work per month, >= 0; with hourly_rate")
    hourly_rate: Amount | None = Field(
        None, description="loaded cost of one hour of that work, >= 0; with hours_per_month"
    )
    paid_by: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="who paid for it; empty: nobody (it was not counted)"
    )

    @model_validator(mode="after")
    def _form(self) -> AbsorbedItem:
        hours = self.hours_per_month is not None or self.hourly_rate is not None
        if self.amount_per_month is not None and hours:
            raise ValueError("amount_per_month: give either amount_per_month or hours and rate")
        if self.amount_per_month is None:
            if self.hours_per_month is None:
                raise ValueError("amount_per_month: required (or hours_per_month and hourly_rate)")
            if self.hourly_rate is None:
                raise ValueError("hourly_rate: required with hours_per_month")
        return self

    @property
    def monthly(self) -> float:
        """``amount_per_month``, or ``hours_per_month * hourly_rate``."""
        if self.amount_per_month is not None:
            return self.amount_per_month
        return float(self.hours_per_month) * float(self.hourly_rate)  # type: ignore[arg-type]


class Pilot(_Model):
    months: Annotated[int, Field(strict=True, ge=1, le=MAX_MONTHS)] | None = Field(
        default=None, description="length of the pilot, months"
    )
    users: Annotated[int, Field(strict=True, ge=0, le=int(MAX_PEOPLE))] | None = Field(
        default=None, description="number of pilot users"
    )
    requests_per_month: Annotated[float, Field(strict=True, allow_inf_nan=False, le=MAX_COUNT)] = (
        Field(gt=0, description="requests the pilot handled per month, > 0")
    )
    paid: Annotated[list[PaidItem], Field(max_length=MAX_ITEMS)] = Field(
        [], description="what the pilot's own budget showed, per month; default none"
    )
    absorbed: Annotated[list[AbsorbedItem], Field(max_length=MAX_ITEMS)] = Field(
        [], description="what someone else paid, or nobody counted, per month; default none"
    )


class Readiness(_Model):
    owner: Text | None = Field(
        None, description="who owns the system in production: one named person, not a team"
    )
    monitoring_plan: Text | None = Field(
        None, description="which metrics are monitored, at what thresholds, who is paged"
    )
    retraining_plan: Text | None = Field(
        None, description="what triggers a retrain, who approves it, how it is validated"
    )
    degradation_plan: Text | None = Field(None, description="what happens when performance drops")
    change_management: Text | None = Field(
        None, description="training, workflow changes, and the concerns of unwilling users"
    )
    budget_holder: Text | None = Field(None, description="whose budget pays the operating cost")


# -- the file ---------------------------------------------------------------------------

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class ScenarioModel(_Model):
    """A scenario file, as docs/scenario.md describes it (after ``extends`` is resolved)."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$",
        max_length=MAX_SCENARIO_NAME,
        description="scenario name: letters, digits, - and _; used in file names and reports",
    )
    description: Text | None = Field(None, description="free text shown in reports")
    currency: str = Field(
        default="USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of every money amount in the file; default USD",
    )
    start: str = Field(description='first production month (month 0), "YYYY-MM", quoted')
    horizon_months: int = Field(
        default=36,
        ge=1,
        le=240,
        strict=True,
        description="number of months modelled, 1 to 240; default 36",
    )
    usage: Usage = Field(
        description="who uses the system and how much: drivers (population, rollout, "
        "adoption) or a history"
    )
    quality: Quality = Field(
        Quality(), description="accuracy at launch, its drift, floor and acceptable level"
    )
    retraining: Retraining = Field(
        Retraining(), description="when the model is retrained; default never"
    )
    degradation: Degradation = Field(
        Degradation(), description="what happens below acceptable accuracy; default nothing"
    )
    benefits: Benefits = Field(
        Benefits(),
        description="what each item is worth: time saved by correct outputs, cost of errors",
    )
    costs: Annotated[list[CostLine], Field(max_length=MAX_ITEMS)] = Field(
        [], description="the cost lines of production, each with a category and a driver"
    )
    commitments: Annotated[list[Commitment], Field(max_length=MAX_ITEMS)] = Field(
        [],
        description="committed spend bought ahead at a discount, each covering usage-priced "
        "cost lines (docs/scenario.md#commitments); default none",
    )
    finance: Finance = Field(Finance(), description="discount rate")
    monitoring: Monitoring | None = Field(
        None,
        description="how long until someone notices a degraded model; without it, "
        "detection is immediate",
    )
    pilot: Pilot | None = Field(
        None, description="what the pilot's budget showed, and what others paid for it"
    )
    readiness: Readiness = Field(
        Readiness(), description="the six questions a pilot never answers; empty: unanswered"
    )

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> str:
        if isinstance(v, dt.date):  # YAML read an unquoted 2027-01-01 as a date
            raise ValueError(
                f'must be a month "YYYY-MM", got the date {v.isoformat()}; '
                f'write start: "{v.year:04d}-{v.month:02d}" (quoted)'
            )
        m = _MONTH.fullmatch(v) if isinstance(v, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2200:
            raise ValueError(
                f'must be a month "YYYY-MM" (quoted in YAML, 1900..2200), got {excerpt(v)}'
            )
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v not in CURRENCIES:
            raise ValueError(f"{v!r} is not the ISO 4217 code of a currency in use (USD, EUR, ...)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioModel:
        """A floor above the launch accuracy, which would make the launch accuracy (and the
        drift) meaningless: accuracy would be the floor from launch on."""
        found = []
        launch = self.quality.launch_accuracy
        top = launch.high if isinstance(launch, Range) else launch
        if top is not None and self.quality.floor > top:
            found.append(
                f"quality.floor: {self.quality.floor:g} is above launch_accuracy ({top:g}); "
                "the floor is the lowest accuracy drift reaches, at most the launch accuracy"
            )
        found += commitment_problems(self.costs, self.commitments, self.horizon_months)
        if found:
            raise ValueError("; ".join(found))
        return self

    @field_validator("costs")
    @classmethod
    def _unique(cls, lines: list[CostLine]) -> list[CostLine]:
        found = duplicate_names([ln.name for ln in lines])
        if found:
            raise ValueError("; ".join(found))
        return lines


def duplicate_names(names: list[Any]) -> list[str]:
    """``"[i].name: duplicate cost line name ..."`` for every repeated name of ``costs``.

    Also asked of the file's raw cost lines when some of them are invalid (pydantic then
    skips :meth:`ScenarioModel._unique`), so that a repeated name is listed with them.

    >>> duplicate_names(["a", "b", "a"])
    ["[2].name: duplicate cost line name 'a' (also costs[0])"]
    """
    seen: dict[str, int] = {}
    found = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in seen:
            found.append(
                f"[{i}].name: duplicate cost line name {excerpt(name)} (also costs[{seen[name]}])"
            )
        else:
            seen[name] = i
    return found


def all_field_names() -> set[str]:
    """Every key a scenario file may use, for did-you-mean suggestions."""
    names: set[str] = {"extends", "remove"}
    todo: list[type[BaseModel]] = [ScenarioModel, Range]
    seen: set[type] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for fname, f in m.model_fields.items():
            names.add(fname)
            for t in _model_types(f.annotation):
                todo.append(t)
    return names


def _model_types(annotation: Any) -> list[type[BaseModel]]:
    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
    for a in get_args(annotation):
        out.extend(_model_types(a))
    return out
