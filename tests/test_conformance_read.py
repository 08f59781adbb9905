"""The read-only part of the conformance suite, over every backend, HTTP included.

``seeded`` is the root of a fresh mount holding the same files on every backend; for
HTTP they are put in the served folder directly (the mount itself is read-only). HTTP
runs against two servers: the project's aiohttp file server (Range, ETag, autoindex
with sizes) and the standard library's ``python -m http.server`` (no Range, no ETag,
folders redirected to ``dir/``).
"""

from __future__ import annotations

import hashlib
import random
from urllib.parse import unquote, urlsplit

import pytest
from mounts import AZURE_FSSPEC, S3_FSSPEC, test_node

from genro_storage import StorageManager, StorageNotFoundError, StoragePermissionError

FILES = {
    "readme.txt": b"hello, reader\n",
    "data/table.csv": b"a,b\n1,2\n",
    "data/blob.bin": random.Random(5).randbytes(300_000),
    "data/deep/note.json": b'{"k": 1}',
    **{f"many/item{i:02d}.txt": f"item {i}".encode() for i in range(12)},
}


@pytest.fixture(
    params=["local", "memory", "s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs", "http", "stdhttp"]
)
def seeded(request, make_config, open_storage):
    kind = request.param
    config = make_config(kind)
    if kind in ("http", "stdhttp"):
        server = request.getfixturevalue(f"{kind}_server")
        folder = server.root / unquote(urlsplit(config["base_url"]).path).strip("/")
        for name, data in FILES.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    else:
        writer = StorageManager([config])
        for name, data in FILES.items():
            writer.node("m:" + name).write_bytes(data)
        writer.close()
    return test_node(open_storage([config]), "m:")


async def test_read_content_and_facts(seeded):
    for name, data in FILES.items():
        node = seeded.child(name)
        assert await node.read_bytes() == data, name
        assert await node.size() == len(data)
        assert await node.isfile() and await node.exists()
    assert await seeded.child("readme.txt").read_text() == "hello, reader\n"
    assert await seeded.child("data").isdir()
    assert not await seeded.child("data").isfile()


async def test_missing_paths_raise_the_same_error_everywhere(seeded):
    for spec in ("nope.txt", "data/nope/x.bin"):
        node = seeded.child(spec)
        assert not await node.exists()
        with pytest.raises(StorageNotFoundError) as err:
            await node.read_bytes()
        assert str(err.value) == f"No such file or directory: 'm:{spec}'"


async def test_listing_sorted_and_paged(seeded):
    names = [c.basename async for c in seeded.child("data").children()]
    assert names == ["blob.bin", "deep", "table.csv"]
    seen, cursor, pages = [], None, 0
    while True:
        page = await seeded.child("many").list(page_size=5, cursor=cursor)
        pages += 1
        seen += [entry.name for entry in page.entries]
        if (cursor := page.cursor) is None:
            break
    assert seen == [f"item{i:02d}.txt" for i in range(12)]
    assert pages >= 3


async def test_range_reads_streaming_and_hash(seeded):
    blob = FILES["data/blob.bin"]
    node = seeded.child("data/blob.bin")
    assert await node.read_range(1000, 1010) == blob[1000:1010]
    async with node.open("rb") as f:
        head = await f.read(7)
        rest = b"".join([chunk async for chunk in f.chunks()])
    assert head + rest == blob
    assert await node.md5hash() == hashlib.md5(blob).hexdigest()


async def test_copy_out_to_memory(seeded, api):
    from genro_storage.async_ import AsyncStorageManager

    target = StorageManager if api == "sync" else AsyncStorageManager
    # the copy goes to another mount of the same manager: add a memory mount to it
    manager = seeded.sync._manager if api == "sync" else seeded._manager
    assert isinstance(manager, target)
    manager.add_mount({"name": "out", "type": "memory"})
    report = await seeded.child("data").copy(test_node(manager, "out:copy"))
    assert sorted(report.copied) == ["m:data/blob.bin", "m:data/deep/note.json", "m:data/table.csv"]
    assert await test_node(manager, "out:copy/deep/note.json").read_bytes() == b'{"k": 1}'


async def test_http_mount_is_read_only(make_config, open_storage):
    manager = open_storage([make_config("http")])
    node = test_node(manager, "m:new.txt")
    assert not node.capabilities.write
    attempts = [node.write_bytes(b"x"), node.mkdir(), test_node(manager, "m:").child("a").delete()]
    for attempt in attempts:
        with pytest.raises(StoragePermissionError, match="Mount 'm' is read-only"):
            await attempt
    assert not await node.exists()
