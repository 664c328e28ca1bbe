"""The portfolio run into a folder: what ``aiopex portfolio --out DIR`` writes, and its
report (the notebook run in a kernel and exported to HTML)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiopex.analyses.portfolio import PortfolioResult, is_saved_portfolio
from aiopex.atomic import check_target, remove_stale, write_text
from aiopex.batch.export import export_html
from aiopex.batch.kernels import execute_notebook
from aiopex.batch.layout import notebooks_dir
from aiopex.errors import Problem
from aiopex.outputs.portfolio_excel import write_portfolio_workbook
from aiopex.outputs.portfolio_focus import write_focus
from aiopex.outputs.portfolio_report import NOTEBOOK

# -- outputs ------------------------------------------------------------------------------

#: What ``aiopex portfolio --out DIR`` writes, each file whole or not at all.
OUTPUT_FILES = {
    "json": "portfolio.json",
    "result": "result",
    "independent": "independent",
    "focus": "forecast_focus.csv",
    "workbook": "portfolio.xlsx",
    "notebook": "portfolio.ipynb",
    "report": "portfolio.html",
}
#: The outputs that are folders (the rest are files).
OUTPUT_FOLDERS = ("result", "independent")
#: The outputs of the rendered report (skipped with ``--no-report``).
REPORT_OUTPUTS = ("notebook", "report")


def render_portfolio(folder: Path, independent: bool) -> Path:
    """Run the portfolio notebook on ``folder/result`` (and ``folder/independent``);
    write ``portfolio.ipynb`` and ``portfolio.html`` (no code) in ``folder``.

    Raises RuntimeError when the notebook fails.
    """
    folder = Path(folder)
    run = execute_notebook(
        notebooks_dir() / NOTEBOOK,
        folder / OUTPUT_FILES["notebook"],
        {
            "saved": str((folder / OUTPUT_FILES["result"]).resolve()),
            "independent": (
                str((folder / OUTPUT_FILES["independent"]).resolve()) if independent else ""
            ),
            "output_dir": str(folder.resolve()),
        },
        cwd=folder,
    )
    if not run.ok:
        raise RuntimeError(f"the portfolio notebook failed: {run.error}")
    return export_html(
        folder / OUTPUT_FILES["notebook"], folder / OUTPUT_FILES["report"], title="AI portfolio"
    )


def check_outputs(out: str | Path, report: bool = True) -> list[Problem]:
    """Problems with writing the portfolio's outputs under ``out``; nothing is written.

    The folder itself, then every file and folder of :data:`OUTPUT_FILES` in it
    (without the report's when ``report`` is False).
    """
    problems = check_target(out, "--out", folder=True)
    if problems:
        return problems
    for key, name in OUTPUT_FILES.items():
        if key in REPORT_OUTPUTS and not report:
            continue
        owner = is_saved_portfolio if key in OUTPUT_FOLDERS else None
        problems += check_target(
            Path(out) / name, "--out", folder=key in OUTPUT_FOLDERS, owner=owner
        )
    return problems


def write_outputs(
    result: PortfolioResult,
    independent: PortfolioResult | None,
    out: str | Path,
    report: bool = True,
    submit: Callable[..., Any] | None = None,
    helpers: int = 1,
) -> list[Path]:
    """Write the portfolio's outputs under ``out``, each whole or not at all; returns
    the paths written.

    ``portfolio.json`` (the ``--json`` object), ``result/`` (the saved result),
    ``independent/`` when the portfolio shares fields (the same portfolio with
    ``shared`` emptied, for the report's side-by-side), ``forecast_focus.csv`` (the
    forecast in FOCUS shape, :mod:`aiopex.outputs.portfolio_focus`), ``portfolio.xlsx``
    (:mod:`aiopex.outputs.portfolio_excel`) and, with ``report``, the executed
    notebook ``portfolio.ipynb`` and its HTML ``portfolio.html``
    (:mod:`aiopex.outputs.portfolio_report`). A saved ``independent/`` from an earlier
    run is removed when this portfolio shares nothing, so the report never compares
    with a stale run.

    ``submit`` (an executor's ``submit``, such as
    :func:`aiopex.analyses.portfolio.output_submitter`'s) writes the workbook in another
    process and, with ``helpers`` of 2 or more (the executor's idle workers), the FOCUS
    file in a third, while this one writes the rest (200 members, CPU: workbook 1.3 s,
    FOCUS file 1.0 s, the rest 0.7 s); the report is rendered once they are all written.
    """
    created = result.created
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    workbook = focus = None
    if submit is not None:
        workbook = submit(
            write_portfolio_workbook, result, independent, out / OUTPUT_FILES["workbook"], created
        )
        if helpers >= 2:
            focus = submit(write_focus, result, out / OUTPUT_FILES["focus"], created)
    written = [out / OUTPUT_FILES["json"]]
    write_text(written[0], json.dumps(result.to_json(), indent=2) + "\n")
    written.append(result.save(out / OUTPUT_FILES["result"]))
    stale = out / OUTPUT_FILES["independent"]
    if independent is not None:
        written.append(independent.save(stale))
    elif stale.is_dir() and (stale / "portfolio.json").is_file():
        shutil.rmtree(stale)
    if focus is not None:
        written.append(Path(focus.result()))
    else:
        written.append(write_focus(result, out / OUTPUT_FILES["focus"], created))
    if workbook is not None:
        written.append(Path(workbook.result()))
    else:
        written.append(
            write_portfolio_workbook(result, independent, out / OUTPUT_FILES["workbook"], created)
        )
    if report:
        written.append(out / OUTPUT_FILES["notebook"])
        written.append(render_portfolio(out, independent is not None))
    else:  # an earlier run's report would sit beside numbers it does not show
        remove_stale([out / OUTPUT_FILES[k] for k in REPORT_OUTPUTS])
    return written
