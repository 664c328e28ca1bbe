"""How much to commit: each commitment level priced against the forecast's own draws.

:func:`commitments` runs the Monte Carlo draws of a scenario (or of a portfolio, whose
members' draws are summed by calendar month) once, keeps the on-demand spend ``S(m)``
of the covered lines (any commitment on them in the file is set aside), and prices
every level ``C`` as a broadcast over those draws: per draw, the covered lines' cost
over the term is ``sum_m (C + max(S(m) - C / (1 - d), 0))``
(:func:`aiopex.model.commitments.level_costs`). See docs/commitments.md.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.engine import fresh_seed
from aiopex.errors import AiopexError, Problem, ScenarioError
from aiopex.model import commitments as _commit
from aiopex.names import USAGE_PRICED

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from aiopex.inputs.scenario import Scenario

#: Levels of the default grid, from 0 to ``(1 - d) * P95`` of ``S(m)``.
GRID_LEVELS = 41
#: Levels added evenly between the two neighbours of the grid's best mean.
REFINE_LEVELS = 20
#: Share of the commitment whose going unused is reported (``prob_unused_over_10pct``).
UNUSED_SHARE = 0.10
#: Columns of :attr:`CommitmentPlan.levels`, in order.
LEVEL_COLUMNS: tuple[str, ...] = (
    "level",
    "mean",
    "p10",
    "p50",
    "p90",
    "unused_mean",
    "prob_unused_over_10pct",
    "saving_mean",
    "prob_costs_more",
)
CLI = "<command line>"


@dataclass(frozen=True)
class CommitmentPlan:
    """What :func:`commitments` returns: every level priced, and the two recommendations.

    Attributes
    ----------
    name, kind : str
        The scenario's or portfolio's name; ``"scenario"`` or ``"portfolio"``.
    currency : str
    covers : tuple of str
        The covered lines (``member.line`` for a portfolio), resolved from the patterns.
    discount : float
    from_month, term_months : int
        The term as asked; ``months`` is its part within the horizon (``n``).
    months : int
    term : tuple of str
        ``"YYYY-MM"`` of the term's months within the horizon.
    draws, seed : int
    inputs_hash : str
    p95_spend : float
        P95 of ``S(m)`` pooled over draws and term months (the default grid's top is
        ``(1 - d)`` times it).
    on_demand : dict
        Over the term without a commitment: ``mean``, ``p10``, ``p50``, ``p90``.
    levels : DataFrame
        One row per level, ascending (:data:`LEVEL_COLUMNS`): the covered lines' cost
        over the term (``mean``, ``p10``, ``p50``, ``p90``), ``unused_mean``,
        ``prob_unused_over_10pct``, ``saving_mean`` (against no commitment) and
        ``prob_costs_more`` (committing costs strictly more than on-demand).
    best_mean, best_p90 : float
        The level with the lowest mean cost, and the one with the lowest P90 cost.
    """

    name: str
    kind: str
    currency: str
    covers: tuple[str, ...]
    discount: float
    from_month: int
    term_months: int
    months: int
    term: tuple[str, ...]
    draws: int
    seed: int
    inputs_hash: str
    p95_spend: float
    on_demand: dict[str, float]
    levels: pd.DataFrame
    best_mean: float
    best_p90: float

    def row(self, level: float) -> dict[str, float]:
        """The row of ``level`` as a dict."""
        df = self.levels
        return {str(k): float(v) for k, v in df[df["level"] == level].iloc[0].items()}

    def to_json(self) -> dict[str, Any]:
        """What ``aiopex commitments --json`` prints."""
        from aiopex.version import __version__

        return {
            "name": self.name,
            "kind": self.kind,
            "currency": self.currency,
            "covers": list(self.covers),
            "discount": self.discount,
            "from_month": self.from_month,
            "term_months": self.term_months,
            "months": self.months,
            "term": [self.term[0], self.term[-1]],
            "draws": self.draws,
            "seed": self.seed,
            "inputs_hash": self.inputs_hash,
            "version": __version__,
            "p95_spend": self.p95_spend,
            "on_demand": self.on_demand,
            "levels": self.levels.to_dict(orient="records"),
            "recommended": {
                "lowest_mean": self.row(self.best_mean),
                "lowest_p90": self.row(self.best_p90),
            },
        }


def default_levels(S_term: np.ndarray, d: float) -> tuple[np.ndarray, float]:
    """The grid ``linspace(0, (1 - d) * P95, 41)``, ``P95`` of ``S(m)`` pooled over draws
    and term months (numpy's linear percentile); returns it with the P95."""
    p95 = float(np.percentile(S_term, 95))
    return np.linspace(0.0, (1.0 - d) * p95, GRID_LEVELS), p95


def refine(levels: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """20 levels evenly between the two neighbours of the level with the lowest mean
    (its one neighbour and itself at an end of the grid), the neighbours excluded.

    >>> refine(np.array([0.0, 10.0, 20.0]), np.array([3.0, 1.0, 2.0]))[[0, -1]].round(6).tolist()
    [0.952381, 19.047619]
    """
    i = int(np.argmin(mean))
    lo, hi = levels[max(i - 1, 0)], levels[min(i + 1, len(levels) - 1)]
    return np.linspace(lo, hi, REFINE_LEVELS + 2)[1:-1]


def price_levels(S_term: np.ndarray, levels: np.ndarray, d: float) -> pd.DataFrame:
    """Every level priced against the draws ``S_term`` (``(draws, n)``): the columns of
    :data:`LEVEL_COLUMNS` (see docs/commitments.md)."""
    import pandas as pd

    n = S_term.shape[1]
    levels = np.asarray(levels, dtype=float)
    cost = _commit.level_costs(S_term, levels, d)  # (L, draws)
    unused = _commit.level_unused(S_term, levels, d)
    on_demand = S_term.sum(axis=1)
    p10, p50, p90 = np.percentile(cost, (10, 50, 90), axis=1)
    return pd.DataFrame(
        {
            "level": levels,
            "mean": cost.mean(axis=1),
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "unused_mean": unused.mean(axis=1),
            "prob_unused_over_10pct": (unused > UNUSED_SHARE * levels[:, None] * n).mean(axis=1),
            "saving_mean": (on_demand[None, :] - cost).mean(axis=1),
            "prob_costs_more": (cost > on_demand[None, :]).mean(axis=1),
        }
    )


def plan(
    S_term: np.ndarray, d: float, levels: np.ndarray | None = None
) -> tuple[pd.DataFrame, float]:
    """The priced levels (the given ones, or the default grid refined) and the P95 of
    ``S(m)``."""
    p95 = float(np.percentile(S_term, 95)) if S_term.size else 0.0
    if levels is None:
        grid, p95 = default_levels(S_term, d)
        first = price_levels(S_term, grid, d)
        extra = refine(grid, first["mean"].to_numpy())
        levels = np.unique(np.concatenate([grid, extra]))
    table = price_levels(S_term, np.unique(np.asarray(levels, dtype=float)), d)
    return table, p95


# -- inputs ----------------------------------------------------------------------------


def check_request(
    discount: Any, term_months: Any, from_month: Any, levels: Any, draws: Any
) -> list[Problem]:
    """Problems with the asked terms, found before anything is run."""
    problems = []
    if isinstance(discount, bool) or not isinstance(discount, int | float):
        problems.append(Problem(CLI, "--discount", f"must be a number, got {discount!r}"))
    elif 1 < discount <= 100:
        problems.append(
            Problem(CLI, "--discount", f"{discount:g} looks like a percentage; write "
                    f"{discount / 100:g}")
        )  # fmt: skip
    elif not 0 <= discount < 1:
        problems.append(
            Problem(CLI, "--discount", f"must be a fraction in [0, 1), got {discount:g}")
        )
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        problems.append(Problem(CLI, "--term", f"must be whole months >= 1, got {term_months!r}"))
    if isinstance(from_month, bool) or not isinstance(from_month, int) or from_month < 0:
        problems.append(
            Problem(CLI, "--from-month", f"must be a month index >= 0, got {from_month!r}")
        )
    if levels is not None:
        bad = [x for x in levels if not (np.isfinite(x) and x >= 0)]
        if not len(levels):
            problems.append(Problem(CLI, "--levels", "must list at least one level"))
        elif bad:
            shown = ", ".join(f"{x:g}" for x in bad[:5])
            problems.append(Problem(CLI, "--levels", f"levels are money >= 0, got {shown}"))
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        problems.append(Problem(CLI, "--draws", f"must be >= 1, got {draws!r}"))
    return problems


def _covered_scenario(s: Scenario, covers: list[str], from_month: int) -> list[Problem]:
    """The scenario's own rules for a commitment on ``covers`` from ``from_month``."""
    from aiopex.inputs.schema import commitment_problems

    found = commitment_problems(
        s.model.costs, [{"covers": covers, "from_month": from_month}], s.horizon
    )
    out = []
    for msg in found:
        where, _, why = msg.partition(": ")
        out.append(Problem(CLI, "--covers" if "covers" in where else "--from-month", why))
    return out


def resolve_covers(
    members: list[Scenario], patterns: list[str]
) -> tuple[list[Problem], dict[str, Any]]:
    """A portfolio's ``member.line`` patterns (``*`` as in a file name) -> the matched
    lines of each member; every pattern must match a line, every match be usage-priced."""
    problems = []
    matched: dict[str, list[str]] = {s.name: [] for s in members}
    for pat in patterns:
        if "." not in pat:
            problems.append(
                Problem(CLI, "--covers", f"{pat!r}: name a member's line as member.line "
                        "(a * matches any name, as in *.llm_input_tokens)")
            )  # fmt: skip
            continue
        hits = 0
        for s in members:
            for ln in s.model.costs:
                if fnmatch.fnmatchcase(f"{s.name}.{ln.name}", pat):
                    hits += 1
                    if ln.driver not in USAGE_PRICED:
                        problems.append(
                            Problem(CLI, "--covers", f"{pat!r} matches {s.name}.{ln.name}, "
                                    f"driver {ln.driver}, and a commitment covers usage-priced "
                                    f"lines only ({', '.join(USAGE_PRICED)})")
                        )  # fmt: skip
                    elif ln.name not in matched[s.name]:
                        matched[s.name].append(ln.name)
        if not hits:
            problems.append(Problem(CLI, "--covers", f"{pat!r} matches no member's cost line"))
    return problems, {k: tuple(v) for k, v in matched.items() if v}


def _read_kind(path: Path) -> str:
    """``portfolio`` for a file with ``members:``, else ``scenario``."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return "scenario"  # the scenario reader says what is wrong with it
    return "portfolio" if isinstance(doc, dict) and "members" in doc else "scenario"


# -- the analysis ----------------------------------------------------------------------


def commitments(
    path: str | Path,
    covers: list[str] | str,
    discount: float,
    term_months: int,
    from_month: int = 0,
    levels: list[float] | None = None,
    draws: int = 2000,
    seed: int | None = None,
    overrides: Any = None,
    scheduler: str = "processes",
    workers: int | None = None,
) -> CommitmentPlan:
    """Price commitment levels against the forecast's Monte Carlo draws.

    Parameters
    ----------
    path : str or Path
        A scenario file, or a portfolio file (one enterprise agreement across members).
    covers : list of str, or str
        The covered lines (a scenario's line names; a portfolio's ``member.line``
        patterns, ``*`` matching any name); a string is split on commas.
    discount : float
        The discount the committed spend buys, in ``[0, 1)``.
    term_months, from_month : int
        The term: ``from_month`` (of the scenario, or counted from the portfolio's
        first calendar month) for ``term_months`` months, cut at the horizon.
    levels : list of float, optional
        Committed spend per month to price; default ``linspace(0, (1 - d) * P95, 41)``
        plus 20 levels between the neighbours of the best mean.
    draws, seed : int
        Monte Carlo draws and seed: the same draws ``aiopex.run`` (or the portfolio)
        gives with that seed.
    overrides :
        Dotted overrides of a scenario (as ``load_scenario``).
    scheduler, workers :
        Where a portfolio's members run (as :func:`aiopex.analyses.portfolio.run_portfolio`).

    Returns
    -------
    CommitmentPlan
        Nothing is written.

    Raises
    ------
    AiopexError
        Every problem with the inputs at once.

    Examples
    --------
    >>> p = commitments("tests/fixtures/commitments/llm_commit.yaml",
    ...                 "llm_input_tokens,llm_output_tokens", 0.25, 12, 4, draws=200, seed=1)
    >>> bool(p.levels["mean"].min() == p.row(p.best_mean)["mean"])
    True
    """
    path = Path(path)
    if isinstance(covers, str):
        covers = [c.strip() for c in covers.split(",") if c.strip()]
    lv = None if levels is None else [float(x) for x in levels]
    problems = check_request(discount, term_months, from_month, lv, draws)
    if not covers:
        problems.append(Problem(CLI, "--covers", "name at least one cost line"))
    if problems:
        raise AiopexError(problems)
    if seed is None:
        seed = fresh_seed()
    if _read_kind(path) == "portfolio":
        S, months, info = _portfolio_spend(path, covers, from_month, draws, seed, scheduler,
                                           workers)  # fmt: skip
    else:
        S, months, info = _scenario_spend(path, covers, from_month, draws, seed, overrides)
    n_months = S.shape[1]
    last = min(from_month + term_months, n_months)
    S_term = S[:, from_month:last]
    table, p95 = plan(S_term, float(discount), None if lv is None else np.asarray(lv))
    on = S_term.sum(axis=1)
    p10, p50, p90 = np.percentile(on, (10, 50, 90))
    return CommitmentPlan(
        name=info["name"],
        kind=info["kind"],
        currency=info["currency"],
        covers=tuple(info["covers"]),
        discount=float(discount),
        from_month=from_month,
        term_months=term_months,
        months=last - from_month,
        term=tuple(months[from_month:last]),
        draws=draws,
        seed=int(seed),
        inputs_hash=info["inputs_hash"],
        p95_spend=p95,
        on_demand={"mean": float(on.mean()), "p10": p10, "p50": p50, "p90": p90},
        levels=table,
        best_mean=float(table["level"].iloc[int(np.argmin(table["mean"].to_numpy()))]),
        best_p90=float(table["level"].iloc[int(np.argmin(table["p90"].to_numpy()))]),
    )


def _scenario_spend(
    path: Path, covers: list[str], from_month: int, draws: int, seed: int, overrides: Any
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    from aiopex.engine import cost_paths
    from aiopex.inputs.run_request import check_draws
    from aiopex.inputs.scenario import load_scenario
    from aiopex.months import labels

    s = load_scenario(path, overrides)
    problems = _covered_scenario(s, covers, from_month) + check_draws(draws, s)
    if problems:
        raise AiopexError(problems)
    cp = cost_paths(s, draws, seed, spend_of=tuple(covers))
    assert cp.spend is not None
    info = {
        "name": s.name,
        "kind": "scenario",
        "currency": s.currency,
        "covers": covers,
        "inputs_hash": s.inputs_hash,
    }
    return cp.spend, labels(s.start, s.horizon), info


def _portfolio_spend(
    path: Path,
    covers: list[str],
    from_month: int,
    draws: int,
    seed: int,
    scheduler: str,
    workers: int | None,
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    from aiopex.analyses.portfolio import (
        check_draws_memory,
        check_scheduler,
        load_portfolio,
        portfolio_hash,
        shared_paths,
        timeline,
    )
    from aiopex.analyses.portfolio_schedulers import MemberTask, _map
    from aiopex.months import diff as month_diff

    problems = check_scheduler(scheduler, workers)
    try:
        pf = load_portfolio(path)
    except ScenarioError as e:
        raise AiopexError(problems + list(e.problems)) from None
    found, matched = resolve_covers(pf.members, covers)
    months = timeline(pf.members)
    if from_month >= len(months):
        found.append(
            Problem(CLI, "--from-month", f"{from_month} is after the portfolio's timeline "
                    f"(months 0 to {len(months) - 1}, {months[0]} to {months[-1]})")
        )  # fmt: skip
    problems += found + check_draws_memory(pf, draws)
    if problems:
        raise AiopexError(problems)
    members = [s for s in pf.members if s.name in matched]
    tasks = [
        MemberTask(s, draws, seed, shared_paths(s, pf.shared), spend_of=matched[s.name])
        for s in members
    ]
    S = np.zeros((draws, len(months)))
    for task, cp in zip(tasks, _map(tasks, scheduler, workers), strict=True):
        off = month_diff(months[0], task.scenario.start)
        assert cp.spend is not None
        S[:, off : off + task.scenario.horizon] += cp.spend
    info = {
        "name": pf.name,
        "kind": "portfolio",
        "currency": pf.currency,
        "covers": [f"{m}.{ln}" for m, names in matched.items() for ln in names],
        "inputs_hash": portfolio_hash(pf),
    }
    return S, months, info
