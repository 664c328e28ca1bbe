"""What a run asks for besides the scenario: draws and seed, checked before any work.

A seed is a whole number from 0 to ``2**63 - 1``. Draws are at least 1, and a Monte
Carlo run must fit :data:`MEMORY_BUDGET_BYTES`: it is estimated before anything is
allocated, so ``--draws 1000000000`` is refused with exit 2 instead of failing with
a MemoryError.
"""

from __future__ import annotations

from typing import Any

from aiopex.errors import Problem

#: Memory a Monte Carlo run may use for what it keeps per draw, in bytes (2 GiB).
MEMORY_BUDGET_BYTES = 2 * 1024**3
#: Largest seed + 1.
SEED_LIMIT = 2**63


def estimate_bytes(draws: int, months: int, lines: int, kept: int = 0) -> int:
    """Peak memory of a Monte Carlo run of ``draws`` draws, ``kept`` of them kept whole.

    ``8 * (draws * (96 + 3.25 H + 0.25 H L) + kept * (2.2 H L + 1.1 H))`` bytes for ``H``
    months and ``L`` cost lines: per draw, the per-draw metrics and their summaries, the
    monthly series (cost, net, requests...) and the engine's chunk of line arrays; per kept
    draw, its lines' amounts and quantities and its requests. The coefficients are the
    measured peaks (``benchmarks/memory_estimate.py``: 84 + 2.8 H + 0.19 H L, and
    2 H L + H per kept draw) with 15% to 30% to spare, so the bound holds.

    Examples
    --------
    >>> round(estimate_bytes(100_000, 36, 11) / 2**20)
    238
    >>> round(estimate_bytes(100_000, 36, 11, kept=100_000) / 2**20)
    933
    """
    per_draw = 96 + 3.25 * months + 0.25 * months * lines
    per_kept = 2.2 * months * lines + 1.1 * months
    return int(8 * (draws * per_draw + kept * per_kept))


def check_seed(seed: Any, where: str = "<command line>") -> list[Problem]:
    """Problems with a seed: it must be an integer in ``0 .. 2**63 - 1`` (or None)."""
    if seed is None:
        return []
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:40] + "…"
        msg = f"must be a whole number from 0 to 2**63 - 1, got {shown}"
        return [Problem(where, "--seed", msg)]
    return []


def check_draws(
    draws: Any, scenario: Any = None, where: str = "<command line>", kept: int = 0
) -> list[Problem]:
    """Problems with a number of draws for ``scenario`` (its horizon and cost lines), of
    which ``kept`` are kept whole (a baseline keeps them all).

    Without a scenario only ``draws >= 1`` is checked.
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        shown = repr(draws) if len(repr(draws)) <= 40 else repr(draws)[:40] + "…"
        return [Problem(where, "--draws", f"must be a whole number >= 1, got {shown}")]
    if scenario is None or draws == 1:
        return []
    months, lines = scenario.horizon, len(scenario.model.costs)
    kept = min(kept, draws)
    need = estimate_bytes(draws, months, lines, kept)
    if need <= MEMORY_BUDGET_BYTES:
        return []
    fits = MEMORY_BUDGET_BYTES // max(1, estimate_bytes(1, months, lines, 1 if kept else 0))
    return [
        Problem(
            where,
            "--draws",
            f"{draws:,} draws of {scenario.name} ({months} months, {lines} cost lines) need "
            f"about {need / 1024**3:,.1f} GiB; the budget is "
            f"{MEMORY_BUDGET_BYTES / 1024**3:g} GiB (MEMORY_BUDGET_BYTES): "
            f"use at most {fits:,} draws",
        )
    ]
