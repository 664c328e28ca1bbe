"""The scenario file's schema: every field and rule of SCENARIO.md as pydantic models.

Validation collects every problem at once; :mod:`aiopex.scenario` turns them into
:class:`aiopex.errors.Problem` with the file and the field path. Cross-field rules
raise ``ValueError("<relative.path>: message")`` so the path can be completed.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from aiopex.inputs.uncertain import Bounds, Range, Uncertain
from aiopex.names import CATEGORIES, DRIVERS

# -- uncertain numbers ------------------------------------------------------------------


def _uncertain_validator(bounds: Bounds):
    def parse(v: Any) -> Uncertain:
        if isinstance(v, bool):
            raise ValueError(f"must be a number or a range, got {v!r}")
        if isinstance(v, (int, float)):
            x = float(v)
            if not math.isfinite(x):
                raise ValueError(f"must be a finite number, got {v!r}")
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
        raise ValueError(f"must be a number or a range, got {type(v).__name__} {v!r}")

    return parse


_RANGE_SCHEMA = {
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "properties": {
                "low": {"type": "number"},
                "high": {"type": "number"},
                "mode": {"type": "number"},
                "mean": {"type": "number"},
                "sd": {"type": "number", "minimum": 0},
                "dist": {"enum": ["lognormal", "normal", "pert", "triangular", "uniform"]},
                "point": {"type": "number"},
            },
            "additionalProperties": False,
        },
    ]
}


def U(  # noqa: N802 - reads as a type in field annotations
    lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False, desc: str = ""
):
    """An uncertain-number field type with its valid range (checked, and clipped when sampled)."""
    b = Bounds(lo, hi, lo_open)
    return Annotated[
        Uncertain,
        b,
        PlainValidator(_uncertain_validator(b)),
        WithJsonSchema({**_RANGE_SCHEMA, "description": desc}),
    ]


Money = U(0, desc="money, >= 0; a number or a range")
Count = U(0, desc="count, >= 0; a number or a range")
Share = U(0, 1, desc="share in [0, 1]; a number or a range")
Growth = U(-1, lo_open=True, desc="yearly rate, > -1; a number or a range")
Share01 = Annotated[float, Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- usage ------------------------------------------------------------------------------


class Wave(_Model):
    month: int = Field(ge=0, description="month index at which this wave gets access")
    share: Share01 = Field(description="cumulative share of the population given access")


class Adoption(_Model):
    ceiling: Share = 1.0
    midpoint_months: U(0, desc="months after access at which half the ceiling is reached") = 0.0
    steepness: U(0, lo_open=True, desc="logistic slope, per month, > 0") = 1.0


class Tokens(_Model):
    input: Count = 0.0
    output: Count = 0.0


class Usage(_Model):
    population: Count | None = None
    rollout: list[Wave] | None = None
    adoption: Adoption = Adoption()
    items_per_user_month: Count | None = None
    bypass_rate: Share = 0.0
    growth_per_year: Growth = 0.0
    seasonality: list[Annotated[float, Field(ge=0)]] | None = None
    tokens_per_item: Tokens = Tokens()
    history: str | None = None
    method: Literal["auto", "ets", "theta", "sarimax", "naive"] = "auto"

    @field_validator("rollout")
    @classmethod
    def _rollout(cls, waves: list[Wave] | None) -> list[Wave] | None:
        if waves is None:
            return waves
        if not waves:
            raise ValueError("must list at least one wave")
        for i in range(1, len(waves)):
            if waves[i].share < waves[i - 1].share:
                raise ValueError(
                    f"[{i}].share: shares must not decrease, got {waves[i].share:g} "
                    f"after {waves[i - 1].share:g}"
                )
            if waves[i].month <= waves[i - 1].month:
                raise ValueError(
                    f"[{i}].month: wave months must increase, got {waves[i].month} "
                    f"after {waves[i - 1].month}"
                )
        return waves

    @field_validator("seasonality")
    @classmethod
    def _seasonality(cls, s: list[float] | None) -> list[float] | None:
        if s is not None and len(s) != 12:
            raise ValueError(f"must have 12 multipliers, January..December, got {len(s)}")
        return s

    @model_validator(mode="after")
    def _mode(self) -> Usage:
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
    pilot_accuracy: Share01 | None = None
    launch_accuracy: Share = 1.0
    drift_per_month: U(0, desc="accuracy lost per month since the last (re)training") = 0.0
    floor: Share01 = 0.0
    acceptable: Share01 = 0.0


class Retraining(_Model):
    policy: Literal["scheduled", "triggered", "none"] = "none"
    every_months: int | None = Field(default=None, ge=1)
    trigger_below: Share01 | None = None

    @model_validator(mode="after")
    def _policy(self) -> Retraining:
        if self.policy == "scheduled" and self.every_months is None:
            raise ValueError("every_months: required for policy scheduled")
        if self.policy == "triggered" and self.trigger_below is None:
            raise ValueError("trigger_below: required for policy triggered")
        return self


class Degradation(_Model):
    fallback: Literal["manual", "none"] = "none"


class Benefits(_Model):
    minutes_saved_per_item: Count = 0.0
    hourly_rate: Money = 0.0
    cost_per_error: Money = 0.0


class Finance(_Model):
    discount_rate: Growth = 0.10


# -- cost lines -------------------------------------------------------------------------

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class CostLine(_Model):
    name: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    driver: Literal[DRIVERS]  # type: ignore[valid-type]
    rate: Money
    from_month: int | None = Field(default=None, ge=0)
    to_month: int | None = Field(default=None, ge=0)
    escalation_per_year: Growth = 0.0
    month: int | None = Field(default=None, ge=0, description="one_time: the month it falls in")
    fte: Count | None = None
    capacity_per_unit: U(0, lo_open=True, desc="requests one unit serves per month") | None = None
    min_units: int | None = Field(default=None, ge=0)
    description: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SNAKE.match(v):
            raise ValueError(f"must be snake_case (a-z, 0-9, _), got {v!r}")
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


# -- pilot and readiness ----------------------------------------------------------------


class PaidItem(_Model):
    name: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    amount_per_month: Annotated[float, Field(ge=0)]


class AbsorbedItem(_Model):
    name: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    amount_per_month: Annotated[float, Field(ge=0)] | None = None
    hours_per_month: Annotated[float, Field(ge=0)] | None = None
    hourly_rate: Annotated[float, Field(ge=0)] | None = None
    paid_by: str | None = None

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
    months: int | None = Field(default=None, ge=1)
    users: int | None = Field(default=None, ge=0)
    requests_per_month: float = Field(gt=0)
    paid: list[PaidItem] = []
    absorbed: list[AbsorbedItem] = []


class Readiness(_Model):
    owner: str | None = None
    monitoring_plan: str | None = None
    retraining_plan: str | None = None
    degradation_plan: str | None = None
    change_management: str | None = None
    budget_holder: str | None = None


# -- the file ---------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ScenarioModel(_Model):
    """A scenario file, as SCENARIO.md defines it (after ``extends`` is resolved)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    start: str
    horizon_months: int = Field(default=36, ge=1, le=240)
    usage: Usage
    quality: Quality = Quality()
    retraining: Retraining = Retraining()
    degradation: Degradation = Degradation()
    benefits: Benefits = Benefits()
    costs: list[CostLine] = []
    finance: Finance = Finance()
    pilot: Pilot | None = None
    readiness: Readiness = Readiness()

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> str:
        m = _MONTH.match(str(v)) if isinstance(v, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f'must be a month "YYYY-MM" (quoted in YAML), got {v!r}')
        return v

    @field_validator("costs")
    @classmethod
    def _unique(cls, lines: list[CostLine]) -> list[CostLine]:
        seen: dict[str, int] = {}
        for i, ln in enumerate(lines):
            if ln.name in seen:
                raise ValueError(
                    f"[{i}].name: duplicate cost line name {ln.name!r} "
                    f"(also costs[{seen[ln.name]}])"
                )
            seen[ln.name] = i
        return lines


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
    from typing import get_args

    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
    for a in get_args(annotation):
        out.extend(_model_types(a))
    return out
