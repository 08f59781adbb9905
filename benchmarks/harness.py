"""Timing helpers shared by the benchmarks: timed runs, ABC-CBA interleaving, CPU time.

A *variant* is an ``async`` callable ``runner(count) -> Sample`` that performs ``count``
operations and times them; :func:`async_runner`, :func:`sync_runner` and
:func:`pool_runner` make one from an async op, a blocking op, or a blocking op spread
over a thread pool. :func:`compare` runs several variants over the same number of
operations, alternating their order, and reports totals (not best-of).
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# tests/servers.py (the server launchers), and this checkout's genro_storage
for _entry in (ROOT / "tests", ROOT):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))

KIB = 1024
MIB = 1024 * KIB

T = TypeVar("T")
AsyncOp = Callable[[int], Awaitable[object]]
SyncOp = Callable[[int], object]


@dataclass
class Measure:
    """Timed runs of one variant: ``rate`` in ops/s (or MiB/s), CPU per op in µs."""

    rate: float
    cpu_us: float
    server_cpu_us: float = float("nan")


@dataclass
class Sample:
    """Raw totals of timed runs: operations, wall seconds, client/server CPU seconds."""

    ops: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0
    server_cpu: float = 0.0

    def add(self, other: Sample) -> None:
        """Accumulate ``other`` into this sample."""
        self.ops += other.ops
        self.elapsed += other.elapsed
        self.cpu += other.cpu
        self.server_cpu += other.server_cpu

    def measure(self, per_op_bytes: int = 0) -> Measure:
        """Rate in ops/s, or MiB/s when ``per_op_bytes`` is given."""
        done = self.ops * per_op_bytes / MIB if per_op_bytes else self.ops
        return Measure(
            done / self.elapsed, self.cpu / self.ops * 1e6, self.server_cpu / self.ops * 1e6
        )


class CpuClock:
    """CPU time of this process (all its threads) and, optionally, of a server process."""

    def __init__(self, server_pid: int | None = None) -> None:
        self._server = psutil.Process(server_pid) if server_pid else None

    def read(self) -> tuple[float, float]:
        """``(client CPU seconds, server CPU seconds or NaN)``."""
        server = float("nan")
        if self._server is not None:
            times = self._server.cpu_times()
            server = times.user + times.system
        return time.process_time(), server


Runner = Callable[[int], Awaitable[Sample]]


def _timed(clock: CpuClock, n: int, fn: Callable[[], None]) -> Sample:
    cpu0, srv0 = clock.read()
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    cpu1, srv1 = clock.read()
    return Sample(n, elapsed, cpu1 - cpu0, srv1 - srv0)


async def run_ops(op: AsyncOp, n: int, concurrency: int, clock: CpuClock) -> Sample:
    """Run ``op(0..n-1)`` on the running loop with ``concurrency`` workers; time it."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await op(i)

    cpu0, srv0 = clock.read()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
    elapsed = time.perf_counter() - t0
    cpu1, srv1 = clock.read()
    return Sample(n, elapsed, cpu1 - cpu0, srv1 - srv0)


def async_runner(op: AsyncOp, concurrency: int, clock: CpuClock) -> Runner:
    """Variant: ``op`` awaited on the running loop by ``concurrency`` workers."""

    async def run(count: int) -> Sample:
        return await run_ops(op, count, concurrency, clock)

    return run


def sync_runner(op: SyncOp, clock: CpuClock) -> Runner:
    """Variant: blocking ``op`` called in a plain loop, in one worker thread (off the
    event loop, the way sync code runs), timed inside that thread."""

    def loop(count: int) -> Sample:
        def body() -> None:
            for i in range(count):
                op(i)

        return _timed(clock, count, body)

    async def run(count: int) -> Sample:
        return await asyncio.to_thread(loop, count)

    return run


def pool_runner(op: SyncOp, workers: int, clock: CpuClock) -> Runner:
    """Variant: blocking ``op`` spread over a ``ThreadPoolExecutor`` of ``workers``."""

    def spread(count: int) -> Sample:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # start the threads before timing, as a long-lived pool would have them
            list(pool.map(lambda _: None, range(workers)))

            def body() -> None:
                for _ in pool.map(op, range(count)):
                    pass

            return _timed(clock, count, body)

    async def run(count: int) -> Sample:
        return await asyncio.to_thread(spread, count)

    return run


async def compare(
    variants: dict[str, Runner],
    n: int,
    rounds: int,
    per_op_bytes: int = 0,
    warmup: int | dict[str, int] = 0,
    counts: dict[str, int] | None = None,
) -> dict[str, Measure]:
    """Time every variant over ``n`` ops, split into ``rounds`` rounds in ABC-CBA order.

    Alternating the order spreads drifting load from other processes over all the
    variants. ``warmup`` operations (per variant, or one count for all) run untimed
    first. ``counts`` overrides ``n`` for some variants (slow ones, or ones that send
    two requests per operation); rates stay per operation.
    """
    names = list(variants)
    for name in names:
        count = warmup.get(name, 0) if isinstance(warmup, dict) else warmup
        if count:
            await variants[name](count)
    totals = {name: Sample() for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            count = max(1, (counts or {}).get(name, n) // rounds)
            totals[name].add(await variants[name](count))
    return {name: total.measure(per_op_bytes) for name, total in totals.items()}


async def step(name: str, coro: Awaitable[T]) -> T:
    """Await ``coro``, telling stderr how long it took."""
    t0 = time.perf_counter()
    result = await coro
    print(f"[{name}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    return result


def fmt(x: float) -> str:
    """A rate or a CPU time, to about 3 significant figures."""
    if x != x:  # NaN
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def machine() -> str:
    """One line about the machine and its current load."""
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()}, Python "
        f"{platform.python_version()}; 1-minute load average {os.getloadavg()[0]:.2f}"
    )


def publish(text: str, out: Path) -> None:
    """Print a report and write it to ``out`` (folders created as needed)."""
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
