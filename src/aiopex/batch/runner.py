"""The batch runner behind ``aiopex run``: scenario files in, reports out.

:func:`run_batch` validates every input and every output path first
(:mod:`aiopex.batch.validate`), locks the output folder (:mod:`aiopex.batch.lock`),
then executes the ``budget_scenario`` notebook once per scenario and the
``scenario_comparison`` notebook once over all of them, in parallel, each in its own
Jupyter kernel (:mod:`aiopex.batch.kernels`), exports each to HTML
(:mod:`aiopex.batch.export`) and writes the index (:mod:`aiopex.batch.index`).
:mod:`aiopex.batch.layout` says what goes where. Every output is written under a
temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from aiopex.batch.export import export_html
from aiopex.batch.index import write_index
from aiopex.batch.kernels import KERNEL_START_ATTEMPTS, execute_notebook, kill_live_kernels
from aiopex.batch.layout import (
    BUDGET_NOTEBOOK,
    COMPARISON,
    COMPARISON_NOTEBOOK,
    RESULT_FOLDER,
    SUMMARY_FILE,
    notebooks_dir,
    report_files,
)
from aiopex.batch.lock import lock_output
from aiopex.batch.status import BatchResult, ReportStatus
from aiopex.batch.validate import check_parameters, collect_scenario_files
from aiopex.batch.validate import validate as _validate
from aiopex.inputs.scenario import parse_overrides

__all__ = [
    "BatchResult",
    "ReportStatus",
    "check_parameters",
    "collect_scenario_files",
    "execute_notebook",
    "export_html",
    "run_batch",
    "write_index",
]

log = logging.getLogger(__name__)

# nbformat imports jsonschema, whose format module imports ``rfc3987_syntax`` when it
# is installed (JupyterLab brings it), building a grammar that takes 0.6 s. Neither
# nbformat nor Papermill checks string formats, so this process does without it.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

#: Folder of the report notebooks (``notebooks/`` of the checkout, or of the wheel).
NOTEBOOKS_DIR = notebooks_dir()
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 42


# -- the batch ----------------------------------------------------------------------------


def _default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_batch(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = DEFAULT_SEED,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    progress: bool | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    attempts: int = KERNEL_START_ATTEMPTS,
    timeout: float | None = None,
) -> BatchResult:
    """Run the budget report of every scenario and the comparison of all of them.

    Parameters
    ----------
    paths : sequence of path
        Scenario files, or folders whose ``*.yaml`` files are scenarios.
    out_dir : path
        Where the reports go (created).
    jobs : int, optional
        Notebooks run at once, each in its own kernel (default: the number of cores).
    draws : int
        Monte Carlo draws, passed to every notebook.
    seed : int or None
        Seed passed to every notebook. ``None`` draws one seed for the whole batch,
        so the comparison matches the scenario reports; the index records it.
    overrides : mapping or list of str, optional
        Dotted-path overrides applied to every scenario (``["usage.bypass_rate=0.3"]``
        as given to ``--set``, or ``{"usage.bypass_rate": 0.3}``).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    notebooks_dir : path, optional
        Folder holding the two report notebooks (default: :func:`layout.notebooks_dir`).
    attempts : int
        Kernel starts tried per notebook before it is marked failed.
    timeout : float, optional
        Seconds a notebook cell may run (default: no limit).

    Returns
    -------
    BatchResult
        A status per report and the index path; ``exit_code`` is 1 when any failed.

    Raises
    ------
    AiopexError
        When any input or output path is bad (every problem of every file), or another
        batch is writing into ``out``: nothing is run or written.

    Notes
    -----
    Each scenario is computed once, by its budget notebook, which saves the result
    (``OUT/<scenario>/result``) and writes the workbook and ``summary.json`` from it;
    the comparison notebook runs last and reads the saved results. Only one batch at
    a time writes into ``out`` (:func:`~aiopex.batch.lock.lock_output`).
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    jobs = _default_jobs() if jobs is None else jobs
    if seed is None:
        seed = secrets.randbelow(2**31)
    # A mapping is taken as given (its values already parsed); ``PATH=VALUE`` text is read
    # as the command line's ``--set`` reads it.
    ov = dict(overrides) if isinstance(overrides, Mapping) else parse_overrides(overrides)
    scenarios = _validate(list(paths), out, jobs, draws, seed, ov, nb_dir)
    reports, tasks = _plan(scenarios, out, draws, seed, ov, nb_dir)
    env = _kernel_env(jobs, len(tasks))
    show = sys.stderr.isatty() if progress is None else progress
    with lock_output(out):
        _run_all(tasks, jobs, attempts, timeout, env, show)
        index = write_index(out, reports, draws=draws, seed=seed, overrides=ov)
    return BatchResult(out, index, reports, time.perf_counter() - t0)


def _plan(
    scenarios: Sequence[Any],
    out: Path,
    draws: int,
    seed: int,
    ov: dict[str, Any],
    nb_dir: Path,
) -> tuple[list[ReportStatus], list[tuple[ReportStatus, Path, dict[str, Any]]]]:
    """The reports of a batch and their notebook runs, the comparison last.

    Each budget notebook computes its scenario once and saves the result in
    ``OUT/<scenario>/result``; the comparison reads those saved results.
    """
    reports: list[ReportStatus] = []
    tasks: list[tuple[ReportStatus, Path, dict[str, Any]]] = []
    comp = ReportStatus(COMPARISON, "comparison", [Path(s.path) for s in scenarios])
    comp_params = {
        "saved": [str((out / s.name / RESULT_FOLDER).resolve()) for s in scenarios],
        "output_dir": str((out / COMPARISON).resolve()),
    }
    for sc in scenarios:
        rep = ReportStatus(sc.name, "scenario", [Path(sc.path)])
        params = {
            "scenario": str(Path(sc.path).resolve()),
            "overrides": ov,
            "draws": draws,
            "seed": seed,
            "output_dir": str((out / sc.name).resolve()),
        }
        reports.append(rep)
        tasks.append((rep, nb_dir / BUDGET_NOTEBOOK, params))
    if len(scenarios) > 1:  # one scenario: nothing to compare, no one-column comparison
        reports.append(comp)
        tasks.append((comp, nb_dir / COMPARISON_NOTEBOOK, comp_params))
    return reports, tasks


def _kernel_env(jobs: int, n_tasks: int) -> dict[str, str]:
    """Environment of the kernels: the cores shared out among the notebooks run at once."""
    threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, n_tasks)))
    env = {
        var: os.environ.get(var, str(threads))
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def _run_all(
    tasks: list[tuple[ReportStatus, Path, dict[str, Any]]],
    jobs: int,
    attempts: int,
    timeout: float | None,
    env: dict[str, str],
    show: bool,
) -> None:
    """Run every notebook, ``jobs`` at once; on an interrupt, kill the kernels and re-raise.

    The pool is left only when every worker has finished, so each kernel's folder
    and temporary notebook are removed before the interrupt propagates.
    """
    bar = _progress(len(tasks), show)
    reports = [t for t in tasks if t[0].kind == "scenario"]
    comparisons = [t for t in tasks if t[0].kind != "scenario"]
    try:
        with ThreadPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
            # The budget reports first, ``jobs`` at once; then the comparison, which
            # reads the results they saved.
            for stage in (reports, comparisons):
                futures = {
                    pool.submit(_run_report, rep, nb, params, attempts, timeout, env): rep
                    for rep, nb, params in stage
                }
                try:
                    for fut in as_completed(futures):
                        rep = futures[fut]
                        fut.result()
                        bar.update(1)
                        bar.set_postfix_str(f"{rep.name}: {rep.status}", refresh=True)
                except BaseException:
                    for f in futures:
                        f.cancel()
                    kill_live_kernels()
                    raise
    finally:
        bar.close()


def _progress(total: int, show: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not show, desc="aiopex run", unit="report", file=sys.stderr)


def _run_report(
    rep: ReportStatus,
    notebook: Path,
    params: dict[str, Any],
    attempts: int,
    timeout: float | None,
    env: Mapping[str, str],
) -> None:
    """Run one report's notebook, export its HTML, and fill in ``rep``; never raise.

    Whatever goes wrong is this report's failure, recorded in ``rep``, not the batch's.
    """
    t0 = time.perf_counter()
    try:
        _run_report_steps(rep, notebook, params, attempts, timeout, env)
    except Exception as e:
        log.exception("report %s failed", rep.name)
        rep.status = "failed"
        rep.error = rep.error or f"{type(e).__name__}: {e}"
    rep.seconds = time.perf_counter() - t0


def _run_report_steps(
    rep: ReportStatus,
    notebook: Path,
    params: dict[str, Any],
    attempts: int,
    timeout: float | None,
    env: Mapping[str, str],
) -> None:
    folder = Path(params["output_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    # Outputs of an earlier run must not pass for this run's.
    for path in report_files(folder.parent, rep.name):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    shutil.rmtree(folder / RESULT_FOLDER, ignore_errors=True)
    run = execute_notebook(
        notebook,
        folder / f"{rep.name}.ipynb",
        params,
        cwd=folder,
        attempts=attempts,
        timeout=timeout,
        env=env,
    )
    rep.attempts = run.attempts
    rep.notebook = run.notebook
    rep.status = "ok" if run.ok else "failed"
    rep.error = run.error
    if run.notebook is not None:
        title = f"{rep.name}: budget report" if rep.kind == "scenario" else "Scenario comparison"
        try:
            rep.html = export_html(run.notebook, folder / f"{rep.name}.html", title)
        except Exception as e:  # a report without HTML is still a report
            log.warning("HTML export of %s failed: %s", run.notebook, e)
            if rep.ok:
                rep.status = "failed"
                rep.error = f"HTML export failed: {type(e).__name__}: {e}"
    workbook = folder / f"{rep.name}.xlsx"
    rep.workbook = workbook if workbook.is_file() else None
    summary = folder / SUMMARY_FILE
    if rep.ok and summary.is_file():
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(summary.read_text(encoding="utf-8"))
            rep.headline = data.get("headline", {})
            rep.details = {k: data[k] for k in ("prob_npv_negative", "readiness") if k in data}
