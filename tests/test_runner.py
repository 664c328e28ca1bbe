"""The batch runner behind ``aiopex run``.

Fast tests cover validation (every problem of every file, nothing written) and
the index. The ``slow`` ones start kernels: the IPC transport, the retry of a
kernel that dies at start, a failing cell kept in its notebook, and a batch over
the bundled scenarios plus one that fails at run time.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from aiopex import load_result
from aiopex.batch import runner
from aiopex.batch.runner import (
    ReportStatus,
    execute_notebook,
    export_html,
    run_batch,
    write_index,
)
from aiopex.errors import AiopexError
from aiopex.outputs.html import headline_values

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"
CLAIMS = SCENARIOS / "claims_triage.yaml"
#: A chart in an HTML report: an embedded PNG with its title as alternative text.
CHART = r'<img alt="(?!No description)[^"]+"[^>]*src="data:image/png;base64,'


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = []
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def _charts(html: str) -> int:
    """Charts embedded in an HTML report."""
    return len(re.findall(CHART, html))


def _leftovers(folder: Path) -> list[Path]:
    """Temporary files an interrupted or failed write would leave behind."""
    return [p for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]


# -- validation ---------------------------------------------------------------------------


def test_every_bad_input_reported_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CLAIMS.read_text().replace("bypass_rate:", "bypas_rate:"))
    out = tmp_path / "out"
    with pytest.raises(AiopexError) as exc:
        run_batch([CLAIMS, bad, tmp_path / "missing.yaml"], out, jobs=1, draws=0)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "bypas_rate" in text and "did you mean bypass_rate" in text
    assert "missing.yaml" in text and "no such file" in text
    assert "--draws" in text
    assert not out.exists()


def test_duplicate_and_reserved_names_refused(tmp_path):
    copy = tmp_path / "copy.yaml"
    shutil.copy(CLAIMS, copy)
    reserved = tmp_path / "reserved.yaml"
    reserved.write_text(CLAIMS.read_text().replace("name: claims_triage", "name: comparison"))
    with pytest.raises(AiopexError) as exc:
        run_batch([CLAIMS, copy, reserved], tmp_path / "out", jobs=1)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "'claims_triage' is also the name in" in text
    assert "'comparison' is the comparison report's name" in text
    assert not (tmp_path / "out").exists()


def test_overrides_are_validated_for_every_file(tmp_path):
    with pytest.raises(AiopexError) as exc:
        run_batch([SCENARIOS], tmp_path / "out", overrides=["costs.no_such_line.rate=1"])
    files = {p.file for p in exc.value.problems}
    assert len(files) == len(list(SCENARIOS.glob("*.yaml")))


def test_unknown_notebook_parameter_refused():
    nb = runner.NOTEBOOKS_DIR / runner.BUDGET_NOTEBOOK
    assert runner.check_parameters(nb, ["scenario", "draws", "seed"]) == []
    (problem,) = runner.check_parameters(nb, ["scenario", "drawz"])
    assert problem.field == "drawz" and "unknown parameter" in problem.message


def test_folders_expand_to_their_scenario_files(tmp_path):
    files, problems = runner.collect_scenario_files([SCENARIOS, CLAIMS, tmp_path])
    assert files == sorted(SCENARIOS.glob("*.yaml"))  # CLAIMS once
    assert [p.message for p in problems] == ["folder has no scenario files (*.yaml)"]


def test_index_lists_every_report_with_status_and_links(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/a.html", "a/a.ipynb", "a/a.xlsx", "b.html"):
        (tmp_path / name).write_text("x")
    ok = ReportStatus(
        "a",
        "scenario",
        [Path("a.yaml")],
        status="ok",
        notebook=tmp_path / "a/a.ipynb",
        html=tmp_path / "a/a.html",
        workbook=tmp_path / "a/a.xlsx",
        headline={
            "run_rate": "USD 1,000 / month",
            "npv": "USD 5",
            "payback": "month 3 (2027-04)",
            "hidden_cost_multiple": "2.0x",
        },
        details={
            "prob_npv_negative": 0.087,
            "readiness": {"text": "5 of 6 questions answered, 1 flag", "flags": ["owner: <none>"]},
        },
    )
    failed = ReportStatus(
        "b<x>", "scenario", [Path("b.yaml")], status="failed", error="KeyError: 'x'\nmore"
    )
    page = write_index(tmp_path, [ok, failed], draws=10, seed=1).read_text()
    assert 'href="a/a.html"' in page and 'href="a/a.xlsx"' in page
    assert "USD 1,000 / month" in page and "2.0x" in page and "month 3 (2027-04)" in page
    assert '<span class="failed">failed</span>' in page and "KeyError: &#x27;x&#x27;" in page
    assert "b&lt;x&gt;" in page and "more" not in page
    assert "2 reports, 1 failed" in page
    assert "8.7%" in page and "5 of 6 questions answered, 1 flag" in page
    assert "<li>owner: &lt;none&gt;</li>" in page and "hidden cost multiple</strong>" in page
    assert _leftovers(tmp_path) == [] and "Also in this folder" not in page
    # a review and a portfolio written into the same folder are linked under the table
    for sub, name in (("review-2027-Q1", "review.html"), ("portfolio", "portfolio.html")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / name).write_text("<html></html>")
    page = write_index(tmp_path, [ok], draws=10, seed=1).read_text()
    assert '<a href="review-2027-Q1/review.html">quarterly review 2027-Q1</a>' in page
    assert '<a href="portfolio/portfolio.html">portfolio</a>' in page


def test_html_report_is_one_self_contained_file(tmp_path):
    # A notebook as a report run leaves it: Markdown (with a dollar sign, which
    # MathJax would read as math), a table and a chart as outputs.
    png = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
        )
    ).decode()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Report\nCosts $5 and $6 a month."),
        nbformat.v4.new_code_cell(
            "charts.usage(result)",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": png},
                    metadata={"image/png": {"alt": "Usage"}},
                ),
                nbformat.v4.new_output(
                    "execute_result", data={"text/html": "<table><tr><td>1</td></tr></table>"}
                ),
            ],
        ),
    ]
    nbformat.write(nb, tmp_path / "r.ipynb")
    page = export_html(tmp_path / "r.ipynb", tmp_path / "r.html", "r").read_text()
    assert 'alt="Usage"' in page and "data:image/png;base64," in page
    assert "charts.usage" not in page  # no code
    # Nothing loaded from anywhere: no script or stylesheet by URL, no require.js or MathJax.
    assert re.findall(r"<script[^>]*\bsrc=", page, flags=re.I) == []
    assert re.findall(r"<link[^>]*\bhref=[\"']?(https?:)?//", page, flags=re.I) == []
    assert re.findall(r"url\(\s*[\"']?(https?:)?//", page, flags=re.I) == []
    for word in ("require.js", "require.min.js", "MathJax", "cdnjs", "unpkg", "jsdelivr"):
        assert word.lower() not in page.lower(), word


# -- kernels ------------------------------------------------------------------------------


@pytest.mark.slow
def test_kernel_uses_ipc_and_this_python(tmp_path):
    nb = _notebook(
        tmp_path / "conn.ipynb",
        "import sys\nfrom ipykernel.connect import get_connection_info\n"
        "info = get_connection_info(unpack=True)\nprint(info['transport'], sys.executable)",
    )
    run = execute_notebook(nb, tmp_path / "out" / "conn.ipynb", {})
    assert run.ok and run.attempts == 1
    text = nbformat.read(run.notebook, as_version=4).cells[0].outputs[0]["text"]
    transport, executable = text.split()
    assert transport == "ipc"
    assert Path(executable).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
def test_kernel_that_dies_at_start_is_retried(tmp_path):
    # A sitecustomize that kills the first Python to start with it: the first
    # kernel dies before answering, the second starts normally.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os\n"
        "marker = os.environ['AIOPEX_TEST_MARKER']\n"
        "if not os.path.exists(marker):\n"
        "    open(marker, 'w').close()\n"
        "    os._exit(3)\n"
    )
    nb = _notebook(tmp_path / "x.ipynb", "print(6 * 7)")
    env = {"PYTHONPATH": str(site), "AIOPEX_TEST_MARKER": str(tmp_path / "died-once")}
    run = execute_notebook(nb, tmp_path / "out" / "x.ipynb", {}, env=env)
    assert run.ok and run.attempts == 2
    assert nbformat.read(run.notebook, as_version=4).cells[0].outputs[0]["text"] == "42\n"

    (tmp_path / "died-once").unlink()
    run = execute_notebook(nb, tmp_path / "out" / "y.ipynb", {}, env=env, attempts=1)
    assert not run.ok and run.notebook is None
    assert "failed to start after 1 attempt" in run.error
    assert "Kernel died" in run.error
    assert _leftovers(tmp_path / "out") == []


@pytest.mark.slow
def test_failing_cell_keeps_the_executed_notebook(tmp_path):
    nb = _notebook(
        tmp_path / "f.ipynb",
        "x = n * 2",
        "raise ValueError(f'bad input {x}')",
        "print('never')",
        parameters="n: int = 1  # a number",
    )
    run = execute_notebook(nb, tmp_path / "out" / "f.ipynb", {"n": 21})
    assert not run.ok
    assert run.error == "ValueError: bad input 42"
    out = nbformat.read(run.notebook, as_version=4)
    errors = [o for c in out.cells if c.cell_type == "code" for o in c.outputs if "ename" in o]
    assert [e.ename for e in errors] == ["ValueError"]
    assert _leftovers(tmp_path / "out") == []


@pytest.mark.slow
def test_kernel_that_dies_mid_run_keeps_what_ran(tmp_path):
    nb = _notebook(tmp_path / "d.ipynb", "print('before')", "import os\nos._exit(1)", "print(2)")
    run = execute_notebook(nb, tmp_path / "out" / "d.ipynb", {})
    assert not run.ok and run.attempts == 1
    assert "DeadKernelError" in run.error
    kept = nbformat.read(run.notebook, as_version=4)
    assert kept.cells[0].outputs[0]["text"] == "before\n"
    assert kept.cells[2].outputs == []
    assert _leftovers(tmp_path / "out") == []


@pytest.mark.slow
def test_batch_with_a_scenario_that_fails_at_run_time(tmp_path, monkeypatch):
    # A re-forecast whose usage history is overwritten by a broken export after the
    # batch validated it: its notebook fails, the others (and the comparison) do not.
    src = tmp_path / "src"
    src.mkdir()
    history = src / "usage.csv"
    shutil.copy(ROOT / "data" / "history" / "support_usage.csv", history)
    text = (SCENARIOS / "usage_history_reforecast.yaml").read_text()
    text = text.replace("../history/support_usage.csv", "usage.csv")
    text = text.replace("name: support_reply_reforecast", "name: broken_export")
    broken = src / "broken_export.yaml"
    broken.write_text(text)

    validate = runner._validate

    def validate_then_break(*args, **kwargs):
        scenarios = validate(*args, **kwargs)
        history.write_text("month,requests\n2026-11,#REF!\n")
        return scenarios

    monkeypatch.setattr(runner, "_validate", validate_then_break)
    out = tmp_path / "reports"
    batch = run_batch([SCENARIOS, broken], out, jobs=2, draws=200, seed=5, progress=False)

    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    by_name = {r.name: r for r in batch.reports}
    assert batch.exit_code == 1 and not batch.ok
    assert "failed: broken_export: ScenarioError" in batch.describe()
    assert [r.name for r in batch.failed] == ["broken_export"]
    failed = by_name["broken_export"]
    assert "usage.csv" in failed.error and failed.headline == {}
    assert failed.notebook.is_file() and failed.html.is_file() and failed.workbook is None
    kept = nbformat.read(failed.notebook, as_version=4)
    assert any(o.output_type == "error" for c in kept.cells for o in c.get("outputs", []))

    ok = [r for r in batch.reports if r.kind == "scenario" and r.ok]
    assert len(ok) == len(names)
    for r in ok:
        folder = out / r.name
        assert r.notebook == folder / f"{r.name}.ipynb"
        assert r.workbook == folder / f"{r.name}.xlsx" and r.workbook.is_file()
        html = r.html.read_text()
        saved = load_result(folder / "result")
        # every chart, embedded: nine, the tornado, and the history chart when there is one
        assert _charts(html) == 10 + (saved.history is not None)
        assert "load_scenario" not in html and "hl-ipython3" not in html  # no code
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["headline"] == r.headline and summary["seed"] == 5
        # computed once, saved; the comparison read it (same headline in its table)
        assert saved.n_draws == 200 and saved.seed == 5
        assert headline_values(saved) == r.headline

    comp = by_name["comparison"]
    assert comp.ok and (out / "comparison" / "comparison.xlsx").is_file()
    comp_html = comp.html.read_text()
    assert "Not compared" in comp_html and "broken_export" in comp_html
    for r in ok:
        assert r.headline["npv"] in comp_html
    assert _charts(comp_html) == 2

    index = batch.index.read_text()
    assert batch.index == out / "index.html"
    assert index.count('<span class="ok">ok</span>') == len(names) + 1
    assert index.count('<span class="failed">failed</span>') == 1
    assert 'href="broken_export/broken_export.html"' in index
    for r in ok:  # the headline of every scenario, from its summary.json
        assert all(value in index for value in r.headline.values())
    assert _leftovers(out) == []


def test_sweep_removes_kernel_folders_of_killed_runs_only(tmp_path):
    import subprocess

    from aiopex.batch.kernels import KERNEL_DIR_PREFIX, OWNER_FILE, sweep_stale_kernel_dirs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = time.time() - 3600
    made = {}
    for name, pid in (("dead", dead.pid), ("mine", os.getpid()), ("young", dead.pid)):
        d = tmp_path / f"{KERNEL_DIR_PREFIX}{name}"
        d.mkdir()
        (d / OWNER_FILE).write_text(str(pid))
        (d / "kernel.log").write_text("")
        made[name] = d
    for name in ("dead", "mine"):
        os.utime(made[name], (old, old))
    orphan = tmp_path / f"{KERNEL_DIR_PREFIX}noowner"
    orphan.mkdir()
    os.utime(orphan, (old - 86_400, old - 86_400))
    other = tmp_path / "not-ours"
    other.mkdir()
    os.utime(other, (old, old))
    removed = sweep_stale_kernel_dirs(tmp_path)
    assert sorted(p.name for p in removed) == sorted([made["dead"].name, orphan.name])
    assert made["mine"].is_dir() and made["young"].is_dir() and other.is_dir()


def test_one_scenario_writes_no_one_column_comparison(tmp_path):
    """``aiopex run`` on one scenario: its report, and no comparison of it with nothing."""
    from aiopex import load_scenario
    from aiopex.batch.runner import _plan

    sc = load_scenario(CLAIMS)
    reports, tasks = _plan([sc], tmp_path, 1, 1, {}, tmp_path)
    assert [r.kind for r in reports] == ["scenario"] and len(tasks) == 1
    two = load_scenario(CLAIMS.with_name("claims_triage_downside.yaml"))
    reports, tasks = _plan([sc, two], tmp_path, 1, 1, {}, tmp_path)
    assert [r.kind for r in reports] == ["scenario", "scenario", "comparison"]
