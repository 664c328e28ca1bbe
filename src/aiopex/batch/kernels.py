"""Jupyter kernels for the report notebooks: started over IPC, retried, always disposed.

:func:`execute_notebook` runs one notebook with Papermill in a fresh kernel of the
Python environment running this code. Kernels talk to this process over the IPC
transport (Unix domain sockets in a private temporary folder) rather than TCP:
Papermill's TCP kernels pick their ports by binding and releasing them, so two
kernels starting at once can race for a port. A kernel that fails to start is
retried. Each kernel's folder (connection file, sockets, log) is removed when the
kernel is disposed, on success, on failure, and on an interrupt; the folders of a run
that was killed outright are swept by the next run (:func:`sweep_stale_kernel_dirs`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: How many times a kernel is started before the report is marked failed.
KERNEL_START_ATTEMPTS = 3
#: Prefix of each kernel's private temporary folder.
KERNEL_DIR_PREFIX = "aiopex-kernel-"

#: The file in a kernel's folder naming the process that owns it.
OWNER_FILE = "owner.pid"
#: A kernel folder younger than this is never swept (it may be being set up).
SWEEP_MIN_AGE_SECONDS = 60.0

_live_kernels: set[Any] = set()
_live_lock = threading.Lock()
_swept = threading.Event()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_stale_kernel_dirs(tmpdir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove kernel folders left by a run that was killed (SIGKILL skips every cleanup).

    A folder ``aiopex-kernel-*`` in the temporary directory is stale when the process
    named in its ``owner.pid`` no longer runs, or, without that file, when it is older
    than a day. Folders younger than :data:`SWEEP_MIN_AGE_SECONDS` are left alone.
    Returns the folders removed.
    """
    root = Path(tmpdir or tempfile.gettempdir())
    removed = []
    now = time.time()
    for folder in root.glob(KERNEL_DIR_PREFIX + "*"):
        try:
            st = folder.lstat()
            if not folder.is_dir() or st.st_uid != os.getuid():
                continue
            age = now - st.st_mtime
            if age < SWEEP_MIN_AGE_SECONDS:
                continue
            owner = folder / OWNER_FILE
            if owner.is_file():
                stale = not _alive(int(owner.read_text().strip() or 0))
            else:
                stale = age > 86_400
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


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


def kill_live_kernels() -> None:
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
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{output.stem}.", suffix=".tmp.ipynb", dir=output.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        if not _swept.is_set():  # once a process: what a killed run left behind
            _swept.set()
            sweep_stale_kernel_dirs()
        workdir = Path(tempfile.mkdtemp(prefix=KERNEL_DIR_PREFIX))
        (workdir / OWNER_FILE).write_text(str(os.getpid()))
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
            # Also on an interrupt: no kernel, socket folder or temporary notebook is left.
            try:
                run_sync(km.dispose)()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
    msg = f"the kernel failed to start after {attempts} attempt(s): {last_error}"
    return NotebookRun(False, None, msg, attempts, time.perf_counter() - t0)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
