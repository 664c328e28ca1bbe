"""The portfolio: every member scenario's Monte Carlo draws summed by calendar month.

Finance holds one budget for all AI systems, so the question is the distribution of
their *sum*. Adding members' P90s overstates the risk where members are independent
and understates it where they share a cause; here every total is summed per draw
first and its percentiles taken after.

- **Random numbers.** Member ``k``'s field ``path`` draws from
  ``numpy.random.default_rng([seed, stable_hash(k), stable_hash(path)])``. A field
  named in ``shared`` draws from ``default_rng([seed, stable_hash(path)])``, the
  stream a scenario run alone uses, so every member that has it gets the same
  underlying random numbers, and a member run alone with the same seed draws it
  exactly as in the portfolio. The history forecast's paths are the field
  ``usage.history``.
- **Timeline.** Calendar months from the earliest member start to the latest member
  end; a member adds nothing outside its own months. ``cost(t)`` of the portfolio
  in draw ``d`` is the sum of the members' ``cost`` in calendar month ``t``.
- **Percentiles** of any total (a month, a fiscal year, the whole timeline) are taken
  over the per-draw sums (numpy's linear percentiles), never added up.
- **Contribution to P90.** The draws near the portfolio's P90 total are the
  ``max(1, 2 * floor(0.025 * draws) + 1)`` draws whose rank (by total cost over the
  timeline) is nearest ``0.9 * (draws - 1)``; a member's contribution is its mean
  total cost over those draws. The contributions add up to the portfolio's mean
  total over the same draws, about its P90.
- **Scale.** Each member is one task returning its point path and its per-draw
  monthly cost and net (:func:`aiopex.engine.cost_paths`). Tasks run on a local
  process pool, a Dask ``LocalCluster`` or an existing Dask cluster; results are
  added in member order as they arrive (at most ``2 * workers`` in flight), so
  memory is bounded by draws x months, not by members, and the numbers are the same
  with any scheduler and any number of workers.

This module reads the portfolio and adds its members up; the schedulers and a member's
task are in :mod:`aiopex.analyses.portfolio_schedulers`, the result (totals, fiscal
years, contributions, saving and loading) in :mod:`aiopex.analyses.portfolio_result`;
their public names are importable from here too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.analyses.portfolio_result import (
    PORTFOLIO_PERCENTILES,
    TAIL_HALF_WIDTH,
    MemberSummary,
    PortfolioResult,
    is_saved_portfolio,
    load_result,
)
from aiopex.analyses.portfolio_schedulers import (
    CONNECT_TIMEOUT,
    SCHEDULERS,
    WORKER_ENV,
    MemberTask,
    _map,
    check_address,
    check_scheduler,
    local_cluster,
    member_streams,
    output_submitter,
    run_member,
    shutdown_pools,
    start_pool,
)
from aiopex.engine import (
    HISTORY_STREAM,
    LINE_PERCENTILES,
    CostPaths,
    fresh_seed,
    uncertain_fields,
)
from aiopex.errors import AiopexError, Problem, ScenarioError
from aiopex.inputs.portfolio_file import Portfolio, read_portfolio, shared_matches
from aiopex.inputs.run_request import MEMORY_BUDGET_BYTES, check_draws, check_seed
from aiopex.inputs.scenario import Scenario
from aiopex.months import add as add_months
from aiopex.months import diff as month_diff
from aiopex.months import fiscal_year
from aiopex.months import labels as month_labels

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CONNECT_TIMEOUT",
    "PORTFOLIO_PERCENTILES",
    "SCHEDULERS",
    "TAIL_HALF_WIDTH",
    "WORKER_ENV",
    "MemberSummary",
    "MemberTask",
    "PortfolioResult",
    "PortfolioRun",
    "check_address",
    "check_draws_memory",
    "check_scheduler",
    "is_saved_portfolio",
    "load_portfolio",
    "load_result",
    "local_cluster",
    "member_fields",
    "member_streams",
    "output_submitter",
    "portfolio",
    "portfolio_hash",
    "run_member",
    "run_portfolio",
    "run_portfolio_views",
    "shared_paths",
    "shutdown_pools",
    "start_pool",
    "timeline",
]


# -- loading ------------------------------------------------------------------------------


def member_fields(scenario: Scenario) -> list[str]:
    """Every random field path of a member: its *(u)* fields, and ``usage.history``."""
    paths = [p for p, _, _ in uncertain_fields(scenario.model)]
    if scenario.model.usage.history_based:
        paths.append(HISTORY_STREAM)
    return paths


def shared_paths(scenario: Scenario, patterns: Iterable[str]) -> frozenset[str]:
    """The member's field paths that a ``shared`` pattern names."""
    pats = list(patterns)
    return frozenset(p for p in member_fields(scenario) if any(shared_matches(s, p) for s in pats))


def timeline(members: list[Scenario]) -> list[str]:
    """Calendar months from the earliest member start to the latest member end."""
    first = min(s.start for s in members)
    last = max(add_months(s.start, s.horizon - 1) for s in members)
    return month_labels(first, month_diff(first, last) + 1)


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file: every problem at once, with file and field.

    On top of :func:`aiopex.inputs.portfolio_file.read_portfolio`: every ``shared`` entry
    must name a field some member has, and every budget year must fall in the
    portfolio's timeline.

    Raises
    ------
    ScenarioError
    """
    pf = read_portfolio(path)
    label = str(pf.path)
    problems: list[Problem] = []
    fields = {p for s in pf.members for p in member_fields(s)}
    for i, pat in enumerate(pf.shared):
        if not any(shared_matches(pat, p) for p in fields):
            problems.append(Problem(label, f"shared[{i}]", f"no member has a field {pat!r}"))
    months = timeline(pf.members)
    years = sorted({fiscal_year(m, pf.fiscal_year_start) for m in months})
    for year in pf.budget:
        if year not in years:
            problems.append(
                Problem(
                    label,
                    f"budget.{year}",
                    f"FY{year} is outside the portfolio's timeline "
                    f"(FY{years[0]} to FY{years[-1]}, {months[0]} to {months[-1]})",
                )
            )
    if problems:
        raise ScenarioError(problems)
    return pf


def portfolio_hash(pf: Portfolio) -> str:
    """SHA-256 of the portfolio file's fields and its members' names and inputs hashes."""
    data = {
        "portfolio": pf.model.model_dump(mode="json"),
        "members": [[s.name, s.inputs_hash] for s in pf.members],
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- running ------------------------------------------------------------------------------


def run_portfolio(
    pf: Portfolio,
    draws: int,
    seed: int,
    scheduler: str = "processes",
    workers: int | None = None,
    shared: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PortfolioResult:
    """Run every member and sum their draws by calendar month.

    Parameters
    ----------
    pf : Portfolio
        From :func:`load_portfolio`.
    draws : int
        Draws per member (every member has the same draws; draw ``d`` of the portfolio
        is draw ``d`` of every member). 1: the deterministic run at point values.
    seed : int
    scheduler : str
        ``processes`` (a local process pool), ``dask`` (a ``LocalCluster`` started
        and stopped here) or ``tcp://HOST:PORT`` (an existing Dask cluster).
    workers : int, optional
        Processes or Dask workers (default: the machine's cores).
    shared : list of str, optional
        Overrides the file's ``shared`` (``[]``: every member independent).
    progress : callable, optional
        Called with ``(done, total)`` after each member.

    See :func:`run_portfolio_views` for the shared and the independent view in one pass.

    Notes
    -----
    The process pool and Dask start fresh Python processes, which import the calling
    script: call this from a script under ``if __name__ == "__main__":`` (the command
    line and notebooks need nothing).
    """
    result, _ = _run(pf, draws, seed, scheduler, workers, shared, progress, independent=False)
    return result


def run_portfolio_views(
    pf: Portfolio,
    draws: int,
    seed: int,
    scheduler: str = "processes",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[PortfolioResult, PortfolioResult | None]:
    """The portfolio as :func:`run_portfolio` runs it, and, when it shares fields, the same
    portfolio with every member independent (``shared`` emptied), in one pass.

    Each member's task computes both views from the same draws of its other fields: the
    shared fields drawn once from the shared streams and once from the member's own,
    and where those fields only price cost lines (``rate``, ``escalation_per_year``),
    only those lines' amounts are computed again. The numbers are those of
    ``run_portfolio(pf, draws, seed)`` and ``run_portfolio(pf, draws, seed, shared=[])``.
    The independent view carries the draws (``cost``, ``net``, ``member_totals``) and
    the point paths; its ``lines`` table is empty (the lines' percentiles are the
    shared view's).

    Returns
    -------
    (PortfolioResult, PortfolioResult or None)
        The portfolio, and its independent view (None when nothing is shared).
    """
    return _run(pf, draws, seed, scheduler, workers, None, progress, independent=bool(pf.shared))


def _run(
    pf: Portfolio,
    draws: int,
    seed: int,
    scheduler: str,
    workers: int | None,
    shared: list[str] | None,
    progress: Callable[[int, int], None] | None,
    independent: bool,
) -> tuple[PortfolioResult, PortfolioResult | None]:

    patterns = pf.shared if shared is None else list(shared)
    months = timeline(pf.members)
    T = len(months)
    first = months[0]
    tasks = [
        MemberTask(s, draws, seed, shared_paths(s, patterns), independent=independent)
        for s in pf.members
    ]
    cost = np.zeros((draws, T))
    net = np.zeros((draws, T))
    point_cost = np.zeros(T)
    point_net = np.zeros(T)
    member_totals = np.zeros((len(tasks), draws))
    if independent:
        ind_cost, ind_net = np.zeros((draws, T)), np.zeros((draws, T))
        ind_totals = np.zeros((len(tasks), draws))
    members: list[MemberSummary] = []
    pieces: list[tuple[str, CostPaths, list[str]]] = []
    for i, (task, cp) in enumerate(zip(tasks, _map(tasks, scheduler, workers), strict=True)):
        s = task.scenario
        off = month_diff(first, s.start)
        window = slice(off, off + s.horizon)
        cost[:, window] += cp.cost
        net[:, window] += cp.net
        point_cost[window] += cp.point_cost
        point_net[window] += cp.point_net
        member_totals[i] = cp.cost.sum(axis=1)
        if independent:
            if cp.independent_cost is not None and cp.independent_net is not None:
                ind_cost[:, window] += cp.independent_cost
                ind_net[:, window] += cp.independent_net
                ind_totals[i] = cp.independent_cost.sum(axis=1)
            else:  # nothing shared in this member: both views are the same
                ind_cost[:, window] += cp.cost
                ind_net[:, window] += cp.net
                ind_totals[i] = member_totals[i]
        members.append(
            MemberSummary(
                name=s.name,
                path=str(s.path),
                inputs_hash=s.inputs_hash,
                start=s.start,
                horizon=s.horizon,
                offset=off,
                shared=sorted(task.shared),
                cost_total_point=float(cp.point_cost.sum()),
            )
        )
        # the lines' table is built once at the end (a frame per member cost 1 s for 200)
        pieces.append((s.name, _lines_only(cp), months[window]))
        del cp  # its arrays may be views of a pool's shared memory, taken back now
        if progress is not None:
            progress(i + 1, len(tasks))
    lines = _lines_frame(pieces)

    def view(
        pats: list[str], c: np.ndarray, n: np.ndarray, totals: np.ndarray, ls: pd.DataFrame
    ) -> PortfolioResult:
        return PortfolioResult(
            name=pf.name,
            seed=seed,
            draws=draws,
            currency=pf.currency,
            fiscal_year_start=pf.fiscal_year_start,
            months=months,
            shared=pats,
            budget=dict(pf.budget),
            inputs_hash=portfolio_hash(pf),
            members=[m if pats else dataclasses.replace(m, shared=[]) for m in members],
            cost=c,
            net=n,
            point_cost=point_cost,
            point_net=point_net,
            member_totals=totals,
            lines=ls,
            description=pf.model.description,
        )

    result = view(patterns, cost, net, member_totals, lines)
    if not independent:
        return result, None
    return result, view([], ind_cost, ind_net, ind_totals, lines.iloc[:0])


def _lines_only(cp: CostPaths) -> CostPaths:
    """``cp`` without its per-draw arrays (what the lines' table needs of a member)."""
    empty = np.empty((0, 0))
    return dataclasses.replace(
        cp, cost=empty, net=empty, spend=None, independent_cost=None, independent_net=None
    )


def _lines_frame(pieces: list[tuple[str, CostPaths, list[str]]]) -> pd.DataFrame:
    """One row per member, cost line and month of the member (members in order, then
    lines, then months), from each member's name, cost paths and months."""
    import pandas as pd

    if not pieces:
        return pd.DataFrame()

    def column(part: Callable[[str, CostPaths, list[str]], Any]) -> np.ndarray:
        return np.concatenate([np.asarray(part(*p)) for p in pieces])

    def rows(name: str, cp: CostPaths, months: list[str]) -> int:
        return len(cp.line_names) * len(months)

    def percentile(j: int) -> Callable[[str, CostPaths, list[str]], Any]:
        return lambda _n, cp, _m: cp.line_percentiles[:, j].reshape(-1)

    pct = {f"p{q}": column(percentile(j)) for j, q in enumerate(LINE_PERCENTILES)}
    return pd.DataFrame(
        {
            "member": np.repeat([p[0] for p in pieces], [rows(*p) for p in pieces]),
            "line": column(lambda _n, cp, m: np.repeat(cp.line_names, len(m))),
            "category": column(lambda _n, cp, m: np.repeat(cp.line_categories, len(m))),
            "driver": column(lambda _n, cp, m: np.repeat(cp.line_drivers, len(m))),
            "month": column(lambda _n, cp, m: np.tile(m, len(cp.line_names))),
            "point": column(lambda _n, cp, _m: cp.point_lines.reshape(-1)),
            **pct,
        }
    )


def check_draws_memory(pf: Portfolio, draws: int) -> list[Problem]:
    """Problems with ``--draws`` for this portfolio: each member's task, and the sums.

    A member's task holds ``8 * draws * months * (lines + 3)`` bytes
    (:func:`aiopex.inputs.run_request.estimate_bytes`); the coordinator holds the
    portfolio's cost and net ``(draws, timeline months)`` and one total per member and
    draw.
    """
    problems: list[Problem] = []
    for s in pf.members:
        problems += check_draws(draws, s)
    need = 8 * draws * (2 * len(timeline(pf.members)) + len(pf.members))
    if draws > 1 and need > MEMORY_BUDGET_BYTES:
        problems.append(
            Problem(
                "<command line>",
                "--draws",
                f"{draws:,} draws of {len(pf.members)} members need about "
                f"{need / 1024**3:,.1f} GiB in the coordinating process; the budget is "
                f"{MEMORY_BUDGET_BYTES / 1024**3:g} GiB",
            )
        )
    return problems


@dataclass(frozen=True)
class PortfolioRun:
    """A portfolio as :func:`aiopex.portfolio` returns it: the runs ``aiopex portfolio``
    writes, and the file they came from.

    Attributes
    ----------
    spec : Portfolio
        The portfolio file, read and checked.
    result : PortfolioResult
        Every member's draws summed by calendar month (``result.lines`` is the long
        frame: one row per member, cost line and month with the point value and P10,
        P50, P90).
    independent : PortfolioResult or None
        The same portfolio with ``shared`` emptied, when it shares fields: what the
        sharing changes (computed in the same pass, :func:`run_portfolio_views`; its
        ``lines`` table is empty).
    """

    spec: Portfolio
    result: PortfolioResult
    independent: PortfolioResult | None


def portfolio(
    file_or_spec: str | Path | Portfolio,
    draws: int = 10_000,
    seed: int | None = None,
    scheduler: str = "processes",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PortfolioRun:
    """Run a portfolio: every member's draws summed by calendar month; nothing is written.

    Parameters
    ----------
    file_or_spec : path or Portfolio
        The portfolio file, or one read already (:func:`load_portfolio`).
    draws, seed : int
        Draws per member and the seed (a fresh one, drawn from the OS, when None).
    scheduler : str
        ``processes`` (a local process pool), ``dask`` (a ``LocalCluster`` started for
        the run, shared by both runs) or a Dask scheduler's ``tcp://`` address.
    workers : int, optional
        Processes or Dask workers.

    Raises
    ------
    AiopexError
        Every problem with the arguments and the file at once, before any run.
    """
    problems = check_seed(seed) + check_draws(draws) + check_scheduler(scheduler, workers)
    if problems:
        raise AiopexError(problems)
    pf = file_or_spec if isinstance(file_or_spec, Portfolio) else load_portfolio(file_or_spec)
    problems = check_draws_memory(pf, draws)
    if problems:
        raise AiopexError(problems)
    if seed is None:
        seed = fresh_seed()
    with contextlib.ExitStack() as stack:
        if scheduler == "dask":  # a LocalCluster for the run
            scheduler = stack.enter_context(local_cluster(workers or os.cpu_count() or 1))
        # one pass: both views from the same member tasks (run_portfolio_views)
        result, independent = run_portfolio_views(
            pf, draws, seed, scheduler, workers, progress=progress
        )
    return PortfolioRun(pf, result, independent)
