"""``run.py``'s in-process sections: local disk (every way the library reads a small
file, against raw ``to_thread`` and aiofiles) and memory (the thread wrapper's cost)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiofiles
from harness import (
    KIB,
    CpuClock,
    Runner,
    async_runner,
    compare,
    pool_runner,
    sync_runner,
)
from run_common import FILE_SIZE, FILES, LOCAL_CONCURRENCY, Row, Section, cycle, make_files

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

# --------------------------------------------------------------------------- local


async def local_section(tmp: Path, n: int, rounds: int) -> Section:
    """Whole-file reads of small local files, every way the library offers."""
    clock = CpuClock()
    root = tmp / "local"
    paths = make_files(root, FILES, FILE_SIZE)
    names = [p.name for p in paths]
    conf = [{"name": "local", "type": "local", "path": str(root)}]
    c = LOCAL_CONCURRENCY
    async with AsyncStorageManager(conf) as amgr:
        with StorageManager(conf) as smgr:
            anodes = [amgr.node(f"local:{name}") for name in names]
            snodes = [smgr.node(f"local:{name}") for name in names]

            async def raw_thread(i: int) -> bytes:
                return await asyncio.to_thread(paths[cycle(i)].read_bytes)

            async def raw_aiofiles(i: int) -> bytes:
                async with aiofiles.open(paths[cycle(i)], "rb") as f:
                    return await f.read()

            async def api_read(i: int) -> bytes:
                return await anodes[cycle(i)].read_bytes()

            async def api_open(i: int) -> bytes:
                async with anodes[cycle(i)].open("rb") as f:
                    return await f.read()

            def sync_raw(i: int) -> bytes:
                return paths[cycle(i)].read_bytes()

            def sync_api(i: int) -> bytes:
                return snodes[cycle(i)].read_bytes()

            variants: dict[str, Runner] = {
                "sync_raw": sync_runner(sync_raw, clock),
                "sync_api": sync_runner(sync_api, clock),
                "sync_pool": pool_runner(sync_api, c, clock),
                "raw_thread_1": async_runner(raw_thread, 1, clock),
                "api_read_1": async_runner(api_read, 1, clock),
                "raw_aiofiles_1": async_runner(raw_aiofiles, 1, clock),
                "api_open_1": async_runner(api_open, 1, clock),
                "raw_thread_c": async_runner(raw_thread, c, clock),
                "api_read_c": async_runner(api_read, c, clock),
                "api_open_c": async_runner(api_open, c, clock),
            }
            results = await compare(variants, n, rounds, warmup=c)
    op = f"local: read a {FILE_SIZE // KIB} KiB file whole"
    rows = [
        Row(op, "sync_raw", "raw `Path.read_bytes()` loop (no library)"),
        Row(op, "sync_api", "sync API `node.read_bytes()` loop", ("sync_raw",)),
        Row(op, "sync_pool", f"sync API in {c} threads", ("sync_api",)),
        Row(op, "raw_thread_1", "raw `await to_thread(Path.read_bytes)`, 1 task"),
        Row(
            op,
            "api_read_1",
            "async API `read_bytes()` (one thread hop), 1 task",
            ("raw_thread_1", "sync_api"),
        ),
        Row(op, "raw_aiofiles_1", "raw aiofiles open+read+close, 1 task", ("raw_thread_1",)),
        Row(
            op,
            "api_open_1",
            "async API `open('rb')` + `read()` (aiofiles), 1 task",
            ("raw_aiofiles_1", "api_read_1"),
        ),
        Row(op, "raw_thread_c", f"raw `await to_thread(Path.read_bytes)`, {c} tasks"),
        Row(op, "api_read_c", f"async API `read_bytes()`, {c} tasks", ("raw_thread_c", "sync_api")),
        Row(op, "api_open_c", f"async API `open` + `read` (aiofiles), {c} tasks", ("api_read_c",)),
    ]
    note = (
        f"{FILES} files of {FILE_SIZE // KIB} KiB read round-robin, {n} reads per variant "
        f"in {rounds} rounds. "
        "The library's thread hops use its own I/O pool "
        "(`GENRO_STORAGE_THREADS`, default 32); raw `to_thread` rows use asyncio's default "
        f"executor ({min(32, (os.cpu_count() or 1) + 4)} threads here)."
    )
    return Section("Local disk", note, rows, results)


# --------------------------------------------------------------------------- memory


async def memory_section(n: int, rounds: int) -> Section:
    """The thread wrapper's cost: the memory mount through both APIs."""
    clock = CpuClock()
    c = LOCAL_CONCURRENCY
    async with AsyncStorageManager([{"name": "mem", "type": "memory"}]) as amgr:
        anodes = [amgr.node(f"mem:f{i:03d}.bin") for i in range(FILES)]
        for node in anodes:
            await node.write_bytes(os.urandom(FILE_SIZE))
        smgr = amgr.as_sync()  # shares the memory store
        snodes = [smgr.node(node.fullpath) for node in anodes]

        async def api_read(i: int) -> bytes:
            return await anodes[cycle(i)].read_bytes()

        def sync_api(i: int) -> bytes:
            return snodes[cycle(i)].read_bytes()

        variants: dict[str, Runner] = {
            "sync_api": sync_runner(sync_api, clock),
            "api_read_1": async_runner(api_read, 1, clock),
            "api_read_c": async_runner(api_read, c, clock),
        }
        results = await compare(variants, n, rounds, warmup=c)
    op = f"memory: read a {FILE_SIZE // KIB} KiB file"
    rows = [
        Row(op, "sync_api", "sync API `read_bytes()` loop"),
        Row(op, "api_read_1", "async API (thread wrapper), 1 task", ("sync_api",)),
        Row(op, "api_read_c", f"async API (thread wrapper), {c} tasks", ("sync_api",)),
    ]
    note = (
        f"{n} reads per variant in {rounds} rounds; every async read is one "
        "thread hop on the library's I/O pool."
    )
    return Section("Memory (thread wrapper)", note, rows, results)
