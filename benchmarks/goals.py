"""The rows of issue 12 ("async small-file I/O near the sync floor, inline memory, scale
of listings and trees"): each workload against its floor, measured side by side in the
same run, repeated, medians reported.

    .venv/bin/python benchmarks/run.py --only goals [--quick]
    .venv/bin/python benchmarks/goals.py [--quick] [--rows local memory ...]

Every row runs its baseline and its variant alternately ``REPEATS`` times (ABAB...), and
reports the median wall time of each and the median of the per-repeat ratios
(variant time / baseline time: lower is better, 1.0 is the floor). Memory rows report
the peak of ``tracemalloc`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import KIB, RESULTS_DIR, machine, publish

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

REPEATS = 5
SIZE = 4 * KIB
ROWS = ("local", "sync", "memory", "http", "tree", "explorer", "children")


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


# --------------------------------------------------------------------------- rows


async def row_local(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """2,000 x 4 KiB local reads: async API gathered at 64 vs a plain sync loop."""
    n = 2000
    paths = make_files(tmp / "local", n)
    conf = [{"name": "local", "type": "local", "path": str(tmp / "local")}]
    async with AsyncStorageManager(conf) as amgr:
        nodes = [amgr.node(f"local:{p.name}") for p in paths]

        def sync_loop() -> None:
            for p in paths:
                with open(p, "rb") as f:
                    f.read()

        async def api(i: int) -> object:
            return await nodes[i].read_bytes()

        async def hop(i: int) -> object:
            return await asyncio.to_thread(paths[i].read_bytes)

        async def bare(i: int) -> object:  # no I/O: what the gather itself costs
            return await asyncio.sleep(0)

        base = timed_sync(sync_loop)
        out = []
        for label, op in (
            ("async API `read_bytes()`", api),
            ("raw `to_thread(Path.read_bytes)`", hop),
            ("the same gather around `asyncio.sleep(0)` (no I/O)", bare),
        ):
            b, v, r = await side_by_side(
                base, lambda op=op: timed_async(lambda: gather_bounded(op, n, 64)), repeats
            )
            goal = {api: "≤ 3x", hop: "(reference: one hop per file)"}.get(
                op, "(reference: the gather's own cost)"
            )
            out.append(
                Result(
                    "2,000 × 4 KiB local reads, gather at 64",
                    "sync `open().read()` loop",
                    label,
                    b,
                    v,
                    r,
                    goal,
                )
            )
        amgr_desc = amgr.describe()["local"]
    out[0].note = f"describe(): {amgr_desc}"
    return out


async def row_sync(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """Sync ``read_bytes()`` of a 4 KiB local file vs raw ``Path.read_bytes()``."""
    n = 2000
    paths = make_files(tmp / "sync", 200)
    deep = tmp / "sync" / "a" / "b" / "c"
    deep_paths = make_files(deep, 200)
    conf = [{"name": "local", "type": "local", "path": str(tmp / "sync")}]
    with StorageManager(conf) as smgr:
        nodes = [smgr.node(f"local:{p.name}") for p in paths]
        deep_nodes = [smgr.node(f"local:a/b/c/{p.name}") for p in deep_paths]
        out = []
        for label, ps, ns in (
            ("top-level file", paths, nodes),
            ("file 3 folders down", deep_paths, deep_nodes),
        ):

            def raw(ps: list[Path] = ps) -> None:
                for i in range(n):
                    ps[i % 200].read_bytes()

            def api(ns: list[Any] = ns) -> None:
                for i in range(n):
                    ns[i % 200].read_bytes()

            b, v, r = await side_by_side(timed_sync(raw), timed_sync(api), repeats)
            out.append(
                Result(
                    f"sync `read_bytes()` of a 4 KiB local file ({label}), × {n}",
                    "raw `Path.read_bytes()` loop",
                    "sync API `node.read_bytes()` loop",
                    b,
                    v,
                    r,
                    "≤ 1.5x",
                )
            )
    return out


async def row_memory(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """5,000 x 4 KiB memory reads gathered at 64 vs the same gather around a dict lookup."""
    n = 5000
    data = {f"f{i:04d}.bin": os.urandom(SIZE) for i in range(200)}
    names = list(data)
    async with AsyncStorageManager([{"name": "mem", "type": "memory"}]) as amgr:
        nodes = []
        for name, blob in data.items():
            node = amgr.node(f"mem:{name}")
            await node.write_bytes(blob)
            nodes.append(node)

        async def floor(i: int) -> object:
            return data[names[i % 200]]

        async def api(i: int) -> object:
            return await nodes[i % 200].read_bytes()

        b, v, r = await side_by_side(
            lambda: timed_async(lambda: gather_bounded(floor, n, 64)),
            lambda: timed_async(lambda: gather_bounded(api, n, 64)),
            repeats,
        )
        desc = amgr.describe()["mem"]
    return [
        Result(
            "5,000 × 4 KiB memory reads, gather at 64",
            "same gather + semaphore around a dict lookup",
            "async API `read_bytes()`",
            b,
            v,
            r,
            "≤ 2x",
            f"describe(): {desc}",
        )
    ]


async def row_http(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """500 GETs with 20 ms latency at concurrency 50: the native mount vs raw aiohttp."""
    import aiohttp
    from run import HTTPServerProcess

    n, names = 500, [p.name for p in make_files(tmp / "http", 200)]
    with HTTPServerProcess(tmp / "http", 0.02) as server:
        url = server.endpoint_url
        conf = [{"name": "web", "type": "http", "base_url": url}]
        # The raw session gets the pool the mount's session has (fsspec's default
        # ``ClientSession``: 100 connections, none per host), stated here explicitly.
        connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
        async with (
            AsyncStorageManager(conf) as amgr,
            aiohttp.ClientSession(connector=connector) as session,
        ):
            nodes = [amgr.node(f"web:{name}") for name in names]

            async def raw(i: int) -> bytes:
                async with session.get(f"{url}/{names[i % 200]}") as resp:
                    resp.raise_for_status()
                    return await resp.read()

            async def api(i: int) -> bytes:
                return await nodes[i % 200].read_bytes()

            # each run is short (about 0.3 s): more repeats for a steadier median; the
            # warm-up run of each opens its 50 connections
            b, v, r = await side_by_side(
                lambda: timed_async(lambda: gather_bounded(raw, n, 50)),
                lambda: timed_async(lambda: gather_bounded(api, n, 50)),
                max(repeats, 9),
            )
    return [
        Result(
            "500 HTTP GETs (4 KiB), 20 ms latency, concurrency 50",
            "raw aiohttp `session.get`",
            "async API `read_bytes()` (native)",
            b,
            v,
            r,
            "≤ 1.1x",
            f"client CPU µs per GET (median): raw {LAST_CPU_MS[0] * 1e3 / n:.0f}, "
            f"API {LAST_CPU_MS[1] * 1e3 / n:.0f}",
        )
    ]


async def row_tree(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """Tree copy of 1,000 x 4 KiB local files to S3 (moto) vs raw aioboto3 puts."""
    from s3_libraries import aioboto3_client, target_of
    from servers import S3Server

    n, c = 1000, 32
    paths = make_files(tmp / "tree" / "src", n)
    server = S3Server()
    try:
        server.start()
        server.create_bucket("bench")
        t = target_of(server)
        mount = {
            "name": "s3",
            "type": "s3",
            "bucket": "bench",
            "endpoint_url": t.endpoint_url,
            "key": t.key,
            "secret": t.secret,
            "region": t.region,
            "max_concurrency": c,
        }
        conf = [mount, {"name": "local", "type": "local", "path": str(tmp / "tree")}]
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, c)
            amgr = await stack.enter_async_context(AsyncStorageManager(conf))
            run = iter(range(10**6))

            async def raw() -> None:
                prefix = f"raw{next(run)}"

                async def put(i: int) -> None:
                    body = await asyncio.to_thread(paths[i].read_bytes)
                    await client.put_object(
                        Bucket="bench", Key=f"{prefix}/{paths[i].name}", Body=body
                    )

                await gather_bounded(put, n, c)

            async def api() -> None:
                await amgr.node("local:src").copy(f"s3:api{next(run)}", concurrency=c)

            reps = max(3, repeats - 2)
            b, v, r = await side_by_side(lambda: timed_async(raw), lambda: timed_async(api), reps)
    finally:
        server.stop()
    return [
        Result(
            "tree copy of 1,000 × 4 KiB files, local → S3 (moto), 32 at once",
            "raw aioboto3 `put_object` gather (file read by `to_thread`)",
            "async API `node.copy(dst, concurrency=32)`",
            b,
            v,
            r,
            "≥ 0.8x throughput (≤ 1.25x time)",
        )
    ]


async def row_explorer(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """The explorer's first page (``list(page_size=200)``, no snapshot yet): a local
    folder of 100,000 entries vs a raw ``os.scandir`` of it; an S3 prefix of 10,000 keys
    vs a raw ``list_objects_v2`` of one page."""
    from s3_libraries import aioboto3_client, target_of
    from servers import S3Server

    big = tmp / "explorer" / "big"
    big.mkdir(parents=True)
    for i in range(100_000):
        os.close(os.open(big / f"f{i:06d}", os.O_CREAT | os.O_WRONLY, 0o644))
    conf: list[dict[str, Any]] = [{"name": "local", "type": "local", "path": str(tmp / "explorer")}]
    out = []

    def raw_scandir() -> None:
        with os.scandir(big) as it:
            for _ in it:
                pass

    async def first_page(manager: AsyncStorageManager, path: str) -> None:
        page = await manager.node(path).list(page_size=200)
        assert len(page.entries) == 200

    async with AsyncStorageManager(conf) as amgr:
        b, v, r = await side_by_side(
            timed_sync(raw_scandir),
            lambda: timed_async(lambda: first_page(amgr, "local:big")),
            repeats,
        )
    out.append(
        Result(
            "explorer first page (200 entries): local folder of 100,000 entries",
            "raw `os.scandir` of the folder (names only)",
            "async `node.list(page_size=200)`",
            b,
            v,
            r,
            "< 100 ms",
            f"CPU ms (median): scandir {LAST_CPU_MS[0]:.1f}, first page {LAST_CPU_MS[1]:.1f}",
        )
    )
    server = S3Server()
    try:
        server.start()
        server.create_bucket("bench")
        t = target_of(server)
        mount = {
            "name": "s3",
            "type": "s3",
            "bucket": "bench",
            "endpoint_url": t.endpoint_url,
            "key": t.key,
            "secret": t.secret,
            "region": t.region,
        }
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, 50)
            keys = [f"big/k{i:05d}" for i in range(10_000)]
            await gather_bounded(
                lambda i: client.put_object(Bucket="bench", Key=keys[i], Body=b""), len(keys), 50
            )
            amgr = await stack.enter_async_context(AsyncStorageManager([mount]))

            async def raw() -> None:
                await client.list_objects_v2(
                    Bucket="bench", Prefix="big/", Delimiter="/", MaxKeys=200
                )

            b, v, r = await side_by_side(
                lambda: timed_async(raw),
                lambda: timed_async(lambda: first_page(amgr, "s3:big")),
                repeats,
            )
    finally:
        server.stop()
    out.append(
        Result(
            "explorer first page (200 entries): S3 prefix of 10,000 keys (moto)",
            "raw aioboto3 `list_objects_v2(MaxKeys=200)`",
            "async `node.list(page_size=200)`",
            b,
            v,
            r,
            "< 300 ms",
            f"client CPU ms (median): raw {LAST_CPU_MS[0]:.1f}, first page {LAST_CPU_MS[1]:.1f}",
        )
    )
    return out


async def row_children(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """A memory folder of 1,000,000 entries iterated lazily: ``async for`` over
    ``children()``, sync ``iterdir()``, ``walk(page_size=1000)`` of both APIs, and for
    reference the plain ``walk()`` (one tuple per folder, so the folder's names at once).
    Each: peak memory traced while iterating, vs the same for a folder of 1,000 entries
    (one page); and the rate of a run without tracemalloc."""
    count = 100_000 if quick else 1_000_000
    async with AsyncStorageManager([{"name": "mem", "type": "memory"}]) as amgr:
        sync = amgr.as_sync()
        for size in (1000, count):
            folder = sync.node(f"mem:n{size}")
            for i in range(size):
                folder.child(f"f{i:07d}").write_bytes(b"")

        async def a_children(size: int) -> int:
            seen = 0
            async for _ in amgr.node(f"mem:n{size}").children():
                seen += 1
            return seen

        async def a_walk(size: int) -> int:
            node = amgr.node(f"mem:n{size}")
            return sum([len(f) async for _, _, f in node.walk(page_size=1000)])

        def s_iterdir(size: int) -> int:
            return sum(1 for _ in sync.node(f"mem:n{size}").iterdir())

        def s_walk(size: int) -> int:
            return sum(len(f) for _, _, f in sync.node(f"mem:n{size}").walk(page_size=1000))

        def s_walk_whole(size: int) -> int:
            return sum(len(f) for _, _, f in sync.node(f"mem:n{size}").walk())

        async def run(fn: Callable[[int], Any], size: int) -> int:
            result = fn(size)
            return int(await result) if asyncio.iscoroutine(result) else int(result)

        async def measure(fn: Callable[[int], Any], size: int) -> tuple[float, float]:
            """(peak traced KiB, seconds of an untraced run)."""
            gc.collect()
            t0 = time.perf_counter()
            assert await run(fn, size) == size
            elapsed = time.perf_counter() - t0
            gc.collect()
            tracemalloc.start()
            try:
                assert await run(fn, size) == size
                top = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            return top / KIB, elapsed

        LAST_CPU.clear()  # no CPU ratio or range for these rows
        LAST_RANGE.clear()
        out = []
        for label, fn, goal in (
            ("`async for` over `children()`", a_children, "O(page): ratio near 1"),
            ("sync `iterdir()`", s_iterdir, "O(page): ratio near 1"),
            ("sync `walk(page_size=1000)`", s_walk, "O(page): ratio near 1"),
            ("`async for` over `walk(page_size=1000)`", a_walk, "O(page): ratio near 1"),
            ("sync `walk()` (reference: whole folders)", s_walk_whole, "O(folder) by contract"),
        ):
            small_kib, _ = await measure(fn, 1000)
            big_kib, elapsed = await measure(fn, count)
            out.append(
                Result(
                    f"{label}, memory folder of {count:,} entries",
                    "peak traced KiB for 1,000 entries (one page)",
                    f"peak traced KiB for {count:,} entries",
                    small_kib,
                    big_kib,
                    big_kib / small_kib,
                    goal,
                    f"{elapsed:.2f} s untraced ({count / elapsed:,.0f} entries/s)",
                )
            )
    return out


ROW_FUNCS = {
    "local": row_local,
    "sync": row_sync,
    "memory": row_memory,
    "http": row_http,
    "tree": row_tree,
    "explorer": row_explorer,
    "children": row_children,
}


async def goals(
    rows: tuple[str, ...] = ROWS, repeats: int | None = None, quick: bool = False
) -> str:
    """Run the chosen rows; return a Markdown section."""
    repeats = repeats or (3 if quick else REPEATS)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="genro-goals-") as name:
        for row in rows:
            t0 = time.perf_counter()
            results += await ROW_FUNCS[row](Path(name) / row, repeats, quick)
            print(f"[goals {row}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    lines = [
        "## Issue 12 rows (medians of side-by-side repeats)",
        "",
        f"{repeats} repeats per row, baseline and variant alternating; times are medians in "
        "ms (the `children` row: peak traced KiB); ratio = median of per-repeat "
        "variant/baseline wall times (lower is better); CPU ratio = the same for this "
        "process's CPU time (all threads; servers excluded), steadier on a shared machine.",
        "",
        "| workload | baseline | variant | baseline ms | variant ms | ratio | ratio min-max "
        "| CPU ratio | goal | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        low, high = r.ratio_range
        spread = f"{low:.2f}-{high:.2f}x" if high else ""
        cpu = f"{r.cpu_ratio:.2f}x" if r.cpu_ratio == r.cpu_ratio else ""  # NaN: none
        lines.append(
            f"| {r.workload} | {r.baseline} | {r.variant} | {r.base_ms:,.1f} | "
            f"{r.var_ms:,.1f} | **{r.ratio:.2f}x** | {spread} | {cpu} | {r.goal} | {r.note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 100k children")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "latest-goals.md")
    args = parser.parse_args()
    text = asyncio.run(goals(tuple(args.rows), args.repeats, args.quick))
    publish(f"# genro-storage: issue 12 rows\n\nMachine: {machine()}\n\n{text}", args.out)


if __name__ == "__main__":
    main()
