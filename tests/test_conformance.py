"""One behaviour suite for every writable backend and both APIs.

Each test runs once per (backend, API) pair: ``root`` is the root of a fresh mount.
Adding a backend means adding a fixture parameter, not a test.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from genro_storage import (
    Progress,
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    StoragePermissionError,
)


async def test_write_then_read_bytes_and_text(root):
    node = root.child("hello.txt")
    assert not await node.exists()
    await node.write_bytes(b"hello world")
    assert await node.exists()
    assert await node.isfile()
    assert not await node.isdir()
    assert await node.size() == 11
    assert await node.read_bytes() == b"hello world"
    await node.write_text("ciao \u00e8")
    assert await node.read_text() == "ciao \u00e8"
    assert await node.size() == len("ciao \u00e8".encode())
    assert isinstance(await node.mtime(), float)


async def test_missing_file_raises_not_found_naming_the_path(root):
    node = root.child("nope", "missing.bin")
    assert not await node.exists()
    assert not await node.isfile()
    assert not await node.isdir()
    with pytest.raises(StorageNotFoundError) as err:
        await node.read_bytes()
    assert "m:nope/missing.bin" in str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(StorageNotFoundError, match="m:nope/missing.bin"):
        await node.size()


async def test_nested_write_makes_parents_and_children_are_sorted(root):
    for name in ("b.txt", "a.txt", "sub/c.txt"):
        await root.child("dir", name).write_bytes(name.encode())
    folder = root.child("dir")
    assert await folder.isdir()
    assert not await folder.isfile()
    names = [child.basename async for child in folder.children()]
    assert names == ["a.txt", "b.txt", "sub"]
    assert await root.child("dir/sub").isdir()
    assert await root.child("dir/sub/c.txt").read_bytes() == b"sub/c.txt"


async def test_paged_listing_walks_every_entry_once(root):
    for i in range(23):
        await root.child("many", f"f{i:02d}").write_bytes(b"x")
    folder = root.child("many")
    seen, cursor, sizes = [], None, []
    while True:
        page = await folder.list(page_size=10, cursor=cursor)
        sizes.append(len(page.entries))
        seen.extend(e.name for e in page.entries)
        cursor = page.cursor
        if cursor is None:
            break
    assert sizes == [10, 10, 3]
    assert seen == [f"f{i:02d}" for i in range(23)]
    first = (await folder.list(page_size=5)).entries[0]
    assert first.path == "many/f00" and first.isfile and first.size == 1


async def test_listing_a_file_or_a_missing_folder_fails(root):
    await root.child("plain.txt").write_bytes(b"x")
    with pytest.raises(StorageError, match="m:plain.txt"):
        await root.child("plain.txt").list()
    with pytest.raises(StorageNotFoundError, match="m:ghost"):
        await root.child("ghost").list()


async def test_mkdir_exist_ok_and_parents(root):
    folder = root.child("made")
    await folder.mkdir()
    assert await folder.isdir()
    with pytest.raises(StorageExistsError, match="m:made"):
        await folder.mkdir()
    await folder.mkdir(exist_ok=True)
    deep = root.child("x/y/z")
    await deep.mkdir(parents=True)
    assert await deep.isdir()
    assert [c.basename async for c in root.child("made").children()] == []


async def test_delete_file_dir_and_missing(root):
    await root.child("d/f1").write_bytes(b"1")
    await root.child("d/f2").write_bytes(b"2")
    await root.child("d/f1").delete()
    assert not await root.child("d/f1").exists()
    with pytest.raises(StorageNotFoundError, match="m:d/f1"):
        await root.child("d/f1").delete()
    await root.child("d/f1").delete(missing_ok=True)
    with pytest.raises(StorageError, match="m:d"):
        await root.child("d").delete()
    assert await root.child("d/f2").exists()
    await root.child("d").delete(recursive=True)
    assert not await root.child("d").exists()
    assert not await root.child("d/f2").exists()


async def test_overwrite_replaces_content(root):
    node = root.child("o.bin")
    await node.write_bytes(b"first version, longer")
    await node.write_bytes(b"second")
    assert await node.read_bytes() == b"second"
    assert await node.size() == 6


async def test_streamed_write_and_read(root):
    node = root.child("stream.bin")
    payload = os.urandom(3 * 1024 * 1024 + 17)
    async with node.open("wb") as f:
        for start in range(0, len(payload), 1024 * 1024):
            await f.write(payload[start : start + 1024 * 1024])
    async with node.open("rb") as f:
        head = await f.read(100)
        rest = b"".join([chunk async for chunk in f.chunks()])
    assert head + rest == payload


async def test_failed_streamed_write_leaves_nothing(root):
    node = root.child("partial.bin")
    with pytest.raises(RuntimeError, match="boom"):
        async with node.open("wb") as f:
            await f.write(b"half of it")
            raise RuntimeError("boom")
    assert not await node.exists()
    assert [c.basename async for c in root.children()] == []


async def test_failed_streamed_write_keeps_the_old_content(root):
    node = root.child("keep.bin")
    await node.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        async with node.open("wb") as f:
            await f.write(b"new")
            raise RuntimeError("boom")
    assert await node.read_bytes() == b"old"


async def test_read_range(root):
    node = root.child("r.bin")
    await node.write_bytes(bytes(range(256)))
    assert await node.read_range(10, 20) == bytes(range(10, 20))
    assert await node.read_range(250) == bytes(range(250, 256))


async def test_md5hash_matches_content(root):
    node = root.child("h.bin")
    payload = os.urandom(100_000)
    await node.write_bytes(payload)
    assert await node.md5hash() == hashlib.md5(payload).hexdigest()


async def test_copy_and_move_a_file_inside_the_mount(root):
    src = root.child("src.txt")
    await src.write_bytes(b"payload")
    report = await src.copy(root.child("copies/dst.txt"))
    assert report.copied == ["m:src.txt"]
    assert await root.child("copies/dst.txt").read_bytes() == b"payload"
    await src.move(root.child("moved.txt"))
    assert not await src.exists()
    assert await root.child("moved.txt").read_bytes() == b"payload"


async def test_copy_a_tree_with_include_exclude_and_progress(root):
    for name in ("a.txt", "b.csv", "sub/c.txt", "sub/deep/d.txt"):
        await root.child("tree", name).write_bytes(name.encode() * 10)
    events: list[Progress] = []
    report = await root.child("tree").copy(
        root.child("out"), include="*.txt", exclude="sub/deep/*", progress=events.append
    )
    assert sorted(report.copied) == ["m:tree/a.txt", "m:tree/sub/c.txt"]
    assert await root.child("out/a.txt").read_bytes() == b"a.txt" * 10
    assert await root.child("out/sub/c.txt").exists()
    assert not await root.child("out/b.csv").exists()
    assert not await root.child("out/sub/deep/d.txt").exists()
    finished = [e for e in events if e.bytes_done == e.bytes_total]
    assert {e.path for e in finished} == {"m:tree/a.txt", "m:tree/sub/c.txt"}
    assert events[-1].files_done == events[-1].files_total == 2


async def test_move_a_tree(root):
    for name in ("a", "s/b"):
        await root.child("mv", name).write_bytes(b"data")
    await root.child("mv").move(root.child("mv2"))
    assert not await root.child("mv").exists()
    assert await root.child("mv2/s/b").read_bytes() == b"data"


async def test_copy_a_tree_onto_a_file_is_refused(root):
    await root.child("t/a").write_bytes(b"1")
    await root.child("file").write_bytes(b"keep")
    with pytest.raises(StorageError, match="m:t.*m:file"):
        await root.child("t").copy(root.child("file"))
    assert await root.child("file").read_bytes() == b"keep"


async def test_copy_a_tree_into_itself_is_refused(root):
    await root.child("t/a").write_bytes(b"1")
    with pytest.raises(StorageError, match="into itself"):
        await root.child("t").copy(root.child("t/inner"))


@pytest.mark.parametrize("strategy", ["exists", "size", "hash"])
async def test_skip_strategies(root, strategy):
    src, dst = root.child("s.txt"), root.child("d.txt")
    await src.write_bytes(b"same!")
    await dst.write_bytes(b"same!")
    report = await src.copy(dst, skip_if=strategy)
    assert report.skipped == ["m:s.txt"] and report.copied == []
    await dst.write_bytes(b"other")  # same size, other content
    report = await src.copy(dst, skip_if=strategy)
    if strategy == "hash":
        assert report.copied == ["m:s.txt"]
        assert await dst.read_bytes() == b"same!"
    else:
        assert report.skipped == ["m:s.txt"]
        assert await dst.read_bytes() == b"other"
    await dst.delete()
    report = await src.copy(dst, skip_if=strategy)
    assert report.copied == ["m:s.txt"]


async def test_unknown_skip_strategy_is_refused_before_anything_happens(root):
    await root.child("s.txt").write_bytes(b"x")
    with pytest.raises(StorageConfigError, match="skip_if"):
        await root.child("s.txt").copy(root.child("d.txt"), skip_if="newer")
    assert not await root.child("d.txt").exists()


async def test_paths_cannot_escape_the_mount(root):
    with pytest.raises(StoragePermissionError, match="escapes"):
        root.child("..", "etc", "passwd")
    with pytest.raises(StoragePermissionError, match="escapes"):
        root.child("a/../../b")
    assert root.child("a/./b/../c").path == "a/c"
    assert root.child("/abs/path").path == "abs/path"


async def test_readonly_mount_refuses_every_write_and_changes_nothing(
    kind, make_config, open_storage
):
    config = make_config(kind)
    writer = open_storage([config])
    from mounts import test_node

    await test_node(writer, "m:keep.txt").write_bytes(b"original")
    reader = open_storage([{**config, "permissions": "readonly"}])
    node = test_node(reader, "m:keep.txt")
    attempts = [
        node.write_bytes(b"changed"),
        node.write_text("changed"),
        node.delete(),
        node.child("x").parent.child("new").mkdir(),
        node.copy(test_node(reader, "m:copy.txt")),
        node.move(test_node(reader, "m:moved.txt")),
    ]
    for attempt in attempts:
        with pytest.raises(StoragePermissionError, match="'m' is readonly"):
            await attempt
    with pytest.raises(StoragePermissionError):
        async with node.open("wb") as f:
            await f.write(b"changed")
    assert await node.read_bytes() == b"original"
    names = [c.basename async for c in test_node(reader, "m:").children()]
    assert names == ["keep.txt"]


async def test_readwrite_mount_refuses_delete(kind, make_config, open_storage):
    from mounts import test_node

    manager = open_storage([make_config(kind, permissions="readwrite")])
    node = test_node(manager, "m:f.txt")
    await node.write_bytes(b"x")
    with pytest.raises(StoragePermissionError, match="delete"):
        await node.delete()
    assert await node.exists()


async def test_copy_across_mounts_both_ways(kind, make_config, open_storage):
    from mounts import test_node

    manager = open_storage([make_config(kind, "a"), make_config("memory", "b")])
    payload = os.urandom(300_000)
    await test_node(manager, "a:x/data.bin").write_bytes(payload)
    await test_node(manager, "a:x").copy(test_node(manager, "b:y"))
    assert await test_node(manager, "b:y/data.bin").read_bytes() == payload
    await test_node(manager, "b:y/data.bin").copy(test_node(manager, "a:back.bin"))
    assert await test_node(manager, "a:back.bin").md5hash() == hashlib.md5(payload).hexdigest()
