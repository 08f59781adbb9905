"""The shortcuts taken on the per-call paths (issue 12 and 16 measurements) keep the rules
they shortcut: the sync driver still refuses an awaitable, obstore's key rule is the same
rule in one search, the obstore store is made once for every thread, a local file read
on its descriptor reads what ``open().read()`` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import cloud_mounts
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genro_storage import StorageManager, StorageNotFoundError
from genro_storage._shared.exceptions import StorageIsADirectoryError
from genro_storage._shared.sansio import Blocking, Call, callback, drive_sync
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends import localdisk, obstoreops

# -- the sync driver --------------------------------------------------------------


def _one(op: Any) -> Any:
    def logic() -> Any:
        value = yield op
        return value

    return drive_sync(logic())


@pytest.mark.parametrize(
    "value", [b"x", "x", 1, 1.5, True, None, {"a": 1}, [1], (1,), bytearray(b"x"), object()]
)
def test_sync_driver_returns_plain_results(value: Any) -> None:
    assert _one(Call(lambda: value, (), {})) is value
    assert _one(Blocking(lambda: value, (), {})) is value


async def _coro() -> int:
    return 1


class _Awaitable:
    closed = False

    def __await__(self) -> Any:
        yield
        return 1

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("kind", [Call, Blocking])
def test_sync_driver_refuses_an_awaitable_result(kind: type[Call]) -> None:
    made: list[Any] = []

    def returns_coroutine() -> Any:
        made.append(_coro())
        return made[-1]

    with pytest.raises(TypeError, match="awaitable under the sync driver"):
        _one(kind(returns_coroutine, (), {}))
    assert made[0].cr_frame is None  # closed: no "never awaited" warning
    awaitable = _Awaitable()
    with pytest.raises(TypeError, match="awaitable under the sync driver"):
        _one(kind(lambda: awaitable, (), {}))
    assert awaitable.closed


def test_sync_driver_refuses_an_async_callback() -> None:
    async def fn() -> None:
        return None

    with pytest.raises(TypeError, match="async function"):
        _one(callback(fn))


# -- obstore's key rule ------------------------------------------------------------


def _reference_key_ok(key: str) -> bool:
    """The rule written out: no empty, '.' or '..' segment, no ASCII control."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


KEY_CHARS = st.sampled_from(["a", ".", "/", "\x00", "\x1f", "\x7f", "\n", "é", " ", "\\", "%"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(KEY_CHARS, max_size=12).map("".join))
def test_key_ok_is_the_segment_rule(key: str) -> None:
    assert obstoreops.key_ok(key) is _reference_key_ok(key)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("", False),
        ("/a", False),
        ("a/", False),
        ("a//b", False),
        ("a/./b", False),
        ("a/../b", False),
        ("..", False),
        ("a\x00b", False),
        ("a\x7f", False),
        ("a.b/.c/..d/...", True),
        ("dir/f 1.txt", True),
        ("\u00e9/\u3000/%2F", True),
    ],
)
def test_key_ok_cases(key: str, ok: bool) -> None:
    assert obstoreops.key_ok(key) is ok


# -- one obstore store per mount ----------------------------------------------------


def test_obstore_store_made_once_across_threads(s3_server: Any) -> None:
    conf = cloud_mounts.s3_mount(s3_server, "s3", "one-store", engine="obstore")
    with StorageManager([conf]) as manager:
        logic: Any = manager._backend("s3").logic
        seen: list[Any] = []
        barrier = threading.Barrier(8)

        def grab() -> None:
            barrier.wait()
            seen.append(logic.store())

        threads = [threading.Thread(target=grab) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seen) == 8 and all(s is seen[0] for s in seen)
        assert asyncio.run(asyncio.to_thread(logic.store)) is seen[0]


# -- the local whole-file read on the descriptor -------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4096, 65536, 65537, 300_000])
def test_read_all_reads_a_file_whole(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    fd = os.open(tmp_path / "f", os.O_RDONLY)
    try:
        assert localdisk.read_all(fd) == data
    finally:
        os.close(fd)


def test_read_all_reads_past_a_stale_size() -> None:
    """A size of 0 that is not the content (a pipe, a /proc file) is read to the end."""
    data = os.urandom(700_000)
    rfd, wfd = os.pipe()

    def feed() -> None:
        with os.fdopen(wfd, "wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert localdisk.read_all(rfd) == data
    finally:
        writer.join()
        os.close(rfd)


def test_read_all_of_a_folder_is_is_a_directory(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        with pytest.raises(IsADirectoryError):
            localdisk.read_all(fd)
    finally:
        os.close(fd)


def test_read_all_large_files_take_io_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(localdisk, "_DIRECT_MAX", 10)
    data = os.urandom(5000)
    (tmp_path / "f").write_bytes(data)
    fd = os.open(tmp_path / "f", os.O_RDONLY)
    try:
        assert localdisk.read_all(fd) == data
        os.fstat(fd)  # still open: the io reader did not close the caller's descriptor
    finally:
        os.close(fd)


async def test_local_read_bytes_both_apis(tmp_path: Path) -> None:
    """Files of every size read whole, folders and missing files raise the library's
    errors, and no descriptor is left open, in both APIs."""
    root = tmp_path / "root"
    (root / "d" / "sub").mkdir(parents=True)
    files = {"e": b"", "one": b"x", "d/sub/k": os.urandom(70_000), "n \\ % é\u3000": b"odd"}
    for name, data in files.items():
        (root / name).write_bytes(data)
    conf = [{"name": "d", "type": "local", "path": str(root)}]
    with StorageManager(conf) as smgr:
        async with AsyncStorageManager(conf) as amgr:
            for name, data in files.items():
                assert smgr.node(f"d:{name}").read_bytes() == data
                assert await amgr.node(f"d:{name}").read_bytes() == data
            for folder in ("d", "d/sub"):
                with pytest.raises(StorageIsADirectoryError):
                    smgr.node(f"d:{folder}").read_bytes()
                with pytest.raises(StorageIsADirectoryError):
                    await amgr.node(f"d:{folder}").read_bytes()
            with pytest.raises(StorageNotFoundError):
                smgr.node("d:missing").read_bytes()
            with pytest.raises(StorageNotFoundError):
                await amgr.node("d:d/missing").read_bytes()
            open_files = set()
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):
                    open_files.add(os.readlink(f"/proc/self/fd/{fd}"))
            assert not open_files & {str(root / name) for name in files}


# -- whole-folder S3 listings on the obstore engine ----------------------------------


async def test_whole_folder_listing_matches_botocore(
    s3_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``list()`` of a whole folder goes through obstore, with the folder's own marker
    put back; a folder holding a key obstore cannot parse falls back to botocore (not an
    error, nothing left out); the listings equal the fsspec engine's, in both APIs."""
    prefix = f"wl-{uuid.uuid4().hex[:8]}"
    client = s3_server.client()
    keys = ["dir/", "dir/plain", "dir/sub/k", "dir/sub/", "dir/%41", "dir/ü x", "dir/a\\b"]
    keys += ["bad/ok", "bad/a\x01b", "bad//x", "bad/./y", "bad/z/../w", "bad/.."]
    bucket = cloud_mounts.ensure_s3_bucket(s3_server)
    for key in keys:
        client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=key.encode())
    client.close()
    calls: list[str] = []
    for name in ("list_folder", "list_folder_async"):
        real = getattr(obstoreops, name)

        def spy(store: Any, folder: str, real: Any = real) -> Any:
            calls.append(folder)
            return real(store, folder)

        monkeypatch.setattr(obstoreops, name, spy)
    ob = cloud_mounts.s3_mount(s3_server, "ob", prefix, engine="obstore")
    fs = cloud_mounts.s3_mount(s3_server, "fs", prefix, engine="fsspec")

    def entries(page: Any) -> list[tuple[str, bool, int | None]]:
        return [(e.path, e.isdir, e.size) for e in page.entries]

    with StorageManager([ob, fs]) as smgr:
        async with AsyncStorageManager([ob, fs]) as amgr:
            for folder in ("dir", "bad"):
                want = entries(smgr.node(f"fs:{folder}").list())
                assert want  # the folder has entries on both engines
                assert entries(smgr.node(f"ob:{folder}").list()) == want
                assert entries(await amgr.node(f"ob:{folder}").list()) == want
                assert entries(await amgr.node(f"fs:{folder}").list()) == want
    assert calls.count(f"{prefix}/dir") == 2  # served by obstore, in both APIs
    assert calls.count(f"{prefix}/bad") == 2  # tried, then botocore
