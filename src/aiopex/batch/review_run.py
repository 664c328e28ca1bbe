"""The quarterly review run into a folder: ``aiopex review`` reads and checks the inputs
(every problem at once, nothing written), computes one review per baseline
(:func:`aiopex.analyses.review.compute_review`) and writes ``review.json``, the
workbook and the rendered notebook, each file atomically.
"""

from __future__ import annotations

import html as h
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiopex.analyses.review import Review, gather, needs_attention, review_of
from aiopex.atomic import check_target, remove_stale, write_text
from aiopex.batch.export import export_html
from aiopex.batch.kernels import execute_notebook
from aiopex.batch.layout import notebooks_dir
from aiopex.errors import DataError, Problem
from aiopex.model import variance as V  # noqa: N812
from aiopex.outputs.review_excel import write_review_workbook
from aiopex.outputs.review_report import MONTHLY_CSV, MONTHLY_TOTAL_CSV, NOTEBOOK, write_monthly
from aiopex.result.baselines import save_baseline


def render_review(folder: Path) -> Path:
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

    With a folder of baselines, each system gets ``out/<system>/`` and ``out`` gets
    ``index.json`` and ``index.html``; per-system actuals, usage and mapping are taken
    from ``<folder>/<system>/``, ``<system>.csv`` or ``<system>.yaml`` when present.

    Raises
    ------
    DataError
        Every problem of every input; nothing is written.
    """

    period = period.strip(" \t")  # recorded as read, never as typed
    jobs, multi, problems = gather(
        baseline,
        actuals,
        period,
        usage=usage,
        mapping=mapping,
        cost_basis=cost_basis,
        materiality=materiality,
        reprice=reprice,
        fiscal_year_start=fiscal_year_start,
        save_next=save_next,
    )
    out = Path(out)
    problems.extend(_output_problems(out, [j.baseline.name for j in jobs], multi, render))
    if problems:
        raise DataError(problems)
    done = []  # every review computed, and every next baseline checked, before writing
    for job in jobs:
        value = review_of(job, period, save_next)
        problems.extend(value.problems)
        done.append((job.baseline, job.months, value))
    if problems:
        raise DataError(problems)
    reviews = []
    for (bl, months, value), job in zip(done, jobs, strict=True):
        existing, nxt, rv = job.existing, value.next_baseline, value.data
        target = out / bl.name if multi else out
        rv["_dir"] = str(target)
        write_outputs(value, target, render=render)
        if nxt is not None and existing is not None:
            rv["next_baseline"] = str(existing.path)
            rv["_next_baseline_saved"] = "already saved (the same re-forecast)"
        elif nxt is not None:
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


def write_outputs(review: Review, target: Path, render: bool) -> None:
    """``review.json``, the workbook and (``render``) the notebook and its HTML."""

    target.mkdir(parents=True, exist_ok=True)
    write_text(target / "review.json", json.dumps(review.to_json(), indent=2) + "\n")
    write_monthly(review, target)
    write_review_workbook(review, target / "review.xlsx")
    if render:
        render_review(target)
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
