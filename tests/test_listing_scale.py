"""Listings that page without re-reading the folder, trees of any depth, and the
library's temporaries (hidden from listings, swept when stale). Local and memory mounts,
both APIs: ``api`` runs each test once per API, the sync one through ``SyncAsAsync``.

No timings: complexity is checked by counting folder reads and by memory ceilings.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from mounts import test_node

from genro_storage import StorageConfigError, StorageManager
from genro_storage._shared.temporaries import STALE_AFTER, is_temp_name
from genro_storage.backends import local as local_backend
from genro_storage.backends.memory import _SortedNames

ROOT = Path(__file__).resolve().parent.parent

BOTH = pytest.mark.parametrize("kind", ["local", "memory"])
LOCAL = pytest.mark.parametrize("kind", ["local"])
MEMORY = pytest.mark.parametrize("kind", ["memory"])


def fill(manager: Any, config: dict[str, Any], folder: str, names: list[str]) -> None:
    """Create empty files ``folder/name`` quickly: plain ``os`` calls on local disk, the
    sync backend on memory (setup, not what is tested)."""
    if config["type"] == "local":
        base = Path(config["path"], folder)
        base.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.close(os.open(base / name, os.O_CREAT | os.O_WRONLY, 0o644))
        return
    sync = manager if isinstance(manager, StorageManager) else manager.as_sync()
    for name in names:
        sync.node(f"m:{folder}/{name}").write_bytes(b"")


def count_folder_reads(monkeypatch: Any, folder_path: str) -> list[Any]:
    """Every read of ``folder_path``'s entries (``os.scandir`` or ``os.listdir``)."""
    reads: list[Any] = []
    for name in ("scandir", "listdir"):
        real = getattr(os, name)

        def counting(path: Any = ".", real: Any = real) -> Any:
            if path == folder_path:
                reads.append(path)
            return real(path)

        monkeypatch.setattr(os, name, counting)
    return reads


async def all_pages(folder: Any, page_size: int, cursor: str | None = None) -> list[str]:
    names: list[str] = []
    while True:
        page = await folder.list(page_size=page_size, cursor=cursor)
        names += [e.name for e in page.entries]
        if (cursor := page.cursor) is None:
            return names
        assert isinstance(cursor, str) and cursor


# ------------------------------------------------------------------ paging


@BOTH
async def test_pages_cover_the_folder_once_in_name_order(kind, make_config, open_storage):
    config = make_config(kind)
    manager = open_storage([config])
    names = [f"f{i:05d}" for i in random.Random(1).sample(range(100_000), 1_500)]
    fill(manager, config, "big", names)
    folder = test_node(manager, "m:big")
    await folder.child("sub", "x.txt").write_bytes(b"x")
    expected = sorted([*names, "sub"])
    for page_size in (7, 300, 1000, 1501, 5000):
        assert await all_pages(folder, page_size) == expected
    assert [c.basename async for c in folder.children()] == expected
    whole = await folder.list()
    assert [e.name for e in whole.entries] == expected and whole.cursor is None
    # pages of one entry over a smaller folder (every page boundary exercised)
    small = test_node(manager, "m:big/sub")
    assert await all_pages(small, 1) == ["x.txt"]


@BOTH
async def test_a_cursor_from_elsewhere_or_a_plain_name_means_after_that_name(
    kind, make_config, open_storage
):
    """Cursors survive: one made by another manager (another process, an expired
    snapshot) and a plain name both resume with the names after it."""
    config = make_config(kind)
    first = open_storage([config])
    names = [f"f{i:04d}" for i in range(400)]
    fill(first, config, "d", names)
    page = await test_node(first, "m:d").list(page_size=100)
    assert [e.name for e in page.entries] == names[:100]
    other = test_node(open_storage([config]), "m:d")  # a new backend: no snapshot
    assert await all_pages(other, 70, page.cursor) == names[100:]
    assert await all_pages(other, 70, "f0299") == names[300:]
    assert await all_pages(other, 70, "f0299/0123456789abcdef") == names[300:]
    assert await all_pages(other, 70, "f0299.5") == names[300:]
    assert await all_pages(other, 70, "zzz") == []
    assert await all_pages(other, 70, "") == names


@BOTH
async def test_a_cursor_that_is_not_a_string_is_refused_by_name(kind, make_config, open_storage):
    manager = open_storage([make_config(kind)])
    await test_node(manager, "m:d/a.txt").write_bytes(b"a")
    for bad in (5, b"a.txt", ["a.txt"]):
        with pytest.raises(StorageConfigError, match="cursor"):
            await test_node(manager, "m:d").list(page_size=1, cursor=bad)


@LOCAL
async def test_many_listings_at_once_keep_a_bounded_cache_and_all_finish(
    kind, make_config, open_storage, monkeypatch
):
    """More listings in progress than snapshots kept: the oldest lose theirs and finish
    by reading the folder again; every one of them lists the folder exactly."""
    config = make_config(kind)
    manager = open_storage([config])
    names = [f"f{i:03d}" for i in range(60)]
    fill(manager, config, "d", names)
    folder = test_node(manager, "m:d")
    started = 2 * local_backend.FolderListings.LIMIT
    firsts = [await folder.list(page_size=10) for _ in range(started)]
    reads = count_folder_reads(monkeypatch, os.path.join(config["path"], "d"))
    for first in firsts:
        rest = await all_pages(folder, 10, first.cursor)
        assert [e.name for e in first.entries] + rest == names
    # the evicted ones read the folder once more (the first of them pushes out one
    # more snapshot while it finishes); the others never
    evicted = started - local_backend.FolderListings.LIMIT
    assert evicted <= len(reads) <= evicted + 1


@BOTH
async def test_entries_removed_during_a_listing_are_not_listed(kind, make_config, open_storage):
    config = make_config(kind)
    manager = open_storage([config])
    names = [f"f{i:04d}" for i in range(300)]
    fill(manager, config, "d", names)
    folder = test_node(manager, "m:d")
    page = await folder.list(page_size=100)
    gone = names[150:160]
    for name in gone:
        await folder.child(name).delete()
    await folder.child("a-before-the-cursor").write_bytes(b"")
    rest = await all_pages(folder, 100, page.cursor)
    assert rest == [n for n in names[100:] if n not in gone]
    # a new listing reads the folder as it is now
    assert await all_pages(folder, 100) == sorted(
        ["a-before-the-cursor", *(n for n in names if n not in gone)]
    )
    if kind == "memory":  # a live index: an entry added after the cursor shows at once
        page = await folder.list(page_size=100)
        await folder.child("f0150.new").write_bytes(b"")
        assert "f0150.new" in await all_pages(folder, 100, page.cursor)


@BOTH
async def test_a_random_history_of_writes_and_deletes_lists_like_a_model(
    kind, make_config, open_storage, monkeypatch
):
    """Random writes, folders and deletes (recursive too) between pages; each listing
    equals a sorted model. Small index chunks make the memory index split and merge."""
    monkeypatch.setattr(_SortedNames, "CHUNK", 3)
    config = make_config(kind)
    manager = open_storage([config])
    root = test_node(manager, "m:")
    rng = random.Random(7)
    model: dict[str, set[str]] = {"": set()}  # folder -> child names

    def folders() -> list[str]:
        return sorted(model)

    for _ in range(400):
        where = rng.choice(folders())
        name = rng.choice("abcdefgh") + str(rng.randint(0, 40))
        path = f"{where}/{name}" if where else name
        action = rng.random()
        node = root.child(path)
        if name in model[where]:
            if path in model and rng.random() < 0.7:
                continue  # mostly keep folders around, to grow a tree
            await node.delete(recursive=True)
            model[where].discard(name)
            for inner in [f for f in model if f == path or f.startswith(path + "/")]:
                del model[inner]
        elif action < 0.25:
            await node.mkdir()
            model[where].add(name)
            model[path] = set()
        else:
            await node.write_bytes(b"x")
            model[where].add(name)
        if rng.random() < 0.2:
            look = rng.choice(folders())
            folder = root.child(look) if look else root
            assert await all_pages(folder, rng.randint(1, 5)) == sorted(model[look])
    for look in folders():
        folder = root.child(look) if look else root
        assert await all_pages(folder, 2) == sorted(model[look])


@LOCAL
async def test_a_local_listing_reads_the_folder_once(kind, make_config, open_storage, monkeypatch):
    """children() over 2,500 entries (3 pages) reads the folder once, not once per page:
    a complete listing is linear in the folder's size."""
    config = make_config(kind)
    manager = open_storage([config])
    fill(manager, config, "d", [f"f{i:04d}" for i in range(2500)])
    reads = count_folder_reads(monkeypatch, os.path.join(config["path"], "d"))
    folder = test_node(manager, "m:d")
    assert len([c async for c in folder.children()]) == 2500
    assert len(reads) == 1
    assert await all_pages(folder, 10) == [f"f{i:04d}" for i in range(2500)]
    assert len(reads) == 2  # 250 pages, one read


@MEMORY
async def test_a_memory_page_costs_memory_of_the_page_not_of_the_folder(
    kind, make_config, open_storage, api
):
    """A page of 100 from a memory folder of 50,000 entries allocates well under a
    megabyte (collecting the folder's names took 5.5 MB), and iterating
    ``async for`` over ``children()`` holds one page at a time."""
    config = make_config(kind)
    manager = open_storage([config])
    fill(manager, config, "huge", [f"f{i:06d}" for i in range(50_000)])
    folder = test_node(manager, "m:huge")
    await folder.list(page_size=100)  # warm up lazily built machinery
    tracemalloc.start()
    try:
        page = await folder.list(page_size=100, cursor="f025000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.name for e in page.entries] == [f"f{i:06d}" for i in range(25_001, 25_101)]
    assert peak < 1024 * 1024
    if api == "async":  # the sync children() returns a list by contract
        seen = 0
        tracemalloc.start()
        try:
            async for _ in folder.children():
                seen += 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert seen == 50_000
        assert peak < 4 * 1024 * 1024


# ------------------------------------------------------------------ deep trees

DEPTH = 1100


@BOTH
async def test_a_tree_deeper_than_the_recursion_limit_is_made_listed_and_deleted(
    kind, make_config, open_storage
):
    assert sys.getrecursionlimit() < DEPTH
    config = make_config(kind)
    try:
        await _deep_tree(kind, config, open_storage([config]))
    finally:  # never leave a tree that pytest's own clean-up (shutil.rmtree) cannot delete
        if kind == "local":
            subprocess.run(["rm", "-rf", config["path"]], check=True)


async def _deep_tree(kind: str, config: dict[str, Any], manager: Any) -> None:
    root = test_node(manager, "m:")
    deep = "/".join(["d"] * DEPTH)
    await root.child("t", deep).mkdir(parents=True)
    await root.child("t", deep, "leaf.txt").write_bytes(b"bottom")
    await root.child("u", deep, "leaf.txt").write_bytes(b"parents made by the write")
    assert await root.child("t", deep, "leaf.txt").read_bytes() == b"bottom"
    assert [c.basename async for c in root.child("t", deep).children()] == ["leaf.txt"]
    tops = ["t", "u"]
    if kind == "memory":  # a tree copy walks it too (on local disk each of its 1,100 path
        # checks costs O(depth) lstat calls of O(depth) each: minutes, so memory only)
        await root.child("u").copy(root.child("v"))
        assert await root.child("v", deep, "leaf.txt").read_bytes() == b"parents made by the write"
        tops.append("v")
    for top in tops:
        await root.child(top).delete(recursive=True)
        assert not await root.child(top).exists()
    assert [c.basename async for c in root.children()] == []
    if kind == "local":
        assert os.listdir(config["path"]) == []


@LOCAL
async def test_recursive_delete_removes_symlinks_not_what_they_point_to(
    kind, make_config, open_storage, tmp_path
):
    config = make_config(kind)
    manager = open_storage([config])
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "keep.txt").write_text("keep")
    tree = Path(config["path"], "tree", "a")
    tree.mkdir(parents=True)
    (tree / "f.txt").write_text("f")
    os.symlink(outside, tree / "to-dir")
    os.symlink(outside / "inner" / "keep.txt", tree / "to-file")
    await test_node(manager, "m:tree").delete(recursive=True)
    assert not Path(config["path"], "tree").exists()
    assert (outside / "inner" / "keep.txt").read_text() == "keep"


# ------------------------------------------------------------------ temporaries

_WRITER = r"""
import asyncio, sys, time
sys.path.insert(0, sys.argv[1])
from genro_storage import StorageConfigError, StorageManager
from genro_storage.async_ import AsyncStorageManager

conf = [{"name": "m", "type": "local", "path": sys.argv[2]}]
if sys.argv[3] == "sync":
    f = StorageManager(conf).node("m:sub/big.bin").open("wb")
    f.write(b"x" * 100_000)
    f.flush()
    print("writing", flush=True)
    time.sleep(120)
else:
    async def main():
        async with AsyncStorageManager(conf) as manager:
            async with manager.node("m:sub/big.bin").open("wb") as f:
                await f.write(b"x" * 100_000)
                print("writing", flush=True)
                await asyncio.sleep(120)
    asyncio.run(main())
"""


def killed_writer(folder: str, api: str) -> Path:
    """Run a writer in another process, SIGKILL it mid-write; return the temporary it
    left behind (found with plain ``os``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(ROOT), folder, api],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    left = [p for p in Path(folder, "sub").iterdir() if is_temp_name(p.name)]
    assert len(left) == 1
    return left[0]


def age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


@LOCAL
async def test_a_killed_writer_leaves_a_temporary_that_listings_hide_and_sweeps_remove(
    kind, api, make_config, open_storage
):
    config = make_config(kind)
    folder = config["path"]
    Path(folder, "sub").mkdir()
    Path(folder, "sub", "kept.txt").write_text("kept")
    tmp = killed_writer(folder, api)
    assert tmp.stat().st_size > 0

    manager = open_storage([config])
    sub = test_node(manager, "m:sub")
    assert [c.basename async for c in sub.children()] == ["kept.txt"]
    assert [e.name for e in (await sub.list(page_size=1)).entries] == ["kept.txt"]
    assert not await sub.child("big.bin").exists()
    # tree copies and moves walk the listing: the temporary is not data
    mem = open_storage([{"name": "mem", "type": "memory"}])
    await sub.copy(test_node(mem, "mem:copy"))
    assert [c.basename async for c in test_node(mem, "mem:copy").children()] == ["kept.txt"]

    # a fresh temporary is left alone (its writer may be alive); a stale one is swept by
    # a mkdir in its folder (a mount sweeps a folder at most once an hour: a new mount)
    await sub.child("new").mkdir()
    assert tmp.exists()
    age(tmp, STALE_AFTER + 60)
    await test_node(open_storage([config]), "m:sub/other").mkdir()
    assert not tmp.exists()
    assert sorted(os.listdir(Path(folder, "sub"))) == ["kept.txt", "new", "other"]


@LOCAL
async def test_mount_creation_sweeps_stale_temporaries_of_its_root_only(
    kind, api, make_config, open_storage
):
    config = make_config(kind)
    folder = config["path"]
    left = killed_writer(folder, api)
    at_root = left.rename(Path(folder, left.name))  # as if left by a write at the root
    deeper = killed_writer(folder, api)  # another one, left in sub/
    fresh = Path(local_backend.temp_beside(os.path.join(folder, "x.bin")))
    for path in (at_root, deeper):
        age(path, STALE_AFTER + 60)
    manager = open_storage([config])
    assert not at_root.exists()
    assert deeper.exists()  # mount creation does not scan the tree
    assert fresh.exists()  # not stale
    # mkdir(exist_ok=True) of sub sweeps sub itself
    await test_node(manager, "m:sub").mkdir(exist_ok=True)
    assert not deeper.exists()
    assert fresh.exists()


@LOCAL
async def test_the_library_names_its_temporaries_one_way(kind, make_config, open_storage):
    config = make_config(kind)
    target = os.path.join(config["path"], "a" * 255)  # the longest legal name
    tmp = local_backend.temp_beside(target)
    assert is_temp_name(os.path.basename(tmp))
    os.unlink(tmp)
    manager = open_storage([config])
    await test_node(manager, "m:" + "a" * 255).write_bytes(b"long name")
    assert os.listdir(config["path"]) == ["a" * 255]
    assert is_temp_name(".genro-storage-0123456789abcdef.part")
    for user_name in (
        ".genro-storage-0123456789ABCDEF.part",
        ".genro-storage-notes.part",
        "genro-storage-0123456789abcdef.part",
        ".genro-storage-0123456789abcdef.part.bak",
        ".x.txt.abcd1234.part",
    ):
        assert not is_temp_name(user_name)
        Path(config["path"], user_name).write_text("user data")
    names = [c.basename async for c in test_node(manager, "m:").children()]
    assert set(names) >= {
        ".genro-storage-0123456789ABCDEF.part",
        ".genro-storage-notes.part",
        "genro-storage-0123456789abcdef.part",
        ".genro-storage-0123456789abcdef.part.bak",
        ".x.txt.abcd1234.part",
    }
