"""What the cloud backends do beyond the conformance suite, against the real servers
(moto S3, Azurite, the GCS emulator, the aiohttp file server), over both APIs.

Each test body is written once with the async vocabulary; the ``api`` fixture runs it
with ``AsyncStorageManager`` and with ``StorageManager`` (through ``SyncAsAsync``).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import urllib.request
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import cloud_mounts
import pytest
from mounts import AZURE_FSSPEC, S3_FSSPEC, test_node

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager

MiB = 1024 * 1024
SECRET_KEY = "AKIAGENROSECRETKEY"
SECRET = "genro-s3cr3t-value-42"


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


async def backend_call(manager: Any, mount: str, name: str, *args: Any) -> Any:
    """Call a backend method directly (the node layer has fallbacks that would hide
    whether the store itself answered): in a thread for the sync API."""
    method = getattr(manager._backend(mount), name)
    if isinstance(manager, StorageManager):
        return await asyncio.to_thread(method, *args)
    result = method(*args)
    return await result if inspect.isawaitable(result) else result


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.read()


async def version_bytes(node: Any, version_id: str) -> bytes:
    """One version's bytes through ``open_version`` (a streamed file in both APIs)."""
    async with node.open_version(version_id) as f:
        return await f.read()


# -- S3 ------------------------------------------------------------------------------


async def test_s3_versions_newest_first_and_open_version(s3_server, api, open_storage):
    bucket = cloud_mounts.S3_VERSIONED_BUCKET
    storage = open_storage([cloud_mounts.s3_mount(s3_server, "s3", unique(), bucket=bucket)])
    node = test_node(storage, "s3:doc.txt")
    for text in ("one", "two", "three"):
        await node.write_text(text)
    versions = await node.versions()
    assert len(versions) == 3
    assert versions[0].is_latest and not any(v.is_latest for v in versions[1:])
    assert [await version_bytes(node, v.version_id) for v in versions] == [
        b"three",
        b"two",
        b"one",
    ]
    assert [v.size for v in versions] == [5, 3, 3]
    assert (await node.info()).version_id == versions[0].version_id
    with pytest.raises(StorageNotFoundError, match="s3:missing.txt"):
        await test_node(storage, "s3:missing.txt").versions()


async def test_s3_presigned_url_serves_the_bytes_and_expires(s3_server, api, open_storage):
    storage = open_storage([cloud_mounts.s3_mount(s3_server, "s3", unique())])
    node = test_node(storage, "s3:dir/file name.bin")
    payload = os.urandom(5000)
    await node.write_bytes(payload)
    assert await fetch(node.url(expires_in=600)) == (200, payload)
    with urllib.request.urlopen(node.url()) as answer:  # the default expiry: 1 hour
        assert answer.read() == payload
    short = node.url(expires_in=1)
    query = parse_qs(urlsplit(short).query)
    assert query["X-Amz-Expires"] == ["1"] and "X-Amz-Signature" in query
    await asyncio.sleep(2.1)
    status, _ = await fetch(short)
    if s3_server.external:  # a real S3 (MinIO...) enforces the expiry
        assert status == 403
    else:  # moto serves presigned URLs without checking them: the expiry is in the URL
        assert status == 200


NAMES_2500 = [f"f{i:04d}.txt" for i in range(2500)]


@pytest.fixture(scope="module")
async def s3_2500(s3_server) -> dict:
    """A mount config whose folder ``big`` holds 2,500 objects (written once, 32 at a
    time through the async API)."""
    config = cloud_mounts.s3_mount(s3_server, "s3", unique("pages"))
    async with AsyncStorageManager([config]) as writer:
        gate = asyncio.Semaphore(32)

        async def put(name: str) -> None:
            async with gate:
                await writer.node(f"s3:big/{name}").write_bytes(name.encode())

        await asyncio.gather(*(put(n) for n in NAMES_2500))
    return config


async def test_s3_paged_listing_of_2500_objects(s3_2500, api, open_storage):
    names = NAMES_2500
    config = s3_2500
    storage = open_storage([config])
    folder = test_node(storage, "s3:big")
    seen, sizes, cursors, cursor = [], [], [], None
    while True:
        page = await folder.list(page_size=700, cursor=cursor)
        sizes.append(len(page.entries))
        seen += [e.name for e in page.entries]
        cursor = page.cursor
        cursors.append(cursor)
        if cursor is None:
            break
    assert sizes == [700, 700, 700, 400]
    assert all(isinstance(c, str) and c for c in cursors[:-1])
    assert seen == names
    first = (await folder.list(page_size=3)).entries
    assert [(e.path, e.isfile, e.size) for e in first] == [
        ("big/f0000.txt", True, 9),
        ("big/f0001.txt", True, 9),
        ("big/f0002.txt", True, 9),
    ]
    everything = await folder.list()
    assert len(everything.entries) == 2500 and everything.cursor is None


async def test_s3_copy_between_two_mounts_is_server_side(s3_server, api, open_storage):
    other_bucket = cloud_mounts.ensure_s3_bucket(s3_server, "genro-storage-other")
    storage = open_storage(
        [
            cloud_mounts.s3_mount(s3_server, "a", unique()),
            cloud_mounts.s3_mount(s3_server, "b", unique(), bucket=other_bucket),
            cloud_mounts.s3_mount(s3_server, "c", unique(), key="someone-else"),
        ]
    )
    a, b, c = (storage._backend(m) for m in "abc")
    assert a.same_store(b) and b.same_store(a)
    assert not a.same_store(c)  # other credentials: the bytes must flow through here
    src = test_node(storage, "a:x/report.csv")
    payload = os.urandom(200_000)
    await src.write_bytes(payload)
    await src.set_metadata({"owner": "genro", "stage": "draft"})
    report = await src.copy(test_node(storage, "b:y/report.csv"))
    assert report.copied == ["a:x/report.csv"]
    dst = test_node(storage, "b:y/report.csv")
    assert await dst.read_bytes() == payload
    # A streamed copy writes new objects without user metadata: CopyObject keeps it.
    assert await dst.get_metadata() == {"owner": "genro", "stage": "draft"}
    await src.move(test_node(storage, "b:z.csv"))
    assert not await src.exists()
    assert await test_node(storage, "b:z.csv").get_metadata() == {
        "owner": "genro",
        "stage": "draft",
    }


async def test_s3_aborted_streamed_write_leaves_no_upload_and_no_object(
    s3_server, api, open_storage
):
    prefix = unique()
    storage = open_storage([cloud_mounts.s3_mount(s3_server, "s3", prefix)])
    client = s3_server.client()
    bucket = cloud_mounts.S3_BUCKET
    key = f"{prefix}/partial.bin"

    def uploads() -> list[str]:
        answer = client.list_multipart_uploads(Bucket=bucket, Prefix=key)
        return [u["Key"] for u in answer.get("Uploads", [])]

    node = test_node(storage, "s3:partial.bin")
    with pytest.raises(RuntimeError, match="boom"):
        async with node.open("wb") as f:
            await f.write(os.urandom(9 * MiB))  # more than one part: a real multipart upload
            assert await asyncio.to_thread(uploads) == [key]
            raise RuntimeError("boom")
    assert await asyncio.to_thread(uploads) == []
    assert not await node.exists()
    client.close()
    payload = os.urandom(17 * MiB + 5)  # three parts, the last one short
    async with node.open("wb") as f:
        for start in range(0, len(payload), 3 * MiB):
            await f.write(payload[start : start + 3 * MiB])
    assert await node.size() == len(payload)
    assert await node.md5hash() == hashlib.md5(payload).hexdigest()
    assert (await node.info()).etag.endswith("-3")  # a multipart ETag, not an MD5


async def test_s3_thread_mode_runs_the_same_logic(s3_server):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique(), async_mode="thread")
    async with AsyncStorageManager([config]) as storage:
        assert storage.is_native("s3") is False
        node = storage.node("s3:t.txt")
        await node.write_bytes(b"threaded")
        assert await node.read_bytes() == b"threaded"
        assert [c.basename async for c in storage.node("s3:").children()] == ["t.txt"]


# -- metadata and hashes on every object store --------------------------------------

OBJECT_STORES = ["s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs"]


def object_store_mount(request: pytest.FixtureRequest, kind: str, name: str) -> dict:
    server = request.getfixturevalue(f"{kind}_server")
    extra = {"engine": kind.engine} if getattr(kind, "engine", None) else {}
    return getattr(cloud_mounts, f"{kind}_mount")(server, name, unique(), **extra)


@pytest.mark.parametrize("kind", OBJECT_STORES)
async def test_metadata_get_set_replace(request, kind, api, open_storage):
    storage = open_storage([object_store_mount(request, kind, "m")])
    node = test_node(storage, "m:meta.json")
    await node.write_bytes(b"{}")
    assert await node.get_metadata() == {}
    await node.set_metadata({"author": "ada", "rev": "1"})
    assert await node.get_metadata() == {"author": "ada", "rev": "1"}
    await node.set_metadata({"rev": "2"})  # replaces, does not merge
    assert await node.get_metadata() == {"rev": "2"}
    assert (await node.info()).metadata == {"rev": "2"}
    assert await node.read_bytes() == b"{}"
    with pytest.raises(StorageNotFoundError, match="m:nothing.json"):
        await test_node(storage, "m:nothing.json").get_metadata()
    assert node.capabilities.metadata


@pytest.mark.parametrize("kind", OBJECT_STORES)
@pytest.mark.parametrize("size", [100_000, 9 * MiB])
async def test_md5hash_from_the_store_without_download(request, kind, size, api, open_storage):
    storage = open_storage([object_store_mount(request, kind, "m")])
    node = test_node(storage, "m:h.bin")
    payload = os.urandom(size)
    await node.write_bytes(payload)
    expected = hashlib.md5(payload).hexdigest()
    stored = await backend_call(storage, "m", "md5hash", "h.bin")
    if kind == "s3" and size > 8 * MiB:
        assert stored is None  # a multipart ETag is no MD5: the node computes it
    else:
        assert stored == expected
        assert (await node.info()).md5 == expected
    assert await node.md5hash() == expected


# -- Azure and GCS specifics ------------------------------------------------------------


async def test_azure_sas_url_serves_the_bytes_and_expires(azure_server, api, open_storage):
    storage = open_storage([cloud_mounts.azure_mount(azure_server, "az", unique())])
    node = test_node(storage, "az:a b/c.txt")
    await node.write_bytes(b"shared access")
    assert await fetch(node.url(expires_in=600)) == (200, b"shared access")
    short = node.url(expires_in=1)
    await asyncio.sleep(2.5)
    status, _ = await fetch(short)
    assert status == 403  # Azurite checks the signature's expiry


async def test_gcs_url_is_the_plain_object_url(gcs_server, api, open_storage):
    prefix = unique()
    storage = open_storage([cloud_mounts.gcs_mount(gcs_server, "g", prefix)])
    node = test_node(storage, "g:pub/x.txt")
    await node.write_bytes(b"public")
    url = node.url()
    assert url == f"{gcs_server.endpoint_url}/{cloud_mounts.GCS_BUCKET}/{prefix}/pub/x.txt"
    assert await fetch(url) == (200, b"public")


@pytest.mark.parametrize("kind", OBJECT_STORES)
async def test_empty_folder_made_by_mkdir_lists_and_deletes(request, kind, api, open_storage):
    storage = open_storage([object_store_mount(request, kind, "m")])
    folder = test_node(storage, "m:empty")
    await folder.mkdir()
    assert await folder.isdir()
    assert (await folder.list()).entries == []
    assert [c.basename async for c in test_node(storage, "m:").children()] == ["empty"]
    await folder.child("f.txt").write_bytes(b"x")
    assert [c.basename async for c in folder.children()] == ["f.txt"]
    with pytest.raises(StorageError, match="not empty"):
        await folder.delete()
    await folder.delete(recursive=True)
    assert not await folder.exists()
    assert [c.basename async for c in test_node(storage, "m:").children()] == []


# -- HTTP ---------------------------------------------------------------------------------


async def test_http_read_only_mount_reads_and_refuses_writes(http_server, api, open_storage):
    prefix = unique()
    config = cloud_mounts.http_mount(http_server, "web", prefix)
    folder = http_server.root / prefix / "docs"
    folder.mkdir(parents=True)
    payload = os.urandom(3 * MiB)
    (folder / "big file.bin").write_bytes(payload)
    (folder / "note.txt").write_text("hello")
    (folder / "sub").mkdir()
    storage = open_storage([config])
    node = test_node(storage, "web:docs/big file.bin")
    assert await node.size() == len(payload)
    assert await node.read_range(10, 20) == payload[10:20]
    assert await node.md5hash() == hashlib.md5(payload).hexdigest()
    assert await backend_call(storage, "web", "md5hash", "docs/big file.bin") is not None
    assert node.url() == http_server.url(f"{prefix}/docs/big file.bin")
    names = [(c.basename, await c.isdir()) async for c in test_node(storage, "web:docs").children()]
    assert names == [("big file.bin", False), ("note.txt", False), ("sub", True)]
    assert not node.capabilities.write
    attempts = [
        node.write_bytes(b"x"),
        node.delete(),
        test_node(storage, "web:docs/new").mkdir(),
        test_node(storage, "web:docs/note.txt").copy(test_node(storage, "web:docs/n2.txt")),
    ]
    for attempt in attempts:
        with pytest.raises(StoragePermissionError, match="'web'"):
            await attempt
    with pytest.raises(StorageError, match="'web'"):
        async with test_node(storage, "web:docs/other.txt").open("wb") as f:
            await f.write(b"nope")
    assert sorted(p.name for p in folder.iterdir()) == ["big file.bin", "note.txt", "sub"]
    with pytest.raises(StorageNotFoundError, match="web:docs/ghost.txt"):
        await test_node(storage, "web:docs/ghost.txt").read_bytes()


# -- the generic fsspec type ---------------------------------------------------------------


async def test_fsspec_memory_is_thread_wrapped_and_s3_native(s3_server, api, open_storage):
    configs = [
        {"name": "fm", "type": "fsspec", "fsspec_protocol": "memory", "path": f"/{unique()}"},
        cloud_mounts.s3_mount(s3_server, "s3", unique()),
    ]
    storage = open_storage(configs)
    if isinstance(storage, AsyncStorageManager):
        assert storage.is_native("fm") is False
        assert storage.is_native("s3") is True
        engine = configs[1].get("engine", "obstore")  # obstore is the default
        assert storage.describe() == {"fm": "thread", "s3": f"native, {engine}"}
    node = test_node(storage, "fm:a/b.txt")
    await node.write_bytes(b"in memory")
    assert await node.read_bytes() == b"in memory"
    assert await test_node(storage, "fm:a").isdir()
    assert [c.basename async for c in test_node(storage, "fm:a").children()] == ["b.txt"]
    await node.copy(test_node(storage, "s3:from-memory.txt"))
    assert await test_node(storage, "s3:from-memory.txt").read_bytes() == b"in memory"
    await test_node(storage, "fm:a").delete(recursive=True)
    assert not await node.exists()


def test_fsspec_native_mode_on_a_sync_only_filesystem_is_refused():
    config = {
        "name": "fm",
        "type": "fsspec",
        "fsspec_protocol": "memory",
        "async_mode": "native",
    }
    for manager_class in (StorageManager, AsyncStorageManager):
        with pytest.raises(StorageConfigError, match="'fm'.*'async_mode'"):
            manager_class([config])
    with pytest.raises(StorageConfigError, match="'fm'.*'fsspec_protocol'"):
        StorageManager([{**config, "async_mode": "auto", "fsspec_protocol": "nosuchproto"}])


# -- secrets ---------------------------------------------------------------------------------


async def test_no_secret_in_reprs_or_errors(s3_server, azure_server, api, open_storage):
    wrong_key = "V3JvbmdBY2NvdW50S2V5Rm9yR2Vucm9TdG9yYWdlVGVzdHM="
    wrong_azure = azure_server.connection_string.replace(azure_server.account_key, wrong_key)
    configs = [
        cloud_mounts.s3_mount(s3_server, "s3", unique(), key=SECRET_KEY, secret=SECRET),
        {
            **cloud_mounts.azure_mount(azure_server, "az", unique()),
            "connection_string": wrong_azure,
        },
    ]
    storage = open_storage(configs)
    secrets = (SECRET_KEY, SECRET, wrong_key, azure_server.account_key)
    texts = [repr(storage), repr(storage.mount_config("s3")), repr(storage.mount_config("az"))]
    texts += [repr(storage._backend("s3")), repr(storage._backend("az"))]
    await test_node(storage, "s3:ok.txt").write_bytes(b"fine")  # moto takes any key
    with pytest.raises(StorageNotFoundError) as missing:
        await test_node(storage, "s3:missing.txt").read_bytes()
    with pytest.raises(StoragePermissionError) as refused:  # Azurite checks the key
        await test_node(storage, "az:x.txt").write_bytes(b"x")
    texts += [str(missing.value), str(refused.value), repr(refused.value)]
    assert "az:x.txt" in str(refused.value)
    for text in texts:
        for secret in secrets:
            assert secret not in text, text


# -- loops and sessions ------------------------------------------------------------------


def test_async_mounts_work_on_several_event_loops(s3_server, azure_server, gcs_server):
    """One filesystem per loop: each ``asyncio.run`` gets its own sessions, and
    ``close()`` releases them (the run treats unclosed sessions as errors)."""
    configs = [
        cloud_mounts.s3_mount(s3_server, "s3", unique()),
        cloud_mounts.azure_mount(azure_server, "az", unique()),
        cloud_mounts.gcs_mount(gcs_server, "gcs", unique()),
    ]
    storage = AsyncStorageManager(configs)

    async def round_trip(tag: str) -> list[bytes]:
        out = []
        for mount in ("s3", "az", "gcs"):
            await storage.node(f"{mount}:{tag}.txt").write_text(tag)
            out.append(await storage.node(f"{mount}:{tag}.txt").read_bytes())
        await storage.close()
        return out

    assert asyncio.run(round_trip("first")) == [b"first"] * 3
    assert asyncio.run(round_trip("second")) == [b"second"] * 3
    sync = StorageManager(configs)
    assert sync.node("gcs:first.txt").read_text() == "first"
    sync.close()


def test_reading_a_missing_bucket_names_the_mount(s3_server):
    config = cloud_mounts.s3_mount(s3_server, "s3", unique())
    storage = StorageManager([{**config, "bucket": "no-such-bucket-here"}])
    with pytest.raises(StorageError, match="s3:x.txt"):
        storage.node("s3:x.txt").read_bytes()
    storage.close()


# -- edges shared with local and memory ----------------------------------------------------


@pytest.mark.parametrize("kind", [*OBJECT_STORES, "fsspec"])
async def test_ranges_past_the_end_are_empty_and_folders_are_not_files(
    request, kind, api, open_storage
):
    if kind == "fsspec":
        config = {"name": "m", "type": "fsspec", "fsspec_protocol": "memory", "path": "/x"}
        config["path"] = f"/{unique()}"
    else:
        config = object_store_mount(request, kind, "m")
    storage = open_storage([config])
    node = test_node(storage, "m:d/ten.bin")
    await node.write_bytes(b"0123456789")
    assert await node.read_range(5, 100) == b"56789"
    assert await node.read_range(10) == b""
    assert await node.read_range(20, 30) == b""
    with pytest.raises(StorageError, match="Is a directory.*m:d"):
        await test_node(storage, "m:d").read_bytes()
    with pytest.raises(StorageError, match="Not a directory.*m:d/ten.bin"):
        await node.list()
    empty = test_node(storage, "m:zero.bin")
    await empty.write_bytes(b"")
    assert await empty.read_bytes() == b"" and await empty.size() == 0
    async with empty.open("rb") as f:
        assert await f.read() == b""


@pytest.fixture(scope="module")
def http_rw_server():
    """A second aiohttp file server that accepts PUT and DELETE."""
    from servers import HTTPServer

    with HTTPServer(writable=True) as server:
        yield server


@pytest.mark.parametrize("kind", [*OBJECT_STORES, "http"])
async def test_bytes_come_back_exactly(request, kind, http_rw_server, api, open_storage):
    """Endings that multipart parsers like to eat, empty files, a body the size of
    several upload parts."""
    if kind == "http":
        config = cloud_mounts.http_mount(http_rw_server, "m", unique())
    else:
        config = object_store_mount(request, kind, "m")
    storage = open_storage([config])
    payloads = {
        "cr.bin": b"abc\r",
        "lf.bin": b"abc\n",
        "crlf.bin": b"abc\r\n",
        "boundary.bin": b"\r\n--==0==\r\n--genro-\r\n",
        "empty.bin": b"",
        "big.bin": os.urandom(9 * MiB + 3),
    }
    for name, data in payloads.items():
        await test_node(storage, f"m:{name}").write_bytes(data)
    for name, data in payloads.items():
        node = test_node(storage, f"m:{name}")
        assert await node.read_bytes() == data, name
        assert await node.md5hash() == hashlib.md5(data).hexdigest(), name
    names = [c.basename async for c in test_node(storage, "m:").children()]
    assert names == sorted(payloads)


async def test_http_writable_mount_puts_deletes_and_makes_folders(
    http_rw_server, api, open_storage
):
    prefix = unique()
    storage = open_storage([cloud_mounts.http_mount(http_rw_server, "web", prefix)])
    on_disk = http_rw_server.root / prefix
    node = test_node(storage, "web:a/b.txt")
    assert node.capabilities.write
    await node.write_text("put")
    assert (on_disk / "a" / "b.txt").read_text() == "put"
    async with test_node(storage, "web:a/c.bin").open("wb") as f:
        await f.write(b"streamed")
    assert (on_disk / "a" / "c.bin").read_bytes() == b"streamed"
    with pytest.raises(RuntimeError):
        async with test_node(storage, "web:a/d.bin").open("wb") as f:
            await f.write(b"half")
            raise RuntimeError("stop")
    assert not (on_disk / "a" / "d.bin").exists()
    await test_node(storage, "web:made").mkdir()
    assert await test_node(storage, "web:made").isdir()
    assert [c.basename async for c in test_node(storage, "web:made").children()] == []
    await node.copy(test_node(storage, "web:copy.txt"))
    assert (on_disk / "copy.txt").read_text() == "put"
    with pytest.raises(StorageError, match="not empty"):
        await test_node(storage, "web:a").delete()
    await test_node(storage, "web:a").delete(recursive=True)
    assert not (on_disk / "a").exists()
    assert sorted(p.name for p in on_disk.iterdir()) == ["copy.txt", "made"]
