"""Generate the bundled quarterly-review example in data/actuals/ (deterministic).

The system is data/actuals/claims_assistant.yaml; the period is its first quarter,
2027-01..2027-03. Written:

- ``focus/claims-costs/<YYYYMMDD-YYYYMMDD>/part_0_0001.csv``: a FOCUS 1.2 export in
  the shape a cloud provider delivers it (one folder per billing month, one row per
  day and meter): LLM input and output token meters, the vector store, the GPU node
  pool of the re-ranker, a log service no rule maps, a search service of another team
  (mapped by nobody: its tag says so), a tax row and a correction;
- ``other_costs.csv``: the costs no cloud bills (people, the integration project),
  as native actuals;
- ``usage.csv``: requests, active users and the monitored accuracy per month;
- ``mapping.yaml``: which FOCUS rows belong to which cost line.

What moved against the approved forecast (the point forecast of the scenario):
requests 20% above it and prompts 25% longer (input tokens up 50%); the vector
store's price up 35% (a tier change); the GPU pool ran two nodes from February
instead of one (volume); ``user_training`` was not billed in the quarter.

Run: ``.venv/bin/python scripts/make_review_example.py`` (overwrites the files).
"""

from __future__ import annotations

import calendar
import csv
import json
from pathlib import Path

import numpy as np

import aiopex

HERE = Path(__file__).resolve().parents[1] / "data" / "actuals"
MONTHS = ["2027-01", "2027-02", "2027-03"]
SUB = "/subscriptions/5f1c0000-0000-4000-8000-00000000c1a1/resourceGroups/claims-prod"
COLUMNS = (
    "AvailabilityZone BilledCost BillingAccountId BillingAccountName BillingAccountType "
    "BillingCurrency BillingPeriodEnd BillingPeriodStart CapacityReservationId "
    "CapacityReservationStatus ChargeCategory ChargeClass ChargeDescription ChargeFrequency "
    "ChargePeriodEnd ChargePeriodStart CommitmentDiscountCategory CommitmentDiscountId "
    "CommitmentDiscountName CommitmentDiscountQuantity CommitmentDiscountStatus "
    "CommitmentDiscountType CommitmentDiscountUnit ConsumedQuantity ConsumedUnit ContractedCost "
    "ContractedUnitPrice EffectiveCost InvoiceId InvoiceIssuerName ListCost ListUnitPrice "
    "PricingCategory PricingCurrency PricingCurrencyContractedUnitPrice "
    "PricingCurrencyEffectiveCost PricingCurrencyListUnitPrice PricingQuantity PricingUnit "
    "ProviderName PublisherName RegionId RegionName ResourceId ResourceName ResourceType "
    "ServiceCategory ServiceName ServiceSubcategory SkuId SkuMeter SkuPriceDetails SkuPriceId "
    "SubAccountId SubAccountName SubAccountType Tags"
).split()


def baseline() -> dict[str, dict[str, tuple[float, float]]]:
    """Point quantity and amount per line and month of the approved scenario."""
    s = aiopex.load_scenario(HERE / "claims_assistant.yaml")
    r = aiopex.run(s)
    led = r.ledger
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for row in led[led["month"].isin(MONTHS)].itertuples():
        out.setdefault(row.line_item, {})[row.month] = (float(row.quantity), float(row.amount))
    out["_requests"] = {
        m: (float(q), 0.0) for m, q in zip(r.months, r.drivers["requests"], strict=False)
    }
    out["_users"] = {
        m: (float(q), 0.0) for m, q in zip(r.months, r.drivers["active_users"], strict=False)
    }
    return out


def days(month: str) -> list[str]:
    y, m = int(month[:4]), int(month[5:7])
    return [f"{month}-{d:02d}" for d in range(1, calendar.monthrange(y, m)[1] + 1)]


def split(total: float, n: int, rng: np.random.Generator) -> list[float]:
    """``total`` over ``n`` days, a little uneven, summing exactly (to 1e-6)."""
    w = rng.uniform(0.8, 1.2, n)
    parts = np.round(total * w / w.sum(), 6)
    parts[-1] = round(total - parts[:-1].sum(), 6)
    return parts.tolist()


def focus_row(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {c: "NULL" for c in COLUMNS}
    row.update(
        BillingAccountId="8611537", BillingAccountName="Contoso Insurance", BillingCurrency="USD",
        BillingAccountType="Billing Profile", SubAccountType="Subscription",
        ChargeFrequency="Usage-Based", ChargeCategory="Usage", PricingCategory="Standard",
        PricingCurrency="USD", InvoiceIssuerName="Microsoft", ProviderName="Microsoft",
        PublisherName="Microsoft", RegionId="westeurope", RegionName="West Europe",
        SubAccountId="5f1c0000-0000-4000-8000-00000000c1a1", SubAccountName="claims-prod",
    )  # fmt: skip
    row.update(kw)
    return row


def meter_rows(month: str, total_qty: float, price: float, rng: np.random.Generator,
               **kw: object) -> list[dict[str, object]]:  # fmt: skip
    rows = []
    y, m = int(month[:4]), int(month[5:7])
    nxt = f"{y + m // 12:04d}-{m % 12 + 1:02d}"
    for day, q in zip(days(month), split(total_qty, len(days(month)), rng), strict=True):
        cost = round(q * price, 6)
        rows.append(
            focus_row(
                ChargePeriodStart=f"{day}T00:00:00Z", ChargePeriodEnd=f"{day}T23:59:59Z",
                BillingPeriodStart=f"{month}-01T00:00:00Z", BillingPeriodEnd=f"{nxt}-01T00:00:00Z",
                PricingQuantity=q, ConsumedQuantity=q, ListUnitPrice=price, ContractedUnitPrice=price,
                BilledCost=cost, EffectiveCost=cost, ListCost=cost, ContractedCost=cost,
                PricingCurrencyEffectiveCost=cost, InvoiceId=f"G0{month.replace('-', '')}17",
                **kw,
            )  # fmt: skip
        )
    return rows


def main() -> None:
    b = baseline()
    rng = np.random.default_rng(2027)
    req = {m: b["_requests"][m][0] * 1.20 for m in MONTHS}
    users = {m: b["_users"][m][0] * 1.10 for m in MONTHS}
    rows: dict[str, list[dict[str, object]]] = {m: [] for m in MONTHS}
    tags = json.dumps({"team": "claims", "env": "prod", "costcenter": "CC-4410"})
    for m in MONTHS:
        qi, ai = b["llm_input_tokens"][m]
        qo, ao = b["llm_output_tokens"][m]
        rows[m] += meter_rows(
            m, qi * 1.20 * 1.25, ai / qi, rng, ServiceName="Azure OpenAI",
            ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI",
            SkuMeter="gpt-4o-0806 Inp glbl Tokens", PricingUnit="1K Tokens",
            ConsumedUnit="1K Tokens", ResourceId=f"{SUB}/providers/Microsoft.CognitiveServices/accounts/claims-aoai",
            ResourceName="claims-aoai", ResourceType="Cognitive Services account", Tags=tags,
            ChargeDescription="gpt-4o input tokens, global deployment",
        )  # fmt: skip
        rows[m] += meter_rows(
            m, qo * 1.20, ao / qo, rng, ServiceName="Azure OpenAI",
            ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI",
            SkuMeter="gpt-4o-0806 Outp glbl Tokens", PricingUnit="1K Tokens",
            ConsumedUnit="1K Tokens", ResourceId=f"{SUB}/providers/Microsoft.CognitiveServices/accounts/claims-aoai",
            ResourceName="claims-aoai", ResourceType="Cognitive Services account", Tags=tags,
            ChargeDescription="gpt-4o output tokens, global deployment",
        )  # fmt: skip
        qv, av = b["vector_store"][m]
        hours = 24 * len(days(m))
        rows[m] += meter_rows(
            m, float(hours), av / qv / hours * 1.35, rng, ServiceName="Azure AI Search",
            ServiceCategory="Databases", ServiceSubcategory="Search", SkuMeter="Standard S2 Unit",
            PricingUnit="1 Hour", ConsumedUnit="1 Hour",
            ResourceId=f"{SUB}/providers/Microsoft.Search/searchServices/claims-vectors",
            ResourceName="claims-vectors", ResourceType="Search service", Tags=tags,
            ChargeDescription="AI Search S2 unit hours",
        )  # fmt: skip
        rows[m] += meter_rows(  # another team's search service: no rule maps it
            m, float(hours), 0.35, rng, ServiceName="Azure AI Search",
            ServiceCategory="Databases", ServiceSubcategory="Search", SkuMeter="Basic Unit",
            PricingUnit="1 Hour", ConsumedUnit="1 Hour",
            ResourceId=f"{SUB}/providers/Microsoft.Search/searchServices/uw-search",
            ResourceName="uw-search", ResourceType="Search service",
            Tags=json.dumps({"team": "underwriting", "env": "prod"}),
            ChargeDescription="AI Search Basic unit hours",
        )  # fmt: skip
        qg, ag = b["reranker_gpu"][m]
        nodes = 1 if m == "2027-01" else 2  # the volume surge: a second node from February
        node_hours = 720.0 * nodes
        rows[m] += meter_rows(
            m, node_hours, ag / qg / 720.0, rng, ServiceName="Virtual Machines",
            ServiceCategory="Compute", ServiceSubcategory="Virtual Machines",
            SkuMeter="NC24ads A100 v4", PricingUnit="1 Hour", ConsumedUnit="1 Hour",
            ResourceId=f"{SUB}/providers/Microsoft.Compute/virtualMachineScaleSets/claims-reranker",
            ResourceName="claims-reranker", ResourceType="Virtual machine scale set", Tags=tags,
            ChargeDescription="NC24ads A100 v4 node hours (re-ranker pool)",
        )  # fmt: skip
        rows[m] += meter_rows(
            m, 40.0 + 10 * MONTHS.index(m), 2.76, rng, ServiceName="Log Analytics",
            ServiceCategory="Management and Governance", ServiceSubcategory="Observability",
            SkuMeter="Analytics Logs Data Ingestion", PricingUnit="1 GB", ConsumedUnit="1 GB",
            ResourceId=f"{SUB}/providers/Microsoft.OperationalInsights/workspaces/claims-logs",
            ResourceName="claims-logs", ResourceType="Log Analytics workspace", Tags=tags,
            ChargeDescription="Log data ingestion",
        )  # fmt: skip
    # a correction: January's search hours re-rated in March, counted in January
    rows["2027-03"].append(
        focus_row(
            ChargePeriodStart="2027-01-15T00:00:00Z", ChargePeriodEnd="2027-01-15T23:59:59Z",
            BillingPeriodStart="2027-03-01T00:00:00Z", BillingPeriodEnd="2027-04-01T00:00:00Z",
            ChargeClass="Correction", ServiceName="Azure AI Search", ServiceCategory="Databases",
            SkuMeter="Standard S2 Unit", PricingUnit="1 Hour", PricingQuantity=0.0,
            ResourceId=f"{SUB}/providers/Microsoft.Search/searchServices/claims-vectors",
            ResourceName="claims-vectors", Tags=tags, BilledCost=-120.0, EffectiveCost=-120.0,
            ListCost=-120.0, ContractedCost=-120.0, InvoiceId="G020270317",
            ChargeDescription="Re-rating of January unit hours",
        )  # fmt: skip
    )
    # a tax row on the March invoice
    rows["2027-03"].append(
        focus_row(
            ChargePeriodStart="2027-03-01T00:00:00Z", ChargePeriodEnd="2027-04-01T00:00:00Z",
            BillingPeriodStart="2027-03-01T00:00:00Z", BillingPeriodEnd="2027-04-01T00:00:00Z",
            ChargeCategory="Tax", ChargeFrequency="Recurring", ServiceName="Azure OpenAI",
            BilledCost=61.2, EffectiveCost=61.2, ListCost=61.2, ContractedCost=61.2,
            InvoiceId="G020270317", ChargeDescription="Sales tax",
        )  # fmt: skip
    )
    for m in MONTHS:
        last = days(m)[-1].replace("-", "")
        folder = HERE / "focus" / "claims-costs" / f"{m.replace('-', '')}01-{last}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "part_0_0001.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS, quoting=csv.QUOTE_MINIMAL)
            w.writeheader()
            w.writerows(rows[m])
    # costs no cloud bills: native actuals
    with (HERE / "other_costs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["month", "line", "amount", "quantity", "currency"])
        for m in MONTHS:
            for line in ("integration_hosting", "monitoring_platform", "monitoring_engineer",
                         "support_team", "quality_audit"):  # fmt: skip
                q, a = b[line][m]
                if line == "quality_audit":
                    q, a = req[m], req[m] * a / q
                w.writerow([m, line, round(a, 2), round(q, 4), "USD"])
        w.writerow(["2027-01", "claims_system_integration", 262000, 1, "USD"])
        w.writerow(["2027-01", "change_programme", 85000, 1, "USD"])
    with (HERE / "usage.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["month", "requests", "active_users", "accuracy"])
        for m, acc in zip(MONTHS, (0.90, 0.89, 0.84), strict=True):
            w.writerow([m, round(req[m]), round(users[m], 1), acc])
    print(f"wrote the review example under {HERE}")


if __name__ == "__main__":
    main()
