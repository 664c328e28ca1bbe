"""The engine: a scenario to monthly arrays of shape ``(draws, months)``, then metrics.

A deterministic run is one draw at point values; a Monte Carlo run samples every
*(u)* field from its own random stream (keyed by the seed and the field's path) and
runs the same code on chunks of draws, keeping only what the summaries need (monthly
cost and net, per-draw metrics).

``params`` (the fields, their samples, the cost lines), ``simulation`` (the model on a
set of parameters), ``metrics`` (per draw), ``montecarlo`` (the one chunked loop),
``runs`` (:func:`run`: a scenario to its Result) and ``paths`` (:func:`cost_paths`, what
a portfolio sums).
"""

from __future__ import annotations

from aiopex.engine.metrics import commitment_metrics, metrics_per_draw
from aiopex.engine.montecarlo import (
    CHUNK,
    KEEP_DRAWS,
    Chunk,
    keep_indexes,
    monte_carlo,
    simulate_chunks,
)
from aiopex.engine.params import (
    HISTORY_STREAM,
    Streams,
    _history,
    _point_params,
    _sampled_params,
    fresh_seed,
    line_specs,
    uncertain_fields,
)
from aiopex.engine.paths import LINE_PERCENTILES, CostPaths, cost_paths
from aiopex.engine.runs import run
from aiopex.engine.simulation import LineArrays, Params, Simulation, simulate

__all__ = [
    "CHUNK",
    "HISTORY_STREAM",
    "KEEP_DRAWS",
    "LINE_PERCENTILES",
    "Chunk",
    "CostPaths",
    "LineArrays",
    "Params",
    "Simulation",
    "Streams",
    "_history",
    "_point_params",
    "_sampled_params",
    "commitment_metrics",
    "cost_paths",
    "fresh_seed",
    "keep_indexes",
    "line_specs",
    "metrics_per_draw",
    "monte_carlo",
    "run",
    "simulate",
    "simulate_chunks",
    "uncertain_fields",
]
