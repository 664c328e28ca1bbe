"""The quarterly review run into a folder: ``aiopex review`` reads and checks the inputs
(every problem at once, nothing written), computes one review per baseline
(:func:`aiopex.analyses.review.compute_review`) and writes ``review.json``, the
workbook and the rendered notebook, each file atomically.
"""

from __future__ import annotations

import html as h
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aiopex.analyses.review import (
    BaselineArrays,
    Inputs,
    check_inputs,
    compute_review,
    needs_attention,
    parse_period,
    public_json,
    reforecast_result,
)
from aiopex.atomic import check_target, remove_stale, write_text
from aiopex.batch.export import export_html
from aiopex.batch.kernels import execute_notebook
from aiopex.batch.layout import notebooks_dir
from aiopex.errors import DataError, Problem
from aiopex.inputs.actuals import COST_BASIS, expand, read_usage
from aiopex.inputs.actuals_reader import read_actuals
from aiopex.inputs.mapping import load_mapping
from aiopex.model import variance as V  # noqa: N812
from aiopex.outputs.review_excel import write_review_workbook
from aiopex.outputs.review_report import MONTHLY_CSV, MONTHLY_TOTAL_CSV, NOTEBOOK, write_monthly
from aiopex.result.baselines import (
    MANIFEST,
    RESULT_DIR,
    differences,
    find_baselines,
    load_baseline,
    sha256_file,
)
from aiopex.version import __version__


def render_review(review: dict[str, Any], folder: Path) -> Path:
    """Run the review notebook on ``folder/review.json``; write ``review.ipynb`` and
    ``review.html`` (no code). Raises RuntimeError when the notebook fails."""
    run = execute_notebook(
        notebooks_dir() / NOTEBOOK,
        folder / "review.ipynb",
        {"review_json": str((folder / "review.json").resolve())},
        cwd=folder,
    )
    if not run.ok:
        raise RuntimeError(f"the review notebook failed: {run.error}")
    return export_html(folder / "review.ipynb", folder / "review.html", title="Cost review")


# -- the command ----------------------------------------------------------------------------


@dataclass
class ReviewOutcome:
    """What ``aiopex review`` did: the reviews written, and whether any needs attention."""

    reviews: list[dict[str, Any]]
    out: Path
    attention: bool

    def describe(self) -> str:
        lines = []
        for r in self.reviews:
            t = r["total"]
            cur = r["currency"]
            flag = "INVESTIGATE" if needs_attention(r) else "ok"
            missing = [x["line"] for x in r["lines"] if x["status"] == "no_actuals"]
            gap = f", no actuals: {', '.join(missing)}" if missing else ""
            holes = r.get("missing_actuals") or []
            if holes:
                gap += f", {len(holes)} month(s) missing from lines with actuals, counted as 0"
            if r.get("mixed_units"):
                gap += f", mixed units (no quantity): {', '.join(r['mixed_units'])}"
            acc = ((r.get("usage") or {}).get("accuracy") or {}).get("below_acceptable")
            degraded = f", accuracy below acceptable in {', '.join(acc)}" if acc else ""
            lines.append(
                f"{r['system']} {r['period']}: actual {cur} {t['actual']:,.0f} vs baseline "
                f"{cur} {t['baseline']:,.0f} ({t['variance']:+,.0f}){gap}, band {t['band']}, "
                f"{r['outside_band']['lines']}/{r['outside_band']['of']} lines outside "
                f"(~{r['outside_band_by_chance']['expected_lines']:.1f} expected by chance)"
                f"{degraded}; outlook FY{r['reforecast']['fiscal_year']} "
                f"{cur} {r['reforecast']['outlook']:,.0f}: {flag} -> {r['_dir']}"
            )
            if r.get("next_baseline"):
                lines.append(f"next baseline {r['_next_baseline_saved']}: {r['next_baseline']}")
        return "\n".join(lines)


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
    :func:`run_review` then refuses)."""
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


def run_review(
    baseline: str | Path,
    actuals: list[str | Path],
    out: str | Path,
    period: str,
    *,
    usage: str | Path | None = None,
    mapping: str | Path | None = None,
    cost_basis: str = "effective",
    materiality: tuple[float, float] | str = V.MATERIALITY,
    reprice: bool = False,
    fiscal_year_start: int | None = None,
    save_next: bool = False,
    render: bool = True,
) -> ReviewOutcome:
    """Check every input, then review each baseline and write its outputs.

    ``materiality`` is ``(share, amount)`` or the text of ``--materiality``. A period
    that starts at or before a baseline's ``as_of`` is refused: the baseline already
    knew those months' actuals.

    A period that starts at or before a baseline's ``as_of`` is refused: the baseline
    already knew those months' actuals.

    With a folder of baselines, each system gets ``out/<system>/`` and ``out`` gets
    ``index.json`` and ``index.html``; per-system actuals, usage and mapping are taken
    from ``<folder>/<system>/``, ``<system>.csv`` or ``<system>.yaml`` when present.

    Raises
    ------
    DataError
        Every problem of every input; nothing is written.
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
    jobs = []
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
            mp = load_mapping(maps[0], set(lines)) if maps else None
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
        jobs.append((bl, arr, months, inp, existing))
    out = Path(out)
    problems.extend(_output_problems(out, [bl.name for bl, *_ in jobs], multi, render))
    if problems:
        raise DataError(problems)
    done = []  # every review computed, and every next baseline checked, before writing
    for bl, arr, months, inp, existing in jobs:
        rv = compute_review(arr, months, inp, period)
        rv = {
            "period": period,
            "system": bl.name,
            "baseline": {"as_of": bl.as_of, "inputs_hash": bl.inputs_hash, "path": str(bl.path)},
            "version": __version__,
            "seed": arr.reforecast_seed,
            "inputs": input_hashes(bl, inp.files),
            **{k: v for k, v in rv.items() if k != "period"},
        }
        nxt = None
        if save_next:
            nxt = reforecast_result(bl.result, rv["_reforecast_amount"], arr, months, inp)
            if existing is not None:
                diff = differences(nxt, existing)
                if diff:
                    problems.append(
                        Problem(
                            str(existing.path),
                            "--save-baseline",
                            "a different baseline already exists here (differs in "
                            f"{', '.join(diff)}); baselines are immutable",
                        )
                    )
        problems.extend(_overflows(rv, str(bl.path)))
        done.append((bl, arr, months, rv, nxt, existing))
    if problems:
        raise DataError(problems)
    reviews = []
    for bl, arr, months, rv, nxt, existing in done:
        target = out / bl.name if multi else out
        rv["_dir"] = str(target)
        write_outputs(rv, arr, target, render=render)
        if nxt is not None and existing is not None:
            rv["next_baseline"] = str(existing.path)
            rv["_next_baseline_saved"] = "already saved (the same re-forecast)"
        elif nxt is not None:
            from aiopex.result.baselines import save_baseline

            dest = bl.path.parent.parent
            p = save_baseline(nxt, months[-1], dest, {"reforecast_of": str(bl.path)})
            rv["next_baseline"] = str(p)
            rv["_next_baseline_saved"] = "saved"
        reviews.append(rv)
    if multi:
        write_index(reviews, out)
    return ReviewOutcome(reviews, out, any(needs_attention(r) for r in reviews))


def _output_problems(out: Path, systems: list[str], multi: bool, render: bool) -> list[Problem]:
    """Every path the review would write that it cannot, found before anything is written."""

    problems = check_target(out, "--out", folder=True)
    if problems:
        return problems
    names = ["review.json", MONTHLY_CSV, MONTHLY_TOTAL_CSV, "review.xlsx"]
    if render:
        names += ["review.ipynb", "review.html"]
    folders = [out / s for s in systems] if multi else [out]
    for folder in folders:
        if folder != out:
            found = check_target(folder, "--out", folder=True)
            problems.extend(found)
            if found:
                continue
        problems.extend(p for n in names for p in check_target(folder / n, "--out"))
    if multi:
        problems.extend(p for n in ("index.json", "index.html") for p in check_target(out / n))
    return problems


def _overflows(review: dict[str, Any], label: str) -> list[Problem]:
    """Problems for numbers of a review that are not finite (amounts whose sums overflow),
    found before anything is written: review.json, the CSVs and the workbook would hold
    ``inf``, or fail half-written. At most the first five are named."""
    found: list[str] = []

    def walk(x: Any, where: str) -> None:
        if len(found) > 5:
            return
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(x, list | tuple):
            for i, v in enumerate(x):
                walk(v, f"{where}[{i}]")
        elif isinstance(x, float | np.floating) and math.isinf(x):
            found.append(where)

    walk({k: v for k, v in review.items() if k != "_reforecast_amount"}, "")
    return [
        Problem(
            label,
            where,
            "not a finite number: the actuals' amounts are too large to add up (overflow)",
        )
        for where in found[:5]
    ]


def write_outputs(review: dict[str, Any], arr: BaselineArrays, target: Path, render: bool) -> None:
    """``review.json``, the workbook and (``render``) the notebook and its HTML."""

    target.mkdir(parents=True, exist_ok=True)
    write_text(target / "review.json", json.dumps(public_json(review), indent=2) + "\n")
    write_monthly(review, target)
    write_review_workbook(review, target / "review.xlsx")
    if render:
        render_review(review, target)
    else:  # an earlier run's report would sit beside numbers it does not show
        remove_stale([target / "review.ipynb", target / "review.html"])


def write_index(reviews: list[dict[str, Any]], out: Path) -> None:
    """``index.json`` and ``index.html``: one row per system."""

    rows = []
    for r in reviews:
        t = r["total"]
        rows.append(
            {
                "system": r["system"],
                "period": r["period"],
                "currency": r["currency"],
                "baseline": t["baseline"],
                "actual": t["actual"],
                "variance": t["variance"],
                "band": t["band"],
                "investigate": needs_attention(r),
                "outside_band": r["outside_band"],
                "outlook": r["reforecast"]["outlook"],
                "dir": Path(r["_dir"]).name,
            }
        )
    write_text(out / "index.json", json.dumps({"reviews": rows}, indent=2) + "\n")
    body = "".join(
        f"<tr><td><a href='{h.escape(x['dir'])}/review.html'>{h.escape(x['system'])}</a></td>"
        f"<td>{h.escape(x['period'])}</td><td>{x['currency']} {x['baseline']:,.0f}</td>"
        f"<td>{x['currency']} {x['actual']:,.0f}</td><td>{x['variance']:+,.0f}</td>"
        f"<td>{x['band']}</td><td>{x['outside_band']['lines']}/{x['outside_band']['of']}</td>"
        f"<td>{x['currency']} {x['outlook']:,.0f}</td>"
        f"<td>{'INVESTIGATE' if x['investigate'] else 'ok'}</td></tr>"
        for x in rows
    )
    write_text(
        out / "index.html",
        "<!doctype html><meta charset='utf-8'><title>Cost reviews</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 10px;text-align:right}"
        "td:first-child{text-align:left}</style><h1>Quarterly cost reviews</h1><table>"
        "<tr><th>system</th><th>period</th><th>baseline</th><th>actual</th><th>variance</th>"
        "<th>band</th><th>lines outside band</th><th>fiscal-year outlook</th><th></th></tr>"
        f"{body}</table>",
    )
