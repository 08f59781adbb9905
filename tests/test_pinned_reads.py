"""A file read in several requests never mixes two versions: a reader takes the file's
version token (its ETag) when it is opened and pins every later read to it, so a file
replaced by another of the SAME size between two reads gives the old bytes whole or a
library error, never the start of one and the rest of the other. Every store where a
same-size replacement is possible, both APIs, the streamed reader (``open_read``, what
copies and downloads use) and the seekable file (``open('rb')``, read and seek)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import cloud_mounts
import pytest
from mounts import AZURE_FSSPEC, CLOUD, S3_FSSPEC, test_node
from servers import HTTPServer

from genro_storage import StorageError

KINDS = ["local", "memory", "s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs", "http"]
SIZE = 3 * 1024 * 1024  # more than one read-ahead block of the seekable file
PART = 1024 * 1024


@pytest.fixture(scope="module")
def writable_http() -> Iterator[HTTPServer]:
    with HTTPServer(writable=True) as server:
        yield server


@pytest.fixture
def config_of(make_config: Any, writable_http: HTTPServer) -> Any:
    def make(kind: str) -> dict[str, Any]:
        if kind == "http":
            return cloud_mounts.http_mount(writable_http, "m", f"t-{uuid.uuid4().hex[:12]}")
        result: dict[str, Any] = make_config(kind)
        return result

    return make


async def _read_rest(reader: Any) -> bytes:
    parts = []
    while True:
        chunk = reader.read(PART)
        if not isinstance(chunk, bytes):
            chunk = await chunk
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


async def _first_part(reader: Any) -> bytes:
    data = reader.read(PART)
    return data if isinstance(data, bytes) else await data


async def _close(reader: Any) -> None:
    done = reader.close()
    if done is not None:
        await done


@pytest.mark.parametrize("kind", KINDS)
async def test_streamed_reader_never_mixes_two_versions(
    kind: str, api: str, config_of: Any, open_storage: Any
) -> None:
    storage = open_storage([config_of(kind)])
    node = test_node(storage, "m:dir/big file ü.bin")
    await node.write_bytes(b"A" * SIZE)
    raw = storage.node("m:dir/big file ü.bin")
    reader = raw._backend.open_read(raw.path)
    if not hasattr(reader, "read"):
        reader = await reader
    try:
        got = await _first_part(reader)
        await node.write_bytes(b"B" * SIZE)
        got += await _read_rest(reader)
    except StorageError as caught:
        assert "the file changed while it was read" in str(caught)
        assert "m:dir/big file ü.bin" in str(caught)
        assert kind in CLOUD  # ranged GETs, pinned to the ETag taken at open
        return
    finally:
        await _close(reader)
    # An open file (local), a snapshot (memory), one streamed GET (http): the old bytes.
    assert kind not in CLOUD
    assert got == b"A" * SIZE


@pytest.mark.parametrize("kind", KINDS)
async def test_seekable_file_never_mixes_two_versions(
    kind: str, api: str, config_of: Any, open_storage: Any
) -> None:
    storage = open_storage([config_of(kind)])
    node = test_node(storage, "m:big.bin")
    old = bytes(range(256)) * (SIZE // 256)
    await node.write_bytes(old)
    got = b""
    try:
        async with node.open("rb") as handle:
            got = await handle.read(PART)
            await node.write_bytes(bytes(reversed(old)))
            await handle.seek(SIZE - PART)  # past the read-ahead block: a new fetch
            tail = await handle.read()
            await handle.seek(PART)
            middle = await handle.read(SIZE - 2 * PART)
            got += middle + tail
    except StorageError as caught:
        assert "the file changed while it was read" in str(caught)
        assert kind != "local"
        return
    assert kind == "local"  # read through the one file descriptor opened at open()
    assert got == old


@pytest.mark.parametrize("kind", KINDS)
async def test_unchanged_file_reads_whole_through_pinned_reads(
    kind: str, api: str, config_of: Any, open_storage: Any
) -> None:
    """The pin refuses nothing while the file stays as it was (a metadata change
    included where the store keeps the ETag)."""
    storage = open_storage([config_of(kind)])
    node = test_node(storage, "m:same.bin")
    data = bytes(range(256)) * (SIZE // 256)
    await node.write_bytes(data)
    async with node.open("rb") as handle:
        first = await handle.read(PART)
        await handle.seek(SIZE - 10)
        last = await handle.read()
        await handle.seek(PART)
        middle = await handle.read(SIZE - PART - 10)
    assert first + middle + last == data
