"""aiopex: what an AI system costs to run in production, and what it is worth.

The public API:

- :func:`load_scenario` reads and validates a scenario file (docs/scenario.md),
  resolving ``extends`` and dotted overrides.
- :func:`run` computes the monthly forecast, the metrics, the pilot exposure,
  the readiness report and, with ``draws > 1``, Monte Carlo ranges: a
  :class:`Result`, which ``Result.save(path)`` writes to a folder.
- :func:`load_result` reads a saved result back.
- :func:`commitments` prices commitment levels against a scenario's (or a
  portfolio's) Monte Carlo draws: a :class:`CommitmentPlan`.
- :func:`portfolio` runs a portfolio file's members and sums their draws by month:
  a :class:`PortfolioRun`; nothing is written.
- :func:`review` reviews a baseline's actuals for a period: a :class:`Review`;
  nothing is written.
- :func:`sensitivity` returns what moves a metric (the tornado) as a
  :class:`Sensitivity` value; nothing is written.

The names are imported on first use (``aiopex.run`` loads numpy and the engine then;
pandas comes with the first table a result builds), so ``aiopex --help`` starts without
them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.portfolio import PortfolioRun, portfolio
    from aiopex.analyses.review import Review, review
    from aiopex.analyses.sensitivity import Sensitivity, sensitivity
    from aiopex.engine import run
    from aiopex.errors import AiopexError, DataError, Problem, ScenarioError
    from aiopex.inputs.scenario import Scenario, load_scenario
    from aiopex.result import Result, load_result
    from aiopex.result.baselines import load_baseline
    from aiopex.version import __version__

#: Each public name and the module that defines it.
_HOMES = {
    "AiopexError": "aiopex.errors",
    "CommitmentPlan": "aiopex.analyses.commitments",
    "DataError": "aiopex.errors",
    "Problem": "aiopex.errors",
    "Result": "aiopex.result",
    "Scenario": "aiopex.inputs.scenario",
    "ScenarioError": "aiopex.errors",
    "load_baseline": "aiopex.result.baselines",
    "load_result": "aiopex.result",
    "load_scenario": "aiopex.inputs.scenario",
    "run": "aiopex.engine",
    "sensitivity": "aiopex.analyses.sensitivity",
    "portfolio": "aiopex.analyses.portfolio",
    "review": "aiopex.analyses.review",
    "Review": "aiopex.analyses.review",
    "PortfolioRun": "aiopex.analyses.portfolio",
    "Sensitivity": "aiopex.analyses.sensitivity",
    "__version__": "aiopex.version",
    "commitments": "aiopex.analyses.commitments",
}

__all__ = [
    "AiopexError",
    "CommitmentPlan",
    "DataError",
    "PortfolioRun",
    "Problem",
    "Result",
    "Review",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "__version__",
    "commitments",
    "load_baseline",
    "load_result",
    "load_scenario",
    "portfolio",
    "review",
    "run",
    "sensitivity",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'aiopex' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
