"""The review workbook: the line variance with live formulas, the band, the re-forecast
and the data-quality counts.

Sheet ``Lines`` holds, per line, the inputs of the variance split
(docs/review.md#4-read-the-variance) as values (``B``, ``Qb``, ``A``, ``Qa``, the band's
P10 and P90 from the baseline's draws) and everything else as formulas on them:
``pb = B/Qb``, ``pa = A/Qa``,
``variance = A-B``, ``volume = (Qa-Qb)*pb``, ``price = (pa-pb)*Qa`` (both 0 where a
quantity or ``pb`` is missing or zero), ``unexplained = variance-volume-price``,
the band and the materiality test. Change an actual and the split moves. Every
formula is written with its value (XlsxWriter), so the file reads right before any
spreadsheet program recalculates it.
``percentile`` is a value: it needs the draws, which the workbook does not hold.

Sheet ``Invoice`` ties the review to the invoices of the period: each part of the
reconciliation as a value with its rows, and the invoice total as ``=SUM()`` of the
parts, checked against the invoiced ``BilledCost`` read from the exports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiopex.atomic import atomic_path
from aiopex.model import variance as V  # noqa: N812
from aiopex.outputs import review_commitments as RC  # noqa: N812
from aiopex.outputs.format import NA

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.review.records import Accuracy, Amounts, Sections
    from aiopex.analyses.review.value import Review

LINE_HEADERS = (
    "line", "category", "status", "baseline B", "baseline qty Qb", "actual A", "actual qty Qa",
    "pb = B/Qb", "pa = A/Qa", "variance", "volume", "price", "unexplained", "driver",
    "intensity", "P10", "P90", "percentile", "band", "material", "investigate",
)  # fmt: skip


def write_review_workbook(review: Review, path: str | os.PathLike[str]) -> Path:
    """Write the review workbook atomically (XlsxWriter; every formula with its value,
    so a previewer or a program reading the file sees the numbers before any recalculation).
    """
    import xlsxwriter

    target = Path(path)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        try:
            _fill(wb, review.sections)
        finally:
            wb.close()
    return target


#: How a TRUE/FALSE formula result shows: LibreOffice shows a cached boolean as 1 or 0
#: under the General format; Excel shows booleans as TRUE/FALSE whatever the format.
BOOL_FORMAT = '"TRUE";"TRUE";"FALSE"'


def _print_setup(ws: Any, header_rows: int = 1) -> None:
    """Landscape, one page wide (as many pages tall as needed), headers on every page."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_rows - 1)


@dataclass(frozen=True)
class Formats:
    """The workbook's cell formats (XlsxWriter ``Format`` objects)."""

    bold: Any
    head: Any
    money: Any
    whole: Any
    pct: Any
    qty: Any
    acc: Any
    boolean: Any
    warn: Any
    amber: Any
    shade: Any
    red: Any
    share: Any

    @classmethod
    def of(cls, wb: Any) -> Formats:
        return cls(
            bold=wb.add_format({"bold": True}),
            head=wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom"}),
            money=wb.add_format({"num_format": "#,##0.00"}),
            whole=wb.add_format({"num_format": "#,##0"}),
            pct=wb.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            qty=wb.add_format({"num_format": "#,##0.####"}),
            acc=wb.add_format({"num_format": "0.000"}),
            boolean=wb.add_format({"num_format": BOOL_FORMAT, "align": "center"}),
            warn=wb.add_format({"bold": True, "font_color": "#B42318"}),
            amber=wb.add_format({"bold": True, "font_color": "#B54708"}),
            shade=wb.add_format({"bg_color": "#FEF0C7"}),
            red=wb.add_format({"font_color": "#B42318", "bold": True}),
            share=wb.add_format({"num_format": "0%"}),  # XlsxWriter writes the used ones only
        )


def _fill(wb: Any, review: Sections) -> None:
    f = Formats.of(wb)
    groups = {"money": f.money, "qty": f.qty, "boolean": f.boolean, "bold": f.bold,
              "head": f.head, "cells": RC.cells(review)}  # fmt: skip
    _fill_lines(wb.add_worksheet("Lines"), review, f, groups)

    RC.write_sheet(wb, review, groups)

    us = wb.add_worksheet("Usage")
    _fill_usage(us, review, bold=f.bold, head=f.head, whole=f.whole, pct=f.pct, qty=f.qty,
                acc=f.acc, boolean=f.boolean, warn=f.warn, red=f.red)  # fmt: skip
    _fill_categories(wb.add_worksheet("Categories"), review, f)
    _fill_reforecast(wb.add_worksheet("Reforecast"), review, f)
    _fill_data_quality(wb.add_worksheet("DataQuality"), review, f)
    if review.reconciliation:
        _fill_invoice(wb.add_worksheet("Invoice"), review, bold=f.bold, head=f.head, money=f.money)


def _fill_lines(ws: Any, review: Sections, f: Formats, groups: dict[str, Any]) -> None:
    """Per line, the inputs of the variance split as values and the rest as formulas on them;
    the total, and the lines with and without actuals apart."""
    assert review.materiality is not None, "the workbook needs the review's detail"
    share, amount = review.materiality
    ws.write_row(0, 0, ["materiality share", share, "materiality amount", amount, "currency",
                        review.currency, "period", review.period])  # fmt: skip
    degraded = _degraded(review)
    if degraded:
        ws.write(0, 9, degraded + " (sheet Usage)", f.warn)
    ws.write_row(1, 0, list(LINE_HEADERS), f.head)
    ws.set_row(1, 30)
    r0 = 2
    for i, r in enumerate(review.lines):
        row = r0 + i
        n = row + 1  # the spreadsheet's row number
        if r.commitment is not None:  # a commitment and its covered lines
            RC.write_group_row(ws, row, r, groups)
            continue
        qb, qa = _q(r.qb), _q(r.qa)
        ok = f"AND(ISNUMBER(E{n}),ISNUMBER(G{n}),E{n}<>0,G{n}<>0,D{n}<>0)"
        # "n/a" where a price or band is undefined (format.py's word for a missing value):
        # XlsxWriter writes an empty text result as no cached value at all
        pb = r.baseline / qb if qb else NA
        pa = r.actual / qa if qa else NA
        ws.write_row(row, 0, [r.line, r.category, r.status])
        ws.write_number(row, 3, r.baseline, f.money)
        _num(ws, row, 4, qb, f.qty)
        ws.write_number(row, 5, r.actual, f.money)
        _num(ws, row, 6, qa, f.qty)
        ws.write_formula(row, 7, f'=IF(AND(ISNUMBER(E{n}),E{n}<>0),D{n}/E{n},"{NA}")', f.qty, pb)
        ws.write_formula(row, 8, f'=IF(AND(ISNUMBER(G{n}),G{n}<>0),F{n}/G{n},"{NA}")', f.qty, pa)
        ws.write_formula(row, 9, f"=F{n}-D{n}", f.money, r.variance)
        ws.write_formula(row, 10, f"=IF({ok},(G{n}-E{n})*H{n},0)", f.money, r.volume)
        ws.write_formula(row, 11, f"=IF({ok},(I{n}-H{n})*G{n},0)", f.money, r.price)
        ws.write_formula(row, 12, f"=J{n}-K{n}-L{n}", f.money, r.unexplained)
        _num(ws, row, 13, r.driver, f.money)
        _num(ws, row, 14, r.intensity, f.money)
        _num(ws, row, 15, r.p10, f.money)
        _num(ws, row, 16, r.p90, f.money)
        _num(ws, row, 17, r.percentile, f.qty)
        ws.write_formula(
            row, 18,
            f'=IF(C{n}<>"ok","{NA}",IF(F{n}<P{n}-0.005,"below",IF(F{n}>Q{n}+0.005,"above","within")))',
            None, r.band or NA,
        )  # fmt: skip
        ws.write_formula(row, 19, f"=ABS(J{n})>=MAX($B$1*ABS(D{n}),$D$1)", f.boolean, r.material)
        ws.write_formula(
            row, 20,
            f'=IF(C{n}="no_actuals",FALSE,IF(C{n}="unbudgeted",T{n},'
            f'AND(T{n},OR(S{n}="below",S{n}="above"))))',
            f.boolean, r.investigate,
        )  # fmt: skip
    last = r0 + len(review.lines)  # the spreadsheet row of the last line
    t = review.total
    ws.write(last, 0, "total", f.bold)
    cols = ((3, "baseline"), (5, "actual"), (9, "variance"), (10, "volume"), (11, "price"),
            (12, "unexplained"))  # fmt: skip
    for col, key in cols:
        letter = "ABCDEFGHIJKLM"[col]
        ws.write_formula(last, col, f"=SUM({letter}3:{letter}{last})", f.money, getattr(t, key))
    if last > r0:
        # a line of the baseline with no actuals counts as 0 (docs/review.md#4-read-the-variance),
        # never as a saving: shade it, and show the total of the lines with actuals beside the total
        rule = {"type": "formula", "criteria": f'=$C{r0 + 1}="no_actuals"', "format": f.shade}
        ws.conditional_format(r0, 0, last - 1, 20, rule)
        gone = review.no_actuals()
        kept = [r for r in review.lines if r.status != "no_actuals"]
        rng = f"$C$3:$C${last}"
        labels = (
            ("lines with actuals", "<>no_actuals", kept),
            ("lines without actuals (counted at 0, not a saving)", "no_actuals", gone),
        )
        for k, (label, crit, rows) in enumerate(labels, start=1):
            ws.write(last + k, 0, label, f.amber if crit == "no_actuals" and gone else None)
            for col, key in ((3, "baseline"), (5, "actual"), (9, "variance")):
                letter = "ABCDEFGHIJ"[col]
                value = float(sum(getattr(r, key) for r in rows))
                ws.write_formula(last + k, col,
                                 f'=SUMIF({rng},"{crit}",{letter}$3:{letter}${last})', f.money,
                                 value)  # fmt: skip
        if gone:
            names = ", ".join(r.line for r in gone)
            ws.write(last + 3, 0, f"No actuals: {names}. Counted at 0 in the total above, not "
                     "as a saving: compare the lines with actuals with their own baseline.",
                     f.amber)  # fmt: skip
    ws.set_column(0, 0, max([26, *(len(r.line) + 2 for r in review.lines)]))
    ws.set_column(1, 2, 19)  # "materiality amount" above the status
    ws.set_column(3, 16, 13)
    ws.set_column(17, 20, 11)
    ws.freeze_panes(2, 1)
    _print_setup(ws, 2)


def _fill_categories(cs: Any, review: Sections, f: Formats) -> None:
    """Per category and the total: the variance split, the band, the judgement, the lines
    without actuals; the lines outside their band against those expected by chance."""
    cs.write_row(0, 0, ["category", "baseline", "actual", "variance", "volume", "price",
                        "unexplained", "P10", "P90", "percentile", "band", "material",
                        "investigate", "of which: lines without actuals (baseline)"],
                 f.head)  # fmt: skip
    cats = [*review.categories, review.total]
    for i, c in enumerate(cats, start=1):
        cs.write_row(i, 0, [c.category, c.baseline, c.actual, c.variance, c.volume, c.price,
                            c.unexplained, c.p10 or "", c.p90 or "",
                            c.percentile if c.percentile is not None else "", c.band or ""],
                     f.money)  # fmt: skip
        cs.write(i, 0, c.category)
        cs.write(i, 10, c.band or "")
        cs.write_boolean(i, 11, bool(c.material), f.boolean)
        cs.write_boolean(i, 12, bool(c.investigate), f.boolean)
        gone = review.no_actuals(c.category)
        if gone:
            cs.write_number(i, 13, float(sum(r.baseline for r in gone)), f.money)
            cs.write(i, 14, ", ".join(r.line for r in gone), f.amber)
    RC.write_category_unused(cs, cats, {"money": f.money, "head": f.head})
    ob = review.outside_band
    k = len(cats) + 2
    cs.write_row(k, 0, ["lines outside their band", ob.lines, "of", ob.of])
    ch = review.outside_band_by_chance
    if ch:
        cs.write_row(k + 1, 0, ["lines whose forecast has a range (P10 < P90)", ch.can_vary])
        cs.write(k + 2, 0, "expected outside by chance (lines)")
        cs.write_number(k + 2, 1, ch.expected_lines, f.qty)
        cs.write(k + 3, 0, "expected share, of the lines with a range")
        cs.write_number(k + 3, 1, ch.expected_share, f.share)
        if ch.fixed:
            cs.write_row(k + 4, 0, ["fixed in the forecast (cannot fall outside by chance)",
                                    ", ".join(ch.fixed)])  # fmt: skip
    cs.set_column(0, 0, 50 if ch else 26)
    cs.set_column(1, 12, 13)
    cs.set_column(13, 13, 22)
    cs.set_row(0, 30)
    _print_setup(cs)


def _fill_reforecast(rs: Any, review: Sections, f: Formats) -> None:
    """The fiscal year's outlook month by month (actuals, then the re-forecast) and its total
    against the baseline."""
    rf = review.reforecast
    rs.write_row(0, 0, ["fiscal year", rf.fiscal_year])
    rs.write_row(1, 0, ["usage after the period", rf.usage])
    rs.write_row(2, 0, ["month", "actual (reported)", "baseline of lines without actuals",
                        "outlook amount", "source"], f.head)  # fmt: skip
    rs.set_row(2, 30)
    om = rf.monthly
    for i, o in enumerate(om, start=3):
        rs.write(i, 0, o.month)
        if o.source == "actual" and o.actual is not None:
            rs.write_number(i, 1, o.actual, f.money)
            rs.write_number(i, 2, o.baseline_no_actuals, f.money)
            rs.write_formula(i, 3, f"=B{i + 1}+C{i + 1}", f.money, o.amount)
            src = "actual + baseline of lines without actuals"
            rs.write(i, 4, src if o.baseline_no_actuals else "actual")
        else:
            rs.write_number(i, 3, o.amount, f.money)
            rs.write(i, 4, o.source)
    first, end = 4, 3 + len(om)  # spreadsheet rows of the months
    k = 3 + len(om)
    rs.write(k, 0, "outlook", f.bold)
    rs.write_formula(k, 3, f"=SUM(D{first}:D{end})", f.money, rf.outlook)
    rs.write(k + 1, 0, "baseline (same months)")
    rs.write_number(k + 1, 3, rf.baseline, f.money)
    rs.write(k + 2, 0, "outlook - baseline")
    rs.write_formula(k + 2, 3, f"=D{k + 1}-D{k + 2}", f.money, rf.outlook - rf.baseline)
    rs.write(k + 3, 0, "P10")
    rs.write_number(k + 3, 3, rf.p10, f.money)
    rs.write(k + 4, 0, "P90")
    rs.write_number(k + 4, 3, rf.p90, f.money)
    rs.set_column(0, 0, 26)
    rs.set_column(1, 3, 18)
    rs.set_column(4, 4, 40)
    _print_setup(rs, 3)


def _fill_data_quality(ds: Any, review: Sections, f: Formats) -> None:
    """What was not put on a line (unmapped, charges, corrections, missing months, mixed units)
    and the data quality that is not an amount."""
    ds.write_row(0, 0, ["what", "amount", "rows"], f.bold)
    um = review.unmapped
    out: list[tuple[str, float, int]] = [("unmapped (all services)", um.amount, um.rows)]
    out += [(f"  unmapped: {s}", v.amount, v.rows) for s, v in um.by_service.items()]
    out += [(k.replace("_", " "), v.amount, v.rows) for k, v in review.charges.items()]
    co = review.corrections
    out.append(("corrections (counted in their lines)", co.amount, co.rows))
    out += [
        (V.missing_text(x.line, x.month, x.baseline), x.counted_as, 0)
        for x in review.missing_actuals
    ]
    mixed = review.mixed_units.items()
    out += [(V.mixed_text(line, x.units), x.amount, x.rows) for line, x in mixed]
    for i, item in enumerate(out, start=1):
        ds.write(i, 0, item[0])
        ds.write_number(i, 1, item[1], f.money)
        ds.write_number(i, 2, item[2])
    k = len(out) + 2
    for what, text in quality_lines(review):
        ds.write(k, 0, what, f.bold)
        ds.write(k, 1, text)
        k += 1
    ds.set_column(0, 0, 40)
    ds.set_column(1, 2, 14)
    _print_setup(ds)


def quality_lines(review: Sections) -> list[tuple[str, str]]:
    """``(what, text)`` of data quality that is not an amount: the FOCUS version seen, the
    units per line and their conversion, superseded exports, NULL costs, notes."""
    dq = review.data_quality
    if not dq:
        return []
    out = [("FOCUS version seen", str(dq.focus_version or "none (or not every file)"))]
    for c in dq.conversions:
        out.append((f"unit of {c.line}", f"{c.unit}: {c.conversion} ({c.rows} rows)"))
    for x in dq.superseded_exports:
        out.append(
            (
                "superseded export",
                f"{x.delivery} (billing period {x.billing_period}, exported "
                f"{x.export_time}, {x.rows} rows, {x.amount:,.2f}) replaced by "
                f"{', '.join(x.replaced_by)}",
            )
        )
    if dq.null_cost_rows:
        nulls = f"{dq.null_cost_rows} rows with NULL {dq.null_cost_column}, counted as 0"
        out.append(("NULL cost", nulls))
    if dq.rows:
        counts = ", ".join(f"{k.replace('_', ' ')} {n:,}" for k, n in dq.rows.items())
        out.append(("rows of the period", counts))
    for note in dq.notes:
        out.append(("note", note))
    return out


def _fill_invoice(ws: Any, review: Sections, **f: Any) -> None:
    """The reconciliation: parts as values, the total as their live sum."""
    from aiopex.model.reconciliation import PARTS

    rc = review.reconciliation
    assert rc is not None
    cur = review.currency
    periods = ", ".join(rc.billing_periods) or "none in the exports"
    ws.write(0, 0, f"Invoices of {review.period} (billing periods {periods}), BilledCost, {cur}",
             f["bold"])  # fmt: skip
    ws.write_row(1, 0, ["part", "amount", "rows"], f["head"])
    rows = rc.rows
    for i, p in enumerate(PARTS, start=2):
        ws.write(i, 0, p.replace("_", " "))
        ws.write_number(i, 1, rc.parts[p], f["money"])
        ws.write_number(i, 2, rows.get(p, 0))
    first, last = 3, 2 + len(PARTS)  # spreadsheet rows of the parts
    k = last
    ws.write(k, 0, "invoice total", f["bold"])
    ws.write_formula(k, 1, f"=SUM(B{first}:B{last})", f["money"], rc.invoice_total)
    ws.write_formula(k, 2, f"=SUM(C{first}:C{last})", None, rows.get("invoice_total", 0))
    ws.write(k + 1, 0, "invoiced (BilledCost of the exports)")
    ws.write_number(k + 1, 1, rc.invoice_total, f["money"])
    ws.write(k + 2, 0, "difference")
    ws.write_formula(k + 2, 1, f"=ROUND(B{k + 1}-B{k + 2},2)", f["money"], 0.0)
    ws.write(k + 4, 0, "beside the invoice (not parts of it)", f["bold"])
    ws.write(k + 5, 0, "billed later (lines' usage of the period on later invoices)")
    ws.write_number(k + 5, 1, rc.billed_later, f["money"])
    ws.write(k + 6, 0, f"basis difference ({review.cost_basis} less BilledCost, lines)")
    ws.write_number(k + 6, 1, rc.basis_difference, f["money"])
    by = rc.prior_periods_by_month
    for j, (m, v) in enumerate(by.items()):
        ws.write(k + 8 + j, 0, f"prior periods: service month {m}")
        ws.write_number(k + 8 + j, 1, v, f["money"])
    ws.set_column(0, 0, 52)
    ws.set_column(1, 2, 16)
    _print_setup(ws, 2)


def _accuracy(review: Sections) -> Accuracy | None:
    return None if review.usage is None else review.usage.accuracy


def _degraded(review: Sections) -> str:
    """``The model degraded: ...`` when accuracy fell below ``acceptable``, else ``""``."""
    acc = _accuracy(review)
    if acc is None or not acc.below_acceptable:
        return ""
    assert acc.acceptable is not None
    return (
        f"The model degraded: accuracy below the acceptable {acc.acceptable:.2f} in "
        f"{', '.join(acc.below_acceptable)}"
    )


def _fill_usage(ws: Any, review: Sections, **f: Any) -> None:
    """Requests (and active users) against the baseline with the band, and the accuracy
    per month against the forecast and ``acceptable`` (live TRUE/FALSE per month)."""
    ws.write(0, 0, f"Usage and model quality, {review.period}", f["bold"])
    u = review.usage
    if not u:
        ws.write(2, 0, "No usage actuals were given (--usage): requests are not reviewed.")
        ws.set_column(0, 0, 40)
        _print_setup(ws)
        return
    degraded = _degraded(review)
    if degraded:
        ws.write(1, 0, degraded, f["warn"])
    ws.write_row(3, 0, ["what", "baseline", "actual", "variance", "variance %", "P10", "P90",
                        "percentile", "band"], f["head"])  # fmt: skip
    rows: list[tuple[str, Amounts]] = [("requests", u)]
    if u.active_users:
        rows.append(("active users (summed over the months)", u.active_users))
    for i, (label, x) in enumerate(rows, start=4):
        n = i + 1
        ws.write(i, 0, label)
        ws.write_number(i, 1, x.baseline, f["whole"])
        ws.write_number(i, 2, x.actual, f["whole"])
        ws.write_formula(i, 3, f"=C{n}-B{n}", f["whole"], x.variance)
        rel = x.variance / x.baseline if x.baseline else ""
        ws.write_formula(i, 4, f'=IF(B{n}=0,"",D{n}/B{n})', f["pct"], rel)
        if x is u and u.percentile is not None:
            ws.write_number(i, 5, u.p10, f["whole"])
            ws.write_number(i, 6, u.p90, f["whole"])
            ws.write_number(i, 7, u.percentile, f["qty"])
            ws.write_formula(
                i, 8, f'=IF(C{n}<F{n},"below",IF(C{n}>G{n},"above","within"))', None, u.band
            )
    acc = u.accuracy
    k = 4 + len(rows) + 1
    if acc and acc.months:
        ws.write_row(k, 0, ["month", "accuracy", "forecast", "acceptable",
                            "below acceptable (the model degraded)"], f["head"])  # fmt: skip
        below = set(acc.below_acceptable)
        for j, m in enumerate(acc.months, start=k + 1):
            n = j + 1
            ws.write(j, 0, m.month)
            ws.write_number(j, 1, m.actual, f["acc"])
            ws.write_number(j, 2, m.forecast, f["acc"])
            if acc.acceptable is not None:
                ws.write_number(j, 3, acc.acceptable, f["acc"])
                ws.write_formula(j, 4, f"=B{n}<D{n}", f["boolean"], m.month in below)
        first, end = k + 2, k + 1 + len(acc.months)
        ws.conditional_format(k + 1, 0, end - 1, 4, {"type": "formula",
                              "criteria": f"=$E{first}=TRUE", "format": f["red"]})  # fmt: skip
    else:
        ws.write(k, 0, "No accuracy column in the usage actuals: quality is not reviewed.")
    ws.set_column(0, 0, 38)
    ws.set_column(1, 8, 13)
    ws.set_column(4, 4, 18)
    ws.set_row(3, 30)
    _print_setup(ws, 1)


def _num(ws: Any, row: int, col: int, v: float | None, fmt: Any) -> None:
    if v is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, float(v), fmt)


def _q(v: float | None) -> float | None:
    return None if v is None else float(v)
