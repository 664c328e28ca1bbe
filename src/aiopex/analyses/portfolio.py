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
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.atomic import atomic_dir
from aiopex.engine import (
    HISTORY_STREAM,
    LINE_PERCENTILES,
    CostPaths,
    cost_paths,
    fresh_seed,
    uncertain_fields,
)
from aiopex.errors import AiopexError, Problem, ScenarioError
from aiopex.inputs.portfolio_file import Portfolio, read_portfolio, shared_matches
from aiopex.inputs.run_request import MEMORY_BUDGET_BYTES, check_draws, check_seed
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import stable_hash, stream
from aiopex.model.percentiles import FAN, percentiles
from aiopex.months import add as add_months
from aiopex.months import diff as month_diff
from aiopex.months import fiscal_year
from aiopex.months import labels as month_labels
from aiopex.result import jsonable
from aiopex.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SCHEDULERS = ("processes", "dask")
#: Percentiles reported for every total: P10, P50, P90 (numpy's linear percentiles, through
#: :func:`aiopex.model.percentiles.percentiles`, as every output takes them).
PORTFOLIO_PERCENTILES = FAN
#: Share of draws on each side of the P90 rank averaged for the contribution to P90.
TAIL_HALF_WIDTH = 0.025


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


# -- one member's task --------------------------------------------------------------------


@dataclass(frozen=True)
class MemberTask:
    """What a worker needs to run one member: picklable, and nothing else."""

    scenario: Scenario
    draws: int
    seed: int
    shared: frozenset[str]
    spend_of: tuple[str, ...] = ()  # lines whose on-demand spend a commitment plan sums
    independent: bool = False


def member_streams(seed: int, member: str, shared: frozenset[str]) -> Callable[[str], Any]:
    """The random stream of each of a member's fields (see the module's docstring)."""
    key = stable_hash(member)

    def streams(path: str) -> np.random.Generator:
        if path in shared:
            return stream(seed, path)
        return np.random.default_rng([int(seed), key, stable_hash(path)])

    return streams


def run_member(task: MemberTask) -> CostPaths:
    """One member's point path and per-draw monthly cost and net (a worker's task).

    With ``task.independent`` and shared fields, the same pass also gives the member's
    cost and net with nothing shared (``CostPaths.independent_cost``, ``_net``).
    """
    s = task.scenario
    streams = member_streams(task.seed, s.name, task.shared)
    if not (task.independent and task.shared):
        return cost_paths(s, task.draws, task.seed, streams, spend_of=task.spend_of)
    alone = member_streams(task.seed, s.name, frozenset())
    return cost_paths(
        s,
        task.draws,
        task.seed,
        streams,
        spend_of=task.spend_of,
        independent=alone,
        differing=task.shared,
    )


# -- schedulers ---------------------------------------------------------------------------


#: The allocator of the worker processes (the process pool's and a Dask ``LocalCluster``'s),
#: set through glibc's environment variables when they start: arrays up to 32 MiB come
#: from the heap rather than their own mappings, and freed memory stays with the
#: process (up to 1 GiB) rather than being returned to the system. A member's arrays are
#: then reused by the next member instead of being faulted in again page by page
#: (100 members: worker system time 2.2 s -> 0.3 s, page faults 1.01M -> 25k). A
#: variable already set in the environment is left as it is.
WORKER_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(2**30)}

#: The process pools of this process, by worker count: started once, reused by every
#: portfolio run, shut down when Python exits (or when a run fails or is interrupted).
_pools: dict[int, Any] = {}


@contextlib.contextmanager
def _worker_environ() -> Iterator[None]:
    """:data:`WORKER_ENV` in ``os.environ`` (what started processes inherit) within."""
    added = {k: v for k, v in WORKER_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _worker_ready() -> int:
    """A worker's first task: unpickling it imports this module (and the engine), so a
    worker is ready to run members once it is done."""
    return os.getpid()


def _process_pool(workers: int) -> Any:
    """The process pool of ``workers`` processes, started (with :data:`WORKER_ENV`) on
    first use and reused after.

    Returns at once: the workers start (and import the engine) in the background, so
    a caller that starts the pool before reading the portfolio's files reads them
    meanwhile (:func:`start_pool`).
    """

    pool = _pools.get(workers)
    if pool is None:
        ctx = multiprocessing.get_context("spawn")
        with _worker_environ():
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
            # every worker is spawned now, in this environment (the pool spawns one per
            # task submitted while none is idle; a spawned process has its environment)
            for _ in range(workers):
                pool.submit(_worker_ready)
        if not _pools:
            import atexit

            atexit.register(shutdown_pools)
        _pools[workers] = pool
    return pool


def start_pool(scheduler: str, workers: int | None) -> None:
    """Start the local process pool a portfolio on ``scheduler`` will run on (nothing for
    other schedulers) without waiting for its workers: they start while the caller goes
    on (``aiopex portfolio`` reads the members' files meanwhile)."""
    if scheduler == "processes":
        _process_pool(workers or os.cpu_count() or 1)


def output_submitter(scheduler: str, workers: int | None) -> Callable[..., Any] | None:
    """``submit`` of the local process pool that ran (or runs) the portfolio on
    ``scheduler == "processes"``, for :func:`write_outputs`; None for other schedulers."""
    if scheduler != "processes":
        return None
    pool = _process_pool(workers or os.cpu_count() or 1)
    submit: Callable[..., Any] = pool.submit
    return submit


def shutdown_pools() -> None:
    """Stop the process pools this process started (they stop at exit anyway)."""
    while _pools:
        _, pool = _pools.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


def _pool_map(tasks: list[MemberTask], workers: int) -> Iterator[CostPaths]:
    """Run tasks on the local process pool; yield results in task order, few in flight.

    A member's per-draw arrays come back through shared memory rather than pickled
    through a pipe: one block ("slot") per task in flight, which the worker fills
    (:func:`_run_member_into`) and this process reads in place (for 200 members x 10k
    draws, 2.3 GB no longer pickled, piped and unpickled). A result's arrays are views of
    its slot: valid until the next result is asked for, when the slot takes another task.
    """
    pool = _process_pool(workers)
    done = False
    n_slots = min(max(2, 2 * workers), len(tasks))
    size = max((_slot_bytes(t) for t in tasks), default=0)
    slots = [_Slot(create=True, size=max(size, 1)) for _ in range(n_slots)]
    try:
        free = [shm.name for shm in slots]
        by_name = {shm.name: shm for shm in slots}
        run = os.urandom(8).hex()
        pending: collections.deque[tuple[str, MemberTask, Any]] = collections.deque()
        nxt = 0
        while nxt < len(tasks) or pending:
            while nxt < len(tasks) and free:
                name = free.pop()
                fut = pool.submit(_run_member_into, tasks[nxt], name, run)
                pending.append((name, tasks[nxt], fut))
                nxt += 1
            name, task, fut = pending.popleft()
            yield _from_slot(fut.result(), task.draws, by_name[name])
            free.append(name)
        done = True
    finally:
        if not done:  # Ctrl-C, SIGTERM or a failure: members not started yet are dropped
            _pools.pop(workers, None)
            pool.shutdown(wait=True, cancel_futures=True)
        for shm in slots:
            shm.unlink()
            with contextlib.suppress(BufferError):  # a caller's view: unmapped when freed
                shm.close()


class _Slot(SharedMemory):
    """A shared memory block whose mapping outlives it while a result's view does."""

    def __del__(self) -> None:
        with contextlib.suppress(OSError, BufferError):
            self.close()


def _slot_bytes(task: MemberTask) -> int:
    """Bytes of a task's per-draw arrays: cost and net, and the independent view's."""
    return 8 * task.draws * task.scenario.horizon * (4 if task.independent else 2)


#: A worker's attached slots, by name, and the run they belong to.
_attached: dict[str, SharedMemory] = {}
_attached_run: list[str] = [""]


def _run_member_into(task: MemberTask, name: str, run: str) -> CostPaths:
    """:func:`run_member`, its per-draw arrays written into the shared memory block
    ``name`` (a slot of run ``run``) and returned empty (``(0, months)``).

    A worker keeps its slots mapped for the run (a slot's pages are touched once, not
    once per member) and lets go of an earlier run's when a new run's task comes."""
    if _attached_run[0] != run:
        for shm in _attached.values():
            shm.close()
        _attached.clear()
        _attached_run[0] = run
    if name not in _attached:
        _attached[name] = _attach(name)
    shm = _attached[name]
    cp = run_member(task)
    arrays = [cp.cost, cp.net]
    if cp.independent_cost is not None and cp.independent_net is not None:
        arrays += [cp.independent_cost, cp.independent_net]
    d, h = cp.cost.shape
    block = np.ndarray((len(arrays), d, h), dtype=np.float64, buffer=shm.buf)
    for i, a in enumerate(arrays):
        block[i] = a
    del block
    empty = np.empty((0, h))
    return dataclasses.replace(
        cp,
        cost=empty,
        net=empty,
        independent_cost=empty if len(arrays) == 4 else None,
        independent_net=empty if len(arrays) == 4 else None,
    )


def _attach(name: str) -> SharedMemory:
    """The shared memory block ``name``, mapped in this worker. The pool's workers
    share the resource tracker of the process that made the block (and unlinks it)."""
    return SharedMemory(name=name)


def _from_slot(cp: CostPaths, draws: int, shm: SharedMemory) -> CostPaths:
    """A worker's result with its per-draw arrays read from its slot (views)."""
    h = cp.cost.shape[1]
    k = 2 if cp.independent_cost is None else 4
    block = np.ndarray((k, draws, h), dtype=np.float64, buffer=shm.buf)
    if k == 2:
        return dataclasses.replace(cp, cost=block[0], net=block[1])
    return dataclasses.replace(
        cp, cost=block[0], net=block[1], independent_cost=block[2], independent_net=block[3]
    )


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """Start a Dask ``LocalCluster`` of ``workers`` single-threaded processes; yield its
    address (``tcp://...``) and stop it on leaving.

    Its workers start with :data:`WORKER_ENV`, as the process pool's do (Dask's nanny
    would set ``MALLOC_TRIM_THRESHOLD_=65536``: numpy's large temporaries were then
    returned to the system and faulted in again on every chunk, and members ran about
    1.5x slower).
    """
    import dask
    from distributed import LocalCluster

    trim = {
        f"distributed.nanny.pre-spawn-environ.{k}": v if k not in os.environ else None
        for k, v in WORKER_ENV.items()
    }
    with (
        dask.config.set(trim),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
    ):
        yield cluster.scheduler_address


def _dask_map(tasks: list[MemberTask], workers: int, address: str | None) -> Iterator[CostPaths]:
    """Run tasks on Dask: a ``LocalCluster`` started here, or the cluster at ``address``."""
    from distributed import Client

    if address is None:
        with local_cluster(workers) as started:
            yield from _dask_map(tasks, workers, started)
        return
    try:
        client = Client(address, timeout="10s")
    except OSError as e:
        raise AiopexError(
            Problem("<command line>", "--scheduler", f"cannot reach the Dask scheduler: {e}")
        ) from None
    with client:
        n = max(1, len(client.scheduler_info().get("workers", {})))
        yield from _ordered(_submitter(client), tasks, n, lambda f: f.result())


def _submitter(client: Any) -> Callable[..., Any]:
    def submit(fn: Callable[..., Any], task: MemberTask) -> Any:
        return client.submit(fn, task, pure=False)

    return submit


def _ordered(
    submit: Callable[..., Any],
    tasks: list[MemberTask],
    workers: int,
    result: Callable[[Any], CostPaths],
) -> Iterator[CostPaths]:
    """Submit tasks with at most ``2 * workers`` in flight; yield results in task order."""
    window = max(2, 2 * workers)
    pending: list[Any] = []
    nxt = 0
    while nxt < len(tasks) or pending:
        while nxt < len(tasks) and len(pending) < window:
            pending.append(submit(run_member, tasks[nxt]))
            nxt += 1
        yield result(pending.pop(0))


def _map(tasks: list[MemberTask], scheduler: str, workers: int | None) -> Iterator[CostPaths]:
    k = workers or os.cpu_count() or 1
    if scheduler == "processes":
        return _pool_map(tasks, k)
    if scheduler == "dask":
        return _dask_map(tasks, k, None)
    if scheduler.startswith("tcp://") or scheduler.startswith("tls://"):
        return _dask_map(tasks, k, scheduler)
    if scheduler == "inline":  # one process, no pool: for the benchmark's baseline
        return map(run_member, tasks)
    raise AiopexError(
        Problem(
            "<command line>",
            "--scheduler",
            f"unknown scheduler {scheduler!r}; use processes, dask or tcp://HOST:PORT",
        )
    )


#: Seconds to wait for a Dask scheduler to connect and answer, at most.
CONNECT_TIMEOUT = 10.0
_ADDRESS = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})")


def check_address(address: str, timeout: float = CONNECT_TIMEOUT) -> list[Problem]:
    """Problems with the address of a running Dask scheduler: its form (``tcp://HOST:PORT``),
    then whether a Dask scheduler answers there within ``timeout`` seconds (connect,
    handshake and an ``identity`` request, each bounded: a server that is not Dask, or that
    never answers, is refused instead of waited on)."""

    def bad(message: str) -> list[Problem]:
        return [Problem("<command line>", "--scheduler", message)]

    if address.startswith("tls://"):
        return bad("tls:// needs certificates aiopex does not take; use tcp://HOST:PORT")
    m = _ADDRESS.fullmatch(address)
    if m is None or not 1 <= int(m.group(2)) <= 65535:
        return bad(f"expected tcp://HOST:PORT (a port from 1 to 65535), got {address!r}")

    async def identity() -> Any:
        from distributed.comm import connect

        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), timeout))
    except TimeoutError:
        return bad(f"no Dask scheduler answered at {address} within {timeout:g} s")
    except Exception as e:  # noqa: BLE001 - refused, reset, not Dask's protocol
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        return bad(f"cannot reach a Dask scheduler at {address}: {reason}")
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        return bad(f"what answers at {address} is not a Dask scheduler")
    return []


def check_scheduler(scheduler: str, workers: int | None) -> list[Problem]:
    """Problems with ``--scheduler`` and ``--workers``, found before anything runs (a
    ``tcp://`` address is checked by :func:`check_address`)."""
    problems = []
    if scheduler.startswith(("tcp://", "tls://")):
        problems += check_address(scheduler)
    ok = scheduler in (*SCHEDULERS, "inline") or scheduler.startswith(("tcp://", "tls://"))
    if not ok:
        problems.append(
            Problem(
                "<command line>",
                "--scheduler",
                f"unknown scheduler {scheduler!r}; use processes, dask or tcp://HOST:PORT",
            )
        )
    if workers is not None and not 1 <= workers <= 1024:
        problems.append(Problem("<command line>", "--workers", f"must be 1 to 1024, got {workers}"))
    return problems


# -- the result ---------------------------------------------------------------------------


@dataclass
class MemberSummary:
    """One member as the portfolio ran it."""

    name: str
    path: str
    inputs_hash: str
    start: str
    horizon: int
    offset: int
    shared: list[str]
    cost_total_point: float


@dataclass
class PortfolioResult:
    """The portfolio's draws, summed by calendar month, and what each member added.

    Attributes
    ----------
    cost, net : ndarray, shape (draws, months)
        Per draw, the sum over members of ``cost(t)`` and ``net(t)`` in calendar month t.
    point_cost, point_net : ndarray, shape (months,)
        The sum of the members' deterministic runs.
    member_totals : ndarray, shape (members, draws)
        Each member's total cost over its horizon, per draw.
    lines : DataFrame
        One row per member, cost line and month of the member: ``member``, ``line``,
        ``category``, ``driver``, ``month``, ``point``, ``p10``, ``p50``, ``p90``.
    created : str
        When the result was made (UTC): the forecast's vintage in every output, kept
        when the result is saved and loaded.
    """

    name: str
    seed: int
    draws: int
    currency: str
    fiscal_year_start: int
    months: list[str]
    shared: list[str]
    budget: dict[int, float]
    inputs_hash: str
    members: list[MemberSummary]
    cost: np.ndarray
    net: np.ndarray
    point_cost: np.ndarray
    point_net: np.ndarray
    member_totals: np.ndarray
    lines: pd.DataFrame
    version: str = __version__
    created: str = field(default_factory=lambda: _now())  # the forecast's vintage, UTC
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # -- totals ---------------------------------------------------------------------------

    def monthly(self) -> dict[str, list[float]]:
        """``point`` and P10/P50/P90 of the portfolio's cost, per calendar month."""
        pct = percentiles(self.cost, PORTFOLIO_PERCENTILES, axis=0)
        out = {"point": self.point_cost.tolist()}
        out.update(
            {f"p{q}": row.tolist() for q, row in zip(PORTFOLIO_PERCENTILES, pct, strict=True)}
        )
        return out

    def total(self) -> dict[str, float]:
        """Cost over the whole timeline: point, mean and percentiles of the per-draw sums."""
        t = self.cost.sum(axis=1)
        out = {"point": float(self.point_cost.sum()), "mean": float(t.mean())}
        out.update(_percentiles(t))
        return out

    def fiscal_year_index(self) -> dict[int, list[int]]:
        """The timeline's month indexes of each fiscal year."""
        out: dict[int, list[int]] = {}
        for i, m in enumerate(self.months):
            out.setdefault(fiscal_year(m, self.fiscal_year_start), []).append(i)
        return out

    def fiscal_years(self) -> list[dict[str, Any]]:
        """Each fiscal year of the timeline: point, percentiles, budget and overrun chance.

        ``prob_over_budget`` = share of draws whose fiscal-year cost exceeds the budget
        (``None`` without a budget). ``months`` counts the year's months in the timeline
        (fewer than 12 at its ends).
        """
        out = []
        for year, idx in self.fiscal_year_index().items():
            t = self.cost[:, idx].sum(axis=1)
            b = self.budget.get(year)
            row: dict[str, Any] = {
                "year": year,
                "months": len(idx),
                "point": float(self.point_cost[idx].sum()),
                "mean": float(t.mean()),
            }
            row.update(_percentiles(t))
            row["budget"] = b
            row["prob_over_budget"] = None if b is None else float(np.mean(t > b))
            out.append(row)
        return out

    def tail_draws(self) -> np.ndarray:
        """The draws near the portfolio's P90 total (see the module's docstring)."""
        n = self.draws
        order = np.argsort(self.cost.sum(axis=1), kind="stable")
        center = int(round(0.9 * (n - 1)))
        half = int(math.floor(TAIL_HALF_WIDTH * n))
        return order[max(0, center - half) : min(n, center + half + 1)]

    def member_rows(self) -> list[dict[str, Any]]:
        """Each member: hash, own total (point and P90) and its contribution to P90."""
        tail = self.tail_draws()
        # every member's P90 from one sort of the (members, draws) totals
        p90 = percentiles(self.member_totals, [90], axis=1)[0] if self.members else []
        rows = []
        for i, m in enumerate(self.members):
            t = self.member_totals[i]
            rows.append(
                {
                    "name": m.name,
                    "inputs_hash": m.inputs_hash,
                    "start": m.start,
                    "months": m.horizon,
                    "cost_total_point": m.cost_total_point,
                    "cost_total_p90": float(p90[i]),
                    "contribution_to_p90": float(t[tail].mean()),
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``aiopex portfolio --json`` object."""
        return jsonable(  # type: ignore[no-any-return]
            {
                "name": self.name,
                "seed": self.seed,
                "draws": self.draws,
                "currency": self.currency,
                "version": self.version,
                "inputs_hash": self.inputs_hash,
                "fiscal_year_start": self.fiscal_year_start,
                "shared": self.shared,
                "months": self.months,
                "cost": self.monthly(),
                "total": self.total(),
                "fiscal_years": self.fiscal_years(),
                "members": self.member_rows(),
            }
        )

    def save(self, path: str | Path) -> Path:
        """Write the result to a folder (whole or not at all); :func:`load_result` reads it.

        ``portfolio.json`` (the JSON object plus the members' paths, offsets and shared
        fields), ``draws.npz`` (``cost``, ``net``, ``point_cost``, ``point_net``,
        ``member_totals``) and ``lines.parquet``.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_dir(path, owner=is_saved_portfolio) as tmp:
            doc = self.to_json()
            doc["format"] = "aiopex.portfolio"
            doc["description"] = self.description
            doc["created"] = self.created
            doc["budget"] = {str(k): v for k, v in self.budget.items()}
            doc["member_details"] = [m.__dict__ for m in self.members]
            (tmp / "portfolio.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
            np.savez(
                tmp / "draws.npz",
                cost=self.cost,
                net=self.net,
                point_cost=self.point_cost,
                point_net=self.point_net,
                member_totals=self.member_totals,
            )
            pq.write_table(
                pa.Table.from_pandas(self.lines, preserve_index=False), tmp / "lines.parquet"
            )
        return Path(path)


def is_saved_portfolio(folder: Path) -> bool:
    """Whether ``folder`` holds a portfolio result saved by :meth:`PortfolioResult.save`."""
    try:
        doc = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == "aiopex.portfolio"


def load_result(path: str | Path) -> PortfolioResult:
    """Read a folder written by :meth:`PortfolioResult.save`."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        doc = json.loads((path / "portfolio.json").read_text(encoding="utf-8"))
        arrays = np.load(path / "draws.npz")
        lines = pq.read_table(path / "lines.parquet").to_pandas()
    except (OSError, ValueError) as e:
        raise AiopexError(Problem(str(path), "", f"not a saved portfolio result: {e}")) from None
    if doc.get("format") != "aiopex.portfolio":
        raise AiopexError(Problem(str(path), "portfolio.json", "not a saved portfolio result"))
    return PortfolioResult(
        name=doc["name"],
        seed=doc["seed"],
        draws=doc["draws"],
        currency=doc["currency"],
        fiscal_year_start=doc["fiscal_year_start"],
        months=doc["months"],
        shared=doc["shared"],
        budget={int(k): float(v) for k, v in doc["budget"].items()},
        inputs_hash=doc["inputs_hash"],
        members=[MemberSummary(**m) for m in doc["member_details"]],
        cost=arrays["cost"],
        net=arrays["net"],
        point_cost=arrays["point_cost"],
        point_net=arrays["point_net"],
        member_totals=arrays["member_totals"],
        lines=lines,
        version=doc["version"],
        description=doc.get("description", ""),
        created=doc.get("created", ""),
    )


def _now() -> str:
    """The time a result is made, UTC, ``YYYY-MM-DDTHH:MM:SSZ`` (its forecast vintage)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _percentiles(x: np.ndarray) -> dict[str, float]:
    pct = percentiles(x, PORTFOLIO_PERCENTILES)
    return {f"p{q}": float(v) for q, v in zip(PORTFOLIO_PERCENTILES, pct, strict=True)}


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
