"""A commitment's group in the review's outputs (docs/review.md, "Commitments"): the
report's section and the workbook's ``Commitments`` sheet, with the group's row of the
``Lines`` sheet written on it.

The sheet holds, per group, its covered lines (baseline and actual quantity, the
on-demand baseline rate ``pb``, and ``volume = (Qa - Qb) * pb`` as a formula), the group's
``volume`` as their sum, and the unused commitment (actual, baseline, and their difference
as a formula). The group's row of ``Lines`` reads its ``volume`` and ``unused`` from there:
``unexplained = variance - volume - price - unused``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiopex.outputs.format import NA

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.review.records import (
        CategoryVariance,
        Commitment,
        LineVariance,
        Sections,
    )
    from aiopex.analyses.review.value import Review

SHEET = "Commitments"
_HEAD = ("group / covered line", "baseline qty Qb", "actual qty Qa", "on-demand rate pb",
         "volume", "baseline", "actual")  # fmt: skip


def groups(review: Sections) -> list[tuple[LineVariance, Commitment]]:
    """The commitments' group rows among the review's lines, with their commitment."""
    return [(r, r.commitment) for r in review.lines if r.commitment is not None]


def _layout(review: Sections) -> dict[str, tuple[int, int, int]]:
    """Per group: the sheet rows (0-based) of its heading, its volume and its unused."""
    out = {}
    row = 2
    for g, c in groups(review):
        first = row + 1
        vol = first + len(c.covers)
        out[g.line] = (row, vol, vol + 3)
        row = vol + 5
    return out


def write_group_row(ws: Any, row: int, r: LineVariance, fmt: dict[str, Any]) -> None:
    """The group's row of the ``Lines`` sheet (its columns as a line's; ``volume`` and the
    unused commitment read from the ``Commitments`` sheet)."""
    n = row + 1
    money, qty, boolean = fmt["money"], fmt["qty"], fmt["boolean"]
    ws.write_row(row, 0, [r.line, r.category, r.status])
    ws.write_comment(row, 0, f"{r.line} and the lines it covers, judged as one group: see "
                     f"sheet {SHEET}", {"x_scale": 2})  # fmt: skip
    ws.write_number(row, 3, r.baseline, money)
    ws.write(row, 4, NA)
    ws.write_number(row, 5, r.actual, money)
    ws.write(row, 6, NA)
    ws.write(row, 7, NA)
    ws.write(row, 8, NA)
    ws.write_formula(row, 9, f"=F{n}-D{n}", money, r.variance)
    vol_row, unused_row = fmt["cells"][r.line][1:]
    ws.write_formula(row, 10, f"='{SHEET}'!E{vol_row + 1}", money, r.volume)
    ws.write_number(row, 11, 0.0, money)
    ws.write_formula(row, 12, f"=J{n}-K{n}-L{n}-'{SHEET}'!G{unused_row + 1}", money, r.unexplained)
    for col, v in ((15, r.p10), (16, r.p90), (17, r.percentile)):
        if v is None:
            ws.write(row, col, NA)
        else:
            ws.write_number(row, col, v, qty if col == 17 else money)
    ws.write_formula(
        row, 18,
        f'=IF(C{n}<>"ok","{NA}",IF(F{n}<P{n}-0.005,"below",IF(F{n}>Q{n}+0.005,"above","within")))',
        None, r.band or NA,
    )  # fmt: skip
    ws.write_formula(row, 19, f"=ABS(J{n})>=MAX($B$1*ABS(D{n}),$D$1)", boolean, r.material)
    ws.write_formula(
        row, 20,
        f'=IF(C{n}="no_actuals",FALSE,AND(T{n},OR(S{n}="below",S{n}="above")))',
        boolean, r.investigate,
    )  # fmt: skip


def write_category_unused(cs: Any, cats: list[CategoryVariance], fmt: dict[str, Any]) -> None:
    """On the ``Categories`` sheet, the commitments' ``unused`` of each category and the
    total (column P), so that ``volume + price + unused + unexplained = variance`` reads
    there too; nothing without a commitment's group."""
    if all(c.unused is None for c in cats):
        return
    cs.write(0, 15, "unused commitment (groups)", fmt["head"])
    for i, c in enumerate(cats, start=1):
        if c.unused is not None:
            cs.write_number(i, 15, c.unused, fmt["money"])
    cs.set_column(15, 15, 14)


def write_sheet(wb: Any, review: Sections, fmt: dict[str, Any]) -> None:
    """The ``Commitments`` sheet (only when the review has a group)."""
    gs = groups(review)
    if not gs:
        return
    money, qty, bold, head = fmt["money"], fmt["qty"], fmt["bold"], fmt["head"]
    ws = wb.add_worksheet(SHEET)
    ws.write(0, 0, "Each commitment judged as one group with the lines it covers", bold)
    ws.write_row(1, 0, list(_HEAD), head)
    cells = fmt["cells"]
    for g, cm in gs:
        top, vol, unused = cells[g.line]
        ws.write(top, 0, f"{g.line}: {cm.amount_per_month:,.2f} a month at "
                 f"{cm.discount:.0%} off, {cm.term_months_in_period} month(s) of its term "
                 "in the period", bold)  # fmt: skip
        for k, c in enumerate(cm.covers, start=top + 1):
            n = k + 1
            ws.write(k, 0, "  " + c.line)
            for col, v in ((1, c.baseline_quantity), (2, c.actual_quantity),
                           (3, c.on_demand_rate)):  # fmt: skip
                if v is None:
                    ws.write(k, col, NA)
                else:
                    ws.write_number(k, col, v, qty)
            ws.write_formula(
                k, 4, f"=IF(AND(ISNUMBER(B{n}),ISNUMBER(C{n}),ISNUMBER(D{n}),C{n}<>0),"
                f"(C{n}-B{n})*D{n},0)", money, c.volume or 0.0,
            )  # fmt: skip
            ws.write_number(k, 5, c.baseline, money)
            if c.actual is None:
                ws.write(k, 6, NA)
            else:
                ws.write_number(k, 6, c.actual, money)
        ws.write(vol, 0, "volume", bold)
        ws.write_formula(vol, 4, f"=SUM(E{top + 2}:E{vol})", money, g.volume)
        ws.write(vol + 1, 0, "unused commitment, actual")
        ws.write_number(vol + 1, 6, cm.unused_actual or 0.0, money)
        ws.write(vol + 2, 0, "unused commitment, baseline")
        ws.write_number(vol + 2, 6, cm.unused_baseline, money)
        ws.write(unused, 0, "unused (actual - baseline)", bold)
        ws.write_formula(unused, 6, f"=G{vol + 2}-G{vol + 3}", money, g.unused or 0.0)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 6, 15)
    ws.set_row(1, 30)
    ws.set_landscape()  # one page wide, the headers on every page
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, 1)


def cells(review: Sections) -> dict[str, tuple[int, int, int]]:
    """Where each group's figures stand on the ``Commitments`` sheet (0-based rows of its
    heading, volume and unused), for the ``Lines`` sheet's formulas."""
    return _layout(review)


def section(review: Review) -> Any:
    """The report's section: per group, its figures and covered lines (an empty HTML
    when the review has none)."""
    from IPython.display import HTML

    gs = groups(review.sections)
    if not gs:
        return HTML("")
    cur = review.currency

    def m(v: float | None) -> str:
        return "" if v is None else f"{v:,.0f}"

    def q(v: float | None) -> str:
        return "" if v is None else f"{v:,.2f}"

    parts = [
        "<h2>Commitments</h2>",
        "<p>A commitment and the lines it covers are judged as one group: the baseline is "
        "the committed spend of each month of its term plus the covered lines' spend beyond "
        "it; the actual is the covered lines' actuals plus the commitment's unused part. "
        "<b>volume</b> is the change in the covered lines' quantities at their on-demand "
        "baseline rate, <b>unused</b> the unused commitment against the baseline's, "
        "<b>unexplained</b> the rest.</p>",
    ]
    for g, cm in gs:
        pct = "" if g.percentile is None else f", percentile {g.percentile:.0f}"
        verdict = "investigate" if g.investigate else "material" if g.material else "ok"
        parts.append(
            f"<h3>{g.line}: {cm.amount_per_month:,.0f} {cur} a month at "
            f"{cm.discount:.0%} off ({cm.term_months_in_period} month(s) of its term in "
            f"the period)</h3>"
            "<table style='font-size:0.9em'><tr><th style='text-align:left'>baseline</th>"
            "<th>actual</th><th>variance</th><th>volume</th><th>unused</th>"
            "<th>unexplained</th><th>band</th><th>judgement</th></tr>"
            f"<tr><td>{m(g.baseline)}</td><td>{m(g.actual)}</td>"
            f"<td>{m(g.variance)}</td><td>{m(g.volume)}</td><td>{m(g.unused)}</td>"
            f"<td>{m(g.unexplained)}</td><td>{g.band or ''}{pct}</td>"
            f"<td>{verdict}</td></tr></table>"
            f"<p>Unused commitment: {m(cm.unused_actual)} {cur} actual against "
            f"{m(cm.unused_baseline)} {cur} in the baseline.</p>"
            "<table style='font-size:0.9em'><tr><th style='text-align:left'>covered line</th>"
            "<th>baseline qty</th><th>actual qty</th><th>on-demand rate</th><th>volume</th>"
            "<th>baseline</th><th>actual</th></tr>"
            + "".join(
                f"<tr><td style='text-align:left'>{c.line}</td>"
                f"<td>{q(c.baseline_quantity)}</td><td>{q(c.actual_quantity)}</td>"
                f"<td>{q(c.on_demand_rate)}</td><td>{m(c.volume)}</td>"
                f"<td>{m(c.baseline)}</td><td>{m(c.actual)}</td></tr>"
                for c in cm.covers
            )
            + "</table>"
        )
    return HTML("".join(parts))
