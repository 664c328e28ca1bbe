"""The parts of a review as typed records (docs/review.md): what ``review.json`` holds,
section by section, and the detail the workbook adds.

:func:`parse` builds them from the review's data: the dict
:func:`~aiopex.analyses.review.compute.compute_review` returns (with its private detail)
or ``review.json`` read back (without it: the fields marked *detail* are then None or
empty). The renderers (:mod:`aiopex.outputs.review_report`,
:mod:`aiopex.outputs.review_excel`) read these, never the dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Counted:
    """An amount and the billing rows it came from."""

    amount: float
    rows: int

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Counted:
        return cls(amount=d["amount"], rows=d["rows"])


@dataclass(frozen=True, kw_only=True)
class Variance:
    """The variance split and the judgement of a line, a category or the total
    (docs/review.md#4-read-the-variance).

    ``driver`` and ``intensity`` are None where the volume is not split by requests;
    ``percentile`` and ``band`` None without a band (no actuals, no baseline).
    ``p10``, ``p90`` (the band's bounds) are detail.
    """

    baseline: float
    actual: float
    variance: float
    volume: float
    price: float
    driver: float | None
    intensity: float | None
    unexplained: float
    percentile: float | None
    band: str | None
    material: bool
    investigate: bool
    status: str
    p10: float | None
    p90: float | None
    unused: float | None = None

    @staticmethod
    def fields_of(d: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("baseline", "actual", "variance", "volume", "price", "driver", "intensity",
                "unexplained", "percentile", "band", "material", "investigate")  # fmt: skip
        return {
            **{k: d[k] for k in keys},
            "status": d.get("status", "ok"),
            "p10": d.get("_p10"),
            "p90": d.get("_p90"),
            "unused": d.get("unused"),
        }


@dataclass(frozen=True)
class CoveredLine:
    """A line a commitment covers, inside its group: its baseline and actual amount and
    quantity, its on-demand baseline rate and amount, its volume (None where a quantity or
    the rate is missing)."""

    line: str
    baseline: float
    actual: float | None
    baseline_quantity: float
    actual_quantity: float | None
    on_demand_rate: float | None
    on_demand_baseline: float
    volume: float | None

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> CoveredLine:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Commitment:
    """What a commitment's group adds to its row (docs/review.md, "Commitments"): the
    commitment's terms, the unused commitment (actual, baseline) and the covered lines."""

    amount_per_month: float
    discount: float
    term_months_in_period: int
    unused_actual: float | None
    unused_baseline: float
    covers: tuple[CoveredLine, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Commitment:
        return cls(
            amount_per_month=d["amount_per_month"],
            discount=d["discount"],
            term_months_in_period=d["term_months_in_period"],
            unused_actual=d["unused_actual"],
            unused_baseline=d["unused_baseline"],
            covers=tuple(CoveredLine.parse(c) for c in d["covers"]),
        )


@dataclass(frozen=True, kw_only=True)
class LineVariance(Variance):
    """One cost line's variance; ``status`` is ``ok``, ``no_actuals`` (counted at 0,
    never a saving) or ``unbudgeted``. ``qb`` and ``qa`` (the quantities) are detail.
    A commitment's group (named after the commitment) has ``commitment`` and ``unused``."""

    line: str
    category: str
    qb: float | None
    qa: float | None
    commitment: Commitment | None = None

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> LineVariance:
        return cls(
            line=d["line"],
            category=d["category"],
            qb=d.get("_Qb"),
            qa=d.get("_Qa"),
            commitment=Commitment.parse(d) if d.get("group") else None,
            **Variance.fields_of(d),
        )


@dataclass(frozen=True, kw_only=True)
class CategoryVariance(Variance):
    """A category's variance (``category`` is ``total`` for the review's total)."""

    category: str

    @classmethod
    def parse(cls, d: Mapping[str, Any], category: str | None = None) -> CategoryVariance:
        return cls(category=category or d["category"], **Variance.fields_of(d))


@dataclass(frozen=True)
class Amounts:
    """Baseline, actual and their variance."""

    baseline: float
    actual: float
    variance: float

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Amounts:
        return cls(baseline=d["baseline"], actual=d["actual"], variance=d["variance"])


@dataclass(frozen=True)
class AccuracyMonth:
    month: str
    actual: float
    forecast: float


@dataclass(frozen=True)
class Accuracy:
    """The monitored accuracy per month against the forecast and ``acceptable``."""

    acceptable: float | None
    months: tuple[AccuracyMonth, ...]
    below_acceptable: tuple[str, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Accuracy:
        return cls(
            acceptable=d.get("acceptable"),
            months=tuple(
                AccuracyMonth(m["month"], m["actual"], m["forecast"]) for m in d["months"]
            ),
            below_acceptable=tuple(d.get("below_acceptable") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class UsageReview(Amounts):
    """Requests against the baseline, with their band (None when the baseline has no
    request draws), active users and accuracy when the usage actuals had them."""

    percentile: float | None
    band: str | None
    p10: float | None
    p90: float | None
    band_from: str | None
    active_users: Amounts | None
    accuracy: Accuracy | None

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> UsageReview:
        au, acc = d.get("active_users"), d.get("accuracy")
        return cls(
            baseline=d["baseline"],
            actual=d["actual"],
            variance=d["variance"],
            percentile=d.get("percentile"),
            band=d.get("band"),
            p10=d.get("p10"),
            p90=d.get("p90"),
            band_from=d.get("band_from"),
            active_users=Amounts.parse(au) if au else None,
            accuracy=Accuracy.parse(acc) if acc else None,
        )


@dataclass(frozen=True)
class OutsideBand:
    """How many lines with a band fell outside it, and the share expected by chance."""

    lines: int
    of: int
    expected_share: float


@dataclass(frozen=True)
class ByChance:
    """How many lines could fall outside their band by chance (``can_vary``), how many
    would (``expected_lines``, ``expected_share`` of ``can_vary``), and the lines fixed
    in the forecast that cannot."""

    lines: int
    of: int
    can_vary: int
    expected_lines: float
    expected_share: float
    fixed: tuple[str, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> ByChance:
        return cls(d["lines"], d["of"], d["can_vary"], d["expected_lines"], d["expected_share"],
                   tuple(d["fixed"]))  # fmt: skip


@dataclass(frozen=True)
class OutlookMonth:
    """One month of the fiscal year's outlook: ``source`` ``actual`` (the lines' actuals
    plus the baseline of the lines without) or ``reforecast``."""

    month: str
    amount: float
    actual: float | None
    baseline_no_actuals: float | None
    source: str


@dataclass(frozen=True, kw_only=True)
class Outlook:
    """The fiscal year's outlook (docs/review.md#5-read-the-re-forecast). ``usage`` (how
    usage after the period was forecast) and ``monthly`` are detail."""

    fiscal_year: str
    outlook: float
    baseline: float
    p10: float
    p90: float
    usage: str
    monthly: tuple[OutlookMonth, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any], monthly: list[Mapping[str, Any]]) -> Outlook:
        return cls(
            fiscal_year=d["fiscal_year"],
            outlook=d["outlook"],
            baseline=d["baseline"],
            p10=d["p10"],
            p90=d["p90"],
            usage=d.get("_usage", ""),
            monthly=tuple(
                OutlookMonth(
                    o["month"], o["amount"], o.get("actual"), o["baseline_no_actuals"], o["source"]
                )  # fmt: skip
                for o in monthly
            ),
        )


@dataclass(frozen=True)
class Unmapped(Counted):
    """Spend on no line in the period, and by service (largest first)."""

    by_service: dict[str, Counted]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Unmapped:
        by = {str(s): Counted.parse(v) for s, v in d["by_service"].items()}
        return cls(amount=d["amount"], rows=d["rows"], by_service=by)


@dataclass(frozen=True)
class MissingMonth:
    """A month without actuals of a line that has actuals in others (counted as 0)."""

    line: str
    month: str
    counted_as: float
    baseline: float | None


@dataclass(frozen=True)
class MixedUnits(Counted):
    """A line whose billing rows came in more than one unit: ``units`` (unit -> rows)."""

    units: dict[str, int]


@dataclass(frozen=True)
class Reconciliation:
    """The invoices of the period split into parts (each of
    :data:`aiopex.model.reconciliation.PARTS` in ``parts``) that add up to
    ``invoice_total``; ``billed_later`` and ``basis_difference`` sit beside it."""

    parts: dict[str, float]
    rows: dict[str, int]
    invoice_total: float
    billed_later: float
    basis_difference: float
    prior_periods_by_month: dict[str, float]
    billing_periods: tuple[str, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> Reconciliation:
        from aiopex.model.reconciliation import PARTS

        return cls(
            parts={p: d[p] for p in PARTS},
            rows=dict(d.get("rows") or {}),
            invoice_total=d["invoice_total"],
            billed_later=d["billed_later"],
            basis_difference=d["basis_difference"],
            prior_periods_by_month=dict(d.get("prior_periods_by_month") or {}),
            billing_periods=tuple(d.get("billing_periods") or ()),
        )


@dataclass(frozen=True)
class Conversion:
    """How a line's billing unit was brought to the line's unit."""

    line: str
    unit: str
    conversion: str
    rows: int


@dataclass(frozen=True)
class Superseded:
    """An export replaced by a later one of the same billing period."""

    delivery: str
    billing_period: str
    export_time: str
    rows: int
    amount: float
    replaced_by: tuple[str, ...]


@dataclass(frozen=True)
class DataQuality:
    """What is not an amount: the FOCUS version seen, unit conversions, superseded
    exports, NULL costs (``null_cost_rows`` of ``null_cost_column``), rows of the
    period per destination, notes."""

    focus_version: str | None
    conversions: tuple[Conversion, ...]
    superseded_exports: tuple[Superseded, ...]
    null_cost_column: str | None
    null_cost_rows: int
    rows: dict[str, int]
    notes: tuple[str, ...]

    @classmethod
    def parse(cls, d: Mapping[str, Any]) -> DataQuality:
        nc = d.get("null_cost") or {}
        return cls(
            focus_version=d.get("focus_version"),
            conversions=tuple(
                Conversion(c["line"], c["unit"], c["conversion"], c["rows"])
                for c in d.get("conversions", [])
            ),
            superseded_exports=tuple(
                Superseded(
                    x["delivery"],
                    x["billing_period"],
                    x["export_time"],
                    x["rows"],
                    x["amount"],
                    tuple(x["replaced_by"]),
                )  # fmt: skip
                for x in d.get("superseded_exports", [])
            ),
            null_cost_column=nc.get("column"),
            null_cost_rows=nc.get("rows") or 0,
            rows=dict(d.get("rows") or {}),
            notes=tuple(d.get("notes", [])),
        )


@dataclass(frozen=True, kw_only=True)
class Sections:
    """Every section of a review, typed (see :func:`parse`). ``materiality`` (share,
    amount) is detail: None when read back from ``review.json``."""

    system: str
    period: str
    months: tuple[str, ...]
    currency: str
    cost_basis: str
    materiality: tuple[float, float] | None
    lines: tuple[LineVariance, ...]
    categories: tuple[CategoryVariance, ...]
    total: CategoryVariance
    usage: UsageReview | None
    unmapped: Unmapped
    charges: dict[str, Counted]
    corrections: Counted
    missing_actuals: tuple[MissingMonth, ...]
    mixed_units: dict[str, MixedUnits]
    reconciliation: Reconciliation | None
    data_quality: DataQuality | None
    outside_band: OutsideBand
    outside_band_by_chance: ByChance | None
    reforecast: Outlook

    def no_actuals(self, category: str | None = None) -> list[LineVariance]:
        """The lines with no actuals in the period (of one category, or of every one
        when ``category`` is None or ``total``)."""
        return [
            r
            for r in self.lines
            if r.status == "no_actuals" and category in (None, "total", r.category)
        ]


def parse(data: Mapping[str, Any]) -> Sections:
    """The typed sections of a review's data: the dict of
    :func:`~aiopex.analyses.review.compute.compute_review` (detail included) or
    ``review.json`` as read (detail absent)."""
    mat = data.get("_materiality")
    usage, ch = data.get("usage"), data.get("outside_band_by_chance")
    rc, dq = data.get("reconciliation"), data.get("data_quality")
    ob = data["outside_band"]
    return Sections(
        system=data.get("system", ""),
        period=data["period"],
        months=tuple(data["months"]),
        currency=data["currency"],
        cost_basis=data["cost_basis"],
        materiality=(mat["share"], mat["amount"]) if mat else None,
        lines=tuple(LineVariance.parse(r) for r in data["lines"]),
        categories=tuple(CategoryVariance.parse(c) for c in data["categories"]),
        total=CategoryVariance.parse(data["total"], "total"),
        usage=UsageReview.parse(usage) if usage else None,
        unmapped=Unmapped.parse(data["unmapped"]),
        charges={k: Counted.parse(v) for k, v in data.get("charges", {}).items()},
        corrections=Counted.parse(data["corrections"]),
        missing_actuals=tuple(
            MissingMonth(x["line"], x["month"], x["counted_as"], x.get("baseline"))
            for x in data.get("missing_actuals") or []
        ),
        mixed_units={
            line: MixedUnits(amount=x["amount"], rows=x["rows"], units=dict(x["units"]))
            for line, x in (data.get("mixed_units") or {}).items()
        },
        reconciliation=Reconciliation.parse(rc) if rc else None,
        data_quality=DataQuality.parse(dq) if dq else None,
        outside_band=OutsideBand(ob["lines"], ob["of"], ob["expected_share"]),
        outside_band_by_chance=ByChance.parse(ch) if ch else None,
        reforecast=Outlook.parse(data["reforecast"], data.get("_outlook_monthly", [])),
    )
