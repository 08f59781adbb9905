"""``run.py``'s network sections: HTTP (tests/servers.py ``HTTPServer`` in a child
process, with and without latency), S3 (moto: the async mount vs raw aioboto3 and s3fs vs
the sync API) and the S3/Azure engines against a server that answers at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from harness import (
    KIB,
    ROOT,
    AsyncOp,
    CpuClock,
    Measure,
    Runner,
    async_runner,
    compare,
    pool_runner,
    sync_runner,
)
from run_common import (
    BUCKET,
    FILE_SIZE,
    FILES,
    HTTP_LATENCY,
    NET_THREADS,
    S3_CONCURRENCY,
    Row,
    Section,
    cycle,
    make_files,
)
from s3_clients import Target, aioboto3_client, s3fs_fs, target_of
from servers import S3Server

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

# --------------------------------------------------------------------------- http

# Runs tests/servers.py's HTTPServer in a child process, so that neither its CPU time
# nor its GIL use is charged to the client being measured. Stops when stdin closes.
_HTTP_LAUNCHER = """
import sys
sys.path.insert(0, sys.argv[1])
from servers import HTTPServer
server = HTTPServer(root=sys.argv[2], latency=float(sys.argv[3])).start()
try:
    print(server.endpoint_url, flush=True)
    sys.stdin.read()
finally:
    server.stop()
"""


class HTTPServerProcess:
    """``HTTPServer(root, latency=...)`` from tests/servers.py, in a child process."""

    def __init__(self, root: Path, latency: float) -> None:
        self.root = root
        self.latency = latency
        self.endpoint_url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> HTTPServerProcess:
        """Start the server and wait for its URL."""
        cmd = [sys.executable, "-c", _HTTP_LAUNCHER, str(ROOT / "tests"), str(self.root)]
        self.process = subprocess.Popen(
            [*cmd, str(self.latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.endpoint_url = self.process.stdout.readline().strip()
        if not self.endpoint_url.startswith("http"):
            self.stop()
            raise RuntimeError("the HTTP server did not start")
        return self

    def stop(self) -> None:
        """Close its stdin (it stops itself), then make sure it is gone."""
        proc, self.process = self.process, None
        if proc is None:
            return
        with contextlib.suppress(BrokenPipeError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> HTTPServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def http_section(tmp: Path, n: int, rounds: int) -> Section:
    """Concurrent small reads over HTTP with latency, and per-request cost without it."""
    root = tmp / "http"
    names = [p.name for p in make_files(root, FILES, FILE_SIZE)]
    results: dict[str, Measure] = {}
    for latency in (HTTP_LATENCY, 0.0):
        with HTTPServerProcess(root, latency) as server:
            results.update(await _http_variants(server.endpoint_url, names, latency, n, rounds))
    c = FILES
    slow = f"{HTTP_LATENCY * 1000:.0f} ms"
    op_lat = f"http: {FILES} files of {FILE_SIZE // KIB} KiB, {slow} per request"
    op_raw = f"http: read a {FILE_SIZE // KIB} KiB file, no added latency"
    rows = [
        Row(op_lat, "raw_aiohttp", f"raw aiohttp `session.get`, {c} tasks"),
        Row(
            op_lat, "api_native", f"async API `read_bytes()` (native), {c} tasks", ("raw_aiohttp",)
        ),
        Row(
            op_lat,
            "api_thread",
            f"async API, `async_mode: thread`, {c} tasks",
            ("api_native",),
        ),
        Row(op_lat, "sync_seq", "sync API, sequential", ("api_native",)),
        Row(op_lat, "sync_pool", f"sync API in {NET_THREADS} threads", ("api_native", "sync_seq")),
        Row(op_raw, "raw_aiohttp_1", "raw aiohttp `session.get`, 1 task"),
        Row(op_raw, "api_native_1", "async API `read_bytes()`, 1 task", ("raw_aiohttp_1",)),
        Row(op_raw, "sync_seq_1", "sync API, sequential", ("api_native_1",)),
    ]
    note = (
        "tests/servers.py `HTTPServer` in a child process (its CPU is not counted). "
        f"With latency: {n} reads per async variant (all {FILES} files at once), "
        f"{max(n // 4, FILES // 2)} for the sequential sync API. The aiohttp sessions keep "
        "their default pool of 100 connections. Without latency: one read at a time, "
        "to show the per-request cost."
    )
    return Section("HTTP", note, rows, results)


async def _http_variants(
    url: str, names: list[str], latency: float, n: int, rounds: int
) -> dict[str, Measure]:
    clock = CpuClock()
    conf = [{"name": "web", "type": "http", "base_url": url}]
    thread_conf = [{**conf[0], "async_mode": "thread"}]
    async with (
        AsyncStorageManager(conf) as amgr,
        AsyncStorageManager(thread_conf) as tmgr,
        aiohttp.ClientSession() as session,
    ):
        with StorageManager(conf) as smgr:
            anodes = [amgr.node(f"web:{name}") for name in names]
            tnodes = [tmgr.node(f"web:{name}") for name in names]
            snodes = [smgr.node(f"web:{name}") for name in names]

            async def raw_get(i: int) -> bytes:
                async with session.get(f"{url}/{names[cycle(i)]}") as resp:
                    resp.raise_for_status()
                    return await resp.read()

            async def api_native(i: int) -> bytes:
                return await anodes[cycle(i)].read_bytes()

            async def api_thread(i: int) -> bytes:
                return await tnodes[cycle(i)].read_bytes()

            def sync_api(i: int) -> bytes:
                return snodes[cycle(i)].read_bytes()

            if latency:
                c = FILES
                variants: dict[str, Runner] = {
                    "raw_aiohttp": async_runner(raw_get, c, clock),
                    "api_native": async_runner(api_native, c, clock),
                    "api_thread": async_runner(api_thread, c, clock),
                    "sync_seq": sync_runner(sync_api, clock),
                    "sync_pool": pool_runner(sync_api, NET_THREADS, clock),
                }
                counts = {"sync_seq": max(n // 4, FILES // 2)}
                warmup = {**dict.fromkeys(variants, FILES), "sync_seq": 5}
                return await compare(variants, n, rounds, warmup=warmup, counts=counts)
            variants = {
                "raw_aiohttp_1": async_runner(raw_get, 1, clock),
                "api_native_1": async_runner(api_native, 1, clock),
                "sync_seq_1": sync_runner(sync_api, clock),
            }
            return await compare(variants, n, rounds, warmup=20)


# --------------------------------------------------------------------------- s3


async def s3_section(n: int, rounds: int) -> Section:
    """Small GETs with 50 in flight: the async mount vs raw clients vs the sync API."""
    server = S3Server()
    try:
        server.start()
        server.create_bucket(BUCKET)
        results = await _s3_variants(target_of(server), n, rounds)
    finally:
        server.stop()
    c = S3_CONCURRENCY
    op = f"s3 (moto): read a {FILE_SIZE // KIB} KiB object, {c} in flight"
    rows = [
        Row(op, "raw_aioboto3", "raw aioboto3 `get_object` + `read`"),
        Row(op, "raw_s3fs", "raw s3fs `_cat_file` (HEAD + GET)", ("raw_aioboto3",)),
        Row(op, "raw_s3fs_1", "raw s3fs `_cat_file(max_concurrency=1)` (GET)", ("raw_aioboto3",)),
        Row(op, "api_native", "async API `read_bytes()` (native)", ("raw_s3fs", "raw_aioboto3")),
        Row(op, "api_thread", "async API, `async_mode: thread`", ("api_native",)),
        Row(op, "sync_seq", "sync API, sequential", ("api_native",)),
        Row(op, "sync_pool", f"sync API in {NET_THREADS} threads", ("api_native", "sync_seq")),
    ]
    note = (
        f"moto on loopback, {FILES} objects, {n} reads per variant ({n // 2} for the "
        f"sequential sync API); every client's pool is {c} connections (the mounts set "
        f"`max_concurrency: {c}`). moto needs 2-3 ms of CPU per request, so it bounds "
        "every row; client CPU per read shows what each layer costs."
    )
    return Section("S3", note, rows, results)


async def _s3_variants(t: Target, n: int, rounds: int) -> dict[str, Measure]:
    clock = CpuClock()
    c = S3_CONCURRENCY
    keys = [f"small/f{i:03d}.bin" for i in range(FILES)]
    mount = {
        "name": "s3",
        "type": "s3",
        "bucket": BUCKET,
        "endpoint_url": t.endpoint_url,
        "key": t.key,
        "secret": t.secret,
        "region": t.region,
        "max_concurrency": c,
    }
    async with contextlib.AsyncExitStack() as stack:
        client = await aioboto3_client(stack, t, c)
        fs = await s3fs_fs(stack, t, c)
        for start in range(0, FILES, 50):
            await asyncio.gather(
                *(
                    client.put_object(Bucket=BUCKET, Key=k, Body=os.urandom(FILE_SIZE))
                    for k in keys[start : start + 50]
                )
            )
        amgr = await stack.enter_async_context(AsyncStorageManager([mount]))
        tmgr = await stack.enter_async_context(
            AsyncStorageManager([{**mount, "async_mode": "thread"}])
        )
        smgr = stack.enter_context(StorageManager([mount]))
        anodes = [amgr.node(f"s3:{k}") for k in keys]
        tnodes = [tmgr.node(f"s3:{k}") for k in keys]
        snodes = [smgr.node(f"s3:{k}") for k in keys]

        async def raw_aioboto3(i: int) -> bytes:
            resp = await client.get_object(Bucket=BUCKET, Key=keys[cycle(i)])
            async with resp["Body"] as body:
                return await body.read()

        def s3fs_cat(**kwargs: Any) -> AsyncOp:
            async def op(i: int) -> bytes:
                return await fs._cat_file(f"{BUCKET}/{keys[cycle(i)]}", **kwargs)

            return op

        def api(nodes: list[Any]) -> AsyncOp:
            async def op(i: int) -> bytes:
                return await nodes[cycle(i)].read_bytes()

            return op

        def sync_api(i: int) -> bytes:
            return snodes[cycle(i)].read_bytes()

        variants: dict[str, Runner] = {
            "raw_aioboto3": async_runner(raw_aioboto3, c, clock),
            "raw_s3fs": async_runner(s3fs_cat(), c, clock),
            "raw_s3fs_1": async_runner(s3fs_cat(max_concurrency=1), c, clock),
            "api_native": async_runner(api(anodes), c, clock),
            "api_thread": async_runner(api(tnodes), c, clock),
            "sync_seq": sync_runner(sync_api, clock),
            "sync_pool": pool_runner(sync_api, NET_THREADS, clock),
        }
        return await compare(variants, n, rounds, warmup=c, counts={"sync_seq": n // 2})


# --------------------------------------------------------------------------- engines


async def engines_section(n: int, rounds: int, tmp: Path) -> Section:
    """The S3 engines against a server that answers at once (``engines.py``)."""
    from engines import GET_CONCURRENCY, TREE_FILE_SIZE, TREE_FILES, engines_measures

    results = await engines_measures(n, rounds, tmp)
    get = f"GET a 4 KiB object, {GET_CONCURRENCY} in flight"
    one = "GET a 4 KiB object, one at a time (sync)"
    tree = f"copy a tree of {TREE_FILES:,} files of {TREE_FILE_SIZE // KIB} KiB, local -> S3"
    listing = "list 10,000 keys (one folder, all pages)"
    az_get = f"Azure (Azurite): GET a 4 KiB blob, {GET_CONCURRENCY} in flight"
    az_one = "Azure (Azurite): GET a 4 KiB blob, one at a time (sync)"
    rows = [
        Row(get, "raw_aiobotocore", "raw aiobotocore `get_object` (s3fs, aioboto3)"),
        Row(get, "raw_obstore", "raw obstore `get_async`", ("raw_aiobotocore",)),
        Row(get, "async_obstore", "async API, engine obstore", ("raw_obstore",)),
        Row(get, "async_fsspec", "async API, engine fsspec", ("raw_aiobotocore",)),
        Row(one, "raw_boto3", "raw boto3 `get_object`"),
        Row(one, "raw_obstore_sync", "raw obstore `get` (sync)", ("raw_boto3",)),
        Row(one, "sync_obstore", "sync API, engine obstore", ("raw_obstore_sync",)),
        Row(one, "sync_fsspec", "sync API, engine fsspec", ("raw_boto3",)),
        Row(tree, "copy_async_obstore", "async API `copy`, engine obstore"),
        Row(tree, "copy_async_fsspec", "async API `copy`, engine fsspec", ("copy_async_obstore",)),
        Row(tree, "copy_sync_obstore", "sync API `copy`, engine obstore"),
        Row(tree, "copy_sync_fsspec", "sync API `copy`, engine fsspec", ("copy_sync_obstore",)),
        Row(listing, "list_raw_aiobotocore", "raw aiobotocore paginator (delimiter '/')"),
        Row(listing, "list_raw_obstore", "raw obstore `list_with_delimiter_async`"),
        Row(listing, "list_async_obstore", "async API `children()`, engine obstore"),
        Row(listing, "list_async_fsspec", "async API `children()`, engine fsspec"),
        Row(listing, "list_sync_obstore", "sync API `children()`, engine obstore"),
        Row(listing, "list_sync_fsspec", "sync API `children()`, engine fsspec"),
        Row(az_get, "az_raw_sdk", "raw Azure SDK (aio) `download_blob`"),
        Row(az_get, "az_raw_obstore", "raw obstore `get_async`", ("az_raw_sdk",)),
        Row(az_get, "az_async_obstore", "async API, engine obstore", ("az_raw_obstore",)),
        Row(az_get, "az_async_fsspec", "async API, engine fsspec (adlfs)", ("az_raw_sdk",)),
        Row(az_one, "az_raw_sdk_sync", "raw Azure SDK `download_blob`"),
        Row(az_one, "az_raw_obstore_sync", "raw obstore `get`", ("az_raw_sdk_sync",)),
        Row(az_one, "az_sync_obstore", "sync API, engine obstore", ("az_raw_obstore_sync",)),
        Row(az_one, "az_sync_fsspec", "sync API, engine fsspec (adlfs)", ("az_raw_sdk_sync",)),
    ]
    note = (
        "A minimal aiohttp S3 responder (`benchmarks/fast_s3.py`, a subprocess) that answers "
        "at once, so the client's cost shows (moto needs 2-3 ms of CPU per request). "
        f"{n} GETs per async variant ({n // 4} for the botocore rows); tree copies and "
        "listings count one whole copy or listing per operation. Client CPU is this "
        "process's `time.process_time()` per operation. The Azure rows run against "
        f"Azurite ({n // 4} GETs per variant): its own CPU per request bounds their rates, "
        "so compare their client CPU."
    )
    return Section("S3 and Azure engines", note, rows, results)
