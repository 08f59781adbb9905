"""Object-store edge cases and the error hierarchy of the public entry points.

* Keys no path can name (``src//x``, ``a/./b``, ``src/../../x``), non-empty ``dir/``
  objects, and keys that are both a file and a folder (``f/a`` and ``f/a/b``), created
  through each store's own client on moto S3, Azurite and the GCS emulator: listings
  flag or merge them, never hand out a path that resolves elsewhere, and deletes, tree
  copies and moves follow the model of ``docs/design.md`` ("Object-store keys").
* Metadata keys and values every store can keep, refused with ``StorageConfigError``.
* Every public node method, driven against every backend in failure situations (missing
  key, missing bucket or container or root folder, read-only mount): whatever it
  raises is a ``StorageError``.

Each test body is written once with the async vocabulary and run by both APIs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import cloud_mounts
import pytest
from adapters import SyncAsAsync
from mounts import CLOUD, test_node

from genro_storage import (
    FileInfo,
    StorageConfigError,
    StorageError,
    StorageNode,
)
from genro_storage._shared.paths import normalize
from genro_storage.async_ import AsyncStorageNode

MiB = 1024 * 1024


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


# -- odd keys, written with each store's own client ----------------------------------


class RawStore:
    """Writes and lists keys under a mount's prefix without the library: through boto3
    (S3), plain REST calls signed by a container SAS (Azure: the SDK's URL handling
    would resolve ``.``/``..``) and the JSON API (the GCS emulator)."""

    def __init__(self, kind: str, server: Any, config: dict[str, Any]) -> None:
        self.kind = kind
        self.server = server
        self.bucket = config.get("bucket") or config["container"]
        self.prefix = config["prefix"]
        self._sas = ""
        if kind == "azure":
            from azure.storage.blob import ContainerSasPermissions, generate_container_sas

            self._sas = generate_container_sas(
                server.account_name,
                self.bucket,
                account_key=server.account_key,
                permission=ContainerSasPermissions(read=True, write=True, list=True),
                expiry=datetime.now(timezone.utc) + timedelta(hours=1),
            )

    def put(self, key: str, data: bytes) -> None:
        full = f"{self.prefix}/{key}"
        if self.kind == "s3":
            self.server.client().put_object(Bucket=self.bucket, Key=full, Body=data)
            return
        if self.kind == "azure":
            url = f"{self.server.endpoint_url}/{self.bucket}/{quote(full)}?{self._sas}"
            headers = {"x-ms-blob-type": "BlockBlob", "x-ms-version": "2021-08-06"}
            request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
        else:  # a multipart upload: the emulator drops a media upload with no body
            url = f"{self.server.endpoint_url}/upload/storage/v1/b/{self.bucket}/o"
            boundary = uuid.uuid4().hex
            meta = json.dumps({"name": full})
            body = (
                (
                    f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{meta}\r\n"
                    f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode()
                + data
                + f"\r\n--{boundary}--\r\n".encode()
            )
            headers = {"Content-Type": f'multipart/related; boundary="{boundary}"'}
            request = urllib.request.Request(
                f"{url}?uploadType=multipart", data=body, method="POST", headers=headers
            )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()

    def keys(self) -> set[str]:
        """Every key under the prefix, relative to it."""
        start = f"{self.prefix}/"
        if self.kind == "s3":
            pages = self.server.client().get_paginator("list_objects_v2")
            found = [
                o["Key"]
                for page in pages.paginate(Bucket=self.bucket, Prefix=start)
                for o in page.get("Contents", [])
            ]
        elif self.kind == "azure":
            with self.server.client() as service:
                container = service.get_container_client(self.bucket)
                found = [b.name for b in container.list_blobs(name_starts_with=start)]
        else:
            url = f"{self.server.endpoint_url}/storage/v1/b/{self.bucket}/o?prefix={start}"
            with urllib.request.urlopen(url, timeout=30) as answer:
                found = [item["name"] for item in json.load(answer).get("items", [])]
        return {k[len(start) :] for k in found}


@pytest.fixture(params=CLOUD)
def odd(request, make_config, open_storage) -> tuple[Any, RawStore]:
    """``(root node of a fresh mount 'm', RawStore of its prefix)`` on each object store."""
    kind = request.param
    config = make_config(kind)
    raw = RawStore(kind, request.getfixturevalue(f"{kind}_server"), config)
    storage = open_storage([config, {"name": "mem", "type": "memory", "store": unique()}])
    return test_node(storage, "m:"), raw


async def put(raw: RawStore, keys: dict[str, bytes]) -> None:
    for key, data in keys.items():
        await asyncio.to_thread(raw.put, key, data)


async def listed(folder: Any, page_size: int | None = None) -> list[FileInfo]:
    """Every entry of ``folder``, page by page."""
    entries, cursor = [], None
    while True:
        page = await folder.list(page_size=page_size, cursor=cursor)
        entries += page.entries
        if (cursor := page.cursor) is None:
            return entries


def strictly_below(folder: str, entry: FileInfo) -> bool:
    """The listing rule: an addressable entry is ``folder/<one segment>`` exactly, in
    normal form; anything else must be flagged."""
    if not entry.addressable:
        return True
    name = entry.path[len(folder) + 1 :] if folder else entry.path
    return (
        entry.path == (f"{folder}/{name}" if folder else name)
        and name not in ("", ".", "..")
        and "/" not in name
        and normalize(entry.path) == entry.path
    )


def unreachable_keys(kind: str) -> dict[str, bytes]:
    """Keys with empty, ``.`` or ``..`` segments that the store can hold (the GCS
    emulator drops the connection on a ``..`` segment)."""
    keys = {
        "src//double.txt": b"double",
        "src/a/./b.txt": b"dot",
        "src/dots/.": b"dot file",
        "src/ok.txt": b"ok",
    }
    if kind != "gcs":
        keys |= {"src/../../outside.txt": b"outside", "src/dots/..": b"dotdot file"}
    return keys


async def test_keys_no_path_can_name_are_listed_flagged(odd):
    root, raw = odd
    await put(raw, unreachable_keys(raw.kind))
    src = root.child("src")

    def summary(entries: list[FileInfo]) -> set[tuple[str, str, bool]]:
        return {(e.path, e.type, e.addressable) for e in entries}

    expected = {
        ("src/", "directory", False),  # the prefix 'src//': never 'src' inside itself
        ("src/a", "directory", True),
        ("src/dots", "directory", True),
        ("src/ok.txt", "file", True),
    }
    if raw.kind != "gcs":
        expected.add(("src/..", "directory", False))
    assert summary(await listed(src)) == expected
    assert summary(await listed(src, page_size=1)) == expected
    assert summary(await listed(root.child("src/a"))) == {("src/a/.", "directory", False)}
    dots = {("src/dots/.", "file", False)}
    if raw.kind != "gcs":
        dots.add(("src/dots/..", "file", False))
    assert summary(await listed(root.child("src/dots"))) == dots
    assert [e.name for e in await listed(src) if e.addressable] == ["a", "dots", "ok.txt"]
    assert await root.child("src/ok.txt").read_bytes() == b"ok"


async def test_every_listing_is_strictly_below_its_folder_and_a_walk_ends(odd):
    root, raw = odd
    await put(raw, unreachable_keys(raw.kind) | {"/lead.txt": b"x", "deep/x//y/z": b"z"})
    pending, seen = [""], 0
    while pending:
        folder = pending.pop()
        seen += 1
        assert seen < 50, "the walk does not end"
        for page_size in (None, 1):
            entries = await listed(root.child(folder) if folder else root, page_size)
            bad = [e for e in entries if not strictly_below(folder, e)]
            assert not bad, f"{folder!r}: {bad}"
        pending += [e.path for e in entries if e.isdir and e.addressable]
    assert any(not e.addressable for e in await listed(root))  # the prefix '/'


async def test_a_non_empty_dir_key_is_data_not_a_marker(odd):
    root, raw = odd
    await put(raw, {"d/": b"DATA", "d/x.txt": b"x", "e/": b""})
    entries = await listed(root.child("d"))
    assert [(e.path, e.type, e.size, e.addressable) for e in entries] == [
        ("d/", "file", 4, False),
        ("d/x.txt", "file", 1, True),
    ]
    assert [(e.path, e.addressable) for e in await listed(root)] == [
        ("d", True),
        ("e", True),
    ]
    assert await listed(root.child("e")) == []  # a zero-byte 'e/' is a marker
    assert await root.child("d").isdir()
    await root.child("d/x.txt").delete()
    with pytest.raises(StorageError, match="not empty"):  # 'd/' holds data
        await root.child("d").delete()
    assert await asyncio.to_thread(raw.keys) == {"d/", "e/"}
    await root.child("e").delete()  # nothing but its marker
    await root.child("d").delete(recursive=True)  # asked for: everything below goes
    assert await asyncio.to_thread(raw.keys) == set()


async def test_a_key_that_is_both_file_and_folder_is_one_folder_with_content(odd):
    root, raw = odd
    # 'f/a-1' sorts between 'f/a' and 'f/a/': the two halves of 'a' fall on two pages.
    await put(raw, {"f/a": b"A", "f/a-1": b"1", "f/a/b": b"B", "f/c": b"C"})
    for page_size in (None, 1, 2):
        entries = await listed(root.child("f"), page_size)
        assert [(e.path, e.type, e.size) for e in entries] == [
            ("f/a", "directory", 1),
            ("f/a-1", "file", 1),
            ("f/c", "file", 1),
        ], page_size
        assert entries[0].has_content and not entries[1].has_content
    a = root.child("f/a")
    info = await a.info()
    assert (info.type, info.size, info.has_content) == ("directory", 1, True)
    assert (await a.exists(), await a.isdir(), await a.isfile()) == (True, True, False)
    assert await a.size() == 1
    assert await a.read_bytes() == b"A"  # the content stays readable
    assert await _read_stream(a) == b"A"
    assert await a.md5hash() == hashlib.md5(b"A").hexdigest()
    assert [e.path for e in await listed(a)] == ["f/a/b"]

    # A tree copy cannot place bytes and a folder at one path: the content is reported,
    # never dropped silently ('stop' refuses before writing, 'continue' copies the rest).
    with pytest.raises(StorageError, match="also holds content"):
        await root.child("f").copy("mem:copy")
    report = await root.child("f").copy("mem:copy", on_error="continue")
    assert [path.split(":", 1)[1] for path, _ in report.failed] == ["f/a"]
    mem = test_node_of(root, "mem:copy")
    assert await mem.child("a/b").read_bytes() == b"B"
    assert await mem.child("c").read_bytes() == b"C"

    with pytest.raises(StorageError, match="not empty"):
        await a.delete()  # a folder: not without recursive=True
    assert await asyncio.to_thread(raw.keys) == {"f/a", "f/a-1", "f/a/b", "f/c"}
    await a.delete(recursive=True)  # the folder, what is below it, and its content
    assert await asyncio.to_thread(raw.keys) == {"f/a-1", "f/c"}
    assert not await a.exists()


def test_node_of(root: Any, spec: str) -> Any:
    """A node of ``spec`` from the manager behind ``root`` (either API)."""
    node = root.sync if hasattr(root, "sync") else root
    return test_node(node._manager, spec)


test_node_of.__test__ = False  # type: ignore[attr-defined] - a helper, not a test


async def test_a_marker_does_not_disturb_paged_listings(odd):
    root, raw = odd
    await root.child("m").mkdir()
    for name in ("a", "b", "c"):
        await root.child("m", name).write_bytes(b"x")
    names = [e.name for e in await listed(root.child("m"), page_size=2)]
    assert names == ["a", "b", "c"]
    assert "m/" in await asyncio.to_thread(raw.keys)


# -- metadata every store keeps ------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", *CLOUD])
async def test_metadata_keys_and_values_the_store_cannot_keep_are_refused(
    kind, make_config, open_storage
):
    storage = open_storage([make_config(kind)])
    node = test_node(storage, "m:doc.txt")
    await node.write_bytes(b"x")
    for bad in ({"": "v"}, {"k": "line\nbreak"}, {"k\x00": "v"}, {"k": 1}, {3: "v"}):
        with pytest.raises(StorageConfigError, match=r"m:doc\.txt") as caught:
            await node.set_metadata(bad)
        assert repr(next(iter(bad))) in str(caught.value)
    header_store = kind in ("s3", "azure")
    for key, value in (("ok", "é"), ("é", "v"), ("a b", "v"), ("k", " padded ")):
        if header_store:
            with pytest.raises(StorageConfigError, match="ASCII|token|identifier") as caught:
                await node.set_metadata({key: value})
            assert repr(key) in str(caught.value)
            assert value not in str(caught.value) or value == "v"  # values never echoed
        else:
            await node.set_metadata({key: value})
            assert await node.get_metadata() == {key: value}
    if kind == "azure":
        for key in ("a-b", "1a", "a.b"):
            with pytest.raises(StorageConfigError, match="C# identifier"):
                await node.set_metadata({key: "v"})
    await node.set_metadata({"owner": "ada", "empty": ""})
    assert await node.get_metadata() == {"owner": "ada", "empty": ""}


# -- the error hierarchy of every public entry point ---------------------------------

#: Node members that do no I/O: they cannot meet a store failure.
NO_IO = {
    "as_sync",
    "basename",
    "capabilities",
    "child",
    "child_from",
    "child_named",
    "config",
    "fullpath",
    "mimetype",
    "mount",
    "name",
    "parent",
    "path",
    "stem",
    "suffix",
    # genro-storage 0.x aliases without I/O
    "dirname",
    "ext",
    "splitext",
    # the pathlib vocabulary's path arithmetic (no I/O)
    "match",
    "parts",
    "relative_to",
    "suffixes",
    "with_name",
    "with_stem",
    "with_suffix",
}
#: Members that turn store failures into HTTP answers, never exceptions
#: (tests/test_serving.py checks their error responses).
NO_IO |= {"serve"}

BIG = 9 * MiB  # more than one part of every store's streamed upload


async def _read_stream(node: Any) -> bytes:
    async with node.open("rb") as f:
        return await f.read()


async def _read_version(node: Any) -> bytes:
    async with node.open_version("v1") as f:
        return await f.read()


async def _write_stream(node: Any, size: int, mode: str = "wb") -> None:
    async with node.open(mode) as f:
        if mode == "w":
            await f.write("text")
            return
        await f.write(b"x" * size)


async def _move_in(outside: Any, node: Any) -> None:
    source = outside.parent.child(unique())
    await source.write_bytes(b"moved")
    await source.move(node)


async def _children(node: Any) -> list[Any]:
    return [child async for child in node.children()]


async def _walked(node: Any, method: str, *args: Any) -> list[Any]:
    """Everything a tree iterator (``glob``, ``walk``...) yields, in either API."""
    if isinstance(node, SyncAsAsync):
        return await asyncio.to_thread(lambda: list(getattr(node.sync, method)(*args)))
    return [item async for item in getattr(node, method)(*args)]


async def _local_path(node: Any) -> None:
    sync = node.sync if hasattr(node, "sync") else None
    if sync is None:
        return  # the async API has no local_path
    await asyncio.to_thread(_use_local_path, sync)


def _use_local_path(node: StorageNode) -> None:
    with node.local_path("rw") as path:
        if node.config.type != "local":  # a temporary copy: write it to upload it back
            with open(path, "ab") as f:
                f.write(b"more")


def entry_points(
    node: Any, other: Any, outside: Any, url: str
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Every public I/O member of ``node`` (some several ways), as no-argument calls.

    ``other``: a file on the same mount; ``outside``: an existing file on a healthy
    memory mount (copies both ways); ``url``: a small file on an HTTP server.
    """
    return {
        "exists": node.exists,
        "isfile": node.isfile,
        "isdir": node.isdir,
        "size": node.size,
        "mtime": node.mtime,
        "info": node.info,
        "read_bytes": node.read_bytes,
        "read_text": node.read_text,
        "read_range": lambda: node.read_range(1, 3),
        "open": lambda: _read_stream(node),
        "open wb small": lambda: _write_stream(node, 10),
        "open wb big": lambda: _write_stream(node, BIG),
        "open w": lambda: _write_stream(node, 0, "w"),
        "write_bytes": lambda: node.write_bytes(b"data"),
        "write_bytes big": lambda: node.write_bytes(b"y" * BIG),
        "write_text": lambda: node.write_text("text"),
        "to_base64": node.to_base64,
        "children": lambda: _children(node),
        "list": node.list,
        "list paged": lambda: node.list(page_size=1),
        "mkdir": lambda: node.mkdir(parents=True, exist_ok=True),
        "delete": node.delete,
        "delete recursive": lambda: node.delete(recursive=True),
        "copy out": lambda: node.copy(outside.child(unique())),
        "copy in": lambda: outside.copy(node),
        "copy same mount": lambda: node.copy(other),
        "copy tree": lambda: node.parent.copy(outside.parent.child(unique())),
        "move out": lambda: node.move(outside.parent.child(unique())),
        "move in": lambda: _move_in(outside, node),
        "move same mount": lambda: node.move(other),
        "md5hash": node.md5hash,
        "url": lambda: _awaitable(node.url()),
        "get_metadata": node.get_metadata,
        "set_metadata": lambda: node.set_metadata({"owner": "ada"}),
        "versions": node.versions,
        "open_version": lambda: _read_version(node),
        "fill_from_url": lambda: node.fill_from_url(url),
        "local_path": lambda: _local_path(node),
        # genro-storage 0.x aliases and features (docs/migration.md)
        "read": node.read,
        "read rb": lambda: node.read("rb"),
        "write": lambda: node.write("text"),
        "write skip_if_unchanged": lambda: node.write(b"data", "wb", skip_if_unchanged=True),
        "is_file": node.is_file,
        "is_dir": node.is_dir,
        "ext_attributes": lambda: _property_0x(node, "ext_attributes"),
        "resolved_path": lambda: _property_0x(node, "resolved_path"),
        "version_count": lambda: _property_0x(node, "version_count"),
        "internal_url": lambda: node.internal_url(nocache=True),
        "copy_to": lambda: node.copy_to(outside.child(unique()), skip="size"),
        "move_to": lambda: node.move_to(outside.parent.child(unique())),
        "delete_version": lambda: node.delete_version("v1"),
        "compact_versions": lambda: node.compact_versions(keep=1),
        "glob": lambda: _walked(node.parent, "glob", "*"),
        "glob literal": lambda: _walked(node.parent, "glob", "ghost.txt"),
        "glob below": lambda: _walked(node, "glob", "*"),
        "rglob": lambda: _walked(node.parent, "rglob", "*.txt"),
        "walk": lambda: _walked(node.parent, "walk"),
        "iterdir": lambda: _walked(node.parent, "iterdir"),
        "touch": node.touch,
        "rename": lambda: node.rename(other),
        "unlink": node.unlink,
        "rmdir": node.rmdir,
        "rmdir parent": node.parent.rmdir,
        # processing (docs/processing.md)
        "call": lambda: node.call("true", node),
        "zip": node.zip,
        "zip tree": node.parent.zip,
    }


async def _property_0x(node: Any, name: str) -> Any:
    """0.x properties of the sync node that are coroutines in the async API."""
    sync = getattr(node, "sync", None)
    if sync is not None:
        return await asyncio.to_thread(getattr, sync, name)
    return await getattr(node, name)()


async def _awaitable(value: Any) -> Any:
    return value


def test_entry_points_cover_every_public_member():
    """The list above names every public I/O member of both node classes, so a new
    one cannot escape the hierarchy test below."""
    covered = {name.split(" ")[0] for name in entry_points(*[_Anything()] * 3, "")}
    for cls in (StorageNode, AsyncStorageNode):
        public = {n for n in dir(cls) if not n.startswith("_")}
        assert public - NO_IO <= covered, sorted(public - NO_IO - covered)


class _Anything:
    """Stands for a node while only the names of the entry points are read."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None

    def child(self, *parts: str) -> _Anything:
        return self

    @property
    def parent(self) -> _Anything:
        return self


#: Backends and the failure situations each can be put in.
SITUATIONS = [
    ("local", "missing key"),
    ("local", "missing root"),
    ("local", "read-only"),
    ("memory", "missing key"),
    ("memory", "read-only"),
    ("base64", "bad data"),
    ("fsspec", "missing key"),
    ("fsspec", "read-only"),
    ("http", "missing key"),
    *[(kind, s) for kind in CLOUD for s in ("missing key", "missing bucket", "read-only")],
]


@pytest.mark.parametrize(("kind", "situation"), SITUATIONS, ids=[f"{k}-{s}" for k, s in SITUATIONS])
async def test_every_public_entry_point_raises_only_storage_errors(
    kind, situation, make_config, open_storage, http_server, tmp_path
):
    (http_server.root / "hello.txt").write_bytes(b"hello")
    url = http_server.url("hello.txt")
    if kind == "http":
        config = cloud_mounts.http_mount(http_server, "m", unique())
    elif kind == "fsspec":  # fsspec's own in-memory filesystem
        config = {"name": "m", "type": "fsspec", "fsspec_protocol": "memory"}
        config |= {"path": f"/{unique()}"}
        if situation == "read-only":
            config["permissions"] = "readonly"
    elif situation == "missing root":  # checked when the mount is made: removed after
        (tmp_path / "gone").mkdir()
        config = {"name": "m", "type": "local", "path": str(tmp_path / "gone")}
    elif situation == "missing bucket":
        field = "container" if kind == "azure" else "bucket"
        config = {**make_config(kind), field: unique("missing")}
    elif situation == "read-only":
        config = make_config(kind, permissions="readonly")
    else:
        config = make_config(kind)
    storage = open_storage([config, {"name": "mem", "type": "memory", "store": unique()}])
    if situation == "missing root":
        (tmp_path / "gone").rmdir()
    outside = test_node(storage, "mem:in/file.txt")
    await outside.write_bytes(b"outside")
    if kind == "base64":
        node, other = test_node(storage, "m:A"), test_node(storage, "m:aGVsbG8")
    else:
        node, other = test_node(storage, "m:dir/ghost.txt"), test_node(storage, "m:dir/other.txt")
    raised: dict[str, BaseException] = {}
    for name, run in entry_points(node, other, outside, url).items():
        try:
            await run()
        except StorageError as exc:
            raised[name] = exc
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{kind}/{situation}: {name} raised {type(exc).__module__}.{exc!r}")
    # The situation really is a failure: reading the missing node fails.
    assert "read_bytes" in raised and "info" in raised
    if situation in ("read-only", "missing bucket") or kind == "http":
        assert {"write_bytes", "open wb small", "open wb big", "copy in"} <= set(raised)


async def test_concurrent_azure_writers_fail_inside_the_hierarchy(azure_server, api, open_storage):
    """Azure drops every uncommitted block of a blob when one writer commits: the other
    writer's commit fails with a library error that says why, and the blob holds the
    first writer's bytes whole."""
    storage = open_storage([cloud_mounts.azure_mount(azure_server, "az", unique())])
    node = test_node(storage, "az:shared.bin")
    first, second = b"1" * (5 * MiB), b"2" * (5 * MiB)
    a, b = node.open("wb"), node.open("wb")
    await a.__aenter__()
    await b.__aenter__()
    await a.write(first)
    await b.write(second)  # both have staged a block
    await a.__aexit__(None, None, None)
    with pytest.raises(StorageError, match="az:shared.bin") as caught:
        await b.__aexit__(None, None, None)
    assert "another writer" in str(caught.value)
    assert await node.read_bytes() == first


async def test_generic_fsspec_listings_flag_names_no_path_can_name(open_storage):
    """The generic ``fsspec`` type lists with the same rule: a file named ``..`` is not
    the mount's root, and ``x\\..\\v`` does not become ``v``."""
    import fsspec

    root = f"/{unique()}"
    fs = fsspec.filesystem("memory")
    for name in ("a/..", "a/ok", "b/x\\..\\v"):
        fs.pipe_file(f"{root}/{name}", b"data")
    storage = open_storage(
        [{"name": "f", "type": "fsspec", "fsspec_protocol": "memory", "path": root}]
    )
    try:
        a = [(e.path, e.addressable) for e in await listed(test_node(storage, "f:a"))]
        b = [(e.path, e.addressable) for e in await listed(test_node(storage, "f:b"))]
    finally:
        fs.rm(root, recursive=True)
    assert a == [("a/..", False), ("a/ok", True)]
    # Flagged while '\\' is a separator to ``normalize``, plain if it is literal: never 'b/v'.
    assert b in ([("b/x\\..\\v", False)], [("b/x\\..\\v", True)])
