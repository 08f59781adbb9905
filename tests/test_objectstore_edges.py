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
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import cloud_mounts
import pytest
from mounts import CLOUD, test_node

from genro_storage import (
    StorageError,
    StorageNode,
)
from genro_storage.async_ import AsyncStorageNode

MiB = 1024 * 1024


def unique(tag: str = "t") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


# -- the error hierarchy of every public entry point ---------------------------------

#: Node members that do no I/O: they cannot meet a store failure.
NO_IO = {
    "as_sync",
    "basename",
    "capabilities",
    "child",
    "config",
    "fullpath",
    "mimetype",
    "mount",
    "name",
    "parent",
    "path",
    "stem",
    "suffix",
}

BIG = 9 * MiB  # more than one part of every store's streamed upload


async def _read_stream(node: Any) -> bytes:
    async with node.open("rb") as f:
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
        "open_version": lambda: node.open_version("v1"),
        "fill_from_url": lambda: node.fill_from_url(url),
        "local_path": lambda: _local_path(node),
    }


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
