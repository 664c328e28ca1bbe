"""The review workbook: the line variance with live formulas, the band, the re-forecast
and the data-quality counts.

Sheet ``Lines`` holds, per line, the inputs of REVIEW.md's split as values
(``B``, ``Qb``, ``A``, ``Qa``, the band's P10 and P90 from the baseline's draws) and
everything else as formulas on them: ``pb = B/Qb``, ``pa = A/Qa``,
``variance = A-B``, ``volume = (Qa-Qb)*pb``, ``price = (pa-pb)*Qa`` (both 0 where a
quantity or ``pb`` is missing or zero), ``unexplained = variance-volume-price``,
the band and the materiality test. Change an actual and the split moves.
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
    """Write the review workbook atomically (openpyxl; formulas without cached values)."""
    import openpyxl
    from openpyxl.styles import Font

    from aiopex.atomic import atomic_path

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lines"
    share, amount = review["_materiality"]["share"], review["_materiality"]["amount"]
    ws.append(["materiality share", share, "materiality amount", amount, "currency",
               review["currency"], "period", review["period"]])  # fmt: skip
    ws.append(list(LINE_HEADERS))
    for c in ws[2]:
        c.font = Font(bold=True)
    for r in review["lines"]:
        n = ws.max_row + 1
        ok = f"AND(ISNUMBER(E{n}),ISNUMBER(G{n}),E{n}<>0,G{n}<>0,D{n}<>0)"
        ws.append(
            [
                r["line"], r["category"], r["status"], r["baseline"], _q(r, "Qb"), r["actual"],
                _q(r, "Qa"),
                f'=IF(AND(ISNUMBER(E{n}),E{n}<>0),D{n}/E{n},"")',
                f'=IF(AND(ISNUMBER(G{n}),G{n}<>0),F{n}/G{n},"")',
                f"=F{n}-D{n}",
                f"=IF({ok},(G{n}-E{n})*H{n},0)",
                f"=IF({ok},(I{n}-H{n})*G{n},0)",
                f"=J{n}-K{n}-L{n}",
                r["driver"], r["intensity"], r["_p10"], r["_p90"], r["percentile"],
                f'=IF(C{n}<>"ok","",IF(F{n}<P{n},"below",IF(F{n}>Q{n},"above","within")))',
                f"=ABS(J{n})>=MAX($B$1*ABS(D{n}),$D$1)",
                f'=IF(C{n}="no_actuals",FALSE,IF(C{n}="unbudgeted",T{n},'
                f'AND(T{n},OR(S{n}="below",S{n}="above"))))',
            ]
        )  # fmt: skip
    last = ws.max_row
    ws.append(["total", "", "", f"=SUM(D3:D{last})", "", f"=SUM(F3:F{last})", "", "", "",
               f"=SUM(J3:J{last})", f"=SUM(K3:K{last})", f"=SUM(L3:L{last})",
               f"=SUM(M3:M{last})"])  # fmt: skip
    for col, w in zip("ABCDEFGHIJKLMNOPQRSTU", (24, 16, 12) + (14,) * 18, strict=True):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "B3"

    cs = wb.create_sheet("Categories")
    cs.append(["category", "baseline", "actual", "variance", "volume", "price", "unexplained",
               "P10", "P90", "percentile", "band", "material", "investigate"])  # fmt: skip
    for c in [*review["categories"], {"category": "total", **review["total"]}]:
        cs.append([c["category"], c["baseline"], c["actual"], c["variance"], c["volume"],
                   c["price"], c["unexplained"], c.get("_p10"), c.get("_p90"), c["percentile"],
                   c["band"], c["material"], c["investigate"]])  # fmt: skip
    ob = review["outside_band"]
    cs.append([])
    cs.append(["lines outside their band", ob["lines"], "of", ob["of"], "expected share",
               ob["expected_share"]])  # fmt: skip

    rs = wb.create_sheet("Reforecast")
    rf = review["reforecast"]
    rs.append(["fiscal year", rf["fiscal_year"]])
    rs.append(["usage after the period", rf.get("_usage", "")])
    rs.append(["month", "amount", "source"])
    first = rs.max_row + 1
    for o in review.get("_outlook_monthly", []):
        rs.append([o["month"], o["amount"], o["source"]])
    end = rs.max_row
    rs.append(["outlook", f"=SUM(B{first}:B{end})"])
    rs.append(["baseline (same months)", rf["baseline"]])
    rs.append(["outlook - baseline", f"=B{end + 1}-B{end + 2}"])
    rs.append(["P10", rf["p10"]])
    rs.append(["P90", rf["p90"]])

    ds = wb.create_sheet("DataQuality")
    ds.append(["what", "amount", "rows"])
    um = review["unmapped"]
    ds.append(["unmapped (all services)", um["amount"], um["rows"]])
    for s, v in um["by_service"].items():
        ds.append([f"  unmapped: {s}", v["amount"], v["rows"]])
    for k, v in review.get("charges", {}).items():
        ds.append([k, v["amount"], v["rows"]])
    co = review["corrections"]
    ds.append(["corrections (counted in their lines)", co["amount"], co["rows"]])
    ds.column_dimensions["A"].width = 40
    target = Path(path)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _q(r: dict[str, Any], which: str) -> float | None:
    v = r.get("_" + which)
    return None if v is None else float(v)
