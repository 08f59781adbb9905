"""``goals.py``'s local disk and memory rows: async and sync small-file reads against
their floors (a plain sync loop, raw ``Path.read_bytes()``, a gather around a dict lookup).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from goals_common import (
    SIZE,
    Result,
    gather_bounded,
    make_files,
    side_by_side,
    timed_async,
    timed_sync,
)

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager


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
