"""genro-storage benchmarks: native async vs thread wrapper vs sync, and this library vs
the raw client it wraps, in one run on the same data and servers; reports ratios.

    .venv/bin/python benchmarks/run.py [--quick]

Sections: local disk (AsyncLocalBackend's one thread hop, aiofiles streaming, the sync
API in a loop and in a thread pool, raw ``to_thread(Path.read_bytes)`` and raw
aiofiles), memory (thread wrapper vs sync), HTTP (tests/servers.py ``HTTPServer`` with
20 ms per request: native aiohttp mount vs raw aiohttp vs the sync API), and S3 (moto:
the async mount vs raw aioboto3 and s3fs vs the sync API, 50 requests in flight), and
Parquet (pandas reading a 64 MiB file from moto through ``genro://`` vs s3fs directly),
``zip`` (a 1 GiB local tree zipped into S3 with ``zip(dst)``: throughput and memory growth),
and listing scale (``children()`` of memory and local folders of 50k, 100k and 200k
entries), the explorer's file grid (``explorer_bench.py``), and the rows of issue 12
(``goals.py``: each workload against its floor, medians of alternating repeats). Prints a
Markdown table and writes it to ``benchmarks/results/latest.md``;
``--only parquet`` (say) runs some sections only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiofiles
import aiohttp
from explorer_bench import explorer_section
from harness import (
    KIB,
    MIB,
    RESULTS_DIR,
    ROOT,
    AsyncOp,
    CpuClock,
    Measure,
    Runner,
    Sample,
    async_runner,
    compare,
    fmt,
    machine,
    pool_runner,
    publish,
    step,
    sync_runner,
)
from s3_clients import Target, aioboto3_client, s3fs_fs, target_of
from servers import S3Server

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

FILE_SIZE = 4 * KIB
FILES = 200  # distinct small files per store, read round-robin
LOCAL_CONCURRENCY = 16  # async tasks / pool threads for the local and memory rows
HTTP_LATENCY = 0.02  # seconds the HTTP server waits before each answer
LOCAL_ROUND_FACTOR = 4  # local/memory variants run in 4x as many (shorter) rounds
NET_THREADS = 50  # pool threads for the sync API on HTTP and S3
S3_CONCURRENCY = 50
BUCKET = "bench"
PARQUET_SIZE = 64 * MIB  # about; the report gives the exact size
PARQUET_KEY = "parquet/big.parquet"
RESULTS = RESULTS_DIR / "latest.md"
SECTIONS = (
    "local", "memory", "http", "listing", "s3", "engines", "parquet", "zip", "explorer", "goals"
)  # fmt: skip
ZIP_TREE = 1024 * MIB  # the zip section's tree (--quick: a quarter)


@dataclass
class Row:
    """One line of the report: ``refs`` name the rows (same section) it is compared to."""

    operation: str
    key: str
    variant: str
    refs: tuple[str, ...] = ()


@dataclass
class Section:
    """Rows measured together; ``results`` maps row key to its measure."""

    title: str
    note: str
    rows: list[Row]
    results: dict[str, Measure]
    unit: str = "ops/s"  # what ``Measure.rate`` counts
    finding: str = ""  # a line for the report's findings, when the section has one


def make_files(root: Path, count: int, size: int) -> list[Path]:
    """``count`` files of ``size`` random bytes under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"f{i:03d}.bin" for i in range(count)]
    for p in paths:
        p.write_bytes(os.urandom(size))
    return paths


def cycle(i: int) -> int:
    """Index of the file read by operation ``i``."""
    return i % FILES


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


# --------------------------------------------------------------------------- parquet


def parquet_bytes(size: int) -> bytes:
    """A Parquet file of about ``size`` bytes: float64 columns of seeded random values,
    stored plain (no compression, no dictionary), so the file is as large as its data."""
    import numpy as np
    import pandas as pd

    rows = size // (8 * 4)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.random(rows) for name in ("a", "b", "c", "d")})
    out = io.BytesIO()
    frame.to_parquet(out, index=False, compression=None, use_dictionary=False)
    return out.getvalue()


async def parquet_section(n: int, rounds: int) -> Section:
    """pandas ``read_parquet`` of one big object: the ``genro`` filesystem vs s3fs."""
    server = S3Server()
    try:
        server.start()
        server.create_bucket(BUCKET)
        results, size = await _parquet_variants(target_of(server), n, rounds)
        gc.collect()  # s3fs closes its session when its filesystem is collected
    finally:
        server.stop()
    mib = size / MIB
    op = f"s3 (moto): pandas `read_parquet` of a {mib:.1f} MiB file"
    rows = [
        Row(op, "raw_s3fs", "s3fs directly: `read_parquet(path, filesystem=S3FileSystem(...))`"),
        Row(
            op,
            "genro_url",
            'genro: `read_parquet("genro://s3/...", storage_options={"storage": storage})`',
            ("raw_s3fs",),
        ),
    ]
    note = (
        f"One {mib:.1f} MiB Parquet file (4 float64 columns of random values, plain) on "
        f"moto, read whole by pandas/pyarrow {n} times per variant; rates in MiB/s, client "
        "CPU per read. Both go through pyarrow's fsspec handler; s3fs reads blocks of its "
        "default 50 MiB, the `genro` filesystem ranged reads of the sync S3 mount."
    )
    return Section("Parquet through genro://", note, rows, results, unit="MiB/s")


async def _parquet_variants(t: Target, n: int, rounds: int) -> tuple[dict[str, Measure], int]:
    import pandas as pd
    from s3fs import S3FileSystem

    clock = CpuClock()
    data = parquet_bytes(PARQUET_SIZE)
    mount = {
        "name": "s3",
        "type": "s3",
        "bucket": BUCKET,
        "endpoint_url": t.endpoint_url,
        "key": t.key,
        "secret": t.secret,
        "region": t.region,
    }
    s3 = S3FileSystem(
        skip_instance_cache=True,
        key=t.key,
        secret=t.secret,
        endpoint_url=t.endpoint_url,
        client_kwargs={"region_name": t.region},
    )
    await asyncio.to_thread(s3.pipe_file, f"{BUCKET}/{PARQUET_KEY}", data)
    with StorageManager([mount]) as storage:
        options = {"storage": storage}

        def raw_s3fs(i: int) -> object:
            return pd.read_parquet(f"{BUCKET}/{PARQUET_KEY}", filesystem=s3)

        def genro_url(i: int) -> object:
            return pd.read_parquet(f"genro://s3/{PARQUET_KEY}", storage_options=options)

        expected = await asyncio.to_thread(raw_s3fs, 0)
        assert (await asyncio.to_thread(genro_url, 0)).equals(expected)
        variants: dict[str, Runner] = {
            "raw_s3fs": sync_runner(raw_s3fs, clock),
            "genro_url": sync_runner(genro_url, clock),
        }
        results = await compare(variants, n, rounds, per_op_bytes=len(data))
    return results, len(data)


# --------------------------------------------------------------------------- listing

LISTING_SIZES = (50_000, 100_000, 200_000)


def listing_runner(list_all: Any, clock: CpuClock) -> Runner:
    """Variant: ``count`` complete listings by ``await list_all()`` (which returns how many
    entries it saw); one operation is one entry, so the rate is entries per second."""

    async def run(count: int) -> Sample:
        cpu0, _ = clock.read()
        t0 = time.perf_counter()
        entries = 0
        for _ in range(count):
            entries += await list_all()
        elapsed = time.perf_counter() - t0
        cpu1, _ = clock.read()
        return Sample(entries, elapsed, cpu1 - cpu0)

    return run


async def listing_section(tmp: Path, rounds: int) -> Section:
    """``children()`` over whole folders of 50k-200k entries: the time per entry must not
    grow with the folder (a listing that re-read the folder for every page did)."""
    clock = CpuClock()
    conf: list[dict[str, Any]] = [
        {"name": "mem", "type": "memory", "store": "bench-listing"},
        {"name": "local", "type": "local", "path": str(tmp / "listing")},
    ]
    for size in LISTING_SIZES:
        folder = tmp / "listing" / f"n{size}"
        folder.mkdir(parents=True)
        for i in range(size):  # empty files made with plain os calls: setup, not measured
            os.close(os.open(folder / f"f{i:07d}", os.O_CREAT | os.O_WRONLY, 0o644))
    variants: dict[str, Runner] = {}
    async with AsyncStorageManager(conf) as amgr:
        smgr = amgr.as_sync()  # shares the memory store
        for size in LISTING_SIZES:
            mem = smgr.node(f"mem:n{size}")
            for i in range(size):
                mem.child(f"f{i:07d}").write_bytes(b"")
        for mount in ("mem", "local"):
            for size in LISTING_SIZES:
                snode = smgr.node(f"{mount}:n{size}")
                anode = amgr.node(f"{mount}:n{size}")

                async def sync_all(node: Any = snode) -> int:
                    return await asyncio.to_thread(lambda: len(node.children()))

                async def async_all(node: Any = anode) -> int:
                    return sum([1 async for _ in node.children()])

                variants[f"{mount}_sync_{size}"] = listing_runner(sync_all, clock)
                variants[f"{mount}_async_{size}"] = listing_runner(async_all, clock)
        results = await compare(variants, 2 * rounds, rounds)
    rows = []
    for mount, label in (("mem", "memory"), ("local", "local")):
        for api, how in (("sync", "sync `children()`"), ("async", "`async for` over `children()`")):
            first = f"{mount}_{api}_{LISTING_SIZES[0]}"
            for size in LISTING_SIZES:
                key = f"{mount}_{api}_{size}"
                refs = () if key == first else (first,)
                rows.append(Row(f"{label}: {how}", key, f"{size:,} entries", refs))
    note = (
        "One operation is one entry listed, so ops/s is entries per second over whole "
        f"`children()` calls (pages of 1,000), {2 * rounds} per variant in {rounds} rounds. "
        "A ratio near 1.0 against the smallest folder means linear time; a listing that "
        "re-reads the folder for every page halves its rate each time the folder doubles."
    )
    return Section("Listing scale", note, rows, results)


async def zip_section(tmp: Path, total: int) -> Section:
    """``node.zip(dst)`` of a tree on local disk into S3 (``zip_section.py``)."""
    from zip_section import zip_runs

    results, growth, size = await zip_runs(tmp, total)
    rows = [
        Row("zip a local tree into S3", "zip_sync", "sync `zip(dst)`"),
        Row("zip a local tree into S3", "zip_async", "async `await zip(dst)`", ("zip_sync",)),
    ]
    note = (
        f"One run per API: a tree of {size // MIB:,} MiB (16 files of pseudo-random bytes, "
        "which deflate cannot shrink) zipped into a moto bucket. MiB/s is tree MiB per "
        "second; client CPU is per MiB. Peak growth of this process's resident memory "
        "during the run (sampled every 5 ms): "
        + ", ".join(f"{k.split('_')[1]} {v / MIB:.1f} MiB" for k, v in growth.items())
        + f" (the archive is {size // MIB:,} MiB; the bound claimed is 64 MiB)."
    )
    finding = (
        f"* `zip(dst)` of a {size // MIB:,} MiB tree into S3: this process grew by at most "
        f"{max(growth.values()) / MIB:.1f} MiB (sync and async; the claim is < 64 MiB)."
    )
    return Section("zip() streamed into S3", note, rows, results, "MiB/s", finding)


# --------------------------------------------------------------------------- report


def ratio_text(section: Section, row: Row) -> str:
    """``0.52× s3fs raw; 0.25× aioboto3 raw`` for the row's references."""
    if not row.refs:
        return "reference"
    labels = {r.key: r.variant for r in section.rows}
    rate = section.results[row.key].rate
    parts = []
    for ref in row.refs:
        value = rate / section.results[ref].rate
        parts.append(f"**{value:.2f}×** {labels[ref]}")
    return "; ".join(parts)


def findings(sections: dict[str, Section]) -> list[str]:
    """A few ratios spelled out, computed from this run."""

    def x(a: Measure, b: Measure, digits: int = 2) -> str:
        return f"**{a.rate / b.rate:.{digits}f}×**"

    out: list[str] = [s.finding for s in sections.values() if s.finding]
    if "engines" in sections:
        e = sections["engines"].results

        def cpu(a: str, b: str) -> str:
            return f"**{e[a].cpu_us / e[b].cpu_us:.2f}×**"

        out.append(
            f"* S3 engines, fast server: async GET on the obstore engine costs "
            f"{cpu('async_obstore', 'raw_obstore')} raw obstore's client CPU "
            f"({fmt(e['async_obstore'].cpu_us)} vs {fmt(e['raw_obstore'].cpu_us)} µs) at "
            f"{x(e['async_obstore'], e['raw_obstore'])} its rate; sync GET "
            f"{cpu('sync_obstore', 'raw_obstore_sync')} obstore sync's CPU at "
            f"{x(e['sync_obstore'], e['raw_obstore_sync'])} its rate. The fsspec engine: "
            f"{fmt(e['async_fsspec'].cpu_us)} µs per async GET, "
            f"{fmt(e['sync_fsspec'].cpu_us)} µs per sync GET."
        )
    if "parquet" in sections:
        pq = sections["parquet"].results
        out.append(
            "* Parquet from S3 with pandas: through `genro://` at "
            f"{x(pq['genro_url'], pq['raw_s3fs'])} the rate of s3fs directly "
            f"({fmt(pq['genro_url'].rate)} vs {fmt(pq['raw_s3fs'].rate)} MiB/s)."
        )
    if "listing" in sections:
        listing = sections["listing"].results
        small, big = LISTING_SIZES[0], LISTING_SIZES[-1]
        out.append(
            f"* Listing scale: per entry, `children()` of {big:,} entries runs at "
            + ", ".join(
                f"{x(listing[f'{m}_{a}_{big}'], listing[f'{m}_{a}_{small}'])} ({label})"
                for m, a, label in (
                    ("mem", "sync", "memory, sync"),
                    ("mem", "async", "memory, async"),
                    ("local", "sync", "local, sync"),
                    ("local", "async", "local, async"),
                )
            )
            + f" the rate of {small:,} entries (1.0 is linear)."
        )
    if not {"local", "http", "s3"} <= set(sections):
        return out
    local = sections["local"].results
    http = sections["http"].results
    s3 = sections["s3"].results
    out[:0] = [
        "* aiofiles vs one thread hop, one small read at a time: raw aiofiles "
        f"open+read+close takes {x(local['raw_thread_1'], local['raw_aiofiles_1'], 1)} the "
        "time of `to_thread(Path.read_bytes)`; through the library, `open()`+`read()` takes "
        f"{x(local['api_read_1'], local['api_open_1'], 1)} the time of `read_bytes()` "
        "(DESIGN guessed ~3×).",
        "* Local `read_bytes()` vs raw `to_thread(Path.read_bytes)`: "
        f"{x(local['api_read_1'], local['raw_thread_1'])} (1 task), "
        f"{x(local['api_read_c'], local['raw_thread_c'])} ({LOCAL_CONCURRENCY} tasks).",
        f"* HTTP, {FILES} reads at {HTTP_LATENCY * 1000:.0f} ms each: the native async mount "
        f"reads {x(http['api_native'], http['sync_seq'], 0)} as fast as the sequential sync "
        f"API and {x(http['api_native'], http['sync_pool'], 1)} the sync API in "
        f"{NET_THREADS} threads; vs raw aiohttp {x(http['api_native'], http['raw_aiohttp'])} "
        f"(one request at a time without latency: "
        f"{x(http['api_native_1'], http['raw_aiohttp_1'])}).",
        f"* S3, {S3_CONCURRENCY} in flight: the async mount reads at "
        f"{x(s3['api_native'], s3['raw_aioboto3'])} raw aioboto3 and "
        f"{x(s3['api_native'], s3['raw_s3fs_1'])} a single-GET s3fs `_cat_file`; client CPU "
        f"per read {fmt(s3['api_native'].cpu_us)} µs vs {fmt(s3['raw_aioboto3'].cpu_us)} µs.",
    ]
    return out


def report(sections: dict[str, Section], args: argparse.Namespace, seconds: float) -> str:
    """The Markdown report."""
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("aiofiles", "aiohttp", "fsspec", "s3fs", "aioboto3", "moto")
    )
    out = [
        "# genro-storage benchmarks",
        "",
        f"Machine: {machine()} at the end (other work may share it). {libs}.",
        f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{' --only ' + ' '.join(args.only) if args.only else ''}`, "
        f"{seconds:.0f} s. Each variant's operations are split into rounds (local and "
        f"memory {LOCAL_ROUND_FACTOR * args.rounds}, network {args.rounds}) run in ABC-CBA "
        "order and totalled (not best-of). Client CPU is this process's CPU "
        "time per operation, all threads included, servers excluded.",
        "",
        "## Findings",
        "",
        *findings(sections),
    ]
    for section in sections.values():
        out += [
            "",
            f"## {section.title}",
            "",
            section.note,
            "",
            f"| operation | variant | {section.unit} | client CPU µs/op | ratio ({section.unit}) |",
            "|---|---|---:|---:|---|",
        ]
        for row in section.rows:
            m = section.results[row.key]
            out.append(
                f"| {row.operation} | {row.variant} | {fmt(m.rate)} | {fmt(m.cpu_us)} "
                f"| {ratio_text(section, row)} |"
            )
    return "\n".join(out) + "\n"


async def main_async(args: argparse.Namespace) -> str:
    """Run every section (or those of ``--only``) in turn; return the report."""
    t0 = time.perf_counter()
    n_local, n_net = (2000, 200) if args.quick else (8000, 400)
    n_parquet = 2 if args.quick else 6
    chosen = set(args.only or SECTIONS)
    sections: dict[str, Section] = {}
    with tempfile.TemporaryDirectory(prefix="genro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # the local rows are cheap and jittery: alternate them more often
        local_rounds = LOCAL_ROUND_FACTOR * args.rounds
        if "local" in chosen:
            sections["local"] = await step("local", local_section(tmp, n_local, local_rounds))
        if "memory" in chosen:
            sections["memory"] = await step("memory", memory_section(n_local, local_rounds))
        if "http" in chosen:
            sections["http"] = await step("http", http_section(tmp, n_net, args.rounds))
        if "listing" in chosen:
            sections["listing"] = await step("listing", listing_section(tmp, args.rounds))
        if "explorer" in chosen:
            grid = explorer_section(tmp, args.rounds, Row, Section)
            sections["explorer"] = await step("explorer", grid)
    if "s3" in chosen:
        sections["s3"] = await step("s3", s3_section(n_net, args.rounds))
    if "engines" in chosen:
        with tempfile.TemporaryDirectory(prefix="genro-bench-") as tmp_name:
            sections["engines"] = await step(
                "engines", engines_section(n_net * 4, args.rounds, Path(tmp_name))
            )
    if "parquet" in chosen:
        sections["parquet"] = await step("parquet", parquet_section(n_parquet, args.rounds))
    if "zip" in chosen:
        with tempfile.TemporaryDirectory(prefix="genro-bench-zip-") as zip_tmp:
            total = ZIP_TREE // 4 if args.quick else ZIP_TREE
            sections["zip"] = await step("zip", zip_section(Path(zip_tmp), total))
    extra = ""
    if "goals" in chosen:
        from goals import goals

        extra = "\n" + await step("goals", goals(quick=args.quick))
    return report(sections, args, time.perf_counter() - t0) + extra


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations per variant")
    parser.add_argument("--rounds", type=int, default=2, help="ABC-CBA rounds per variant")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, help="run these sections only (default: all)"
    )
    args = parser.parse_args()
    if args.out is None:
        name = (
            "latest"
            + "".join(f"-{part}" for part in args.only or ())
            + ("-quick" if args.quick else "")
        )
        args.out = RESULTS.with_name(f"{name}.md")
    publish(asyncio.run(main_async(args)), args.out)


if __name__ == "__main__":
    main()
