"""``run.py``'s data sections: pandas reading Parquet from moto through ``genro://``
vs s3fs, listing scale (``children()`` of 50k-200k entries), and ``zip(dst)`` of a local
tree into S3 (``zip_section.py``)."""

from __future__ import annotations

import asyncio
import gc
import io
import os
import time
from pathlib import Path
from typing import Any

from harness import (
    MIB,
    CpuClock,
    Measure,
    Runner,
    Sample,
    compare,
    sync_runner,
)
from run_common import BUCKET, Row, Section
from s3_clients import Target, target_of
from servers import S3Server

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

PARQUET_SIZE = 64 * MIB  # about; the report gives the exact size
PARQUET_KEY = "parquet/big.parquet"


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
