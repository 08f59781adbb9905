"""What only the async API has: concurrency, cancellation, loops, the sync bridge."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from mounts import test_node

from genro_storage import StorageBackend, StorageManager, StorageNotFoundError
from genro_storage._shared.info import FileInfo, Page
from genro_storage.async_ import (
    AsyncStorageBackend,
    AsyncStorageManager,
    ThreadBackend,
    run_sync,
)


@pytest.fixture
async def amanager(kind, make_config):
    manager = AsyncStorageManager([make_config(kind)])
    yield manager
    await manager.close()


async def test_200_concurrent_writes_then_reads_are_all_correct(amanager):
    root = amanager.node("m:conc")
    payloads = {f"f{i:03d}.bin": os.urandom(1000 + i) for i in range(200)}
    await asyncio.gather(*(root.child(n).write_bytes(p) for n, p in payloads.items()))
    got = await asyncio.gather(*(root.child(n).read_bytes() for n in payloads))
    assert got == list(payloads.values())
    names = [child.basename async for child in root.children()]
    assert names == sorted(payloads)


async def test_cancelling_an_inflight_streamed_write_leaves_nothing(amanager):
    node = amanager.node("m:cancel/me.bin")
    started = asyncio.Event()

    async def writer():
        async with node.open("wb") as f:
            for _ in range(100):
                await f.write(os.urandom(64 * 1024))
                started.set()
                await asyncio.sleep(0.01)

    task = asyncio.create_task(writer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await node.exists()


async def test_cancelling_a_copy_leaves_no_destination(kind, make_config):
    manager = AsyncStorageManager([make_config("memory", "src"), make_config(kind, "dst")])
    try:
        await manager.node("src:big.bin").write_bytes(os.urandom(6 * 1024 * 1024))
        halfway = asyncio.Event()

        def progress(event):
            if event.bytes_done >= 1024 * 1024:
                halfway.set()

        task = asyncio.create_task(
            manager.node("src:big.bin").copy(
                manager.node("dst:big.bin"), progress=progress, concurrency=1
            )
        )
        # the copy streams in 4 MiB chunks: cancel after the first chunk arrived
        task.get_loop()
        while not halfway.is_set() and not task.done():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not await manager.node("dst:big.bin").exists()
    finally:
        await manager.close()


async def test_async_callables_and_sync_callables_for_skip_if(amanager):
    src, dst = amanager.node("m:a.txt"), amanager.node("m:b.txt")
    await src.write_bytes(b"same")
    await dst.write_bytes(b"same")
    seen_threads = []

    def skip_if_exists(s, d):  # the roadmap's example, verbatim in spirit
        seen_threads.append(threading.current_thread())
        return d.exists

    async def skip_if_hash(s, d):
        if not await d.exists():
            return False
        return await s.md5hash() == await d.md5hash()

    report = await src.copy(dst, skip_if=skip_if_exists)
    assert report.skipped == ["m:a.txt"]
    assert seen_threads and seen_threads[0] is not threading.main_thread()
    report = await src.copy(dst, skip_if=skip_if_hash)
    assert report.skipped == ["m:a.txt"]
    await dst.write_bytes(b"diff")
    report = await src.copy(dst, skip_if=skip_if_hash)
    assert report.copied == ["m:a.txt"]


async def test_async_progress_callable_is_awaited(amanager):
    events = []

    async def progress(event):
        await asyncio.sleep(0)
        events.append(event)

    await amanager.node("m:p.bin").write_bytes(b"x" * 10)
    await amanager.node("m:p.bin").copy(amanager.node("m:q.bin"), progress=progress)
    assert events and events[-1].bytes_done == 10


async def test_tree_copy_failure_names_the_file_and_on_error_continue_reports_all(make_config):
    from genro_storage import StorageTransferError
    from genro_storage.backends.memory import MemoryBackend

    class FlakyBackend(ThreadBackend):
        def __init__(self, config):
            super().__init__(MemoryBackend(config))

        async def open_read(self, path):
            if path.endswith("bad.txt"):
                raise OSError("disk on fire")
            return await super().open_read(path)

        async def read_bytes(self, path):  # small files are copied with one read
            if path.endswith("bad.txt"):
                raise OSError("disk on fire")
            return await super().read_bytes(path)

    manager = AsyncStorageManager()
    manager.register_backend_type("flaky", FlakyBackend)
    manager.configure([{"name": "src", "type": "flaky"}, {"name": "dst", "type": "memory"}])
    for name in ("a.txt", "bad.txt", "z.txt"):
        await manager.node("src:t", name).write_bytes(b"data")
    with pytest.raises(StorageTransferError, match="src:t/bad.txt"):
        await manager.node("src:t").copy(manager.node("dst:t"), concurrency=1)
    report = await manager.node("src:t").copy(manager.node("dst:u"), on_error="continue")
    assert sorted(report.copied) == ["src:t/a.txt", "src:t/z.txt"]
    assert [path for path, _ in report.failed] == ["src:t/bad.txt"]
    assert not report.ok
    assert not await manager.node("dst:u/bad.txt").exists()
    await manager.close()


async def test_register_backend_type_wraps_sync_classes_and_accepts_async_ones():
    class Hello(StorageBackend):
        type_name = "hello"

        def info(self, path):
            if path not in ("", "hi.txt"):
                raise StorageNotFoundError(f"No such file or directory: '{self.where(path)}'")
            return FileInfo(path, "file" if path else "directory", 2 if path else None)

        def read_bytes(self, path):
            self.info(path)
            return b"hi"

        def list(self, path, page_size=None, cursor=None):
            return Page([self.info("hi.txt")])

    class AsyncHello(AsyncStorageBackend):
        async def info(self, path):
            return FileInfo(path, "file", 5)

        async def read_bytes(self, path):
            return b"async"

    manager = AsyncStorageManager()
    manager.register_backend_type("hello", Hello)
    manager.register_backend_type("ahello", AsyncHello)
    manager.configure([{"name": "h", "type": "hello"}, {"name": "a", "type": "ahello"}])
    assert await manager.node("h:hi.txt").read_bytes() == b"hi"
    assert [c.basename async for c in manager.node("h:").children()] == ["hi.txt"]
    assert await manager.node("a:x").read_bytes() == b"async"
    assert manager.describe() == {"h": "thread", "a": "native"}
    with pytest.raises(ValueError, match="AsyncStorageBackend or StorageBackend"):
        manager.register_backend_type("bad", dict)
    sync = StorageManager()
    sync.register_backend_type("hello", Hello)
    sync.configure([{"name": "h", "type": "hello"}])
    assert sync.node("h:hi.txt").read_text() == "hi"


async def test_manager_works_without_async_with_and_reports_modes(tmp_path):
    manager = AsyncStorageManager(
        [
            {"name": "mem", "type": "memory"},
            {"name": "disk", "type": "local", "path": str(tmp_path)},
        ]
    )
    await manager.node("disk:x").write_bytes(b"1")
    assert manager.describe() == {"mem": "inline", "disk": "native"}
    assert manager.is_native("disk") and not manager.is_native("mem")
    async with manager:
        assert await manager.node("disk:x").read_bytes() == b"1"


async def test_sync_twin_shares_memory_and_local_state():
    manager = AsyncStorageManager([{"name": "mem", "type": "memory"}])
    await manager.node("mem:shared.txt").write_text("from async")
    twin = manager.as_sync()
    assert twin.node("mem:shared.txt").read_text() == "from async"
    assert manager.node("mem:shared.txt").as_sync().exists


async def test_run_sync_bridge_works_inside_a_running_loop():
    manager = AsyncStorageManager([{"name": "mem", "type": "memory"}])
    # We are inside the test's running loop, like a Jupyter cell: the bridge runs the
    # coroutine on its own loop thread instead of re-entering this one.
    run_sync(manager.node("mem:x").write_bytes(b"bridged"))
    assert run_sync(manager.node("mem:x").read_bytes()) == b"bridged"
    with pytest.raises(TypeError, match="coroutine"):
        run_sync(lambda: 1)


async def test_no_io_members_are_not_awaited(amanager):
    node = amanager.node("m:dir/report.final.csv")
    assert node.basename == "report.final.csv"
    assert node.stem == "report.final" and node.suffix == ".csv"
    assert node.mimetype == "text/csv"
    assert node.parent.fullpath == "m:dir"
    assert node.parent.parent.parent.fullpath == "m:"
    assert (node.parent / "x").fullpath == "m:dir/x"
    assert not asyncio.iscoroutine(node.url())


def test_sync_node_in_a_thread_while_the_async_api_runs(tmp_path):
    """Both APIs in one process over the same local folder."""
    sync = StorageManager([{"name": "d", "type": "local", "path": str(tmp_path)}])
    sync.node("d:f.txt").write_text("sync wrote")

    async def main():
        async with AsyncStorageManager(
            [{"name": "d", "type": "local", "path": str(tmp_path)}]
        ) as manager:
            return await manager.node("d:f.txt").read_text()

    assert asyncio.run(main()) == "sync wrote"


__all__ = ["test_node"]
