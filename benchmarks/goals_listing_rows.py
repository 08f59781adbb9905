"""``goals.py``'s listing rows: the explorer's first page (a local folder of 100,000
entries, an S3 prefix of 10,000 keys) against a raw listing, and the peak memory of
iterating a memory folder of 1,000,000 entries lazily.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from goals_common import (
    LAST_CPU,
    LAST_CPU_MS,
    LAST_RANGE,
    Result,
    gather_bounded,
    side_by_side,
    timed_async,
    timed_sync,
)
from harness import KIB

from genro_storage.async_ import AsyncStorageManager


async def row_explorer(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """The explorer's first page (``list(page_size=200)``, no snapshot yet): a local
    folder of 100,000 entries vs a raw ``os.scandir`` of it; an S3 prefix of 10,000 keys
    vs a raw ``list_objects_v2`` of one page."""
    from s3_clients import aioboto3_client, target_of
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
