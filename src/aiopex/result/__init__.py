"""What a run returns, and where it is kept.

- :mod:`aiopex.result.result`: :class:`Result` (and :class:`Draws`, :func:`summarize`).
- :mod:`aiopex.result.saved`: writing a result to a folder (``Result.save``).
- :mod:`aiopex.result.load`: reading it back (:func:`load_result`).
- :mod:`aiopex.result.baselines`: approved baselines, saved results that never change.
"""

from __future__ import annotations

from aiopex.result.load import load_result as load_result

# every public name of aiopex.result.result (Result, Draws, summarize, jsonable, ...) is
# importable from aiopex.result, where the rest of the package imports it from
from aiopex.result.result import *  # noqa: F403
