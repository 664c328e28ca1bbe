"""One batch at a time per output folder, and no temporary file left behind in it.

:func:`lock_output` holds an exclusive ``fcntl`` lock on ``OUT/.aiopex-run.lock``
while a batch writes into ``OUT``: a second ``aiopex run`` into the same folder is
refused (exit code 2) instead of interfering. The lock goes with the process,
also when it is killed; the lock file is removed when the batch ends.

While it holds the lock, a batch removes the temporary files an earlier run
killed mid-write (SIGKILL, a power cut) left under ``OUT``: no other writer can
own them then.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

from aiopex.errors import AiopexError, Problem

LOCK_FILE = ".aiopex-run.lock"
#: Names of the temporary files outputs are written under (``atomic.atomic_path`` and
#: the notebook runner): ``.NAME.XXXXXXXX.tmp`` and ``.NAME.XXXXXXXX.tmp.ipynb``.
TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.ipynb)?$")


@contextlib.contextmanager
def lock_output(out: Path) -> Iterator[Path]:
    """Hold the batch lock of the folder ``out`` (created) for the ``with`` block.

    Raises
    ------
    AiopexError
        When another process holds it: another batch is writing into ``out``.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AiopexError(Problem(str(out), "", f"cannot create the output folder: {e}")) from e
    path = out / LOCK_FILE
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise AiopexError(Problem(str(path), "", f"cannot create the lock file: {e}")) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise AiopexError(
                Problem(
                    str(out),
                    "",
                    "another aiopex run is writing into this folder"
                    + (f" (process {holder})" if holder else "")
                    + "; wait for it to finish or choose another --out",
                )
            ) from None
        # The file may have been removed by the batch that held it just before: then
        # this lock is on a file no one else will see; take the new one instead.
        try:
            same = os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        remove_stale_temporaries(out)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # releases the lock


def _read(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    return ""


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove temporary output files left in ``out`` and its report folders; return them.

    Only call with the folder's lock held (:func:`lock_output`).
    """
    removed = []
    folders = [out, *(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())]
    for folder in folders:
        for p in folder.iterdir():
            if TEMP_NAME.match(p.name) and p.is_file() and not p.is_symlink():
                with contextlib.suppress(OSError):
                    p.unlink()
                    removed.append(p)
    return removed
