"""Where the report notebooks are, and what a batch writes where under ``OUT``.

::

    OUT/<scenario>/<scenario>.ipynb   executed notebook (kept, with the error, on failure)
    OUT/<scenario>/<scenario>.html    the report: no code, charts embedded
    OUT/<scenario>/<scenario>.xlsx    the workbook (written by the notebook)
    OUT/<scenario>/summary.json       the headline the index shows
    OUT/<scenario>/result/            the saved result the notebook computed, once
    OUT/comparison/comparison.*       likewise, for the comparison
    OUT/index.html                    every report, its headline metrics and status

The notebooks are the project's top-level ``notebooks/`` folder (what users open
in JupyterLab); the package maps it to ``aiopex.notebooks``, so an installed wheel
holds them too and :func:`notebooks_dir` finds them either way.
"""

from __future__ import annotations

import os
import stat
from importlib.resources import files
from pathlib import Path

from aiopex.atomic import check_target
from aiopex.errors import Problem
from aiopex.result.saved import is_saved_result

BUDGET_NOTEBOOK = "budget_scenario.ipynb"
COMPARISON_NOTEBOOK = "scenario_comparison.ipynb"
#: Name of the comparison report's folder and files; no scenario may use it.
COMPARISON = "comparison"
#: Name of the small JSON file a notebook writes beside its outputs for the index.
SUMMARY_FILE = "summary.json"
INDEX_FILE = "index.html"
#: The folder a budget report saves its result in (``aiopex.load_result`` reads it); the
#: comparison reads these (``aiopex.notebook.load_results`` looks for this name too).
RESULT_FOLDER = "result"
#: The files a report writes in its folder, by suffix, besides ``summary.json``.
REPORT_SUFFIXES = (".ipynb", ".html", ".xlsx")
#: Room a temporary name needs beyond the file's own name (``.NAME.`` + 8 + ``.tmp.ipynb``).
TEMP_NAME_ROOM = 24


def notebooks_dir() -> Path:
    """The folder of the report notebooks: ``notebooks/`` of a checkout or of the wheel."""
    return Path(str(files("aiopex.notebooks")))


def report_files(out: Path, name: str) -> list[Path]:
    """Every file the report ``name`` writes under ``out``."""
    folder = out / name
    return [*(folder / f"{name}{s}" for s in REPORT_SUFFIXES), folder / SUMMARY_FILE]


def _name_max(folder: Path) -> int:
    """The longest file name the file system holding ``folder`` takes (255 if unknown)."""
    for p in (folder, *folder.parents):
        if p.is_dir():
            try:
                return os.pathconf(p, "PC_NAME_MAX")
            except (OSError, ValueError):
                return 255
    return 255


def check_report_paths(out: Path, names: list[str]) -> list[Problem]:
    """Problems with the paths a batch into ``out`` would write, before anything is written.

    Each report folder must be absent or a real folder (not a symlink or a file);
    each output file absent or a regular file (not a symlink, folder, FIFO or
    device); a report name must fit the file system's name limit with room for
    the temporary names outputs are written under.
    """
    problems: list[Problem] = []
    if out.exists() and not out.is_dir():
        return [Problem(str(out), "", "the output folder is not a folder")]
    problems += check_target(out / INDEX_FILE)
    limit = _name_max(out) - TEMP_NAME_ROOM
    for name in names:
        longest = len(f"{name}.ipynb".encode())
        if longest > limit:
            problems.append(
                Problem(
                    str(out / name[:40]) + "...",
                    "",
                    f"the report name is {len(name.encode())} bytes long; its files need "
                    f"names of at most {limit - len('.ipynb')} bytes on this file system",
                )
            )
            continue
        folder = out / name
        try:
            st = folder.lstat()
        except FileNotFoundError:
            continue
        except OSError as e:
            problems.append(Problem(str(folder), "", f"cannot use the report folder: {e}"))
            continue
        if stat.S_ISLNK(st.st_mode):
            problems.append(
                Problem(str(folder), "", "the report folder is a symbolic link; refusing it")
            )
        elif not stat.S_ISDIR(st.st_mode):
            problems.append(Problem(str(folder), "", "the report folder is not a folder"))
        else:
            for f in report_files(out, name):
                problems += check_target(f)
            problems += check_target(folder / RESULT_FOLDER, folder=True, owner=is_saved_result)
    return problems
