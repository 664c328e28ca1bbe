"""Where a portfolio's members run: one member's task, and the schedulers that run the
tasks (a local process pool, a Dask ``LocalCluster``, an existing Dask cluster).

Results come back in member order with at most ``2 * workers`` tasks in flight, so the
numbers are the same with any scheduler and any number of workers
(:mod:`aiopex.analyses.portfolio` adds them up).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from aiopex.engine import CostPaths, cost_paths
from aiopex.errors import AiopexError, Problem
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import stable_hash, stream

SCHEDULERS = ("processes", "dask")


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
