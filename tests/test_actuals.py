"""Actuals readers: native CSV/xlsx, FOCUS 1.0-1.3 exports (CSV, CSV.gz, Parquet, folders),
the mapping file, usage actuals; every problem at once."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from aiopex.errors import DataError
from aiopex.inputs.actuals import read_native, read_usage
from aiopex.inputs.actuals_reader import read_actuals
from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import FOCUS_COLUMNS, load_mapping

_REPO = Path(__file__).resolve().parents[1]
# the shared sample sits beside the clone (../shared); a worktree is one level deeper
SAMPLE = next(
    (
        p / "shared/data/focus/focus_sample_1.0.csv"
        for p in (_REPO.parent, _REPO.parent.parent)
        if (p / "shared/data/focus/focus_sample_1.0.csv").exists()
    ),
    _REPO.parent / "shared/data/focus/focus_sample_1.0.csv",
)
LINES = {
    "llm_input_tokens": "per_1k_input_tokens",
    "llm_output_tokens": "per_1k_output_tokens",
    "vector_store": "fixed",
    "gpu": "capacity",
}

V10 = [
    c
    for c in sorted(FOCUS_COLUMNS)
    if c
    not in {
        "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
        "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails",
        "BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
        "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice", "ServiceProviderName", "HostProviderName",
        "AllocatedMethodId", "AllocatedMethodDetails", "AllocatedResourceId",
        "AllocatedResourceName", "AllocatedTags", "ContractApplied",
    }
]  # fmt: skip
V11 = V10 + [
    "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails",
]  # fmt: skip
V12 = V11 + [
    "BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
    "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
]  # fmt: skip
V13 = [c for c in V12 if c not in ("ProviderName", "PublisherName")] + [
    "ServiceProviderName", "HostProviderName", "AllocatedMethodId", "ContractApplied",
]  # fmt: skip
VERSIONS = {"1.0": V10, "1.1": V11, "1.2": V12, "1.3": V13}

# (ServiceName, meter, start, effective, qty, category, class, tags)
ROWS = [
    ("Azure OpenAI", "gpt Input Tokens", "2027-01-03T10:00:00Z", 100.0, 2000.0, "Usage", None, None),  # noqa: E501
    ("Azure OpenAI", "gpt Input Tokens", "2027-01-31T23:30:00-02:00", 50.0, 1000.0, "Usage", None, None),  # noqa: E501
    ("Azure OpenAI", "gpt Output Tokens", "2027-01-10T00:00:00Z", 80.0, 400.0, "Usage", None, None),  # noqa: E501
    ("Azure AI Search", "Standard S1", "2027-01-01T00:00:00Z", 250.0, 744.0, "Usage", None, '{"team": "claims"}'),  # noqa: E501
    ("Azure AI Search", "Standard S1", "2027-01-01T00:00:00Z", 99.0, 744.0, "Usage", None, '{"team": "other"}'),  # noqa: E501
    ("Virtual Machines", "NC24ads A100 v4", "2027-01-05T00:00:00Z", 900.0, 720.0, "Usage", None, None),  # noqa: E501
    ("Azure Monitor", "Logs", "2027-01-05T00:00:00Z", 12.5, 3.0, "Usage", None, None),  # noqa: E501
    ("Azure OpenAI", "gpt Input Tokens", "2027-01-20T00:00:00Z", -10.0, -200.0, "Usage", "Correction", None),  # noqa: E501
    ("Azure OpenAI", NULL_TEXT := None, "2027-01-31T00:00:00Z", 7.0, None, "Tax", None, None),
    ("Azure Monitor", None, "2027-01-31T00:00:00Z", -5.0, None, "Credit", None, None),
]  # fmt: skip

MAPPING = """\
rules:
  - line: llm_input_tokens
    match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Inp.*Tokens"}
    quantity_scale: 1.0
  - line: llm_output_tokens
    match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Output.*"}
  - line: vector_store
    match: {ServiceName: "Azure AI Search", "Tags.team": claims}
    quantity_scale: 1.0
  - line: gpu
    match: {ServiceName: "Virtual Machines", ProviderName: Microsoft}
    quantity_scale: 0.0013888888888888889
"""


_UNITS = {"Azure OpenAI": "1K Tokens", "Azure AI Search": "Hours", "Virtual Machines": "Hours",
          "Azure Monitor": "GB"}  # fmt: skip


def focus_frame(columns: list[str], rows=ROWS, currency: str = "EUR") -> pd.DataFrame:
    """A FOCUS export with the given column set; SkuMeter goes to ChargeDescription in 1.0."""
    recs = []
    for i, (svc, meter, start, eff, qty, cat, klass, tags) in enumerate(rows):
        r = {c: "NULL" for c in columns}
        r.update(
            ServiceName=svc, ChargePeriodStart=start, EffectiveCost=eff, BilledCost=eff * 1.1,
            ListCost=eff * 1.2, ContractedCost=eff, PricingQuantity="NULL" if qty is None else qty,
            ChargeCategory=cat, ChargeClass=klass or "NULL", Tags=tags or "NULL",
            BillingCurrency=currency, ResourceId=f"/sub/r{i}", ChargeFrequency="Usage-Based",
            BillingPeriodStart=pd.Timestamp(start).tz_convert("UTC").strftime("%Y-%m-01T00:00:00Z"),
            PricingUnit=_UNITS.get(svc, "NULL") if qty is not None else "NULL",
        )  # fmt: skip
        if "SkuMeter" in columns:
            r["SkuMeter"] = meter or "NULL"
        for p in ("ProviderName", "ServiceProviderName"):
            if p in columns:
                r[p] = "Microsoft"
        recs.append({c: r[c] for c in columns})
    return pd.DataFrame(recs, columns=columns)


def write_mapping(tmp: Path, text: str = MAPPING, version: str = "1.2") -> Path:
    if version == "1.0":  # no SkuMeter before 1.1: the same rules on ChargeDescription
        text = text.replace("SkuMeter", "ChargeDescription")
    p = tmp / "map.yaml"
    p.write_text(text)
    return p


def expected_lines() -> dict[str, tuple[float, float]]:
    return {
        "llm_input_tokens": (100 + 50 - 10, 2000 + 1000 - 200),
        "llm_output_tokens": (80.0, 400.0),
        "vector_store": (250.0, 744.0),
        "gpu": (900.0, 1.0),
    }


def _frame_with_meter(version: str) -> pd.DataFrame:
    df = focus_frame(VERSIONS[version])
    if version == "1.0":
        df["ChargeDescription"] = [r[1] or "NULL" for r in ROWS]
    return df


def check(a) -> None:
    by_line = a.lines.groupby("line")[["amount", "quantity"]].sum()
    got = {k: (r.amount, r.quantity) for k, r in by_line.iterrows()}
    assert set(got) == set(expected_lines())
    for k, (amt, qty) in expected_lines().items():
        assert got[k][0] == pytest.approx(amt)
        assert got[k][1] == pytest.approx(qty)
    # the -02:00 row at 23:30 on Jan 31 is Feb 1 in UTC
    months = set(a.lines["month"])
    assert months == {"2027-01", "2027-02"}
    feb = a.lines[a.lines["month"] == "2027-02"]
    assert list(feb["line"]) == ["llm_input_tokens"] and feb["amount"].iloc[0] == 50.0
    um = a.unmapped.groupby("service")[["amount", "rows"]].sum()
    assert um.loc["Azure AI Search", "amount"] == 99.0
    assert um.loc["Azure Monitor", "amount"] == 12.5 and um.loc["Azure Monitor", "rows"] == 1
    bk = a.buckets.set_index("bucket")
    assert bk.loc["Tax", "amount"] == 7.0 and bk.loc["Credit", "amount"] == -5.0
    assert list(a.corrections["line"]) == ["llm_input_tokens"]
    assert a.corrections["amount"].sum() == -10.0
    total = sum(r[3] for r in ROWS)
    got_total = a.lines["amount"].sum() + a.unmapped["amount"].sum() + a.buckets["amount"].sum()
    assert got_total == pytest.approx(total)


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3"])
def test_each_focus_version_csv(tmp_path: Path, version: str) -> None:
    df = _frame_with_meter(version)
    f = tmp_path / "export.csv"
    df.to_csv(f, index=False)
    m = load_mapping(write_mapping(tmp_path, version=version), set(LINES))
    check(read_focus([f], mapping=m, lines=LINES, currency="EUR"))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The export with its cost and quantity as numbers, as a Parquet export has them."""
    typed = df.copy()
    for c in ("EffectiveCost", "PricingQuantity"):
        typed[c] = pd.to_numeric(typed[c].replace("NULL", None))
    return typed


def _to_parquet(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, path: Path) -> None:
    con.register("typed", df)
    con.execute(f"COPY typed TO '{path}' (FORMAT parquet)")


def test_csv_gz_parquet_and_partitioned_folder(tmp_path: Path) -> None:
    df = _frame_with_meter("1.2")
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    gz = tmp_path / "export.csv.gz"
    with gzip.open(gz, "wt") as fh:
        df.to_csv(fh, index=False)
    check(read_focus([gz], mapping=m, lines=LINES, currency="EUR"))
    # Parquet with typed columns, and a hive-partitioned folder of two files
    typed = _typed(df)
    pq = tmp_path / "export.parquet"
    con = duckdb.connect()
    _to_parquet(con, typed, pq)
    check(read_focus([pq], mapping=m, lines=LINES, currency="EUR"))
    folder = tmp_path / "partitioned"
    for part in ("2027-01", "2027-02"):  # the files of a partition are one delivery
        d = folder / f"billing_period={part}"
        d.mkdir(parents=True)
        con.register("chunk", typed[typed["BillingPeriodStart"].str.startswith(part)])
        con.execute(f"COPY chunk TO '{d / 'part-0.parquet'}' (FORMAT parquet)")
    check(read_focus([folder], mapping=m, lines=LINES, currency="EUR"))
    # the same folder through read_actuals, which tells FOCUS from native files
    check(read_actuals([folder], lines=LINES, currency="EUR", mapping=m))


def test_cost_basis_picks_the_column(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    _frame_with_meter("1.2").to_csv(f, index=False)
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    a = read_focus([f], mapping=m, lines=LINES, currency="EUR", cost_basis="billed")
    vs = a.lines[a.lines["line"] == "vector_store"]["amount"].iloc[0]
    assert vs == pytest.approx(275.0)


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared FOCUS sample is not beside the repo")
def test_real_focus_sample(tmp_path: Path) -> None:
    ref = pd.read_csv(SAMPLE, na_values=["NULL"], keep_default_na=False)
    mp = tmp_path / "map.yaml"
    mp.write_text(
        "rules:\n"
        "  - line: llm_input_tokens\n"
        '    match: {ServiceName: "~Amazon.*", ProviderName: AWS}\n'
        "    quantity_scale: 0.001\n"
        "  - line: vector_store\n"
        '    match: {"Tags.environment": dev}\n'
        "    quantity_scale: 1.0\n"
    )
    m = load_mapping(mp, set(LINES))
    # the sample writes '2024-09-18 22:00:00': no 'T', no time zone; refused, never guessed
    with pytest.raises(DataError, match="expected an ISO 8601 date-time") as e:
        read_focus([SAMPLE], mapping=m, lines=LINES, currency="USD")
    assert "got '2024-09-18 22:00:00'" in str(e.value)
    iso = tmp_path / "sample_iso.csv"
    iso.write_text(
        re.sub(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})", r"\1T\2Z", SAMPLE.read_text())
    )
    a = read_focus([iso], mapping=m, lines=LINES, currency="USD")
    usage = ref["ChargeCategory"] == "Usage"  # a rule without ChargeCategory: Usage rows only
    aws = (
        ref["ServiceName"].str.fullmatch("Amazon.*").fillna(False)
        & (ref["ProviderName"] == "AWS")
        & usage
    )
    tags = ref["Tags"].fillna("{}").map(lambda t: json.loads(t).get("environment"))
    dev = ~aws & (tags == "dev") & usage
    got = a.lines.set_index("line")
    assert got.loc["llm_input_tokens", "amount"] == pytest.approx(ref[aws]["EffectiveCost"].sum())
    # AWS rows are priced in hours, GB, requests...: quantities in different units are not
    # added (they were: a sum of hours and GB); the amount stays, the units are reported
    assert pd.isna(got.loc["llm_input_tokens", "quantity"])
    units = ref[aws].groupby("PricingUnit").size()
    mixed = a.mixed_units()["llm_input_tokens"]
    assert mixed["units"] == {k: int(v) for k, v in units.items()}
    assert mixed["amount"] == pytest.approx(
        ref[aws & ref["PricingUnit"].notna()]["EffectiveCost"].sum()
    )
    assert got.loc["llm_input_tokens", "rows"] == aws.sum()
    assert got.loc["vector_store", "rows"] == dev.sum()
    rest = ref[~aws & ~dev]
    assert a.unmapped["rows"].sum() + a.buckets["rows"].sum() == len(rest)
    total = a.lines["amount"].sum() + a.unmapped["amount"].sum() + a.buckets["amount"].sum()
    assert total == pytest.approx(ref["EffectiveCost"].sum())
    assert set(a.lines["month"]) == {"2024-09"}


def test_every_focus_problem_at_once(tmp_path: Path) -> None:
    df = _frame_with_meter("1.2").astype(object)
    df.loc[1, "EffectiveCost"] = "twelve"
    df.loc[2, "ChargePeriodStart"] = "last tuesday"
    df.loc[3, "PricingQuantity"] = "n/a"
    df.loc[4, "BillingCurrency"] = "USD"
    f = tmp_path / "bad.csv"
    df.to_csv(f, index=False)
    g = tmp_path / "short.csv"
    df.drop(columns=["ChargePeriodStart", "BillingCurrency"]).to_csv(g, index=False)
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    with pytest.raises(DataError) as e:
        read_focus([f], mapping=m, lines=LINES, currency="EUR")
    msgs = [str(p) for p in e.value.problems]
    assert any("row 3, EffectiveCost" in s and "twelve" in s for s in msgs), msgs
    assert any("row 4, ChargePeriodStart" in s for s in msgs), msgs
    assert any("row 5, PricingQuantity" in s for s in msgs), msgs
    assert any("BillingCurrency" in s and "USD" in s for s in msgs), msgs
    with pytest.raises(DataError) as e:
        read_focus([g], mapping=m, lines=LINES, currency="EUR")
    assert "ChargePeriodStart, BillingCurrency" in str(e.value)


def test_mapping_problems_at_once(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "rules:\n"
        "  - line: llm_inptu_tokens\n"
        "    match: {ServiceName: x}\n"
        "  - line: gpu\n"
        '    match: {SkuMeter: "~(unclosed"}\n'
        "  - line: gpu\n"
        "    match: {Skumeter: x}\n"
        "    quantity_scale: -1\n"
    )
    with pytest.raises(DataError) as e:
        load_mapping(p, set(LINES))
    msgs = [str(x) for x in e.value.problems]
    assert len(msgs) == 4, msgs
    assert "rules[0].line" in msgs[0] and "did you mean llm_input_tokens" in msgs[0]
    assert "rules[1].match.SkuMeter" in msgs[1] and "regular expression" in msgs[1]
    assert "rules[2].match.Skumeter" in msgs[2] and "did you mean SkuMeter" in msgs[2]
    assert "quantity_scale" in msgs[3]
    # a repeated key is listed with the rest (the later kept); numbers as YAML 1.2: 1e-3
    p.write_text(
        "rules:\n"
        "  - line: gpu\n"
        "    line: gpu\n"
        "    match: {SkuMeter: x}\n"
        "    quantity_scale: 1e-3\n"
        "  - line: gpux\n"
        "    match: {SkuMeter: x}\n"
    )
    with pytest.raises(DataError) as e:
        load_mapping(p, set(LINES))
    assert [x.field for x in e.value.problems] == ["rules[0].line", "rules[1].line"]
    assert "appears twice" in e.value.problems[0].message


def test_rule_column_missing_from_export(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    _frame_with_meter("1.0").to_csv(f, index=False)  # 1.0 has no SkuMeter
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    with pytest.raises(DataError, match=r"rules\[0\].match.SkuMeter: no such column"):
        read_focus([f], mapping=m, lines=LINES, currency="EUR")


def test_native_csv_and_xlsx(tmp_path: Path) -> None:
    import openpyxl

    f = tmp_path / "a.csv"
    f.write_text(
        "month,line,amount,quantity,currency\n"
        "2027-01,gpu,900,1,EUR\n2027-01,gpu,100,,EUR\n2027-02,vector_store,250,1,\n"
    )
    a = read_native(f, lines=LINES, currency="EUR")
    got = a.lines.set_index(["line", "month"])
    assert got.loc[("gpu", "2027-01"), "amount"] == 1000.0
    assert pd.isna(got.loc[("gpu", "2027-01"), "quantity"])  # a row without one: no quantity
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["month", "line", "amount", "quantity"])
    ws.append(["2027-01", "gpu", 900.0, 1])
    ws.append(["2027-02", "vector_store", 250, None])
    x = tmp_path / "a.xlsx"
    wb.save(x)
    b = read_actuals([x], lines=LINES, currency="EUR")
    assert b.lines["amount"].sum() == 1150.0
    assert (
        b.lines.set_index("line").loc["vector_store", "quantity"]
        != b.lines.set_index("line").loc["vector_store", "quantity"]
    )  # NaN: no quantity given


def test_native_problems_at_once(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("month,line,amount,currency\n2027-13,gpx,abc,USD\n")
    with pytest.raises(DataError) as e:
        read_native(f, lines=LINES, currency="EUR")
    fields = [p.field for p in e.value.problems]
    assert fields == ["row 2, month", "row 2, line", "row 2, amount", "row 2, currency"]


def test_decimal_commas_are_refused_not_misread(tmp_path: Path) -> None:
    """Thousands separators are read (1,234.5); a decimal comma is a problem, quoted or not:
    it was read as 1005, 2.2345 and 1234, or its decimals dropped, without a word."""
    f = tmp_path / "a.csv"
    f.write_text(
        'month,line,amount\n2027-01,gpu,"1,234.5"\n2027-01,gpu,"100,5"\n'
        '2027-02,gpu,"1.234,50"\n2027-02,gpu,"1,2,3,4"\n2027-02,gpu,100,5\n'
    )
    with pytest.raises(DataError) as e:
        read_native(f, lines=LINES, currency="EUR")
    got = {p.field: p.message for p in e.value.problems}
    assert list(got) == ["row 3, amount", "row 4, amount", "row 5, amount", "row 6"]
    assert "'100.5'" in got["row 3, amount"] and "decimal comma" in got["row 6"]
    f.write_text('month,line,amount\n2027-01,gpu,"1,234.5"\n2027-01,gpu,"-2,000"\n')
    assert read_native(f, lines=LINES, currency="EUR").lines["amount"].sum() == -765.5
    u = tmp_path / "u.csv"
    u.write_text('month,requests\n2027-01,"1.000,5"\n2027-02,1000,5\n2027-03,"12,000"\n')
    with pytest.raises(DataError) as e:
        read_usage(u)
    assert [p.field for p in e.value.problems] == ["row 2, requests", "row 3"]


def test_usage_actuals(tmp_path: Path) -> None:
    f = tmp_path / "u.csv"
    f.write_text("month,requests,accuracy\n2027-02,1100,0.88\n2027-01,1000,\n")
    u = read_usage(f)
    assert list(u.index) == ["2027-01", "2027-02"]
    assert u.loc["2027-02", "accuracy"] == 0.88
    f.write_text("month,requests,accuracy\n2027-01,-1,1.5\n2027-01,x,\n")
    with pytest.raises(DataError) as e:
        read_usage(f)
    assert len(e.value.problems) == 4


def test_folder_with_mixed_files(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    _frame_with_meter("1.2").to_csv(d / "focus.csv", index=False)
    (d / "manual.csv").write_text("month,line,amount\n2027-01,gpu,100\n")
    (d / "notes.txt").write_text("ignored")
    shutil.copy(write_mapping(tmp_path), tmp_path / "m.yaml")
    m = load_mapping(tmp_path / "m.yaml", set(LINES))
    a = read_actuals([d], lines=LINES, currency="EUR", mapping=m)
    gpu = a.lines[(a.lines["line"] == "gpu") & (a.lines["month"] == "2027-01")]
    assert gpu["amount"].iloc[0] == 1000.0


def test_xlsx_with_data_on_several_sheets_is_refused(tmp_path: Path) -> None:
    """Only the first sheet was read: 250 on a second sheet was dropped without a word."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "January"
    ws.append(["month", "line", "amount"])
    ws.append(["2027-01", "gpu", 900.0])
    feb = wb.create_sheet("February")
    feb.append(["month", "line", "amount"])
    feb.append(["2027-02", "gpu", 250.0])
    wb.create_sheet("Notes")  # empty: no problem
    x = tmp_path / "a.xlsx"
    wb.save(x)
    bad = tmp_path / "b.csv"
    bad.write_text("month,line,amount\n2027-01,gpx,1\n")
    with pytest.raises(DataError) as e:
        read_actuals([x, bad], lines=LINES, currency="EUR")
    msgs = [str(p) for p in e.value.problems]
    assert len(msgs) == 2, msgs  # every file's problem at once
    assert "'January', 'February'" in msgs[0] and "one sheet" in msgs[0]
    # one sheet with data, even if it is not the first, is read
    del wb["January"]
    wb.move_sheet("Notes", offset=-1)
    wb.save(x)
    a = read_actuals([x], lines=LINES, currency="EUR")
    assert a.lines["amount"].sum() == 250.0


def test_the_same_export_twice_is_refused(tmp_path: Path) -> None:
    """A copy in a subfolder was read as well: every amount counted twice, without a word."""
    d = tmp_path / "in"
    (d / "old").mkdir(parents=True)
    df = _frame_with_meter("1.2")
    df.to_csv(d / "export.csv", index=False)
    shutil.copy(d / "export.csv", d / "old" / "export (1).csv")
    with gzip.open(d / "export.csv.gz", "wt") as fh:  # the same content, gzipped
        df.to_csv(fh, index=False)
    for name in ("empty-a.csv", "empty-b.csv"):  # empty partitions repeat harmlessly
        df.iloc[:0].to_csv(d / name, index=False)
    (d / "manual.csv").write_text("month,line,amount\n2027-01,gpx,100\n")
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    with pytest.raises(DataError) as e:
        read_actuals([d, d / "manual.csv"], lines=LINES, currency="EUR", mapping=m)
    got = sorted(str(p) for p in e.value.problems)
    assert len(got) == 4, got
    assert f"{d / 'export.csv.gz'}: same content as {d / 'export.csv'}; remove one" in got
    assert f"{d / 'old' / 'export (1).csv'}: same content as {d / 'export.csv'}; remove one" in got
    assert any("manual.csv: named twice" in s for s in got)
    assert any("unknown cost line 'gpx'" in s for s in got)  # the other problems too
    with pytest.raises(DataError, match="same content as"):
        read_focus([d / "export.csv", d / "old"], mapping=m, lines=LINES, currency="EUR")
    (d / "manual.csv").unlink()
    shutil.rmtree(d / "old")
    (d / "export.csv.gz").unlink()
    check(read_actuals([d], lines=LINES, currency="EUR", mapping=m))


def test_quantities_in_different_pricing_units_are_not_added(tmp_path: Path) -> None:
    """Hours and GB on one line were summed into one quantity: on the FOCUS sample a 17 USD
    compute line showed volume +18,074 and price -18,077. Now the quantity is missing (the
    variance goes to unexplained), the amount is kept and the units are reported."""
    df = _frame_with_meter("1.2")
    df["x_ExportDateTime"] = "2027-02-03T00:00:00Z"  # one delivery, when split in two files
    df["PricingUnit"] = "1K Tokens"
    df.loc[0, "PricingUnit"] = "Hours"  # an input-token row priced in hours, 2027-01
    df.loc[5, "PricingUnit"] = "NULL"  # gpu: one row, no unit: no quantity
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    f = tmp_path / "e.csv"
    df.to_csv(f, index=False)
    a = read_focus([f], mapping=m, lines=LINES, currency="EUR")
    got = a.lines.set_index(["line", "month"])
    jan = got.loc[("llm_input_tokens", "2027-01")]
    assert jan["amount"] == 90.0 and pd.isna(jan["quantity"]) and jan["rows"] == 2
    assert got.loc[("llm_input_tokens", "2027-02"), "quantity"] == 1000.0  # one unit
    assert got.loc[("llm_output_tokens", "2027-01"), "quantity"] == 400.0
    assert pd.isna(got.loc[("gpu", "2027-01"), "quantity"])
    assert a.mixed_units() == {
        "llm_input_tokens": {
            "amount": 90.0, "rows": 2, "months": ["2027-01"], "units": {"1K Tokens": 1, "Hours": 1}
        }
    }  # fmt: skip
    assert a.mixed_units(["2027-02"]) == {}
    # the same units spread over a CSV and a Parquet file are caught when combined
    one, two = df.iloc[[0]], df.drop(index=0)
    one.to_csv(f, index=False)
    pq = tmp_path / "e.parquet"
    _to_parquet(duckdb.connect(), _typed(two), pq)
    b = read_actuals([f, pq], lines=LINES, currency="EUR", mapping=m)
    assert pd.isna(
        b.lines.set_index(["line", "month"]).loc[("llm_input_tokens", "2027-01"), "quantity"]
    )
    assert b.mixed_units() == a.mixed_units()


def _shift(f: Path, row: int, col: str, value: str) -> None:
    """Write ``value`` unquoted into ``col`` of data row ``row`` (a decimal comma: two values)."""
    lines = f.read_text().splitlines()
    i = lines[0].split(",").index(col)
    parts = lines[row].split(",")
    parts[i] = value
    lines[row] = ",".join(parts)
    f.write_text("\n".join(lines) + "\n")


def test_focus_numbers_decimal_commas_and_row_widths(tmp_path: Path) -> None:
    """FOCUS numbers are plain: '2,5' and '1,234.5' are refused with a hint; 'nan' and 'inf'
    were read (a NaN row dropped out of the line's sum, an inf made it infinite); an
    unquoted '100,5' in a row ending with NULL was read as 100 with every later value
    shifted by one column (DuckDB drops an extra trailing null field); with two extra
    values the read failed with a traceback."""
    m = load_mapping(write_mapping(tmp_path), set(LINES))
    df = _frame_with_meter("1.2").astype(object)
    df.loc[0, "EffectiveCost"] = "2,5"
    df.loc[1, "PricingQuantity"] = "1,234.5"
    df.loc[2, "EffectiveCost"] = "nan"
    df.loc[3, "PricingQuantity"] = "inf"
    f = tmp_path / "a.csv"
    df.to_csv(f, index=False)
    with pytest.raises(DataError) as e:
        read_focus([f], mapping=m, lines=LINES, currency="EUR")
    got = {p.field: p.message for p in e.value.problems}
    assert list(got) == [
        "row 2, EffectiveCost", "row 4, EffectiveCost", "row 3, PricingQuantity",
        "row 5, PricingQuantity",
    ]  # fmt: skip
    assert got["row 2, EffectiveCost"].endswith("write decimals with a point ('2.5')")
    assert "no thousands separators" in got["row 3, PricingQuantity"]
    assert "'nan'" in got["row 4, EffectiveCost"] and "'inf'" in got["row 5, PricingQuantity"]
    # rows of the wrong width, in three files at once, with a native file's problem
    good = _frame_with_meter("1.2")
    wide, short, wider = (tmp_path / n for n in ("wide.csv", "short.csv", "wider.csv"))
    for g in (wide, short, wider):
        good.to_csv(g, index=False)
    _shift(wide, 1, "EffectiveCost", "100,5")  # the row ends with NULL: was read shifted
    short.write_text(short.read_text().replace(",NULL\n", "\n", 1))
    _shift(wider, 1, "EffectiveCost", "1,000,5")  # two more values: was a traceback
    nat = tmp_path / "n.csv"
    nat.write_text("month,line,amount\n2027-01,gpu,x\n")
    with pytest.raises(DataError) as e:
        read_actuals([wide, short, wider, nat], lines=LINES, currency="EUR", mapping=m)
    msgs = sorted(str(p) for p in e.value.problems)
    assert len(msgs) == 4 and "n.csv: row 2, amount" in msgs[0], msgs
    assert msgs[1].startswith(f"{short}: row 2: fewer values than the header's 57 columns")
    assert msgs[2].startswith(f"{wide}: row 2: more values than the header's 57 columns (a")
    assert msgs[3].startswith(f"{wider}: row 2: more values than the header's 57 columns")
    # a Parquet export holding NaN
    typed = good.copy()
    for c in ("EffectiveCost", "PricingQuantity"):
        typed[c] = pd.to_numeric(typed[c].replace("NULL", None))
    pq = tmp_path / "e.parquet"
    con = duckdb.connect()
    con.register("typed", typed)
    nan = "CASE WHEN EffectiveCost = 99 THEN 'nan'::DOUBLE ELSE EffectiveCost END"  # row 5
    con.execute(f"COPY (SELECT * REPLACE ({nan} AS EffectiveCost) FROM typed) TO '{pq}'")
    with pytest.raises(DataError, match=r"row 5, EffectiveCost: expected a number, got 'nan'"):
        read_focus([pq], mapping=m, lines=LINES, currency="EUR")
