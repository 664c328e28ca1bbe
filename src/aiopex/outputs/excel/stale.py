"""The flag of a sheet that does not recalculate: does ``Inputs`` still say what the run used?

``Uncertainty``, ``Sensitivity`` and the engine's rows of ``Drivers`` are values from the
aiopex run, not formulas: editing an input on ``Inputs`` moves every formula but not
them. Each says so at its top, beside a live flag::

    =IF(SUMPRODUCT(--(inputs_now<>inputs_as_run))>0, "STALE: ...", "current: ...")

``Inputs`` column F keeps the value the run used (a value, never edited); the flag
turns red as soon as one input differs from it. ``Drivers`` only depends on the inputs
the formulas do not read (column D is not ``live``): a changed price leaves it current,
a changed population does not.
"""

from __future__ import annotations

from typing import Any

from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import Sheet

#: The flag's texts; the red ones start with ``STALE``.
STALE = "STALE: an input differs from this run's; run aiopex again"
STALE_ENGINE = "STALE: a usage or quality input changed; run aiopex again"
CURRENT = "current: Inputs hold this run's values"


def flag_formula(engine_only: bool = False) -> str:
    """The flag's formula: inputs whose value differs from the run's (only those the
    formulas do not read when ``engine_only``), on the named ranges of ``Inputs``
    (``inputs_now``: column B, ``inputs_as_run``: F, ``inputs_in_formulas``: D)."""
    if engine_only:
        changed = 'SUMPRODUCT((inputs_in_formulas<>"live")*(inputs_now<>inputs_as_run))'
        stale = STALE_ENGINE
    else:
        changed = "SUMPRODUCT(--(inputs_now<>inputs_as_run))"
        stale = STALE
    return f'=IF({changed}>0,"{stale}","{CURRENT}")'


def write_flag(
    wb: Any, sh: Sheet, row: int, col: int, inputs: InputRefs, engine_only: bool = False
) -> None:
    """The flag in ``(row, col)``: green text while current, white on red once stale."""
    sh.formula(row, col, flag_formula(engine_only), CURRENT, "text+bold")
    red = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000"})
    sh.ws.conditional_format(
        row,
        col,
        row,
        col,
        {"type": "text", "criteria": "begins with", "value": "STALE", "format": red},
    )
