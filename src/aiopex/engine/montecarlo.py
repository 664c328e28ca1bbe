"""The one chunked Monte Carlo loop (:func:`simulate_chunks`) and the Monte Carlo run
of a scenario's summaries (:func:`monte_carlo`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.engine.metrics import _flat_metrics, metrics_per_draw
from aiopex.engine.params import HISTORY_STREAM, _sampled_params
from aiopex.engine.simulation import Simulation, simulate
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import stream
from aiopex.model import costs as _costs
from aiopex.model.costs import LineSpec
from aiopex.model.percentiles import percentiles
from aiopex.names import PERCENTILES
from aiopex.result import STAT_COLUMNS, Draws, summarize_rows

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Draws simulated at once in a Monte Carlo run (bounds peak memory).
CHUNK = 2048

#: Draws whose per-line monthly amounts a Monte Carlo run keeps (``Result.draws``).
KEEP_DRAWS = 2000


def keep_indexes(draws: int, keep_draws: int, seed: int) -> np.ndarray:
    """The draws whose cost lines a Monte Carlo run keeps, sorted.

    All draws when ``draws <= keep_draws``; else ``keep_draws`` of them chosen
    without replacement by a generator of their own (seeded by ``seed``), before
    any draw is run, so chunking does not change which are kept.
    """
    if draws <= keep_draws:
        return np.arange(draws)
    rng = np.random.default_rng([seed, 0x6B656570])  # its own stream: "keep"
    return np.sort(rng.choice(draws, size=keep_draws, replace=False))


@dataclass(frozen=True)
class Chunk:
    """Draws ``lo`` to ``hi`` (excluded) of a run: their parameters and what
    :func:`simulate` made of them."""

    lo: int
    hi: int
    params: dict[str, np.ndarray]
    sim: Simulation


def simulate_chunks(
    scenario: Scenario,
    lines: list[LineSpec],
    params: dict[str, np.ndarray],
    draws: int,
    hist: tuple[Any, Any] | None = None,
    hist_requests: np.ndarray | None = None,
    chunk: int | None = None,
    keep_lines: Callable[[int, int], bool] | bool = True,
) -> Iterator[Chunk]:
    """The one chunked Monte Carlo loop: :func:`simulate` on ``chunk`` draws at a time
    (:data:`CHUNK` by default), which bounds peak memory.

    ``params`` holds every field's ``(draws, 1)`` values (or ``(1, 1)`` for a constant,
    broadcast to every draw), all drawn up front, so the chunk size changes no number;
    ``hist_requests`` the history forecast's ``(draws, months)`` paths. ``keep_lines``
    says whether a chunk keeps its lines' arrays, or for which ``(lo, hi)`` it does.
    """
    chunk = chunk or CHUNK
    for lo in range(0, draws, chunk):
        hi = min(lo + chunk, draws)
        pc = {k: v[lo:hi] if v.shape[0] > 1 else v for k, v in params.items()}
        keep = keep_lines(lo, hi) if callable(keep_lines) else keep_lines
        hr = hist_requests[lo:hi] if hist_requests is not None else None
        yield Chunk(lo, hi, pc, simulate(scenario, lines, pc, hi - lo, hist, hr, keep_lines=keep))


def monte_carlo(
    scenario: Scenario,
    lines: list[LineSpec],
    draws: int,
    seed: int,
    hist: tuple[Any, Any] | None = None,
    chunk: int | None = None,
    keep_draws: int = KEEP_DRAWS,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame, Draws]:
    """Sample every *(u)* field ``draws`` times and summarize the metrics.

    Each *(u)* field draws from its own stream keyed by the seed and its dotted path
    (:func:`aiopex.inputs.uncertain.stream`), the history forecast's paths from the
    stream of ``usage.history``; all are drawn up front, so chunking does not change
    them, and adding or changing one field's range leaves the other fields' draws as
    they were. The draws whose lines are kept are chosen up front too
    (:func:`keep_indexes`).

    Returns
    -------
    uncertainty : DataFrame
        Index ``metric``; ``mean``, ``p5`` .. ``p95``, ``defined_share``
        (:func:`aiopex.result.summarize`).
    probabilities : dict
        ``prob_npv_negative`` = share of draws with NPV < 0; ``prob_no_payback`` =
        share of draws whose payback is not within the horizon.
    monthly : DataFrame
        Index ``m``; ``cost_p5`` .. ``net_p95``: percentiles over all draws, per month.
    draws : Draws
    """
    import pandas as pd

    p = _sampled_params(scenario, draws, seed)
    hist_req = hist[0].sample(draws, stream(seed, HISTORY_STREAM)) if hist is not None else None
    H = scenario.horizon
    kept = keep_indexes(draws, keep_draws, seed)
    n_lines = len(lines)
    kept_amount = np.zeros((kept.size, n_lines, H))
    kept_quantity = np.zeros((kept.size, n_lines, H))
    kept_requests = np.zeros((kept.size, H))
    windows = [_costs.window(ln, H) for ln in lines]
    cost_all = np.empty((draws, H))
    net_all = np.empty((draws, H))
    per_chunks: list[dict[str, np.ndarray]] = []

    def keeps(lo: int, hi: int) -> bool:
        a, b = np.searchsorted(kept, [lo, hi])
        return bool(b > a)

    for c in simulate_chunks(scenario, lines, p, draws, hist, hist_req, chunk, keeps):
        lo, hi, pc, sim = c.lo, c.hi, c.params, c.sim
        a, b = np.searchsorted(kept, [lo, hi])
        cost_all[lo:hi] = sim.cost
        net_all[lo:hi] = sim.net
        if b > a:
            rows: Any = kept[a:b] - lo
            if rows.size == hi - lo:  # every draw of the chunk is kept: no gather
                rows = slice(None)
            kept_requests[a:b] = sim.requests[rows]
            for i, ln in enumerate(lines):
                qty, _, amt = sim.line(ln.name)
                kept_amount[a:b, i] = amt[rows]
                kept_quantity[a:b, i] = qty[rows] * windows[i]
        per_chunks.append(_flat_metrics(metrics_per_draw(sim, pc["finance.discount_rate"])))
    names = list(per_chunks[0])
    # one (metrics, draws) matrix: each metric's draws contiguous, for the summaries
    per_matrix = np.empty((len(names), draws))
    for j, name in enumerate(names):
        np.concatenate([c[name] for c in per_chunks], out=per_matrix[j])
    per_draw = pd.DataFrame(per_matrix.T, columns=names)
    per_draw.index.name = "draw"
    unc = pd.DataFrame(
        summarize_rows([n.split(".")[0] for n in names], per_matrix),
        index=pd.Index(names, name="metric"),
        columns=list(STAT_COLUMNS),
    )
    npv, payback = per_matrix[names.index("npv")], per_matrix[names.index("payback_month")]
    probabilities = {
        "prob_npv_negative": float(np.mean(npv < 0)),
        "prob_no_payback": float(np.mean(np.isnan(payback))),
    }
    monthly = pd.DataFrame(
        np.concatenate([percentiles(a, PERCENTILES, axis=0).T for a in (cost_all, net_all)], 1),
        columns=[f"{name}_p{q}" for name in ("cost", "net") for q in PERCENTILES],
        index=pd.RangeIndex(H, name="m"),
    )
    kept_draws = Draws(
        metrics=per_draw,
        kept=kept,
        line_names=[ln.name for ln in lines],
        amount=kept_amount,
        quantity=kept_quantity,
        requests=kept_requests,
    )
    return unc, probabilities, monthly, kept_draws
