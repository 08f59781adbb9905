"""The fast paths of issue 12 keep every rule of the slow ones.

* Local containment without ``realpath`` (``NoFollowRoot``): symlinks out of the mount are
  refused as strictly as before, including symlinks made after the node, symlinked
  folders on the way, loops, and a root path that names another folder later.
* Batched thread hops (``_shared/batching.py``): cancellation (skipped before start,
  commit points honoured after), order, fairness to long calls.
* Inline memory calls: on the loop, large copies in a thread, cancellation atomic.
* ``children()`` of a large memory folder keeps memory O(page).

No timings: behaviour, thread identity and memory ceilings only.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from genro_storage import StorageManager, StoragePermissionError
from genro_storage._shared import batching
from genro_storage._shared.async_utils import commit_point
from genro_storage.async_ import AsyncStorageManager
from genro_storage.async_.backends import base as async_base
from genro_storage.backends import localdisk
from genro_storage.backends.memory import MemoryBackend

# ------------------------------------------------------------------ containment


@pytest.fixture
def disk(tmp_path: Path) -> tuple[Path, Path]:
    """``(root of the mount, a folder outside it with secret.txt)``."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "a" / "b" / "f.txt").write_bytes(b"inside")
    (root / "top.txt").write_bytes(b"top")
    return root, outside


def managers(root: Path) -> tuple[StorageManager, AsyncStorageManager]:
    conf = [{"name": "d", "type": "local", "path": str(root)}]
    return StorageManager(conf), AsyncStorageManager(conf)


async def refused_everywhere(root: Path, path: str) -> None:
    """Every read-side call of both APIs refuses ``d:path``."""
    smgr, amgr = managers(root)
    node, anode = smgr.node(f"d:{path}"), amgr.node(f"d:{path}")
    for call in (node.read_bytes, node.info, lambda: node.read_range(0, 3), lambda: node.exists):
        with pytest.raises(StoragePermissionError):
            call()
    with pytest.raises(StoragePermissionError):
        node.open("rb")
    for acall in (anode.read_bytes, anode.info, lambda: anode.read_range(0, 3), anode.exists):
        with pytest.raises(StoragePermissionError):
            await acall()
    smgr.close()
    await amgr.close()


async def test_a_symlink_made_after_the_node_is_refused(disk):
    root, outside = disk
    smgr, amgr = managers(root)
    node, anode = smgr.node("d:late.txt"), amgr.node("d:late.txt")
    (root / "late.txt").write_bytes(b"plain")
    assert node.read_bytes() == b"plain" and await anode.read_bytes() == b"plain"
    (root / "late.txt").unlink()
    os.symlink(outside / "secret.txt", root / "late.txt")  # swapped for a link out
    with pytest.raises(StoragePermissionError):
        node.read_bytes()
    with pytest.raises(StoragePermissionError):
        await anode.read_bytes()
    await refused_everywhere(root, "late.txt")
    smgr.close()
    await amgr.close()


async def test_a_folder_swapped_for_a_symlink_after_a_read_is_refused(disk):
    root, outside = disk
    smgr, _ = managers(root)
    node = smgr.node("d:a/b/f.txt")
    assert node.read_bytes() == b"inside"
    os.rename(root / "a" / "b", root / "a" / "old")
    (outside / "f.txt").write_bytes(b"outside")
    os.symlink(outside, root / "a" / "b")  # an intermediate folder is now a link out
    with pytest.raises(StoragePermissionError):
        node.read_bytes()
    await refused_everywhere(root, "a/b/f.txt")


async def test_symlinked_folders_inside_the_mount_still_work(disk):
    root, _ = disk
    os.symlink(root / "a", root / "alias")  # inside: followed, as before
    os.symlink(root / "a" / "b" / "f.txt", root / "a" / "flink")
    smgr, amgr = managers(root)
    for path in ("alias/b/f.txt", "a/flink", "alias/flink"):
        assert smgr.node(f"d:{path}").read_bytes() == b"inside"
        assert await amgr.node(f"d:{path}").read_bytes() == b"inside"
        assert smgr.node(f"d:{path}").info().size == 6
    smgr.close()
    await amgr.close()


async def test_symlink_loops_and_links_above_are_refused(disk):
    root, outside = disk
    os.symlink(root / "loop2", root / "loop1")
    os.symlink(root / "loop1", root / "loop2")
    os.symlink(outside, root / "a" / "out")
    os.symlink("../../..", root / "a" / "b" / "up3")
    for path in ("loop1", "loop1/x", "a/out/secret.txt", "a/b/up3/outside/secret.txt"):
        await refused_everywhere(root, path)


async def test_the_root_path_naming_another_folder_is_checked_again(disk, tmp_path):
    """The mount's root path is made a symlink to a folder outside after the mount was
    made: the fast way (a descriptor of the old folder) is not used, the checked way
    refuses."""
    root, outside = disk
    smgr, amgr = managers(root)
    assert smgr.node("d:top.txt").read_bytes() == b"top"
    os.rename(root, tmp_path / "moved")
    os.symlink(outside, root)
    with pytest.raises(StoragePermissionError):
        smgr.node("d:secret.txt").read_bytes()
    with pytest.raises(StoragePermissionError):
        await amgr.node("d:secret.txt").read_bytes()
    smgr.close()
    await amgr.close()


async def test_a_root_folder_made_again_is_read_through_its_path(disk, tmp_path):
    root, _ = disk
    smgr, _ = managers(root)
    assert smgr.node("d:top.txt").read_bytes() == b"top"
    os.rename(root, tmp_path / "moved")
    root.mkdir()
    (root / "top.txt").write_bytes(b"new")
    assert smgr.node("d:top.txt").read_bytes() == b"new"  # not the old folder's file


def test_nofollow_root_refuses_special_names_and_symlinks(disk):
    root, outside = disk
    os.symlink(outside, root / "out")
    walker = localdisk.NoFollowRoot(str(root))
    try:
        for path in ("..", "../outside/secret.txt", "a/../top.txt", "a//b", "", "out/secret.txt"):
            assert walker.open(path) == -1
            assert walker.lstat(path) is None
        fd = walker.open("a/b/f.txt")
        assert fd >= 0
        assert os.read(fd, 100) == b"inside"
        os.close(fd)
    finally:
        walker.close()


def test_nofollow_root_without_openat2_walks_folder_by_folder(disk, monkeypatch):
    root, outside = disk
    os.symlink(outside, root / "a" / "out")
    monkeypatch.setattr(localdisk, "_openat2", None)
    walker = localdisk.NoFollowRoot(str(root))
    try:
        fd = walker.open("a/b/f.txt")
        assert os.read(fd, 100) == b"inside"
        os.close(fd)
        assert walker.open("a/out/secret.txt") == -1
        assert walker.lstat("a/b/f.txt") is not None
    finally:
        walker.close()


async def test_a_folder_and_a_missing_file_keep_their_errors(disk):
    root, _ = disk
    smgr, amgr = managers(root)
    from genro_storage import StorageError, StorageNotFoundError

    with pytest.raises(StorageNotFoundError):
        smgr.node("d:a/nope.txt").read_bytes()
    with pytest.raises(StorageError):
        smgr.node("d:a").read_bytes()
    with pytest.raises(StorageNotFoundError):
        await amgr.node("d:nope/x.txt").read_bytes()
    assert not smgr.node("d:nope").exists
    assert smgr.node("d:a").info().isdir
    smgr.close()
    await amgr.close()


# ------------------------------------------------------------------ batched hops


async def test_batched_calls_run_off_the_loop_in_order_with_their_context():
    loop_thread = threading.current_thread()
    seen: list[int] = []

    def work(i: int) -> tuple[int, bool]:
        seen.append(i)
        return i, threading.current_thread() is loop_thread

    results = await asyncio.gather(*(batching.run_batched(work, i) for i in range(300)))
    assert [r[0] for r in results] == list(range(300))
    assert not any(r[1] for r in results)
    assert sorted(seen) == list(range(300))


async def test_batched_errors_reach_their_caller_only():
    def work(i: int) -> int:
        if i % 3 == 0:
            raise ValueError(i)
        return i

    results = await asyncio.gather(
        *(batching.run_batched(work, i) for i in range(30)), return_exceptions=True
    )
    for i, r in enumerate(results):
        assert (isinstance(r, ValueError) and r.args == (i,)) if i % 3 == 0 else r == i


async def test_a_batched_call_cancelled_before_it_starts_never_runs(monkeypatch):
    monkeypatch.setattr(batching, "DRAINERS", 2)
    monkeypatch.setattr(batching, "MAX_DRAINERS", 2)
    gate = threading.Event()
    started = [threading.Event(), threading.Event()]
    ran: list[int] = []

    def blocker(i: int) -> None:
        started[i].set()
        gate.wait(30)

    # both drainers allowed are blocked: the victim waits in the queue
    blockers = [asyncio.ensure_future(batching.run_batched(blocker, i)) for i in range(2)]
    for event in started:
        await asyncio.to_thread(event.wait, 30)
    victim = asyncio.ensure_future(batching.run_batched(ran.append, 1))
    await asyncio.sleep(0.01)
    victim.cancel()
    with pytest.raises(asyncio.CancelledError):
        await victim
    gate.set()
    await asyncio.gather(*blockers)
    await batching.run_batched(lambda: None)  # the queue has moved past the victim
    assert ran == []


async def test_a_running_batched_call_past_its_commit_point_completes():
    started, gate = threading.Event(), threading.Event()
    landed: list[str] = []

    def write() -> str:
        commit_point()
        landed.append("x")
        started.set()
        gate.wait(30)
        return "done"

    task = asyncio.ensure_future(batching.run_batched(write))
    await asyncio.to_thread(started.wait, 30)
    task.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    assert await task == "done"  # committed: a success, not a cancellation
    assert landed == ["x"] and not task.cancelled()


async def test_a_running_batched_call_cancelled_before_its_commit_point_lands_nothing():
    started, gate = threading.Event(), threading.Event()
    landed: list[str] = []

    def write() -> None:
        started.set()
        gate.wait(30)
        commit_point()  # raises: the caller was cancelled
        landed.append("x")

    task = asyncio.ensure_future(batching.run_batched(write))
    await asyncio.to_thread(started.wait, 30)
    task.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert landed == []


async def test_a_cancelled_batched_open_is_released():
    started, gate = threading.Event(), threading.Event()

    class Handle:
        closed = False

        def close(self) -> None:
            self.closed = True

    handle = Handle()

    def opener() -> Handle:
        started.set()
        gate.wait(30)
        return handle

    task = asyncio.ensure_future(batching.run_batched(opener))
    await asyncio.to_thread(started.wait, 30)
    task.cancel()
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert handle.closed


async def test_a_long_batched_call_does_not_hold_up_the_calls_behind_it():
    """One call blocks a drainer until the test lets it go; the small calls queued after
    it all complete meanwhile (another drainer takes them)."""
    gate, started = threading.Event(), threading.Event()

    def long_call() -> str:
        started.set()
        gate.wait(60)
        return "long"

    long_task = asyncio.ensure_future(batching.run_batched(long_call))
    await asyncio.to_thread(started.wait, 30)
    small = await asyncio.wait_for(
        asyncio.gather(*(batching.run_batched(pow, i, 2) for i in range(500))), 60
    )
    assert small == [i * i for i in range(500)]
    assert not long_task.done()  # still blocked: the small ones did not wait for it
    gate.set()
    assert await long_task == "long"


async def test_a_flood_of_small_calls_does_not_starve_a_large_one():
    """64 tasks keep queueing small calls; a large call queued meanwhile (batched, and one
    on its own hop) finishes while the flood is still going."""
    stop = asyncio.Event()
    done_while_flooding: list[str] = []

    async def flood() -> int:
        count = 0
        while not stop.is_set():
            await batching.run_batched(pow, count, 2)
            count += 1
        return count

    def large() -> str:
        return str(len(bytes(8 * 1024 * 1024)))

    floods = [asyncio.ensure_future(flood()) for _ in range(64)]
    await asyncio.sleep(0.05)
    from genro_storage._shared.async_utils import run_in_thread

    for runner in (batching.run_batched, run_in_thread):
        assert await asyncio.wait_for(runner(large), 60) == str(8 * 1024 * 1024)
        done_while_flooding.append("large")
        assert not any(f.done() for f in floods)
    stop.set()
    counts = await asyncio.gather(*floods)
    assert done_while_flooding == ["large", "large"] and sum(counts) > 0


async def test_the_local_mount_batches_and_keeps_cancellation(tmp_path):
    """Many small local calls at once through the batched hops, then a cancelled write:
    the old content stays, or the new one landed whole (commit point)."""
    conf = [{"name": "d", "type": "local", "path": str(tmp_path)}]
    async with AsyncStorageManager(conf) as amgr:
        nodes = [amgr.node(f"d:f{i:03d}.bin") for i in range(200)]
        await asyncio.gather(*(n.write_bytes(bytes([i % 256]) * 100) for i, n in enumerate(nodes)))
        datas = await asyncio.gather(*(n.read_bytes() for n in nodes))
        assert datas == [bytes([i % 256]) * 100 for i in range(200)]
        for _ in range(20):
            task = asyncio.ensure_future(nodes[0].write_bytes(b"new" * 1000))
            await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                assert await nodes[0].read_bytes() in (bytes([0]) * 100, b"new" * 1000)
            else:
                assert await nodes[0].read_bytes() == b"new" * 1000
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".genro")]
        assert leftovers == []


# ------------------------------------------------------------------ inline memory


async def test_memory_calls_run_inline_and_large_copies_in_a_thread(monkeypatch):
    loop_thread = threading.current_thread()
    threads: list[bool] = []
    original = MemoryBackend.write_bytes

    def spy(self: MemoryBackend, path: str, data: bytes) -> None:
        threads.append(threading.current_thread() is loop_thread)
        original(self, path, data)

    monkeypatch.setattr(MemoryBackend, "write_bytes", spy)
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        assert amgr.describe() == {"m": "inline"}
        assert not amgr.is_native("m")
        await amgr.node("m:small").write_bytes(b"x" * 100)
        big = b"y" * (async_base.LARGE_BYTES + 1)
        await amgr.node("m:big").write_bytes(big)
        assert threads == [True, False]
        assert await amgr.node("m:big").read_range(0, 5) == b"yyyyy"
        assert await amgr.node("m:big").read_range(10) == big[10:]
        assert await amgr.node("m:small").read_bytes() == b"x" * 100


async def test_a_memory_write_cancelled_before_it_runs_lands_nothing():
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        node = amgr.node("m:dir/f.txt")
        task = asyncio.ensure_future(node.write_bytes(b"data"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not await node.exists() and not await amgr.node("m:dir").exists()
        # one that started runs to its end: an inline call cannot be interrupted
        task = asyncio.ensure_future(node.write_bytes(b"data"))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            assert not await node.exists()
        else:
            assert await node.read_bytes() == b"data"


async def test_inline_memory_streams_and_trees_work():
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        async with amgr.node("m:s/file.bin").open("wb") as f:
            for i in range(10):
                await f.write(bytes([i]) * 1000)
        async with amgr.node("m:s/file.bin").open("rb") as f:
            assert await f.read() == b"".join(bytes([i]) * 1000 for i in range(10))
        await amgr.node("m:s/file.bin").copy("m:t/copy.bin")
        assert (
            await amgr.node("m:t/copy.bin").read_bytes()
            == await amgr.node("m:s/file.bin").read_bytes()
        )
        await amgr.node("m:s").delete(recursive=True)
        assert not await amgr.node("m:s").exists()
        assert [c.basename async for c in amgr.node("m:").children()] == ["t"]


async def test_children_of_a_large_memory_folder_keeps_memory_to_a_page():
    """200,000 entries: walking ``children()`` traces at most a few pages' worth of
    memory (a listing that built the whole folder would trace tens of MB)."""
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        sync = amgr.as_sync()
        count = 200_000
        backend: Any = sync._mounts["m"]
        for i in range(count):
            backend.write_bytes(f"big/f{i:07d}", b"")
        gc.collect()
        tracemalloc.start()
        try:
            seen = 0
            async for _ in amgr.node("m:big").children():
                seen += 1
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert seen == count
        assert peak < 4 * 1024 * 1024, peak


# ------------------------------------------------------------------ local first page


@pytest.mark.parametrize("page_size", [1, 7, 200, 999, 1000, 5000])
async def test_the_first_local_page_is_the_smallest_names_and_paging_continues(tmp_path, page_size):
    """The first page picks the smallest names without sorting the folder; the next
    pages sort the snapshot once. Library temporaries are hidden, look-alikes are not."""
    import random

    from genro_storage._shared.temporaries import temp_name

    names = [f"n{i:05d}" for i in random.Random(7).sample(range(100_000), 1000)]
    names += [".genro-storage-notatemp.part", ".genro-storage-x"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / temp_name()).write_bytes(b"")  # a live temporary: never listed
    async with AsyncStorageManager([{"name": "d", "type": "local", "path": str(tmp_path)}]) as m:
        folder = m.node("d:")
        got: list[str] = []
        cursor = None
        while True:
            page = await folder.list(page_size=page_size, cursor=cursor)
            got += [e.name for e in page.entries]
            if (cursor := page.cursor) is None:
                break
        assert got == sorted(names)
        first = await folder.list(page_size=page_size)
        assert [e.name for e in first.entries] == sorted(names)[:page_size]
        assert (first.cursor is None) == (page_size >= len(names))


async def test_inline_memory_never_waits_for_a_lock_held_by_a_thread():
    """A sync thread sharing the store holds its lock: the async call goes to a thread
    and the loop keeps running meanwhile."""
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        await amgr.node("m:f").write_bytes(b"data")
        backend: Any = amgr._mounts["m"]
        lock = backend.sync_backend()._lock
        held, release = threading.Event(), threading.Event()

        def holder() -> None:
            with lock:
                held.set()
                release.wait(30)

        thread = threading.Thread(target=holder)
        thread.start()
        await asyncio.to_thread(held.wait, 30)
        read = asyncio.ensure_future(amgr.node("m:f").read_bytes())
        for _ in range(5):
            await asyncio.sleep(0.01)  # the loop runs: it is not blocked on the lock
        assert not read.done()
        release.set()
        assert await read == b"data"
        thread.join()


async def test_inline_memory_reader_takes_any_size_the_sync_reader_takes():
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as amgr:
        await amgr.node("m:f").write_bytes(b"0123456789")
        async with amgr.node("m:f").open("rb") as f:
            assert await f.read(3) == b"012"
            assert await f.read(None) == b"3456789"  # type: ignore[arg-type]
        async with amgr.node("m:f").open("rb") as f:
            assert await f.read(-1) == b"0123456789"
