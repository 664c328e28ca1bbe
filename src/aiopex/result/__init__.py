"""What a run returns, and where it is kept.

- :mod:`aiopex.result.result`: :class:`Result` (and :class:`Draws`, :func:`summarize`).
- :mod:`aiopex.result.saved`: writing a result to a folder (``Result.save``).
- :mod:`aiopex.result.load`: reading it back (:func:`load_result`).
- :mod:`aiopex.result.baselines`: approved baselines, saved results that never change.
"""

from __future__ import annotations

from aiopex.result.load import load_result
from aiopex.result.result import STAT_COLUMNS, Draws, Result, jsonable, summarize

__all__ = ["STAT_COLUMNS", "Draws", "Result", "jsonable", "load_result", "summarize"]
