"""Virtual nodes: ``storage.iternode(*nodes)`` and ``storage.diffnode(a, b)``, read,
copied and zipped like files in both APIs, over local, memory and S3 (moto) sources;
read-only (every write raises ``StoragePermissionError``)."""

from __future__ import annotations

import asyncio
import inspect
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from genro_storage import (
    StorageConfigError,
    StorageManager,
    StorageNode,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager, AsyncStorageNode

KINDS = ["local", "memory", "s3"]


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def fact(node: Any, name: str) -> Any:
    value = getattr(node, name)
    return await value() if callable(value) else value


async def read_stream(node: Any) -> bytes:
    """The content through ``open('rb')`` of either API, in small reads."""
    if isinstance(node, StorageNode):
        with node.open("rb") as f:
            return b"".join(iter(lambda: f.read(3), b""))
    async with node.open("rb") as f:
        out = b""
        while chunk := await f.read(3):
            out += chunk
        return out


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]) -> Any:
    return open_storage([make_config(kind), make_config("memory", name="mem")])


async def test_iternode_reads_lazily_and_grows(storage: Any) -> None:
    a, b, c = (storage.node(f"m:{n}.txt") for n in "abc")
    both = storage.iternode(a, b)  # the files do not exist yet: nothing is read now
    await run(a.write_text("one\n"))
    await run(b.write_text("two\n"))
    assert await run(both.read_text()) == "one\ntwo\n"
    await run(c.write_text("three\n"))
    both.append(c)
    both.extend(a, b)
    both.extend([c])
    expected = b"one\ntwo\nthree\none\ntwo\nthree\n"
    assert await run(both.read_bytes()) == expected
    assert await read_stream(both) == expected
    assert await run(both.read_range(4, 8)) == b"two\n"
    assert [n.fullpath for n in both.sources] == ["m:a.txt", "m:b.txt", "m:c.txt"] * 2
    assert await fact(both, "exists") and await fact(both, "isfile")


async def test_iternode_of_several_mounts_and_nested(storage: Any) -> None:
    here = await run(storage.node("m:x.txt").write_bytes(b"X"))
    there = await run(storage.node("mem:y.txt").write_bytes(b"Y"))
    inner = storage.iternode(here, there)
    outer = storage.iternode(inner, there, inner)
    assert await run(outer.read_bytes()) == b"XYYXY"
    with pytest.raises(StorageConfigError, match="itself"):
        inner.append(outer)  # outer holds inner: a cycle
    with pytest.raises(StorageConfigError, match="itself"):
        inner.append(inner)


async def test_missing_source_raises_when_read(storage: Any) -> None:
    lazy = storage.iternode(storage.node("m:missing.txt"))
    with pytest.raises(StorageNotFoundError):
        await run(lazy.read_bytes())


async def test_diffnode(storage: Any) -> None:
    old = await run(storage.node("m:v1.conf").write_text("a=1\nb=2\nc=3"))
    new = await run(storage.node("mem:v2.conf").write_text("a=1\nb=20\nc=3"))
    diff = storage.diffnode(old, new)
    assert diff.basename == "v1.conf.diff"
    assert await run(diff.read_text()) == (
        "--- m:v1.conf\n+++ mem:v2.conf\n@@ -1,3 +1,3 @@\n a=1\n-b=2\n+b=20\n c=3\n"
        "\\ No newline at end of file\n"
    )
    assert await run(storage.diffnode(old, old).read_text()) == ""
    binary = await run(storage.node("m:blob.bin").write_bytes(b"\xff\xfe\x00"))
    with pytest.raises(StorageConfigError, match="UTF-8"):
        await run(storage.diffnode(old, binary).read_bytes())


async def test_copy_as_a_source(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("A"))
    b = await run(storage.node("mem:b.txt").write_text("B"))
    both = storage.iternode(a, b)
    for dst in ("m:out/both.txt", "mem:both.txt"):
        report = await run(both.copy(dst))
        assert report.ok and report.bytes_copied == 2
        assert await run(storage.node(dst).read_text()) == "AB"
    diff = storage.diffnode(a, b)
    await run(diff.copy(storage.node("m:changes.diff")))
    assert "-A" in await run(storage.node("m:changes.diff").read_text())


async def test_skip_callbacks_get_virtual_nodes(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("A"))
    seen: list[Any] = []

    def skip(src: Any, dst: Any) -> bool:
        seen.append(src.read_bytes())  # a plain callable gets sync nodes in both APIs
        return False

    await run(storage.iternode(a, a).copy("mem:aa.txt", skip_if=skip))
    assert seen == [b"AA"]
    assert await run(storage.node("mem:aa.txt").read_text()) == "AA"


async def test_zip_of_virtual_nodes(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("A"))
    b = await run(storage.node("mem:b.txt").write_text("B"))
    data = await run(storage.iternode(a, b).zip())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == {"a.txt": b"A", "b.txt": b"B"}


async def test_virtual_nodes_are_read_only(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("A"))
    for vnode in (storage.iternode(a), storage.diffnode(a, a)):
        with pytest.raises(StoragePermissionError):
            await run(vnode.write_bytes(b"x"))
        with pytest.raises(StoragePermissionError):
            await run(vnode.write_text("x"))
        with pytest.raises(StoragePermissionError):
            if isinstance(vnode, StorageNode):
                vnode.open("wb")
            else:
                async with vnode.open("wb") as f:
                    await f.write(b"x")
        with pytest.raises(StoragePermissionError):
            await run(vnode.delete())
        with pytest.raises(StoragePermissionError):
            await run(vnode.move("m:moved.txt"))
        with pytest.raises(StoragePermissionError):
            await run(a.copy(vnode))
        with pytest.raises(StoragePermissionError):
            await run(a.zip(vnode))
        with pytest.raises(StoragePermissionError):
            await run(vnode.mkdir())
        assert not vnode.capabilities.write
    assert await run(a.read_text()) == "A"
    assert not await fact(storage.node("m:moved.txt"), "exists")


async def test_identity_and_bad_inputs(storage: Any) -> None:
    a = storage.node("m:a.txt")
    one, two = storage.iternode(a), storage.iternode(a)
    assert one != two and one == one and len({one, two, one}) == 2
    assert one.mount != two.mount
    other = (
        AsyncStorageManager([{"name": "x", "type": "memory"}])
        if isinstance(storage, StorageManager)
        else StorageManager([{"name": "x", "type": "memory"}])
    )
    for bad in ("m:a.txt", b"x", None, other.node("x:a")):
        with pytest.raises(TypeError):
            storage.iternode(a, bad)
        with pytest.raises(TypeError):
            one.append(bad)
        with pytest.raises(TypeError):
            storage.diffnode(a, bad)
    assert one.sources == [a]


async def test_async_virtual_node_in_a_thread_callback(
    make_config: Callable[..., dict],
) -> None:
    async with AsyncStorageManager([make_config("memory")]) as storage:
        a = await storage.node("m:a.txt").write_text("A")
        both = storage.iternode(a, a)
        twin = both.as_sync()
        assert isinstance(twin, StorageNode) and twin.read_text() == "AA"
        assert await asyncio.to_thread(storage.diffnode(a, a).as_sync().read_text) == ""
        assert isinstance(both, AsyncStorageNode)


async def test_sizes_and_existence(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("12345"))
    b = await run(storage.node("mem:b.txt").write_text("678"))
    both = storage.iternode(a, b)
    assert await fact(both, "size") == 8
    diff = storage.diffnode(a, b)
    assert await fact(diff, "size") == len(await run(diff.read_bytes()))
    both.append(storage.node("m:missing.txt"))
    assert not await fact(both, "exists")
    with pytest.raises(StorageNotFoundError):
        await fact(both, "size")
    nested = storage.iternode(storage.iternode(a), storage.node("m:folder"))
    await run(storage.node("m:folder/inside.txt").write_text("x"))
    with pytest.raises(Exception, match="directory"):
        await fact(nested, "size")
