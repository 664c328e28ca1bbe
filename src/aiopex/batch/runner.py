"""The batch runner behind ``aiopex run``: scenario files in, reports out.

:func:`run_batch` validates every input first, then executes the
``budget_scenario`` notebook once per scenario and the ``scenario_comparison``
notebook once over all of them, in parallel, each in its own Jupyter kernel of
the Python environment running this code. It writes::

    OUT/<scenario>/<scenario>.ipynb   executed notebook (kept, with the error, on failure)
    OUT/<scenario>/<scenario>.html    the report: no code, charts embedded
    OUT/<scenario>/<scenario>.xlsx    the workbook (written by the notebook)
    OUT/comparison/comparison.*       likewise, for the comparison
    OUT/index.html                    every report, its headline metrics and status

Kernels talk to the runner over the IPC transport (Unix domain sockets in a
private folder) rather than TCP: Papermill's TCP kernels pick their ports by
binding and releasing them, so two kernels starting at once can race for a
port. A kernel that fails to start anyway is retried.

Every output is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiopex.atomic import atomic_path, write_text
from aiopex.errors import AiopexError, Problem

log = logging.getLogger(__name__)

# nbformat imports jsonschema, whose format module imports ``rfc3987_syntax`` when it
# is installed (JupyterLab brings it), building a grammar that takes 0.6 s. Neither
# nbformat nor Papermill checks string formats, so this process does without it.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

#: Folder of the report notebooks (``notebooks/`` at the project root).
NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"
BUDGET_NOTEBOOK = "budget_scenario.ipynb"
COMPARISON_NOTEBOOK = "scenario_comparison.ipynb"
#: Name of the comparison report's folder and files; no scenario may use it.
COMPARISON = "comparison"
#: Name of the small JSON file a notebook writes beside its outputs for the index.
SUMMARY_FILE = "summary.json"

DEFAULT_DRAWS = 2000
DEFAULT_SEED = 42
#: How many times a kernel is started before the report is marked failed.
KERNEL_START_ATTEMPTS = 3
SCENARIO_SUFFIXES = (".yaml", ".yml")


# -- results ------------------------------------------------------------------------------


@dataclass
class ReportStatus:
    """What happened to one report of a batch.

    Attributes
    ----------
    name : str
        The scenario name (the folder under ``OUT``), or ``"comparison"``.
    kind : str
        ``"scenario"`` or ``"comparison"``.
    sources : list of Path
        The scenario file(s) the report was made from.
    status : str
        ``"ok"`` or ``"failed"``.
    notebook, html, workbook : Path or None
        The outputs that exist (``None`` for one that was not written).
    error : str or None
        On failure, what went wrong (``"KeyError: 'x'"``, or why the kernel did not start).
    headline : dict
        Headline metrics from the notebook's ``summary.json`` (empty on failure).
    seconds : float
        Wall time of the notebook run and HTML export.
    attempts : int
        Kernel starts it took (1 unless a start failed and was retried).
    """

    name: str
    kind: str
    sources: list[Path]
    status: str = "pending"
    notebook: Path | None = None
    html: Path | None = None
    workbook: Path | None = None
    error: str | None = None
    headline: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """Whether the notebook ran to the end."""
        return self.status == "ok"


@dataclass
class BatchResult:
    """What :func:`run_batch` did: one :class:`ReportStatus` per report, and the index."""

    out_dir: Path
    index: Path
    reports: list[ReportStatus]
    seconds: float = 0.0

    @property
    def failed(self) -> list[ReportStatus]:
        """The reports whose notebook did not run to the end."""
        return [r for r in self.reports if not r.ok]

    @property
    def ok(self) -> bool:
        """Whether every report ran to the end."""
        return not self.failed

    @property
    def exit_code(self) -> int:
        """``0`` when every report ran, else ``1`` (what ``aiopex run`` exits with)."""
        return 1 if self.failed else 0

    def describe(self) -> str:
        """What ``aiopex run`` prints when done: counts, failures, and where to look."""
        n = len(self.reports)
        lines = [
            f"{n} reports in {self.seconds:.0f} s, {len(self.failed)} failed"
            if self.failed
            else f"{n} reports in {self.seconds:.0f} s"
        ]
        for r in self.failed:
            first = (r.error or "failed").splitlines()[0]
            where = f" (see {r.notebook})" if r.notebook else ""
            lines.append(f"  failed: {r.name}: {first}{where}")
        lines.append(f"open {self.index}")
        return "\n".join(lines)


# -- the kernel ---------------------------------------------------------------------------

_live_kernels: set[Any] = set()
_live_lock = threading.Lock()


def _ipc_kernel_manager(
    workdir: Path, env: Mapping[str, str], launching: threading.Event | None = None
) -> type:
    """A kernel manager class whose kernels use the IPC transport, sockets in ``workdir``.

    The per-run settings are closed over by a fresh subclass. The kernel is this process's
    Python (``sys.executable -m ipykernel_launcher``), whatever ``python3``
    kernelspec a user may have installed elsewhere, and its stdout and stderr go
    to ``workdir/kernel.log`` (quoted when it fails to start) rather than the
    terminal. ``launching`` is set when a kernel start begins.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_core.utils import ensure_async

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs["transport"] = "ipc"
            super().__init__(**kwargs)
            # Absolute socket paths in a private folder: the kernel may run in another
            # working directory, and no other kernel can pick the same names.
            tag = self.kernel_id[:8] if self.kernel_id else os.urandom(4).hex()
            self.connection_file = str(workdir / f"kernel-{tag}.json")
            self.ip = str(workdir / f"k-{tag}")
            spec = get_kernel_dict()
            self._clients: list[Any] = []
            self._kernel_spec = KernelSpec(
                resource_dir=RESOURCES,
                name="python3",
                argv=spec["argv"],
                display_name=spec["display_name"],
                language="python",
            )

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            if launching is not None:
                launching.set()
            kernel_env = dict(os.environ)
            kernel_env.update(env)
            kw["env"] = kernel_env
            self._log_file = open(workdir / "kernel.log", "ab")  # noqa: SIM115
            kw.setdefault("stdout", self._log_file)
            kw.setdefault("stderr", self._log_file)
            with _live_lock:
                _live_kernels.add(self)
            await super().start_kernel(**kw)

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self._clients.append(kc)
            return kc

        async def dispose(self) -> None:
            """Stop every client's channels, kill the kernel, remove its files."""
            for kc in self._clients:
                with contextlib.suppress(Exception):
                    await ensure_async(kc.stop_channels())
            with contextlib.suppress(Exception):
                if self.has_kernel:
                    await self.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                await self.cleanup_resources()
            with _live_lock:
                _live_kernels.discard(self)
            with contextlib.suppress(Exception):
                self._log_file.close()

    return IPCKernelManager


def _kill_live_kernels() -> None:
    """Kill every kernel this process started and still runs (on Ctrl-C)."""
    with _live_lock:
        kms = list(_live_kernels)
    for km in kms:
        with contextlib.suppress(Exception):
            provisioner = getattr(km, "provisioner", None)
            process = getattr(provisioner, "process", None)
            if process is not None:
                process.kill()


class KernelStartError(RuntimeError):
    """A kernel did not start (after every attempt)."""


@dataclass
class NotebookRun:
    """The outcome of :func:`execute_notebook`."""

    ok: bool
    notebook: Path | None
    error: str | None
    attempts: int
    seconds: float


def execute_notebook(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str],
    parameters: Mapping[str, Any],
    *,
    cwd: str | os.PathLike[str] | None = None,
    attempts: int = KERNEL_START_ATTEMPTS,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> NotebookRun:
    """Execute ``notebook`` with Papermill in a fresh IPC kernel; write it to ``output``.

    Parameters
    ----------
    notebook : path
        The notebook to run.
    output : path
        Where the executed notebook goes. It is written under a temporary name and
        renamed into place, also when a cell fails (it then shows the error).
    parameters : mapping
        Papermill parameters.
    cwd : path, optional
        The kernel's working directory (default: this process's).
    attempts : int
        Kernel starts to try before giving up: a kernel that dies or times out
        before it answers is replaced by a new one.
    timeout : float, optional
        Seconds a cell may run (default: no limit).
    env : mapping, optional
        Extra environment variables for the kernel.

    Returns
    -------
    NotebookRun
        ``ok`` is False when a cell raised, the kernel died, or no kernel started;
        ``error`` then says what happened.
    """
    from jupyter_core.utils import run_sync

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    last_error = ""
    for attempt in range(1, max(1, attempts) + 1):
        launching, started = threading.Event(), threading.Event()
        workdir = Path(tempfile.mkdtemp(prefix="aiopex-"))
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{output.stem}.", suffix=".tmp.ipynb", dir=output.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        km = _ipc_kernel_manager(workdir, env or {}, launching)(kernel_name="python3")

        live: dict[str, Any] = {}

        def _started(notebook: Any = None, **_: Any) -> None:
            # The notebook object nbclient fills in as cells run: kept to save what ran
            # if the kernel dies (Papermill itself saves only at the end, or on a cell error).
            live["nb"] = notebook  # noqa: B023 - this attempt's, called within it
            started.set()  # noqa: B023

        try:
            # Launch the kernel first: it boots on another core while Papermill is
            # imported and the notebook parameterized; Papermill then waits for it.
            launch: dict[str, Any] = {"extra_arguments": ["--HistoryManager.hist_file=:memory:"]}
            if cwd is not None:
                launch["cwd"] = str(cwd)
            run_sync(km.start_kernel)(**launch)
            import papermill as pm

            pm.execute_notebook(
                str(notebook),
                str(tmp),
                parameters=dict(parameters),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                km=km,
                on_notebook_start=_started,
                request_save_on_cell_execute=False,  # saving after every cell costs 5%
            )
            os.replace(tmp, output)
            return NotebookRun(True, output, None, attempt, time.perf_counter() - t0)
        except Exception as e:
            from papermill.exceptions import PapermillExecutionError

            if isinstance(e, PapermillExecutionError):  # a cell raised: the notebook shows it
                os.replace(tmp, output)
                msg = f"{e.ename}: {e.evalue}".strip().rstrip(":")
                return NotebookRun(False, output, msg, attempt, time.perf_counter() - t0)
            msg = f"{type(e).__name__}: {e}".strip()
            if not launching.is_set():  # failed before any kernel: nothing to retry
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                return NotebookRun(False, None, msg, attempt, time.perf_counter() - t0)
            if started.is_set():  # the kernel died: keep what ran
                kept = None
                with contextlib.suppress(Exception):
                    import nbformat

                    nbformat.write(live["nb"], str(tmp))
                    os.replace(tmp, output)
                    kept = output
                return NotebookRun(False, kept, msg, attempt, time.perf_counter() - t0)
            last_error = msg
            tail = _tail(workdir / "kernel.log")
            if tail:
                last_error += f"\nkernel output:\n{tail}"
            log.warning("kernel for %s failed to start (attempt %d): %s", notebook, attempt, e)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            time.sleep(0.2 * attempt)
        finally:
            # The notebook is saved: kill the kernel rather than wait for a graceful exit.
            run_sync(km.dispose)()
            shutil.rmtree(workdir, ignore_errors=True)
    msg = f"the kernel failed to start after {attempts} attempt(s): {last_error}"
    return NotebookRun(False, None, msg, attempts, time.perf_counter() - t0)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


# -- HTML ---------------------------------------------------------------------------------


def export_html(
    notebook: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    title: str | None = None,
) -> Path:
    """Write the executed ``notebook`` as a self-contained HTML report without code.

    Code cells' inputs and prompts are left out; outputs (tables, charts as
    base64-embedded PNG, and any error) and Markdown are kept. ``title`` is the
    page title (default: the notebook's file name).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    quiet = logging.getLogger("aiopex.runner.nbconvert")
    quiet.setLevel(logging.ERROR)  # not "alternative text is missing", set below
    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        log=quiet,
    )
    title = title or Path(notebook).stem
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _image_alt_text(nb, body)
    html_path = Path(html_path)
    write_text(html_path, body)
    return html_path


_MISSING_ALT = 'alt="No description has been provided for this image"'


def _image_alt_text(nb: Any, body: str) -> str:
    """Give each chart its alternative text (the chart's title, in the output's metadata).

    The ``lab`` template ignores ``metadata["image/png"]["alt"]``; nbconvert then
    writes a placeholder, replaced here in document order.
    """
    alts = [
        (out.get("metadata", {}).get("image/png") or {}).get("alt")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    if body.count(_MISSING_ALT) != len(alts):
        return body
    parts = body.split(_MISSING_ALT)
    out = [parts[0]]
    for alt, rest in zip(alts, parts[1:], strict=True):
        text = html.escape(alt or "chart", quote=True)
        out.append(f'alt="{text}"{rest}')
    return "".join(out)


# -- validation ---------------------------------------------------------------------------


def collect_scenario_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders into scenario files (``*.yaml``, ``*.yml`` of a folder).

    Returns the files, in the order given (a folder's sorted by name), and the problems.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(q for q in path.iterdir() if q.suffix in SCENARIO_SUFFIXES)
            if not found:
                problems.append(Problem(str(p), "", "folder has no scenario files (*.yaml)"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(p), "", "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def check_parameters(notebook: str | os.PathLike[str], parameters: Iterable[str]) -> list[Problem]:
    """Problems for every name in ``parameters`` the notebook's ``parameters`` cell lacks.

    Papermill only warns about an unknown parameter; a batch refuses it.
    """
    import papermill as pm

    try:
        known = pm.inspect_notebook(str(notebook))
    except Exception as e:  # missing or unreadable notebook
        return [Problem(str(notebook), "", f"cannot read the notebook: {e}")]
    return [
        Problem(str(notebook), name, f"unknown parameter; the notebook has {', '.join(known)}")
        for name in parameters
        if name not in known
    ]


def _validate(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: Path,
    jobs: int,
    draws: int,
    seed: int,
    overrides: dict[str, Any],
    notebooks_dir: Path,
) -> list[Any]:
    from aiopex.inputs.scenario import load_scenario

    problems: list[Problem] = []
    if not paths:
        problems.append(Problem("", "", "no scenario files given"))
    for name, value, low in (("draws", draws, 1), ("jobs", jobs, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(Problem(f"--{name}", "", f"must be an integer >= {low}, got {value!r}"))
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(Problem("--seed", "", f"must be an integer, got {seed!r}"))
    if out_dir.exists() and not out_dir.is_dir():
        problems.append(Problem(str(out_dir), "", "the output folder is a file"))

    files, found = collect_scenario_files(paths)
    problems.extend(found)
    scenarios = []
    by_name: dict[str, Path] = {}
    for f in files:
        try:
            sc = load_scenario(f, overrides)
        except AiopexError as e:
            problems.extend(e.problems)
            continue
        if sc.name == COMPARISON:
            problems.append(
                Problem(str(f), "name", f"{COMPARISON!r} is the comparison report's name; rename")
            )
        elif sc.name in by_name:
            problems.append(
                Problem(str(f), "name", f"{sc.name!r} is also the name in {by_name[sc.name]}")
            )
        by_name.setdefault(sc.name, f)
        scenarios.append(sc)

    budget_params = ("scenario", "overrides", "draws", "seed", "output_dir")
    comparison_params = ("scenarios", "overrides", "draws", "seed", "output_dir")
    problems.extend(check_parameters(notebooks_dir / BUDGET_NOTEBOOK, budget_params))
    problems.extend(check_parameters(notebooks_dir / COMPARISON_NOTEBOOK, comparison_params))
    if problems:
        raise AiopexError(problems)
    return scenarios


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
        Folder holding the two report notebooks (default: the project's ``notebooks/``).
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
        When any input is bad: every problem of every file, and nothing run or written.

    Notes
    -----
    The comparison notebook runs every scenario again (same seed, same numbers) in
    its own kernel; it is started first, being the longest job.
    """
    from aiopex.inputs.scenario import parse_overrides

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
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AiopexError(Problem(str(out), "", f"cannot create the output folder: {e}")) from e

    reports: list[ReportStatus] = []
    tasks: list[tuple[ReportStatus, Path, dict[str, Any]]] = []
    comp = ReportStatus(COMPARISON, "comparison", [Path(s.path) for s in scenarios])
    comp_params = {
        "scenarios": [str(Path(s.path).resolve()) for s in scenarios],
        "overrides": ov,
        "draws": draws,
        "seed": seed,
        "output_dir": str((out / COMPARISON).resolve()),
    }
    tasks.append((comp, nb_dir / COMPARISON_NOTEBOOK, comp_params))
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
    reports.append(comp)

    threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, len(tasks))))
    env = {
        var: os.environ.get(var, str(threads))
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"

    show = sys.stderr.isatty() if progress is None else progress
    bar = _progress(len(tasks), show)
    try:
        with ThreadPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
            futures = {
                pool.submit(_run_report, rep, nb, params, attempts, timeout, env): rep
                for rep, nb, params in tasks
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
                _kill_live_kernels()
                raise
    finally:
        bar.close()

    index = write_index(out, reports, draws=draws, seed=seed, overrides=ov)
    return BatchResult(out, index, reports, time.perf_counter() - t0)


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
    for suffix in (".ipynb", ".html", ".xlsx"):
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{rep.name}{suffix}").unlink()
    with contextlib.suppress(FileNotFoundError):
        (folder / SUMMARY_FILE).unlink()
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
            rep.headline = json.loads(summary.read_text(encoding="utf-8")).get("headline", {})


# -- the index ----------------------------------------------------------------------------

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2933; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
p.meta { color: #52606d; margin-top: 0; }
table { border-collapse: collapse; margin-top: 1rem; }
th, td { padding: .45rem .8rem; border-bottom: 1px solid #d9e2ec; text-align: left; }
th { background: #f0f4f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1b7f3b; font-weight: 600; }
.failed { color: #b42318; font-weight: 600; }
td.err { color: #b42318; font-size: .85rem; max-width: 28rem; }
a { color: #1d4ed8; }
"""


def write_index(
    out_dir: str | os.PathLike[str],
    reports: Sequence[ReportStatus],
    *,
    draws: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``OUT/index.html``: a row per report, headline metrics, status and links."""
    from aiopex import __version__

    out = Path(out_dir)
    esc = html.escape

    def link(path: Path | None, label: str) -> str:
        if path is None:
            return ""
        rel = Path(path).resolve().relative_to(out.resolve())
        return f'<a href="{esc(rel.as_posix())}">{label}</a>'

    rows = []
    for r in reports:
        h = r.headline
        status = f'<span class="{esc(r.status)}">{esc(r.status)}</span>'
        links = " · ".join(
            x
            for x in (
                link(r.html, "report"),
                link(r.notebook, "notebook"),
                link(r.workbook, "workbook"),
            )
            if x
        )
        name = esc(r.name) if r.kind == "scenario" else f"<em>{esc(r.name)}</em>"
        sources = ", ".join(esc(p.name) for p in r.sources)
        rows.append(
            "<tr>"
            f"<td>{name}<br><small>{sources if r.kind == 'scenario' else ''}</small></td>"
            f"<td>{status}</td>"
            f'<td class="num">{esc(str(h.get("run_rate", "")))}</td>'
            f'<td class="num">{esc(str(h.get("npv", "")))}</td>'
            f'<td class="num">{esc(str(h.get("payback", "")))}</td>'
            f'<td class="num">{esc(str(h.get("hidden_cost_multiple", "")))}</td>'
            f"<td>{links}</td>"
            f'<td class="err">{esc(r.error.splitlines()[0]) if r.error else ""}</td>'
            "</tr>"
        )
    n_failed = sum(not r.ok for r in reports)
    ran = f"{len(reports)} reports, {n_failed} failed" if n_failed else f"{len(reports)} reports"
    settings = []
    if draws is not None:
        settings.append(f"draws {draws}")
    if seed is not None:
        settings.append(f"seed {seed}")
    if overrides:
        settings.append("overrides " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()))
    meta = " · ".join([ran, *settings, f"aiopex {__version__}", time.strftime("%Y-%m-%d %H:%M:%S")])
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>aiopex reports</title>
<style>{_INDEX_CSS}</style>
</head>
<body>
<h1>aiopex reports</h1>
<p class="meta">{esc(meta)}</p>
<table>
<thead><tr><th>scenario</th><th>status</th><th>run-rate</th><th>NPV</th>
<th>payback</th><th>hidden cost multiple</th><th>files</th><th></th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    path = out / "index.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
