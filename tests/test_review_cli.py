"""`aiopex baseline` and `aiopex review` end to end on the bundled example (data/actuals/):
baselines immutable and hash-checked, exit codes 0/2/3, idempotent reruns, several systems."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import aiopex
from aiopex.cli import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "data" / "actuals"
SCENARIO = EX / "claims_assistant.yaml"


def review_args(baseline: Path, out: Path, *extra: str) -> list[str]:
    return [
        "review", "--baseline", str(baseline),
        "--actuals", str(EX / "focus"), str(EX / "other_costs.csv"),
        "--map", str(EX / "mapping.yaml"), "--usage", str(EX / "usage.csv"),
        "--period", "2027-Q1", "--out", str(out), "--no-report", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("baselines")
    rc = main(["baseline", str(SCENARIO), "--as-of", "2026-12", "--draws", "1000", "--seed", "7",
               "--out", str(d)])  # fmt: skip
    assert rc == 0
    return d


def test_baseline_saved_loaded_and_immutable(baselines: Path, capsys) -> None:
    path = baselines / "claims_assistant" / "2026-12"
    b = aiopex.load_baseline(path)
    assert b.as_of == "2026-12" and b.name == "claims_assistant"
    assert len(b.result.draws.kept) >= 1000
    # saving again where one exists: refused, exit 2
    rc = main(["baseline", str(SCENARIO), "--as-of", "2026-12", "--draws", "1000",
               "--out", str(baselines)])  # fmt: skip
    assert rc == 2
    assert "immutable" in capsys.readouterr().err


def test_altered_baseline_refused(baselines: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "claims_assistant" / "2026-12"
    shutil.copytree(baselines / "claims_assistant" / "2026-12", copy)
    victim = next(p for p in sorted((copy / "result").rglob("*")) if p.is_file())
    victim.write_bytes(victim.read_bytes() + b" ")
    out = tmp_path / "out"
    assert main(review_args(copy, out)) == 2
    assert "altered" in capsys.readouterr().err
    assert not out.exists()  # nothing written


def test_review_numbers_exit_codes_and_reruns(baselines: Path, tmp_path: Path) -> None:
    path = baselines / "claims_assistant" / "2026-12"
    out = tmp_path / "review"
    assert main(review_args(path, out)) == 0
    first = (out / "review.json").read_bytes()
    rv = json.loads(first)
    assert rv["period"] == "2027-Q1" and rv["months"] == ["2027-01", "2027-02", "2027-03"]
    assert rv["baseline"]["as_of"] == "2026-12" and rv["currency"] == "USD"
    lines = {r["line"]: r for r in rv["lines"]}
    vs = lines["vector_store"]  # the price moved 35%
    assert vs["price"] > 0 and abs(vs["volume"]) < 0.01 * vs["baseline"]
    gpu = lines["reranker_gpu"]  # two nodes from February: the volume surged
    assert gpu["volume"] == pytest.approx(2 * 2900.0) and gpu["investigate"]
    tok = lines["llm_input_tokens"]
    assert tok["driver"] + tok["intensity"] == pytest.approx(tok["volume"])
    assert lines["user_training"]["status"] == "no_actuals"
    assert rv["unmapped"]["by_service"]["Log Analytics"]["rows"] == 90
    assert rv["corrections"]["amount"] == -120.0
    assert rv["usage"]["accuracy"]["below_acceptable"] == ["2027-03"]
    assert (out / "review.xlsx").exists()
    # --fail-on investigate: exit 3; a rerun gives the same numbers
    assert main(review_args(path, out, "--fail-on", "investigate")) == 3
    assert (out / "review.json").read_bytes() == first


def test_bad_input_exit_2_nothing_written(baselines: Path, tmp_path: Path, capsys) -> None:
    path = baselines / "claims_assistant" / "2026-12"
    out = tmp_path / "bad"
    args = review_args(path, out)
    args[args.index("2027-Q1")] = "2027-Q2"  # not covered by the actuals
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "do not cover the period" in err and "no usage actuals" in err
    assert main(review_args(tmp_path / "nowhere", out)) == 2
    assert not out.exists()


def test_several_baselines_one_review_each(baselines: Path, tmp_path: Path) -> None:
    out = tmp_path / "all"
    assert main(review_args(baselines, out)) == 0
    index = json.loads((out / "index.json").read_text())
    assert [r["system"] for r in index["reviews"]] == ["claims_assistant"]
    assert (out / "claims_assistant" / "review.json").exists()
    assert (out / "index.html").exists()


def test_bad_output_paths_refused_before_anything_is_written(
    baselines: Path, tmp_path: Path, capsys
) -> None:
    path = baselines / "claims_assistant" / "2026-12"
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    assert main(review_args(path, a_file)) == 2
    assert "--out" in capsys.readouterr().err and a_file.read_text() == "keep me"
    out = tmp_path / "out"
    out.mkdir()
    (out / "review.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    assert main(review_args(path, out)) == 2
    err = capsys.readouterr().err
    assert "review.xlsx: --out" in err and "symbolic link" in err
    assert sorted(p.name for p in out.iterdir()) == ["review.xlsx"]  # nothing written
    rc = main(["baseline", str(SCENARIO), "--as-of", "2027-06", "--draws", "1000",
               "--out", str(a_file)])  # fmt: skip
    assert rc == 2 and a_file.read_text() == "keep me"


def test_invalid_mapping_is_not_reported_as_missing(
    baselines: Path, tmp_path: Path, capsys
) -> None:
    """A mapping file with a rule for a line the scenario lacks: its own problem, exit 2,
    and no "needs a mapping file" as if --map had not been given."""
    bad = tmp_path / "mapping.yaml"
    bad.write_text((EX / "mapping.yaml").read_text().replace("line: vector_store", "line: vectors"))
    args = review_args(baselines / "claims_assistant" / "2026-12", tmp_path / "out")
    args[args.index("--map") + 1] = str(bad)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "vectors" in err and "needs a mapping file" not in err
    assert not (tmp_path / "out").exists()


def test_baseline_checks_its_command_line_like_forecast(tmp_path: Path, capsys) -> None:
    """A negative or huge seed, a bad month and too few draws: all listed, exit 2 (a
    negative seed was an internal error, a 23-digit one was recorded); draws that cannot
    fit in memory are refused before the run (they were killed by the OS)."""
    out = tmp_path / "b"
    args = ["baseline", str(SCENARIO), "--as-of", "2026-1", "--seed", "-1", "--draws", "10"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "--as-of" in err and "--draws" in err
    huge = ["baseline", str(SCENARIO), "--as-of", "2026-12", "--seed", "9" * 23]
    assert main([*huge, "--out", str(out)]) == 2
    many = ["baseline", str(SCENARIO), "--as-of", "2026-12", "--draws", str(10**9)]
    assert main([*many, "--out", str(out)]) == 2
    assert "GiB" in capsys.readouterr().err and not out.exists()


def test_a_hand_edited_manifest_is_refused(baselines: Path, tmp_path: Path, capsys) -> None:
    """baseline.json lists the result's hashes and carries its own: changing its as_of
    (or anything in it) is refused, like a changed result file."""
    copy = tmp_path / "claims_assistant" / "2026-12"
    shutil.copytree(baselines / "claims_assistant" / "2026-12", copy)
    man = copy / "baseline.json"
    assert len(json.loads(man.read_text())["manifest_sha256"]) == 64
    man.write_text(man.read_text().replace('"as_of": "2026-12"', '"as_of": "2026-11"'))
    out = tmp_path / "out"
    assert main(review_args(copy, out)) == 2
    assert "baseline.json: altered since it was saved" in capsys.readouterr().err
    assert not out.exists()


def test_usage_band_without_a_per_request_line(tmp_path: Path) -> None:
    """A history-based scenario with token lines but no per_request line: the saved
    baseline keeps each draw's requests, so requests get a percentile and band (they
    were null); its P10..P90 are those of the kept draws' requests over the period."""
    d = tmp_path / "b"
    scen = ROOT / "data" / "scenarios" / "usage_history_reforecast.yaml"
    rc = main(["baseline", str(scen), "--as-of", "2026-12", "--draws", "1000", "--seed", "1",
               "--out", str(d)])  # fmt: skip
    assert rc == 0
    path = d / "support_reply_reforecast" / "2026-12"
    kept = aiopex.load_baseline(path).result.draws.requests
    assert kept.shape == (1000, 24)
    (tmp_path / "usage.csv").write_text(
        "month,requests\n2027-01,170000\n2027-02,171000\n2027-03,169000\n"
    )
    costs = "".join(f"2027-0{m},monitoring_tool,1200,1\n" for m in (1, 2, 3))
    (tmp_path / "costs.csv").write_text("month,line,amount,quantity\n" + costs)
    out = tmp_path / "r"
    args = ["review", "--baseline", str(path), "--actuals", str(tmp_path / "costs.csv"),
            "--usage", str(tmp_path / "usage.csv"), "--period", "2027-Q1", "--out", str(out),
            "--no-report"]  # fmt: skip
    assert main(args) == 0
    u = json.loads((out / "review.json").read_text())["usage"]
    per_draw = kept[:, :3].sum(axis=1)
    assert u["p10"] == pytest.approx(np.percentile(per_draw, 10))
    assert u["p90"] == pytest.approx(np.percentile(per_draw, 90))
    assert u["percentile"] == pytest.approx(100 * np.mean(per_draw <= 510000.0))
    assert u["band"] in ("below", "within", "above")


def test_save_baseline_rerun_is_safe_a_different_one_refused(
    baselines: Path, tmp_path: Path, capsys
) -> None:
    """--save-baseline twice with the same inputs: the rerun succeeds and says the next
    baseline was already saved (it failed with exit 2); a different re-forecast where
    it exists is refused (baselines are immutable), nothing written."""
    copy = tmp_path / "bl" / "claims_assistant" / "2026-12"
    shutil.copytree(baselines / "claims_assistant" / "2026-12", copy)
    out = tmp_path / "out"
    assert main(review_args(copy, out, "--save-baseline")) == 0
    assert "next baseline saved" in capsys.readouterr().out
    nxt = tmp_path / "bl" / "claims_assistant" / "2027-03"
    saved = {p: p.read_bytes() for p in sorted(nxt.rglob("*")) if p.is_file()}
    assert main(review_args(copy, out, "--save-baseline")) == 0
    assert "next baseline already saved" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in sorted(nxt.rglob("*")) if p.is_file()} == saved
    other = tmp_path / "other"
    assert main(review_args(copy, other, "--save-baseline", "--reprice")) == 2
    err = capsys.readouterr().err
    assert "a different baseline already exists" in err and "immutable" in err
    assert not other.exists()


def test_period_at_or_before_the_baselines_as_of_refused(
    baselines: Path, tmp_path: Path, capsys
) -> None:
    """A baseline as of 2027-01 already knew January's actuals: reviewing 2027-Q1 against
    it is refused (it was accepted), exit 2, nothing written."""
    d = tmp_path / "b"
    rc = main(["baseline", str(SCENARIO), "--as-of", "2027-01", "--draws", "1000", "--seed", "7",
               "--out", str(d)])  # fmt: skip
    assert rc == 0
    out = tmp_path / "out"
    assert main(review_args(d / "claims_assistant" / "2027-01", out)) == 2
    err = capsys.readouterr().err
    assert "--period" in err and "at or before the baseline's as_of 2027-01" in err
    assert not out.exists()


def test_materiality_share_as_a_percentage_refused(baselines: Path, tmp_path: Path, capsys):
    """--materiality 5,1000 (5 meant as 5%) made nothing material; it is refused with a
    hint, like a rate written as a percentage in a scenario."""
    out = tmp_path / "out"
    args = review_args(baselines / "claims_assistant" / "2026-12", out, "--materiality", "5,1000")
    assert main(args) == 2
    assert "--materiality: 5 looks like a percentage; write 0.05" in capsys.readouterr().err
    assert not out.exists()


def test_review_json_records_version_seed_and_input_hashes(baselines: Path, tmp_path: Path):
    """review.json records the package version, the re-forecast's seed and the sha256 of
    every file read (actuals, mapping, usage, the baseline's files): they were missing."""
    import hashlib

    path = baselines / "claims_assistant" / "2026-12"
    out = tmp_path / "r"
    assert main(review_args(path, out)) == 0
    rv = json.loads((out / "review.json").read_text())
    assert rv["version"] == aiopex.__version__ and rv["seed"] == 7
    inputs = rv["inputs"]
    read = [EX / "other_costs.csv", EX / "mapping.yaml", EX / "usage.csv", path / "baseline.json",
            *sorted((EX / "focus").rglob("*.*"))]  # fmt: skip
    for f in read:
        assert inputs[str(f)] == hashlib.sha256(f.read_bytes()).hexdigest(), f
    assert all(len(h) == 64 for h in inputs.values())
    assert {"period", "months", "baseline", "currency", "lines", "reforecast"} <= set(rv)


def test_a_line_billed_in_mixed_units_has_no_quantity(baselines: Path, tmp_path: Path) -> None:
    """A rule that also maps Log Analytics (GB) to the GPU line (node hours): the amounts
    add up, the quantities cannot, so the line's variance is unexplained, and review.json
    and the report's data quality say why."""
    mapping = tmp_path / "mapping.yaml"
    rule = (  # GB scaled as if node-months: the rule converts, the units still differ
        '  - line: reranker_gpu\n    match: {ServiceName: "Log Analytics"}\n'
        "    quantity_scale: 1.0\n"
    )
    mapping.write_text((EX / "mapping.yaml").read_text().replace("rules:\n", "rules:\n" + rule))
    args = review_args(baselines / "claims_assistant" / "2026-12", tmp_path / "out")
    args[args.index("--map") + 1] = str(mapping)
    assert main(args) == 0
    rv = json.loads((tmp_path / "out" / "review.json").read_text())
    gpu = next(x for x in rv["lines"] if x["line"] == "reranker_gpu")
    assert set(rv["mixed_units"]["reranker_gpu"]["units"]) == {"1 Hour", "1 GB"}
    assert gpu["volume"] == gpu["price"] == 0 and gpu["unexplained"] == pytest.approx(
        gpu["variance"]
    )
    assert "Log Analytics" not in rv["unmapped"]["by_service"]


def test_usage_given_a_folder(baselines: Path, tmp_path: Path, capsys) -> None:
    """--usage takes one CSV: a folder is named as such, not '[Errno 21] Is a directory'."""
    args = review_args(baselines / "claims_assistant" / "2026-12", tmp_path / "out")
    args[args.index("--usage") + 1] = str(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "a folder; --usage takes one CSV file" in err and "Errno" not in err


def test_billing_export_problems_all_at_once(baselines: Path, tmp_path: Path, capsys) -> None:
    """A US-style date, a unit a rule cannot convert, two undated deliveries of one billing
    period and a rule naming a column no file has: exit 2, each named (file and row, or
    rule), nothing written."""
    import shutil

    exports = tmp_path / "focus"
    shutil.copytree(EX / "focus", exports)
    jan = exports / "claims-costs" / "20270101-20270131" / "part_0_0001.csv"
    text = jan.read_text().splitlines()
    end_start = "2027-01-01T23:59:59Z,2027-01-01T00:00:00Z"  # ChargePeriodEnd, ChargePeriodStart
    assert end_start in text[1]
    text[1] = text[1].replace(end_start, "2027-01-01T23:59:59Z,1/1/27")
    jan.write_text("\n".join(text) + "\n")
    feb = exports / "claims-costs" / "20270201-20270228" / "part_0_0001.csv"
    again = exports / "claims-costs" / "again.csv"  # February delivered twice, undated
    again.write_text(feb.read_text().replace("Contoso Insurance", "Contoso"))
    mapping = tmp_path / "mapping.yaml"
    extra = (
        '  - line: reranker_gpu\n    match: {ServiceName: "Log Analytics"}\n'
        "  - line: quality_audit\n    match: {x_CostCenter: claims}\n"
    )
    mapping.write_text((EX / "mapping.yaml").read_text().replace("rules:\n", "rules:\n" + extra))
    out = tmp_path / "out"
    args = review_args(baselines / "claims_assistant" / "2026-12", out)
    args[args.index("--map") + 1] = str(mapping)
    args[args.index("--actuals") + 1] = str(exports)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{jan}: row 2, ChargePeriodStart: expected an ISO 8601 date-time" in err
    assert "got '1/1/27'" in err
    assert "rules[0]: PricingUnit '1 GB'" in err and "line reranker_gpu" in err
    assert "rules[1].match.x_CostCenter: no such column in the export" in err
    assert f"{again}" in err and "cannot be ordered" in err
    assert "Traceback" not in err and not out.exists()


def test_bundled_review_ties_to_the_invoice(baselines: Path, tmp_path: Path) -> None:
    """The bundled example's Q1 invoices: the parts add up to the invoiced BilledCost of
    every row billed in January to March (computed here from the files)."""
    import math

    import pandas as pd

    out = tmp_path / "out"
    assert main(review_args(baselines / "claims_assistant" / "2026-12", out)) == 0
    rv = json.loads((out / "review.json").read_text())
    rc = rv["reconciliation"]
    files = sorted((EX / "focus").rglob("*.csv"))
    df = pd.concat([pd.read_csv(f, na_values=["NULL"], keep_default_na=False) for f in files])
    q1 = df["BillingPeriodStart"].str[:7].isin(["2027-01", "2027-02", "2027-03"])
    assert rc["invoice_total"] == pytest.approx(df[q1]["BilledCost"].sum(), abs=0.005)
    from aiopex.model.reconciliation import PARTS

    parts = [rc[p] for p in PARTS]
    assert round(math.fsum(parts), 2) == round(rc["invoice_total"], 2)
    assert sum(rc["rows"][p] for p in rc["rows"] if p != "invoice_total") == q1.sum()
    dq = rv["data_quality"]
    assert dq["focus_version"] == "1.2" and dq["superseded_exports"] == []
    assert dq["units"]["llm_input_tokens"] == ["1K Tokens"]
