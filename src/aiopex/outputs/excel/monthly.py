"""What every monthly sheet shares: the linked time axis, column widths and print setup."""

from __future__ import annotations

from typing import Any

from aiopex.outputs.excel.layout import C0, HEAD_ROW, INDEX_ROW, LABEL_ROW, Grid, Sheet

DRIVERS = "Drivers"

#: Width of a month column and of the label columns A-D, in characters.
MONTH_WIDTH = 11
LABEL_WIDTHS: dict[int, float] = {0: 28, 1: 18, 2: 20, 3: 13}


def time_axis(sh: Sheet, grid: Grid, title: str, dates_serial: list[float]) -> None:
    """Rows 1-2 linked to the one time axis on ``Drivers``: month dates and indexes."""
    sh.text(LABEL_ROW, 0, title, "text+title")
    sh.text(INDEX_ROW, 0, "m (month index)")
    for m in range(grid.H):
        col = C0 + m
        sh.formula(
            LABEL_ROW, col, f"={grid.cell(m, LABEL_ROW, DRIVERS)}", dates_serial[m], "month+bold"
        )
        sh.formula(INDEX_ROW, col, f"={grid.cell(m, INDEX_ROW, DRIVERS)}", m, "index+bold")


def finish(sh: Sheet, grid: Grid, label_widths: dict[int, float] | None = None) -> None:
    """Widths, frozen panes, and print setup of a monthly sheet (:func:`print_months`)."""
    sh.widths(label_widths or LABEL_WIDTHS)
    sh.ws.set_column(C0, C0 + grid.H - 1, MONTH_WIDTH)
    sh.ws.freeze_panes(HEAD_ROW + 1, C0)
    print_months(sh, grid, label_widths or LABEL_WIDTHS)


def print_months(
    sh: Sheet,
    grid: Grid,
    label_widths: dict[int, float],
    head: int = HEAD_ROW,
    month_width: float = MONTH_WIDTH,
) -> None:
    """Print landscape, twelve months to a page across, with the row labels (columns
    A-D) and the rows down to ``head`` repeated on every page."""
    sh.print_setup(repeat_rows=head, repeat_cols=C0 - 1)
    ws = sh.ws
    breaks = [C0 + m for m in range(12, grid.H, 12)]
    year_pages(ws, breaks)


def year_pages(ws: Any, breaks: list[int]) -> None:
    """Print a page per year across: a page break before each year's first column, and the
    sheet fitted to as many pages wide as there are years, so the spreadsheet program
    scales it with the fonts it has (a fixed print scale split each year 11 + 1 months
    where no Calibri-metric font was installed)."""
    if breaks:
        ws.set_v_pagebreaks(breaks)
    ws.fit_to_pages(len(breaks) + 1, 0)
