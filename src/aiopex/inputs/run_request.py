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


def estimate_bytes(draws: int, months: int, lines: int) -> int:
    """Memory kept for ``draws`` draws: ``8 * draws * months * (lines + 3)`` bytes.

    A float64 per draw, month and series, for the monthly cost, net and requests the
    summaries and saved results keep plus one series per cost line (an upper bound of
    what the engine holds).

    Examples
    --------
    >>> estimate_bytes(100_000, 36, 11)
    403200000
    """
    return 8 * draws * months * (lines + 3)


def check_seed(seed: Any, where: str = "<command line>") -> list[Problem]:
    """Problems with a seed: it must be an integer in ``0 .. 2**63 - 1`` (or None)."""
    if seed is None:
        return []
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:40] + "…"
        msg = f"must be a whole number from 0 to 2**63 - 1, got {shown}"
        return [Problem(where, "--seed", msg)]
    return []


def check_draws(draws: Any, scenario: Any = None, where: str = "<command line>") -> list[Problem]:
    """Problems with a number of draws for ``scenario`` (its horizon and cost lines).

    Without a scenario only ``draws >= 1`` is checked.
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        shown = repr(draws) if len(repr(draws)) <= 40 else repr(draws)[:40] + "…"
        return [Problem(where, "--draws", f"must be a whole number >= 1, got {shown}")]
    if scenario is None or draws == 1:
        return []
    months, lines = scenario.horizon, len(scenario.model.costs)
    need = estimate_bytes(draws, months, lines)
    if need <= MEMORY_BUDGET_BYTES:
        return []
    fits = MEMORY_BUDGET_BYTES // estimate_bytes(1, months, lines)
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
