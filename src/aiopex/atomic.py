"""Write output files whole or not at all, and only where a regular file may go.

Every output file is written under a temporary name in the same folder and
renamed into place, so an interrupted run never leaves a half-written file.
The rename would replace whatever is at the path, so an output target that is
not a regular file (a symbolic link, a folder, a FIFO, a device) is refused:
:func:`check_target` says why, before anything is written, and
:func:`atomic_path` checks again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from aiopex.errors import AiopexError, Problem


def file_kind(mode: int) -> str:
    """What a path is, in words: ``a file``, ``a folder``, ``a FIFO (named pipe)``, ..."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a file" if stat.S_ISREG(mode) else "a special file"


#: Recognises a folder aiopex wrote and may replace whole (a saved result by its manifest).
Owner = Callable[[Path], bool]


def check_target(
    path: str | os.PathLike[str],
    option: str = "",
    *,
    folder: bool = False,
    owner: Owner | None = None,
) -> list[Problem]:
    """Problems with writing an output at ``path``; nothing is written.

    The target must be absent or a regular file (``folder=True``: a real folder,
    for outputs that are folders); never a symbolic link, a FIFO or a device. Its
    nearest existing parent must be a folder this process may write in. ``option``
    (``"--ledger"``) is the field the problems name.

    With ``owner``, the folder is one that is replaced whole (:func:`atomic_dir`): it
    must be absent, empty, or recognised by ``owner`` as aiopex's own output of that
    kind; never the current folder or one of its parents.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_target(d / "new.csv")
    []
    >>> [p.message for p in check_target(d, "--ledger")]
    ['is a folder, not a file; refusing to replace it']
    """
    p = Path(path)
    want = "a folder" if folder else "a file"
    try:
        st = p.lstat()
    except (FileNotFoundError, NotADirectoryError):  # the parent is checked below
        st = None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            return [Problem(str(p), option, "the name is too long for the file system")]
        return [Problem(str(p), option, f"cannot use this path: {e.strerror or e}")]
    if st is not None:
        kind = file_kind(st.st_mode)
        if kind != want:
            return [Problem(str(p), option, f"is {kind}, not {want}; refusing to replace it")]
        if owner is not None:
            found = _check_replaceable(p, option, owner)
            if found:
                return found
        return [] if os.access(p, os.W_OK) else [Problem(str(p), option, "is not writable")]
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        if parent.is_symlink():  # a dangling link where a folder is to be made
            return [Problem(str(p), option, f"{parent} is a broken symbolic link")]
        parent = parent.parent
    if not parent.is_dir():
        return [Problem(str(p), option, f"{parent} is not a folder")]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [Problem(str(p), option, f"cannot write in {parent}")]
    return []


def _check_replaceable(p: Path, option: str, owner: Owner) -> list[Problem]:
    """Problems with replacing the existing folder ``p`` whole (see :func:`check_target`)."""
    here = Path.cwd().resolve()
    real = p.resolve()
    if real == here or real in here.parents:
        return [Problem(str(p), option, "is the current folder or holds it; choose a new folder")]
    try:
        empty = next(os.scandir(p), None) is None
    except OSError as e:
        return [Problem(str(p), option, f"cannot read this folder: {e.strerror or e}")]
    if empty or owner(p):
        return []
    return [
        Problem(
            str(p),
            option,
            "is a folder that holds other files, not an output aiopex may replace; "
            "choose a new or empty folder",
        )
    ]


def check_targets(
    targets: Mapping[str, str | os.PathLike[str] | None],
    owners: Mapping[str, Owner] | None = None,
) -> list[Problem]:
    """Problems with every output of one command (``{"--ledger": path, ...}``), at once.

    ``None`` paths are skipped; two options naming the same path are refused. An
    option in ``owners`` is a folder replaced whole, recognised by its owner
    (:func:`check_target`).
    """
    problems: list[Problem] = []
    seen: dict[Path, str] = {}
    owners = owners or {}
    for option, path in targets.items():
        if path is None:
            continue
        owner = owners.get(option)
        problems += check_target(path, option, folder=owner is not None, owner=owner)
        key = Path(path).absolute()
        if key in seen:
            problems.append(Problem(str(path), option, f"is also the path of {seen[key]}"))
        seen.setdefault(key, option)
    return problems


def check_not_inputs(
    targets: Mapping[str, str | os.PathLike[str] | None],
    inputs: Mapping[str, str | os.PathLike[str] | None],
) -> list[Problem]:
    """Problems with outputs that would overwrite or sit among the command's inputs.

    An output may not be an input file (``forecast s.yaml --ledger s.yaml`` overwrote the
    scenario), lie inside an input folder (a review written into its ``--actuals`` folder
    is read as actuals by the next run), nor be a folder holding an input (it may be
    replaced whole). Paths are compared after resolving symbolic links.

    >>> [p.message for p in check_not_inputs({"--ledger": "s.yaml"}, {"FILE": "s.yaml"})]
    ['is the input FILE; choose another path']
    """
    problems: list[Problem] = []
    real_in = {
        opt: Path(os.path.realpath(p)) for opt, p in inputs.items() if p is not None and str(p)
    }
    for option, path in targets.items():
        if path is None:
            continue
        out = Path(os.path.realpath(path))
        for opt, src in real_in.items():
            if out == src:
                problems.append(
                    Problem(str(path), option, f"is the input {opt}; choose another path")
                )
            elif src.is_dir() and src in out.parents:
                problems.append(
                    Problem(str(path), option, f"is inside the input folder {opt}; choose another")
                )
            elif out in src.parents:
                problems.append(
                    Problem(str(path), option, f"holds the input {opt}; choose another folder")
                )
    return problems


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    A target that is not a regular file is refused (:class:`AiopexError`, see
    :func:`check_target`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "out.txt").read_text()
    'hello'
    """
    target = Path(path)
    problems = check_target(target)
    if problems:
        raise AiopexError(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are meant to be shared
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


#: First characters that make a spreadsheet read a CSV cell as a formula (or DDE).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize(text: str) -> str:
    """``text`` safe in a CSV cell a spreadsheet opens: a leading ``=``, ``+``, ``-``, ``@``,
    tab or carriage return (or their full-width forms) gets a ``'`` before it, so that
    ``=HYPERLINK(...)`` is shown as text, never run.

    >>> neutralize("=HYPERLINK(1)"), neutralize("gpu"), neutralize("-")
    ("'=HYPERLINK(1)", 'gpu', "'-")
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(frame: Any, path: str | os.PathLike[str]) -> None:
    """Write a pandas DataFrame to ``path`` as UTF-8 CSV, atomically, without its index.

    Every text cell and column name goes through :func:`neutralize`; numbers are
    written as numbers.
    """
    import pandas as pd

    out = frame.copy()
    out.columns = [neutralize(c) if isinstance(c, str) else c for c in out.columns]
    for col in out.columns:
        values = out[col]
        if values.dtype.kind in "biufcmM":
            continue
        if isinstance(values.dtype, pd.StringDtype) and not any(
            neutralize(v) != v for v in values.dropna().unique()
        ):
            continue  # text with nothing to neutralize (each distinct value looked at once)
        out[col] = [neutralize(v) if isinstance(v, str) else v for v in values]
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, encoding="utf-8")


def remove_stale(paths: list[Path]) -> list[Path]:
    """Remove outputs an earlier run wrote and this one does not (a report skipped with
    ``--no-report``), so that no output is left beside numbers it does not show. Only
    regular files go; a symbolic link or a folder at such a path is left alone."""
    removed = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISREG(p.lstat().st_mode):
                p.unlink()
                removed.append(p)
    return removed


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], owner: Owner) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; rename it onto ``path`` on success.

    An existing ``path`` is replaced whole (moved aside, then removed) only when it
    is empty or ``owner`` recognises it as aiopex's own output of that kind; anything
    else is refused (:class:`AiopexError`), before anything is written. On an
    exception the temporary folder is removed and ``path`` is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_dir(d / "saved", owner=lambda p: False) as tmp:
    ...     _ = (tmp / "a.txt").write_text("hello")
    >>> (d / "saved" / "a.txt").read_text()
    'hello'
    """
    target = Path(os.path.abspath(path))
    problems = check_target(target, folder=True, owner=owner)
    if problems:
        raise AiopexError(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; outputs are meant to be shared
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=tmp.parent))
            os.replace(target, old / target.name)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
