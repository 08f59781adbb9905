"""Data safety of writes (issue 9): writers publish only on a clean close (5), a
cancelled call lands nothing, now or later (6), a progress callback cannot fail a file
that has landed (7), and base64 writes return the node holding the data while nodes stay
immutable values (13). Every backend that takes writes, both APIs, where it applies.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import inspect
import os
import random
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import cloud_mounts
import pytest
from mounts import CLOUD, WRITABLE, test_node

from genro_storage import StorageBackendError, StorageError, StorageManager
from genro_storage._shared.async_utils import CommitCancelled, commit_point, run_in_thread
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends.base import BufferWriter
from genro_storage.backends.memory import MemoryBackend

MiB = 1024 * 1024


async def maybe(value: Any) -> Any:
    """Await ``value`` if it is awaitable (a call of the async API)."""
    return await value if inspect.isawaitable(value) else value


def files_on_disk(config: dict[str, Any]) -> list[str]:
    """Every file under a local mount's folder, temporaries included."""
    root = config["path"]
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


@contextlib.contextmanager
def nothing_unraisable() -> Iterator[None]:
    """Collect garbage at the end of the block; fail if a finaliser raised or warned
    (a ``ResourceWarning`` of an unclosed file, say)."""
    seen: list[Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert [str(u.exc_value) for u in seen] == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


# ---------------------------------------------------------------------------------------
# 5. A writer publishes only on a clean, explicit close
# ---------------------------------------------------------------------------------------


def _text(mode: str, text: str) -> Any:
    return text if mode == "w" else text.encode()


@pytest.mark.parametrize("mode", ["w", "wb"])
def test_a_sync_write_failing_inside_with_publishes_nothing(make_config, kind, mode):
    config = make_config(kind)
    with StorageManager([config]) as storage:
        old, new = storage.node("m:old.txt"), storage.node("m:new.txt")
        old.write_bytes(b"OLD")
        for node in (old, new):
            with pytest.raises(RuntimeError, match="boom"), node.open(mode) as f:
                f.write(_text(mode, "PARTIAL" * 3000))  # more than one buffer
                raise RuntimeError("boom")
            assert f.closed
        assert old.read_bytes() == b"OLD"
        assert not new.exists
        assert [c.basename for c in storage.node("m:").children()] == ["old.txt"]
        if kind == "local":
            assert files_on_disk(config) == ["old.txt"]
        with new.open(mode) as f:  # a clean block still publishes
            f.write(_text(mode, "caf\u00e9"))
        assert new.read_text() == "caf\u00e9"


def _drop_unclosed(node: Any, mode: str, cycle: bool) -> None:
    f = node.open(mode)
    f.write(_text(mode, "GC" * 6000))  # reaches the store's writer
    if cycle:  # only the cycle collector frees it then, its layers in any order
        holder: list[Any] = [f]
        holder.append(holder)


@pytest.mark.parametrize("mode", ["w", "wb"])
@pytest.mark.parametrize("cycle", [False, True], ids=["refcount", "cycle"])
def test_a_sync_writer_collected_unclosed_aborts(make_config, kind, mode, cycle):
    config = make_config(kind)
    with StorageManager([config]) as storage:
        old, new = storage.node("m:old.txt"), storage.node("m:new.txt")
        old.write_bytes(b"OLD")
        with nothing_unraisable():
            for node in (old, new):
                _drop_unclosed(node, mode, cycle)
        assert old.read_bytes() == b"OLD"
        assert not new.exists
        if kind == "local":
            assert files_on_disk(config) == ["old.txt"]


async def test_an_async_writer_dropped_unclosed_publishes_nothing(make_config, kind):
    config = make_config(kind)
    async with AsyncStorageManager([config]) as storage:
        node = storage.node("m:old.bin")
        await node.write_bytes(b"OLD")
        with nothing_unraisable():
            f = node.open("wb")
            await f.__aenter__()
            await f.write(b"NEW" * 100_000)
            del f
        assert await node.read_bytes() == b"OLD"
        if kind == "local":
            assert files_on_disk(config) == ["old.bin"]


async def test_an_async_write_cancelled_inside_the_block_publishes_nothing(make_config, kind):
    config = make_config(kind)
    async with AsyncStorageManager([config]) as storage:
        node = storage.node("m:old.bin")
        await node.write_bytes(b"OLD")
        entered = asyncio.Event()

        async def write_forever() -> None:
            async with node.open("wb") as f:
                await f.write(b"NEW" * 100_000)
                entered.set()
                await asyncio.sleep(3600)

        task = asyncio.create_task(write_forever())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await node.read_bytes() == b"OLD"
        if kind == "local":
            assert files_on_disk(config) == ["old.bin"]


@pytest.fixture(scope="module")
def http_rw_server() -> Iterator[Any]:
    """An aiohttp file server that accepts PUT: its streamed writes are spooled."""
    from servers import HTTPServer

    with HTTPServer(writable=True) as server:
        yield server


async def test_a_spooled_writer_dropped_unclosed_uploads_nothing_and_removes_its_spool(
    http_rw_server, api, open_storage, tmp_path, monkeypatch
):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # where spool files are made
    storage = open_storage([cloud_mounts.http_mount(http_rw_server, "h", tmp_path.name)])
    node = storage.node("h:old.bin")
    await maybe(node.write_bytes(b"OLD"))
    with nothing_unraisable():
        f = node.open("wb")
        if api == "sync":
            f.write(b"NEW" * 100_000)
        else:
            await f.__aenter__()
            await f.write(b"NEW" * 100_000)
        del f
    assert await maybe(node.read_bytes()) == b"OLD"
    assert list(spool.iterdir()) == []


class _RefusingWriter(BufferWriter):
    """A store's writer that refuses a part: the data then has a hole in it."""

    def write(self, data: bytes) -> int:
        if b"REFUSED" in bytes(data):
            raise StorageBackendError("the store refused this part")
        return super().write(data)


class RefusingMemory(MemoryBackend):
    def open_write(self, path: str) -> _RefusingWriter:
        return _RefusingWriter(lambda data: self.write_bytes(path, data))


def _refusing_manager(api: str) -> Any:
    manager = StorageManager() if api == "sync" else AsyncStorageManager()
    manager.register_backend_type("refusing", RefusingMemory)
    manager.add_mount({"name": "r", "type": "refusing"})
    return manager


async def test_a_file_whose_write_failed_is_never_committed(api):
    manager = _refusing_manager(api)
    node = manager.node("r:f.bin")
    await maybe(node.write_bytes(b"OLD"))
    hole = b"REFUSED" * 2000  # larger than a buffer: goes to the store's writer at once
    if api == "sync":
        with pytest.raises(StorageError, match="an earlier write failed"), node.open("wb") as f:
            f.write(b"first part")
            with pytest.raises(StorageBackendError):
                f.write(hole)
            f.write(b"the caller ignored the error")
        f = node.open("wb")
        with pytest.raises(StorageBackendError):
            f.write(hole)
        with pytest.raises(StorageError, match="an earlier write failed"):
            f.close()
    else:
        with pytest.raises(StorageError, match="an earlier write failed"):
            async with node.open("wb") as f:
                await f.write(b"first part")
                with pytest.raises(StorageBackendError):
                    await f.write(hole)
                await f.write(b"the caller ignored the error")
    assert await maybe(node.read_bytes()) == b"OLD"
    if api == "async":
        await manager.close()


# ---------------------------------------------------------------------------------------
# 6. A cancelled call lands nothing, now or later
# ---------------------------------------------------------------------------------------


def test_commit_point_is_a_no_op_outside_async_thread_hops():
    commit_point()  # the sync API: nothing to cancel
    result: list[str] = []
    thread = threading.Thread(target=lambda: (commit_point(), result.append("ok")))
    thread.start()
    thread.join()
    assert result == ["ok"]


async def test_a_thread_hop_cancelled_before_its_commit_point_publishes_nothing():
    started, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def work() -> str:
        started.set()
        release.wait(30)
        try:
            commit_point()
        except CommitCancelled:
            outcome.append("refused")
            raise
        outcome.append("published")
        return "landed"

    task = asyncio.create_task(run_in_thread(work))
    await asyncio.to_thread(started.wait, 30)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done(), "the call must wait for its thread before raising"
    task.cancel()  # a second cancel changes nothing
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == ["refused"]


async def test_a_thread_hop_cancelled_after_its_commit_point_completes():
    committed, release = threading.Event(), threading.Event()

    def work() -> str:
        commit_point()
        committed.set()
        release.wait(30)
        return "landed"

    async def caller() -> tuple[str, str]:
        first = await run_in_thread(work)
        return first, await run_in_thread(lambda: "the call goes on")

    task = asyncio.create_task(caller())
    await asyncio.to_thread(committed.wait, 30)
    task.cancel()
    await asyncio.sleep(0.05)
    task.cancel()  # again: still absorbed
    release.set()
    assert await task == ("landed", "the call goes on")
    if sys.version_info >= (3, 11):  # the cancellations were withdrawn (Task.uncancel)
        assert task.cancelling() == 0


async def cancel_at(
    delays: list[float],
    start: Callable[[int], Any],
    check: Callable[[int, bool], Any],
    must_cancel: bool = True,
) -> tuple[list[int], list[int]]:
    """Start ``start(i)`` and cancel it after ``delays[i]``, for each delay. ``check(i,
    completed)`` runs right after, and again for every attempt seconds later (nothing
    may land late). Returns the cancelled and the completed attempts. ``must_cancel``:
    fail if every attempt completed (the test would prove nothing); a memory write is
    too quick for that (it is over before the cancellation reaches its thread)."""
    cancelled: list[int] = []
    completed: list[int] = []
    for i, delay in enumerate(delays):
        task = asyncio.create_task(start(i))
        await asyncio.sleep(delay)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            cancelled.append(i)
        else:
            completed.append(i)
        await check(i, i in completed)
    await asyncio.sleep(2)  # the reported late landings came 2-3 s after
    for i in range(len(delays)):
        await check(i, i in completed)
    assert cancelled or not must_cancel, "no attempt was cancelled: the test proved nothing"
    return cancelled, completed


async def _duration(call: Any) -> float:
    """How long ``call`` takes (run it after a warm-up: sessions are made on first use)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    await call
    return loop.time() - start


def _delays(duration: float, seed: int, count: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [0.0, *(rng.uniform(0, duration) for _ in range(count))]


@pytest.mark.parametrize("kind", ["local", "memory", *CLOUD])
async def test_a_cancelled_write_bytes_never_lands(make_config, kind):
    config = make_config(kind)
    size = 96 * MiB if kind in ("local", "memory") else 8 * MiB
    payload = random.Random(1).randbytes(MiB) * (size // MiB)
    async with AsyncStorageManager([config]) as storage:
        await storage.node("m:timing.bin").write_bytes(b"warm-up")
        duration = await _duration(storage.node("m:timing.bin").write_bytes(payload))
        for i in range(6):
            await storage.node(f"m:f{i}.bin").write_bytes(b"OLD")

        async def check(i: int, completed: bool) -> None:
            node = storage.node(f"m:f{i}.bin")
            assert await node.size() == (size if completed else 3), f"attempt {i}"

        await cancel_at(
            _delays(duration, 2, 5),
            lambda i: storage.node(f"m:f{i}.bin").write_bytes(payload),
            check,
            must_cancel=kind != "memory",
        )
        if kind == "local":
            assert not [p for p in files_on_disk(config) if p.endswith(".part")]


@pytest.mark.parametrize("kind", WRITABLE)
@pytest.mark.parametrize("verb", ["copy", "move"])
async def test_a_cancelled_same_mount_transfer_never_lands(make_config, kind, verb):
    """Local and memory copy in a thread; object stores copy on the server."""
    config = make_config(kind)
    size = (64 if kind in ("local", "memory") else 16) * MiB if verb == "copy" else MiB
    payload = random.Random(2).randbytes(MiB) * (size // MiB)
    async with AsyncStorageManager([config]) as storage:
        src = storage.node("m:src.bin")
        await src.write_bytes(payload)
        await src.copy(storage.node("m:timing.bin"))  # warm-up
        duration = await _duration(src.copy(storage.node("m:timing.bin")))
        if verb == "move":
            for i in range(8):
                await src.copy(storage.node(f"m:src{i}.bin"))

        def source(i: int) -> Any:
            return src if verb == "copy" else storage.node(f"m:src{i}.bin")

        async def check(i: int, completed: bool) -> None:
            dst = storage.node(f"m:dst{i}.bin")
            assert await dst.exists() == completed, f"attempt {i}"
            if completed:
                assert await dst.size() == size
            if verb == "move":  # a move happened whole or not at all
                assert await source(i).exists() == (not completed)

        async def start(i: int) -> Any:
            method = getattr(source(i), verb)
            return await method(storage.node(f"m:dst{i}.bin"))

        await cancel_at(_delays(duration, 3), start, check, must_cancel=kind != "memory")
        assert await src.read_bytes() == payload
        if kind == "local":
            assert not [p for p in files_on_disk(config) if p.endswith(".part")]


@pytest.mark.parametrize("kind", WRITABLE)
async def test_a_cancelled_streamed_copy_never_lands(make_config, kind):
    """Across mounts (memory source), through the destination's streamed writer."""
    configs = [make_config("memory", "src"), make_config(kind, "m")]
    size = 24 * MiB
    payload = random.Random(4).randbytes(MiB) * (size // MiB)
    async with AsyncStorageManager(configs) as storage:
        src = storage.node("src:big.bin")
        await src.write_bytes(payload)
        await storage.node("m:timing.bin").write_bytes(b"warm-up")
        duration = await _duration(src.copy(storage.node("m:timing.bin")))
        for i in range(6):
            await storage.node(f"m:f{i}.bin").write_bytes(b"OLD")

        async def check(i: int, completed: bool) -> None:
            node = storage.node(f"m:f{i}.bin")
            assert await node.size() == (size if completed else 3), f"attempt {i}"

        await cancel_at(
            _delays(duration, 4, 5), lambda i: src.copy(storage.node(f"m:f{i}.bin")), check
        )
        if kind == "local":
            assert not [p for p in files_on_disk(configs[1]) if p.endswith(".part")]


def test_the_explorer_says_what_a_cancelled_job_left():
    from genro_storage import Progress
    from genro_storage.widgets.jobs import Job

    tree = Job("copy m:t → n:t", "files")
    tree.on_progress(Progress("m:t/a.txt", 1, 1, 1, 3))
    tree.finish("cancelled")
    assert tree.detail.value == "cancelled after 1 of 3 files (none half-written)"
    single = Job("copy m:f → n:f", "bytes", 10)
    single.finish("cancelled")
    assert single.detail.value == "cancelled (destination left as it was)"


# ---------------------------------------------------------------------------------------
# 7. A progress callback never fails a file that has landed
# ---------------------------------------------------------------------------------------


def _failing_progress(when: str) -> Callable[[Any], None]:
    """A callback raising on the events of one side of the commit: a single file's
    chunk events come before it (``files_done == 0``), its last event after."""

    def progress(event: Any) -> None:
        if (event.files_done > 0) == (when == "after"):
            raise ValueError(f"callback bug {when} the commit")

    return progress


@pytest.mark.parametrize("verb", ["copy", "move"])
@pytest.mark.parametrize("same_mount", [False, True], ids=["streamed", "same-mount"])
async def test_a_callback_raising_after_the_commit_is_reported_not_raised(
    make_config, open_storage, kind, verb, same_mount
):
    configs = [make_config(kind, "m")] + ([] if same_mount else [make_config("memory", "src")])
    storage = open_storage(configs)
    src = test_node(storage, "m:src.bin" if same_mount else "src:src.bin")
    dst = test_node(storage, "m:dst.bin")
    payload = os.urandom(2 * MiB + 5)
    await src.write_bytes(payload)
    await dst.write_bytes(b"OLD")
    report = await getattr(src, verb)(dst, progress=_failing_progress("after"))
    assert report.copied == [src.fullpath]
    assert [(path, str(exc)) for path, exc in report.callback_errors] == [
        (src.fullpath, "callback bug after the commit")
    ]
    assert report.ok
    assert await dst.read_bytes() == payload
    assert await src.exists() == (verb == "copy")


@pytest.mark.parametrize("verb", ["copy", "move"])
async def test_a_callback_raising_before_the_commit_aborts_cleanly(
    make_config, open_storage, kind, verb
):
    storage = open_storage([make_config(kind, "m"), make_config("memory", "src")])
    src, dst = test_node(storage, "src:src.bin"), test_node(storage, "m:dst.bin")
    payload = os.urandom(2 * MiB + 5)
    await src.write_bytes(payload)
    await dst.write_bytes(b"OLD")
    with pytest.raises(ValueError, match="before the commit"):
        await getattr(src, verb)(dst, progress=_failing_progress("before"))
    assert await dst.read_bytes() == b"OLD"
    assert await src.read_bytes() == payload


async def test_a_tree_move_whose_callback_always_raises_moves_everything(
    make_config, open_storage, kind
):
    storage = open_storage([make_config(kind, "m")])
    names = ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]
    for name in names:
        await test_node(storage, f"m:src/{name}").write_bytes(name.encode())

    def progress(event: Any) -> None:
        raise ValueError("always")

    report = await test_node(storage, "m:src").move(test_node(storage, "m:dst"), progress=progress)
    assert sorted(report.copied) == [f"m:src/{n}" for n in names]
    assert sorted(p for p, _ in report.callback_errors) == sorted(report.copied)
    for name in names:
        assert await test_node(storage, f"m:dst/{name}").read_bytes() == name.encode()
    assert not await test_node(storage, "m:src/a.txt").exists()


async def test_an_async_callback_raising_after_the_commit_is_reported(make_config):
    async with AsyncStorageManager([make_config("memory", "src"), make_config("local")]) as storage:
        await storage.node("src:f.bin").write_bytes(b"payload")

        async def progress(event: Any) -> None:
            await asyncio.sleep(0)
            if event.files_done:
                raise ValueError("late")

        report = await storage.node("src:f.bin").move("m:f.bin", progress=progress)
        assert [str(e) for _, e in report.callback_errors] == ["late"]
        assert await storage.node("m:f.bin").read_bytes() == b"payload"
        assert not await storage.node("src:f.bin").exists()


# ---------------------------------------------------------------------------------------
# 13. Base64 writes return the node holding the data; nodes are immutable values
# ---------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


async def test_writes_return_the_node_that_holds_the_data(root):
    node = root.child("w.bin")
    assert (await node.write_bytes(b"data")).fullpath == node.fullpath
    assert (await node.write_text("text")).fullpath == node.fullpath
    async with node.open("wb") as f:
        await f.write(b"streamed")
    assert f.node.fullpath == node.fullpath
    assert await node.read_bytes() == b"streamed"


async def test_a_node_keeps_its_identity_across_writes(make_config, open_storage, kind):
    manager = open_storage([make_config(kind), make_config("base64", "b")])
    node, inline = manager.node("m:f.bin"), manager.node(f"b:{b64(b'OLD')}")
    seen = {node, inline}
    hashes = (hash(node), hash(inline))
    await maybe(node.write_bytes(b"new"))
    written = await maybe(inline.write_bytes(b"new"))
    copied = (await maybe(node.copy(inline))).destination
    assert node in seen and inline in seen and (hash(node), hash(inline)) == hashes
    assert inline.path == b64(b"OLD") and await maybe(inline.read_bytes()) == b"OLD"
    assert written == copied == manager.node(f"b:{b64(b'new')}")
    assert written not in seen
    with pytest.raises(AttributeError, match="immutable"):
        node._path = "elsewhere"
    with pytest.raises(AttributeError, match="immutable"):
        del node._mount
    assert node.path == "f.bin"


async def test_base64_writes_land_in_the_returned_node(make_config, open_storage):
    storage = open_storage([make_config("memory", "mem"), make_config("base64", "b")])
    src, old = test_node(storage, "mem:f.bin"), test_node(storage, f"b:{b64(b'OLD')}")
    await src.write_bytes(b"from memory")
    written = await old.write_bytes(b"written")
    assert await written.read_bytes() == b"written"
    report = await src.copy(old)
    assert await maybe(report.destination.read_bytes()) == b"from memory"
    async with old.open("wb") as f:
        await f.write(b"streamed")
    assert await f.node.read_bytes() == b"streamed"
    report = await src.move(old)
    assert await maybe(report.destination.read_bytes()) == b"from memory"
    assert not await src.exists()
    assert await old.read_bytes() == b"OLD"  # nodes never change


def test_base64_text_writes_land_in_the_returned_node():
    storage = StorageManager([{"name": "b", "type": "base64"}])
    node = storage.node("b:")
    with node.open("w") as f:
        f.write("caf\u00e9")
    assert f.node.read_text() == "caf\u00e9"
    assert node.path == ""


async def test_fill_from_url_returns_the_node_holding_the_download(http_server):
    assert http_server.root is not None
    (http_server.root / "inline.bin").write_bytes(b"downloaded")
    url = http_server.url("inline.bin")
    sync = StorageManager([{"name": "b", "type": "base64"}])
    assert sync.node("b:").fill_from_url(url).read_bytes() == b"downloaded"
    async with AsyncStorageManager([{"name": "b", "type": "base64"}]) as storage:
        node = await storage.node("b:").fill_from_url(url)
        assert await node.read_bytes() == b"downloaded"


# -- cleanup is never cut short by a cancellation --------------------------------------


async def test_a_reader_close_runs_to_its_end_when_the_caller_is_cancelled(tmp_path):
    """Closing a reader (a cleanup after a cancelled copy, say) is a thread hop; a
    cancellation arriving before the hop has run must not skip it (the file would stay
    open until collected). The close finishes, then the cancellation is raised."""
    (tmp_path / "f.bin").write_bytes(b"x" * 10)
    async with AsyncStorageManager(
        [{"name": "d", "type": "local", "path": str(tmp_path)}]
    ) as storage:
        for _ in range(20):  # the hop may or may not have started when the cancel lands
            reader = await storage.node("d:f.bin")._backend.open_read("f.bin")
            raw = reader._reader
            task = asyncio.ensure_future(reader.close())
            await asyncio.sleep(0)  # the close hop is queued
            task.cancel()
            task.cancel()  # twice: as a tree transfer stopping its siblings could
            with pytest.raises(asyncio.CancelledError):
                await task
            assert raw.closed


async def test_a_tree_transfer_cancelled_mid_way_leaves_no_file_open(tmp_path):
    """Cancel a local tree copy at many points: no reader is left to the collector
    (pytest turns a ResourceWarning from a collected open file into a failure)."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(30):
        (src / f"f{i}.bin").write_bytes(os.urandom(3 * 1024 * 1024 if i % 5 == 0 else 100))
    async with AsyncStorageManager(
        [{"name": "d", "type": "local", "path": str(tmp_path)}, {"name": "m", "type": "memory"}]
    ) as storage:
        for turns in range(0, 60, 2):
            task = asyncio.ensure_future(
                storage.node("d:src").copy(storage.node(f"m:out{turns}"), concurrency=4)
            )
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            gc.collect()
