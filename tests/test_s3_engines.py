"""The two S3 engines: obstore (the default where installed) and fsspec (s3fs/botocore).

The conformance suites run S3 on both engines (``mounts.S3_FSSPEC``); this file checks
what is particular to the choice: how a mount picks its engine, that the obstore engine
really serves the data plane without botocore (in both APIs, without an event-loop
bridge in the sync one), that obstore's errors land in the library's hierarchy with
their cause and without secrets, and that keys obstore cannot address fall back.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import urllib.request
import uuid
from typing import Any

import cloud_mounts
import obstore
import pytest
from mounts import test_node

from genro_storage import (
    StorageConfigError,
    StorageExistsError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage._shared.exceptions import StorageBackendError, errors_as_storage
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends import obstoreops
from genro_storage.backends.s3 import S3Logic
from genro_storage.backends.s3obstore import S3ObstoreLogic

SECRET = "genro-s3cr3t-value-42"


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


# -- choosing the engine ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "logic"),
    [
        ({}, S3ObstoreLogic),  # obstore is installed: the default
        ({"engine": "obstore"}, S3ObstoreLogic),
        ({"engine": "fsspec"}, S3Logic),
        ({"options": {"config_kwargs": {"retries": {"max_attempts": 2}}}}, S3Logic),
        ({"engine": "obstore", "options": {"config_kwargs": {}}}, S3ObstoreLogic),
    ],
)
async def test_the_engine_follows_the_config_in_both_apis(s3_server, extra, logic):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique(), **extra)
    engine = logic.engine
    with StorageManager([config]) as sync:
        assert type(sync._backend("s3").logic) is logic
        assert sync._backend("s3").engine == engine
    async with AsyncStorageManager([config]) as storage:
        assert type(storage._backend("s3").logic) is logic
        assert storage.describe() == {"s3": f"native, {engine}"}


@pytest.mark.parametrize("bad", ["boto", "OBSTORE", "", 3, True, ["obstore"], {"x": 1}])
def test_a_bad_engine_is_refused_naming_the_field(s3_server, bad):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique(), engine=bad)
    with pytest.raises(StorageConfigError, match="'engine'") as caught:
        StorageManager([config])
    assert "'obstore' or 'fsspec'" in str(caught.value)


@pytest.mark.parametrize("kind", ["gcs"])
@pytest.mark.parametrize("api", ["sync", "async"])
async def test_gcs_stays_on_fsspec_and_says_so(request, kind, api, open_storage):
    """GCS runs on fsspec only (the GCS emulator cannot serve object_store: its upload
    answers carry no ETag): ``engine: fsspec`` works, ``obstore`` is refused. (Azure has
    both engines: ``tests/test_azure_engine.py``.)"""
    server = request.getfixturevalue(f"{kind}_server")
    make = getattr(cloud_mounts, f"{kind}_mount")
    storage = open_storage([make(server, "m", unique(), engine="fsspec")])
    await test_node(storage, "m:a.txt").write_bytes(b"fsspec")
    assert await test_node(storage, "m:a.txt").read_bytes() == b"fsspec"
    assert storage._backend("m").engine == "fsspec"
    with pytest.raises(StorageConfigError, match="'engine' is 'obstore'.*use 'fsspec'"):
        open_storage([make(server, "n", unique(), engine="obstore")])
    with pytest.raises(StorageConfigError, match="'engine'"):
        open_storage([make(server, "n", unique(), engine="boto")])


@pytest.mark.parametrize("mount_type", ["memory", "local", "http"])
def test_engine_is_not_a_field_of_other_types(tmp_path, mount_type):
    config: dict[str, Any] = {"name": "m", "type": mount_type, "engine": "obstore"}
    config |= {"local": {"path": str(tmp_path)}, "http": {"base_url": "http://x.invalid/"}}.get(
        mount_type, {}
    )
    with pytest.raises(StorageConfigError, match="engine"):
        StorageManager([config])


# -- the obstore engine serves the data plane without botocore --------------------------


async def test_obstore_engine_never_builds_s3fs_for_the_data_plane(s3_server):
    """Writes, reads (whole and ranged), facts, copies, moves, deletes and URLs of plain
    keys: no s3fs filesystem (no botocore, no fsspec loop thread) is ever made. Listing
    is botocore's (see the engine table), so it is left out here."""
    config = cloud_mounts.s3_mount(s3_server, "s3", unique())

    async def exercise(node: Any, other: Any) -> None:
        await node.write_bytes(b"0123456789")
        assert await node.read_bytes() == b"0123456789"
        async with node.open("rb") as f:
            assert await f.read(4) == b"0123"
            assert await f.read() == b"456789"
        info = await node.info()
        assert (info.size, info.content_type) == (10, "text/plain")
        assert await node.md5hash() == "781e5e245d69b566979b86e28d23f2c7"
        await node.copy(other)
        assert await other.read_bytes() == b"0123456789"
        await other.delete()
        assert not await other.exists()
        urllib.request.urlopen(node.url(), timeout=30).close()

    with StorageManager([config]) as sync:
        await exercise(test_node(sync, "s3:a.txt"), test_node(sync, "s3:b.txt"))
        assert sync._backend("s3")._fs is None  # no s3fs, no event-loop bridge
    async with AsyncStorageManager([config]) as storage:
        await exercise(storage.node("s3:a.txt"), storage.node("s3:c.txt"))
        assert storage._backend("s3")._per_loop == {}


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_keys_obstore_cannot_address_fall_back(s3_server, api, open_storage):
    """A folder marker ('d/') and literal names with '.', '..' or empty segments are
    served through botocore, byte-exact, on the obstore engine."""
    storage = open_storage([cloud_mounts.s3_mount(s3_server, "s3", unique())])
    await test_node(storage, "s3:d").mkdir()
    assert (await test_node(storage, "s3:d").info()).isdir
    backend = storage._backend("s3")
    logic = backend.logic
    assert isinstance(logic, S3ObstoreLogic)
    keys = [logic.key("d/x//y"), logic.key("d/./z"), logic.key("d/../w")]
    client = s3_server.client()
    for key in keys:
        await asyncio.to_thread(
            client.put_object, Bucket=cloud_mounts.S3_BUCKET, Key=key, Body=key.encode()
        )
    client.close()
    from genro_storage._shared.sansio import drive_async, drive_sync

    for key in keys:
        head = logic._g_head(key)
        found = drive_sync(head) if api == "sync" else await drive_async(head)
        assert found is not None and found.size == len(key.encode())
    await test_node(storage, "s3:d").delete(recursive=True)
    assert not await test_node(storage, "s3:d").exists()


# -- errors ----------------------------------------------------------------------------


def _store(s3_server: Any) -> Any:
    cloud_mounts.ensure_s3_bucket(s3_server)
    return obstore.store.S3Store(
        cloud_mounts.S3_BUCKET,
        endpoint=s3_server.endpoint_url,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        region=s3_server.region,
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )


async def test_obstore_errors_map_onto_the_hierarchy_with_their_cause(s3_server):
    store = _store(s3_server)
    key = f"{unique()}/once.txt"
    obstoreops.put(store, key, b"1", {}, True)
    with pytest.raises(StorageExistsError) as exists, errors_as_storage("m:once.txt"):
        obstoreops.put(store, key, b"2", {}, True)  # conditional create
    assert type(exists.value.__cause__).__name__ == "AlreadyExistsError"
    with pytest.raises(StorageExistsError), errors_as_storage("m:once.txt"):
        await obstoreops.put_async(store, key, b"2", {}, True)
    assert obstoreops.get(store, key) == b"1"
    with pytest.raises(StorageNotFoundError) as missing, errors_as_storage("m:nope.txt"):
        await obstoreops.get_async(store, f"{key}.nope")
    assert missing.value.__cause__ is not None
    assert "http" not in str(missing.value)  # the library's wording, not obstore's


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PermissionDeniedError", StoragePermissionError),
        ("UnauthenticatedError", StoragePermissionError),
        ("AlreadyExistsError", StorageExistsError),
        ("PreconditionError", StorageExistsError),
        ("NotFoundError", StorageNotFoundError),
        ("GenericError", StorageBackendError),
    ],
)
def test_every_obstore_error_class_maps_without_secrets(name, expected):
    text = (
        f"Error performing GET http://u:{SECRET}@h.invalid/b/k?X-Amz-Signature={SECRET}"
        f"&X-Amz-Credential={SECRET} token={SECRET}"
    )
    raised = getattr(obstore.exceptions, name)(text)
    with pytest.raises(expected) as caught, errors_as_storage("m:k"):
        raise raised
    assert caught.value.__cause__ is raised
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_missing_bucket_on_obstore_names_the_mount_not_the_url(s3_server, api, open_storage):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique())
    config["bucket"] = "no-such-bucket-" + uuid.uuid4().hex[:8]
    storage = open_storage([config])
    with pytest.raises(StorageNotFoundError) as caught:
        await test_node(storage, "s3:a.txt").read_bytes()
    assert "s3:a.txt" in str(caught.value)
    assert s3_server.endpoint_url not in str(caught.value)


def test_presigned_url_from_obstore_expires(s3_server):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique())
    with StorageManager([config]) as storage:
        node = storage.node("s3:signed.txt")
        node.write_bytes(b"signed")
        url = node.url(expires_in=60)
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
        with urllib.request.urlopen(url, timeout=30) as answer:
            assert answer.read() == b"signed"
        store = storage._backend("s3").logic.store()
        later = obstore.sign(store, "GET", "x", datetime.timedelta(seconds=1))
        assert "X-Amz-Expires=1" in later


ODD_NAMES = [
    "a\\b.txt",
    "p%2Fq.txt",
    "h#x?.txt",
    "nb\u00a0sp.txt",
    "tab\tx.txt",  # control characters: object_store refuses them, botocore serves them
    "*star*.txt",
    "ü/é.txt",
    "sp ace .txt",
    "%.txt",
    "a+b=c&d.txt",
    "emoji😀.txt",
]


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_odd_names_are_the_same_keys_on_both_engines(s3_server, api, open_storage):
    prefix = unique()
    ob = cloud_mounts.s3_mount(s3_server, "ob", prefix)
    fs = cloud_mounts.s3_mount(s3_server, "fs", prefix, engine="fsspec")
    storage = open_storage([ob, fs])
    client = s3_server.client()
    for name in ODD_NAMES:
        await test_node(storage, f"ob:{name}").write_bytes(name.encode())
        raw = await asyncio.to_thread(
            lambda n=name: client.get_object(Bucket=cloud_mounts.S3_BUCKET, Key=f"{prefix}/{n}")
        )
        assert raw["Body"].read() == name.encode()
        assert await test_node(storage, f"fs:{name}").read_bytes() == name.encode()
        assert (await test_node(storage, f"ob:{name}").info()).size == len(name.encode())
        await test_node(storage, f"ob:{name}").copy(test_node(storage, f"ob:c/{name}"))
        assert await test_node(storage, f"fs:c/{name}").read_bytes() == name.encode()
        url = test_node(storage, f"ob:{name}").url()
        with await asyncio.to_thread(urllib.request.urlopen, url, timeout=30) as answer:
            assert answer.read() == name.encode()
    await test_node(storage, "ob:c").delete(recursive=True)
    client.close()
    on_ob = sorted(e.path for e in (await test_node(storage, "ob:").list()).entries)
    on_fs = sorted(e.path for e in (await test_node(storage, "fs:").list()).entries)
    assert on_ob == on_fs and len(on_ob) == len(ODD_NAMES)  # 'ü/é.txt' lists as 'ü'
    await test_node(storage, "ob:ü").delete(recursive=True)
    for name in ODD_NAMES:
        if "/" not in name:
            await test_node(storage, f"ob:{name}").delete()
    assert (await test_node(storage, "fs:").list()).entries == []


async def test_cancelled_obstore_calls_land_whole_or_not_at_all(s3_server):
    """Reads and writes cancelled at many points: a cancelled write is either absent or
    whole (its PUT is shielded once started), the mount keeps working, nothing leaks."""
    config = cloud_mounts.s3_mount(s3_server, "s3", unique())
    payload = os.urandom(256 * 1024)
    async with AsyncStorageManager([config]) as storage:
        await storage.node("s3:src.bin").write_bytes(payload)
        for i, delay in enumerate([0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05]):
            node = storage.node(f"s3:w{i}.bin")
            write = asyncio.ensure_future(node.write_bytes(payload))
            read = asyncio.ensure_future(storage.node("s3:src.bin").read_bytes())
            await asyncio.sleep(delay)
            write.cancel()
            read.cancel()
            await asyncio.gather(write, read, return_exceptions=True)
            await asyncio.sleep(0.2)  # a write that went on lands meanwhile
            if await node.exists():
                assert await node.read_bytes() == payload
        assert await storage.node("s3:src.bin").read_bytes() == payload
