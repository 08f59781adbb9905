"""local_path(), to_base64(), url() and fill_from_url() on both APIs."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from genro_storage import StorageConfigError, StorageManager, StorageNotFoundError
from genro_storage.async_ import AsyncStorageManager


def test_local_path_is_the_real_file_on_a_local_mount(tmp_path):
    storage = StorageManager([{"name": "d", "type": "local", "path": str(tmp_path)}])
    storage.node("d:a/b.txt").write_text("on disk")
    with storage.node("d:a/b.txt").local_path() as path:
        assert path == str(tmp_path / "a" / "b.txt")
        with open(path) as f:
            assert f.read() == "on disk"


def test_local_path_on_memory_is_a_temporary_copy_uploaded_back_in_rw_mode():
    storage = StorageManager([{"name": "m", "type": "memory"}])
    node = storage.node("m:data.csv")
    node.write_text("a,b\n")
    with node.local_path() as path:
        assert Path(path).read_text() == "a,b\n"
        kept = path
    assert not os.path.exists(kept)
    with node.local_path("rw") as path, open(path, "a") as f:
        f.write("1,2\n")
    assert node.read_text() == "a,b\n1,2\n"
    with storage.node("m:new.txt").local_path("w") as path, open(path, "w") as f:
        f.write("fresh")
    assert storage.node("m:new.txt").read_text() == "fresh"
    with pytest.raises(StorageConfigError, match="mode"), node.local_path("x"):
        pass


def test_local_path_uploads_nothing_when_the_block_fails():
    storage = StorageManager([{"name": "m", "type": "memory"}])
    node = storage.node("m:keep.txt")
    node.write_text("before")
    with pytest.raises(RuntimeError), node.local_path("rw") as path:
        with open(path, "w") as f:
            f.write("after")
        raise RuntimeError("tool crashed")
    assert node.read_text() == "before"


async def test_to_base64_and_url_with_base_url(tmp_path):
    config = [{"name": "d", "type": "local", "path": str(tmp_path), "base_url": "https://cdn.x/f"}]
    sync = StorageManager(config)
    sync.node("d:dir/a b.txt").write_bytes(b"\x00\x01hi")
    assert sync.node("d:dir/a b.txt").to_base64() == base64.b64encode(b"\x00\x01hi").decode()
    assert sync.node("d:dir/a b.txt").url() == "https://cdn.x/f/dir/a%20b.txt"
    async with AsyncStorageManager(config) as storage:
        node = storage.node("d:dir/a b.txt")
        assert await node.to_base64() == base64.b64encode(b"\x00\x01hi").decode()
        assert node.url() == "https://cdn.x/f/dir/a%20b.txt"
    assert StorageManager([{"name": "m", "type": "memory"}]).node("m:x").url() is None


async def test_fill_from_url_streams_a_download_into_any_mount(http_server):
    assert http_server.root is not None
    payload = os.urandom(3 * 1024 * 1024)
    (http_server.root / "download.bin").write_bytes(payload)
    url = http_server.url("download.bin")
    sync = StorageManager([{"name": "m", "type": "memory"}])
    sync.node("m:got.bin").fill_from_url(url)
    assert sync.node("m:got.bin").read_bytes() == payload
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as storage:
        await storage.node("m:got.bin").fill_from_url(url)
        assert await storage.node("m:got.bin").read_bytes() == payload
        with pytest.raises(StorageNotFoundError):
            await storage.node("m:missing.bin").fill_from_url(http_server.url("nope.bin"))
        assert not await storage.node("m:missing.bin").exists()
        with pytest.raises(StorageConfigError, match="http"):
            await storage.node("m:x").fill_from_url("file:///etc/passwd")
    with pytest.raises(StorageNotFoundError):
        sync.node("m:missing.bin").fill_from_url(http_server.url("nope.bin"))
    assert not sync.node("m:missing.bin").exists
