"""What every row of ``goals.py`` shares: the ``Result`` of a row, the side-by-side
timer (baseline and variant alternating, medians), a bounded gather and the test files.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import KIB

SIZE = 4 * KIB


@dataclass
class Result:
    """One row: what was measured, its median times (ms) and the median ratio."""

    workload: str
    baseline: str
    variant: str
    base_ms: float
    var_ms: float
    ratio: float
    goal: str
    note: str = ""
    #: Median ratio of CPU times (this process, all threads): the last ``side_by_side``.
    cpu_ratio: float = field(default_factory=lambda: LAST_CPU[0] if LAST_CPU else float("nan"))
    #: Smallest and largest per-repeat wall ratio of the last ``side_by_side``.
    ratio_range: tuple[float, float] = field(
        default_factory=lambda: (LAST_RANGE[0], LAST_RANGE[1]) if LAST_RANGE else (0.0, 0.0)
    )


#: ``(wall seconds, CPU seconds of this process, all threads)`` of one timed run.
Timing = tuple[float, float]
Timed = Callable[[], Awaitable[Timing]]

#: The median CPU ratio of the last ``side_by_side``.
LAST_CPU: list[float] = []
#: The smallest and largest wall ratio of the last ``side_by_side``.
LAST_RANGE: list[float] = []
#: The median CPU milliseconds of the last ``side_by_side``'s baseline and variant.
LAST_CPU_MS: list[float] = []


async def timed_async(fn: Callable[[], Awaitable[object]]) -> Timing:
    """Wall and CPU seconds of ``await fn()``."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    await fn()
    return time.perf_counter() - t0, time.process_time() - c0


def timed_sync(fn: Callable[[], object]) -> Timed:
    """A ``Timed`` that runs blocking ``fn`` in a thread (off the loop) and times it there."""

    def run() -> Timing:
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0

    async def go() -> Timing:
        return await asyncio.to_thread(run)

    return go


async def side_by_side(base: Timed, var: Timed, repeats: int) -> tuple[float, float, float]:
    """Median base time, median variant time (ms), median per-repeat ratio var/base of
    wall times; the median ratio of CPU times goes to ``LAST_CPU``."""
    await base()  # warm up both (first-use costs: pools, sessions, caches)
    await var()
    bases, vars_, ratios, cpus, cpu_ms = [], [], [], [], []
    for r in range(repeats):
        if r % 2:
            v, b = await var(), await base()
        else:
            b, v = await base(), await var()
        bases.append(b[0])
        vars_.append(v[0])
        ratios.append(v[0] / b[0])
        cpus.append(v[1] / b[1] if b[1] else float("nan"))
        cpu_ms.append((b[1] * 1e3, v[1] * 1e3))
    LAST_CPU[:] = [statistics.median(cpus)]
    LAST_RANGE[:] = [min(ratios), max(ratios)]
    LAST_CPU_MS[:] = [
        statistics.median(c[0] for c in cpu_ms),
        statistics.median(c[1] for c in cpu_ms),
    ]
    return (
        statistics.median(bases) * 1e3,
        statistics.median(vars_) * 1e3,
        statistics.median(ratios),
    )


async def gather_bounded(op: Callable[[int], Awaitable[object]], n: int, limit: int) -> None:
    """``asyncio.gather`` of ``n`` tasks, at most ``limit`` in their body at once."""
    sem = asyncio.Semaphore(limit)

    async def one(i: int) -> None:
        async with sem:
            await op(i)

    await asyncio.gather(*(one(i) for i in range(n)))


def make_files(root: Path, count: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"f{i:04d}.bin" for i in range(count)]
    for p in paths:
        p.write_bytes(os.urandom(SIZE))
    return paths
