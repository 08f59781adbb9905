"""Versioned access as genro-storage 0.x offers it, against moto's versioned S3 bucket,
through both APIs (one async-vocabulary body each; ``api`` runs it twice).

``node.open(version=...)``/``open(as_of=...)``, ``storage.node(spec, version=...)``
snapshots (read-only), the index rule (0 the oldest, -1 the newest), the errors
(out of range, unknown id, before the first version, a store without versions, bad
selectors), and ``open_version`` streaming a large version with ranged reads.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import cloud_mounts
import pytest
from memwatch import PeakRSS
from mounts import test_node

from genro_storage import (
    StorageConfigError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUnsupportedError,
)
from genro_storage.async_ import AsyncStorageNode

MiB = 1024 * 1024


def versioned(s3_server: Any, open_storage: Any, *extra: dict) -> Any:
    bucket = cloud_mounts.S3_VERSIONED_BUCKET
    prefix = f"v-{uuid.uuid4().hex[:12]}"
    return open_storage([cloud_mounts.s3_mount(s3_server, "s3", prefix, bucket=bucket), *extra])


def snapshot(storage: Any, spec: str, **selector: Any) -> Any:
    """``storage.node(spec, version=...)`` with the async vocabulary."""
    node = storage.node(spec, **selector)
    if isinstance(storage, StorageManager):
        from adapters import SyncAsAsync

        return SyncAsAsync(node)
    return node


async def read_open(node: Any, **selector: Any) -> bytes:
    async with node.open("rb", **selector) as f:
        return await f.read()


async def three_versions(storage: Any, spec: str = "s3:doc.txt") -> Any:
    node = test_node(storage, spec)
    for text in ("one", "two", "three"):
        await node.write_text(text)
    return node


async def test_index_and_id_select_a_version(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage)
    node = await three_versions(storage)
    expected = {0: b"one", 1: b"two", 2: b"three", -1: b"three", -2: b"two", -3: b"one"}
    for index, data in expected.items():
        assert await read_open(node, version=index) == data, index
    for info, data in zip(await node.versions(), (b"three", b"two", b"one"), strict=True):
        assert await read_open(node, version=info.version_id) == data
        async with node.open_version(info.version_id) as f:
            assert await f.read() == data
    assert await node.read_bytes() == b"three"  # the live node is untouched
    for index in (3, -4, 10**9):
        with pytest.raises(StorageNotFoundError, match=r"s3:doc.txt.*3 version\(s\)"):
            await read_open(node, version=index)
    with pytest.raises(StorageNotFoundError, match="s3:doc.txt.*'no-such-id'"):
        await read_open(node, version="no-such-id")
    with pytest.raises(StorageNotFoundError, match="s3:missing.txt"):
        await read_open(test_node(storage, "s3:missing.txt"), version=-1)


async def test_snapshot_node_is_read_only(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage)
    live = await three_versions(storage)
    old = snapshot(storage, "s3:doc.txt", version=-2)
    assert await old.read_bytes() == b"two"
    assert await old.read_text() == "two"
    assert await read_open(old) == b"two"
    assert await old.read_range(1, 3) == b"wo"
    assert await old.read_range(2, None) == b"o"
    info = await old.info()
    versions = await live.versions()
    assert (info.version_id, info.size, info.path) == (versions[1].version_id, 3, "doc.txt")
    assert await old.exists() and await old.isfile() and await old.size() == 3
    assert await old.md5hash() == "b8a9f715dbb64fd5c56e7783c6820a61"  # md5(b"two")
    caps = old.capabilities
    assert not caps.write and not caps.delete and not caps.presigned_url
    assert old.url() is None
    assert old != live and old.sync != live.sync if api == "sync" else old != live
    refused = [
        old.write_bytes(b"x"),
        old.write_text("x"),
        old.delete(),
        old.set_metadata({"a": "b"}),
        old.move("s3:elsewhere.txt"),
        old.parent.child("new.txt").write_bytes(b"x"),  # the rest of the mount: read-only
    ]
    for attempt in refused:
        with pytest.raises(
            StoragePermissionError, match=r"'s3 \(snapshot version -2\)' is readonly"
        ):
            await attempt
    assert [e.path for e in (await old.parent.list()).entries] == ["doc.txt"]
    with pytest.raises(StoragePermissionError, match="snapshot version -2"):
        async with old.open("wb") as f:
            await f.write(b"x")
    with pytest.raises(StorageConfigError, match="already a snapshot"):
        await read_open(old, version=0)
    assert await live.read_bytes() == b"three"
    # restoring an old version is a copy onto the live file: allowed, a new version
    await old.copy(live)
    assert await live.read_bytes() == b"two"
    assert len(await live.versions()) == 4
    assert await old.read_bytes() == b"two"  # still the same version
    missing = snapshot(storage, "s3:doc.txt", version=99)
    assert not await missing.exists()
    with pytest.raises(StorageNotFoundError, match="s3:doc.txt"):
        await missing.read_bytes()


async def test_as_of_picks_the_version_current_then(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage)
    node = test_node(storage, "s3:timed.txt")
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    moments = []
    for text in ("one", "two", "three"):
        await node.write_text(text)
        await asyncio.sleep(1.1)  # S3 times have second precision on some servers
        moments.append(datetime.now(timezone.utc))
        await asyncio.sleep(1.1)
    for moment, data in zip(moments, (b"one", b"two", b"three"), strict=True):
        assert await read_open(node, as_of=moment) == data
        assert await snapshot(storage, "s3:timed.txt", as_of=moment).read_bytes() == data
    naive_local = moments[0].astimezone().replace(tzinfo=None)  # local time, as timestamp()
    assert await read_open(node, as_of=naive_local) == b"one"
    with pytest.raises(StorageNotFoundError, match="s3:timed.txt.*before its first version"):
        await read_open(node, as_of=before)


async def test_stores_without_versions_and_bad_selectors(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage, {"name": "mem", "type": "memory"})
    mem = test_node(storage, "mem:f.txt")
    await mem.write_bytes(b"x")
    for selector in ({"version": -1}, {"version": "abc"}, {"as_of": datetime.now()}):
        with pytest.raises(StorageUnsupportedError, match="mem:f.txt.*keeps no versions"):
            await read_open(mem, **selector)
        with pytest.raises(StorageUnsupportedError, match="mem:f.txt"):
            await snapshot(storage, "mem:f.txt", **selector).read_bytes()
    node = await three_versions(storage)
    for selector, message in [
        ({"version": True}, "'version' must be"),
        ({"version": 1.0}, "'version' must be"),
        ({"version": ""}, "non-empty"),
        ({"version": b"id"}, "'version' must be"),
        ({"as_of": "2024-01-01"}, "'as_of' must be a datetime"),
        ({"as_of": 0}, "'as_of' must be a datetime"),
        ({"version": -1, "as_of": datetime.now()}, "not both"),
    ]:
        with pytest.raises(StorageConfigError, match=message):
            await read_open(node, **selector)
        with pytest.raises(StorageConfigError, match=message):
            snapshot(storage, "s3:doc.txt", **selector)
    with pytest.raises(StoragePermissionError, match="read-only"):
        async with node.open("wb", version=-1):
            pass


async def test_open_version_streams_with_ranged_reads(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage)
    node = test_node(storage, "s3:big.bin")
    first = os.urandom(48 * MiB)
    await node.write_bytes(first)
    await node.write_bytes(b"small now")
    old = (await node.versions())[1].version_id
    with PeakRSS() as peak:
        async with node.open_version(old) as f:
            head = await f.read(MiB)
    assert head == first[:MiB]
    assert peak.growth < 24 * MiB, peak.growth  # never the whole 48 MiB version
    assert (
        await snapshot(storage, "s3:big.bin", version=0).read_range(5 * MiB, 5 * MiB + 7)
        == (first[5 * MiB : 5 * MiB + 7])
    )
    total = 0
    async with node.open("rb", version=0) as f:
        while chunk := await f.read(8 * MiB):
            assert chunk == first[total : total + len(chunk)]
            total += len(chunk)
    assert total == len(first)


async def test_versions_through_a_relative_mount(s3_server, api, open_storage):
    storage = versioned(s3_server, open_storage, {"name": "pub", "path": "s3:public"})
    await three_versions(storage, "pub:doc.txt")
    assert await read_open(test_node(storage, "s3:public/doc.txt"), version=0) == b"one"
    assert await snapshot(storage, "pub:doc.txt", version=-2).read_bytes() == b"two"
    node = snapshot(storage, "pub:doc.txt", version=1)
    assert isinstance(getattr(node, "sync", node), AsyncStorageNode) == (api == "async")
