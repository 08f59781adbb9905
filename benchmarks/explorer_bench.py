"""The explorer's file grid, measured in the kernel (no browser): the work behind one
page of rows while scrolling 100,000 local entries, the first page of a 10,000-key S3
prefix, and the kernel memory a 200 MiB streamed upload adds.

Used by ``run.py --only explorer`` (the section) and runnable alone for a quick look:
``python benchmarks/explorer_bench.py``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psutil
from harness import MIB, CpuClock, Measure, Runner, Sample, compare
from s3_clients import aioboto3_client, target_of
from servers import S3Server

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.grid import BLOCK_ROWS

GRID_ENTRIES = 100_000
S3_KEYS = 10_000
UPLOAD_BYTES = 200 * MIB
CHUNK = 1 * MIB


async def answer(explorer: StorageExplorer, start: int) -> None:
    """Ask the left grid for the block at ``start`` as the browser does and wait for the
    rows (answered at once, or after the page is listed again from its cursor)."""
    grid = explorer.left.grid
    grid.sent.clear()
    grid.handle({"kind": "rows", "start": start, "count": BLOCK_ROWS, "version": grid.version})
    while not any(m["kind"] == "rows" and m["start"] == start for m in grid.sent):
        await asyncio.sleep(0)


def scroll_runner(explorer: StorageExplorer, clock: CpuClock) -> Runner:
    """One operation = one grid page (a block of 100 rows) answered while scrolling
    down a 100,000-entry folder from a fresh listing: the rows, and ``more`` (the next
    listing page) whenever the browser nears the end of what is listed; at the end it
    wraps to the top, where the pages that left the kernel's window are listed again."""
    grid = explorer.left.grid
    state = {"start": 0}

    async def run(count: int) -> Sample:
        cpu0, _ = clock.read()
        t0 = time.perf_counter()
        for _ in range(count):
            start = state["start"]
            await answer(explorer, start)
            if not grid.complete and start + 2 * BLOCK_ROWS >= grid.total:
                grid.handle({"kind": "more"})  # the browser nears the end of the rows
                await explorer.wait_idle()
            state["start"] = start + BLOCK_ROWS if start + BLOCK_ROWS < GRID_ENTRIES else 0
        elapsed = time.perf_counter() - t0
        cpu1, _ = clock.read()
        return Sample(count, elapsed, cpu1 - cpu0)

    return run


async def scroll_memory(storage: AsyncStorageManager) -> tuple[float, float, int]:
    """``(peak MiB, MiB at the end, entries held)`` of Python allocations above the first
    page, scrolling the 100,000-entry folder to its end and back to the top (tracemalloc,
    an untimed pass)."""
    explorer = StorageExplorer(storage)
    await explorer.wait_idle()
    tracemalloc.start()
    try:
        assert await explorer.navigate("disk:big")
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run = scroll_runner(explorer, CpuClock())
        await run(2 * GRID_ENTRIES // BLOCK_ROWS)  # to the end, and again from the top
        gc.collect()
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    paged = explorer.left.paged
    held = sum(len(p) for p in paged.held.values()) if paged is not None else -1
    explorer.close()
    await explorer.wait_idle()
    return (peak - base) / MIB, (now - base) / MIB, held


def first_page_runner(storage: AsyncStorageManager, clock: CpuClock, fresh: bool) -> Runner:
    """One operation = the first page of the 10,000-key prefix shown: in a fresh
    explorer (``fresh``: building it lists both panes' mount roots too), or by a
    navigation of an explorer already open (what a user waits for)."""

    async def run(count: int) -> Sample:
        elapsed = cpu = 0.0
        for _ in range(count):
            explorer = None if fresh else StorageExplorer(storage, page_size=200)
            if explorer is not None:
                await explorer.wait_idle()
            cpu0, _ = clock.read()
            t0 = time.perf_counter()
            if explorer is None:
                explorer = StorageExplorer(storage, page_size=200)
            assert await explorer.navigate("s3:many", side="left")
            assert explorer.left.grid.total == 200
            await answer(explorer, 0)
            elapsed += time.perf_counter() - t0
            cpu += clock.read()[0] - cpu0
            explorer.close()
            await explorer.wait_idle()
        return Sample(count, elapsed, cpu)

    return run


async def grid_measures(
    tmp: Path, rounds: int, pages: int
) -> tuple[dict[str, Measure], tuple[float, float, int]]:
    """The grid page rate scrolling 100,000 local entries (and its memory), and the S3
    first-page rates (fsspec and obstore engines)."""
    folder = tmp / "grid" / "big"
    folder.mkdir(parents=True)
    for number in range(GRID_ENTRIES):  # setup with plain os calls, not measured
        os.close(os.open(folder / f"f{number:07d}.csv", os.O_CREAT | os.O_WRONLY, 0o644))
    clock = CpuClock()
    results: dict[str, Measure] = {}
    disk = {"name": "disk", "type": "local", "path": str(tmp / "grid")}
    async with AsyncStorageManager([disk]) as storage:
        explorer = StorageExplorer(storage)
        await explorer.wait_idle()
        assert await explorer.navigate("disk:big")
        scroll = {"grid_page": scroll_runner(explorer, clock)}
        results.update(await compare(scroll, pages, rounds))
        explorer.close()
        memory = await scroll_memory(storage)
    server = S3Server()
    try:
        server.start()
        server.create_bucket("bench-explorer")
        target = target_of(server)
        import contextlib

        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, target, 50)
            sem = asyncio.Semaphore(50)

            async def put(number: int) -> None:
                async with sem:
                    key = f"many/k{number:06d}.parquet"
                    await client.put_object(Bucket="bench-explorer", Key=key, Body=b"x")

            await asyncio.gather(*(put(n) for n in range(S3_KEYS)))
        for engine in ("fsspec", "obstore"):
            mount = {"name": "s3", "type": "s3", "bucket": "bench-explorer",
                     "endpoint_url": target.endpoint_url, "key": target.key,
                     "secret": target.secret, "region": target.region,
                     "engine": engine}  # fmt: skip
            async with AsyncStorageManager([mount]) as storage:
                s3clock = CpuClock(server.pid)
                runners = {
                    f"s3_first_page_{engine}": first_page_runner(storage, s3clock, False),
                    f"s3_first_page_{engine}_fresh": first_page_runner(storage, s3clock, True),
                }
                results.update(await compare(runners, 4 * rounds, rounds, warmup=1))
    finally:
        server.stop()
    return results, memory


async def upload_growth(tmp: Path) -> tuple[float, float]:
    """``(MiB of RSS growth, seconds)`` for a 200 MiB upload sent to the grid in 1 MiB
    chunks, each waiting for the kernel's answer as the browser does."""
    (tmp / "upload").mkdir(parents=True, exist_ok=True)
    process = psutil.Process()
    block = os.urandom(CHUNK)
    disk = {"name": "disk", "type": "local", "path": str(tmp / "upload")}
    async with AsyncStorageManager([disk]) as storage:
        explorer = StorageExplorer(storage)
        await explorer.wait_idle()
        pane = explorer.left
        peak = before = process.memory_info().rss
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, process.memory_info().rss)
                time.sleep(0.005)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        for offset in range(0, UPLOAD_BYTES, CHUNK):
            last = offset + CHUNK >= UPLOAD_BYTES
            content: dict[str, Any] = {"kind": "upload", "action": "chunk", "id": "bench",
                                       "name": "big.bin", "size": UPLOAD_BYTES,
                                       "offset": offset, "last": last}  # fmt: skip
            pane.grid.handle(content, [memoryview(block)])
            while not last and not (
                pane.grid.sent and pane.grid.sent[-1].get("offset") == offset + CHUNK
            ):  # the browser waits for the answer before the next chunk
                await asyncio.sleep(0)
        await explorer.wait_idle()
        seconds = time.perf_counter() - t0
        stop.set()
        watcher.join()
        assert (tmp / "upload" / "big.bin").stat().st_size == UPLOAD_BYTES
        assert explorer.jobs.items[0].state == "done", explorer.errors
        explorer.close()
    return (peak - before) / MIB, seconds


async def explorer_section(tmp: Path, rounds: int, row: Any, section: Any) -> Any:
    """The section of ``run.py`` (its ``Row`` and ``Section`` classes are passed in)."""
    results, (peak, end, held) = await grid_measures(tmp, rounds, 2000)
    growth, seconds = await upload_growth(tmp)
    page = results["grid_page"]
    rows = [
        row("grid: kernel time per page (100 rows) scrolling 100,000 local entries",
            "grid_page", f"{1000 / page.rate:.2f} ms per page (goal < 50 ms)"),
    ]  # fmt: skip
    for engine in ("fsspec", "obstore"):
        for suffix, what in (("", "navigation, explorer open"), ("_fresh", "new explorer")):
            key = f"s3_first_page_{engine}{suffix}"
            rate = results[key].rate
            rows.append(row(f"grid: first page of a {S3_KEYS:,}-key S3 prefix (moto, {engine}), "
                            f"{what}", key, f"{1000 / rate:.0f} ms (goal < 300 ms)"))  # fmt: skip
    note = (
        "Kernel side only (no browser). A grid page is the kernel's answer to one `rows` "
        "request of the browser while scrolling from the top of a freshly listed "
        f"{GRID_ENTRIES:,}-entry local folder to its end (with `more` listing the next "
        "200 entries as the browser nears the end) and wrapping to the top, where pages "
        "that left the kernel's window are listed again from their cursor. Kernel memory "
        f"(tracemalloc, above the first page) while scrolling to the end and back: peak "
        f"**{peak:.1f} MiB**, {end:.1f} MiB at the end, {held:,} entries held (holding "
        f"all {GRID_ENTRIES:,} entries would take about 60 MiB). The S3 rows list the "
        "first 200 keys and answer the first block of rows: by a navigation in an open "
        "explorer, or building a new one (which lists both panes' mount roots too). "
        f"Streamed upload: {UPLOAD_BYTES // MIB} MiB sent to the grid in {CHUNK // MIB} "
        "MiB chunks (each waiting for the kernel's answer, as the browser does) into a "
        f"local mount raised the kernel's RSS by **{growth:.1f} MiB** (goal < 64 MiB), "
        f"{seconds:.1f} s."
    )
    return section("Explorer file grid", note, rows, results, unit="ops/s")


if __name__ == "__main__":
    import sys
    import tempfile

    async def main() -> None:
        with tempfile.TemporaryDirectory() as name:
            if "--upload" in sys.argv:
                growth, seconds = await upload_growth(Path(name))
                print(f"upload 200 MiB: +{growth:.1f} MiB RSS, {seconds:.1f} s")
                return
            results, (peak, end, held) = await grid_measures(Path(name), 2, 2000)
            for key, measure in results.items():
                print(f"{key}: {1000 / measure.rate:.2f} ms per op")
            print(f"scroll memory: peak +{peak:.1f} MiB, end +{end:.1f} MiB, {held} held")

    asyncio.run(main())
