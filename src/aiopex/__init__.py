"""aiopex: what an AI system costs to run in production, and what it is worth.

The public API:

- :func:`load_scenario` reads and validates a scenario file (SCENARIO.md),
  resolving ``extends`` and dotted overrides.
- :func:`run` computes the monthly forecast, the metrics, the pilot exposure,
  the readiness report and, with ``draws > 1``, Monte Carlo ranges: a
  :class:`Result`, which ``Result.save(path)`` writes to a folder.
- :func:`load_result` reads a saved result back.
"""

from __future__ import annotations

from aiopex.baseline import load_baseline
from aiopex.engine import run
from aiopex.errors import AiopexError, DataError, Problem, ScenarioError
from aiopex.inputs.scenario import Scenario, load_scenario
from aiopex.result import Result
from aiopex.saved import load_result
from aiopex.version import __version__

__all__ = [
    "AiopexError",
    "DataError",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_baseline",
    "load_result",
    "load_scenario",
    "run",
]
