"""The ``Readiness`` sheet: the six questions, their answers and what the numbers say."""

from __future__ import annotations

from typing import Any

from aiopex.outputs.excel.layout import Sheet
from aiopex.outputs.excel.source import Source

NAME = "Readiness"


def write(wb: Any, fmt: Any, src: Source) -> None:
    rd = src.readiness or {}
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    answered, total = rd.get("answered"), rd.get("total")
    sh.text(0, 0, "Readiness: the questions a pilot never answers", "text+title")
    sh.text(1, 0, "answered")
    sh.value(1, 1, answered, "index+left")
    sh.text(1, 2, f"of {total}" if total is not None else "")
    r = 3
    sh.header(r, ["question", "label", "answered", "answer", "what the numbers say"])
    for it in rd.get("items") or []:
        r += 1
        sh.text(r, 0, it.get("question", ""), "text+wrap")
        sh.text(r, 1, it.get("label", ""), "text+wrap")
        sh.text(r, 2, "yes" if it.get("answered") else "NO", "text+wrap")
        sh.text(r, 3, it.get("answer") or "", "text+wrap")
        ev = it.get("evidence") or []
        sh.text(r, 4, "\n".join(str(e) for e in ev), "text+wrap")
    warnings = rd.get("warnings") or []
    if warnings:
        r += 2
        sh.text(r, 0, "warnings", "text+bold")
        for w in warnings:
            r += 1
            sh.text(r, 0, w)
    sh.widths({0: 20, 1: 30, 2: 10, 3: 60, 4: 60})
    sh.ws.freeze_panes(4, 0)
    sh.print_setup(repeat_rows=3)
