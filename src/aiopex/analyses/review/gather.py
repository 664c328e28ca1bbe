"""Everything a review reads, read and checked: the baselines, the actuals, the usage
and the mapping, every problem listed at once (:func:`gather`).

With a folder of baselines, per-system actuals, usage and mapping are taken from
``<folder>/<system>/``, ``<system>.csv`` or ``<system>.yaml`` when present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiopex.analyses.review.arrays import BaselineArrays, Inputs, check_inputs
from aiopex.analyses.review.period import parse_period
from aiopex.atomic import check_target
from aiopex.errors import DataError, Problem
from aiopex.inputs.actuals import COST_BASIS, expand, read_usage
from aiopex.inputs.actuals_reader import read_actuals
from aiopex.inputs.mapping import load_mapping
from aiopex.model import variance as V  # noqa: N812
from aiopex.names import COMMITMENT_DRIVER
from aiopex.result.baselines import (
    MANIFEST,
    RESULT_DIR,
    Baseline,
    find_baselines,
    load_baseline,
    sha256_file,
)


@dataclass
class ReviewJob:
    """One baseline's review, read and checked: what :func:`gather` found for it."""

    baseline: Baseline
    arrays: BaselineArrays
    months: list[str]
    inputs: Inputs
    existing: Baseline | None  # the next baseline already saved, with ``save_next``


def _pick(paths: list[str | Path] | None, system: str, multi: bool) -> list[Path]:
    """Per-system inputs: with several baselines, a folder named after the system wins."""
    out: list[Path] = []
    for p in paths or []:
        p = Path(p)
        if multi and p.is_dir() and (p / system).exists():
            out.append(p / system)
        elif multi and p.is_dir() and (p / f"{system}.yaml").exists():
            out.append(p / f"{system}.yaml")
        elif multi and p.is_dir() and (p / f"{system}.csv").exists():
            out.append(p / f"{system}.csv")
        else:
            out.append(p)
    return out


def _own_actuals(paths: list[str | Path], system: str, systems: list[str]) -> list[Path]:
    """The actuals of one system of a folder of baselines: in each folder, its own
    ``<system>/`` or ``<system>.csv`` when there is one, else the folder's files but the
    other systems' (``<other>/``, ``<other>.csv``): never another system's bills."""
    theirs = {n for o in systems if o != system for n in (o, f"{o}.csv", f"{o}.xlsx")}
    out: list[Path] = []
    for p in map(Path, paths):
        own = _pick([p], system, True)[0]
        if own != p or not p.is_dir():
            out.append(own)
            continue
        files = expand([p])[0]
        out.extend(f for f in files if f.relative_to(p).parts[0] not in theirs)
    return out


def _choose(loaded: list[Any], months: list[str] | None) -> list[Any]:
    """Per system, the latest baseline made before the period (else the latest, which
    :func:`gather` then refuses)."""
    by: dict[str, list[Any]] = {}
    for bl in loaded:
        by.setdefault(bl.name, []).append(bl)
    out = []
    for name in sorted(by):
        cands = sorted(by[name], key=lambda x: x.as_of)
        before = [c for c in cands if months is not None and c.as_of < months[0]]
        out.append((before or cands)[-1])
    return out


def parse_materiality(text: str) -> tuple[tuple[float, float], list[Problem]]:
    """``SHARE,AMOUNT`` of ``--materiality``, and its problems (not raised).

    The share is a fraction of the baseline: a share above 1 is taken for a percentage.

    Examples
    --------
    >>> parse_materiality("0.05,1000")
    ((0.05, 1000.0), [])
    >>> print(parse_materiality("5,1000")[1][0])
    <command line>: --materiality: 5 looks like a percentage; write 0.05
    """
    where = ("<command line>", "--materiality")
    try:
        share, amount = (float(x) for x in str(text).split(","))
        if not (math.isfinite(share) and math.isfinite(amount)) or share < 0 or amount < 0:
            raise ValueError
    except ValueError:
        msg = f"expected SHARE,AMOUNT such as 0.05,1000, got {text!r}"
        return V.MATERIALITY, [Problem(*where, msg)]
    if share > 1:
        hint = f"{share:g} looks like a percentage; write {share / 100:g}"
        return V.MATERIALITY, [Problem(*where, hint)]
    return (share, amount), []


def _unread_inputs(
    actuals: list[str | Path], usage: str | Path | None, mapping: str | Path | None
) -> list[Problem]:
    """Problems of the actuals, usage and mapping files found without a baseline (its
    lines and currency unknown): missing or unreadable files, an invalid mapping."""

    problems = expand(actuals)[1]
    for path, read in ((mapping, load_mapping), (usage, read_usage)):
        if path:
            try:
                read(path)
            except DataError as e:
                problems.extend(e.problems)
    return problems


def input_hashes(bl: Any, files: list[str]) -> dict[str, str]:
    """``{file: sha256}`` of every file a review read: the actuals, mapping and usage
    files, the scenario's usage history if read, and the baseline's manifest and result
    files (their hashes as recorded in the manifest, checked when it was loaded)."""

    out = {f: sha256_file(Path(f)) for f in files}  # in chunks: exports may be large
    man = Path(bl.path) / MANIFEST
    out[str(man)] = sha256_file(man)
    for name, digest in sorted(bl.manifest.get("files", {}).items()):
        out[str(Path(bl.path) / RESULT_DIR / name)] = str(digest)
    return out


def gather(
    baseline: str | Path,
    actuals: list[str | Path],
    period: str,
    *,
    usage: str | Path | None = None,
    mapping: str | Path | None = None,
    cost_basis: str = "effective",
    materiality: tuple[float, float] | str = V.MATERIALITY,
    reprice: bool = False,
    fiscal_year_start: int | None = None,
    save_next: bool = False,
) -> tuple[list[ReviewJob], bool, list[Problem]]:
    """Read and check every input of a review: one job per baseline reviewed, whether
    ``baseline`` is a folder of several (``multi``), and every problem found.

    ``materiality`` is ``(share, amount)`` or the text of ``--materiality``. A period
    that starts at or before a baseline's ``as_of`` is refused: the baseline already
    knew those months' actuals.

    Raises
    ------
    DataError
        When no baseline could be read (with the other inputs' problems that show
        without one).
    """
    problems: list[Problem] = []
    if cost_basis not in COST_BASIS:
        problems.append(
            Problem("<command line>", "--cost-basis", f"expected one of {', '.join(COST_BASIS)}")
        )
    if fiscal_year_start is not None and not 1 <= fiscal_year_start <= 12:
        problems.append(
            Problem(
                "<command line>", "--fiscal-year-start", f"expected 1..12, got {fiscal_year_start}"
            )
        )
        fiscal_year_start = None  # listed; the period is read with the scenario's then
    if isinstance(materiality, str):
        materiality, found_problems = parse_materiality(materiality)
        problems.extend(found_problems)
    period = period.strip(" \t")  # recorded as read, never as typed
    try:
        first_months: list[str] | None = parse_period(period, fiscal_year_start or 1)
    except DataError as e:
        problems.extend(e.problems)
        first_months = None
    try:
        found = find_baselines(baseline)
    except DataError as e:
        problems.extend(e.problems)
        found = []
    loaded = []
    for p in found:
        try:
            loaded.append(load_baseline(p))
        except DataError as e:
            problems.extend(e.problems)
    if not loaded:  # the other inputs' problems, as far as they show without a baseline
        problems.extend(_unread_inputs(actuals, usage, mapping))
        raise DataError(problems)
    multi = len(found) > 1 or not (Path(baseline) / "baseline.json").exists()
    jobs: list[ReviewJob] = []
    for bl in _choose(loaded, first_months):
        arr = BaselineArrays.from_result(bl.result)
        if fiscal_year_start is not None:
            arr.fiscal_year_start = fiscal_year_start
        months = None if first_months is None else parse_period(period, arr.fiscal_year_start)
        if months is not None and months[0] <= bl.as_of:
            problems.append(
                Problem(
                    str(bl.path),
                    "--period",
                    f"{period} starts at {months[0]}, at or before the baseline's as_of "
                    f"{bl.as_of}: the baseline already knew the actuals up to {bl.as_of}; "
                    "review a later period, or against a baseline made before it",
                )
            )
            months = None
        lines = dict(zip(arr.names, arr.drivers, strict=True))
        mp, map_failed = None, False
        try:
            maps = _pick([mapping] if mapping else [], bl.name, multi)
            commits = {s.name for s in arr.specs if s.driver == COMMITMENT_DRIVER}
            mp = load_mapping(maps[0], set(lines), commits) if maps else None
        except DataError as e:
            problems.extend(e.problems)
            map_failed = True
        systems = sorted({b.name for b in loaded})
        own = _own_actuals(actuals, bl.name, systems) if multi else _pick(actuals, bl.name, multi)
        try:
            if not own:
                raise DataError(
                    Problem(
                        ", ".join(map(str, actuals)),
                        "",
                        f"no actuals of {bl.name}: no {bl.name}/ folder or {bl.name}.csv, and "
                        "every other file belongs to another system",
                    )
                )
            act = read_actuals(
                own,
                lines=lines,
                currency=arr.currency,
                mapping=mp,
                cost_basis=cost_basis,
                mapping_named=map_failed,
            )
        except DataError as e:
            problems.extend(e.problems)
            act = None
        us = None
        if usage:
            try:
                us = read_usage(_pick([usage], bl.name, multi)[0])
            except DataError as e:
                problems.extend(e.problems)
        if act is None or months is None:
            continue
        inp = Inputs(act, us, cost_basis, materiality, reprice)
        problems.extend(check_inputs(arr, months, inp, str(bl.path)))
        existing = None
        nxt = bl.path.parent / months[-1]
        if save_next and nxt.exists():  # fine if it holds this very re-forecast (a rerun)
            try:
                existing = load_baseline(nxt)
            except DataError as e:
                problems.extend(e.problems)
        elif save_next:  # checked now: a baseline that cannot be saved fails nothing later
            problems.extend(check_target(nxt, "--save-baseline", folder=True))
        read = [*expand(own)[0], *maps]
        read += _pick([usage], bl.name, multi) if usage else []
        read += [Path(arr.history_path)] if arr.history_path else []
        inp.files = [str(f) for f in read]
        jobs.append(ReviewJob(bl, arr, months, inp, existing))
    return jobs, multi, problems
