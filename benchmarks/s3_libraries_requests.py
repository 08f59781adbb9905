"""The request-bound cases of ``s3_libraries.py``: the server's ceiling (unsigned
aiohttp), small-object GETs at several concurrencies, the paginated listing, and the pool
cap against a moto that waits before every request (``LatencyS3Server``)."""

from __future__ import annotations

import contextlib
import os
import sys
import urllib.request
from pathlib import Path

import aiohttp
from harness import KIB, AsyncOp, CpuClock, Measure, run_ops
from s3_clients import Target, aioboto3_client, s3fs_fs, target_of
from s3_libraries_common import (
    BUCKET,
    CONCURRENCIES,
    DEFAULT_POOL,
    LATENCY,
    LIST_KEYS,
    SMALL_OBJECTS,
    SMALL_SIZES,
    Row,
    aioboto3_get,
    compare_ops,
    put_many,
    s3fs_cat,
    small_key,
)
from servers import S3Server


class LatencyS3Server(S3Server):
    """moto behind a WSGI wrapper that sleeps ``latency`` s before every S3 request.

    The wrapper also counts requests in flight: ``GET /_bench/inflight`` answers the
    highest count seen since the previous such request.
    """

    name = "s3-latency"

    _LAUNCHER = """
import os, sys, threading, time
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
host, port, latency = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
state = {"now": 0, "max": 0}
def delayed(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/_bench/inflight":
        with lock:
            body, state["max"] = str(state["max"]).encode(), state["now"]
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    if path.startswith("/moto-api"):
        return app(environ, start_response)
    with lock:
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
    try:
        time.sleep(latency)
        return app(environ, start_response)
    finally:
        with lock:
            state["now"] -= 1
run_simple(host, port, delayed, threaded=True, request_handler=MotoRequestHandler)
"""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.external = False  # the latency wrapper only exists for a local moto
        self.latency = latency

    def _command(self, port: int, data_dir: Path) -> list[str]:
        return [sys.executable, "-c", self._LAUNCHER, self.host, str(port), str(self.latency)]

    def max_inflight(self) -> int:
        """Most requests in flight at once since the previous call."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_bench/inflight", timeout=10) as resp:
            return int(resp.read())


async def baseline(t: Target, n: int, rounds: int) -> tuple[list[tuple[str, int, Measure]], str]:
    """The server's ceiling: unsigned aiohttp GET/HEAD, no botocore on the client.

    Also returns the ``Connection`` header moto answers with.
    """
    clock = CpuClock(t.pid)
    out: list[tuple[str, int, Measure]] = []
    connection = "(none)"
    for conc in (1, 10, 50):
        connector = aiohttp.TCPConnector(limit=conc)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def get(i: int, session: aiohttp.ClientSession = session) -> bytes:
                nonlocal connection
                url = f"{t.endpoint_url}/{BUCKET}/{small_key(KIB, i)}"
                async with session.get(url) as resp:
                    resp.raise_for_status()
                    connection = resp.headers.get("Connection", "(none)")
                    return await resp.read()

            async def head(i: int, session: aiohttp.ClientSession = session) -> int:
                url = f"{t.endpoint_url}/{BUCKET}/{small_key(KIB, i)}"
                async with session.head(url) as resp:
                    resp.raise_for_status()
                    return resp.status

            variants: dict[str, AsyncOp] = {"GET": get}
            if conc == 50:
                variants["HEAD"] = head
            res = await compare_ops(variants, n, conc, rounds, clock, warmup=conc)
        out += [(f"raw aiohttp {name} 1 KiB", conc, m) for name, m in res.items()]
    return out, connection


async def small_gets(t: Target, n: int, rounds: int) -> list[Row]:
    """GET of 1 KiB / 64 KiB objects, pool sized to concurrency, then the default pool.

    s3fs's plain ``_cat_file`` sends HEAD + GET per read, so it runs ``n // 2`` reads.
    """
    clock = CpuClock(t.pid)
    rows: list[Row] = []
    plan: list[tuple[int, int | None, tuple[int, ...]]] = [
        (c, c, SMALL_SIZES) for c in CONCURRENCIES
    ]
    plan += [(c, None, (KIB,)) for c in (50, 200)]
    a_call = "`get_object` + `read`"
    b_calls = {"b": "`_cat_file` (HEAD+GET)", "b1": "`_cat_file(max_concurrency=1)`"}
    for conc, pool, sizes in plan:
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, pool)
            fs = await s3fs_fs(stack, t, pool)
            for size in sizes:
                variants = {
                    "a": aioboto3_get(client, size),
                    "b1": s3fs_cat(fs, size, max_concurrency=1),
                }
                if pool:  # the default-pool rows compare like with like: one GET each
                    variants["b"] = s3fs_cat(fs, size)
                res = await compare_ops(
                    variants, n, conc, rounds, clock, warmup=conc, counts={"b": n // 2}
                )
                pool_txt = f"{pool}" if pool else f"{DEFAULT_POOL} (default)"
                case = f"GET {size // KIB} KiB, c={conc}, pool={pool_txt}"
                rows += [
                    Row(case, a_call, res["a"], call, res[key], "reads/s")
                    for key, call in b_calls.items()
                    if key in res
                ]
    return rows


async def listing(t: Target, rounds: int) -> list[Row]:
    """List ``list/`` (paginated, 1,000 keys a page) and check the count."""
    clock = CpuClock(t.pid)
    async with contextlib.AsyncExitStack() as stack:
        client = await aioboto3_client(stack, t, None)
        fs = await s3fs_fs(stack, t, None)
        expected = LIST_KEYS

        async def a_list(_: int) -> None:
            count = 0
            paginator = client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=BUCKET, Prefix="list/"):
                count += len(page.get("Contents", []))
            assert count == expected, count

        async def b_find(_: int) -> None:
            fs.invalidate_cache()
            found = await fs._find(f"{BUCKET}/list/")
            assert len(found) == expected, len(found)

        async def b_ls(_: int) -> None:
            found = await fs._ls(f"{BUCKET}/list/", refresh=True)
            assert len(found) == expected, len(found)

        async def b_find_versions(_: int) -> None:
            fs_v.invalidate_cache()
            found = await fs_v._find(f"{BUCKET}/list/")
            assert len(found) == expected, len(found)

        fs_v = await s3fs_fs(stack, t, None, version_aware=True)
        variants = {"a": a_list, "b_find": b_find, "b_ls": b_ls, "b_v": b_find_versions}
        res = await compare_ops(variants, rounds, 1, rounds, clock)
    case = f"list {LIST_KEYS:,} keys"
    pager = "paginator `list_objects_v2`"
    calls = {
        "b_find": "`_find` (no delimiter)",
        "b_ls": "`_ls(refresh=True)` (delimiter /)",
        "b_v": "`_find`, `version_aware=True` (`list_object_versions`)",
    }
    return [Row(case, pager, res["a"], call, res[k], "listings/s") for k, call in calls.items()]


async def pool_cap(n: int) -> list[tuple[str, int, int | None, Measure, int]]:
    """Default pool vs sized pool against moto with ``LATENCY`` s per request."""
    server = LatencyS3Server(LATENCY)
    out: list[tuple[str, int, int | None, Measure, int]] = []
    try:
        server.start()
        server.create_bucket(BUCKET)
        t = target_of(server)
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, 50)
            items = [(small_key(KIB, i), os.urandom(KIB)) for i in range(SMALL_OBJECTS)]
            await put_many(client, items)
        clock = CpuClock(t.pid)
        for conc in (50, 200):
            for pool in (None, conc):
                for lib in ("aioboto3", "s3fs"):
                    async with contextlib.AsyncExitStack() as stack:
                        if lib == "aioboto3":
                            op = aioboto3_get(await aioboto3_client(stack, t, pool), KIB)
                        else:
                            fs = await s3fs_fs(stack, t, pool)
                            op = s3fs_cat(fs, KIB, max_concurrency=1)
                        await run_ops(op, conc, conc, clock)
                        server.max_inflight()  # reset the counter
                        m = (await run_ops(op, n, conc, clock)).measure()
                        out.append((lib, conc, pool, m, server.max_inflight()))
    finally:
        server.stop()
    return out
