"""The S3 engines measured against a server that answers at once (``fast_s3.py``, in a
subprocess): raw aiobotocore and boto3 (what s3fs and the fsspec engine use), raw obstore,
and this library on each engine through both APIs. Small GETs (64 in flight for the
async rows, one at a time for the sync rows), a tree copy local -> S3 of 1,000 small
files, and a listing of 10,000 keys. Used by ``run.py`` (section ``engines``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    AsyncOp,
    CpuClock,
    Measure,
    Runner,
    async_runner,
    compare,
    step,
    sync_runner,
)
from servers import free_port, stop_process_tree

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

#: ``(wall seconds, CPU seconds)`` of one timed block.
Timing = tuple[float, float]

BUCKET = "fast"
GET_CONCURRENCY = 64
TREE_FILES = 1000
TREE_FILE_SIZE = 1024
SMALL = 200  # fast_s3.SMALL
KEY, SECRET, REGION = "bench", "bench-secret", "us-east-1"


@contextlib.contextmanager
def fast_server() -> Iterator[tuple[str, int]]:
    """``fast_s3.py`` on a free port: ``(endpoint_url, pid)``."""
    port = free_port()
    script = Path(__file__).with_name("fast_s3.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port), BUCKET],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        import time
        import urllib.request

        for _ in range(100):  # ready is printed just before it listens
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{BUCKET}/small/f000.bin")
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop_process_tree(proc)


def mount(endpoint: str, engine: str, name: str = "s3", prefix: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "type": "s3",
        "bucket": BUCKET,
        "prefix": prefix,
        "endpoint_url": endpoint,
        "key": KEY,
        "secret": SECRET,
        "region": REGION,
        "max_concurrency": GET_CONCURRENCY,
        "engine": engine,
    }


def obstore_store(endpoint: str) -> Any:
    from obstore.store import S3Store

    return S3Store(
        BUCKET,
        endpoint=endpoint,
        access_key_id=KEY,
        secret_access_key=SECRET,
        region=REGION,
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )


def _key(i: int) -> str:
    return f"small/f{i % SMALL:03d}.bin"


async def get_variants(endpoint: str, n: int, rounds: int, pid: int) -> dict[str, Measure]:
    """Small GETs: raw clients and the library on each engine, both APIs."""
    import aioboto3
    import boto3
    import obstore
    from botocore.config import Config

    clock = CpuClock(pid)
    c = GET_CONCURRENCY
    store = obstore_store(endpoint)
    boto = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            aioboto3.Session().client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=KEY,
                aws_secret_access_key=SECRET,
                region_name=REGION,
                config=Config(max_pool_connections=c),
            )
        )
        managers = {
            e: await stack.enter_async_context(AsyncStorageManager([mount(endpoint, e)]))
            for e in ("obstore", "fsspec")
        }
        syncs = {e: stack.enter_context(StorageManager([mount(endpoint, e)])) for e in managers}

        async def raw_aiobotocore(i: int) -> bytes:
            resp = await client.get_object(Bucket=BUCKET, Key=_key(i))
            async with resp["Body"] as body:
                data: bytes = await body.read()
                return data

        async def raw_obstore(i: int) -> bytes:
            result = await obstore.get_async(store, _key(i))
            return bytes(await result.bytes_async())

        def raw_boto3(i: int) -> bytes:
            data: bytes = boto.get_object(Bucket=BUCKET, Key=_key(i))["Body"].read()
            return data

        def raw_obstore_sync(i: int) -> bytes:
            return bytes(obstore.get(store, _key(i)).bytes())

        def api(manager: AsyncStorageManager) -> AsyncOp:
            nodes = [manager.node(f"s3:{_key(i)}") for i in range(SMALL)]

            async def op(i: int) -> bytes:
                return await nodes[i % SMALL].read_bytes()

            return op

        def sync_api(manager: StorageManager) -> Any:
            nodes = [manager.node(f"s3:{_key(i)}") for i in range(SMALL)]

            def op(i: int) -> bytes:
                return nodes[i % SMALL].read_bytes()

            return op

        variants: dict[str, Runner] = {
            "raw_aiobotocore": async_runner(raw_aiobotocore, c, clock),
            "raw_obstore": async_runner(raw_obstore, c, clock),
            "async_obstore": async_runner(api(managers["obstore"]), c, clock),
            "async_fsspec": async_runner(api(managers["fsspec"]), c, clock),
            "raw_boto3": sync_runner(raw_boto3, clock),
            "raw_obstore_sync": sync_runner(raw_obstore_sync, clock),
            "sync_obstore": sync_runner(sync_api(syncs["obstore"]), clock),
            "sync_fsspec": sync_runner(sync_api(syncs["fsspec"]), clock),
        }
        slow = n // 4  # botocore rows: a quarter as many requests (rates stay per GET)
        counts = {"raw_aiobotocore": slow, "async_fsspec": slow, "raw_boto3": slow}
        counts["sync_fsspec"] = slow
        results = await compare(variants, n, rounds, warmup=c, counts=counts)
    boto.close()
    return results


async def tree_and_listing_variants(
    endpoint: str, tmp: Path, rounds: int, pid: int
) -> dict[str, Measure]:
    """A tree copy local -> S3 of 1,000 small files, and a 10,000-key listing."""
    import aioboto3
    import obstore

    clock = CpuClock(pid)
    tree = tmp / "tree"
    tree.mkdir()
    for i in range(TREE_FILES):
        (tree / f"f{i:04d}.txt").write_bytes(os.urandom(TREE_FILE_SIZE))
    local = {"name": "local", "type": "local", "path": str(tree)}
    store = obstore_store(endpoint)
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            aioboto3.Session().client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=KEY,
                aws_secret_access_key=SECRET,
                region_name=REGION,
            )
        )
        managers = {
            e: await stack.enter_async_context(
                AsyncStorageManager([local, mount(endpoint, e, prefix=f"tree-{e}")])
            )
            for e in ("obstore", "fsspec")
        }
        syncs = {
            e: stack.enter_context(
                StorageManager([local, mount(endpoint, e, prefix=f"tree-sync-{e}")])
            )
            for e in managers
        }
        listers = {
            e: await stack.enter_async_context(
                AsyncStorageManager([mount(endpoint, e, prefix="many")])
            )
            for e in managers
        }
        list_syncs = {
            e: stack.enter_context(StorageManager([mount(endpoint, e, prefix="many")]))
            for e in managers
        }

        def copy_async(manager: AsyncStorageManager) -> AsyncOp:
            async def op(i: int) -> None:
                await manager.node("local:").copy(manager.node("s3:"))

            return op

        def copy_sync(manager: StorageManager) -> Any:
            def op(i: int) -> None:
                manager.node("local:").copy(manager.node("s3:"))

            return op

        def list_async(manager: AsyncStorageManager) -> AsyncOp:
            async def op(i: int) -> int:
                return len([c async for c in manager.node("s3:").children()])

            return op

        def list_sync(manager: StorageManager) -> Any:
            def op(i: int) -> int:
                return len(manager.node("s3:").children())

            return op

        async def raw_list_aiobotocore(i: int) -> int:
            count = 0
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix="many/", Delimiter="/"
            )
            async for page in pages:
                count += len(page.get("Contents", []))
            return count

        async def raw_list_obstore(i: int) -> int:
            return len((await obstore.list_with_delimiter_async(store, "many"))["objects"])

        copies: dict[str, Runner] = {
            "copy_async_obstore": async_runner(copy_async(managers["obstore"]), 1, clock),
            "copy_async_fsspec": async_runner(copy_async(managers["fsspec"]), 1, clock),
            "copy_sync_obstore": sync_runner(copy_sync(syncs["obstore"]), clock),
            "copy_sync_fsspec": sync_runner(copy_sync(syncs["fsspec"]), clock),
        }
        listings: dict[str, Runner] = {
            "list_raw_aiobotocore": async_runner(raw_list_aiobotocore, 1, clock),
            "list_raw_obstore": async_runner(raw_list_obstore, 1, clock),
            "list_async_obstore": async_runner(list_async(listers["obstore"]), 1, clock),
            "list_async_fsspec": async_runner(list_async(listers["fsspec"]), 1, clock),
            "list_sync_obstore": sync_runner(list_sync(list_syncs["obstore"]), clock),
            "list_sync_fsspec": sync_runner(list_sync(list_syncs["fsspec"]), clock),
        }
        results = await compare(copies, rounds, rounds)
        results |= await compare(listings, 2 * rounds, rounds, warmup=1)
    return results


# -- Azure: obstore vs the Azure SDK, against Azurite ---------------------------------

AZURE_CONTAINER = "fast"
AZURE_SMALL_SIZE = 4096


async def azure_get_variants(n: int, rounds: int) -> dict[str, Measure]:
    """Small GETs against Azurite: the raw Azure SDK and raw obstore, and this library on
    each Azure engine, both APIs. Azurite (Node.js) needs far more CPU per request than
    the fast S3 responder, so the rates are Azurite's; the client CPU per GET is the
    figure to compare."""
    import obstore
    from azure.storage.blob import BlobServiceClient
    from azure.storage.blob.aio import BlobServiceClient as AsyncBlobServiceClient
    from obstore.store import AzureStore
    from servers import AzureServer

    c = GET_CONCURRENCY
    with AzureServer() as server:
        clock = CpuClock(server.pid)
        sdk = BlobServiceClient.from_connection_string(server.connection_string)
        blobs = sdk.create_container(AZURE_CONTAINER)
        for i in range(SMALL):
            blobs.upload_blob(_key(i), os.urandom(AZURE_SMALL_SIZE))
        store = AzureStore(
            AZURE_CONTAINER,
            config={
                "account_name": server.account_name,
                "account_key": server.account_key,
                "endpoint": server.endpoint_url,
            },
            client_options={"allow_http": True},
        )

        def az_mount(engine: str) -> dict[str, Any]:
            return {
                "name": "az",
                "type": "azure",
                "container": AZURE_CONTAINER,
                "connection_string": server.connection_string,
                "engine": engine,
            }

        async with contextlib.AsyncExitStack() as stack:
            aio = await stack.enter_async_context(
                AsyncBlobServiceClient.from_connection_string(server.connection_string)
            )
            aio_blobs = aio.get_container_client(AZURE_CONTAINER)
            managers = {
                e: await stack.enter_async_context(AsyncStorageManager([az_mount(e)]))
                for e in ("obstore", "fsspec")
            }
            syncs = {e: stack.enter_context(StorageManager([az_mount(e)])) for e in managers}

            async def raw_sdk(i: int) -> bytes:
                stream = await aio_blobs.download_blob(_key(i))
                data: bytes = await stream.readall()
                return data

            async def raw_obstore(i: int) -> bytes:
                result = await obstore.get_async(store, _key(i))
                return bytes(await result.bytes_async())

            def raw_sdk_sync(i: int) -> bytes:
                data: bytes = blobs.download_blob(_key(i)).readall()
                return data

            def raw_obstore_sync(i: int) -> bytes:
                return bytes(obstore.get(store, _key(i)).bytes())

            def api(manager: AsyncStorageManager) -> AsyncOp:
                nodes = [manager.node(f"az:{_key(i)}") for i in range(SMALL)]

                async def op(i: int) -> bytes:
                    return await nodes[i % SMALL].read_bytes()

                return op

            def sync_api(manager: StorageManager) -> Any:
                nodes = [manager.node(f"az:{_key(i)}") for i in range(SMALL)]

                def op(i: int) -> bytes:
                    return nodes[i % SMALL].read_bytes()

                return op

            variants: dict[str, Runner] = {
                "az_raw_sdk": async_runner(raw_sdk, c, clock),
                "az_raw_obstore": async_runner(raw_obstore, c, clock),
                "az_async_obstore": async_runner(api(managers["obstore"]), c, clock),
                "az_async_fsspec": async_runner(api(managers["fsspec"]), c, clock),
                "az_raw_sdk_sync": sync_runner(raw_sdk_sync, clock),
                "az_raw_obstore_sync": sync_runner(raw_obstore_sync, clock),
                "az_sync_obstore": sync_runner(sync_api(syncs["obstore"]), clock),
                "az_sync_fsspec": sync_runner(sync_api(syncs["fsspec"]), clock),
            }
            results = await compare(variants, n, rounds, warmup=c)
        sdk.close()
    return results


async def engines_measures(n: int, rounds: int, tmp: Path) -> dict[str, Measure]:
    """Every engine row: S3 against one fast server, Azure against Azurite."""
    with fast_server() as (endpoint, pid):
        results = await step("engines: GETs", get_variants(endpoint, n, rounds, pid))
        results |= await step(
            "engines: tree copy, listing", tree_and_listing_variants(endpoint, tmp, rounds, pid)
        )
    results |= await step("engines: Azure GETs", azure_get_variants(n // 4, rounds))
    return results


# -- the goal ratios: library vs raw obstore, paired blocks ---------------------------


@dataclass
class Ratio:
    """Library vs raw obstore over paired blocks: medians and ranges of the per-block
    ratios (wall time and client CPU), and the medians per GET in µs."""

    time: tuple[float, float, float]  # median, min, max of library/raw wall time
    cpu: tuple[float, float, float]  # the same for client CPU
    raw_us: tuple[float, float]  # raw: median wall µs and CPU µs per GET
    lib_us: tuple[float, float]  # library: the same


def _spread(xs: list[float]) -> tuple[float, float, float]:
    return statistics.median(xs), min(xs), max(xs)


def _ratio(raw: list[Timing], lib: list[Timing], n: int) -> Ratio:
    return Ratio(
        _spread([b[0] / a[0] for a, b in zip(raw, lib, strict=True)]),
        _spread([b[1] / a[1] for a, b in zip(raw, lib, strict=True)]),
        (
            statistics.median(t[0] for t in raw) / n * 1e6,
            statistics.median(t[1] for t in raw) / n * 1e6,
        ),
        (
            statistics.median(t[0] for t in lib) / n * 1e6,
            statistics.median(t[1] for t in lib) / n * 1e6,
        ),
    )


async def get_ratios(endpoint: str, repeats: int, block: int) -> dict[str, Ratio]:
    """Issue 16's goals: the library's GET (engine obstore) against raw obstore, sync
    (one at a time) and async (64 in flight). Each repeat times one block of ``block``
    GETs of raw and one of the library back to back, in alternating order (ABBA), after
    a warm-up of both; the ratio of each pair is taken, and the median and range of
    those ratios reported. Pairing short blocks keeps drifting load from other
    processes out of the ratio better than totals of long rounds do."""
    import obstore

    store = obstore_store(endpoint)
    out: dict[str, Ratio] = {}
    with StorageManager([mount(endpoint, "obstore")]) as manager:
        nodes = [manager.node(f"s3:{_key(i)}") for i in range(SMALL)]

        def raw(i: int) -> bytes:
            return bytes(obstore.get(store, _key(i)).bytes())

        def lib(i: int) -> bytes:
            return nodes[i % SMALL].read_bytes()

        def timed(op: Any) -> Timing:
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(block):
                op(i)
            return time.perf_counter() - t0, time.process_time() - c0

        def pairs() -> tuple[list[Timing], list[Timing]]:
            assert raw(1) == lib(1)
            timed(raw), timed(lib)  # warm-up: connections, first-use costs
            a: list[Timing] = []
            b: list[Timing] = []
            for r in range(repeats):
                if r % 2:
                    b.append(timed(lib))
                    a.append(timed(raw))
                else:
                    a.append(timed(raw))
                    b.append(timed(lib))
            return a, b

        out["sync"] = _ratio(*await asyncio.to_thread(pairs), block)

    async with AsyncStorageManager([mount(endpoint, "obstore")]) as amanager:
        anodes = [amanager.node(f"s3:{_key(i)}") for i in range(SMALL)]

        async def araw(i: int) -> bytes:
            result = await obstore.get_async(store, _key(i))
            return bytes(await result.bytes_async())

        async def alib(i: int) -> bytes:
            return await anodes[i % SMALL].read_bytes()

        async def atimed(op: AsyncOp) -> Timing:
            counter = iter(range(block))

            async def worker() -> None:
                for i in counter:
                    await op(i)

            c0, t0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(GET_CONCURRENCY)))
            return time.perf_counter() - t0, time.process_time() - c0

        await atimed(araw), await atimed(alib)
        a: list[Timing] = []
        b: list[Timing] = []
        for r in range(repeats):
            if r % 2:
                b.append(await atimed(alib))
                a.append(await atimed(araw))
            else:
                a.append(await atimed(araw))
                b.append(await atimed(alib))
        out["async"] = _ratio(a, b, block)
    return out


def ratios_report(found: dict[str, Ratio], repeats: int, block: int) -> str:
    """The goal rows as Markdown."""
    lines = [
        f"Library (engine obstore) vs raw obstore, 4 KiB GETs against the fast server;"
        f" {repeats} paired blocks of {block} GETs, alternating; median [min-max] of the"
        f" per-pair ratios.",
        "",
        "| API | raw µs/GET (wall; CPU) | library µs/GET (wall; CPU) | time ratio | CPU ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for api, r in found.items():
        lines.append(
            f"| {api} | {r.raw_us[0]:.0f}; {r.raw_us[1]:.0f} | {r.lib_us[0]:.0f}; "
            f"{r.lib_us[1]:.0f} | **{r.time[0]:.2f}x** [{r.time[1]:.2f}-{r.time[2]:.2f}] | "
            f"**{r.cpu[0]:.2f}x** [{r.cpu[1]:.2f}-{r.cpu[2]:.2f}] |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # a quick look: python benchmarks/engines.py [N | ratios [R B]]
    import tempfile

    if sys.argv[1:2] == ["ratios"]:
        reps = int(sys.argv[2]) if sys.argv[2:] else 21
        size = int(sys.argv[3]) if sys.argv[3:] else 300
        with fast_server() as (url, _pid):
            print(ratios_report(asyncio.run(get_ratios(url, reps, size)), reps, size))
        print(f"1-minute load average {os.getloadavg()[0]:.2f}")
        sys.exit(0)

    with tempfile.TemporaryDirectory() as name:
        found = asyncio.run(
            engines_measures(int(sys.argv[1]) if sys.argv[1:] else 800, 2, Path(name))
        )
    for row, m in found.items():
        print(f"{row:24s} {m.rate:10.1f}/s  {m.cpu_us / 1000:8.3f} ms CPU/op")
