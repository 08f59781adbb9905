"""``goals.py``'s network rows: HTTP GETs against raw aiohttp (the server in a child
process, with latency) and a tree copy from local disk into S3 (moto) against raw aioboto3.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from goals_common import LAST_CPU_MS, Result, gather_bounded, make_files, side_by_side, timed_async

from genro_storage.async_ import AsyncStorageManager


async def row_http(tmp: Path, repeats: int, quick: bool) -> list[Result]:
    """500 GETs with 20 ms latency at concurrency 50: the native mount vs raw aiohttp."""
    import aiohttp
    from run_network_sections import HTTPServerProcess

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
    from s3_clients import aioboto3_client, target_of
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
