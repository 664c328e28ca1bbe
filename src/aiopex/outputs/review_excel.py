"""The review workbook: the line variance with live formulas, the band, the re-forecast
and the data-quality counts.

Sheet ``Lines`` holds, per line, the inputs of REVIEW.md's split as values
(``B``, ``Qb``, ``A``, ``Qa``, the band's P10 and P90 from the baseline's draws) and
everything else as formulas on them: ``pb = B/Qb``, ``pa = A/Qa``,
``variance = A-B``, ``volume = (Qa-Qb)*pb``, ``price = (pa-pb)*Qa`` (both 0 where a
quantity or ``pb`` is missing or zero), ``unexplained = variance-volume-price``,
the band and the materiality test. Change an actual and the split moves. Every
formula is written with its value (XlsxWriter), so the file reads right before any
spreadsheet program recalculates it.
``percentile`` is a value: it needs the draws, which the workbook does not hold.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

LINE_HEADERS = (
    "line", "category", "status", "baseline B", "baseline qty Qb", "actual A", "actual qty Qa",
    "pb = B/Qb", "pa = A/Qa", "variance", "volume", "price", "unexplained", "driver",
    "intensity", "P10", "P90", "percentile", "band", "material", "investigate",
)  # fmt: skip


def write_review_workbook(review: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the review workbook atomically (XlsxWriter; every formula with its value,
    so a previewer or a program reading the file sees the numbers before any recalculation).
    """
    import xlsxwriter

    from aiopex.atomic import atomic_path

    target = Path(path)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        try:
            _fill(wb, review)
        finally:
            wb.close()
    return target


def _fill(wb: Any, review: dict[str, Any]) -> None:
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    qty = wb.add_format({"num_format": "#,##0.####"})
    ws = wb.add_worksheet("Lines")
    mat = review["_materiality"]
    share, amount = mat["share"], mat["amount"]
    ws.write_row(0, 0, ["materiality share", share, "materiality amount", amount, "currency",
                        review["currency"], "period", review["period"]])  # fmt: skip
    ws.write_row(1, 0, list(LINE_HEADERS), bold)
    r0 = 2
    for i, r in enumerate(review["lines"]):
        row = r0 + i
        n = row + 1  # the spreadsheet's row number
        qb, qa = _q(r, "Qb"), _q(r, "Qa")
        ok = f"AND(ISNUMBER(E{n}),ISNUMBER(G{n}),E{n}<>0,G{n}<>0,D{n}<>0)"
        pb = r["baseline"] / qb if qb else ""
        pa = r["actual"] / qa if qa else ""
        ws.write_row(row, 0, [r["line"], r["category"], r["status"]])
        ws.write_number(row, 3, r["baseline"], money)
        _num(ws, row, 4, qb, qty)
        ws.write_number(row, 5, r["actual"], money)
        _num(ws, row, 6, qa, qty)
        ws.write_formula(row, 7, f'=IF(AND(ISNUMBER(E{n}),E{n}<>0),D{n}/E{n},"")', qty, pb)
        ws.write_formula(row, 8, f'=IF(AND(ISNUMBER(G{n}),G{n}<>0),F{n}/G{n},"")', qty, pa)
        ws.write_formula(row, 9, f"=F{n}-D{n}", money, r["variance"])
        ws.write_formula(row, 10, f"=IF({ok},(G{n}-E{n})*H{n},0)", money, r["volume"])
        ws.write_formula(row, 11, f"=IF({ok},(I{n}-H{n})*G{n},0)", money, r["price"])
        ws.write_formula(row, 12, f"=J{n}-K{n}-L{n}", money, r["unexplained"])
        _num(ws, row, 13, r["driver"], money)
        _num(ws, row, 14, r["intensity"], money)
        _num(ws, row, 15, r["_p10"], money)
        _num(ws, row, 16, r["_p90"], money)
        _num(ws, row, 17, r["percentile"], qty)
        ws.write_formula(
            row, 18,
            f'=IF(C{n}<>"ok","",IF(F{n}<P{n}-0.005,"below",IF(F{n}>Q{n}+0.005,"above","within")))',
            None, r["band"] or "",
        )  # fmt: skip
        ws.write_formula(row, 19, f"=ABS(J{n})>=MAX($B$1*ABS(D{n}),$D$1)", None, r["material"])
        ws.write_formula(
            row, 20,
            f'=IF(C{n}="no_actuals",FALSE,IF(C{n}="unbudgeted",T{n},'
            f'AND(T{n},OR(S{n}="below",S{n}="above"))))',
            None, r["investigate"],
        )  # fmt: skip
    last = r0 + len(review["lines"])  # the spreadsheet row of the last line
    t = review["total"]
    ws.write(last, 0, "total", bold)
    for col, key in ((3, "baseline"), (5, "actual"), (9, "variance"), (10, "volume"),
                     (11, "price"), (12, "unexplained")):  # fmt: skip
        letter = "ABCDEFGHIJKLM"[col]
        ws.write_formula(last, col, f"=SUM({letter}3:{letter}{last})", money, t[key])
    ws.set_column(0, 0, 26)
    ws.set_column(1, 2, 13)
    ws.set_column(3, 20, 14)
    ws.freeze_panes(2, 1)

    cs = wb.add_worksheet("Categories")
    cs.write_row(0, 0, ["category", "baseline", "actual", "variance", "volume", "price",
                        "unexplained", "P10", "P90", "percentile", "band", "material",
                        "investigate"], bold)  # fmt: skip
    rows = [*review["categories"], {"category": "total", **review["total"]}]
    for i, c in enumerate(rows, start=1):
        cs.write_row(i, 0, [c["category"], c["baseline"], c["actual"], c["variance"],
                            c["volume"], c["price"], c["unexplained"], c.get("_p10") or "",
                            c.get("_p90") or "", c["percentile"] if c["percentile"] is not None
                            else "", c["band"] or "", c["material"], c["investigate"]])  # fmt: skip
    ob = review["outside_band"]
    cs.write_row(len(rows) + 2, 0, ["lines outside their band", ob["lines"], "of", ob["of"],
                                    "expected share", ob["expected_share"]])  # fmt: skip
    cs.set_column(0, 0, 24)
    cs.set_column(1, 12, 14)

    rs = wb.add_worksheet("Reforecast")
    rf = review["reforecast"]
    rs.write_row(0, 0, ["fiscal year", rf["fiscal_year"]])
    rs.write_row(1, 0, ["usage after the period", rf.get("_usage", "")])
    rs.write_row(2, 0, ["month", "amount", "source"], bold)
    om = review.get("_outlook_monthly", [])
    for i, o in enumerate(om, start=3):
        rs.write_row(i, 0, [o["month"], o["amount"], o["source"]])
    first, end = 4, 3 + len(om)  # spreadsheet rows of the months
    k = 3 + len(om)
    rs.write(k, 0, "outlook", bold)
    rs.write_formula(k, 1, f"=SUM(B{first}:B{end})", money, rf["outlook"])
    rs.write_row(k + 1, 0, ["baseline (same months)", rf["baseline"]])
    rs.write(k + 2, 0, "outlook - baseline")
    rs.write_formula(k + 2, 1, f"=B{k + 1}-B{k + 2}", money, rf["outlook"] - rf["baseline"])
    rs.write_row(k + 3, 0, ["P10", rf["p10"]])
    rs.write_row(k + 4, 0, ["P90", rf["p90"]])
    rs.set_column(0, 0, 26)
    rs.set_column(1, 2, 16)

    ds = wb.add_worksheet("DataQuality")
    ds.write_row(0, 0, ["what", "amount", "rows"], bold)
    um = review["unmapped"]
    out = [["unmapped (all services)", um["amount"], um["rows"]]]
    out += [[f"  unmapped: {s}", v["amount"], v["rows"]] for s, v in um["by_service"].items()]
    out += [[k, v["amount"], v["rows"]] for k, v in review.get("charges", {}).items()]
    co = review["corrections"]
    out.append(["corrections (counted in their lines)", co["amount"], co["rows"]])
    for i, row in enumerate(out, start=1):
        ds.write_row(i, 0, row)
    ds.set_column(0, 0, 40)


def _num(ws: Any, row: int, col: int, v: float | None, fmt: Any) -> None:
    if v is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, float(v), fmt)


def _q(r: dict[str, Any], which: str) -> float | None:
    v = r.get("_" + which)
    return None if v is None else float(v)
