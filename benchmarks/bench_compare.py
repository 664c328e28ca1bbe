"""Compute once, render many: the comparison reads saved results instead of rerunning.

Prints one JSON line, ``compare_six_vs_one_budget_report``: the ``scenario_comparison``
notebook over the saved results of six scenarios (the bundled examples and an upside
case, each saved as ``aiopex run`` saves it), against one ``budget_scenario`` notebook
(claims triage), both run the way ``aiopex run`` runs them (``execute_notebook``: a
fresh IPC kernel, Papermill) and then exported to HTML, each in a fresh process.
Target: ratio <= 1 (the comparison takes no longer than one budget report).

Run: ``python benchmarks/bench_compare.py [--draws N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
from pathlib import Path

from bench_runner import _batch_inputs, _wall
from figure import emit

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"


def _notebook_then_html(notebook: Path, out: Path, params: dict[str, object]) -> str:
    return textwrap.dedent(
        f"""\
        from aiopex.batch.kernels import execute_notebook
        from aiopex.batch.export import export_html
        run = execute_notebook({str(notebook)!r}, {str(out / "r.ipynb")!r}, {params!r},
                               cwd={str(out)!r})
        assert run.ok, run.error
        export_html(run.notebook, {str(out / "r.html")!r})
        """
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws per scenario")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiopex-bench-") as d:
        tmp = Path(d)
        inputs = _batch_inputs(tmp)
        saved = [str(tmp / "saved" / Path(f).stem / "result") for f in inputs]
        _wall(
            "import aiopex\n"
            f"for f, s in zip({inputs!r}, {saved!r}):\n"
            f"    aiopex.run(aiopex.load_scenario(f), draws={args.draws}, seed=42).save(s)\n"
        )
        (tmp / "budget").mkdir()
        (tmp / "compare").mkdir()
        budget = _notebook_then_html(
            NOTEBOOKS / "budget_scenario.ipynb",
            tmp / "budget",
            {
                "scenario": str(CLAIMS),
                "overrides": {},
                "draws": args.draws,
                "seed": 42,
                "output_dir": str(tmp / "budget"),
            },
        )
        compare = _notebook_then_html(
            NOTEBOOKS / "scenario_comparison.ipynb",
            tmp / "compare",
            {"saved": saved, "output_dir": str(tmp / "compare")},
        )
        t_budget, t_compare = [], []
        for _ in range(args.repeat):
            t_budget.append(_wall(budget))
            t_compare.append(_wall(compare))
        b, c = statistics.median(t_budget), statistics.median(t_compare)
        emit(
            "compare_six_vs_one_budget_report",
            c / b,
            1.0,
            comparison_s=round(c, 2),
            budget_report_s=round(b, 2),
            scenarios=len(saved),
            draws=args.draws,
            repeat=args.repeat,
        )


if __name__ == "__main__":
    main()
