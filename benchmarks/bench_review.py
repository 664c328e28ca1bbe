"""Quarterly review benchmarks, as ratios against a baseline measured in the same run.

1. FOCUS ingest: a generated 44-column FOCUS 1.2 export of 1,000,000 and of 5,000,000
   rows, as CSV.gz and as Parquet, to monthly actuals per line
   (:func:`aiopex.inputs.focus.read_focus`, mapping rules included) against DuckDB's
   own ``GROUP BY`` over the same file of the same keys (the columns the rules name, the
   charge's category, class and commitment status, unit, currency, billing period and
   month: what the review's actuals depend on) with the same sums (``EQUAL_KEYS``);
   medians of interleaved pairs. Target: at most 1.2x on each.
2. Peak memory of that ingest at 5,000,000 rows, measured in a subprocess
   (``ru_maxrss`` of the child). Target: at most 600 MB.
3. A review of one system and quarter (1M-row export; baseline, variance,
   re-forecast, review.json, workbook, notebook and HTML) against ingest plus one
   budget report (``aiopex run`` of one scenario). Target: at most 1.5x.

Generated files live in a temporary folder, removed at the end. Prints one JSON
line per figure (benchmarks/figure.py: ratio, target, met). ``--rows`` and ``--big-rows`` scale the files down for a quick look.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figure import emit, emit_value, paired

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "actuals" / "claims_assistant.yaml"
MAPPING = ROOT / "data" / "actuals" / "mapping.yaml"

# 44 FOCUS 1.2 columns: what a provider's export carries, most of it unused by the review
_TEXT = [
    "AvailabilityZone", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "ChargeDescription", "ChargeFrequency", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedUnit", "InvoiceId", "InvoiceIssuerName", "PricingCategory", "PricingCurrency",
    "PublisherName", "RegionId", "RegionName", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuPriceId", "SubAccountId",
    "SubAccountName", "SubAccountType",
]  # fmt: skip


def generate(path: Path, rows: int) -> None:
    """A FOCUS 1.2 CSV.gz of ``rows`` rows and 44 columns, written by DuckDB."""
    import duckdb

    services = "['Azure OpenAI', 'Azure AI Search', 'Virtual Machines', 'Log Analytics', 'Storage']"
    meters = "['gpt-4o Inp glbl Tokens', 'gpt-4o Outp glbl Tokens', 'Standard S2 Unit', 'NC24ads A100 v4', 'Data Ingestion']"
    text = ", ".join(f"'{c[:3]}-' || (i % 97) AS {c}" for c in _TEXT)
    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT
          ({services})[1 + i % 5] AS ServiceName,
          ({meters})[1 + (i // 5) % 5] AS SkuMeter,
          'Microsoft' AS ProviderName,
          strftime(TIMESTAMP '2027-01-01' + INTERVAL (i % 90) DAY, '%Y-%m-%dT%H:%M:%SZ')
              AS ChargePeriodStart,
          strftime(TIMESTAMP '2027-01-01' + INTERVAL (i % 90) DAY + INTERVAL 1 DAY,
              '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
          '2027-01-01T00:00:00Z' AS BillingPeriodStart,
          '2027-04-01T00:00:00Z' AS BillingPeriodEnd,
          CASE WHEN i % 1000 = 0 THEN 'Tax' ELSE 'Usage' END AS ChargeCategory,
          CASE WHEN i % 5000 = 1 THEN 'Correction' ELSE 'NULL' END AS ChargeClass,
          'USD' AS BillingCurrency,
          round((i % 1000) / 100.0, 6) AS BilledCost,
          round((i % 1000) / 100.0, 6) AS EffectiveCost,
          round((i % 1000) / 90.0, 6) AS ListCost,
          round((i % 1000) / 100.0, 6) AS ContractedCost,
          round((i % 713) * 1.5, 6) AS PricingQuantity,
          (['1K Tokens', '1K Tokens', '1 Hour', '1 Hour', '1 GB'])[1 + (i // 5) % 5] AS PricingUnit,
          '/subscriptions/x/rg/claims-' || (i % 7) AS ResourceId,
          '{{"team": "' || CASE WHEN i % 3 = 0 THEN 'claims' ELSE 'other' END || '"}}' AS Tags,
          {text}
        FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT csv, HEADER, COMPRESSION gzip)"""
    )
    con.close()


def _mapping(tmp: Path) -> Path:
    p = tmp / "map.yaml"
    p.write_text(
        "rules:\n"
        "  - line: llm_input_tokens\n"
        '    match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Inp.*Tokens"}\n'
        "  - line: llm_output_tokens\n"
        '    match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Outp.*Tokens"}\n'
        "  - line: vector_store\n"
        '    match: {ServiceName: "Azure AI Search", "Tags.team": claims}\n'
        "    quantity_scale: 0.0013888888888888889\n"
        "  - line: reranker_gpu\n"
        '    match: {ServiceName: "Virtual Machines"}\n'
        "    quantity_scale: 0.0013888888888888889\n"
    )
    return p


def _lines() -> set[str]:
    return {"llm_input_tokens", "llm_output_tokens", "vector_store", "reranker_gpu"}


def _drivers() -> dict[str, str]:
    """The lines' drivers in data/actuals/claims_assistant.yaml (PricingUnit conversion)."""
    return {
        "llm_input_tokens": "per_1k_input_tokens",
        "llm_output_tokens": "per_1k_output_tokens",
        "vector_store": "fixed",
        "reranker_gpu": "capacity",
    }


def ingest(path: Path, mapping: Path) -> float:
    from aiopex.inputs.focus import read_focus
    from aiopex.inputs.mapping import load_mapping

    t0 = time.perf_counter()
    read_focus([path], mapping=load_mapping(mapping, _lines()), currency="USD", lines=_drivers())
    return time.perf_counter() - t0


#: What the review's actuals depend on in the generated export, each a raw column: the
#: columns the mapping's rules name (ServiceName, SkuMeter, Tags), the charge's category,
#: class and commitment status (buckets, corrections, unused commitment), the unit, the
#: currency and the billing period. A GROUP BY on fewer keys is less work than ours.
EQUAL_KEYS = (
    "ServiceName", "SkuMeter", "Tags", "ChargeCategory", "ChargeClass",
    "CommitmentDiscountStatus", "PricingUnit", "BillingCurrency", "BillingPeriodStart",
)  # fmt: skip


def duckdb_group_by(path: Path, keys: tuple[str, ...] = EQUAL_KEYS) -> float:
    """DuckDB on its own: the same file, sniffed types, one GROUP BY of ``keys`` and the
    month of ``ChargePeriodStart``, with the sums the review needs (EffectiveCost,
    BilledCost, PricingQuantity, rows). ``keys=("ServiceName",)`` is the lighter
    service-by-month baseline this benchmark used before (4 of the columns read)."""
    import duckdb

    src = (
        f"read_parquet('{path}')"
        if path.suffix == ".parquet"
        else f"read_csv('{path}', nullstr='NULL')"
    )
    sums = (
        "sum(EffectiveCost), sum(PricingQuantity), count(*)"
        if keys == ("ServiceName",)
        else "sum(EffectiveCost), sum(BilledCost), sum(PricingQuantity), count(*)"
    )
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""SELECT {", ".join(keys)},
                   strftime(CAST(ChargePeriodStart AS TIMESTAMPTZ), '%Y-%m') AS month, {sums}
            FROM {src} GROUP BY ALL"""
    ).fetchall()
    con.close()
    return time.perf_counter() - t0


def to_parquet(csv: Path, parquet: Path) -> None:
    """The same export as Parquet (text columns as VARCHAR, numbers as DOUBLE), as a
    provider writes it."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE (CAST(BilledCost AS DOUBLE) AS BilledCost,
                  CAST(EffectiveCost AS DOUBLE) AS EffectiveCost,
                  CAST(ListCost AS DOUBLE) AS ListCost,
                  CAST(ContractedCost AS DOUBLE) AS ContractedCost,
                  CAST(PricingQuantity AS DOUBLE) AS PricingQuantity)
            FROM read_csv('{csv}', all_varchar=true))
            TO '{parquet}' (FORMAT parquet)"""
    )
    con.close()


def ingest_figures(tmp: Path, rows: list[int], pairs: int) -> None:
    """FOCUS ingest against DuckDB's GROUP BY: CSV.gz and Parquet at each size."""
    mapping = _mapping(tmp)
    for n in rows:
        csv = tmp / f"focus_{n}.csv.gz"
        generate(csv, n)
        parquet = tmp / f"focus_{n}.parquet"
        to_parquet(csv, parquet)
        for path, fmt in ((csv, "csv.gz"), (parquet, "parquet")):
            ingest(path, mapping)  # warm the import and the page cache
            duckdb_group_by(path)
            ratio, ours, duck = paired(
                lambda p=path: ingest(p, mapping), lambda p=path: duckdb_group_by(p), pairs
            )
            emit("focus_ingest", ratio, 1.2, format=fmt, rows=n, columns=44,
                 aiopex_s=round(ours, 3), duckdb_group_by_s=round(duck, 3),
                 baseline="GROUP BY " + ", ".join(EQUAL_KEYS) + ", month", pairs=pairs,
                 load=round(os.getloadavg()[0], 1))  # fmt: skip
        parquet.unlink()
        if n != rows[0]:
            csv.unlink()


def peak_memory(path: Path, mapping: Path) -> float:
    """MB: the peak resident memory of a child process that only ingests ``path``."""
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from bench_review import ingest\n"
        "ingest(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(mapping), str(Path(__file__).parent)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def review_vs_budget(tmp: Path, export: Path) -> dict[str, float]:
    """One review of a quarter against ingest plus one budget report."""
    from aiopex.cli import main

    bdir = tmp / "baselines"
    assert main(["baseline", str(SCENARIO), "--as-of", "2026-12", "--draws", "1000",
                 "--seed", "1", "--out", str(bdir)]) == 0  # fmt: skip
    other = ROOT / "data" / "actuals" / "other_costs.csv"
    t0 = time.perf_counter()
    rc = main(["review", "--baseline", str(bdir / "claims_assistant" / "2026-12"),
               "--actuals", str(export), str(other), "--map", str(_mapping(tmp)),
               "--period", "2027-Q1", "--out", str(tmp / "review")])  # fmt: skip
    t_review = time.perf_counter() - t0
    assert rc == 0, rc
    t_ingest = ingest(export, _mapping(tmp))
    t0 = time.perf_counter()
    assert main(["run", str(SCENARIO), "--out", str(tmp / "budget"), "--draws", "1000",
                 "--seed", "1", "--jobs", "1"]) == 0  # fmt: skip
    t_budget = time.perf_counter() - t0
    return {"review_s": t_review, "ingest_s": t_ingest, "budget_report_s": t_budget,
            "ratio": t_review / (t_ingest + t_budget)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big-rows", type=int, default=5_000_000)
    ap.add_argument("--skip", nargs="*", default=[], choices=["ingest", "memory", "review"])
    ap.add_argument("--pairs", type=int, default=3, help="interleaved pairs per ingest figure")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiopex-bench-") as d:
        tmp = Path(d)
        export = tmp / f"focus_{args.rows}.csv.gz"
        generate(export, args.rows)
        mapping = _mapping(tmp)
        if "ingest" not in args.skip:
            ingest_figures(tmp, [args.rows, args.big_rows], args.pairs)
        if "memory" not in args.skip:
            big = tmp / "focus_big.csv.gz"
            generate(big, args.big_rows)
            mb = peak_memory(big, mapping)
            emit_value("focus_peak_memory", mb, "MB", 600, rows=args.big_rows)
            big.unlink()
        if "review" not in args.skip:
            r = review_vs_budget(tmp, export)
            emit("review_quarter", r.pop("ratio"), 1.5, rows=args.rows,
                 **{k: round(v, 3) for k, v in r.items()})  # fmt: skip


if __name__ == "__main__":
    main()
