"""The FOCUS specification's own sample files (tests/data/focus/, sources in its README),
read as a system owner would, with the amounts stated by hand from the files' rows.

Some samples lack columns the review needs (``BillingCurrency``, ``ServiceName``): they
are refused as they are, and read with those two columns added (``with_columns``),
which changes no amount.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from aiopex.errors import DataError
from aiopex.inputs.actuals_reader import read_actuals
from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import load_mapping
from aiopex.model import variance as V  # noqa: N812
from aiopex.model.reconciliation import PARTS, reconcile

DATA = Path(__file__).parent / "data" / "focus"
PER_TOKEN = DATA / "ai_billing" / "per_token_foundation_model_api.csv"
DRAWDOWN = DATA / "ai_billing" / "drawdown_via_prepayment_foundation_model_api.csv"
OPEN = DATA / "correction-handling" / "open-billing-period-current"
ORIGINAL = OPEN / "scenario_1_partial_reallocation_original.csv"
REPLACEMENT = OPEN / "scenario_1_partial_reallocation_replacement.csv"
CLOSED = DATA / "correction-handling" / "closed-billing-period"
LATE = CLOSED / "scenario_2_late_arriving_usage_delta.csv"
UNUSED = (
    DATA
    / "commitment_discount_flexibility"
    / "zero_percent_utilization_without_commitment_discount_flexibility.csv"
)
TOKENS = {"llm_input_tokens": "per_1k_input_tokens", "llm_output_tokens": "per_1k_output_tokens"}


def mapping(tmp: Path, text: str, lines: dict[str, str]):
    p = tmp / "map.yaml"
    p.write_text(text)
    return load_mapping(p, set(lines))


def rewrite(src: Path, dest: Path, change) -> Path:  # noqa: ANN001
    """A copy of ``src`` with each row (a dict) passed through ``change``."""
    rows = list(csv.DictReader(io.StringIO(src.read_text(encoding="utf-8"), newline="")))
    rows = [change(dict(r)) for r in rows]
    rows = [r for r in rows if r is not None]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(out.getvalue())
    return dest


def with_columns(src: Path, dest: Path, service: str = "Compute") -> Path:
    """``src`` with the two columns the review needs that some samples lack."""
    return rewrite(src, dest, lambda r: {**r, "BillingCurrency": "USD", "ServiceName": service})


def split(A: float, Qa: float, B: float, Qb: float) -> dict[str, float]:
    item = V.LineInput("llm_input_tokens", "compute", "per_1k_input_tokens", B, Qb, A, Qa,
                       np.array([B]))  # fmt: skip
    return V.line_rows([item], None, None)[0]


# -- units: the per-token sample -------------------------------------------------------------


def test_per_token_sample_converts_million_tokens_to_the_lines_unit(tmp_path: Path) -> None:
    """8.40 at '1000000 Tokens' is 8,400,000 tokens: 8,400 for a per-1k token line, without
    any quantity_scale. Against a baseline of 7,000k tokens at 0.004 (28.00), the +14.00
    variance splits into volume +5.60 and price +8.40 (it was -27.97 and +41.97)."""
    m = mapping(
        tmp_path,
        "rules:\n"
        "  - line: llm_input_tokens\n"
        '    match: {ServiceName: "Solora Generative AI API", SkuMeter: "Input Tokens"}\n'
        "  - line: llm_output_tokens\n"
        '    match: {"SkuPriceDetails.TokenType": Output, PrincipalId: "person1@example.com"}\n',
        TOKENS,
    )
    a = read_focus([PER_TOKEN], mapping=m, currency="USD", lines=TOKENS)
    got = a.lines.set_index("line")
    assert got.loc["llm_input_tokens", "amount"] == 42.00
    assert got.loc["llm_input_tokens", "quantity"] == pytest.approx(8400.0)
    assert got.loc["llm_output_tokens", "quantity"] == pytest.approx(2100.0)  # 2.10 M tokens
    row = split(42.00, got.loc["llm_input_tokens", "quantity"], B=28.00, Qb=7000.0)
    assert row["variance"] == pytest.approx(14.00)
    assert row["volume"] == pytest.approx(5.60) and row["price"] == pytest.approx(8.40)
    assert a.quality["focus_version"] == "1.3"
    conv = {c["line"]: c for c in a.quality["conversions"]}
    assert conv["llm_input_tokens"]["unit"] == "1000000 Tokens"
    assert conv["llm_input_tokens"]["conversion"].startswith("x 1000 ")
    # the old docs example ('PricingQuantity is already in 1k tokens', quantity_scale 1.0)
    # says the unit is 1k tokens: the reader does what the rule says
    m1 = mapping(
        tmp_path,
        "rules:\n  - line: llm_input_tokens\n    match: {SkuMeter: Input Tokens}\n"
        "    quantity_scale: 1.0\n",
        TOKENS,
    )
    b = read_focus([PER_TOKEN], mapping=m1, currency="USD", lines=TOKENS)
    wrong = split(42.00, float(b.lines["quantity"].iloc[0]), B=28.00, Qb=7000.0)
    assert round(wrong["volume"], 2) == -27.97 and round(wrong["price"], 2) == 41.97


def test_a_unit_that_cannot_be_converted_needs_quantity_scale(tmp_path: Path) -> None:
    """Tokens onto a capacity line: no silent factor; the rule, unit and line are named."""
    lines = {"gpu": "capacity", **TOKENS}
    m = mapping(tmp_path, "rules:\n  - line: gpu\n    match: {SkuMeter: Input Tokens}\n", lines)
    with pytest.raises(DataError) as e:
        read_focus([PER_TOKEN], mapping=m, currency="USD", lines=lines)
    msg = str(e.value)
    assert "rules[0]" in msg and "'1000000 Tokens'" in msg and "line gpu" in msg
    assert "quantity_scale" in msg


def test_a_us_style_date_is_refused(tmp_path: Path) -> None:
    """'4/1/25' (an export re-saved by a spreadsheet) was read as the year 0004."""
    bad = rewrite(
        PER_TOKEN, tmp_path / "resaved.csv", lambda r: {**r, "ChargePeriodStart": "4/1/25"}
    )
    m = mapping(tmp_path, "rules:\n  - line: llm_input_tokens\n    match: {SkuMeter: x}\n", TOKENS)
    with pytest.raises(DataError) as e:
        read_focus([bad], mapping=m, currency="USD", lines=TOKENS)
    msg = str(e.value)
    assert f"{bad}: row 2, ChargePeriodStart: expected an ISO 8601 date-time" in msg
    assert "got '4/1/25'" in msg and "row 3, ChargePeriodStart" in msg


def test_a_credit_with_the_lines_meter_is_not_a_price_cut(tmp_path: Path) -> None:
    """A -10.00 credit carrying 'Input Tokens' went into the line (price +8.40 became
    -1.60): a rule without ChargeCategory matches Usage rows only."""

    def add_credit(r: dict[str, str]) -> dict[str, str]:
        return r

    rows = list(csv.DictReader(io.StringIO(PER_TOKEN.read_text(), newline="")))
    credit = {**rows[0], "ChargeCategory": "Credit", "BilledCost": "-10.00",
              "EffectiveCost": "-10.00", "ListCost": "0", "ContractedCost": "-10.00",
              "PricingQuantity": "", "ChargeDescription": "Service credit"}  # fmt: skip
    f = tmp_path / "with_credit.csv"
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows([*rows, credit])
    f.write_text(out.getvalue())
    rule = "rules:\n  - line: llm_input_tokens\n    match: {SkuMeter: Input Tokens}\n"
    m = mapping(tmp_path, rule, TOKENS)
    a = read_focus([f], mapping=m, currency="USD", lines=TOKENS)
    line = a.lines.set_index("line").loc["llm_input_tokens"]
    assert line["amount"] == 42.00 and line["quantity"] == pytest.approx(8400.0)
    assert a.buckets.set_index("bucket").loc["Credit", "amount"] == -10.00
    row = split(line["amount"], line["quantity"], B=28.00, Qb=7000.0)
    assert row["price"] == pytest.approx(8.40)
    # a rule that names the category takes the credit onto the line
    m2 = mapping(
        tmp_path,
        "rules:\n  - line: llm_input_tokens\n"
        "    match: {SkuMeter: Input Tokens, ChargeCategory: '~Usage|Credit'}\n",
        TOKENS,
    )
    b = read_focus([f], mapping=m2, currency="USD", lines=TOKENS)
    assert b.lines["amount"].sum() == pytest.approx(32.00) and b.buckets.empty


# -- purchases and commitments ----------------------------------------------------------------


def test_prepayment_is_a_purchase_not_a_line(tmp_path: Path) -> None:
    """The 500,000 prepayment was 'unmapped 0.00' (effective) or unmapped cost (billed);
    a catch-all rule made it +499,972 'unexplained' on the input line."""
    m = mapping(
        tmp_path,
        "rules:\n  - line: llm_input_tokens\n"
        '    match: {ServiceName: "Solora Generative AI API"}\n',  # a catch-all
        TOKENS,
    )
    eff = read_focus([DRAWDOWN], mapping=m, currency="USD", lines=TOKENS)
    line = eff.lines.set_index("line").loc["llm_input_tokens"]
    assert line["amount"] == pytest.approx(20.00 + 30.00)  # the drawn-down usage
    assert line["quantity"] == pytest.approx(5000.0 + 1500.0)
    assert eff.buckets.set_index("bucket").loc["Purchase", "amount"] == 0.00  # amortized
    billed = read_focus([DRAWDOWN], mapping=m, currency="USD", lines=TOKENS, cost_basis="billed")
    assert billed.buckets.set_index("bucket").loc["Purchase", "amount"] == 500_000.00
    assert billed.unmapped.empty and billed.lines["amount"].sum() == 0.00
    r = reconcile(billed.detail, ["2025-05"])
    assert r["invoice_total"] == 500_000.00 and r["purchases"] == 500_000.00
    assert r["lines"] == 0.00 and sum(r[p] for p in PARTS) == r["invoice_total"]
    assert r["rows"]["purchases"] == 1 and r["rows"]["lines"] == 2
    r_eff = reconcile(eff.detail, ["2025-05"])  # BilledCost, whatever the cost basis
    assert r_eff["invoice_total"] == 500_000.00
    assert r_eff["basis_difference"] == pytest.approx(50.00)  # effective 50, billed 0


def test_unused_commitment_has_its_bucket(tmp_path: Path) -> None:
    """The zero-utilization sample: the commitment's Unused hour (effective 1.50) is
    unused_commitment, never on a line, even under a catch-all rule; the purchase is
    1.50 billed; the on-demand medium VM is 2.00. The sample lacks BillingCurrency and
    ServiceName: refused as it is."""
    lines = {"vm": "capacity"}
    m = mapping(
        tmp_path, "rules:\n  - line: vm\n    match: {ServiceName: Compute}\n"
        "    quantity_scale: 1.0\n", lines)  # fmt: skip
    with pytest.raises(DataError, match="missing FOCUS columns: BillingCurrency, ServiceName"):
        read_focus([UNUSED], mapping=m, currency="USD", lines=lines)
    f = with_columns(UNUSED, tmp_path / "unused.csv")
    a = read_focus([f], mapping=m, currency="USD", lines=lines)
    assert a.unused.set_index("commitment").loc["<commitment-discount-id>", "amount"] == 1.50
    assert a.lines["amount"].sum() == 2.00  # the medium VM only
    assert a.buckets.set_index("bucket").loc["Purchase", "amount"] == 0.00
    assert any("no ChargeClass" in n for n in a.quality["notes"])
    r = reconcile(a.detail, ["2023-01"])
    assert r["invoice_total"] == pytest.approx(1.50 + 2.00)  # BilledCost: purchase + VM
    assert r["purchases"] == 1.50 and r["lines"] == 2.00 and r["unused_commitment"] == 0.00
    assert r["rows"]["unused_commitment"] == 1


# -- deliveries and corrections ---------------------------------------------------------------


def test_a_restated_export_is_counted_once(tmp_path: Path) -> None:
    """The original export (R-111: 1,500, exported 2025-07-04) and its replacement for the
    same open billing period (R-111: 1,200, R-222: 300, exported 2025-07-05) were added:
    2,700 on R-111's line instead of 1,200."""
    lines = {"r111": "capacity"}
    m = mapping(tmp_path, "rules:\n  - line: r111\n    match: {ResourceId: R-111}\n"
                "    quantity_scale: 1.0\n", lines)  # fmt: skip
    with pytest.raises(DataError, match="missing FOCUS columns: BillingCurrency, ServiceName"):
        read_focus([ORIGINAL], mapping=m, currency="USD", lines=lines)
    d = tmp_path / "exports"
    orig = with_columns(ORIGINAL, d / ORIGINAL.name)
    repl = with_columns(REPLACEMENT, d / REPLACEMENT.name)
    a = read_focus([d], mapping=m, currency="USD", lines=lines)
    assert a.lines["amount"].sum() == 1_200.00 and a.lines["quantity"].sum() == 800.0
    assert a.unmapped["amount"].sum() == 300.00
    (sup,) = a.quality["superseded_exports"]
    assert sup["delivery"] == str(orig) and sup["replaced_by"] == [str(repl)]
    assert sup["billing_period"] == "2025-07" and sup["rows"] == 1 and sup["amount"] == 1_500.0
    assert reconcile(a.detail, ["2025-07"])["invoice_total"] == 1_500.00
    # declared incremental: every delivery is added
    inc = mapping(tmp_path, (tmp_path / "map.yaml").read_text() + "exports: incremental\n", lines)
    assert (
        read_focus([d], mapping=inc, currency="USD", lines=lines).lines["amount"].sum() == 2_700.0
    )
    # without export times they cannot be ordered: refused, both named
    for f in (orig, repl):
        rewrite(f, f, lambda r: {k: v for k, v in r.items() if k != "x_ExportDateTime"})
    with pytest.raises(DataError) as e:
        read_focus([d], mapping=m, currency="USD", lines=lines)
    assert str(orig) in str(e.value) and str(repl) in str(e.value)
    assert "exports: incremental" in str(e.value)


def test_a_run_folder_is_one_delivery_dated_by_its_manifest(tmp_path: Path) -> None:
    """Two Azure-style runs of one billing period side by side, each a folder of parts
    with a manifest (no x_ExportDateTime in the rows): the later run stands, its parts
    added."""
    lines = {"compute": "capacity"}
    m = mapping(tmp_path, "rules:\n  - line: compute\n    match: {ServiceName: Compute}\n"
                "    quantity_scale: 1.0\n", lines)  # fmt: skip
    root = tmp_path / "export" / "20250701-20250731"
    runs = {
        "run-a": ("2025-07-04T01:00:00Z", ORIGINAL),
        "run-b": ("2025-07-05T01:00:00Z", REPLACEMENT),
    }
    for run, (when, src) in runs.items():
        folder = root / run
        full = with_columns(src, tmp_path / f"{run}.csv")
        for i, res in enumerate(("R-111", "R-222")):
            part = folder / f"part_0_000{i + 1}.csv"
            rows = [
                r for r in csv.DictReader(io.StringIO(full.read_text())) if r["ResourceId"] == res
            ]
            if rows:
                rewrite(full, part, lambda r, res=res: (
                    {k: v for k, v in r.items() if k != "x_ExportDateTime"}
                    if r["ResourceId"] == res else None))  # fmt: skip
        manifest = {"runInfo": {"submittedTime": when, "runId": run}}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    assert len(list(root.rglob("part_*.csv"))) == 3
    a = read_focus([tmp_path / "export"], mapping=m, currency="USD", lines=lines)
    assert a.lines["amount"].sum() == 1_500.00  # run-b: 1,200 + 300, not 3,000
    # the same through read_actuals (the review's reader), which picks the FOCUS files
    b = read_actuals([tmp_path / "export"], mapping=m, currency="USD", lines=lines)
    assert b.lines["amount"].sum() == 1_500.00
    (sup,) = a.quality["superseded_exports"]
    assert sup["delivery"] == str((root / "run-a").resolve())
    assert sup["export_time"] == "2025-07-04T01:00:00Z" and sup["amount"] == 1_500.00


def test_aws_data_exports_runs_are_deliveries_by_their_metadata_manifests(
    tmp_path: Path,
) -> None:
    """AWS Data Exports with "create new" write each run of a billing period in a folder
    of its own (its path holds the execution id; here ``data/BILLING_PERIOD=2025-07/<run>/``)
    and its ``<export>-Manifest.json`` in the same path under ``metadata/``. Two runs of July
    side by side were one delivery (the partition folder) and added: 3,000 instead of the
    later run's 1,500."""
    lines = {"compute": "capacity"}
    m = mapping(tmp_path, "rules:\n  - line: compute\n    match: {ServiceName: Compute}\n"
                "    quantity_scale: 1.0\n", lines)  # fmt: skip
    export = tmp_path / "focus-export"
    for run, src in (("exec-a", ORIGINAL), ("exec-b", REPLACEMENT)):
        data = export / "data" / "BILLING_PERIOD=2025-07" / run
        with_columns(src, data / "focus-export-00001.csv")
        meta = export / "metadata" / "BILLING_PERIOD=2025-07" / run
        meta.mkdir(parents=True)
        manifest = {"executionId": run, "exportArn": "arn:aws:bcm-data-exports::1:export/x",
                    "dataFiles": [f"s3://b/focus-export/data/BILLING_PERIOD=2025-07/{run}/"
                                  "focus-export-00001.csv"]}  # fmt: skip
        (meta / "focus-export-Manifest.json").write_text(json.dumps(manifest))
    # the rows' x_ExportDateTime orders the runs: the later one stands
    a = read_focus([export / "data"], mapping=m, currency="USD", lines=lines)
    assert a.lines["amount"].sum() == 1_500.00  # exec-b: 1,200 + 300
    (sup,) = a.quality["superseded_exports"]
    assert sup["delivery"].endswith("exec-a") and sup["amount"] == 1_500.00
    # without an export time the two runs cannot be ordered: refused, both named
    for f in export.rglob("*.csv"):
        rewrite(f, f, lambda r: {k: v for k, v in r.items() if k != "x_ExportDateTime"})
    with pytest.raises(DataError) as e:
        read_focus([export / "data"], mapping=m, currency="USD", lines=lines)
    assert "exec-a" in str(e.value) and "exec-b" in str(e.value)


def test_corrections_of_a_closed_month_are_in_the_invoices_period(tmp_path: Path) -> None:
    """Late-arriving May usage (1,500) billed on the June invoice: the review of June shows
    it in prior_periods (by service month) and in corrections with both months; June's
    invoice total ties to the cent; the review of May's service month counts it in May."""
    lines = {"compute": "capacity"}
    m = mapping(tmp_path, "rules:\n  - line: compute\n    match: {SkuId: USG-123}\n"
                "    quantity_scale: 1.0\n", lines)  # fmt: skip
    f = with_columns(LATE, tmp_path / "late.csv")
    a = read_focus([f], mapping=m, currency="USD", lines=lines)
    assert a.lines.set_index("month").loc["2025-05", "amount"] == 1_500.00
    (c,) = a.corrections.to_dict("records")
    assert (c["line"], c["month"], c["billing_month"], c["amount"]) == (
        "compute", "2025-05", "2025-06", 1_500.0)  # fmt: skip
    r = reconcile(a.detail, ["2025-06"])
    assert r["invoice_total"] == 1_500.00 and r["prior_periods"] == 1_500.00
    assert r["prior_periods_by_month"] == {"2025-05": 1_500.00}
    assert r["lines"] == 0.00 and round(sum(r[p] for p in PARTS), 2) == 1_500.00
    may = reconcile(a.detail, ["2025-05"])  # no invoice of May in these files
    assert may["invoice_total"] == 0.00 and may["billed_later"] == 1_500.00


# -- prompt caching, model identity, marketplace ----------------------------------------------

CACHING = DATA / "ai_prompt_caching" / "ai_prompt_caching_a.csv"
IDENTITY = DATA / "ai_model_identity" / "ai_model_identity_a.csv"
MARKETPLACE = DATA / "ai_billing" / "multi_model_invoice_via_csp_marketplace.csv"


def test_prompt_caching_sample_cached_tokens_on_their_own_line(tmp_path: Path) -> None:
    """Cache reads (8.0 M tokens, 2.40) on their own line by SkuPriceDetails.TokenCacheAction;
    uncached and cache-write input (0.5 + 2.0 M tokens, 1.50 + 7.50) on the input line;
    output 1.5 M tokens, 22.50. The January invoice: 33.90, all on lines."""
    lines = {**TOKENS, "llm_cached_input": "per_1k_input_tokens"}
    m = mapping(
        tmp_path,
        "rules:\n"
        '  - line: llm_cached_input\n    match: {"SkuPriceDetails.TokenCacheAction": Read}\n'
        '  - line: llm_input_tokens\n    match: {"SkuPriceDetails.TokenDirection": Input}\n'
        '  - line: llm_output_tokens\n    match: {"SkuPriceDetails.TokenDirection": Output}\n',
        lines,
    )
    a = read_focus([CACHING], mapping=m, currency="USD", lines=lines)
    got = a.lines.set_index("line")
    assert got.loc["llm_cached_input", "amount"] == pytest.approx(2.40)
    assert got.loc["llm_cached_input", "quantity"] == pytest.approx(8_000.0)
    assert got.loc["llm_input_tokens", "amount"] == pytest.approx(9.00)
    assert got.loc["llm_input_tokens", "quantity"] == pytest.approx(2_500.0)
    assert got.loc["llm_output_tokens", "quantity"] == pytest.approx(1_500.0)
    r = reconcile(a.detail, ["2025-01"])
    assert r["invoice_total"] == pytest.approx(33.90) and r["lines"] == pytest.approx(33.90)
    assert a.quality["focus_version"] == "1.3" and a.unmapped.empty


def test_model_identity_sample_by_model_id(tmp_path: Path) -> None:
    """Rules on SkuPriceDetails.ModelId: input 5.0 M tokens (15.00), output 1.5 M (22.50)."""
    m = mapping(
        tmp_path,
        "rules:\n"
        "  - line: llm_input_tokens\n"
        '    match: {"SkuPriceDetails.ModelId": solora-reasoning-pro, SkuMeter: Input Tokens}\n'
        "  - line: llm_output_tokens\n"
        '    match: {"SkuPriceDetails.ModelId": solora-reasoning-pro, SkuMeter: Output Tokens}\n',
        TOKENS,
    )
    a = read_focus([IDENTITY], mapping=m, currency="USD", lines=TOKENS)
    got = a.lines.set_index("line")
    assert got.loc["llm_input_tokens", "amount"] == 15.00
    assert got.loc["llm_input_tokens", "quantity"] == pytest.approx(5_000.0)
    assert got.loc["llm_output_tokens", "amount"] == 22.50
    assert reconcile(a.detail, ["2025-01"])["invoice_total"] == pytest.approx(37.50)


def test_marketplace_invoice_by_model_and_principal(tmp_path: Path) -> None:
    """A marketplace invoice (issuer LatticeScale) of three models: one line per model by
    SkuPriceDetails.ModelId, the team by PrincipalId. Jupiter 2,000.00 for 150 M tokens,
    Mars 35.00 for 6.5 M, Venus 2.36 for 1.18 M; the May invoice 2,037.36."""
    lines = {"jupiter": "per_1k_input_tokens", "mars": "per_1k_input_tokens",
             "venus": "per_1k_input_tokens"}  # fmt: skip
    rules = "rules:\n" + "".join(
        f'  - line: {k}\n    match: {{"SkuPriceDetails.ModelId": solora-atlas-5.6-{k}, '
        'PrincipalId: "invoiceprocessing@acmecorp.example"}\n'
        for k in lines
    )
    m = mapping(tmp_path, rules, lines)
    a = read_focus([MARKETPLACE], mapping=m, currency="USD", lines=lines)
    got = a.lines.set_index("line")
    assert got.loc["jupiter", "amount"] == pytest.approx(2_000.00)
    assert got.loc["jupiter", "quantity"] == pytest.approx(150_000.0)
    assert got.loc["mars", "amount"] == pytest.approx(35.00)
    assert got.loc["mars", "quantity"] == pytest.approx(6_500.0)
    assert got.loc["venus", "amount"] == pytest.approx(2.36)
    assert got.loc["venus", "quantity"] == pytest.approx(1_180.0)
    r = reconcile(a.detail, ["2025-05"])
    assert round(r["invoice_total"], 2) == 2_037.36 and round(r["lines"], 2) == 2_037.36
