"""The FOCUS reader's grouping against a plain row-by-row reference written here in pandas
(docs/review.md, "Mapping real exports"): on a generated export with many distinct key
tuples (services, meters, tags, categories, classes, commitment statuses, units, months),
as CSV, CSV.gz and Parquet, every line, bucket, unmapped service and unused commitment
holds the amounts and row counts of the rows the rules send there; and a folder of
several files read twice gives the same numbers to the last bit."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import load_mapping

LINES = {"tokens_in": "fixed", "tokens_out": "fixed", "search": "fixed", "gpu": "fixed"}
#: (line, {column: value}) in order; "~" is a regular expression, as in a mapping file
RULES = [
    ("tokens_in", {"ServiceName": "OpenAI", "SkuMeter": "~.*Inp.*"}),
    ("tokens_out", {"ServiceName": "OpenAI", "SkuMeter": "~.*Outp.*"}),
    ("search", {"ServiceName": "Search", "Tags.team": "claims"}),
    ("gpu", {"ServiceName": "VM"}),
    ("gpu", {"ServiceName": "VM", "ChargeCategory": "Purchase"}),  # after a Usage-only rule
]
BUCKETS = {"Tax", "Credit", "Adjustment", "Purchase"}


def _export(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 120, n)
    start = pd.Timestamp("2027-01-01") + pd.to_timedelta(day, unit="D")
    status = rng.choice(["", "Used", "Unused"], n, p=[0.8, 0.15, 0.05])
    return pd.DataFrame(
        {
            "ChargePeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "BillingPeriodStart": start.strftime("%Y-%m-01T00:00:00Z"),
            "BillingCurrency": "USD",
            "ChargeCategory": rng.choice(
                ["Usage", "Usage", "Usage", "Tax", "Credit", "Purchase", "Adjustment"], n
            ),
            "ChargeClass": rng.choice(["", "NULL", "Correction"], n, p=[0.5, 0.45, 0.05]),
            "ServiceName": rng.choice(["OpenAI", "Search", "VM", "Logs", ""], n),
            "SkuMeter": rng.choice(["gpt Inp Tokens", "gpt Outp Tokens", "S2", "A100"], n),
            "Tags": rng.choice(['{"team": "claims"}', '{"team": "other"}', "", "{}"], n),
            "PricingQuantity": np.round(rng.uniform(0, 1e4, n), 3),
            "PricingUnit": "Units",
            "EffectiveCost": np.round(rng.uniform(-50, 5e3, n), 6),
            "BilledCost": np.round(rng.uniform(0, 5e3, n), 6),
            "CommitmentDiscountStatus": status,
            "CommitmentDiscountName": [
                f"plan-{i % 3}" if s == "Unused" else f"plan-{i % 97}" for i, s in enumerate(status)
            ],
            "ProviderName": "Cloud",
        }
    )


def _matches(row: pd.Series, match: dict[str, str]) -> bool:
    for col, want in match.items():
        if col == "Tags.team":
            tags = row["Tags"]
            got = json.loads(tags).get("team") if tags else None
        else:
            got = row[col] or None
        if got is None:
            return False
        if want.startswith("~"):
            if not re.fullmatch(want[1:], got):
                return False
        elif got != want:
            return False
    return True


def _reference(df: pd.DataFrame) -> pd.DataFrame:
    """Where each row goes, row by row: the first rule that matches it (Usage rows only
    unless the rule names ChargeCategory; never an Unused commitment row), else its
    category's bucket, else unmapped."""
    where = []
    for _, row in df.iterrows():
        if row["CommitmentDiscountStatus"] == "Unused":
            where.append(("unused", row["CommitmentDiscountName"]))
            continue
        line = next(
            (
                name
                for name, match in RULES
                if _matches(row, match)
                and ("ChargeCategory" in match or row["ChargeCategory"] == "Usage")
            ),
            None,
        )
        if line is not None:
            where.append(("line", line))
        elif row["ChargeCategory"] in BUCKETS:
            where.append(("bucket", row["ChargeCategory"]))
        else:
            where.append(("unmapped", row["ServiceName"] or "(no ServiceName)"))
    out = df.assign(
        kind=[k for k, _ in where],
        key=[v for _, v in where],
        month=df["ChargePeriodStart"].str[:7],
    )
    return out.groupby(["kind", "key", "month"]).agg(
        amount=("EffectiveCost", "sum"), quantity=("PricingQuantity", "sum"), rows=("kind", "size")
    )


def _mapping(tmp: Path) -> Path:
    p = tmp / "map.yaml"
    text = ["rules:"]
    for line, match in RULES:
        conds = ", ".join(f'"{c}": "{v}"' for c, v in match.items())
        text.append(f"  - {{line: {line}, match: {{{conds}}}, quantity_scale: 1}}")
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    return p


def _got(a) -> pd.DataFrame:  # noqa: ANN001
    parts = [
        a.lines.assign(kind="line", key=a.lines["line"]),
        a.buckets.assign(kind="bucket", key=a.buckets["bucket"], quantity=np.nan),
        a.unmapped.assign(kind="unmapped", key=a.unmapped["service"], quantity=np.nan),
        a.unused.assign(kind="unused", key=a.unused["commitment"], quantity=np.nan),
    ]
    cols = ["kind", "key", "month", "amount", "quantity", "rows"]
    return pd.concat([p[cols] for p in parts]).set_index(["kind", "key", "month"]).sort_index()


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_grouping_matches_a_row_by_row_reference(tmp_path: Path, fmt: str) -> None:
    df = _export(3000, seed=7)
    path = tmp_path / f"export.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "csv.gz":
        with gzip.open(path, "wt", newline="") as fh:
            df.to_csv(fh, index=False)
    else:
        with duckdb.connect() as con:
            con.register("df", df)
            con.execute(f"COPY df TO '{path}' (FORMAT parquet)")
    m = load_mapping(_mapping(tmp_path), set(LINES))
    a = read_focus([path], mapping=m, currency="USD", lines=LINES)
    got = _got(a)
    want = _reference(df).sort_index()
    assert list(got.index) == list(want.index)
    assert got["rows"].tolist() == want["rows"].tolist()
    assert np.allclose(got["amount"], want["amount"], rtol=1e-12, atol=1e-9)
    lines = got.loc["line"]
    assert np.allclose(lines["quantity"], want.loc["line", "quantity"], rtol=1e-12)
    corrections = df["ChargeClass"] == "Correction"
    assert a.corrections["rows"].sum() == corrections.sum()
    assert a.corrections["amount"].sum() == pytest.approx(df["EffectiveCost"][corrections].sum())


def test_a_folder_read_twice_gives_the_same_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for i in range(4):  # four accounts' exports: read by several threads at once
        df = _export(2000, seed=i).assign(BillingAccountId=f"acct-{i}")
        df.to_csv(folder / f"part-{i}.csv", index=False)
    m = load_mapping(_mapping(tmp_path), set(LINES))
    first = read_focus([folder], mapping=m, currency="USD", lines=LINES)
    for _ in range(3):
        again = read_focus([folder], mapping=m, currency="USD", lines=LINES)
        pd.testing.assert_frame_equal(again.lines, first.lines, check_exact=True)
        pd.testing.assert_frame_equal(again.buckets, first.buckets, check_exact=True)
