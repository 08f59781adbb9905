"""The explorer's file grid, measured in the kernel (no browser): the work behind one
page of rows while scrolling 100,000 local entries, the first page of a 10,000-key S3
prefix, and the kernel memory a 200 MiB streamed upload adds.

Used by ``run.py --only explorer`` (the section) and runnable alone for a quick look:
``python benchmarks/explorer_bench.py``.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from harness import MIB, CpuClock, Measure, Runner, Sample, compare
from s3_libraries import aioboto3_client, target_of
from servers import S3Server

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.grid import BLOCK_ROWS

GRID_ENTRIES = 100_000
S3_KEYS = 10_000
UPLOAD_BYTES = 200 * MIB
CHUNK = 1 * MIB


def page_runner(explorer: StorageExplorer, clock: CpuClock) -> Runner:
    """One operation = the kernel's answer to one ``rows`` request of the browser (a
    block of 100 rows), pages taken in scrolling order, wrapping at the end."""
    grid = explorer.left.grid
    state = {"start": 0}

    async def run(count: int) -> Sample:
        cpu0, _ = clock.read()
        t0 = time.perf_counter()
        for _ in range(count):
            start = state["start"]
            grid.handle({"kind": "rows", "start": start, "count": BLOCK_ROWS,
                         "version": grid.version})  # fmt: skip
            state["start"] = (start + BLOCK_ROWS) % grid.total
        elapsed = time.perf_counter() - t0
        cpu1, _ = clock.read()
        return Sample(count, elapsed, cpu1 - cpu0)

    return run


def first_page_runner(storage: AsyncStorageManager, clock: CpuClock) -> Runner:
    """One operation = a fresh explorer pane showing the first page of the prefix."""

    async def run(count: int) -> Sample:
        cpu0, _ = clock.read()
        t0 = time.perf_counter()
        for _ in range(count):
            explorer = StorageExplorer(storage, page_size=200)
            assert await explorer.navigate("s3:many", side="left")
            assert explorer.left.grid.total == 200
            explorer.left.grid.handle({"kind": "rows", "start": 0, "count": BLOCK_ROWS,
                                       "version": explorer.left.grid.version})  # fmt: skip
            explorer.close()
            await explorer.wait_idle()
        elapsed = time.perf_counter() - t0
        cpu1, _ = clock.read()
        return Sample(count, elapsed, cpu1 - cpu0)

    return run


async def grid_measures(tmp: Path, rounds: int, pages: int) -> dict[str, Measure]:
    """The grid page rate over 100,000 local entries and the S3 first-page rate."""
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
        assert await explorer.left.list_all()  # the whole folder, as End does
        results.update(await compare({"grid_page": page_runner(explorer, clock)}, pages, rounds))
        explorer.close()
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
        mount = {"name": "s3", "type": "s3", "bucket": "bench-explorer",
                 "endpoint_url": target.endpoint_url, "key": target.key,
                 "secret": target.secret, "region": target.region}  # fmt: skip
        async with AsyncStorageManager([mount]) as storage:
            runner = first_page_runner(storage, CpuClock(server.pid))
            results.update(await compare({"s3_first_page": runner}, 4 * rounds, rounds, warmup=1))
    finally:
        server.stop()
    return results


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
    results = await grid_measures(tmp, rounds, 2000)
    growth, seconds = await upload_growth(tmp)
    page, first = results["grid_page"], results["s3_first_page"]
    rows = [
        row("grid: kernel answer to one page (100 rows) scrolling 100,000 local entries",
            "grid_page", f"{1000 / page.rate:.2f} ms per page (goal < 50 ms)"),
        row(f"grid: first page of a {S3_KEYS:,}-key S3 prefix (moto), new pane",
            "s3_first_page", f"{1000 / first.rate:.0f} ms (goal < 300 ms)"),
    ]  # fmt: skip
    note = (
        "Kernel side only (no browser): a page is what `FileGrid.handle` does for one "
        "`rows` request after End listed the whole folder; the S3 row builds an explorer, "
        "lists the first 200 keys and answers the first block of rows. Streamed upload: "
        f"{UPLOAD_BYTES // MIB} MiB sent to the grid in {CHUNK // MIB} MiB chunks (each "
        "waiting for the kernel's answer, as the browser does) into a local mount raised "
        f"the kernel's RSS by **{growth:.1f} MiB** (goal < 64 MiB), {seconds:.1f} s."
    )
    return section("Explorer file grid", note, rows, results, unit="ops/s")


if __name__ == "__main__":
    import tempfile

    async def main() -> None:
        with tempfile.TemporaryDirectory() as name:
            growth, seconds = await upload_growth(Path(name))
            print(f"upload 200 MiB: +{growth:.1f} MiB RSS, {seconds:.1f} s")

    asyncio.run(main())
