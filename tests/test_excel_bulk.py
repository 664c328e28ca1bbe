"""outputs.excel.bulk: a block of rows written in one go gives the very file that
writing its cells one by one gives."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiopex.outputs.excel import bulk
from aiopex.outputs.excel.bulk import BulkSheet


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _both(tmp_path: Path, fill: Callable[[Any], None]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    import xlsxwriter

    out = []
    for enabled in (False, True):
        bulk.ENABLED = enabled
        try:
            path = tmp_path / f"{enabled}.xlsx"
            wb = xlsxwriter.Workbook(str(path))
            wb.set_properties({"created": None})
            fill(wb)
            wb.close()
        finally:
            bulk.ENABLED = True
        out.append(_parts(path))
    return out[0], out[1]


TEXTS = [[f"member {i // 7}" for i in range(40)], [f"line {i % 7}" for i in range(40)]]
NUMBERS = [[i * 1.1 for i in range(40)], [1 / (i + 3) for i in range(40)], [-1e20] * 40]


@pytest.mark.parametrize("first", [1, 3, 16, 17])
def test_a_block_is_written_as_its_cells(tmp_path: Path, first: int) -> None:
    def fill(wb: Any) -> None:
        money = wb.add_format({"num_format": "#,##0.00"})
        head = wb.add_format({"bold": True})
        ws = wb.add_worksheet("Lines", worksheet_class=BulkSheet)
        other = wb.add_worksheet("Other")
        other.write_string(0, 0, "member 1")  # a shared string used on another sheet
        for r in range(first):
            ws.write_row(r, 0, ["a", "b"][: 1 + r % 2], head)
        ws.write_block(first, TEXTS, NUMBERS, money)
        ws.autofilter(0, 0, first + 39, 4)
        ws.freeze_panes(1, 0)

    slow, fast = _both(tmp_path, fill)
    assert slow == fast


@pytest.mark.parametrize(
    "extra",
    [
        lambda ws, f: ws.write_string(5, 1, "inside the block"),
        lambda ws, f: ws.write_string(60, 0, "below the block"),
        lambda ws, f: ws.set_row(4, 30),
        lambda ws, f: ws.set_column(2, 2, 12, f),
        lambda ws, f: ws.write_string(0, 7, "wider than the block"),
        lambda ws, f: ws.write_comment(3, 0, "a note"),
    ],
)
def test_what_the_fast_path_does_not_cover_is_written_cell_by_cell(
    tmp_path: Path, extra: Callable[[Any, Any], None]
) -> None:
    def fill(wb: Any) -> None:
        money = wb.add_format({"num_format": "#,##0.00"})
        ws = wb.add_worksheet("Lines", worksheet_class=BulkSheet)
        ws.write_row(0, 0, ["member", "line", "a", "b", "c"])
        ws.write_block(1, TEXTS, NUMBERS, money)
        extra(ws, money)

    slow, fast = _both(tmp_path, fill)
    assert slow == fast


def test_the_portfolio_workbook_is_the_same_file(tmp_path: Path) -> None:
    from aiopex.analyses.portfolio import load_portfolio, run_portfolio_views
    from aiopex.outputs.portfolio_excel import write_portfolio_workbook

    root = Path(__file__).resolve().parents[1]
    pf = load_portfolio(root / "data" / "portfolios" / "ai_portfolio.yaml")
    result, independent = run_portfolio_views(pf, 200, 7, "inline")
    assert len(result.lines) > 100
    got = []
    for enabled in (False, True):
        bulk.ENABLED = enabled
        try:
            path = write_portfolio_workbook(result, independent, tmp_path / f"{enabled}.xlsx")
        finally:
            bulk.ENABLED = True
        got.append(_parts(path))
    assert got[0] == got[1]


def test_a_cell_written_before_the_block_is_overwritten_as_by_cells(tmp_path: Path) -> None:
    def fill(wb: Any) -> None:
        ws = wb.add_worksheet("Lines", worksheet_class=BulkSheet)
        ws.write_string(2, 3, "before")
        ws.write_block(1, TEXTS, NUMBERS, None)

    slow, fast = _both(tmp_path, fill)
    assert slow == fast


def test_columns_of_different_lengths_are_refused() -> None:
    ws = BulkSheet()
    with pytest.raises(ValueError, match="same length"):
        ws.write_block(1, [["a", "b"]], [[1.0]], None)
