"""The report notebooks: committed clean and thin, and running end to end with Papermill.

The fast tests read the committed ``.ipynb`` files. The ``slow`` ones execute them
in a kernel: ``budget_scenario`` through the ``papermill`` command a user types
(from the project root, so the default paths are looked up from there), and
``scenario_comparison`` through Papermill's Python API.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import papermill as pm
import pytest

from aiopex.batch.runner import export_html

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCENARIOS = ROOT / "data" / "scenarios"
#: A chart in an HTML report: an embedded PNG with its title as alternative text.
CHART = r'<img alt="(?!No description)[^"]+"[^>]*src="data:image/png;base64,'
PAPERMILL = Path(sys.executable).with_name("papermill")

EXPECTED = {
    "budget_scenario.ipynb": {
        "scenario": "str",
        "overrides": "dict",
        "draws": "int",
        "seed": "int",
        "output_dir": "str",
    },
    "scenario_comparison.ipynb": {
        "saved": "list",
        "output_dir": "str",
    },
    "quarterly_review.ipynb": {"review_json": "str"},
    "portfolio.ipynb": {"saved": "str", "independent": "str", "output_dir": "str"},
}


def _code(source: str) -> ast.Module:
    """Parse a code cell, IPython magics and shell escapes blanked out."""
    lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    return ast.parse("\n".join(lines))


@pytest.fixture(params=sorted(EXPECTED))
def notebook(request: pytest.FixtureRequest) -> tuple[str, nbformat.NotebookNode]:
    return request.param, nbformat.read(NOTEBOOKS / request.param, as_version=4)


def test_committed_without_outputs(notebook):
    _, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source
            assert cell.execution_count is None, cell.source
    assert "papermill" not in nb.metadata
    assert nb.metadata.kernelspec.name == "python3"


def test_no_functions_or_classes(notebook):
    _, nb = notebook
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(_code(cell.source)):
            assert not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ), f"a notebook defines {type(node).__name__}: {cell.source}"


def test_one_parameters_cell_of_annotated_literals(notebook):
    _, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    cell = tagged[0]
    assert cell.cell_type == "code"
    for stmt in _code(cell.source).body:
        # Only `name: type = literal`: a derived value would go stale on override.
        assert isinstance(stmt, ast.AnnAssign), ast.unparse(stmt)
        ast.literal_eval(stmt.value)
    for line in cell.source.splitlines():
        assert "  # " in line, f"parameter without a help comment: {line}"


def test_papermill_describes_the_parameters(notebook):
    name, _ = notebook
    params = pm.inspect_notebook(str(NOTEBOOKS / name))
    assert list(params) == list(EXPECTED[name])
    for pname, ptype in EXPECTED[name].items():
        assert params[pname]["inferred_type_name"] == ptype
        assert params[pname]["help"], f"{pname} has no help text"


def test_markdown_explains_each_section(notebook):
    _, nb = notebook
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and nb.cells[0].source.startswith("# ")
    assert sum(k == "markdown" for k in kinds) >= 4


def test_budget_sections_in_go_live_order():
    nb = nbformat.read(NOTEBOOKS / "budget_scenario.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    order = [
        "report.headline",
        "report.readiness_table",
        "charts.usage",
        "charts.accuracy",
        "charts.cost_by_category",
        "charts.cumulative_net",
        "report.pilot_table",
        "charts.pilot_cost",
        "charts.pilot_bridge",
        "charts.cost_fan",
        "charts.net_fan",
        "charts.npv_distribution",
        "charts.tornado",
        "report.metrics_table",
        "write_workbook",
    ]
    positions = [code.index(call + "(") for call in order]
    assert positions == sorted(positions)


# -- end to end ---------------------------------------------------------------------------


def _images(nb: nbformat.NotebookNode) -> list[bytes]:
    return [
        base64.b64decode(o.data["image/png"])
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{o.ename}: {o.evalue}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]


@pytest.mark.slow
def test_budget_scenario_runs_with_the_papermill_command(tmp_path):
    out_nb = tmp_path / "claims.ipynb"
    out_dir = tmp_path / "out"
    # The `scenario` default is relative to the project root: run from there.
    r = subprocess.run(
        [
            str(PAPERMILL),
            str(NOTEBOOKS / "budget_scenario.ipynb"),
            str(out_nb),
            "-p",
            "draws",
            "200",
            "-p",
            "seed",
            "7",
            "-p",
            "output_dir",
            str(out_dir),
            "--no-progress-bar",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    nb = nbformat.read(out_nb, as_version=4)
    assert _errors(nb) == []
    images = _images(nb)
    # usage, accuracy, cost, cumulative net, pilot cost, bridge, two fans, NPV histogram,
    # tornado
    assert len(images) == 10
    assert all(png.startswith(b"\x89PNG") for png in images)
    html_outputs = [
        o.data["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    text = "\n".join(html_outputs)
    for needle in ("Run-rate", "NPV", "Payback", "Hidden cost multiple", "P(NPV &lt; 0)"):
        assert needle in text
    assert "Readiness" in text and "metric" in text and "run_rate_monthly" in text

    assert (out_dir / "claims_triage.xlsx").is_file()
    # the report says the workbook's Sensitivity sheet gives each input's NPV break-even
    assert "crosses zero" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    ws = openpyxl.load_workbook(out_dir / "claims_triage.xlsx", data_only=True)["Sensitivity"]
    heads = [c.value for c in ws[5]]  # the table's header row
    be = [r[heads.index("break-even (npv = 0)")] for r in ws.iter_rows(min_row=6, values_only=True)]
    assert any(isinstance(v, float) for v in be)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["scenario"] == "claims_triage" and summary["seed"] == 7
    assert summary["draws"] == 200
    assert set(summary["headline"]) == {"run_rate", "npv", "payback", "hidden_cost_multiple"}

    html = export_html(out_nb, tmp_path / "claims.html").read_text()
    assert len(re.findall(CHART, html)) == 10
    assert "load_scenario" not in html and "charts.usage" not in html  # no code
    assert "hl-ipython3" not in html and 'class="jp-InputPrompt' not in html


@pytest.mark.slow
def test_scenario_comparison_reads_saved_results(tmp_path):
    # Two results saved as `aiopex run` saves them (a batch folder), one saved alone
    # (`aiopex forecast --save`), and a folder holding none: the comparison computes
    # nothing, shows the saved numbers, and lists what it could not read.
    import aiopex
    from aiopex.outputs.html import headline_values

    saved = {}
    for name, folder in (
        ("claims_triage", tmp_path / "batch" / "claims_triage" / "result"),
        ("claims_triage_downside", tmp_path / "batch" / "claims_triage_downside" / "result"),
        ("support_assistant", tmp_path / "alone"),
    ):
        r = aiopex.run(aiopex.load_scenario(SCENARIOS / f"{name}.yaml"), draws=50, seed=3)
        r.save(folder)
        saved[name] = r
    (tmp_path / "empty").mkdir()
    out_nb = tmp_path / "comparison.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "scenario_comparison.ipynb"),
        str(out_nb),
        parameters={
            "saved": [str(tmp_path / "batch"), str(tmp_path / "alone"), str(tmp_path / "empty")],
            "output_dir": str(tmp_path / "out"),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(out_nb, as_version=4)
    assert _errors(nb) == []
    assert len(_images(nb)) == 2  # cost by category, cumulative net
    tables = "\n".join(
        o.data["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    )
    for r in saved.values():
        assert r.scenario.name in tables
        assert headline_values(r)["npv"] in tables  # the saved numbers, not new ones
    assert "Not compared" in tables and "empty" in tables
    assert (tmp_path / "out" / "comparison.xlsx").is_file()
