"""aioboto3 vs s3fs (async API) against one moto server, same data, one run.

Measures small-object GETs at several concurrencies (with pools sized to the
concurrency and with botocore's default pool of 10), 64 MiB uploads/downloads and a
paginated listing of 5,000 keys, plus a raw unsigned aiohttp baseline that shows the
server's own ceiling. A second moto, with a fixed per-request latency, shows what the
default pool does when requests wait on the network rather than on the server's CPU.

    .venv/bin/python benchmarks/s3_libraries.py [--quick]

Prints Markdown tables and writes them to ``benchmarks/results/s3_libraries.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import platform
import sys
import tempfile
import time
import urllib.request
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aioboto3
import aiohttp
from botocore.config import Config
from harness import (
    KIB,
    MIB,
    RESULTS_DIR,
    AsyncOp,
    CpuClock,
    Measure,
    async_runner,
    compare,
    fmt,
    publish,
    run_ops,
    step,
)
from s3fs import S3FileSystem
from servers import S3Server

BUCKET = "bench"
SMALL_SIZES = (1 * KIB, 64 * KIB)
SMALL_OBJECTS = 200  # distinct keys per size, read round-robin
CONCURRENCIES = (1, 10, 50, 200)
DEFAULT_POOL = 10  # botocore.endpoint.MAX_POOL_CONNECTIONS
LARGE_SIZE = 64 * MIB
LIST_KEYS = 5000
LATENCY = 0.05  # seconds added per request by the latency server
RESULTS = RESULTS_DIR / "s3_libraries.md"


async def compare_ops(
    variants: dict[str, AsyncOp],
    n: int,
    concurrency: int,
    rounds: int,
    clock: CpuClock,
    **options: Any,
) -> dict[str, Measure]:
    """:func:`harness.compare` over async ops run by ``concurrency`` workers each."""
    runners = {name: async_runner(op, concurrency, clock) for name, op in variants.items()}
    return await compare(runners, n, rounds, **options)


# --------------------------------------------------------------------------- clients


@dataclass
class Target:
    """Where and how to reach one S3 server."""

    endpoint_url: str
    key: str
    secret: str
    region: str
    port: int
    pid: int | None


def target_of(server: S3Server) -> Target:
    """Connection facts of a started :class:`S3Server`."""
    assert server.port is not None
    return Target(
        server.endpoint_url,
        server.access_key,
        server.secret_key,
        server.region,
        server.port,
        server.pid,
    )


async def aioboto3_client(stack: contextlib.AsyncExitStack, t: Target, pool: int | None) -> Any:
    """An aiobotocore S3 client via aioboto3, closed by ``stack``."""
    config = Config(max_pool_connections=pool) if pool else Config()
    return await stack.enter_async_context(
        aioboto3.Session().client(
            "s3",
            endpoint_url=t.endpoint_url,
            aws_access_key_id=t.key,
            aws_secret_access_key=t.secret,
            region_name=t.region,
            config=config,
        )
    )


async def s3fs_fs(
    stack: contextlib.AsyncExitStack, t: Target, pool: int | None, **options: Any
) -> S3FileSystem:
    """An async ``S3FileSystem`` with its own session, closed by ``stack``."""
    fs = S3FileSystem(
        asynchronous=True,
        skip_instance_cache=True,
        **options,
        key=t.key,
        secret=t.secret,
        endpoint_url=t.endpoint_url,
        client_kwargs={"region_name": t.region},
        config_kwargs={"max_pool_connections": pool} if pool else {},
    )
    client = await fs.set_session()
    stack.push_async_callback(client.close)
    return fs


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


# --------------------------------------------------------------------------- seeding


def small_key(size: int, i: int) -> str:
    """Key of the ``i``-th small object of ``size`` bytes."""
    return f"small/{size}/{i % SMALL_OBJECTS:04d}"


async def put_many(
    client: Any, items: list[tuple[str, bytes]], concurrency: int = 50, **extra: Any
) -> None:
    """PUT ``(key, body)`` pairs with bounded concurrency."""
    it = iter(items)

    async def worker() -> None:
        for key, body in it:
            await client.put_object(Bucket=BUCKET, Key=key, Body=body, **extra)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def seed(t: Target, list_keys: int) -> None:
    """Small objects for the GET tests and ``list_keys`` keys under ``list/``."""
    async with contextlib.AsyncExitStack() as stack:
        client = await aioboto3_client(stack, t, 50)
        items = [
            (small_key(size, i), os.urandom(size))
            for size in SMALL_SIZES
            for i in range(SMALL_OBJECTS)
        ]
        # public-read so that the unsigned baseline requests are answered with 200
        await put_many(client, items, ACL="public-read")
        await put_many(client, [(f"list/{i:05d}", b"x") for i in range(list_keys)])


# --------------------------------------------------------------------------- sections


@dataclass
class Row:
    """One line of a comparison table: aioboto3 (a) vs s3fs (b)."""

    case: str
    a_call: str
    a: Measure
    b_call: str
    b: Measure
    unit: str


def aioboto3_get(client: Any, size: int) -> AsyncOp:
    async def op(i: int) -> bytes:
        resp = await client.get_object(Bucket=BUCKET, Key=small_key(size, i))
        async with resp["Body"] as body:
            return await body.read()

    return op


def s3fs_cat(fs: S3FileSystem, size: int, **kwargs: Any) -> AsyncOp:
    async def op(i: int) -> bytes:
        return await fs._cat_file(f"{BUCKET}/{small_key(size, i)}", **kwargs)

    return op


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


class LargeBodyWarnings:
    """Counts aiohttp's "large body with raw bytes" ResourceWarning per call.

    aiohttp warns (as a ResourceWarning) for every request body of raw bytes over
    1 MiB; the test suite turns ResourceWarnings into errors, so which calls send raw
    bytes matters. Ops run one at a time here, so ``catch_warnings`` is safe.
    """

    def __init__(self) -> None:
        self.per_call: dict[str, int] = {}

    def count(self, name: str, op: AsyncOp) -> AsyncOp:
        async def wrapped(i: int) -> object:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = await op(i)
            hits = 0
            for w in caught:
                if "large body" in str(w.message):
                    hits += 1
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            self.per_call[name] = hits
            return result

        return wrapped


async def large(t: Target, rounds: int, warned: LargeBodyWarnings) -> list[Row]:
    """64 MiB up and down, in memory and through a local file."""
    clock = CpuClock(t.pid)
    data = os.urandom(LARGE_SIZE)
    key = "large/blob"
    path = f"{BUCKET}/{key}"
    part = 8 * MIB
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="genro-s3bench-") as tmp:
        src = Path(tmp) / "src.bin"
        src.write_bytes(data)
        dst = str(Path(tmp) / "dst.bin")
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, None)
            fs = await s3fs_fs(stack, t, None)

            async def a_put(_: int) -> None:
                await client.put_object(Bucket=BUCKET, Key=key, Body=data)

            async def a_upload_fileobj(_: int) -> None:
                await client.upload_fileobj(io.BytesIO(data), BUCKET, key)

            async def a_upload_file(_: int) -> None:
                await client.upload_file(str(src), BUCKET, key)

            async def b_pipe(_: int) -> None:
                await fs._pipe_file(path, data)

            async def b_pipe_parts(_: int) -> None:
                await fs._pipe_file(path, data, chunksize=part)

            async def b_put_file(_: int) -> None:
                await fs._put_file(str(src), path)

            async def a_get(_: int) -> None:
                resp = await client.get_object(Bucket=BUCKET, Key=key)
                async with resp["Body"] as body:
                    got = await body.read()
                assert len(got) == LARGE_SIZE

            async def a_download_fileobj(_: int) -> None:
                buf = io.BytesIO()
                await client.download_fileobj(BUCKET, key, buf)
                assert len(buf.getbuffer()) == LARGE_SIZE

            async def a_download_file(_: int) -> None:
                await client.download_file(BUCKET, key, dst)

            async def b_cat(_: int) -> None:
                got = await fs._cat_file(path)
                assert len(got) == LARGE_SIZE

            async def b_cat_single(_: int) -> None:
                got = await fs._cat_file(path, max_concurrency=1)
                assert len(got) == LARGE_SIZE

            async def b_get_file(_: int) -> None:
                await fs._get_file(path, dst)

            up = await compare_ops(
                {
                    "a_put": warned.count("`put_object`", a_put),
                    "a_fileobj": warned.count("`upload_fileobj`", a_upload_fileobj),
                    "a_file": warned.count("`upload_file`", a_upload_file),
                    "b_pipe": warned.count("`_pipe_file`", b_pipe),
                    "b_parts": warned.count("`_pipe_file(chunksize=8 MiB)`", b_pipe_parts),
                    "b_file": warned.count("`_put_file`", b_put_file),
                },
                rounds,
                1,
                rounds,
                clock,
                per_op_bytes=LARGE_SIZE,
            )
            await a_put(0)
            down = await compare_ops(
                {
                    "a_get": a_get,
                    "a_fileobj": a_download_fileobj,
                    "a_file": a_download_file,
                    "b_cat": b_cat,
                    "b_single": b_cat_single,
                    "b_file": b_get_file,
                },
                rounds,
                1,
                rounds,
                clock,
                per_op_bytes=LARGE_SIZE,
            )
    u = "MiB/s"
    rows += [
        Row(
            "upload, one PUT, from memory",
            "`put_object`",
            up["a_put"],
            "`_pipe_file`",
            up["b_pipe"],
            u,
        ),
        Row(
            "upload, multipart 8 MiB parts, from memory",
            "`upload_fileobj`",
            up["a_fileobj"],
            "`_pipe_file(chunksize=8 MiB)`",
            up["b_parts"],
            u,
        ),
        Row(
            "upload from a local file (defaults)",
            "`upload_file` (8 MiB parts)",
            up["a_file"],
            "`_put_file` (one PUT < 100 MiB)",
            up["b_file"],
            u,
        ),
        Row(
            "download into memory, one GET",
            "`get_object` + `read`",
            down["a_get"],
            "`_cat_file(max_concurrency=1)`",
            down["b_single"],
            u,
        ),
        Row(
            "download into memory, library default",
            "`download_fileobj` (HEAD + 8 MiB ranges)",
            down["a_fileobj"],
            "`_cat_file` (HEAD + 50 MiB ranges)",
            down["b_cat"],
            u,
        ),
        Row(
            "download to a local file (defaults)",
            "`download_file`",
            down["a_file"],
            "`_get_file`",
            down["b_file"],
            u,
        ),
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


# --------------------------------------------------------------------------- report


def rows_table(rows: list[Row]) -> list[str]:
    """Markdown table of aioboto3-vs-s3fs rows."""
    lines = [
        "| case | aioboto3 call | aioboto3 | s3fs call | s3fs | s3fs / aioboto3 "
        "| client CPU µs/op aioboto3 | client CPU µs/op s3fs |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {r.a_call} | {fmt(r.a.rate)} {r.unit} | {r.b_call} "
            f"| {fmt(r.b.rate)} {r.unit} | **{r.b.rate / r.a.rate:.2f}** "
            f"| {fmt(r.a.cpu_us)} | {fmt(r.b.cpu_us)} |"
        )
    return lines


def report(
    args: argparse.Namespace,
    base: list[tuple[str, int, Measure]],
    small: list[Row],
    big: list[Row],
    lists: list[Row],
    pools: list[tuple[str, int, int | None, Measure, int]],
    warned: LargeBodyWarnings,
    extra: dict[str, str],
    seconds: float,
) -> str:
    """The whole Markdown report."""
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("aioboto3", "aiobotocore", "botocore", "s3fs", "moto")
    )
    out = [
        "# S3 libraries: aioboto3 vs s3fs (async)",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, {platform.system()}; 1-minute load average "
        f"{extra['load']} (other work shares the machine). {libs}.",
        "",
        f"Server: moto standalone (`tests/servers.py` `S3Server`) on loopback; client and "
        f"both libraries in one process. Small GETs: {args.requests} requests per variant "
        f"and case; 64 MiB transfers and listings: {args.rounds} per variant. Each is split "
        f"into {args.rounds} rounds run in ABC-CBA order and totalled (not best-of). "
        f"Run took {seconds:.0f} s "
        f"(`python benchmarks/s3_libraries.py{' --quick' if args.quick else ''}`).",
        "",
        "Ratios are s3fs / aioboto3 of the rate: above 1 means s3fs is faster. "
        "Client CPU is this process's CPU time per operation (the moto process excluded); "
        "it is the part each library controls, and it is steadier than wall time. "
        "Wall-clock rates are bounded by moto (2-3 ms of moto CPU per request) plus "
        "botocore (about 2 ms of client CPU per request) sharing 2 cores, so ratios "
        "within about 0.8-1.25 are noise on this machine.",
        "",
        "## Server ceiling (no botocore on the client)",
        "",
        f"moto answers `Connection: {extra['connection']}`: no keep-alive, every request "
        "opens a new TCP connection, so a client's pool size only bounds requests in flight.",
        "",
        "| request | concurrency | req/s | client CPU µs/req | moto CPU µs/req |",
        "|---|---:|---:|---:|---:|",
    ]
    out += [
        f"| {name} | {c} | {fmt(m.rate)} | {fmt(m.cpu_us)} | {fmt(m.server_cpu_us)} |"
        for name, c, m in base
    ]
    out += [
        "",
        "## Small-object GETs",
        "",
        "A read is one object fetched whole. s3fs's plain `_cat_file` first asks for the "
        "size (HEAD) to decide whether to split the download into ranges, so it sends two "
        "requests per read; `max_concurrency=1` skips that.",
        "",
        *rows_table(small),
    ]
    out += ["", f"## Large object ({LARGE_SIZE // MIB} MiB), one transfer at a time", ""]
    out += rows_table(big)
    out += [
        "",
        'aiohttp `ResourceWarning` "Sending a large body directly with raw bytes" '
        "emitted per 64 MiB upload (any raw-bytes body over 1 MiB triggers it): "
        + ", ".join(f"{name} {n}" for name, n in warned.per_call.items())
        + ".",
    ]
    out += ["", "## Listing (paginated, 1,000 keys per page)", "", *rows_table(lists)]
    out += [
        "",
        f"## Pool cap: moto with {LATENCY * 1000:.0f} ms added per request, 1 KiB GETs",
        "",
        "s3fs here uses `_cat_file(max_concurrency=1)` (one GET per read) so both "
        "libraries send the same requests. Ceiling = pool / latency.",
        "",
        "| library | concurrency | pool | req/s | pool ceiling req/s | most requests in flight "
        "at the server |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for lib, conc, pool, m, inflight in pools:
        size = pool or DEFAULT_POOL
        pool_txt = f"{pool}" if pool else f"{DEFAULT_POOL} (default)"
        out.append(
            f"| {lib} | {conc} | {pool_txt} | {fmt(m.rate)} | {fmt(size / LATENCY)} | {inflight} |"
        )
    return "\n".join(out) + "\n"


async def main_async(args: argparse.Namespace) -> str:
    """Start moto, seed it, run every section, return the report."""
    t0 = time.perf_counter()
    load = f"{os.getloadavg()[0]:.2f}"
    server = S3Server()
    warned = LargeBodyWarnings()
    try:
        server.start()
        server.create_bucket(BUCKET)
        t = target_of(server)
        await step("seed", seed(t, LIST_KEYS))
        base, connection = await step("baseline", baseline(t, args.requests, args.rounds))
        small = await step("small GETs", small_gets(t, args.requests, args.rounds))
        big = await step("64 MiB", large(t, args.rounds, warned))
        lists = await step("listing", listing(t, args.rounds))
    finally:
        server.stop()
    pools = await step("pool cap", pool_cap(args.requests // 2))
    load += f" at the start, {os.getloadavg()[0]:.2f} at the end"
    extra = {"connection": connection, "load": load}
    return report(args, base, small, big, lists, pools, warned, extra, time.perf_counter() - t0)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, one repeat")
    parser.add_argument("--requests", type=int, default=400, help="requests per small-GET run")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds the requests are split into (ABC-CBA)"
    )
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 100)
    if args.out is None:
        args.out = RESULTS.with_name("s3_libraries-quick.md") if args.quick else RESULTS
    publish(asyncio.run(main_async(args)), args.out)


if __name__ == "__main__":
    main()
