"""Seekable files on every backend, in both APIs (issue 11, item 2).

``node.open('rb')`` is a buffered, seekable binary file everywhere (local, memory,
base64, S3, Azure, GCS, HTTP with and without Range, a generic fsspec mount); the async
file has ``await f.seek()``/``tell()``/``read()``/``readline()`` and ``async for line``.
Reads fetch only what is read: the backend's ``read_range`` is wrapped in a counting spy
(the wire is real) and the HTTP server's request log is checked too.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import random
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MiB, pattern_bytes

from genro_storage import StorageBackendError, StorageError, StorageManager, StorageNotFoundError
from genro_storage._shared import sansio, seekable
from genro_storage._shared.sansio import drive_async, drive_sync
from genro_storage._shared.seekable import READ_AHEAD, SeekableFile, g_open_seekable
from genro_storage.async_ import AsyncStorageManager

KINDS = ["local", "memory", "base64", "s3", "azure", "gcs", "http", "stdhttp", "fsspec"]

LINES = b"".join(b"line %d %s\n" % (i, b"x" * (i % 37)) for i in range(3000)) + b"no newline"
RANDOM = random.Random(11).randbytes(READ_AHEAD + 300_000)


def parquet_bytes() -> bytes:
    rng = random.Random(3)
    table = pa.table(
        {
            "n": list(range(120_000)),
            "x": [rng.random() for _ in range(120_000)],
            "s": [f"row-{i}" for i in range(120_000)],
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=30_000)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "alpha\n")
        z.writestr("big.bin", RANDOM, compress_type=zipfile.ZIP_STORED)
        z.writestr("deep/c.txt", "charlie " * 1000, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


PARQUET = parquet_bytes()
ZIP = zip_bytes()
FILES = {"lines.txt": LINES, "random.bin": RANDOM, "t.parquet": PARQUET, "a.zip": ZIP}


@pytest.fixture
def place(request: pytest.FixtureRequest, make_config: Callable[..., dict]) -> Callable[..., Any]:
    """``place(kind, files) -> (config, {name: spec})``: ``files`` stored on a fresh
    mount ``m`` of ``kind`` (HTTP: in the served folder)."""
    callspec = getattr(request.node, "callspec", None)
    first = callspec.params.get("kind") if callspec else None
    if first in ("s3", "azure", "gcs", "http", "stdhttp"):  # started here, outside the loop
        request.getfixturevalue(f"{first}_server")

    def make(kind: str, files: dict[str, bytes]) -> tuple[dict[str, Any], dict[str, str]]:
        if kind == "fsspec":
            config = {"name": "m", "type": "fsspec", "fsspec_protocol": "memory"}
            config["path"] = f"/seek-{uuid.uuid4().hex[:12]}"
        else:
            config = make_config(kind)
        specs = {name: f"m:{name}" for name in files}
        if kind in ("http", "stdhttp"):
            server = request.getfixturevalue(f"{kind}_server")
            folder = server.root / config["base_url"].rsplit("/", 1)[1]
            for name, data in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            return config, specs
        writer = StorageManager([config])
        for name, data in files.items():
            specs[name] = writer.node(specs[name]).write_bytes(data).fullpath
        writer.close()
        return config, specs

    return make


@pytest.fixture
def sync_storage() -> Iterator[Callable[[dict[str, Any]], StorageManager]]:
    managers: list[StorageManager] = []

    def make(config: dict[str, Any]) -> StorageManager:
        managers.append(StorageManager([config]))
        return managers[-1]

    yield make
    for manager in managers:
        manager.close()


@pytest.fixture
async def async_storage() -> Any:
    managers: list[AsyncStorageManager] = []

    def make(config: dict[str, Any]) -> AsyncStorageManager:
        managers.append(AsyncStorageManager([config]))
        return managers[-1]

    yield make
    for manager in managers:
        await manager.close()


# -- the sync file object, every backend ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sync_file_is_a_buffered_seekable_binary_file(kind, place, sync_storage):
    config, specs = place(kind, {"lines.txt": LINES, "random.bin": RANDOM})
    storage = sync_storage(config)
    node = storage.node(specs["random.bin"])
    with node.open("rb") as f:
        assert f.readable() and f.seekable() and not f.writable()
        assert f.name == node.fullpath
        assert not f.closed
        assert f.read(5) == RANDOM[:5] and f.tell() == 5
        assert f.seek(10) == 10 and f.read(3) == RANDOM[10:13]
        assert f.seek(7, io.SEEK_CUR) == 20 and f.read(4) == RANDOM[20:24]
        assert f.seek(-6, io.SEEK_END) == len(RANDOM) - 6
        assert f.read() == RANDOM[-6:]
        assert f.read(10) == b"" and f.read() == b""
        assert f.seek(len(RANDOM) + 100) == len(RANDOM) + 100 and f.read(1) == b""
        f.seek(READ_AHEAD - 3)  # across the read-ahead block's end
        assert f.read(10) == RANDOM[READ_AHEAD - 3 : READ_AHEAD + 7]
        f.seek(1000)
        buffer = bytearray(4000)
        assert f.readinto(buffer) == 4000 and bytes(buffer) == RANDOM[1000:5000]
        f.seek(0)
        assert f.read(-1) == RANDOM
    assert f.closed
    with pytest.raises(ValueError):
        f.read(1)
    with pytest.raises(ValueError):
        f.seek(0)

    lines = storage.node(specs["lines.txt"])
    expected = LINES.splitlines(keepends=True)
    with lines.open("rb") as f:
        assert f.readline() == expected[0]
        assert f.readline(3) == expected[1][:3]
        assert f.readline() == expected[1][3:]
        assert list(f) == expected[2:]
        f.seek(0)
        assert f.readlines() == expected
        f.seek(-4, 2)
        assert f.readline() == b"line"  # the last line has no newline
    with lines.open("r") as text:
        assert text.readline() == expected[0].decode()
        where = text.tell()
        assert text.readline() == expected[1].decode()
        text.seek(where)
        assert text.read(4) == expected[1].decode()[:4]
        text.seek(0)
        assert text.read() == LINES.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_pyarrow_and_zipfile_read_the_file_on_every_backend(kind, place, sync_storage):
    config, specs = place(kind, {"t.parquet": PARQUET, "a.zip": ZIP})
    storage = sync_storage(config)
    table = pq.read_table(storage.node(specs["t.parquet"]).open("rb"))
    assert table.num_rows == 120_000
    assert table.column("n").to_pylist()[-3:] == [119_997, 119_998, 119_999]
    assert table.column("s")[54_321].as_py() == "row-54321"
    with storage.node(specs["t.parquet"]).open("rb") as f:  # one column only
        assert pq.read_table(f, columns=["s"]).column_names == ["s"]
    with zipfile.ZipFile(storage.node(specs["a.zip"]).open("rb")) as z:
        assert z.namelist() == ["a.txt", "big.bin", "deep/c.txt"]
        assert z.read("big.bin") == RANDOM
        assert z.read("deep/c.txt") == b"charlie " * 1000
        with z.open("a.txt") as member:
            assert member.read() == b"alpha\n"
        assert z.testzip() is None


# -- the async file, every backend ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_async_file_seeks_reads_and_iterates_lines(kind, place, async_storage):
    config, specs = place(kind, {"lines.txt": LINES, "random.bin": RANDOM})
    storage = async_storage(config)
    node = storage.node(specs["random.bin"])
    async with node.open("rb") as f:
        assert f.seekable()
        assert await f.read(5) == RANDOM[:5] and await f.tell() == 5
        assert await f.seek(100) == 100 and await f.read(3) == RANDOM[100:103]
        assert await f.seek(-3, io.SEEK_CUR) == 100
        assert await f.seek(-6, io.SEEK_END) == len(RANDOM) - 6
        assert await f.read() == RANDOM[-6:]
        assert await f.read(3) == b""
        await f.seek(READ_AHEAD - 3)
        assert await f.read(10) == RANDOM[READ_AHEAD - 3 : READ_AHEAD + 7]
        await f.seek(0)
        assert b"".join([chunk async for chunk in f.chunks(100_000)]) == RANDOM
    with pytest.raises(ValueError):
        await f.read(1)

    expected = LINES.splitlines(keepends=True)
    async with storage.node(specs["lines.txt"]).open("rb") as f:
        assert await f.readline() == expected[0]
        assert await f.readline(3) == expected[1][:3]
        assert await f.readline() == expected[1][3:]
        assert [line async for line in f] == expected[2:]
        assert await f.readline() == b""
        await f.seek(len(expected[0]))
        assert await f.readline() == expected[1]


@pytest.mark.parametrize("kind", ["local", "memory", "s3", "http"])
async def test_opening_a_folder_or_nothing_fails_clearly(kind, place, api, open_storage):
    config, _ = place(kind, {"dir/x.txt": b"x"})
    storage = open_storage([config])
    for spec, error, text in (
        ("m:dir", StorageError, "Is a directory"),
        ("m:nope.bin", StorageNotFoundError, "nope.bin"),
    ):
        node = storage.node(spec)
        with pytest.raises(error, match=text):
            if api == "sync":
                node.open("rb")
            else:
                async with node.open("rb"):
                    pass


# -- what is fetched ------------------------------------------------------------------


def spy_read_range(backend: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record ``(start, bytes returned)`` of every ``read_range`` of ``backend`` (local
    disk: of every read of the file opened, ``seekable._read_at``)."""
    calls: list[tuple[int, int]] = []
    if backend.type_name == "local":
        read_at = seekable._read_at

        def spy_at(handle: Any, start: int, end: int | None) -> bytes:
            data = read_at(handle, start, end)
            calls.append((start, len(data)))
            return data

        monkeypatch.setattr(seekable, "_read_at", spy_at)
        return calls
    original = backend.read_range
    if inspect.iscoroutinefunction(original):

        async def spy(path: str, start: int, end: int | None, etag: Any = None) -> bytes:
            data = await original(path, start, end, etag)
            calls.append((start, len(data)))
            return data
    else:

        def spy(path: str, start: int, end: int | None, etag: Any = None) -> bytes:  # type: ignore[misc]
            data = original(path, start, end, etag)
            calls.append((start, len(data)))
            return data

    monkeypatch.setattr(backend, "read_range", spy)
    return calls


@pytest.mark.parametrize("kind", ["local", "memory", "s3", "azure", "gcs", "http"])
async def test_only_what_is_read_is_fetched(kind, place, api, open_storage, monkeypatch, request):
    big = random.Random(5).randbytes(6 * MiB)
    config, specs = place(kind, {"big.bin": big})
    storage = open_storage([config])
    node = storage.node(specs["big.bin"])
    calls = spy_read_range(node._backend, monkeypatch)
    server = request.getfixturevalue("http_server") if kind == "http" else None
    asked = len(server.requests) if server else 0

    async def run(op: Callable[..., Any], *args: Any) -> Any:
        result = op(*args)
        return await result if inspect.isawaitable(result) else result

    if api == "sync":
        f = node.open("rb")
    else:
        f = node.open("rb")
        await f.__aenter__()
    try:
        assert calls == []  # opening fetches the facts only
        assert await run(f.read, 10) == big[:10]
        assert calls == [(0, READ_AHEAD)]  # one read-ahead block
        assert await run(f.read, 1000) == big[10:1010]
        model = io.BytesIO(big)
        model.seek(1010)
        assert await run(f.readline, 50) == model.readline(50)
        assert len(calls) == 1  # served from the block
        await run(f.seek, -10, 2)
        assert await run(f.read, 100) == big[-10:]
        assert calls[1] == (len(big) - 10, 10)  # clamped to the size
        await run(f.seek, 2 * MiB)
        assert await run(f.read, 2 * MiB) == big[2 * MiB : 4 * MiB]
        assert calls[2] == (2 * MiB, 2 * MiB)  # a large read: exactly what is missing
        await run(f.seek, 5)
        assert await run(f.read, 20) == big[5:25]  # back inside the first block? refetched
        fetched = sum(n for _, n in calls)
        assert len(calls) <= 4 and fetched <= 2 * MiB + 2 * READ_AHEAD + 10
    finally:
        if api == "sync":
            f.close()
        else:
            await f.__aexit__(None, None, None)
    if server is not None:  # every GET of the file is one of those ranged reads
        gets = [r for r in server.requests[asked:] if r[0] == "GET" and r[1].endswith("big.bin")]
        assert len(gets) == len(calls)


# -- sizes unknown --------------------------------------------------------------------


def hostile_config(server: Any) -> dict[str, Any]:
    return {"name": "h", "type": "http", "base_url": server.url("files")}


async def test_a_chunked_file_with_ranges_gets_its_size_from_content_range(
    hostile_server, open_storage, api
):
    storage = open_storage([hostile_config(hostile_server)])
    size = hostile_server.RANGED
    node = storage.node("h:ranged-chunked.bin")
    if api == "sync":
        assert node.size == size
        with node.open("rb") as f:
            assert f.seek(-5, 2) == size - 5 and f.read() == pattern_bytes(size - 5, size)
            f.seek(MiB)
            assert f.read(10) == pattern_bytes(MiB, MiB + 10)
    else:
        assert await node.size() == size
        async with node.open("rb") as f:
            assert await f.seek(-5, 2) == size - 5
            assert await f.read() == pattern_bytes(size - 5, size)


async def test_no_size_and_no_ranges_reads_forward_and_says_why_it_cannot_seek_the_end(
    hostile_server, open_storage, api
):
    storage = open_storage([hostile_config(hostile_server)])
    node = storage.node("h:chunked.bin")  # 160 MiB, no Content-Length, Range ignored
    where = "the server sends no Content-Length and answers no Range request"

    async def check(f: Any, run: Callable[..., Any]) -> None:
        assert await run(f.read, 10) == pattern_bytes(0, 10)
        assert await run(f.readline, 5) == b"\n"  # byte 10 of the pattern
        assert await run(f.readline, 5) == pattern_bytes(11, 16)
        with pytest.raises(StorageBackendError, match=where):
            await run(f.seek, 0, 2)
        await run(f.seek, 3 * MiB)  # forward: read through, one GET
        assert await run(f.read, 10) == pattern_bytes(3 * MiB, 3 * MiB + 10)
        await run(f.seek, 3)  # backward: a new GET
        assert await run(f.read, 10) == pattern_bytes(3, 13)

    async def run(op: Callable[..., Any], *args: Any) -> Any:
        result = op(*args)
        return await result if inspect.isawaitable(result) else result

    asked = len(hostile_server.requests)
    if api == "sync":
        with node.open("rb") as f:
            await check(f, run)
    else:
        async with node.open("rb") as f:
            await check(f, run)
    gets = [r for r in hostile_server.requests[asked:] if r[0] == "GET"]
    assert len(gets) <= 4  # the size probe, the stream, the stream reopened


# -- cancellation ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "s3", "http"])
async def test_a_cancelled_read_leaves_the_file_where_it_was(kind, place, async_storage):
    config, specs = place(kind, {"random.bin": RANDOM})
    storage = async_storage(config)
    node = storage.node(specs["random.bin"])
    backend = node._backend
    original = backend.read_range
    gate = asyncio.Event()

    async def stuck(path: str, start: int, end: int | None, etag: Any = None) -> bytes:
        await gate.wait()
        return await original(path, start, end, etag)

    async with node.open("rb") as f:
        assert await f.read(10) == RANDOM[:10]
        backend.read_range = stuck
        try:
            task = asyncio.ensure_future(f.read(READ_AHEAD + 5))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            del backend.read_range
        assert await f.tell() == 10
        assert await f.read(READ_AHEAD + 5) == RANDOM[10 : READ_AHEAD + 15]
    assert f._reader is None


# -- bad input ------------------------------------------------------------------------


async def test_bad_arguments_fail_like_a_file(place, open_storage, api):
    config, specs = place("memory", {"random.bin": RANDOM})
    node = open_storage([config]).node(specs["random.bin"])

    async def run(op: Callable[..., Any], *args: Any) -> Any:
        result = op(*args)
        return await result if inspect.isawaitable(result) else result

    async def check(f: Any) -> None:
        with pytest.raises(ValueError, match="whence"):
            await run(f.seek, 0, 3)
        for bad in ("1", 1.5, None):
            with pytest.raises(TypeError):
                await run(f.seek, bad)
        with pytest.raises(TypeError):
            await run(f.read, "10")
        with pytest.raises(OSError, match="negative seek position -1"):
            await run(f.seek, -1)
        with pytest.raises(OSError):
            await run(f.seek, -len(RANDOM) - 1, 2)
        assert await run(f.tell) == 0
        assert await run(f.read, 0) == b""

    if api == "sync":
        with node.open("rb") as f:
            await check(f)
    else:
        async with node.open("rb") as f:
            await check(f)


def test_zipfile_on_a_tiny_file_says_bad_zip(place, sync_storage):
    config, specs = place("memory", {"tiny.zip": b"PK"})
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(sync_storage(config).node(specs["tiny.zip"]).open("rb"))


# -- property: the same bytes as io.BytesIO -------------------------------------------

SIZE = 5000
DATA = b"".join(
    bytes(random.Random(9).randbytes(random.Random(i).randint(0, 60))).replace(b"\n", b"") + b"\n"
    for i in range(200)
)[:SIZE]

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 400)),
        st.tuples(st.just("readline"), st.integers(-1, 120)),
        st.tuples(st.just("readinto"), st.integers(0, 400)),
        st.tuples(st.just("seek"), st.integers(0, SIZE + 50), st.sampled_from([0, 1, 2])),
        st.tuples(st.just("tell")),
    ),
    max_size=25,
)


def apply(f: Any, op: tuple[Any, ...], size: int) -> Any:
    """One op on a file object; ``seek`` draws a target, made relative to ``whence``."""
    name = op[0]
    if name == "seek":
        base = {0: 0, 1: f.tell(), 2: size}[op[2]]
        return f.seek(op[1] - base, op[2])
    if name == "readinto":
        buffer = bytearray(op[1])
        return f.readinto(buffer), bytes(buffer)
    return getattr(f, name)(*op[1:])


@pytest.fixture(scope="module", params=["memory", "local", "s3"])
def property_node(request, tmp_path_factory):
    kind = request.param
    if kind == "local":
        config = {"name": "m", "type": "local", "path": str(tmp_path_factory.mktemp("prop"))}
    elif kind == "memory":
        config = {"name": "m", "type": "memory", "store": f"prop-{uuid.uuid4().hex[:8]}"}
    else:
        import cloud_mounts

        server = request.getfixturevalue("s3_server")
        config = cloud_mounts.s3_mount(server, "m", f"prop-{uuid.uuid4().hex[:8]}")
    storage = StorageManager([config])
    node = storage.node("m:data.bin")
    node.write_bytes(DATA)
    yield node, config, kind
    storage.close()


#: Read-ahead sizes: tiny ones cross the block's ends often; on S3 each fetch is a request.
def read_ahead_for(kind: str, drawn: int) -> int:
    return drawn if kind != "s3" else max(drawn, 512)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, read_ahead=st.sampled_from([1, 7, 64, 1000, READ_AHEAD]))
def test_any_sequence_reads_what_bytesio_reads(property_node, ops, read_ahead):
    node, _, kind = property_node
    model = io.BytesIO(DATA)
    opened = drive_sync(g_open_seekable(node, read_ahead_for(kind, read_ahead)))
    with SeekableFile(opened) as f:
        for op in ops:
            assert apply(f, op, SIZE) == apply(model, op, SIZE), op
            assert f.tell() == model.tell()
        assert list(f) == list(model)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, read_ahead=st.sampled_from([1, 7, 1000]))
def test_any_sequence_reads_what_bytesio_reads_in_the_async_api(property_node, ops, read_ahead):
    _, config, kind = property_node
    read_ahead = read_ahead_for(kind, read_ahead)

    async def body() -> None:
        storage = AsyncStorageManager([config])
        try:
            async with storage.node("m:data.bin").open("rb") as f:
                await drive_async(f._reader._g_close())  # the same file, another block size
                f._reader = await drive_async(g_open_seekable(f.node, read_ahead))
                model = io.BytesIO(DATA)
                for op in ops:
                    if op[0] == "readinto":  # the async file has no readinto
                        op = ("read", op[1])
                    if op[0] == "seek":
                        base = {0: 0, 1: model.tell(), 2: SIZE}[op[2]]
                        got = await f.seek(op[1] - base, op[2])
                    else:
                        got = await getattr(f, op[0])(*op[1:])
                    assert got == apply(model, op, SIZE), op
                assert [line async for line in f] == list(model)
        finally:
            await storage.close()

    asyncio.run(body())


# -- local disk: the file opened is the file read --------------------------------------


async def test_a_local_file_replaced_while_open_is_read_as_it_was(place, open_storage, api):
    config, specs = place("local", {"random.bin": RANDOM})
    node = open_storage([config]).node(specs["random.bin"])
    replacement = bytes(len(RANDOM) // 2)

    async def run(op: Callable[..., Any], *args: Any) -> Any:
        result = op(*args)
        return await result if inspect.isawaitable(result) else result

    async def check(f: Any) -> None:
        assert await run(f.read, 10) == RANDOM[:10]
        await run(node.write_bytes, replacement)  # an atomic replace (a rename)
        await run(f.seek, -5, 2)
        assert await run(f.read) == RANDOM[-5:]
        await run(f.seek, READ_AHEAD + 7)
        assert await run(f.read, 9) == RANDOM[READ_AHEAD + 7 : READ_AHEAD + 16]

    if api == "sync":
        with node.open("rb") as f:
            await check(f)
        assert node.read_bytes() == replacement
    else:
        async with node.open("rb") as f:
            await check(f)
        assert await node.read_bytes() == replacement


@settings(max_examples=60, deadline=None)
@given(ops=OPS, read_ahead=st.sampled_from([1, 7, 64, 1000]), length=st.integers(0, SIZE))
def test_a_file_of_unknown_size_reads_what_bytesio_reads(ops, read_ahead, length):
    """The size-unknown arithmetic alone (the logic over plain bytes): reads past the end
    never make up a size, and ``seek(0, 2)`` works once a read found the end."""
    data = DATA[:length]

    def fetch(start: int, end: int | None) -> Any:
        return sansio.call(lambda: data[start:end])

    f = SeekableFile(seekable.SeekLogic(fetch, None, "m:unknown", read_ahead))
    model = io.BytesIO(data)
    for op in ops:
        if op[0] == "seek" and op[2] == 2:
            if f._logic.size is None:
                with pytest.raises(StorageBackendError, match="size is unknown"):
                    f.seek(0, 2)
                continue
            assert f._logic.size == length
        assert apply(f, op, length) == apply(model, op, length), op
    assert f.read() == model.read()
    f.seek(0)
    assert f.read() == data  # read from the start to the end: the end is known now
    assert f.seek(0, 2) == length


@pytest.mark.parametrize("kind", ["memory", "s3"])
async def test_reads_from_several_tasks_or_threads_take_consecutive_bytes(
    kind, place, async_storage, sync_storage
):
    config, specs = place(kind, {"random.bin": RANDOM})
    size = 300_000  # each read misses the block: it fetches, and others wait

    async with async_storage(config).node(specs["random.bin"]).open("rb") as f:
        pieces = await asyncio.gather(*(f.read(size) for _ in range(4)))
    assert sorted(pieces, key=RANDOM.index) == [RANDOM[i * size : (i + 1) * size] for i in range(4)]

    with sync_storage(config).node(specs["random.bin"]).open("rb") as g:
        pieces = await asyncio.gather(*(asyncio.to_thread(g.read, size) for _ in range(4)))
    assert sorted(pieces, key=RANDOM.index) == [RANDOM[i * size : (i + 1) * size] for i in range(4)]


@pytest.mark.parametrize("kind", ["memory", "s3", "gcs"])
async def test_an_object_replaced_by_a_shorter_one_while_read_fails_the_read(
    kind, place, open_storage, api
):
    config, specs = place(kind, {"random.bin": RANDOM})
    node = open_storage([config]).node(specs["random.bin"])

    async def run(op: Callable[..., Any], *args: Any) -> Any:
        result = op(*args)
        return await result if inspect.isawaitable(result) else result

    async def check(f: Any) -> None:
        assert await run(f.read, 10) == RANDOM[:10]
        await run(node.write_bytes, b"short")
        await run(f.seek, READ_AHEAD + 10)
        with pytest.raises(StorageBackendError, match="changed while it was read"):
            await run(f.read, 10)

    if api == "sync":
        with node.open("rb") as f:
            await check(f)
    else:
        async with node.open("rb") as f:
            await check(f)
