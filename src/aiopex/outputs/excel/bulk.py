"""A worksheet whose long table of plain values is written in one go: the same file as
cell by cell, at a fraction of the cost.

XlsxWriter keeps every cell as an object and writes each one's XML on its own: for the
portfolio's ``Lines`` sheet (200 members: 53,000 rows, 480,000 cells) that is most of
the workbook's 3.4 s. :class:`BulkSheet` takes such a block (text columns, then number
columns in one format) as columns, registers its texts in the workbook's shared strings
in the order cell writes would, and writes the block's rows as XlsxWriter writes them
(``<row r=.. spans=..>``, ``<c r=.. t="s">`` for a text, ``<c r=.. s=..>`` with
``%.16G`` for a number): the workbook's parts are byte for byte those of the cell-by-cell
writes (tests/test_portfolio_outputs.py compares them). Anything the fast path does not
cover (a row or column format under the block, a cell written inside it, more rows than
a sheet holds) falls back to writing the cells one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

#: Off switch for the fast path (the tests compare both ways' files).
ENABLED = True


class BulkSheet(Worksheet):
    """An XlsxWriter worksheet with :meth:`write_block`; use it through
    ``workbook.add_worksheet(name, worksheet_class=BulkSheet)``."""

    def __init__(self) -> None:
        super().__init__()
        self._block: tuple[int, list[list[str]], list[list[float]], Any] | None = None

    def write_block(
        self,
        first_row: int,
        texts: Sequence[Sequence[str]],
        numbers: Sequence[Sequence[float]],
        number_format: Any,
    ) -> None:
        """Rows from ``first_row`` on: in each, the text columns ``texts`` (no format),
        then the number columns ``numbers`` in ``number_format``; as writing each cell
        with ``write_string`` and ``write_number``, row by row."""
        cols = [list(c) for c in texts]
        nums = [[float(v) for v in c] for c in numbers]
        n = len(cols[0]) if cols else len(nums[0]) if nums else 0
        if any(k != n for k in [len(c) for c in cols] + [len(c) for c in nums]):
            raise ValueError("every column of a block has the same length")
        last = first_row + n - 1
        written = any(self.table.get(r) for r in range(first_row, first_row + n))
        if (
            not ENABLED
            or n == 0
            or not cols
            or last >= self.xls_rowmax
            or self.constant_memory
            or written
        ):
            self._cell_by_cell(first_row, cols, nums, number_format)
            return
        # the shared strings in the order cell writes would add them: row by row
        index = self.str_table._get_shared_string_index
        ids = [[0] * n for _ in cols]
        for i in range(n):
            for j, c in enumerate(cols):
                ids[j][i] = index(c[i])
        self._check_dimensions(first_row, 0)
        self._check_dimensions(last, len(cols) + len(nums) - 1)
        self._block = (first_row, [[str(x) for x in c] for c in ids], nums, number_format)

    def _cell_by_cell(
        self, first_row: int, cols: list[list[str]], nums: list[list[float]], fmt: Any
    ) -> None:
        n = len(cols[0]) if cols else len(nums[0]) if nums else 0
        for i in range(n):
            for j, text in enumerate(cols):
                self.write_string(first_row + i, j, text[i])
            for j, num in enumerate(nums):
                self.write_number(first_row + i, len(cols) + j, num[i], fmt)

    def _write_rows(self) -> None:
        if self._block is None:
            super()._write_rows()
            return
        first, ids, nums, fmt = self._block
        self._block = None
        n = len(ids[0])
        width = len(ids) + len(nums)
        rows = range(first, first + n)
        covered = (
            any(r >= first and cells for r, cells in self.table.items())
            or any(r in self.row_info or r in self.comments for r in rows)
            or any(c in self.col_info and self.col_info[c].column_format for c in range(width))
            or self.dim_colmin != 0
            or self.dim_colmax != width - 1
        )
        if covered:  # the general path: the block's cells as cells
            self._cells_from_block(first, ids, nums, fmt)
            super()._write_rows()
            return
        # the spans of the 16-row groups: a group with a block row spans every column
        # (a block row has a cell in each), the others as XlsxWriter computes them
        self._calculate_spans()
        full = f"{self.dim_colmin + 1}:{self.dim_colmax + 1}"
        for group in range(first // 16, (first + n - 1) // 16 + 1):
            self.row_spans[group] = full
        spans = self.row_spans
        last: int = getattr(self, "dim_rowmax")  # noqa: B009 - untyped in XlsxWriter
        if first > self.dim_rowmin:  # the rows above the block, by XlsxWriter
            setattr(self, "dim_rowmax", first - 1)  # noqa: B010
            # with the spans above, not its own (it would leave the block's rows out)
            setattr(self, "_calculate_spans", lambda: setattr(self, "row_spans", spans))  # noqa: B010
            try:
                super()._write_rows()
            finally:
                delattr(self, "_calculate_spans")
                setattr(self, "dim_rowmax", last)  # noqa: B010
        s_attr = f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
        letters = [xl_col_to_name(c) for c in range(width)]
        t_parts = list(enumerate(letters[: len(ids)]))
        n_parts = list(enumerate(letters[len(ids) :]))
        write = self.fh.write
        for i, r in enumerate(rows):
            self._write_row(r, spans.get(r // 16))
            ref = r + 1
            out = [f'<c r="{x}{ref}" t="s"><v>{ids[j][i]}</v></c>' for j, x in t_parts]
            out += [f'<c r="{x}{ref}"{s_attr}><v>{nums[j][i]:.16G}</v></c>' for j, x in n_parts]
            out.append("</row>")
            write("".join(out))

    def _cells_from_block(
        self, first: int, ids: list[list[str]], nums: list[list[float]], fmt: Any
    ) -> None:
        from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple

        for i in range(len(ids[0])):  # a cell written after the block stays
            row = self.table[first + i]
            for j, text in enumerate(ids):
                row.setdefault(j, CellStringTuple(int(text[i]), None))
            for j, num in enumerate(nums):
                row.setdefault(len(ids) + j, CellNumberTuple(num[i], fmt))
