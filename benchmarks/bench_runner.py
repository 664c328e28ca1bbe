"""Batch runner performance, as ratios against baselines measured on the same machine.

Prints JSON lines (:mod:`figure`):

- ``runner_batch_jobs2_vs_jobs1``: ``run_batch`` on 6 scenarios (the bundled ones and
  one more) with ``jobs=2`` against the same batch with ``jobs=1``, each in a fresh
  process (target <= 0.65 on a 2-core machine).
- ``runner_budget_notebook_vs_plain_python``: one ``budget_scenario`` notebook run
  through Papermill in its own IPC kernel, as a whole process (``execute_notebook``),
  against a plain ``python -c`` process that runs the notebook's own code cells in
  order (:func:`_plain_from_notebook`: each cell's last value shown as the notebook
  shows it, figures drawn to PNG, HTML rendered), so the same work without a kernel
  (target <= 1.3; the median ratio of interleaved pairs, :func:`figure.paired`). The
  HTML export that ``aiopex run`` adds is timed too, reported beside the ratio.

Run: ``python benchmarks/bench_runner.py [--draws N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from figure import emit, paired

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"
BUDGET = ROOT / "notebooks" / "budget_scenario.ipynb"


def _wall(code: str) -> float:
    """Wall time of ``python -c code`` in a fresh process, from the project root."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"benchmark process failed:\n{r.stderr[-3000:]}")
    return elapsed


def _batch_inputs(tmp: Path) -> list[str]:
    """The bundled scenarios plus a sixth: an upside case of claims triage."""
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    upside = tmp / "claims_triage_upside.yaml"
    upside.write_text(
        textwrap.dedent(
            f"""\
            extends: {SCENARIOS / "claims_triage.yaml"}
            name: claims_triage_upside
            description: Claims triage, upside case (faster adoption, less bypass).
            usage:
              adoption: {{ceiling: 0.9, midpoint_months: 2}}
              bypass_rate: 0.05
            """
        )
    )
    files.append(str(upside))
    return files[:6]


def bench_batch(draws: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="aiopex-bench-") as d:
        tmp = Path(d)
        inputs = _batch_inputs(tmp)
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(repeat):
            for jobs in (1, 2):
                out = tmp / f"out-{jobs}"
                code = (
                    "from aiopex.batch.runner import run_batch\n"
                    f"b = run_batch({inputs!r}, {str(out)!r}, jobs={jobs}, draws={draws}, "
                    "seed=42, progress=False)\n"
                    "assert b.ok, [(r.name, r.error) for r in b.failed]\n"
                )
                times[jobs].append(_wall(code))
        t1, t2 = min(times[1]), min(times[2])
        emit(
            "runner_batch_jobs2_vs_jobs1",
            t2 / t1,
            0.65,
            jobs1_s=round(t1, 2),
            jobs2_s=round(t2, 2),
            scenarios=len(inputs),
            notebooks=len(inputs) + 1,
            draws=draws,
            cores=os.cpu_count(),
            repeat=repeat,
        )


def _plain_from_notebook(notebook: Path, params: dict[str, object]) -> str:
    """The notebook's own code as one plain Python script: the parameters set, every code
    cell run in order, and each cell's last value shown as the notebook shows it (a
    figure drawn to PNG by the same function, HTML rendered), without a kernel."""
    import ast

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])
    ]
    body = [f"{k} = {v!r}" for k, v in params.items()]
    body.append(
        textwrap.dedent(
            """\
            from matplotlib.figure import Figure as _Figure
            from aiopex.outputs.charts import _figure_png as _png
            def _show(v):
                if isinstance(v, _Figure):
                    _png(v)
                elif hasattr(v, "_repr_html_"):
                    v._repr_html_()
            """
        )
    )
    for src in cells:
        tree = ast.parse(src)
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body[-1] = ast.parse(f"_show({ast.unparse(last.value)})").body[0]
        body.append(ast.unparse(tree))
    return "\n".join(body) + "\n"


def bench_single(draws: int, repeat: int, scenario: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="aiopex-bench-") as d:
        tmp = Path(d)
        plain = _plain_from_notebook(
            BUDGET,
            {"scenario": str(scenario), "overrides": {}, "draws": draws, "seed": 42,
             "output_dir": str(tmp / "plain")},
        )  # fmt: skip
        papermill = textwrap.dedent(
            f"""\
            from aiopex.batch.runner import execute_notebook
            out = {str(tmp / "pm")!r}
            run = execute_notebook(
                {str(BUDGET)!r}, out + "/report.ipynb",
                {{"scenario": {str(scenario)!r}, "draws": {draws}, "seed": 42,
                  "overrides": {{}}, "output_dir": out}},
                cwd=out,
            )
            assert run.ok, run.error
            """
        )
        html = papermill + textwrap.dedent(
            """\
            from aiopex.batch.runner import export_html
            export_html(out + "/report.ipynb", out + "/report.html")
            """
        )
        (tmp / "pm").mkdir()
        ratio, n, p = paired(lambda: _wall(papermill), lambda: _wall(plain), repeat)
        h = statistics.median(_wall(html) for _ in range(repeat))
        emit(
            "runner_budget_notebook_vs_plain_python",
            ratio,
            1.3,
            plain_s=round(p, 2),
            papermill_s=round(n, 2),
            papermill_and_html_s=round(h, 2),
            ratio_with_html=round(h / p, 3),
            scenario=scenario.name,
            draws=draws,
            repeat=repeat,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws per scenario")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement")
    ap.add_argument("--scenario", type=Path, default=SCENARIOS / "claims_triage.yaml")
    ap.add_argument("--only", choices=["batch", "single"], help="run one benchmark only")
    args = ap.parse_args()
    if args.only in (None, "single"):
        bench_single(args.draws, max(3, args.repeat), args.scenario)
    if args.only in (None, "batch"):
        bench_batch(args.draws, args.repeat)


if __name__ == "__main__":
    main()
