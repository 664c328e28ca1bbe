"""The review's cost actuals, whatever their kind: each file told native or FOCUS
(:func:`aiopex.inputs.actuals.is_focus`), read by :func:`aiopex.inputs.actuals.read_native`
or :func:`aiopex.inputs.focus.read_focus`, and combined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aiopex.errors import DataError, Problem
from aiopex.inputs.actuals import Actuals, _header, _kind, combine, expand, is_focus, read_native
from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import Mapping


def read_actuals(
    paths: Sequence[str | Path],
    *,
    lines: dict[str, str],
    currency: str,
    mapping: Mapping | None = None,
    cost_basis: str = "effective",
    mapping_named: bool = False,
) -> Actuals:
    """Read cost actuals from native files and FOCUS exports.

    Parameters
    ----------
    paths : list of path
        Files or folders (every CSV, CSV.gz, Parquet and ``.xlsx`` inside, recursively).
    lines : dict of str to str
        The scenario's cost line names and their drivers.
    currency : str
        The scenario's currency; every amount must be in it.
    mapping : Mapping, optional
        Needed for FOCUS exports.
    mapping_named : bool
        A mapping file was named but is invalid (its own problems are listed by
        :func:`~aiopex.inputs.mapping.load_mapping`): FOCUS exports are then skipped
        without asking for one.
    cost_basis : str
        ``billed``, ``effective``, ``list`` or ``contracted`` (FOCUS only).

    Raises
    ------
    DataError
        With every problem of every file.
    """
    files, problems = expand(paths)
    native: list[Path] = []
    focus: list[Path] = []
    for f in files:
        if _kind(f) == "xlsx":
            native.append(f)
            continue
        try:
            header = _header(f)
        except Exception as e:  # noqa: BLE001 - any unreadable file is a problem to list
            problems.append(Problem(str(f), "", f"unreadable: {e or type(e).__name__}"))
            continue
        (focus if is_focus(header) else native).append(f)
    parts: list[Actuals] = []
    for f in native:
        try:
            parts.append(read_native(f, lines=lines, currency=currency))
        except DataError as e:
            problems.extend(e.problems)
    if focus:
        if mapping is None and mapping_named:
            pass  # the mapping file's own problems are listed; it is not missing
        elif mapping is None:
            problems.append(
                Problem(str(focus[0]), "", "a FOCUS export needs a mapping file (--map)")
            )
        else:
            try:
                parts.append(
                    read_focus(
                        focus,
                        mapping=mapping,
                        currency=currency,
                        cost_basis=cost_basis,
                        lines=lines,
                        roots=list(paths),  # the folders named: run folders are inside
                    )
                )
            except DataError as e:
                problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    return combine(parts)
