"""The readers that read one file in several ``node.read_range`` calls pin every call to
the ETag of the ``info()`` they started with (``read_range(start, end, etag=...)``): the
serving handler's ranged body, the fsspec file (block by block), the explorer's previews
(an image in two reads, a table through pyarrow) and the seekable file's stream fallback.
A file replaced by another of the SAME size between two calls gives the old bytes whole
or the library's "changed while it was read" error, never a mix; an unchanged file
reads whole. Memory, S3 (obstore) and local disk (an ETag from device, inode, size
and mtime) on both APIs."""

from __future__ import annotations

import asyncio
import http.client
import io
import urllib.parse
from typing import Any

import pandas as pd
import pytest
from mounts import test_node

from genro_storage import StorageConfigError, StorageError, StorageManager
from genro_storage._shared import sansio, seekable
from genro_storage._shared.info import FileInfo
from genro_storage._shared.seekable import SeekableFile
from genro_storage.async_ import AsyncStorageManager, AsyncStorageNode
from genro_storage.node import StorageNode
from genro_storage.serving import rules
from genro_storage.widgets.preview import load_preview
from genro_storage.widgets.preview_data import load_table

PINNED = ["memory", "s3", "local"]  # s3: the default engine, obstore
CHANGED = "the file changed while it was read"
SIZE = 2 * rules.CHUNK + 4321  # the served range spans three chunks: three reads


def old_bytes(size: int = SIZE) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def new_bytes(size: int = SIZE) -> bytes:
    return bytes(255 - b for b in old_bytes(size))


class Swap:
    """Patches ``read_range`` of both node classes: after the first call (of a node
    whose path is ``target``), the file is replaced by ``replacement`` (same size).
    Records the ``etag`` every call was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.target = ""
        self.replacement = b""
        self.armed = False
        self.etags: list[str | None] = []
        swap = self
        sync_read, async_read = StorageNode.read_range, AsyncStorageNode.read_range

        def sync_spy(node: Any, start: int, end: int | None = None, **kw: Any) -> bytes:
            if node.path == swap.target:  # recorded before: a refused call counts
                swap.etags.append(kw.get("etag"))
            data = sync_read(node, start, end, **kw)
            if node.path == swap.target and swap.armed:
                swap.armed = False
                node.write_bytes(swap.replacement)
            return data

        async def async_spy(node: Any, start: int, end: int | None = None, **kw: Any) -> bytes:
            if node.path == swap.target:  # recorded before: a refused call counts
                swap.etags.append(kw.get("etag"))
            data = await async_read(node, start, end, **kw)
            if node.path == swap.target and swap.armed:
                swap.armed = False
                await node.write_bytes(swap.replacement)
            return data

        monkeypatch.setattr(StorageNode, "read_range", sync_spy)
        monkeypatch.setattr(AsyncStorageNode, "read_range", async_spy)

    def arm(self, path: str, replacement: bytes) -> None:
        self.target, self.replacement, self.armed = path, replacement, True
        self.etags.clear()


@pytest.fixture
def swap(monkeypatch: pytest.MonkeyPatch) -> Swap:
    return Swap(monkeypatch)


# ------------------------------------------------------------------ the node API


@pytest.mark.parametrize("kind", PINNED)
async def test_read_range_takes_an_etag_and_refuses_another_version(
    kind: str, api: str, make_config: Any, open_storage: Any
) -> None:
    storage = open_storage([make_config(kind)])
    node = test_node(storage, "m:f.bin")
    await node.write_bytes(b"A" * 100)
    tag = (await node.info()).etag
    assert tag
    assert await node.read_range(10, 20, etag=tag) == b"A" * 10
    await node.write_bytes(b"B" * 100)
    with pytest.raises(StorageError, match=CHANGED):
        await node.read_range(10, 20, etag=tag)
    for bad in (5, b"x", "", 'x"\r\nX-Injected: 1', "a\x00b", True):
        with pytest.raises(StorageConfigError, match="etag"):
            await node.read_range(0, 5, etag=bad)
    with pytest.raises(StorageError, match=CHANGED):  # odd but legal: another version
        await node.read_range(0, 5, etag="ü *%\\..")


# ------------------------------------------------------------------ serving


def ranged_get(url: str, path: str, first: int, last: int) -> tuple[int, bytes | None]:
    """``(status, body)``; body ``None`` when the server cut the answer short."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Range": f"bytes={first}-{last}"})
        response = conn.getresponse()
        try:
            body: bytes | None = response.read()
        except (http.client.IncompleteRead, ConnectionError):
            body = None
        return response.status, body
    finally:
        conn.close()


@pytest.mark.parametrize("flavour", ["asgi", "wsgi"])
@pytest.mark.parametrize("kind", PINNED)
def test_a_served_range_never_mixes_two_versions(
    flavour: str, kind: str, make_config: Any, swap: Swap, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue(f"{flavour}_server")
    config = make_config(kind)
    manager: Any = AsyncStorageManager([config]) if flavour == "asgi" else StorageManager([config])
    try:
        with StorageManager([config]) as seed:
            seed.node("m:big.bin").write_bytes(old_bytes())
        server.app = manager.asgi_app() if flavour == "asgi" else manager.wsgi_app()
        # unchanged: whole
        status, body = ranged_get(server.url, "/m/big.bin", 10, SIZE - 1)
        assert status == 206 and body == old_bytes()[10:]
        # replaced after the first chunk: the answer is cut short, never mixed
        swap.arm("big.bin", new_bytes())
        status, body = ranged_get(server.url, "/m/big.bin", 10, SIZE - 1)
        assert status == 206
        assert body is None or body == old_bytes()[10:]
        assert body is None  # the second chunk's pinned read refused the new version
        assert len(swap.etags) >= 2 and swap.etags[0] and len(set(swap.etags)) == 1
    finally:
        server.wait_idle(server.started)
        server.app = None
        if isinstance(manager, AsyncStorageManager):
            server.run(manager.close())
        else:
            manager.close()


# ------------------------------------------------------------------ fsspec


def read_blocks(fs: Any, path: str) -> bytes:
    """The whole file through fsspec's buffered file, one small block at a time."""
    with fs.open(path, "rb", block_size=1000, cache_type="none") as f:
        parts = []
        while chunk := f.read(700):
            parts.append(chunk)
        return b"".join(parts)


@pytest.mark.parametrize("kind", PINNED)
async def test_the_fsspec_file_never_mixes_two_versions(
    kind: str, api: str, make_config: Any, open_storage: Any, swap: Swap
) -> None:
    storage = open_storage([make_config(kind)])
    node = test_node(storage, "m:d/f.bin")
    size = 5000
    await node.write_bytes(old_bytes(size))
    fs = storage.fs
    if api == "async":
        f = await fs.open_async("m/d/f.bin", "rb")
        assert await f.read() == old_bytes(size)
        swap.arm("d/f.bin", new_bytes(size))
        f = await fs.open_async("m/d/f.bin", "rb")
        first = await f.read(1000)
        assert first == old_bytes(size)[:1000]
        with pytest.raises(StorageError, match=CHANGED):
            await f.read(1000)
    else:
        assert await asyncio.to_thread(read_blocks, fs, "m/d/f.bin") == old_bytes(size)
        swap.arm("d/f.bin", new_bytes(size))
        with pytest.raises(StorageError, match=CHANGED):
            await asyncio.to_thread(read_blocks, fs, "m/d/f.bin")
        assert await asyncio.to_thread(read_blocks, fs, "m/d/f.bin") == new_bytes(size)
    assert swap.etags[0] and len(set(swap.etags[:2])) == 1


# ------------------------------------------------------------------ previews

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("kind", PINNED)
async def test_an_image_preview_never_mixes_two_versions(
    kind: str, make_config: Any, swap: Swap
) -> None:
    async with AsyncStorageManager([make_config(kind)]) as storage:
        node = storage.node("m:pic.png")
        size = 3000
        await node.write_bytes(PNG + old_bytes(size - len(PNG)))
        swap.arm("pic.png", PNG + new_bytes(size - len(PNG)))
        with pytest.raises(StorageError, match=CHANGED):
            await load_preview(node, limit=100, image_limit=10_000)
        assert len(swap.etags) == 2 and swap.etags[0] and swap.etags[0] == swap.etags[1]


def parquet_bytes() -> bytes:
    frame = pd.DataFrame({"n": range(3000), "text": [f"row {i}" for i in range(3000)]})
    out = io.BytesIO()
    frame.to_parquet(out, row_group_size=500)
    return out.getvalue()


@pytest.mark.parametrize("kind", PINNED)
async def test_a_table_preview_never_mixes_two_versions(
    kind: str, make_config: Any, swap: Swap
) -> None:
    async with AsyncStorageManager([make_config(kind)]) as storage:
        node = storage.node("m:t.parquet")
        data = parquet_bytes()
        await node.write_bytes(data)
        info = await node.info()
        html, _ = await load_table(node, len(data), "parquet", info.etag)
        assert "row 0" in html  # unchanged: read whole
        swap.arm("t.parquet", data[::-1])  # same size, another content
        with pytest.raises(StorageError, match=CHANGED):
            await load_table(node, len(data), "parquet", info.etag)
        with pytest.raises(StorageError, match=CHANGED):  # nor shown as a hex dump
            await load_preview(node, info)
        assert all(tag == info.etag for tag in swap.etags)


# ------------------------------------------------------------------ the seekable stream


class _Stream:
    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


def test_a_seek_back_on_the_stream_is_checked_against_the_etag_seen_first() -> None:
    """HTTP without a size: bytes come from one GET, reopened to go back; a reopened
    GET whose file no longer has the ETag seen at open raises, never mixes."""
    versions = {"tag": "v1", "data": old_bytes(5000)}

    def fetch(start: int, end: int | None) -> Any:
        raise AssertionError("no ranged read where the store answers no range")

    def open_stream() -> Any:
        return sansio.call(lambda: _Stream(versions["data"]))  # type: ignore[arg-type]

    def look() -> Any:
        return sansio.call(lambda: FileInfo("f", "file", None, etag=str(versions["tag"])))

    def logic() -> seekable.SeekLogic:
        return seekable.SeekLogic(fetch, None, "h:f", 100, open_stream, look=look, etag="v1")

    f = SeekableFile(logic())
    assert f.read(3000) == old_bytes(5000)[:3000]
    f.seek(10)  # back: a new GET, same version
    assert f.read() == old_bytes(5000)[10:]
    f = SeekableFile(logic())
    assert f.read(3000) == old_bytes(5000)[:3000]
    versions.update(tag="v2", data=new_bytes(5000))
    f.seek(10)
    with pytest.raises(StorageError, match=CHANGED):
        f.read(10)


# ------------------------------------------------------------------ unchanged files


@pytest.mark.parametrize("kind", PINNED)
async def test_an_unchanged_file_reads_whole_through_every_reader(
    kind: str, api: str, make_config: Any, open_storage: Any
) -> None:
    storage = open_storage([make_config(kind)])
    node = test_node(storage, "m:u.bin")
    await node.write_bytes(old_bytes(5000))
    fs = storage.fs
    if api == "async":
        f = await fs.open_async("m/u.bin", "rb")
        assert await f.read() == old_bytes(5000)
    else:
        assert await asyncio.to_thread(read_blocks, fs, "m/u.bin") == old_bytes(5000)
    tag = (await node.info()).etag
    assert await node.read_range(100, 200, etag=tag) == old_bytes(5000)[100:200]
