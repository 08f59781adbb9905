"""Large transfers across real stores: bounded memory, integrity, and cancellation that
leaves nothing behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random

import pytest
from memwatch import PeakRSS

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

MiB = 1024 * 1024


def make_file(path: str, size: int, seed: int = 7) -> str:
    """Write ``size`` pseudo-random bytes in 1 MiB steps; return their md5."""
    rng = random.Random(seed)
    digest = hashlib.md5()
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            block = rng.randbytes(MiB)
            digest.update(block)
            f.write(block)
    return digest.hexdigest()


def test_64mb_chain_local_s3_azure_gcs_local_in_bounded_memory(make_config, tmp_path):
    configs = [
        make_config("local", "src"),
        make_config("s3", "s3"),
        make_config("azure", "az"),
        make_config("gcs", "gcs"),
        make_config("local", "dst"),
    ]
    storage = StorageManager(configs)
    expected = make_file(os.path.join(configs[0]["path"], "big.bin"), 64 * MiB)
    chain = ["src:big.bin", "s3:big.bin", "az:big.bin", "gcs:big.bin", "dst:big.bin"]
    for spec in chain:  # warm up: the first use of each client library costs memory once
        storage.node(spec).parent.child("warm-up").write_bytes(b"x" * 1024)
    with PeakRSS() as peak:
        for here, there in zip(chain, chain[1:], strict=False):
            storage.node(here).copy(storage.node(there))
    storage.close()
    digest = hashlib.md5()
    with open(os.path.join(configs[-1]["path"], "big.bin"), "rb") as f:
        while block := f.read(MiB):
            digest.update(block)
    assert digest.hexdigest() == expected
    assert peak.growth < 64 * MiB, f"memory grew by {peak.growth / MiB:.1f} MiB"


async def test_256mb_local_to_s3_async_in_bounded_memory(make_config):
    configs = [make_config("local", "src"), make_config("s3", "s3")]
    expected = make_file(os.path.join(configs[0]["path"], "huge.bin"), 256 * MiB)
    async with AsyncStorageManager(configs) as storage:
        await storage.node("s3:warm-up").write_bytes(b"x" * 1024)
        with PeakRSS() as peak:
            await storage.node("src:huge.bin").copy(storage.node("s3:huge.bin"))
        assert await storage.node("s3:huge.bin").size() == 256 * MiB
        assert await storage.node("s3:huge.bin").md5hash() == expected
    assert peak.growth < 64 * MiB, f"memory grew by {peak.growth / MiB:.1f} MiB"


@pytest.mark.parametrize(
    ("src_kind", "dst_kind"), [("local", "s3"), ("s3", "azure"), ("memory", "gcs")]
)
async def test_cancelling_a_32mb_copy_at_random_points_leaves_no_destination(
    make_config, src_kind, dst_kind
):
    configs = [make_config(src_kind, "src"), make_config(dst_kind, "dst")]
    async with AsyncStorageManager(configs) as storage:
        src = storage.node("src:payload.bin")
        await src.write_bytes(random.Random(3).randbytes(32 * MiB))
        rng = random.Random(11)
        chunks = 8  # 32 MiB in 4 MiB chunks: a progress event per chunk
        for attempt in range(8):
            dst = storage.node(f"dst:try-{attempt}.bin")
            # Cancel at a random chunk, then let the task reach its next await: the
            # cancellation points are random but never depend on the machine's speed.
            stop_at = rng.randint(1, chunks)
            tasks: list[asyncio.Task] = []

            def progress(event, stop_at=stop_at, tasks=tasks, seen=[0]):  # noqa: B006
                seen[0] += 1
                if seen[0] == stop_at:
                    tasks[0].cancel()

            task = asyncio.create_task(src.copy(dst, progress=progress))
            tasks.append(task)
            try:
                await task
            except asyncio.CancelledError:
                assert not await dst.exists(), f"cancelled copy left {dst.fullpath}"
            else:  # cancelled once its commit had started: the copy completes, whole
                assert await dst.md5hash() == await src.md5hash()
                await dst.delete()
        leftovers = [c.basename async for c in storage.node("dst:").children()]
        assert leftovers == []
