"""Hostile tests of Azure's obstore engine (``engine: obstore``) and of ``touch()``'s
create-only write. Each test names what it pins down; both APIs where they apply, on
real loopback servers (Azurite, moto, the GCS emulator)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import traceback
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cloud_mounts
import pytest
from mounts import AZURE_FSSPEC, S3_FSSPEC, test_node

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def az(server: Any, name: str, prefix: str, engine: str, **extra: Any) -> dict[str, Any]:
    return cloud_mounts.azure_mount(server, name, prefix, engine=engine, **extra)


def blobs(server: Any, prefix: str) -> dict[str, bytes]:
    """What the container really holds below ``prefix`` (the SDK, not the library)."""
    client = server.client().get_container_client(cloud_mounts.AZURE_CONTAINER)
    return {
        b.name: client.download_blob(b.name).readall()
        for b in client.list_blobs(name_starts_with=prefix + "/")
    }


async def kids(node: Any) -> list[str]:
    """The paths of a folder's children, whatever the API."""
    found = node.children()
    if hasattr(found, "__aiter__"):
        return sorted([c.path async for c in found])
    return sorted(c.path for c in await found)


def sas_token(server: Any) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(
        server.account_name,
        cloud_mounts.AZURE_CONTAINER,
        account_key=server.account_key,
        permission=ContainerSasPermissions(
            read=True, write=True, delete=True, list=True, create=True, add=True
        ),
        expiry=datetime.now(timezone.utc) + timedelta(hours=1),
    )


# -- odd names: obstore and the SDK address the same blob -----------------------------

ODD_NAMES = [
    "a b.txt",
    "100%.txt",
    "%41.txt",
    "%2F.txt",
    "a%20b",
    "ü.txt",
    unicodedata.normalize("NFC", "é.txt"),
    unicodedata.normalize("NFD", "é.txt"),
    "Case.txt",
    "case.txt",
    "a#b",
    "a?b=c&d",
    "a+b",
    "a;b",
    " lead",
    "trail ",
    "日本語.txt",
    '[x]{y}~`^|<>"*',
    "a..b",
    "...",
    ".hidden",
    "x" * 700,
]


async def test_odd_names_agree_between_engines(azure_server: Any, api: str, open_storage) -> None:
    """A blob written by one engine is the same blob, byte for byte, on the other; the
    listings of both engines name exactly the same files (none merged or renamed)."""
    prefix = unique()
    storage = open_storage(
        [az(azure_server, "ob", prefix, "obstore"), az(azure_server, "fs", prefix, "fsspec")]
    )
    for i, name in enumerate(ODD_NAMES):
        writer, reader = ("ob", "fs") if i % 2 else ("fs", "ob")
        data = f"{i}:{name}".encode()
        await test_node(storage, f"{writer}:d/{name}").write_bytes(data)
        assert await test_node(storage, f"{reader}:d/{name}").read_bytes() == data
        assert await test_node(storage, f"{writer}:d/{name}").read_bytes() == data
        assert await test_node(storage, f"ob:d/{name}").read_range(1, 3) == data[1:3]
    expected = {f"{prefix}/d/{n}": f"{i}:{n}".encode() for i, n in enumerate(ODD_NAMES)}
    assert blobs(azure_server, prefix) == expected
    listed = {}
    for mount in ("ob", "fs"):
        listed[mount] = await kids(test_node(storage, f"{mount}:d"))
    assert listed["ob"] == listed["fs"] == sorted(f"d/{n}" for n in ODD_NAMES)


async def test_obstore_write_has_the_sdk_facts(azure_server: Any, api: str, open_storage) -> None:
    """A file written through obstore has the size, content MD5 and content type a file
    written through the SDK has, seen from either engine (the 'unchanged' strategy and
    the explorer rely on them)."""
    prefix = unique()
    storage = open_storage(
        [az(azure_server, "ob", prefix, "obstore"), az(azure_server, "fs", prefix, "fsspec")]
    )
    body = b'{"a": [1, 2, 3]}'
    await test_node(storage, "ob:a.json").write_bytes(body)
    await test_node(storage, "fs:b.json").write_bytes(body)
    facts = []
    for spec in ("ob:a.json", "fs:a.json", "ob:b.json", "fs:b.json"):
        node = test_node(storage, spec)
        info = await node.info()
        facts.append((info.size, info.md5, info.content_type, await node.md5hash()))
    assert len(set(facts)) == 1
    assert facts[0][0] == len(body) and facts[0][2] == "application/json"
    # an empty file too (the service's MD5 of nothing)
    await test_node(storage, "ob:empty.txt").write_bytes(b"")
    info = await test_node(storage, "fs:empty.txt").info()
    assert info.size == 0 and info.md5 == "d41d8cd98f00b204e9800998ecf8427e"


# -- mode 'x': one winner ---------------------------------------------------------------


async def test_mode_x_race_has_one_winner(azure_server: Any) -> None:
    """Twelve writers race to create one blob in mode 'x' (half on each engine, through
    both APIs): exactly one wins, the others get StorageExistsError, the blob holds the
    winner's bytes whole."""
    prefix = unique()
    configs = [az(azure_server, "ob", prefix, "obstore"), az(azure_server, "fs", prefix, "fsspec")]
    storage = AsyncStorageManager(configs)
    sync = StorageManager(configs)
    try:

        async def one(i: int) -> str | None:
            node = storage.node(f"{'ob' if i % 2 else 'fs'}:race.bin")
            data = bytes([i]) * (1000 + i)
            try:
                if i % 3 == 0:
                    async with node.open("xb") as handle:
                        await handle.write(data)
                else:

                    def sync_x() -> None:
                        with sync.node(node.fullpath).open("xb") as handle:
                            handle.write(data)

                    await asyncio.to_thread(sync_x)
            except StorageExistsError:
                return None
            return node.fullpath + f"#{i}"

        results = await asyncio.gather(*(one(i) for i in range(12)))
        winners = [r for r in results if r]
        assert len(winners) == 1, results
        i = int(winners[0].split("#")[1])
        assert blobs(azure_server, prefix) == {f"{prefix}/race.bin": bytes([i]) * (1000 + i)}
    finally:
        await storage.close()
        sync.close()


# -- physical identity across engines ---------------------------------------------------


async def test_copy_between_engines_over_one_place_is_refused(
    azure_server: Any, api: str, open_storage
) -> None:
    """An obstore-engine mount and an fsspec-engine mount over one container (one by
    connection string, one by account name and key, prefixes nested) are one place: a
    copy or move onto itself or into its own tree is refused before anything is written
    or removed."""
    prefix = unique()
    host = azure_server.endpoint_url
    storage = open_storage(
        [
            az(azure_server, "ob", prefix, "obstore"),
            az(azure_server, "fs", prefix + "/sub", "fsspec"),
            {
                "name": "key",
                "type": "azure",
                "container": cloud_mounts.AZURE_CONTAINER,
                "prefix": prefix,
                "connection_string": f"BlobEndpoint={host}/;AccountName="
                f"{azure_server.account_name};AccountKey={azure_server.account_key}",
                "engine": "fsspec",
            },
        ]
    )
    await test_node(storage, "ob:sub/f.txt").write_bytes(b"one")
    await test_node(storage, "ob:sub/t/g.txt").write_bytes(b"two")
    before = blobs(azure_server, prefix)
    for src, dst, move in (
        ("ob:sub/f.txt", "fs:f.txt", False),
        ("ob:sub/f.txt", "fs:f.txt", True),
        ("fs:f.txt", "key:sub/f.txt", True),
        ("ob:sub", "fs:t/inner", False),
        ("ob:sub", "fs:", True),
        ("key:sub/t", "ob:sub/t/deeper", True),
    ):
        node = test_node(storage, src)
        with pytest.raises(StorageError):
            await (node.move(dst) if move else node.copy(dst))
        assert blobs(azure_server, prefix) == before, (src, dst, move)


# -- deletes of trees -------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["key", "sas"])
async def test_delete_tree_on_obstore(
    azure_server: Any, api: str, open_storage, credential: str
) -> None:
    """A recursive delete removes every blob of the tree (more than one batch, odd
    names, a folder marker) and nothing beside it, with either credential."""
    prefix = unique()
    extra: dict[str, Any] = {}
    if credential == "sas":
        extra["connection_string"] = (
            f"BlobEndpoint={azure_server.endpoint_url};"
            f"SharedAccessSignature={sas_token(azure_server)}"
        )
    storage = open_storage([az(azure_server, "ob", prefix, "obstore", **extra)])
    # more than one blob batch (256 keys) with the key; SAS deletes go one by one
    count = 260 if credential == "key" else 20
    names = [f"tree/f{i:03d}" for i in range(count)] + ["tree/a b/%41", "tree/ü/#?"]
    client = azure_server.client().get_container_client(cloud_mounts.AZURE_CONTAINER)
    for name in names:
        client.upload_blob(f"{prefix}/{name}", b"x")
    client.upload_blob(f"{prefix}/tree/marker/", b"")
    client.upload_blob(f"{prefix}/tree.txt", b"keep")
    client.upload_blob(f"{prefix}/treetop/x", b"keep")
    await test_node(storage, "ob:tree").delete(recursive=True)
    assert blobs(azure_server, prefix) == {
        f"{prefix}/tree.txt": b"keep",
        f"{prefix}/treetop/x": b"keep",
    }
    assert not await test_node(storage, "ob:tree").exists()


# -- cancellation -----------------------------------------------------------------------


async def test_cancelled_writes_publish_nothing_half(azure_server: Any) -> None:
    """Async writes on the obstore engine cancelled at many points (one-request writes,
    streamed several-part writes, mode 'x'): the blob is either absent or whole, never a
    part; the mount keeps working afterwards."""
    prefix = unique()
    storage = AsyncStorageManager([az(azure_server, "ob", prefix, "obstore")])
    big = bytes(range(256)) * (40 * 1024)  # 10 MiB: several parts
    try:
        for i, delay in enumerate([0, 0.001, 0.003, 0.01, 0.03, 0.08]):
            for kind in ("small", "stream", "x"):
                node = storage.node(f"ob:c{i}-{kind}.bin")
                data = big if kind == "stream" else big[:200_000]

                async def write(node: Any = node, data: bytes = data, kind: str = kind) -> None:
                    if kind == "small":
                        await node.write_bytes(data)
                        return
                    async with node.open("xb" if kind == "x" else "wb") as handle:
                        for k in range(0, len(data), 1 << 20):
                            await handle.write(data[k : k + (1 << 20)])

                task = asyncio.create_task(write())
                await asyncio.sleep(delay)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                held = blobs(azure_server, prefix).get(f"{prefix}/c{i}-{kind}.bin")
                assert held in (None, data), (i, kind, None if held is None else len(held))
        await storage.node("ob:after.txt").write_bytes(b"fine")
        assert await storage.node("ob:after.txt").read_bytes() == b"fine"
    finally:
        await storage.close()


async def test_cancelled_reads_and_deletes(azure_server: Any) -> None:
    """A cancelled read leaves the mount usable; a cancelled recursive delete removes a
    subset (each blob whole or gone), and a second delete finishes it."""
    prefix = unique()
    storage = AsyncStorageManager([az(azure_server, "ob", prefix, "obstore")])
    client = azure_server.client().get_container_client(cloud_mounts.AZURE_CONTAINER)
    try:
        body = bytes(range(256)) * 8192
        await storage.node("ob:r.bin").write_bytes(body)
        for delay in (0, 0.001, 0.005, 0.02):
            task = asyncio.create_task(storage.node("ob:r.bin").read_bytes())
            await asyncio.sleep(delay)
            task.cancel()
            try:
                got = await task
            except asyncio.CancelledError:
                got = None
            assert got in (None, body)
        assert await storage.node("ob:r.bin").read_bytes() == body
        for i in range(40):
            client.upload_blob(f"{prefix}/tree/{i}", b"x")
        task = asyncio.create_task(storage.node("ob:tree").delete(recursive=True))
        await asyncio.sleep(0.005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        held = blobs(azure_server, prefix)
        assert all(v == b"x" for k, v in held.items() if "/tree/" in k)
        await storage.node("ob:tree").delete(recursive=True, missing_ok=True)
        assert set(blobs(azure_server, prefix)) == {f"{prefix}/r.bin"}
    finally:
        await storage.close()


# -- secrets ----------------------------------------------------------------------------


def _secret_cases(server: Any) -> list[tuple[dict[str, Any], list[str]]]:
    sas = sas_token(server)
    bad_sas = sas.replace("sig=", "sig=QUJD")
    bad_key = "QUJD" + server.account_key[4:]
    base = {"type": "azure", "container": cloud_mounts.AZURE_CONTAINER, "engine": "obstore"}
    host = server.endpoint_url
    return [
        (
            {**base, "connection_string": f"BlobEndpoint={host};SharedAccessSignature={bad_sas}"},
            [bad_sas.split("sig=")[1].split("&")[0], "QUJD"],
        ),
        (
            {
                **base,
                "connection_string": server.connection_string.replace(server.account_key, bad_key),
            },
            [bad_key, bad_key[:20]],
        ),
        (
            {
                **base,
                "account_name": server.account_name,
                "sas_token": "?" + bad_sas,
                "options": {"account_host": host},
            },
            [bad_sas.split("sig=")[1].split("&")[0]],
        ),
        (  # a key that is not base64 at all: object_store fails to decode it
            {**base, "account_name": server.account_name, "account_key": "s3cr3t-not*base64!"},
            ["s3cr3t-not*base64!", "s3cr3t"],
        ),
    ]


@pytest.mark.parametrize("case", range(4))
async def test_no_secret_anywhere(
    azure_server: Any, api: str, open_storage, case: int, caplog: Any
) -> None:
    """Wrong credentials: the error, its whole traceback (obstore's own error texts
    carried as causes included), repr and str of nodes, manager, backend, describe()
    and the log never show the key, the SAS signature or a piece of them."""
    config, secrets = _secret_cases(azure_server)[case]
    config = {"name": "az", "prefix": unique(), **config}
    caplog.set_level(logging.DEBUG)
    storage = open_storage([config])
    node = test_node(storage, "az:a.txt")
    texts: list[str] = []
    for call in (
        node.read_bytes,
        lambda: node.write_bytes(b"x"),
        lambda: node.read_range(0, 2),
        lambda: node.delete(),
        node.info,
        lambda: node.copy("az:b.txt"),
    ):
        with pytest.raises(StorageError) as caught:
            await call()
        texts.append("".join(traceback.format_exception(caught.value)))
        texts.append(repr(caught.value))
    texts += [repr(storage), str(storage), repr(node), str(node)]
    describe = getattr(storage, "describe", None)
    if describe is not None:
        described = describe()
        texts.append(str(await described if asyncio.iscoroutine(described) else described))
    backend = storage.node("az:a.txt")._backend
    texts += [repr(backend), str(backend), repr(getattr(backend, "_logic", None))]
    texts.append(caplog.text)
    blob = "\n".join(texts)
    for secret in secrets:
        assert secret not in blob


# -- bad types in the engine fields ------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("engine", 1),
        ("engine", "OBSTORE"),
        ("engine", "obstore "),
        ("engine", True),
        ("engine", ["obstore"]),
        ("engine", b"obstore"),
        ("anon", "yes"),
        ("anon", 1),
        ("account_key", 5),
        ("sas_token", {"sig": "x"}),
        ("connection_string", b"BlobEndpoint=x"),
        ("options", {"account_host": 5}),
        ("options", ["account_host"]),
    ],
)
@pytest.mark.parametrize("api", ["sync", "async"])
def test_bad_field_types_are_config_errors(
    azure_server: Any, api: str, field: str, value: Any
) -> None:
    """Every bad field value of an Azure obstore mount is a StorageConfigError naming the
    field, when the manager is made (never a TypeError from obstore later)."""
    config = az(azure_server, "az", unique(), "obstore")
    config[field] = value
    if field in ("account_key", "sas_token", "anon"):
        config["account_name"] = azure_server.account_name
    maker = StorageManager if api == "sync" else AsyncStorageManager
    with pytest.raises(StorageConfigError) as caught:
        maker([config])
    assert field in str(caught.value)


# -- touch() on every backend ------------------------------------------------------------

TOUCH_KINDS = ["local", "memory", "s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs"]


@pytest.mark.parametrize("kind", TOUCH_KINDS)
async def test_touch_every_backend(kind: str, make_config, open_storage) -> None:
    """touch() creates an empty file, keeps an existing one's bytes, refuses it with
    exist_ok=False, accepts a folder with exist_ok and refuses it without, and works on
    odd names."""
    storage = open_storage([make_config(kind)])
    root = test_node(storage, "m:")
    for name in ("new.txt", "a b%41#?.txt", "ü/é.txt", " sp ", "x" * 200):
        node = test_node(storage, f"m:{name}")
        made = await node.touch()
        assert await made.read_bytes() == b""
        assert await node.exists() and await node.isfile()
    full = test_node(storage, "m:full.txt")
    await full.write_bytes(b"keep me")
    await full.touch()
    assert await full.read_bytes() == b"keep me"
    with pytest.raises(StorageExistsError):
        await full.touch(exist_ok=False)
    assert await full.read_bytes() == b"keep me"
    await test_node(storage, "m:dir/inner.txt").write_bytes(b"i")
    folder = test_node(storage, "m:dir")
    await folder.touch()
    assert await folder.isdir()
    with pytest.raises(StorageExistsError):
        await folder.touch(exist_ok=False)
    assert await test_node(storage, "m:dir/inner.txt").read_bytes() == b"i"
    assert await root.isdir()


@pytest.mark.parametrize("kind", TOUCH_KINDS)
async def test_touch_under_a_file_is_refused(kind: str, make_config, open_storage) -> None:
    """touch('file.txt/x') where file.txt is a file: refused where folders are real
    (pathlib: NotADirectory); on an object store it is a write below a key, which
    docs/backends.md allows (the file becomes a folder with content). Either way the
    file's bytes stay readable."""
    storage = open_storage([make_config(kind)])
    await test_node(storage, "m:file.txt").write_bytes(b"data")
    below = test_node(storage, "m:file.txt/x")
    if kind in ("local", "memory"):
        with pytest.raises(StorageError):
            await below.touch()
        assert await test_node(storage, "m:file.txt").isfile()
        assert not await below.exists()
    else:
        await below.touch()
        assert await below.read_bytes() == b""
    assert await test_node(storage, "m:file.txt").read_bytes() == b"data"


async def test_touch_race_keeps_the_other_writers_bytes(azure_server: Any) -> None:
    """touch() racing a mode-'x' writer of the same new blob (touch on either engine):
    one of them creates it; touch never truncates the writer's bytes, and the writer is
    refused only when touch's empty blob was there first."""
    prefix = unique()
    storage = AsyncStorageManager(
        [az(azure_server, "ob", prefix, "obstore"), az(azure_server, "fs", prefix, "fsspec")]
    )
    try:
        for i in range(10):
            name = f"r{i}.txt"

            async def write(name: str = name) -> None:
                async with storage.node(f"ob:{name}").open("xb") as handle:
                    await handle.write(b"payload")

            touched, written = await asyncio.gather(
                storage.node(f"{'fs' if i % 2 else 'ob'}:{name}").touch(),
                write(),
                return_exceptions=True,
            )
            held = blobs(azure_server, prefix)[f"{prefix}/{name}"]
            if isinstance(written, StorageExistsError):
                assert held == b""  # touch created it first
            else:
                assert written is None and held == b"payload"
                assert not isinstance(touched, BaseException)
    finally:
        await storage.close()


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_touch_read_only_and_base64(api: str, tmp_path: Path) -> None:
    """touch on a read-only mount is refused (nothing created, an existing file's mtime
    unchanged); touch on base64 keeps the node's content, refuses it with
    exist_ok=False."""
    (tmp_path / "old.txt").write_bytes(b"old")
    mtime = (tmp_path / "old.txt").stat().st_mtime_ns
    configs = [
        {"name": "ro", "type": "local", "path": str(tmp_path), "permissions": "readonly"},
        {"name": "b64", "type": "base64"},
    ]
    manager = StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)
    try:
        for spec in ("ro:new.txt", "ro:old.txt"):
            node = test_node(manager, spec)
            with pytest.raises(StoragePermissionError):
                await node.touch()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]
        assert (tmp_path / "old.txt").stat().st_mtime_ns == mtime
        b64 = test_node(manager, "b64:aGVsbG8=")
        assert await (await b64.touch()).read_bytes() == b"hello"
        with pytest.raises(StorageExistsError):
            await b64.touch(exist_ok=False)
    finally:
        closing = manager.close()
        if asyncio.iscoroutine(closing):
            await closing


# -- account_host with a scheme: both halves of the obstore engine on one endpoint ---------


async def test_account_host_url_serves_both_halves(
    azure_server: Any, api: str, open_storage
) -> None:
    """``options.account_host`` given as a URL (an emulator, a private endpoint): the
    obstore half (reads, writes) and the SDK half (facts, listings, mode 'x', deletes)
    talk to the same endpoint, so a file written is a file seen."""
    prefix = unique()
    cloud_mounts.ensure_azure_container(azure_server)
    for engine in ("obstore", "fsspec"):
        config = {
            "name": "az",
            "type": "azure",
            "container": cloud_mounts.AZURE_CONTAINER,
            "prefix": prefix,
            "account_name": azure_server.account_name,
            "account_key": azure_server.account_key,
            "options": {"account_host": azure_server.endpoint_url},
            "engine": engine,
        }
        storage = open_storage([config])
        node = test_node(storage, f"az:{engine}.txt")
        await node.write_bytes(b"seen")
        assert await node.exists()
        assert (await node.info()).size == 4
        assert await kids(test_node(storage, "az:")) == [f"{engine}.txt"]
        with pytest.raises(StorageExistsError):
            await node.touch(exist_ok=False)
        await node.delete()
        assert not await node.exists()
    assert blobs(azure_server, prefix) == {}


# -- names with control characters: the SDK half reads exactly the named blob ---------------


@pytest.mark.parametrize("engine", ["obstore", "fsspec"])
async def test_control_char_names_read_their_own_blob(
    azure_server: Any, api: str, open_storage, engine: str
) -> None:
    """Defect: a name with a tab or a line break (obstore cannot address it, so the
    SDK half serves it) was read through adlfs, whose URL parsing drops those
    characters: reading 'tab\\tx' returned the bytes of another blob, 'tabx'. Every
    read (whole, ranged, streamed, md5) now gets the named blob's own bytes."""
    prefix = unique()
    client = azure_server.client().get_container_client(cloud_mounts.AZURE_CONTAINER)
    storage = open_storage([az(azure_server, "m", prefix, engine)])
    for name, decoy in (("tab\tx", "tabx"), ("a\r\nb", "ab"), ("l\nf", "lf"), ("d\x7fl", "dl")):
        client.upload_blob(f"{prefix}/{decoy}", b"DECOY-OTHER-FILE")
        node = test_node(storage, f"m:{name}")
        await node.write_bytes(b"mine")
        assert await node.read_bytes() == b"mine"
        assert await node.read_range(1, 3) == b"in"
        assert await node.read_range(2) == b"ne"
        assert await node.md5hash() == "918b81db5e91d031548b963c93845e5b"
        async with node.open("rb") as handle:
            assert await handle.read() == b"mine"
        assert await test_node(storage, f"m:{decoy}").read_bytes() == b"DECOY-OTHER-FILE"


# -- a streamed read across a replacement ---------------------------------------------------


@pytest.mark.parametrize("engine", ["obstore", "fsspec"])
async def test_streamed_read_never_mixes_two_versions(
    azure_server: Any, api: str, open_storage, engine: str
) -> None:
    """A file replaced while it is read: the reader returns the old bytes whole or
    raises, never a mix of the two."""
    storage = open_storage([az(azure_server, "m", unique(), engine)])
    node = test_node(storage, "m:big.bin")
    size = 3 * 1024 * 1024
    await node.write_bytes(b"A" * size)
    mixed = b""
    try:
        async with node.open("rb") as handle:
            first = await handle.read(1024 * 1024)
            await node.write_bytes(b"B" * size)
            mixed = first + await handle.read()
    except StorageError:
        return
    assert mixed == b"A" * size


# -- mode 'x' for a streamed write of several parts --------------------------------------------


@pytest.mark.parametrize("engine", ["obstore", "fsspec"])
async def test_streamed_mode_x_of_several_parts(
    azure_server: Any, api: str, open_storage, engine: str
) -> None:
    """Defect: open('xb') of more than one part (staged blocks, then a block list
    committed with If-None-Match: *) always failed with "TypeError: ... unexpected
    keyword argument 'etag'" (the SDK kept the etag for the transport). Now the first
    writer lands whole; a second is refused and the blob keeps the first one's bytes."""
    prefix = unique()
    storage = open_storage([az(azure_server, "m", prefix, engine)])
    node = test_node(storage, "m:big.bin")
    part = 4 * 1024 * 1024 + 7
    async with node.open("xb") as handle:
        for i in range(3):
            await handle.write(bytes([i]) * part)
    expected = b"".join(bytes([i]) * part for i in range(3))
    with pytest.raises(StorageExistsError):
        async with node.open("xb") as handle:
            await handle.write(b"z" * part)
            await handle.write(b"z" * part)
    assert blobs(azure_server, prefix) == {f"{prefix}/big.bin": expected}
    assert (await node.info()).md5 == hashlib.md5(expected).hexdigest()


# -- anon: true means unsigned on both halves of both engines -----------------------------


PUBLIC_CONTAINER = "genro-attack3-public"


@pytest.mark.parametrize("engine", ["obstore", "fsspec"])
async def test_anon_with_a_keyed_connection_string_is_unsigned_everywhere(
    azure_server: Any, api: str, open_storage, engine: str
) -> None:
    """Defect: ``anon: true`` next to a connection string that holds the account key
    was unsigned on obstore's half only: the obstore engine refused writes but its SDK
    half deleted blobs, the fsspec engine wrote and deleted (signed), and url() signed a
    SAS. Now both engines send every request unsigned: a public container reads and
    lists, writes and deletes are refused, url() carries no signature."""
    from azure.core.exceptions import ResourceExistsError

    with azure_server.client() as service:
        with contextlib.suppress(ResourceExistsError):
            service.create_container(PUBLIC_CONTAINER, public_access="container")
        prefix = unique()
        service.get_container_client(PUBLIC_CONTAINER).upload_blob(f"{prefix}/a.txt", b"pub")
    storage = open_storage(
        [
            cloud_mounts.azure_mount(
                azure_server, "m", prefix, container=PUBLIC_CONTAINER, engine=engine, anon=True
            )
        ]
    )
    node = test_node(storage, "m:a.txt")
    assert await node.read_bytes() == b"pub"
    assert await node.exists()
    assert await kids(test_node(storage, "m:")) == ["a.txt"]
    url = node.url()
    assert "sig=" not in (await url if asyncio.iscoroutine(url) else url)
    with pytest.raises(StoragePermissionError):
        await test_node(storage, "m:w.txt").write_bytes(b"x")
    with pytest.raises(StoragePermissionError):
        await node.delete()
    with azure_server.client() as service:
        names = list(
            service.get_container_client(PUBLIC_CONTAINER).list_blob_names(
                name_starts_with=prefix + "/"
            )
        )
    assert names == [f"{prefix}/a.txt"]


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_touch_on_a_dangling_symlink_does_not_pretend(api: str, tmp_path: Path) -> None:
    """Defect: touch() on a dangling symlink inside a local mount returned the node as
    if it had made a file, yet ``exists()`` stayed false (the create-only write was
    refused because the link is there, and exist_ok swallowed that). Now touch()
    either leaves a file there or raises."""
    (tmp_path / "dang").symlink_to("missing-target.txt")
    configs = [{"name": "l", "type": "local", "path": str(tmp_path)}]
    manager = StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)
    try:
        node = test_node(manager, "l:dang")
        try:
            await node.touch()
        except StorageError:
            return
        assert await node.exists() and await node.isfile()
    finally:
        closing = manager.close()
        if asyncio.iscoroutine(closing):
            await closing


@pytest.mark.parametrize("kind", TOUCH_KINDS)
async def test_ranges_of_an_empty_file(kind: str, make_config, open_storage) -> None:
    """Defect: read_range on an empty file failed on the object stores (the obstore
    engines even for read_range(0): an open range of an empty blob is a 416; both
    Azure engines for read_range(0, 5)) where a local file gives b''. Every range of
    an empty file (what touch() makes) is b'', as is a streamed read of it."""
    storage = open_storage([make_config(kind)])
    node = await test_node(storage, "m:empty.txt").touch()
    for start, end in ((0, None), (0, 5), (1, 2), (3, None)):
        assert await node.read_range(start, end) == b"", (start, end)
    async with node.open("rb") as handle:
        assert await handle.read(10) == b""
    with pytest.raises(StorageNotFoundError):
        await test_node(storage, "m:missing.txt").read_range(0, 5)


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_touch_on_a_read_only_http_mount(api: str, http_server: Any) -> None:
    """Defect: touch() on an existing file of a read-only HTTP mount (no 'writable')
    answered as if it had touched it, where a mount with permissions 'readonly' refuses
    the same call. A store that takes no writes refuses touch() like a read-only mount."""
    prefix = unique()
    config = cloud_mounts.http_mount(http_server, "h", prefix)
    (http_server.root / prefix / "old.txt").write_bytes(b"old")
    manager = StorageManager([config]) if api == "sync" else AsyncStorageManager([config])
    try:
        for spec, kwargs in (
            ("h:old.txt", {}),
            ("h:new.txt", {}),
            ("h:old.txt", {"exist_ok": False}),
        ):
            with pytest.raises(StoragePermissionError):
                await test_node(manager, spec).touch(**kwargs)
        assert sorted(p.name for p in (http_server.root / prefix).iterdir()) == ["old.txt"]
    finally:
        closing = manager.close()
        if asyncio.iscoroutine(closing):
            await closing


async def test_cancelled_streamed_copy_between_engines(azure_server: Any) -> None:
    """A streamed copy (obstore reads, SDK staged blocks: the two mounts sign
    differently, so no server-side copy) cancelled at several points: the destination
    is absent or whole, the source untouched; a move cancelled keeps the source."""
    prefix = unique()
    sas = (
        f"BlobEndpoint={azure_server.endpoint_url};SharedAccessSignature={sas_token(azure_server)}"
    )
    storage = AsyncStorageManager(
        [
            az(azure_server, "ob", prefix + "/src", "obstore"),
            az(azure_server, "fs", prefix + "/dst", "fsspec", connection_string=sas),
        ]
    )
    body = bytes(range(256)) * (36 * 1024)  # 9 MiB: three parts
    try:
        await storage.node("ob:big.bin").write_bytes(body)
        for i, delay in enumerate([0, 0.002, 0.01, 0.04, 0.1]):
            move = i % 2 == 1
            src = storage.node("ob:big.bin")
            task = asyncio.create_task(
                src.move(f"fs:c{i}.bin") if move else src.copy(f"fs:c{i}.bin")
            )
            await asyncio.sleep(delay)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            held = blobs(azure_server, prefix)
            assert held.get(f"{prefix}/dst/c{i}.bin") in (None, body), (i, delay)
            if f"{prefix}/src/big.bin" not in held:  # a move that finished
                assert move and held[f"{prefix}/dst/c{i}.bin"] == body
                await storage.node("ob:big.bin").write_bytes(body)
            else:
                assert held[f"{prefix}/src/big.bin"] == body
    finally:
        await storage.close()


@pytest.mark.parametrize("api", ["sync", "async"])
def test_account_host_url_kwargs_for_adlfs(api: str) -> None:
    """What adlfs gets for ``options.account_host``: a plain host as is; an https URL
    without its scheme (adlfs adds https:// and keeps its own credential rules); an
    http URL as a connection string naming that endpoint. None of it for another
    endpoint than the one url() names."""
    base = {"name": "az", "type": "azure", "container": "c", "account_name": "acct"}
    cases = [
        ("acct.example.net", {"account_host": "acct.example.net"}),
        ("https://acct.example.net/", {"account_host": "acct.example.net"}),
        ("HTTPS://Priv.example.net/x", {"account_host": "Priv.example.net/x"}),
    ]
    maker = StorageManager if api == "sync" else AsyncStorageManager
    for host, expected in cases:
        storage = maker([{**base, "options": {"account_host": host}}])
        kwargs = storage._backend("az").logic._fs_kwargs()
        assert {k: kwargs.get(k) for k in expected} == expected
        assert "connection_string" not in kwargs
    storage = maker(
        [{**base, "account_key": "a2V5", "options": {"account_host": "http://h:1/acct"}}]
    )
    kwargs = storage._backend("az").logic._fs_kwargs()
    assert "account_host" not in kwargs
    assert kwargs["connection_string"].startswith("BlobEndpoint=http://h:1/acct;")
    assert storage.node("az:f").url().startswith("http://h:1/acct/c/f?")


@pytest.mark.parametrize("engine", ["obstore", "fsspec"])
async def test_a_connection_string_without_credential_is_anonymous_on_both_engines(
    azure_server: Any, api: str, open_storage, engine: str
) -> None:
    """A connection string naming only the endpoint (no key, no SAS) is an anonymous
    mount: the SDK half sends unsigned requests, and so must obstore's half (which
    otherwise looked for a credential of its own and refused the reads while
    ``exists()`` said True). A public container reads and lists on both engines."""
    from azure.core.exceptions import ResourceExistsError

    with azure_server.client() as service:
        with contextlib.suppress(ResourceExistsError):
            service.create_container(PUBLIC_CONTAINER, public_access="container")
        prefix = unique()
        service.get_container_client(PUBLIC_CONTAINER).upload_blob(f"{prefix}/a.txt", b"pub")
    config = cloud_mounts.azure_mount(
        azure_server, "m", prefix, container=PUBLIC_CONTAINER, engine=engine
    )
    fields = dict(part.split("=", 1) for part in azure_server.connection_string.split(";") if part)
    config["connection_string"] = f"BlobEndpoint={fields['BlobEndpoint']};"
    storage = open_storage([config])
    node = test_node(storage, "m:a.txt")
    assert await node.exists()
    assert await node.read_bytes() == b"pub"
    assert await node.read_range(1, 3) == b"ub"
    assert await kids(test_node(storage, "m:")) == ["a.txt"]
    with pytest.raises(StoragePermissionError):
        await test_node(storage, "m:w.txt").write_bytes(b"x")
