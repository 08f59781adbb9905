"""The ``zip`` section of ``benchmarks/run.py``: a 1 GiB tree on local disk zipped into S3
(moto) with ``node.zip(dst)``, sync and async, reporting throughput and how much this
process's resident memory grew meanwhile (sampled every 5 ms: ``tests/memwatch.py``).

The data is pseudo-random (deflate cannot shrink it: the archive is as big as the tree,
the worst case for the upload). The claim checked is the bound, not the speed: the
archive is streamed, so the growth stays far below the archive's size.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

from harness import MIB, CpuClock, Measure
from memwatch import PeakRSS
from s3_clients import target_of
from servers import S3Server

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

ZIP_FILES = 16
ZIP_BUCKET = "bench-zip"


def make_tree(root: Path, total: int) -> int:
    """``ZIP_FILES`` files of pseudo-random bytes, ``total`` bytes in all."""
    rng = random.Random(11)
    each = total // ZIP_FILES
    for i in range(ZIP_FILES):
        folder = root / f"part{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"f{i:02d}.bin", "wb") as f:
            for _ in range(each // MIB):
                f.write(rng.randbytes(MIB))
    return each * ZIP_FILES


def _configs(tmp: Path, server: S3Server) -> list[dict[str, Any]]:
    """The local mount over ``tmp`` and an S3 mount on a new bucket of ``server``."""
    import boto3

    target = target_of(server)
    client = boto3.client(
        "s3",
        endpoint_url=target.endpoint_url,
        aws_access_key_id=target.key,
        aws_secret_access_key=target.secret,
        region_name=target.region,
    )
    client.create_bucket(Bucket=ZIP_BUCKET)
    client.close()
    return [
        {"name": "disk", "type": "local", "path": str(tmp)},
        {
            "name": "s3",
            "type": "s3",
            "bucket": ZIP_BUCKET,
            "endpoint_url": target.endpoint_url,
            "key": target.key,
            "secret": target.secret,
            "region": target.region,
        },
    ]


async def zip_runs(tmp: Path, total: int) -> tuple[dict[str, Measure], dict[str, int], int]:
    """Zip the tree into S3 once per API; returns measures (MiB/s, CPU µs per MiB), peak
    memory growth in bytes and the tree's size."""
    size = make_tree(tmp / "tree", total)
    clock = CpuClock()
    measures: dict[str, Measure] = {}
    growth: dict[str, int] = {}
    server = S3Server(use_environment=False)
    server.start()
    try:
        configs = _configs(tmp, server)
        with StorageManager(configs) as storage:
            cpu0 = clock.read()[0]
            t0 = time.perf_counter()
            with PeakRSS() as peak:
                landed = await asyncio.to_thread(
                    storage.node("disk:tree").zip, storage.node("s3:sync.zip")
                )
            elapsed, cpu = time.perf_counter() - t0, clock.read()[0] - cpu0
            assert landed.size is not None and landed.size >= size
            measures["zip_sync"] = Measure(size / MIB / elapsed, cpu / (size / MIB) * 1e6)
            growth["zip_sync"] = peak.growth
            landed.delete()  # moto holds objects in memory: free it for the next run
        async with AsyncStorageManager(configs) as astorage:
            cpu0 = clock.read()[0]
            t0 = time.perf_counter()
            with PeakRSS() as peak:
                alanded = await astorage.node("disk:tree").zip(astorage.node("s3:async.zip"))
            elapsed, cpu = time.perf_counter() - t0, clock.read()[0] - cpu0
            asize = await alanded.size()
            assert asize is not None and asize >= size
            measures["zip_async"] = Measure(size / MIB / elapsed, cpu / (size / MIB) * 1e6)
            growth["zip_async"] = peak.growth
    finally:
        server.stop()
    return measures, growth, size
