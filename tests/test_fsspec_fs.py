"""The ``genro`` fsspec filesystem (``storage.fs``) on memory, local and S3, through the
sync ``GenroFileSystem`` and the async ``AsyncGenroFileSystem``; pandas and pyarrow
through ``genro://`` URLs."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pyarrow.parquet as pq
import pytest

from genro_storage import StorageConfigError, StorageError, StorageManager, StorageNode
from genro_storage.async_ import AsyncStorageManager, AsyncStorageNode
from genro_storage.fs import AsyncGenroFileSystem, GenroFileSystem

KINDS = ["memory", "local", "s3"]
DATA = bytes(range(256)) * 4096  # 1 MiB


class BoomError(Exception):
    """Raised inside a ``with`` block on purpose."""


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


class Face:
    """One test body for both filesystems: ``await face.ls(...)`` calls ``fs.ls`` in a
    worker thread (sync) or awaits ``fs._ls`` (async)."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self.is_async = isinstance(fs, AsyncGenroFileSystem)

    def __getattr__(self, name: str) -> Any:
        if self.is_async:
            return getattr(self.fs, f"_{name}")
        method = getattr(self.fs, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call

    async def write(
        self, path: str, chunks: list[bytes], fail: bool = False, block_size: int | None = None
    ) -> None:
        """Write ``chunks`` through an open file; ``fail`` raises inside the block."""
        if self.is_async:
            f = await self.fs.open_async(path, "wb", block_size=block_size)
            async with f:
                for chunk in chunks:
                    await f.write(chunk)
                if fail:
                    raise BoomError
            return

        def run() -> None:
            with self.fs.open(path, "wb", block_size=block_size) as f:
                for chunk in chunks:
                    f.write(chunk)
                if fail:
                    raise BoomError

        await asyncio.to_thread(run)

    async def read_at(self, path: str, offset: int, size: int) -> tuple[bytes, int]:
        """``(bytes read at offset, position after)`` through an open file."""
        if self.is_async:
            async with await self.fs.open_async(path, "rb") as f:
                f.seek(offset)
                data = await f.read(size)
                return data, f.tell()

        def run() -> tuple[bytes, int]:
            with self.fs.open(path, "rb", block_size=64 * 1024) as f:
                f.seek(offset)
                return f.read(size), f.tell()

        return await asyncio.to_thread(run)


@pytest.fixture
def configs(kind: str, make_config: Any) -> list[dict[str, Any]]:
    """Mount ``m`` of ``kind``, ``ro``: the same files read-only, ``other``: memory."""
    main = make_config(kind, name="m")
    return [main, {**main, "name": "ro", "permissions": "readonly"}, make_config("memory", "other")]


@pytest.fixture
def face(configs: list[dict[str, Any]], open_storage: Any) -> Face:
    return Face(open_storage(configs).fs)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the filesystem called each node read method (both APIs)."""
    counts: Counter[str] = Counter()
    for cls in (StorageNode, AsyncStorageNode):
        for name in ("info", "read_range", "read_bytes"):
            original = getattr(cls, name)

            def spy(
                self: Any, *args: Any, _original: Any = original, _name: str = name, **kw: Any
            ) -> Any:
                counts[_name] += 1
                return _original(self, *args, **kw)

            monkeypatch.setattr(cls, name, spy)
    return counts


# ------------------------------------------------------------------ both filesystems


async def test_storage_fs_is_the_filesystem_of_its_api(face: Face, api: str) -> None:
    assert isinstance(face.fs, AsyncGenroFileSystem if api == "async" else GenroFileSystem)
    assert face.fs.storage.fs is face.fs  # cached per manager
    if api == "async":
        assert face.fs.asynchronous


async def test_the_root_lists_the_mounts(face: Face) -> None:
    for root in ("", "/", "genro://"):
        assert await face.ls(root, detail=False) == ["m", "ro", "other"]
    listing = await face.ls("")
    assert listing[0] == {"name": "m", "size": 0, "type": "directory"}
    assert (await face.info(""))["type"] == "directory"
    assert (await face.info("genro://m"))["type"] == "directory"
    assert await face.isdir("other")


async def test_ls_info_and_missing_paths(face: Face) -> None:
    await face.pipe_file("m/d/a.txt", b"hello")
    await face.pipe_file("genro://m/d/sub/b.txt", b"!")
    assert await face.ls("m/d", detail=False) == ["m/d/a.txt", "m/d/sub"]
    assert await face.ls("genro://m/d/", detail=False) == ["m/d/a.txt", "m/d/sub"]
    info = await face.info("m/d/a.txt")
    assert (info["name"], info["size"], info["type"]) == ("m/d/a.txt", 5, "file")
    assert isinstance(info["mtime"], float)
    assert (await face.info("m/d/sub"))["type"] == "directory"
    assert [e["name"] for e in await face.ls("m/d/a.txt")] == ["m/d/a.txt"]  # a file: itself
    assert await face.ls("ro/d", detail=False) == ["ro/d/a.txt", "ro/d/sub"]
    for missing in ("m/nope", "m/d/nope.txt", "nomount/x", "nomount"):
        with pytest.raises(FileNotFoundError):
            await face.info(missing)
        assert not await face.exists(missing)
    with pytest.raises(FileNotFoundError):
        await face.ls("m/nope")
    with pytest.raises(FileNotFoundError, match="nomount"):
        await face.cat_file("nomount/x")
    with pytest.raises(FileNotFoundError):
        await face.cat_file("m/nope")


async def test_cat_file_ranges_are_one_read_each(face: Face, calls: Counter[str]) -> None:
    content = bytes(range(100))
    await face.pipe_file("m/r.bin", content)
    calls.clear()
    assert await face.cat_file("m/r.bin", start=10, end=20) == content[10:20]
    assert await face.cat_file("m/r.bin", start=90) == content[90:]
    assert await face.cat_file("m/r.bin", start=95, end=500) == content[95:]
    assert await face.cat_file("m/r.bin", start=200, end=300) == b""
    assert await face.cat_file("m/r.bin", start=20, end=10) == b""
    assert calls == {"read_range": 4}  # no info (HEAD) before any ranged read
    assert await face.cat_file("m/r.bin") == content
    assert calls == {"read_range": 4, "read_bytes": 1}
    # offsets from the end need the size
    assert await face.cat_file("m/r.bin", start=-5) == content[-5:]
    assert await face.cat_file("m/r.bin", start=-10, end=-5) == content[-10:-5]
    assert await face.cat("m/r.bin") == content


async def test_open_reads_ranges_and_seeks(face: Face, calls: Counter[str]) -> None:
    await face.pipe_file("m/big.bin", DATA)
    calls.clear()
    data, position = await face.read_at("m/big.bin", 500_000, 100)
    assert data == DATA[500_000:500_100]
    assert position == 500_100
    assert calls["info"] == 1  # the size, once, when opened
    assert calls["read_range"] == 1  # one block around the offset, not the whole file
    assert calls["read_bytes"] == 0


async def test_glob_and_find(face: Face) -> None:
    for path in ("m/a.csv", "m/d/b.csv", "m/d/e/c.csv", "m/d/x.txt", "other/d/y.txt"):
        await face.pipe_file(path, b"1")
    assert await face.find("m") == ["m/a.csv", "m/d/b.csv", "m/d/e/c.csv", "m/d/x.txt"]
    assert await face.find("m", maxdepth=2) == ["m/a.csv", "m/d/b.csv", "m/d/x.txt"]
    assert await face.find("m/d/x.txt") == ["m/d/x.txt"]
    assert await face.find("m/d", withdirs=True) == [
        "m/d",
        "m/d/b.csv",
        "m/d/e",
        "m/d/e/c.csv",
        "m/d/x.txt",
    ]
    assert await face.glob("m/**/*.csv") == ["m/a.csv", "m/d/b.csv", "m/d/e/c.csv"]
    assert await face.glob("genro://m/d/*.csv") == ["m/d/b.csv"]
    assert await face.glob("*/d/*.txt") == ["m/d/x.txt", "other/d/y.txt", "ro/d/x.txt"]
    assert await face.find("nomount") == []


async def test_write_delete_and_folders(face: Face) -> None:
    await face.pipe("m/x/1.txt", b"one")
    await face.pipe({"m/x/2.txt": b"two", "m/x/y/3.txt": b"three"})
    assert await face.cat_file("m/x/2.txt") == b"two"
    await face.pipe_file("m/x/2.txt", b"TWO")  # replaces
    assert await face.cat_file("m/x/2.txt") == b"TWO"
    await face.rm("m/x/1.txt")
    assert not await face.exists("m/x/1.txt")
    await face.rm_file("m/x/2.txt")
    with pytest.raises(FileNotFoundError):
        await face.rm_file("m/x/2.txt")
    await face.rm("m/x", recursive=True)
    assert not await face.exists("m/x")
    await face.makedirs("m/p/q")
    assert await face.isdir("m/p/q")
    await face.makedirs("m/p/q", exist_ok=True)
    with pytest.raises(FileExistsError):
        await face.makedirs("m/p/q")
    with pytest.raises(FileExistsError):
        await face.mkdir("m/p")
    await face.mkdir("m/p/r", create_parents=False)
    await face.rmdir("m/p/r")
    assert not await face.exists("m/p/r")
    await face.makedirs("m", exist_ok=True)  # a mount's root exists
    with pytest.raises(FileExistsError):
        await face.mkdir("m")
    # glob deletion
    await face.pipe({"m/g/a.tmp": b"", "m/g/b.tmp": b"", "m/g/keep.txt": b"k"})
    await face.rm("m/g/*.tmp")
    assert await face.find("m/g") == ["m/g/keep.txt"]


async def test_copy_files_and_trees(face: Face) -> None:
    await face.pipe({"m/src/a.txt": b"a", "m/src/sub/b.txt": b"b"})
    await face.cp_file("m/src/a.txt", "m/dst/a.txt")
    assert await face.cat_file("m/dst/a.txt") == b"a"
    await face.cp_file("genro://m/src/a.txt", "other/a.txt")  # across mounts
    assert await face.cat_file("other/a.txt") == b"a"
    await face.copy("m/src", "other/tree", recursive=True)
    assert await face.find("other/tree") == ["other/tree/a.txt", "other/tree/sub/b.txt"]
    assert await face.cat_file("other/tree/sub/b.txt") == b"b"
    if face.is_async:
        await face.mv_file("m/dst/a.txt", "m/moved.txt")  # fsspec's async API has no _mv
    else:
        await face.mv("m/dst/a.txt", "m/moved.txt")
    assert await face.cat_file("m/moved.txt") == b"a"
    assert not await face.exists("m/dst/a.txt")
    with pytest.raises(FileNotFoundError):
        await face.cp_file("m/nope", "m/x")


async def test_read_only_mount_refuses_every_write(face: Face) -> None:
    await face.pipe_file("m/keep.txt", b"kept")
    attempts = [
        face.pipe_file("ro/new.txt", b"x"),
        face.pipe_file("ro/keep.txt", b"changed"),
        face.write("ro/new.txt", [b"x"]),
        face.rm("ro/keep.txt"),
        face.rm_file("ro/keep.txt"),
        face.makedirs("ro/dir"),
        face.cp_file("m/keep.txt", "ro/copy.txt"),
        face.rm("ro/keep.txt", recursive=True),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionError):
            await attempt
    assert await face.cat_file("ro/keep.txt") == b"kept"
    assert await face.find("ro") == ["ro/keep.txt"]


async def test_a_failed_write_publishes_nothing(face: Face) -> None:
    await face.pipe_file("m/old.bin", b"old content")
    big = [DATA[i : i + 100_000] for i in range(0, 300_000, 100_000)]
    for path in ("m/old.bin", "m/new.bin"):
        # blocks of 64 KiB: several have reached the node's writer when the block fails
        with pytest.raises(BoomError):
            await face.write(path, big, fail=True, block_size=64 * 1024)
    assert await face.cat_file("m/old.bin") == b"old content"
    assert not await face.exists("m/new.bin")
    assert await face.find("m") == ["m/old.bin"]
    await face.write("m/new.bin", big, block_size=64 * 1024)  # a clean close publishes
    assert await face.cat_file("m/new.bin") == b"".join(big)


async def test_object_keys_that_are_no_path_are_not_offered(
    api: str, s3_server: Any, make_config: Any, open_storage: Any
) -> None:
    config = make_config("s3", "m")
    face = Face(open_storage([config]).fs)
    for key in ("src/ok.txt", "src//double.txt", "src/a/./b.txt", "src/../../outside.txt"):
        s3_server.client().put_object(
            Bucket=config["bucket"], Key=f"{config['prefix']}/{key}", Body=b"x"
        )
    assert await face.find("m") == ["m/src/ok.txt"]  # the walk ends, nothing misplaced
    assert "m/src/ok.txt" in await face.ls("m/src", detail=False)
    assert await face.glob("m/**/*.txt") == ["m/src/ok.txt"]


# ------------------------------------------------------------------ sync only


def test_text_files_and_dropped_files(configs: list[dict[str, Any]]) -> None:
    with StorageManager(configs) as storage:
        fs = storage.fs
        with fs.open("m/t.txt", "w", encoding="utf-8") as f:
            f.write("città\n")
        assert fs.cat_file("m/t.txt") == "città\n".encode()
        with fs.open("m/t.txt") as f:
            assert f.read() == b"citt\xc3\xa0\n"
        with fs.open("m/t.txt", "r", encoding="utf-8") as f:
            assert f.readline() == "città\n"
        with pytest.raises(BoomError), fs.open("m/t.txt", "w") as f:
            f.write("half")
            raise BoomError
        assert fs.cat_file("m/t.txt") == "città\n".encode()
        f = fs.open("m/dropped.txt", "wb")
        f.write(b"never closed")
        del f
        gc.collect()
        assert not fs.exists("m/dropped.txt")
        with pytest.raises(StorageConfigError, match="'ab'"):
            fs.open("m/t.txt", "ab")
        with pytest.raises(StorageError, match="directory"):
            fs.open("m", "rb")


def test_fsspec_open_and_filesystem_by_protocol(configs: list[dict[str, Any]]) -> None:
    with StorageManager(configs) as storage:
        with fsspec.open("genro://m/x.txt", "w", storage=storage) as f:
            f.write("through fsspec.open")
        with fsspec.open("genro://ro/x.txt", "r", storage=storage) as f:
            assert f.read() == "through fsspec.open"
        with pytest.raises(PermissionError), fsspec.open("genro://ro/y.txt", "w", storage=storage):
            pass
        fs = fsspec.filesystem("genro", storage=storage)
        assert isinstance(fs, GenroFileSystem)
        assert fs.cat_file("m/x.txt") == b"through fsspec.open"
        fs2, path = fsspec.core.url_to_fs("genro://m/x.txt", storage=storage)
        assert (fs2 == storage.fs, path) == (True, "m/x.txt")
        assert fs.unstrip_protocol("m/x.txt") == "genro://m/x.txt"


def test_two_managers_never_share_a_filesystem() -> None:
    one = StorageManager([{"name": "m", "type": "memory"}])
    two = StorageManager([{"name": "m", "type": "memory"}])
    fs1 = fsspec.filesystem("genro", storage=one)
    fs2 = fsspec.filesystem("genro", storage=two)
    assert fs1 is not fs2
    assert fs1 != fs2
    assert hash(fs1) != hash(fs2)
    assert fs1 == fsspec.filesystem("genro", storage=one) == one.fs  # same manager: equal
    assert one.fs is not two.fs
    fs1.pipe_file("m/only-in-one.txt", b"1")
    assert fs1.exists("m/only-in-one.txt")
    assert not fs2.exists("m/only-in-one.txt")
    with fsspec.open("genro://m/f.txt", "w", storage=two) as f:
        f.write("two")
    assert not fs1.exists("m/f.txt")
    assert two.fs.cat_file("m/f.txt") == b"two"


async def test_two_async_managers_never_share_a_filesystem() -> None:
    async with (
        AsyncStorageManager([{"name": "m", "type": "memory"}]) as one,
        AsyncStorageManager([{"name": "m", "type": "memory"}]) as two,
    ):
        assert one.fs is one.fs
        assert one.fs is not two.fs
        assert one.fs != two.fs
        await one.fs._pipe_file("m/a", b"1")
        assert await one.fs._exists("m/a")
        assert not await two.fs._exists("m/a")


def test_the_protocol_is_registered() -> None:
    assert fsspec.get_filesystem_class("genro") is GenroFileSystem
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    section = '[project.entry-points."fsspec.specs"]\ngenro = "genro_storage.fs:GenroFileSystem"\n'
    assert section in pyproject


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(StorageConfigError, match="storage="):
        fsspec.filesystem("genro")
    with pytest.raises(StorageConfigError, match="StorageManager, not dict"):
        GenroFileSystem(storage={"name": "m"})
    with pytest.raises(StorageConfigError, match="AsyncStorageManager"):
        AsyncGenroFileSystem(storage=StorageManager())
    with pytest.raises(StorageConfigError, match="sync"):
        GenroFileSystem(storage=StorageManager(), asynchronous=True)
    fs = StorageManager([{"name": "m", "type": "memory"}]).fs
    with pytest.raises(StorageConfigError, match="overwrite"):
        fs.pipe_file("m/a", b"x", mode="create")
    with pytest.raises(PermissionError, match="mount list"):
        fs.rm("", recursive=True)


async def test_async_filesystem_bad_modes() -> None:
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as storage:
        with pytest.raises(StorageConfigError, match="open_async"):
            storage.fs.open("m/a", "rb")
        with pytest.raises(StorageConfigError, match="'ab'"):
            await storage.fs.open_async("m/a", "ab")
        await storage.fs._makedirs("m/d")
        with pytest.raises(StorageError, match="directory"):
            await storage.fs.open_async("m/d", "rb")


# ------------------------------------------------------------------ pandas and pyarrow


FRAME = pd.DataFrame({"id": range(1000), "name": [f"n{i}" for i in range(1000)]})


@pytest.fixture(params=["sync", "async"])
def data_storage(request: pytest.FixtureRequest, configs: list[dict[str, Any]]) -> Any:
    """A sync manager, or an async one (the sync filesystem uses its ``as_sync()``)."""
    if request.param == "sync":
        with StorageManager(configs) as storage:
            yield storage
    else:
        storage = AsyncStorageManager(configs)
        yield storage
        storage.as_sync().close()  # the twin the sync filesystem used
        asyncio.run(storage.close())


def test_pandas_parquet_and_csv_through_genro_urls(data_storage: Any) -> None:
    options = {"storage": data_storage}
    FRAME.to_parquet("genro://m/t.parquet", storage_options=options)
    FRAME.to_csv("genro://m/dir/t.csv", index=False, storage_options=options)
    assert pd.read_parquet("genro://m/t.parquet", storage_options=options).equals(FRAME)
    assert pd.read_csv("genro://m/dir/t.csv", storage_options=options).equals(FRAME)
    # the read-only twin sees the same files, and refuses writes
    assert pd.read_parquet("genro://ro/t.parquet", storage_options=options).equals(FRAME)
    with pytest.raises(PermissionError):
        FRAME.to_parquet("genro://ro/t2.parquet", storage_options=options)
    with pytest.raises(PermissionError):
        FRAME.to_csv("genro://ro/t2.csv", storage_options=options)
    fs = fsspec.filesystem("genro", storage=data_storage)
    assert fs.find("ro") == ["ro/dir/t.csv", "ro/t.parquet"]


def test_pyarrow_reads_through_the_filesystem(configs: list[dict[str, Any]]) -> None:
    with StorageManager(configs) as storage:
        FRAME.to_parquet("genro://m/p/t.parquet", storage_options={"storage": storage})
        table = pq.read_table("m/p/t.parquet", filesystem=storage.fs)
        assert table.num_rows == 1000
        assert table.column("name")[999].as_py() == "n999"
        # only one column: pyarrow reads ranges of the file
        one = pq.read_table("ro/p/t.parquet", filesystem=storage.fs, columns=["id"])
        assert one.column_names == ["id"]
        with storage.fs.open("m/p/t.parquet", "rb") as f:
            assert pq.ParquetFile(f).metadata.num_rows == 1000
        pq.write_table(table, "m/p/copy.parquet", filesystem=storage.fs)
        assert pq.read_table("m/p/copy.parquet", filesystem=storage.fs).equals(table)


async def test_async_filesystem_in_blocking_mode_serves_pandas(
    configs: list[dict[str, Any]],
) -> None:
    """``AsyncGenroFileSystem(storage=..)`` without ``asynchronous`` runs on fsspec's loop."""
    async with AsyncStorageManager(configs) as storage:
        fs = AsyncGenroFileSystem(storage=storage)

        def work() -> None:
            with fs.open("m/b.parquet", "wb") as f:
                FRAME.to_parquet(f)
            with fs.open("m/b.parquet", "rb") as f:
                assert pd.read_parquet(f).equals(FRAME)
            assert pq.read_table("m/b.parquet", filesystem=fs).num_rows == 1000
            with pytest.raises(BoomError), fs.open("m/c.bin", "wb") as f:
                f.write(b"x")
                raise BoomError
            assert not fs.exists("m/c.bin")
            with pytest.raises(PermissionError):
                fs.open("ro/x", "wb")
            fs.rmdir  # noqa: B018 - the blocking twin exists
            fs.makedirs("m/e")
            fs.rmdir("m/e")
            assert fs.ls("m", detail=False) == ["m/b.parquet"]

        await asyncio.to_thread(work)
