"""``OUT/index.html``: a row per report, its headline metrics, status and links.

The page is ``templates/index.html`` (a :class:`string.Template`) with the rows
and the settings line filled in; every value from a report is HTML-escaped.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

from aiopex.atomic import write_text
from aiopex.batch.status import ReportStatus

INDEX_FILE = "index.html"


def _template() -> Template:
    return Template((files("aiopex.batch") / "templates" / "index.html").read_text("utf-8"))


def _prob(p: Any) -> str:
    """``8.7%``; empty for a run without draws."""
    return "" if p is None else f"{float(p):.1%}"


def _readiness(r: Mapping[str, Any] | None) -> str:
    """``5 of 6 questions answered, 1 flag`` and the flags by name, escaped."""
    if not r:
        return ""
    flags = "".join(f"<li>{html.escape(str(f))}</li>" for f in r.get("flags", []))
    return html.escape(str(r.get("text", ""))) + (
        f'<ul class="flags">{flags}</ul>' if flags else ""
    )


def write_index(
    out_dir: str | os.PathLike[str],
    reports: Sequence[ReportStatus],
    *,
    draws: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``OUT/index.html``: a row per report, headline metrics, status and links.

    Quarterly reviews (``OUT/*/review.html``) and portfolios (``OUT/*/portfolio.html``)
    already in the folder are linked under the table.
    """
    from aiopex.version import __version__

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
            x for x in (link(r.notebook, "notebook"), link(r.workbook, "workbook")) if x
        )
        name = esc(r.name) if r.kind == "scenario" else f"<em>{esc(r.name)}</em>"
        if r.html is not None:
            name = link(r.html, name)
        sources = ", ".join(esc(p.name) for p in r.sources)
        small = " · ".join(x for x in (sources if r.kind == "scenario" else "", links) if x)
        rows.append(
            "<tr>"
            f"<td>{name}<br><small>{small}</small></td>"
            f"<td>{status}</td>"
            f'<td class="num">{esc(str(h.get("run_rate", "")))}</td>'
            f'<td class="num">{esc(str(h.get("npv", "")))}</td>'
            f'<td class="num wrap">{esc(str(h.get("payback", "")))}</td>'
            f'<td class="num">{esc(str(h.get("hidden_cost_multiple", "")))}</td>'
            f'<td class="num">{_prob(r.details.get("prob_npv_negative"))}</td>'
            f'<td class="readiness">{_readiness(r.details.get("readiness"))}</td>'
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
    also = [  # reviews and portfolios written into the same folder (make demo does)
        link(f, esc(" ".join(dict.fromkeys([kind, f.parent.name.removeprefix("review-")]))))
        for kind, name in (("quarterly review", "review.html"), ("portfolio", "portfolio.html"))
        for f in sorted(out.glob(f"*/{name}"))
    ]
    more = f'<p class="also">Also in this folder: {", ".join(also)}.</p>' if also else ""
    path = out / INDEX_FILE
    write_text(path, _template().substitute(meta=esc(meta), rows="\n".join(rows), also=more))
    return path
