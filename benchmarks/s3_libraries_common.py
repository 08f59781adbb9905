"""What the cases of ``s3_libraries.py`` share: the sizes and counts, the report's
``Row`` (aioboto3 vs s3fs), seeding the bucket, and the small-object GET of each library."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from typing import Any

from harness import KIB, MIB, AsyncOp, CpuClock, Measure, async_runner, compare
from s3_clients import Target, aioboto3_client
from s3fs import S3FileSystem

BUCKET = "bench"
SMALL_SIZES = (1 * KIB, 64 * KIB)
SMALL_OBJECTS = 200  # distinct keys per size, read round-robin
CONCURRENCIES = (1, 10, 50, 200)
DEFAULT_POOL = 10  # botocore.endpoint.MAX_POOL_CONNECTIONS
LARGE_SIZE = 64 * MIB
LIST_KEYS = 5000
LATENCY = 0.05  # seconds added per request by the latency server


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
