"""Hostile input, second round: each defect class as an adversary met it.

Bad input gets exit 2 with every problem listed and nothing written; nothing that
exists is replaced unless it is aiopex's own output of the same kind.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aiopex.cli import main
from aiopex.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"
EX = ROOT / "data" / "actuals"
SCENARIO = EX / "claims_assistant.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("baselines")
    rc = main(["baseline", str(SCENARIO), "--as-of", "2026-12", "--draws", "1000", "--seed", "7",
               "--out", str(d)])  # fmt: skip
    assert rc == 0
    return d / "claims_assistant" / "2026-12"


# -- 1. forecast --save replaces only a saved result ----------------------------------------


def test_save_never_replaces_an_unrelated_folder_or_a_baseline(
    baseline: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    important = tmp_path / "important"
    important.mkdir()
    (important / "thesis.docx").write_text("years of work")
    before = tree(baseline)
    for target in (important, baseline, baseline / "result"):
        assert main(["forecast", str(CLAIMS), "--save", str(target)]) == 2
        assert "--save" in capsys.readouterr().err
    assert (important / "thesis.docx").read_text() == "years of work"
    assert tree(baseline) == before
    # the current folder: refused, and no '.old' folder left behind
    monkeypatch.chdir(important)
    assert main(["forecast", str(CLAIMS), "--save", "."]) == 2
    assert "current folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["important"]
    assert sorted(p.name for p in important.iterdir()) == ["thesis.docx"]


def test_save_into_a_new_an_empty_or_its_own_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["forecast", str(CLAIMS), "--save", str(empty)]) == 0
    assert json.loads((empty / "manifest.json").read_text())["format"] == "aiopex.result"
    assert main(["forecast", str(CLAIMS), "--save", str(empty), "--seed", "3"]) == 0  # rerun
    assert main(["forecast", str(CLAIMS), "--save", str(tmp_path / "new" / "r")]) == 0


# -- 5. repeated column names -------------------------------------------------------------


def test_a_repeated_column_is_refused_naming_it(tmp_path: Path) -> None:
    from aiopex.errors import DataError
    from aiopex.inputs.actuals import read_native, read_usage

    f = tmp_path / "a.csv"
    f.write_text("month,line,amount,amount\n2027-01,gpu,24123,453697\n")
    with pytest.raises(DataError) as e:
        read_native(f, lines={"gpu": "fixed"}, currency="USD")
    assert [(p.field, p.message) for p in e.value.problems] == [
        ("amount", "column appears twice (columns 3 and 4); keep one")
    ]
    u = tmp_path / "u.csv"
    u.write_text("month,requests,requests\n2027-01,5,6\n")
    with pytest.raises(DataError, match="requests: column appears twice"):
        read_usage(u)


# -- 8. FIFOs, devices and sizes ----------------------------------------------------------


def _review(tmp_path: Path, baseline: Path, **over: str) -> subprocess.CompletedProcess:
    args = {"--actuals": str(EX / "other_costs.csv"), "--map": str(EX / "mapping.yaml"),
            "--usage": str(EX / "usage.csv"), "--period": "2027-Q1",
            "--out": str(tmp_path / "out"), **over}  # fmt: skip
    cmd = [sys.executable, "-m", "aiopex", "review", "--baseline", str(baseline), "--no-report"]
    for k, v in args.items():
        cmd += [k, v] if v else [k]  # an empty value: a flag
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("option", ["--map", "--usage", "--actuals"])
def test_fifos_and_devices_are_refused_not_read(
    baseline: Path, tmp_path: Path, option: str
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path, kind in ((fifo, "a FIFO (named pipe)"), (zero, "a device")):
        r = _review(tmp_path, baseline, **{option: str(path)})  # hung, or MemoryError
        assert r.returncode == 2, r.stderr
        assert f"{path}: is {kind}, not a regular" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_a_large_mapping_is_refused_at_once(tmp_path: Path) -> None:
    from aiopex.errors import DataError
    from aiopex.inputs.mapping import MAX_MAPPING_BYTES, load_mapping

    f = tmp_path / "map.yaml"
    f.write_text("rules:\n" + "  - {line: gpu, match: {ServiceName: x}}\n" * 40_000)
    assert f.stat().st_size > MAX_MAPPING_BYTES
    with pytest.raises(DataError, match="the limit is 1,000,000"):
        load_mapping(f)


# -- 9. native CSV read by DuckDB, bounded ------------------------------------------------


def test_a_native_gzip_bomb_is_refused_within_its_bound(tmp_path: Path) -> None:
    from aiopex.errors import DataError
    from aiopex.inputs.actuals import MAX_NATIVE_BYTES, read_native, read_usage

    f = tmp_path / "bomb.csv.gz"
    row = b"2027-01,gpu,1\n"
    with gzip.open(f, "wb", compresslevel=9) as fh:
        fh.write(b"month,line,amount\n")
        block = row * 100_000
        for _ in range(MAX_NATIVE_BYTES // len(block) + 2):
            fh.write(block)
    assert f.stat().st_size < MAX_NATIVE_BYTES // 50
    with pytest.raises(DataError, match="inflates to more than the limit"):
        read_native(f, lines={"gpu": "fixed"}, currency="USD")
    big = tmp_path / "usage.csv"
    big.write_bytes(b"month,requests\n" + b"2027-01,1\n" * (MAX_NATIVE_BYTES // 10 + 1))
    with pytest.raises(DataError, match="the limit is 20,000,000"):
        read_usage(big)


def test_native_rows_as_duckdb_reads_them(tmp_path: Path) -> None:
    from aiopex.inputs.actuals import read_native

    f = tmp_path / "a.csv.gz"
    with gzip.open(f, "wt") as fh:
        fh.write('\ufeffmonth,line,amount,quantity\n2027-01,gpu,"1,234.5",2\n2027-01,gpu,10,\n')
    a = read_native(f, lines={"gpu": "fixed"}, currency="USD")
    assert a.lines["amount"].sum() == 1244.5


# -- 17. ASCII YYYY-MM only ---------------------------------------------------------------


def test_months_are_ascii_and_normalized(tmp_path: Path) -> None:
    from aiopex.errors import DataError
    from aiopex.inputs.actuals import read_native

    f = tmp_path / "a.csv"
    f.write_text("month,line,amount\n\uff12\uff10\uff12\uff17-01,gpu,5\n 2027-02 ,gpu,5\n")
    with pytest.raises(DataError) as e:
        read_native(f, lines={"gpu": "fixed"}, currency="USD")
    assert [p.field for p in e.value.problems] == ["row 2, month"]
    f.write_text("month,line,amount\n 2027-02 ,gpu,5\n")
    a = read_native(f, lines={"gpu": "fixed"}, currency="USD")
    assert set(a.lines["month"]) == {"2027-02"}


# -- 24-27. messages and leftovers --------------------------------------------------------


def test_messages_say_what_is_wrong(tmp_path: Path, capsys) -> None:
    text = CLAIMS.read_text()
    assert main(["forecast", str(CLAIMS), "--set", "costs[0].remove=true"]) == 2
    err = capsys.readouterr().err
    assert "did you mean remove" not in err and "extends another" in err
    assert main(["forecast", str(CLAIMS), "--set", "extends="]) == 2
    err = capsys.readouterr().err
    assert "did you mean extends" not in err and "not an override" in err
    e = tmp_path / "e.yaml"
    e.write_text("extends: ''\n" + text)
    assert main(["validate", str(e)]) == 2
    assert "extends: must be a file name (a string), got ''" in capsys.readouterr().err


def test_symlink_loops_are_bad_input(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    assert "Too many levels of symbolic links" in capsys.readouterr().err
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "symbolic links" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_usage_history_bounded_and_never_quoted(tmp_path: Path, capsys) -> None:
    from aiopex.inputs.history import MAX_HISTORY_ROWS

    h = tmp_path / "h.csv"
    h.write_text("month,requests\n" + "2020-01,100\n" * (MAX_HISTORY_ROWS + 5))
    s = ROOT / "data" / "scenarios" / "usage_history_reforecast.yaml"
    over = f"usage.history={h}"
    assert main(["forecast", str(s), "--set", over]) == 2
    assert f"more than {MAX_HISTORY_ROWS:,} rows" in capsys.readouterr().err
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    assert main(["forecast", str(s), "--set", f"usage.history={secret}"]) == 2
    err = capsys.readouterr().err
    assert "bin/bash" not in err and "not a usage history" in err


# -- 6. portfolio budget keys -------------------------------------------------------------


@pytest.mark.parametrize(
    "keys, field, said",
    [
        ("{2027: 5, 2027.0: 1}", "budget.2027.0", "expected a fiscal year"),
        ("{2027: 5, 0x7eb: 1}", "budget.0x7eb", "expected a fiscal year"),
        ('{2027: 5, "FY2027": 1}', "budget.FY2027", "FY2027 is given twice ('2027' on line"),
    ],
)
def test_budget_keys_are_fiscal_year_names(tmp_path: Path, keys: str, field: str, said: str):
    from aiopex.errors import AiopexError
    from aiopex.inputs.portfolio_file import read_portfolio

    f = tmp_path / "p.yaml"
    f.write_text(f"name: p\nmembers: [{CLAIMS}]\nbudget: {keys}\n")
    with pytest.raises(AiopexError) as e:
        read_portfolio(f)
    assert [(p.field, said in p.message) for p in e.value.problems] == [(field, True)]


# -- 19. formula-leading text in CSVs -----------------------------------------------------


def test_every_csv_written_neutralizes_formulas(tmp_path: Path) -> None:
    import pandas as pd

    from aiopex.atomic import write_csv

    f = tmp_path / "a.csv"
    write_csv(pd.DataFrame({"=name": ["=HYPERLINK(1)", "@SUM(A1)", "ok"], "x": [-1.5, 2, 3]}), f)
    assert f.read_text().splitlines() == [
        "'=name,x",
        "'=HYPERLINK(1),-1.5",
        "'@SUM(A1),2.0",
        "ok,3.0",
    ]
    # and every writer of a CSV goes through it
    src = ROOT / "src" / "aiopex"
    writers = [p for p in src.rglob("*.py") if ".to_csv(" in p.read_text()]
    assert writers == [src / "atomic.py"]


def test_csv_text_without_formulas_is_written_as_it_is(tmp_path: Path) -> None:
    """Text columns with nothing to neutralize skip the per-cell pass; same file."""
    import pandas as pd

    from aiopex.atomic import write_csv

    frame = pd.DataFrame(
        {
            "text": pd.array(["ok", None, "a-b", "ok"], dtype="str"),
            "mixed": pd.Series([1, 2.5, None, "x"], dtype=object),
            "bad": pd.array(["ok", "-1", None, "+x"], dtype="str"),
        }
    )
    write_csv(frame, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text().splitlines() == [
        "text,mixed,bad",
        "ok,1,ok",
        ",2.5,'-1",
        "a-b,,",
        "ok,x,'+x",
    ]


# -- 13. review takes the --out lock ------------------------------------------------------


def test_review_refused_while_another_run_writes_into_out(baseline: Path, tmp_path: Path):
    from aiopex.batch.lock import lock_output

    out = tmp_path / "out"
    with lock_output(out):
        r = _review(tmp_path, baseline)
    assert r.returncode == 2 and "another aiopex run is writing into this folder" in r.stderr
    assert sorted(out.iterdir()) == []
    r = _review(tmp_path, baseline, **{"--out": str(tmp_path / "bad" / "out"), "--period": "x"})
    assert r.returncode == 2 and not (tmp_path / "bad").exists()  # no empty folder left


# -- 21. an output may not be an input ----------------------------------------------------


def test_outputs_onto_inputs_are_refused(baseline: Path, tmp_path: Path, capsys) -> None:
    s = tmp_path / "s.yaml"
    s.write_bytes(CLAIMS.read_bytes())
    assert main(["forecast", str(s), "--ledger", str(s)]) == 2
    assert "is the input FILE" in capsys.readouterr().err
    assert main(["forecast", str(s), "--save", str(tmp_path)]) == 2
    assert "holds the input FILE" in capsys.readouterr().err
    assert s.read_bytes() == CLAIMS.read_bytes()
    actuals = tmp_path / "actuals"
    actuals.mkdir()
    (actuals / "costs.csv").write_bytes((EX / "other_costs.csv").read_bytes())
    inside = actuals / "review"
    r = _review(tmp_path, baseline, **{"--actuals": str(actuals), "--out": str(inside)})
    assert r.returncode == 2 and "is inside the input folder --actuals" in r.stderr
    assert sorted(p.name for p in actuals.iterdir()) == ["costs.csv"]


# -- 4. rows without a quantity: the variance is unexplained ------------------------------


def test_rows_without_a_quantity_leave_the_line_unexplained(baseline: Path, tmp_path: Path):
    from aiopex.inputs.actuals import read_native

    rows = (EX / "other_costs.csv").read_text()
    f = tmp_path / "costs.csv"
    f.write_text(rows + "2027-02,support_team,50000,,USD\n")  # one row, no quantity
    names = {r.split(",")[1] for r in rows.splitlines()[1:]}
    a = read_native(f, lines=dict.fromkeys(names, "fixed"), currency="USD")
    q = a.lines.set_index(["line", "month"])["quantity"]
    assert np.isnan(q[("support_team", "2027-02")]) and q[("support_team", "2027-01")] == 1.5
    r = _review(tmp_path, baseline, **{"--actuals": str(f), "--map": str(EX / "mapping.yaml")})
    assert r.returncode == 0, r.stderr
    rv = json.loads((tmp_path / "out" / "review.json").read_text())
    line = next(x for x in rv["lines"] if x["line"] == "support_team")
    assert line["price"] == 0 and line["volume"] == 0
    assert line["unexplained"] == pytest.approx(line["variance"])


def test_focus_rows_without_a_quantity_leave_the_line_without_one(tmp_path: Path) -> None:
    from aiopex.inputs.focus import read_focus
    from aiopex.inputs.mapping import load_mapping

    head = ("ChargePeriodStart,BillingPeriodStart,BillingCurrency,ChargeCategory,ChargeClass,"
            "ServiceName,PricingQuantity,PricingUnit,EffectiveCost,ProviderName")  # fmt: skip
    t = "2027-01-01T00:00:00Z"
    f = tmp_path / "focus.csv"
    f.write_text(head + f"\n{t},{t},USD,Usage,,GPU,10,Hours,100,P\n"
                 f"{t},{t},USD,Usage,,GPU,NULL,Hours,50000,P\n")  # fmt: skip
    m = tmp_path / "map.yaml"
    m.write_text("rules:\n  - {line: gpu, match: {ServiceName: GPU}, quantity_scale: 1}\n")
    a = read_focus([f], mapping=load_mapping(m, {"gpu"}), currency="USD", lines={"gpu": "fixed"})
    assert a.lines["amount"].sum() == 50100 and np.isnan(a.lines["quantity"].iloc[0])


def test_currency_is_a_real_code_and_a_date_is_named(tmp_path: Path, capsys) -> None:
    text = CLAIMS.read_text()
    s = tmp_path / "s.yaml"
    s.write_text(text.replace("currency: USD", "currency: ABC", 1))
    assert main(["validate", str(s)]) == 2
    assert "currency: 'ABC' is not the ISO 4217 code of a currency" in capsys.readouterr().err
    s.write_text(text.replace('start: "2027-01"', "start: 2027-01-01", 1))
    assert 'start: "2027-01"' in text
    assert main(["validate", str(s)]) == 2
    err = capsys.readouterr().err
    assert "got the date 2027-01-01" in err and "datetime" not in err


# -- 14. --scheduler tcp:// --------------------------------------------------------------


def test_a_scheduler_address_that_is_not_dask_is_refused_in_bounded_time(tmp_path: Path):
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:  # accepts, and never says a word
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    pf = ROOT / "data" / "portfolios" / "ai_portfolio.yaml"
    try:
        for address, said in (
            (f"tcp://127.0.0.1:{port}", "no Dask scheduler answered"),
            ("tcp://", "expected tcp://HOST:PORT"),
            ("tcp://[::1", "expected tcp://HOST:PORT"),
            ("tcp://h:99999", "expected tcp://HOST:PORT"),
            ("tls://h:1", "tls:// needs certificates"),
        ):
            began = time.monotonic()
            r = subprocess.run(
                [sys.executable, "-m", "aiopex", "portfolio", str(pf), "--scheduler", address,
                 "--out", str(tmp_path / "out"), "--draws", "100"],
                capture_output=True, text=True, timeout=90,
            )  # fmt: skip
            assert r.returncode == 2 and said in r.stderr, (address, r.stderr)
            assert time.monotonic() - began < 60
    finally:
        stop.set()
        thread.join(5)
        for c in accepted:
            c.close()
        server.close()
    assert accepted  # the probe did connect
    assert not (tmp_path / "out").exists()


# -- 22. the memory estimate is an honest bound ---------------------------------------------


@pytest.mark.parametrize("kept", [2000, 150_000])
def test_memory_estimate_bounds_the_measured_peak(tmp_path: Path, kept: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from memory_estimate import CHILD, LINE, SMALL
    finally:
        sys.path.pop(0)
    f = tmp_path / "small.yaml"  # 12 months, 2 lines: the per-draw summaries dominate
    f.write_text(SMALL.format(H=12) + LINE.format(i=0))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(f), "150000", str(kept)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    m = json.loads(out.stdout)
    assert 0.5 < m["ratio"] < 1.0, m  # was 2.0 (kept 2,000) and 3.0 (all kept)


# -- 3. a baseline without its checksum ------------------------------------------------------


def test_a_baseline_without_manifest_sha256_is_refused(baseline: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "claims_assistant" / "2026-12"
    shutil.copytree(baseline, copy)
    man = copy / "baseline.json"
    doc = json.loads(man.read_text())
    del doc["manifest_sha256"]
    man.write_text(json.dumps(doc))
    r = _review(tmp_path, copy)
    assert r.returncode == 2 and "manifest_sha256: missing" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


# -- 7. a baseline holds its usage history -------------------------------------------------


def test_a_baseline_keeps_its_own_copy_of_the_usage_history(tmp_path: Path, capsys) -> None:
    import shutil

    from aiopex.analyses.review import BaselineArrays
    from aiopex.result.baselines import load_baseline

    (tmp_path / "scenarios").mkdir()
    shutil.copytree(ROOT / "data" / "history", tmp_path / "history")
    s = tmp_path / "scenarios" / "s.yaml"
    s.write_bytes((ROOT / "data" / "scenarios" / "usage_history_reforecast.yaml").read_bytes())
    rc = main(["baseline", str(s), "--as-of", "2027-03", "--draws", "1000", "--seed", "1",
               "--out", str(tmp_path / "bl")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    folder = tmp_path / "bl" / "support_reply_reforecast" / "2027-03"
    history = tmp_path / "history" / "support_usage.csv"
    before = BaselineArrays.from_result(load_baseline(folder).result).history
    history.write_text(history.read_text().replace(",", ",9"))  # edited after the baseline
    after = BaselineArrays.from_result(load_baseline(folder).result).history
    pd.testing.assert_frame_equal(before, after)
    history.unlink()  # and deleted
    arr = BaselineArrays.from_result(load_baseline(folder).result)
    pd.testing.assert_frame_equal(before, arr.history)
    assert arr.history_path is not None and Path(arr.history_path).is_relative_to(folder)
    copy = folder / "result" / "usage_history.csv"  # the copy is checked like the rest
    copy.write_text(copy.read_text() + "\n")
    with pytest.raises(DataError, match="usage_history.csv: altered since it was saved"):
        load_baseline(folder)


# -- 10. hashing in chunks -----------------------------------------------------------------


def test_input_hashes_read_files_in_chunks(tmp_path: Path) -> None:
    import hashlib
    import tracemalloc
    from types import SimpleNamespace

    from aiopex.analyses.review.gather import input_hashes

    big = tmp_path / "export.csv"
    with big.open("wb") as fh:
        for _ in range(40):
            fh.write(b"x" * (1 << 20))
    (tmp_path / "baseline.json").write_text("{}")
    bl = SimpleNamespace(path=tmp_path, manifest={"files": {}})
    tracemalloc.start()
    try:
        got = input_hashes(bl, [str(big)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got[str(big)] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert peak < 8 * (1 << 20), peak  # read whole: 40 MiB


# -- 2. a folder of baselines: each system reads only its own actuals ------------------------


def test_each_system_reads_only_its_own_actuals(baseline: Path, tmp_path: Path) -> None:
    import shutil

    bls = tmp_path / "baselines"
    shutil.copytree(baseline, bls / "claims_assistant" / "2026-12")
    other = tmp_path / "other.yaml"  # extends the scenario it copies, by absolute path
    text = SCENARIO.read_text().replace("name: claims_assistant", "name: other_system")
    parent = (SCENARIO.parent / "../scenarios/claims_triage.yaml").resolve()
    other.write_text(text.replace("../scenarios/claims_triage.yaml", str(parent)))
    rc = main(["baseline", str(other), "--as-of", "2026-12", "--draws", "1000", "--seed", "7",
               "--out", str(bls)])  # fmt: skip
    assert rc == 0
    act = tmp_path / "actuals"
    shutil.copytree(EX / "focus", act / "focus")
    shutil.copy(EX / "other_costs.csv", act / "other_costs.csv")
    (act / "other_system").mkdir()  # the other system's own bills: 1,000,000 a month
    rows = "".join(f"2027-{m:02d},support_team,1000000,,USD\n" for m in (1, 2, 3))
    (act / "other_system" / "costs.csv").write_text("month,line,amount,quantity,currency\n" + rows)
    r = _review(tmp_path, bls, **{"--actuals": str(act), "--out": str(tmp_path / "all")})
    assert r.returncode == 0, r.stderr
    got = json.loads((tmp_path / "all" / "claims_assistant" / "review.json").read_text())
    theirs = json.loads((tmp_path / "all" / "other_system" / "review.json").read_text())
    support = {x["line"]: x for x in got["lines"]}["support_team"]
    assert support["actual"] < 1_000_000  # not the other system's bills
    assert {x["line"]: x for x in theirs["lines"]}["support_team"]["actual"] == 3_000_000


# -- 17. months and periods on the review's command line ---------------------------------


@pytest.mark.parametrize(
    "text", ["2027-Q1\n", "\uff12\uff10\uff127-Q1", "2027-1..2027-3", "FY2027-Q1\n"]
)
def test_a_period_is_ascii_and_exact(text: str) -> None:
    from aiopex.analyses.review import parse_period

    with pytest.raises(DataError, match="--period"):
        parse_period(text)


def test_as_of_and_period_are_exact_and_recorded_as_read(
    baseline: Path, tmp_path: Path, capsys
) -> None:
    for as_of in ("2026-12\n", "\uff12\uff10\uff126-12", " 2026-12"):
        rc = main(["baseline", str(SCENARIO), "--as-of", as_of, "--draws", "1000",
                   "--out", str(tmp_path / "bl")])  # fmt: skip
        assert rc == 2 and "--as-of: expected YYYY-MM" in capsys.readouterr().err
    assert not (tmp_path / "bl").exists()
    r = _review(tmp_path, baseline, **{"--period": " 2027-Q1 "})
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out" / "review.json").read_text())["period"] == "2027-Q1"


# -- 11. finiteness before anything is written --------------------------------------------


def test_amounts_that_overflow_are_refused_before_writing(baseline: Path, tmp_path: Path):
    f = tmp_path / "costs.csv"
    rows = (EX / "other_costs.csv").read_text()
    f.write_text(rows + "2027-02,support_team,1e308,,USD\n2027-03,support_team,1e308,,USD\n")
    r = _review(tmp_path, baseline, **{"--actuals": str(f)})
    assert r.returncode == 2 and "overflow" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


# -- 16. a rerun with --no-report removes the earlier report ------------------------------


def test_a_rerun_without_the_report_removes_the_old_one(baseline: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("review.html", "review.ipynb"):  # as an earlier run with its report left them
        (out / name).write_text("old numbers")
    (tmp_path / "keep.html").write_text("mine")
    (out / "notes.html").symlink_to(tmp_path / "keep.html")
    r = _review(tmp_path, baseline)
    assert r.returncode == 0, r.stderr
    assert not (out / "review.html").exists() and not (out / "review.ipynb").exists()
    assert (out / "review.json").exists() and (tmp_path / "keep.html").read_text() == "mine"


def test_a_portfolio_rerun_without_the_report_removes_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "portfolio.html").write_text("old numbers")
    pf = ROOT / "data" / "portfolios" / "ai_portfolio.yaml"
    rc = main(["portfolio", str(pf), "--out", str(out), "--draws", "200", "--seed", "1",
               "--scheduler", "inline", "--no-report"])  # fmt: skip
    assert rc == 0
    assert not (out / "portfolio.html").exists() and (out / "portfolio.json").exists()


# -- 18. every output target checked first -------------------------------------------------


def test_save_baseline_target_checked_before_anything_is_written(
    baseline: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "bl" / "claims_assistant" / "2026-12"
    shutil.copytree(baseline, copy)
    nxt = copy.parent / "2027-03"
    nxt.symlink_to(tmp_path / "nowhere")  # dangling
    r = _review(tmp_path, copy, **{"--save-baseline": ""})
    assert r.returncode == 2 and "--save-baseline: is a symbolic link" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


# -- 20. load_result checks what it reads ----------------------------------------------------


def test_load_result_refuses_damaged_and_edited_saves(tmp_path: Path) -> None:
    import shutil

    import aiopex
    from aiopex.result.saved import manifest_hash

    saved = tmp_path / "saved"
    assert (
        main(["forecast", str(CLAIMS), "--draws", "50", "--seed", "1", "--save", str(saved)]) == 0
    )
    aiopex.load_result(saved)

    def damaged(edit) -> str:
        copy = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
        shutil.copytree(saved, copy)
        edit(copy)
        with pytest.raises(DataError) as e:
            aiopex.load_result(copy)
        return str(e.value)

    def manifest(copy: Path, change, rehash: bool = False) -> None:
        doc = json.loads((copy / "manifest.json").read_text())
        doc = change(doc)
        if rehash and isinstance(doc, dict):
            doc["manifest_sha256"] = manifest_hash(doc)
        (copy / "manifest.json").write_text(json.dumps(doc))

    def metric(doc: dict) -> dict:
        doc["metrics"]["npv"] *= 10
        return doc

    assert "altered since it was saved" in damaged(lambda c: manifest(c, metric))
    assert "manifest_sha256: missing" in damaged(
        lambda c: manifest(c, lambda d: {k: v for k, v in d.items() if k != "manifest_sha256"})
    )
    assert "damaged" in damaged(lambda c: manifest(c, lambda d: [d]))
    assert "damaged" in damaged(lambda c: manifest(c, lambda d: {**d, "months": None}, rehash=True))

    def truncate(copy: Path) -> None:  # a damaged file whose checksum was made to match
        f = copy / "lines.parquet"
        f.write_bytes(f.read_bytes()[:100])
        manifest(copy, lambda d: {**d, "files": {**d["files"], "lines.parquet": sha(f)}}, True)

    def sha(f: Path) -> str:
        import hashlib

        return hashlib.sha256(f.read_bytes()).hexdigest()

    assert "damaged" in damaged(truncate)
    assert "lines.parquet: altered" in damaged(
        lambda c: (c / "lines.parquet").write_bytes((c / "lines.parquet").read_bytes() + b"x")
    )
