"""A quarter of FOCUS billing for doc_extraction_gpu's savings plan, written row by row:
what the cloud bills a compute savings plan of 3,500 USD a month at 30% off GPU node
hours of 3.00 USD on demand (test data built by hand; tests/test_review_commitments.py).

Per month, with ``h`` the node hours used (730 hours a node-month) and ``E = 3500 / 0.7 =
5000`` USD of on-demand spend the plan buys: the hours the plan covers
(``min(3 h, E) / 3``) in a ``Used`` row at the plan's price (``EffectiveCost`` 0.7 of on
demand, ``BilledCost`` 0: paid through the purchase), the rest on demand, the plan's
unused part in an ``Unused`` row, and the month's ``Purchase`` row of the plan
(``BilledCost`` 3,500, ``EffectiveCost`` 0: amortized into the usage rows). Another
team's plan leaves an ``Unused`` row that belongs to no commitment of the scenario.
"""

from __future__ import annotations

import csv
from pathlib import Path

HOURLY = 3.00
PLAN = 3500.0
DISCOUNT = 0.30
HOURS_PER_NODE_MONTH = 730.0
PLAN_ID = "/subscriptions/0001/providers/Microsoft.BillingBenefits/savingsPlans/sp-gpu-0042"
OTHER_ID = "/subscriptions/0001/providers/Microsoft.BillingBenefits/savingsPlans/sp-web-0007"
#: Node hours used per month of 2027-Q3: 2, 3 and 4 nodes all month.
HOURS = {"2027-07": 1460.0, "2027-08": 2190.0, "2027-09": 2920.0}
OTHER_UNUSED = {"2027-08": 120.0}
COLUMNS = (
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
    "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "BilledCost", "EffectiveCost", "ListCost",
    "ContractedCost", "PricingQuantity", "PricingUnit", "ServiceName", "ServiceCategory",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "ResourceName", "Tags",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus",
    "CommitmentDiscountType", "CommitmentDiscountCategory",
)  # fmt: skip

MAPPING = f"""\
rules:
  - line: gpu_inference_nodes
    match: {{ServiceName: Virtual Machines, "Tags.system": doc-extraction}}
    quantity_scale: {1 / HOURS_PER_NODE_MONTH!r}   # node hours -> node-months (730 hours)
commitments:
  - commitment: gpu_savings_plan
    match: {{CommitmentDiscountId: "~.*/savingsPlans/sp-gpu-0042"}}
"""


def month_split(hours: float) -> dict[str, float]:
    """What one month bills: covered hours, their amortized cost, overage hours and cost,
    the plan's unused part."""
    spend = hours * HOURLY
    bought = PLAN / (1.0 - DISCOUNT)
    covered = min(spend, bought)
    return {
        "covered_hours": covered / HOURLY,
        "used_cost": (1.0 - DISCOUNT) * covered,
        "overage_hours": (spend - covered) / HOURLY,
        "overage_cost": spend - covered,
        "unused": PLAN - (1.0 - DISCOUNT) * covered,
    }


def _period(month: str) -> tuple[str, str]:
    y, m = (int(x) for x in month.split("-"))
    nxt = f"{y + (m == 12)}-{m % 12 + 1:02d}"
    return f"{month}-01T00:00:00Z", f"{nxt}-01T00:00:00Z"


def rows() -> list[dict[str, object]]:
    """Every row of the quarter."""
    out: list[dict[str, object]] = []
    base = {
        "BillingAccountId": "0001", "BillingAccountName": "Bank", "BillingCurrency": "USD",
        "ChargeClass": "", "ServiceName": "Virtual Machines", "ServiceCategory": "Compute",
        "ProviderName": "Microsoft", "PublisherName": "Microsoft",
        "InvoiceIssuerName": "Microsoft", "ResourceName": "docx-gpu-pool",
        "Tags": '{"system": "doc-extraction"}',
    }  # fmt: skip
    plan = {
        "CommitmentDiscountId": PLAN_ID, "CommitmentDiscountName": "gpu-plan-2027",
        "CommitmentDiscountType": "Savings Plan", "CommitmentDiscountCategory": "Spend",
    }  # fmt: skip
    for month, hours in HOURS.items():
        start, end = _period(month)
        when = {"BillingPeriodStart": start, "BillingPeriodEnd": end,
                "ChargePeriodStart": start, "ChargePeriodEnd": end}  # fmt: skip
        s = month_split(hours)
        out.append({**base, **when, **plan, "ChargeCategory": "Usage",
                    "ChargeFrequency": "Usage-Based", "ChargeDescription": "GPU node hours",
                    "CommitmentDiscountStatus": "Used", "BilledCost": 0.0,
                    "EffectiveCost": s["used_cost"], "ListCost": s["covered_hours"] * HOURLY,
                    "ContractedCost": s["covered_hours"] * HOURLY,
                    "PricingQuantity": s["covered_hours"], "PricingUnit": "Hours"})  # fmt: skip
        if s["overage_hours"] > 0:
            out.append({**base, **when, "ChargeCategory": "Usage",
                        "ChargeFrequency": "Usage-Based", "ChargeDescription": "GPU node hours",
                        "BilledCost": s["overage_cost"], "EffectiveCost": s["overage_cost"],
                        "ListCost": s["overage_cost"], "ContractedCost": s["overage_cost"],
                        "PricingQuantity": s["overage_hours"], "PricingUnit": "Hours"})  # fmt: skip
        if s["unused"] > 0:
            out.append({**base, **when, **plan, "ChargeCategory": "Usage",
                        "ChargeFrequency": "Usage-Based", "ResourceName": "",
                        "ChargeDescription": "Savings plan unused", "Tags": "",
                        "CommitmentDiscountStatus": "Unused", "BilledCost": 0.0,
                        "EffectiveCost": s["unused"], "ListCost": 0.0, "ContractedCost": 0.0,
                        "PricingQuantity": "", "PricingUnit": ""})  # fmt: skip
        out.append({**base, **when, **plan, "ChargeCategory": "Purchase",
                    "ChargeFrequency": "Recurring", "ChargeDescription": "Savings plan",
                    "ResourceName": "", "Tags": "", "BilledCost": PLAN, "EffectiveCost": 0.0,
                    "ListCost": PLAN, "ContractedCost": PLAN, "PricingQuantity": 1,
                    "PricingUnit": "Month"})  # fmt: skip
        if month in OTHER_UNUSED:
            out.append({**base, **when, "ChargeCategory": "Usage",
                        "ChargeFrequency": "Usage-Based", "ChargeDescription": "plan unused",
                        "ResourceName": "", "Tags": "", "CommitmentDiscountId": OTHER_ID,
                        "CommitmentDiscountName": "web-plan", "CommitmentDiscountStatus": "Unused",
                        "CommitmentDiscountType": "Savings Plan", "BilledCost": 0.0,
                        "EffectiveCost": OTHER_UNUSED[month], "ListCost": 0.0,
                        "ContractedCost": 0.0, "PricingQuantity": "",
                        "PricingUnit": ""})  # fmt: skip
    return out


def write(folder: Path) -> tuple[Path, Path]:
    """Write the export and the mapping file into ``folder``; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "focus-2027-Q3.csv"
    with export.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        for r in rows():
            w.writerow({c: r.get(c, "") for c in COLUMNS})
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING)
    return export, mapping
