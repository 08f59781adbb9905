"""Transfers never lose or misplace data: physical identity, literal names, exact moves.

Each test drives both APIs (``api`` fixture) over real stores. The defects they pin down
were reproduced on earlier versions: a move onto itself through another mount deleted the
file, names from listings were re-read as path expressions, a key with ``//`` made a walk
endless, and a tree move with ``skip_if`` deleted the skipped sources.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mounts import test_node

from genro_storage import StorageError

# -- two mounts over one place --------------------------------------------------------


def twin_configs(kind: str, make_config: Callable[..., dict]) -> list[dict[str, Any]]:
    """Mounts 'a' and 'b' over one place, and 'c' over the folder 'sub' of it."""
    a = make_config(kind, "a")
    b = {**a, "name": "b"}
    if kind == "local":
        os.makedirs(os.path.join(a["path"], "sub"), exist_ok=True)
        c = {**a, "name": "c", "path": os.path.join(a["path"], "sub")}
    elif kind == "memory":
        return [a, b]  # a memory store has no sub-mounts
    else:
        c = {**a, "name": "c", "prefix": f"{a['prefix']}/sub"}
    return [a, b, c]


SAME_PLACE = ["local", "memory", "s3"]


@pytest.mark.parametrize("kind", SAME_PLACE)
async def test_file_move_onto_itself_through_another_mount_is_refused(
    kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage(twin_configs(kind, make_config))
    src = test_node(storage, "a:x.txt")
    await src.write_bytes(b"precious")
    for verb in ("move", "copy"):
        with pytest.raises(StorageError, match="onto itself"):
            await getattr(src, verb)(test_node(storage, "b:x.txt"))
    assert await test_node(storage, "b:x.txt").read_bytes() == b"precious"
    if kind != "memory":  # the same file seen through a mount over its folder
        inner = test_node(storage, "a:sub/y.txt")
        await inner.write_bytes(b"inner")
        with pytest.raises(StorageError, match="onto itself"):
            await inner.move(test_node(storage, "c:y.txt"))
        assert await test_node(storage, "c:y.txt").read_bytes() == b"inner"


@pytest.mark.parametrize("kind", SAME_PLACE)
@pytest.mark.parametrize("target", ["b:t", "b:t/sub", "b:t/sub/deeper"])
async def test_tree_move_into_itself_through_another_mount_is_refused(
    kind: str, target: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage(twin_configs(kind, make_config))
    await test_node(storage, "a:t/one.txt").write_bytes(b"1")
    await test_node(storage, "a:t/sub/two.txt").write_bytes(b"2")
    for verb in ("move", "copy"):
        with pytest.raises(StorageError, match="itself"):
            await getattr(test_node(storage, "a:t"), verb)(test_node(storage, target))
    assert await test_node(storage, "a:t/one.txt").read_bytes() == b"1"
    assert await test_node(storage, "a:t/sub/two.txt").read_bytes() == b"2"


@pytest.mark.parametrize("kind", ["local", "s3"])
async def test_tree_move_onto_a_folder_that_holds_it_is_refused(
    kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    """``a:sub/t`` moved onto ``c:`` (the folder ``a:sub``) would overwrite sources."""
    storage = open_storage(twin_configs(kind, make_config))
    await test_node(storage, "a:sub/t/x.txt").write_bytes(b"x")
    await test_node(storage, "a:sub/t/t/x.txt").write_bytes(b"inner")
    with pytest.raises(StorageError, match="holding it"):
        await test_node(storage, "c:t/t").move(test_node(storage, "a:sub/t"))
    assert await test_node(storage, "a:sub/t/x.txt").read_bytes() == b"x"
    assert await test_node(storage, "a:sub/t/t/x.txt").read_bytes() == b"inner"


async def test_moving_a_mount_root_is_refused(
    make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config("memory", "a"), make_config("memory", "b")])
    await test_node(storage, "a:f.txt").write_bytes(b"f")
    with pytest.raises(StorageError, match="root"):
        await test_node(storage, "a:").move(test_node(storage, "b:copy"))
    assert await test_node(storage, "a:f.txt").read_bytes() == b"f"
    assert not await test_node(storage, "b:copy").exists()


async def test_symlinked_mount_is_the_same_place(
    tmp_path: Path, open_storage: Callable[..., Any]
) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    storage = open_storage(
        [
            {"name": "a", "type": "local", "path": str(tmp_path / "real")},
            {"name": "b", "type": "local", "path": str(tmp_path / "link")},
        ]
    )
    await test_node(storage, "a:x").write_bytes(b"x")
    with pytest.raises(StorageError, match="onto itself"):
        await test_node(storage, "a:x").move(test_node(storage, "b:x"))
    assert (tmp_path / "real" / "x").read_bytes() == b"x"


# -- names from listings are data -------------------------------------------------------

HOSTILE = [
    "..\\..\\..\\escaped.txt",
    "x\\..\\victim.txt",
    "a\\b",
    "%2e%2e",
    "*",
    "[x]",
    "?#",
    " lead and trail ",
    "...",
    ".hidden",
    "日本 é 🎉",
]


async def test_hostile_names_copy_literally_local_to_memory(
    tmp_path: Path, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    src_dir = tmp_path / "src"
    (src_dir / "x").mkdir(parents=True)
    (src_dir / "victim.txt").write_bytes(b"victim")
    for i, name in enumerate(HOSTILE):
        (src_dir / name).write_bytes(f"hostile {i}".encode())
        (src_dir / "x" / name).write_bytes(f"deep {i}".encode())
    storage = open_storage(
        [{"name": "disk", "type": "local", "path": str(tmp_path)}, make_config("memory", "mem")]
    )
    report = await test_node(storage, "disk:src").copy(test_node(storage, "mem:backups/b1"))
    assert not report.failed
    dst = test_node(storage, "mem:backups/b1")
    assert await dst.child_named("victim.txt").read_bytes() == b"victim"
    for i, name in enumerate(HOSTILE):
        assert await dst.child_named(name).read_bytes() == f"hostile {i}".encode()
        deep = dst.child_named("x").child_named(name)
        assert await deep.read_bytes() == f"deep {i}".encode()
    names = sorted([c.basename async for c in _children(test_node(storage, "mem:"))])
    assert names == ["backups"]  # nothing escaped to the mount's root


async def _children(node: Any) -> Any:
    result = node.children()
    if hasattr(result, "__aiter__"):
        async for child in result:
            yield child
    else:
        for child in await result:
            yield child


def test_child_named_refuses_what_is_not_one_segment() -> None:
    from genro_storage import StorageConfigError, StorageManager

    storage = StorageManager([{"name": "m", "type": "memory"}])
    folder = storage.node("m:f")
    for bad in ("", ".", "..", "a/b", "nul\x00"):
        with pytest.raises(StorageConfigError):
            folder.child_named(bad)
    assert folder.child_named("a\\..").path == "f/a\\.."
    assert storage.node("m:a\\..\\b").path == "a\\..\\b"  # '\' is no separator


async def test_delete_of_a_folder_named_with_backslash_dots_keeps_its_parent(
    tmp_path: Path, open_storage: Callable[..., Any]
) -> None:
    (tmp_path / "keep.txt").write_bytes(b"keep")
    (tmp_path / "junk\\..").mkdir()
    (tmp_path / "junk\\.." / "in.txt").write_bytes(b"in")
    storage = open_storage([{"name": "d", "type": "local", "path": str(tmp_path)}])
    root = test_node(storage, "d:")
    page = await root.list()
    (entry,) = [e for e in page.entries if e.name == "junk\\.."]
    await root.child_from(entry).delete(recursive=True)
    assert (tmp_path / "keep.txt").read_bytes() == b"keep"
    assert not (tmp_path / "junk\\..").exists()


# -- object-store keys that are no path ---------------------------------------------------


def _put_raw(server: Any, config: dict[str, Any], key: str, data: bytes) -> None:
    server.client().put_object(Bucket=config["bucket"], Key=f"{config['prefix']}/{key}", Body=data)


@pytest.mark.parametrize("on_error", ["continue", "stop"])
async def test_unaddressable_s3_keys_are_reported_never_misplaced(
    on_error: str,
    s3_server: Any,
    make_config: Callable[..., dict],
    open_storage: Callable[..., Any],
) -> None:
    src = make_config("s3", "s3")
    storage = open_storage([src, make_config("memory", "mem")])
    _put_raw(s3_server, src, "src/ok.txt", b"ok")
    _put_raw(s3_server, src, "src/../../outside.txt", b"evil")
    _put_raw(s3_server, src, "src//double.txt", b"double")
    _put_raw(s3_server, src, "src/a/./b.txt", b"dot")
    children = [c.path async for c in _children(test_node(storage, "s3:src"))]
    assert children == ["src/a", "src/ok.txt"] or children == ["src/ok.txt", "src/a"]
    page = await test_node(storage, "s3:src").list()
    assert any(not e.addressable for e in page.entries)  # listed, marked
    dst = test_node(storage, "mem:backups/b1")
    if on_error == "stop":
        with pytest.raises(StorageError, match="cannot be addressed"):
            await test_node(storage, "s3:src").copy(dst, on_error="stop")
        assert not await dst.exists()  # refused before any write
        return
    report = await test_node(storage, "s3:src").copy(dst, on_error="continue")
    assert report.copied == ["s3:src/ok.txt"]
    assert len(report.failed) >= 3
    assert await test_node(storage, "mem:backups/b1/ok.txt").read_bytes() == b"ok"
    everything = []
    pending = [test_node(storage, "mem:")]
    while pending:  # the whole memory store: nothing but backups/b1/ok.txt
        async for child in _children(pending.pop()):
            if await child.isdir():
                pending.append(child)
            else:
                everything.append(child.path)
    assert everything == ["backups/b1/ok.txt"]


async def test_double_slash_key_makes_no_endless_walk(
    s3_server: Any, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    src = make_config("s3", "s3")
    storage = open_storage([src, make_config("memory", "mem")])
    _put_raw(s3_server, src, "src//double.txt", b"double")
    _put_raw(s3_server, src, "src/plain.txt", b"plain")
    children = [c.path async for c in _children(test_node(storage, "s3:src"))]
    assert children == ["src/plain.txt"]
    report = await test_node(storage, "s3:src").move(
        test_node(storage, "mem:dst"), on_error="continue"
    )
    assert report.copied == ["s3:src/plain.txt"]
    assert report.failed  # the '//' key, reported
    listing = s3_server.client().list_objects_v2(Bucket=src["bucket"], Prefix=src["prefix"])
    keys = [o["Key"][len(src["prefix"]) + 1 :] for o in listing.get("Contents", [])]
    assert keys == ["src//double.txt"]  # the key that was not moved is still there


# -- moves delete exactly what they copied ------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "local", "s3"])
async def test_tree_move_with_skip_keeps_skipped_and_new_sources(
    kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config(kind, "a"), make_config("memory", "b")])
    await test_node(storage, "a:src/keep.txt").write_bytes(b"source keep")
    await test_node(storage, "a:src/go.txt").write_bytes(b"go")
    await test_node(storage, "a:src/sub/go2.txt").write_bytes(b"go2")
    await test_node(storage, "b:dst/keep.txt").write_bytes(b"dest keep")
    created = []
    sync = storage.as_sync() if hasattr(storage, "as_sync") else storage

    def progress(event: Any) -> None:
        # A file that appears in the source while the move runs must survive it.
        if not created:
            created.append(True)
            sync.node("a:src/sub/new.txt").write_bytes(b"new")

    report = await test_node(storage, "a:src").move(
        test_node(storage, "b:dst"), skip_if="exists", progress=progress
    )
    assert report.skipped == ["a:src/keep.txt"]
    assert sorted(report.copied) == ["a:src/go.txt", "a:src/sub/go2.txt"]
    assert await test_node(storage, "a:src/keep.txt").read_bytes() == b"source keep"
    assert await test_node(storage, "a:src/sub/new.txt").read_bytes() == b"new"
    assert not await test_node(storage, "a:src/go.txt").exists()
    assert not await test_node(storage, "a:src/sub/go2.txt").exists()
    assert await test_node(storage, "b:dst/keep.txt").read_bytes() == b"dest keep"
    assert await test_node(storage, "b:dst/sub/go2.txt").read_bytes() == b"go2"


@pytest.mark.parametrize("kind", ["memory", "local", "s3"])
async def test_tree_move_removes_only_emptied_folders(
    kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config(kind, "a"), make_config("memory", "b")])
    await test_node(storage, "a:src/x/one.txt").write_bytes(b"1")
    await test_node(storage, "a:src/y/two.log").write_bytes(b"2")
    await test_node(storage, "a:src/empty").mkdir(parents=True)
    report = await test_node(storage, "a:src").move(test_node(storage, "b:dst"), exclude="*.log")
    assert report.copied == ["a:src/x/one.txt"]
    assert not await test_node(storage, "a:src/x").exists()
    assert not await test_node(storage, "a:src/empty").exists()
    assert await test_node(storage, "a:src/y/two.log").read_bytes() == b"2"
    assert await test_node(storage, "b:dst/x/one.txt").read_bytes() == b"1"
