"""The two Azure engines: obstore (the default where installed) and fsspec (adlfs and
the Azure SDK).

The conformance suites run Azure on both engines (``mounts.AZURE_FSSPEC``); this file
checks what is particular to the choice: how a mount picks its engine, that obstore
really serves the bytes (in both APIs, without adlfs nor an event-loop bridge in the
sync one), the conditional create, that errors land in the library's hierarchy with
their cause and without secrets, that a cancelled streamed upload leaves no blob, and
that names obstore cannot address fall back to the SDK, byte-exact.
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
    StorageExistsError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage._shared.exceptions import StorageIsADirectoryError, errors_as_storage
from genro_storage._shared.sansio import drive_async, drive_sync
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends import obstoreops
from genro_storage.backends.azure import AzureLogic
from genro_storage.backends.azureobstore import AzureObstoreLogic

MiB = 1024 * 1024


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def ob_mount(server: Any, name: str = "az", prefix: str | None = None, **extra: Any) -> dict:
    return cloud_mounts.azure_mount(server, name, prefix or unique(), engine="obstore", **extra)


def container(server: Any) -> Any:
    """The SDK's view of the test container: the store itself, not the library."""
    return server.client().get_container_client(cloud_mounts.AZURE_CONTAINER)


async def run(logic: Any, api: str, gen: Any) -> Any:
    """Drive one logic generator as the given API would."""
    return drive_sync(gen) if api == "sync" else await drive_async(gen)


# -- choosing the engine ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "logic"),
    [
        ({}, AzureObstoreLogic),  # obstore is the default where it is installed
        ({"engine": "obstore"}, AzureObstoreLogic),
        ({"engine": "fsspec"}, AzureLogic),
    ],
)
async def test_the_engine_follows_the_config_in_both_apis(azure_server, extra, logic):
    config = cloud_mounts.azure_mount(azure_server, "az", unique(), **extra)
    with StorageManager([config]) as sync:
        assert type(sync._backend("az").logic) is logic
        assert sync._backend("az").engine == logic.engine
    async with AsyncStorageManager([config]) as storage:
        assert type(storage._backend("az").logic) is logic
        assert storage.describe() == {"az": f"native, {logic.engine}"}


# -- obstore serves the bytes ------------------------------------------------------------


async def test_obstore_engine_reads_and_writes_without_adlfs(azure_server):
    """Writes (small, and streamed within one part), reads (whole, ranged) and URLs of
    plain keys build no adlfs filesystem (no SDK client, no fsspec loop thread); the
    blobs they make are the SDK's blobs, content MD5 included. (Opening a file for
    reading fetches its facts, which are the SDK's: see the engine table.)"""
    config = ob_mount(azure_server)

    async def exercise(node: Any) -> None:
        await node.write_bytes(b"0123456789")
        assert await node.read_bytes() == b"0123456789"
        assert await node.read_range(2, 5) == b"234"
        async with node.open("wb") as f:
            await f.write(b"abc")
            await f.write(b"def")
        assert await node.read_bytes() == b"abcdef"
        with urllib.request.urlopen(node.url(), timeout=30) as answer:
            assert answer.read() == b"abcdef"

    with StorageManager([config]) as sync:
        await exercise(test_node(sync, "az:a.txt"))
        reader = sync._backend("az").open_read("a.txt")  # what transfers stream from
        assert (reader.read(4), reader.read()) == (b"abcd", b"ef")
        reader.close()
        assert sync._backend("az")._fs is None  # no adlfs, no event-loop bridge
        sync.node("az:d/x.txt").write_bytes(b"x")
        with pytest.raises(StorageIsADirectoryError):
            sync._backend("az").open_read("d")
        with pytest.raises(StorageNotFoundError):
            sync._backend("az").open_read("nothing")
        info = sync.node("az:a.txt").info()  # facts: the SDK (content MD5)
        assert (info.size, info.content_type) == (6, "text/plain")
        assert info.md5 == "e80b5017098950fc58aad83c8c14978e"
        with sync.node("az:a.txt").open("rb") as f:
            assert (f.read(4), f.read()) == (b"abcd", b"ef")
    async with AsyncStorageManager([config]) as storage:
        await exercise(storage.node("az:b.txt"))
        assert storage._backend("az")._per_loop == {}
    props = container(azure_server).get_blob_client(f"{config['prefix']}/b.txt")
    assert bytes(props.get_blob_properties().content_settings.content_md5).hex() == (
        "e80b5017098950fc58aad83c8c14978e"
    )


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_conditional_create_is_obstores_request(azure_server, api, open_storage):
    """Mode 'x' publishes once; a blob made between the open and the close wins, and
    the refusal comes from the conditional Put Blob itself (obstore's
    ``AlreadyExistsError`` as the cause), not from a check before it."""
    storage = open_storage([ob_mount(azure_server)])
    node = test_node(storage, "az:once.txt")
    async with node.open("xb") as f:
        await f.write(b"first")
    with pytest.raises(StorageExistsError, match="az:once.txt"):
        async with node.open("xb") as f:
            await f.write(b"second")
    assert await node.read_bytes() == b"first"
    race = test_node(storage, "az:race.txt")
    with pytest.raises(StorageExistsError) as caught:
        async with race.open("xb") as f:
            await f.write(b"late")
            await race.write_bytes(b"the other writer")
    assert type(caught.value.__cause__).__name__ == "AlreadyExistsError"
    assert await race.read_bytes() == b"the other writer"


# -- errors and secrets --------------------------------------------------------------------


def _store(server: Any, **config: Any) -> Any:
    cloud_mounts.ensure_azure_container(server)
    settings = {
        "account_name": server.account_name,
        "account_key": server.account_key,
        "endpoint": server.endpoint_url,
        **config,
    }
    return obstore.store.AzureStore(
        cloud_mounts.AZURE_CONTAINER, config=settings, client_options={"allow_http": True}
    )


async def test_obstore_errors_map_onto_the_hierarchy_with_their_cause(azure_server):
    store = _store(azure_server)
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
    assert isinstance(missing.value.__cause__, FileNotFoundError)
    assert "http" not in str(missing.value)  # the library's wording, not obstore's
    wrong = _store(azure_server, account_key="A" * 8 + azure_server.account_key[8:])
    with pytest.raises(StoragePermissionError) as denied, errors_as_storage("m:once.txt"):
        obstoreops.get(wrong, key)
    assert type(denied.value.__cause__).__name__ == "PermissionDeniedError"


def _sas(server: Any) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        server.account_name,
        server.account_key,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True),
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
    )


def _secret_configs(server: Any) -> list[tuple[dict[str, Any], str]]:
    """Mounts whose credential is wrong (so that requests fail), and that credential:
    an account key in a connection string, an account key field, a SAS token."""
    bad_key = "Zm9v" + server.account_key[4:]
    conn = server.connection_string.replace(server.account_key, bad_key)
    sas = _sas(server)
    bad_sas = sas.replace("sig=", "sig=AAAA")
    host = server.endpoint_url
    return [
        (ob_mount(server, connection_string=conn), bad_key),
        (
            {
                **ob_mount(server),
                "connection_string": None,
                "account_name": server.account_name,
                "account_key": bad_key,
                "options": {"account_host": host},
            },
            bad_key,
        ),
        (
            {
                **ob_mount(server),
                "connection_string": f"BlobEndpoint={host};SharedAccessSignature={bad_sas}",
            },
            bad_sas.split("sig=")[1].split("&")[0],
        ),
    ]


@pytest.mark.parametrize("case", [0, 1, 2], ids=["connection-string", "account-key", "sas"])
@pytest.mark.parametrize("api", ["sync", "async"])
async def test_no_secret_in_errors_or_reprs(azure_server, case, api, open_storage):
    """A refused credential: the library's error (message and repr), the backend, the
    logic and obstore's store never show the key or the SAS signature."""
    config, secret = _secret_configs(azure_server)[case]
    config = {k: v for k, v in config.items() if v is not None}
    storage = open_storage([config])
    node = test_node(storage, "az:a.txt")
    for call in (node.read_bytes, lambda: node.write_bytes(b"x")):
        with pytest.raises(StoragePermissionError) as caught:
            await call()
        assert "az:a.txt" in str(caught.value)
        assert secret not in str(caught.value) and secret not in repr(caught.value)
        cause = caught.value.__cause__
        assert cause is not None and secret not in str(cause)  # obstore redacts the URL
    backend = storage._backend("az")
    assert isinstance(backend.logic, AzureObstoreLogic)
    for shown in (repr(storage), repr(backend), repr(backend.logic), repr(backend.logic.store())):
        assert secret not in shown


async def test_sas_mount_serves_the_bytes(azure_server, api, open_storage):
    host = azure_server.endpoint_url
    config = {
        **ob_mount(azure_server),
        "connection_string": f"BlobEndpoint={host};SharedAccessSignature={_sas(azure_server)}",
    }
    storage = open_storage([config])
    node = test_node(storage, "az:s.txt")
    await node.write_bytes(b"sas")
    assert await node.read_bytes() == b"sas"
    await node.delete()
    assert not await node.exists()


# -- cancellation ----------------------------------------------------------------------------


async def test_a_cancelled_streamed_upload_leaves_no_blob(azure_server):
    """A streamed upload cancelled after parts were staged, and one aborted by an error
    in the sync API: the store has no such blob (asked through the SDK and through
    obstore), and the mount goes on working."""
    config = ob_mount(azure_server)
    prefix = config["prefix"]
    part = os.urandom(5 * MiB)  # above one part: staged blocks, the SDK's streamed path
    sdk = container(azure_server)
    async with AsyncStorageManager([config]) as storage:
        staged = asyncio.Event()

        async def upload() -> None:
            async with storage.node("az:cancelled.bin").open("wb") as f:
                await f.write(part)
                staged.set()
                while True:
                    await f.write(part)

        task = asyncio.create_task(upload())
        await asyncio.wait_for(staged.wait(), 60)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        store = storage._backend("az").logic.store()
        with pytest.raises(FileNotFoundError):
            await obstore.head_async(store, f"{prefix}/cancelled.bin")
        await storage.node("az:after.txt").write_bytes(b"still works")
    with StorageManager([config]) as sync:
        with pytest.raises(RuntimeError, match="stop"), sync.node("az:aborted.bin").open("wb") as f:
            f.write(part)
            raise RuntimeError("stop")
        assert not sync.node("az:aborted.bin").exists
    await asyncio.sleep(1)  # nothing lands late
    names = [b.name for b in sdk.list_blobs(name_starts_with=f"{prefix}/")]
    assert names == [f"{prefix}/after.txt"]


# -- names ---------------------------------------------------------------------------------

ODD_NAMES = [
    "p%2Fq.txt",
    "h#x?.txt",
    "nb\u00a0sp.txt",
    "*star*.txt",
    "ü/é.txt",
    "sp ace .txt",
    "%.txt",
    "%25%20.txt",
    "a+b=c&d.txt",
    "emoji😀.txt",
]


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_odd_names_are_the_same_blobs_on_both_engines(azure_server, api, open_storage):
    prefix = unique()
    ob = ob_mount(azure_server, "ob", prefix)
    fs = cloud_mounts.azure_mount(azure_server, "fs", prefix, engine="fsspec")
    storage = open_storage([ob, fs])
    sdk = container(azure_server)
    for name in ODD_NAMES:
        await test_node(storage, f"ob:{name}").write_bytes(name.encode())
        blob = sdk.get_blob_client(f"{prefix}/{name}")
        raw = await asyncio.to_thread(lambda b=blob: b.download_blob().readall())
        assert raw == name.encode()
        assert await test_node(storage, f"fs:{name}").read_bytes() == name.encode()
        assert await test_node(storage, f"ob:{name}").read_range(1, 3) == name.encode()[1:3]
        assert (await test_node(storage, f"ob:{name}").info()).size == len(name.encode())
        with await asyncio.to_thread(
            urllib.request.urlopen, test_node(storage, f"ob:{name}").url()
        ) as answer:
            assert answer.read() == name.encode()
    on_ob = sorted(e.path for e in (await test_node(storage, "ob:").list()).entries)
    on_fs = sorted(e.path for e in (await test_node(storage, "fs:").list()).entries)
    assert on_ob == on_fs and len(on_ob) == len(ODD_NAMES)  # 'ü/é.txt' lists as 'ü'
    await test_node(storage, "ob:ü").delete(recursive=True)
    for name in ODD_NAMES:
        if "/" not in name:
            await test_node(storage, f"ob:{name}").delete()
    assert (await test_node(storage, "fs:").list()).entries == []
    assert [b.name for b in sdk.list_blobs(name_starts_with=f"{prefix}/")] == []


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_keys_obstore_cannot_address_fall_back(azure_server, api, open_storage):
    """Literal keys (empty, '.' or '..' segments, a trailing '/') are read and removed
    through the SDK on the obstore engine, byte-exact, and never reach another key."""
    config = ob_mount(azure_server)
    storage = open_storage([config])
    logic = storage._backend("az").logic
    assert isinstance(logic, AzureObstoreLogic)
    paths = ["d/x//y", "d//z", "d/m/", "d/end."]  # Azure refuses '.' and '..' segments
    sdk = container(azure_server)
    for path in paths:
        await asyncio.to_thread(
            sdk.get_blob_client(logic.key(path)).upload_blob, path.encode(), overwrite=True
        )
    await test_node(storage, "az:d/x/y").write_bytes(b"other")  # what 'd/x//y' is not
    for path in paths:
        assert await run(logic, api, logic._g_read_whole(path)) == path.encode()
    assert await run(logic, api, logic._g_read_range(paths[0], 1, 3)) == paths[0].encode()[1:3]
    await run(logic, api, logic._g_remove([logic.key(p) for p in paths]))
    left = [b.name for b in sdk.list_blobs(name_starts_with=f"{config['prefix']}/")]
    assert left == [logic.key("d/x/y")]


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_removing_keys_that_are_gone_is_fine(azure_server, api, open_storage):
    """Azure's blob batch reports a missing blob as an error: a removal that meets one
    (another client deleted it) still removes every other key."""
    config = ob_mount(azure_server)
    storage = open_storage([config])
    logic = storage._backend("az").logic
    for name in ("a", "b", "c"):
        await test_node(storage, f"az:{name}.txt").write_bytes(name.encode())
    keys = [logic.key(n) for n in ("a.txt", "gone.txt", "b.txt", "c.txt", "gone2.txt")]
    await run(logic, api, logic._g_remove(keys))
    left = [b.name for b in container(azure_server).list_blobs(name_starts_with=config["prefix"])]
    assert left == []
