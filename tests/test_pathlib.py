"""The pathlib vocabulary on both node classes (issue 11, item 3): ``str(node)`` and
ordering, path arithmetic, ``glob``/``rglob``/``walk``/``iterdir``, and ``touch``,
``rename``, ``unlink``, ``rmdir``; on memory, local and S3 (moto), through both APIs.

Glob results are checked against an oracle written here (segment by segment with
``fnmatch.fnmatchcase``, ``**`` as zero or more segments), over trees whose names are
hostile: ``*``, ``[a]``, ``a\\b``, ``..x``, dotfiles, spaces and non-ASCII.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import time
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager

KINDS = ["memory", "local", "s3"]

#: Files of the test tree (folders are implied); every name is data, never a pattern.
TREE = [
    "a.csv",
    "b.txt",
    ".hidden",
    "*",
    "[a]",
    "a\\b",
    "..x",
    "é x.csv",
    "data/2024/jan.csv",
    "data/2024/feb.txt",
    "data/2025/mar.csv",
    "data/*/star.csv",
    "data/[a]/bracket.csv",
    "deep/a/b/c/d.csv",
    "deep/a/b/c/..x",
    "deep/.dot/e.csv",
]


@pytest.fixture(params=KINDS)
def pkind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def storage(pkind: str, make_config: Any, open_storage: Any) -> Any:
    return open_storage([make_config(pkind)])


# -- how a test body drives either API --------------------------------------------


def is_sync(node: Any) -> bool:
    return isinstance(node._manager, StorageManager)


async def run(node: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``node.method(*args)``: in a thread for the sync API, awaited for the async one."""
    fn = getattr(node, method)
    if is_sync(node):
        return await asyncio.to_thread(fn, *args, **kwargs)
    return await fn(*args, **kwargs)


async def items(node: Any, method: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Everything a tree iterator yields (sync iterator or async iterator)."""
    if is_sync(node):
        return await asyncio.to_thread(lambda: list(getattr(node, method)(*args, **kwargs)))
    return [item async for item in getattr(node, method)(*args, **kwargs)]


async def exists(node: Any) -> bool:
    if is_sync(node):
        return await asyncio.to_thread(lambda: node.exists)
    return await node.exists()


async def build(root: Any, files: list[str] = TREE) -> None:
    for path in files:
        node = root
        for name in path.split("/"):
            node = node.child_named(name)  # names are data: '..x' stays '..x'
        await run(node, "write_bytes", path.encode())


def everything(files: list[str]) -> dict[str, bool]:
    """Every entry below the root implied by ``files``: relative path -> is a folder."""
    out: dict[str, bool] = {}
    for path in files:
        segments = path.split("/")
        for i in range(1, len(segments)):
            out["/".join(segments[:i])] = True
        out[path] = False
    return out


def oracle_match(pattern: list[str], segments: list[str], isdir: bool = True) -> bool:
    """Whether ``segments`` match ``pattern`` (``**``: zero or more segments). A path
    ended by a segment that only ``**`` segments follow is a folder ('a/**' is 'a' and
    what it holds), unless a ``**`` matched that last segment itself."""

    def go(pat: list[str], segs: list[str], by_star: bool) -> bool:
        if not segs:
            return all(p == "**" for p in pat) and (not pat or isdir or by_star)
        if not pat:
            return False
        head = pat[0]
        if head == "**":
            return go(pat[1:], segs, by_star) or go(pat, segs[1:], True)
        return fnmatch.fnmatchcase(segs[0], head) and go(pat[1:], segs[1:], False)

    return go(pattern, segments, False)


def oracle(files: list[str], pattern: str) -> list[str]:
    """The relative paths ``glob(pattern)`` must give from the root ('' is the root)."""
    dirs_only = pattern.endswith("/")
    segs = [s for s in pattern.split("/") if s not in ("", ".")]
    found = []
    for path, isdir in {"": True, **everything(files)}.items():
        parts = path.split("/") if path else []
        if oracle_match(segs, parts, isdir) and (isdir or not dirs_only):
            found.append(path)
    return sorted(found)


PATTERNS = [
    "*",
    "*.csv",
    "**/*.csv",
    "**",
    "*/",
    "**/",
    "data/*/*.csv",
    "data/2024/*",
    "data/[[]a]/*",
    "data/[*]/*",
    "[*]",
    "[[]a]",
    "a\\b",
    "..x",
    "**/..x",
    ".*",
    "?.csv",
    "[!a]*",
    "deep/**/d.csv",
    "deep/**",
    "data/2024/jan.csv",
    "data/nope/*",
    "missing",
    "a.csv/*",
    "a.csv/**",
    "data/**",
    "*/**",
    "data/2024/jan.csv/**",
    "**/c/",
    "./data/./2025/*",
    "data//2025/*",
]


# -- str, ordering, arithmetic -----------------------------------------------------


@pytest.mark.parametrize("sync", [True, False])
async def test_str_is_the_spec_and_nodes_sort_by_it(sync: bool) -> None:
    config = [{"name": "m", "type": "memory"}, {"name": "n", "type": "memory"}]
    manager: Any = StorageManager(config) if sync else AsyncStorageManager(config)
    node = manager.node("m:dir/a b.txt")
    assert str(node) == "m:dir/a b.txt" == node.fullpath
    assert str(manager.node("m:")) == "m:"
    assert f"{node}" == "m:dir/a b.txt"
    assert manager.node(str(node)) == node
    assert repr(node).endswith("('m:dir/a b.txt')")  # the repr still names the class
    nodes = [manager.node(s) for s in ("n:a", "m:b", "m:a/z", "m:a", "m:")]
    assert [str(n) for n in sorted(nodes)] == ["m:", "m:a", "m:a/z", "m:b", "n:a"]
    assert manager.node("m:a") < manager.node("m:b") <= manager.node("m:b")
    assert manager.node("m:c") > manager.node("m:b") >= manager.node("m:b")
    other: Any = AsyncStorageManager(config) if sync else StorageManager(config)
    with pytest.raises(TypeError):
        sorted([manager.node("m:a"), other.node("m:b")])  # two APIs do not mix
    with pytest.raises(TypeError):
        _ = manager.node("m:a") < "m:b"
    if not sync:
        await manager.close()
    else:
        await other.close()


@pytest.mark.parametrize("sync", [True, False])
async def test_path_arithmetic_takes_names_literally(sync: bool) -> None:
    config = [{"name": "m", "type": "memory"}, {"name": "o", "type": "memory"}]
    manager: Any = StorageManager(config) if sync else AsyncStorageManager(config)
    root = manager.node("m:")
    node = manager.node("m:data/archive.tar.gz")
    assert node.parts == ("data", "archive.tar.gz")
    assert root.parts == ()
    assert node.suffixes == [".tar", ".gz"] and node.suffixes[-1] == node.suffix
    assert manager.node("m:.bashrc").suffixes == []
    assert manager.node("m:..x").suffixes == [".x"]
    assert node.with_name("b.csv") == manager.node("m:data/b.csv")
    assert node.with_suffix(".zip") == manager.node("m:data/archive.tar.zip")
    assert node.with_suffix("") == manager.node("m:data/archive.tar")
    assert node.with_stem("x") == manager.node("m:data/x.gz")
    for hostile in ("..x", "a\\b", "*", "[a]", "é x", "%2e%2e"):
        sibling = node.with_name(hostile)
        assert sibling.name == hostile and sibling.parent == node.parent
    for bad in ("a/b", "..", ".", "", "x\x00y"):
        with pytest.raises(StorageConfigError):
            node.with_name(bad)
    for bad_suffix in ("zip", "./x", "/.x"):
        with pytest.raises(StorageConfigError):
            node.with_suffix(bad_suffix)
    with pytest.raises(StorageConfigError):
        node.with_stem("")
    for method, arg in (("with_name", "x"), ("with_suffix", ".x"), ("with_stem", "x")):
        with pytest.raises(StorageConfigError, match="root"):
            getattr(root, method)(arg)
    for method in ("with_name", "with_suffix", "with_stem", "match"):
        with pytest.raises(StorageConfigError):
            getattr(node, method)(3)
    assert node.relative_to(root) == "data/archive.tar.gz"
    assert node.relative_to(manager.node("m:data")) == "archive.tar.gz"
    assert node.relative_to("m:data") == "archive.tar.gz"
    assert node.relative_to(node) == "."
    with pytest.raises(StorageConfigError):
        node.relative_to(manager.node("m:dat"))  # a prefix of the text, not a folder above
    with pytest.raises(StorageConfigError):
        node.relative_to(manager.node("o:data"))
    with pytest.raises(StorageConfigError):
        node.relative_to(42)
    assert node.match("*.gz") and node.match("data/*.gz") and node.match("**/*.gz")
    assert node.match("/data/*.gz") and not node.match("/*.gz")
    assert not node.match("*.csv") and not node.match("other/*.gz")
    assert manager.node("m:[a]").match("[[]a]") and not manager.node("m:[a]").match("[a]")
    assert manager.node("m:a\\b").match("a\\b")
    with pytest.raises(StorageConfigError):
        node.match("")
    if not sync:
        await manager.close()


# -- glob, rglob ---------------------------------------------------------------------


async def test_glob_matches_like_pathlib_with_hostile_names(storage: Any) -> None:
    root = storage.node("m:")
    await build(root)
    for pattern in PATTERNS:
        found = await items(root, "glob", pattern)
        got = sorted(n.relative_to(root) for n in found)
        want = [p if p else "." for p in oracle(TREE, pattern)]
        assert got == sorted(want), pattern
        assert len(found) == len(set(found)), f"{pattern}: duplicates"
        assert all(type(n) is type(root) for n in found)


async def test_rglob_is_glob_below_every_folder(storage: Any) -> None:
    root = storage.node("m:")
    await build(root)
    data = root.child("data")
    for pattern in ("*.csv", "*", "..x", "[[]a]", "*/", "2024/*"):
        got = sorted(str(n) for n in await items(root, "rglob", pattern))
        want = sorted(f"m:{p}" for p in oracle(TREE, f"**/{pattern}"))
        assert got == want, pattern
    below = sorted(n.relative_to(data) for n in await items(data, "rglob", "*.csv"))
    assert below == ["*/star.csv", "2024/jan.csv", "2025/mar.csv", "[a]/bracket.csv"]


async def test_glob_refuses_bad_patterns(storage: Any) -> None:
    root = storage.node("m:")
    for method in ("glob", "rglob"):
        for bad in ("", "/abs", "../x", "a/../b", "..", "a\x00b", 3, None, b"*"):
            with pytest.raises(StorageConfigError):
                await items(root, method, bad)
    with pytest.raises(StorageConfigError):
        root.glob("/x")  # refused when called, before any iteration


async def test_glob_of_a_missing_folder_or_a_file_finds_nothing(storage: Any) -> None:
    root = storage.node("m:")
    await build(root, ["f.txt", "d/g.txt"])
    assert await items(root.child("nope"), "glob", "*") == []
    assert await items(root.child("nope"), "glob", "**") == []
    assert await items(root.child("f.txt"), "glob", "*") == []
    assert await items(root.child("f.txt"), "rglob", "*") == []
    assert [str(n) for n in await items(root.child("d"), "glob", "**")] == ["m:d", "m:d/g.txt"]


async def test_glob_lists_only_below_the_literal_prefix_once_per_folder(
    storage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = storage.node("m:")
    await build(root, TREE + [f"other/o{i}.csv" for i in range(5)])
    backend = root._backend
    listed: list[str] = []
    real = backend.list
    if is_sync(root):

        def spy(path: str, *args: Any) -> Any:
            listed.append(path)
            return real(path, *args)
    else:

        async def spy(path: str, *args: Any) -> Any:
            listed.append(path)
            return await real(path, *args)

    monkeypatch.setattr(backend, "list", spy)
    found = await items(root, "glob", "data/2024/*.csv")
    assert [str(n) for n in found] == ["m:data/2024/jan.csv"]
    assert listed == ["data/2024"]  # the literal prefix, never the mount or 'other'
    listed.clear()
    assert len(await items(root, "glob", "data/2024/jan.csv")) == 1
    assert listed == []  # literal names are looked at, not listed
    listed.clear()
    await items(root, "rglob", "*")
    assert len(listed) == len(set(listed))  # each folder at most once
    folders = {p for p, isdir in everything(TREE).items() if isdir} | {"", "other"}
    assert set(listed) == folders


async def test_glob_iterates_lazily_page_by_page(storage: Any) -> None:
    root = storage.node("m:")
    await build(root, [f"big/f{i:04d}.txt" for i in range(1005)] + ["big/sub/x.txt"])
    if is_sync(root):
        iterator = root.glob("big/**")
        first = await asyncio.to_thread(next, iterator)
    else:
        iterator = root.glob("big/**")
        first = await iterator.__anext__()
        await iterator.aclose()
    assert str(first) == "m:big"
    everything_found = await items(root, "rglob", "*.txt")
    assert len(everything_found) == 1006


# -- walk, iterdir -------------------------------------------------------------------


async def test_walk_is_top_down_like_pathlib_and_prunes(storage: Any) -> None:
    root = storage.node("m:")
    await build(root)
    walked = await items(root, "walk")
    tops = [(str(folder), dirs, files) for folder, dirs, files in walked]
    top_files = [".hidden", "*", "..x", "[a]", "a.csv", "a\\b", "b.txt", "é x.csv"]
    assert tops[0] == ("m:", ["data", "deep"], sorted(top_files))
    seen = {folder.relative_to(root): (dirs, files) for folder, dirs, files in walked}
    tree = everything(TREE)
    for folder in [p for p, isdir in tree.items() if isdir] + ["."]:
        prefix = "" if folder == "." else f"{folder}/"
        children = [p[len(prefix) :] for p in tree if p.startswith(prefix) and p != folder]
        direct = [c for c in children if "/" not in c]
        assert sorted(seen[folder][0]) == sorted(c for c in direct if tree[prefix + c])
        assert sorted(seen[folder][1]) == sorted(c for c in direct if not tree[prefix + c])
    order = [str(folder) for folder, _, _ in walked]
    for i, name in enumerate(order):  # each folder comes before everything below it
        assert all(not o.startswith(f"{name}/") for o in order[:i])

    bottom_up = [str(folder) for folder, _, _ in await items(root, "walk", top_down=False)]
    assert sorted(bottom_up) == sorted(order) and bottom_up[-1] == "m:"

    if is_sync(root):

        def pruned() -> list[str]:
            out = []
            for folder, dirs, _files in root.walk():
                out.append(str(folder))
                dirs[:] = [d for d in dirs if d != "deep"] + ["nonexistent", 3]
            return out

        visited = await asyncio.to_thread(pruned)
    else:
        visited = []
        async for folder, dirs, _files in root.walk():
            visited.append(str(folder))
            dirs[:] = [d for d in dirs if d != "deep"] + ["nonexistent", 3]
    assert visited and not [v for v in visited if v.startswith("m:deep")]
    assert "m:data/2024" in visited

    assert await items(root.child("nope"), "walk") == []
    assert await items(root.child("a.csv"), "walk") == []
    with pytest.raises(StorageConfigError):
        await items(root, "walk", top_down="yes")


async def test_iterdir_is_children(storage: Any) -> None:
    root = storage.node("m:")
    await build(root)
    listed = await items(root, "iterdir")
    if is_sync(root):
        children = await asyncio.to_thread(root.children)
    else:
        children = [c async for c in root.children()]
    assert listed == children and len(listed) == 10


# -- file operations -----------------------------------------------------------------


async def test_touch(storage: Any, pkind: str) -> None:
    root = storage.node("m:")
    node = root.child("sub/new.txt")
    made = await run(node, "touch")
    assert made == node and await run(node, "read_bytes") == b""
    await run(node, "write_bytes", b"kept")
    assert await run(node, "touch") == node
    assert await run(node, "read_bytes") == b"kept"  # an existing file keeps its content
    with pytest.raises(StorageExistsError):
        await run(node, "touch", exist_ok=False)
    with pytest.raises(StorageConfigError):
        await run(node, "touch", exist_ok="no")
    literal = root.child_named("..x")
    await run(literal, "touch")
    assert await exists(literal) and await exists(root.child_named("..x"))
    if pkind == "local":
        with node.as_sync().local_path() as path:
            os.utime(path, (1_000_000, 1_000_000))
        before = time.time() - 60
        await run(node, "touch")
        assert await run(node, "mtime") >= before if not is_sync(node) else node.mtime >= before


async def test_touch_rename_unlink_rmdir_refused_on_a_read_only_mount(
    pkind: str, make_config: Any, open_storage: Any
) -> None:
    config = make_config(pkind)
    storage = open_storage([config, {**config, "name": "ro", "permissions": "readonly"}])
    await run(storage.node("m:f.txt"), "write_bytes", b"x")
    await run(storage.node("m:d"), "mkdir")
    ro = storage.node("ro:f.txt")
    with pytest.raises(StoragePermissionError):
        await run(ro, "touch")
    with pytest.raises(StoragePermissionError):
        await run(ro, "rename", "ro:g.txt")
    with pytest.raises(StoragePermissionError):
        await run(ro, "unlink")
    with pytest.raises(StoragePermissionError):
        await run(storage.node("ro:d"), "rmdir")
    assert await run(storage.node("m:f.txt"), "read_bytes") == b"x"


async def test_rename_within_a_mount(storage: Any, make_config: Any, pkind: str) -> None:
    root = storage.node("m:")
    await build(root, ["a.txt", "b.txt", "tree/x/y.txt", "tree/z.txt", "full/k.txt"])
    a = root.child("a.txt")
    moved = await run(a, "rename", a.with_name("..x"))
    assert moved == root.child_named("..x") and not await exists(a)
    assert await run(moved, "read_bytes") == b"a.txt"
    back = await run(moved, "rename", "m:a.txt")  # a 'mount:path' string
    assert back == a and await run(a, "read_bytes") == b"a.txt"
    assert await run(a, "rename", a) == a  # onto itself: nothing to do
    replaced = await run(a, "rename", root.child("b.txt"))  # POSIX: a file is replaced
    assert await run(replaced, "read_bytes") == b"a.txt" and not await exists(a)
    tree = root.child("tree")
    renamed = await run(tree, "rename", root.child("new/tree"))
    assert sorted(n.relative_to(renamed) for n in await items(renamed, "rglob", "*")) == [
        "x",
        "x/y.txt",
        "z.txt",
    ]
    assert not await exists(tree)
    with pytest.raises(StorageExistsError):
        await run(renamed, "rename", root.child("full"))  # a folder with entries
    assert await exists(renamed.child("z.txt"))
    with pytest.raises(StorageError):
        await run(renamed, "rename", root.child("b.txt"))  # a folder onto a file
    with pytest.raises(StorageNotFoundError):
        await run(root.child("nope"), "rename", root.child("other"))
    with pytest.raises(StorageConfigError, match="mount:path"):
        await run(replaced, "rename", "c.txt")
    with pytest.raises(TypeError):
        await run(replaced, "rename", 3)


async def test_rename_refuses_another_mount(
    pkind: str, make_config: Any, open_storage: Any
) -> None:
    storage = open_storage([make_config(pkind), make_config("memory", "o")])
    node = storage.node("m:f.txt")
    await run(node, "write_bytes", b"stay")
    with pytest.raises(StorageConfigError, match="move"):
        await run(node, "rename", storage.node("o:f.txt"))
    with pytest.raises(StorageConfigError, match="move"):
        await run(node, "rename", "o:f.txt")
    twin = open_storage([make_config("memory")])  # another manager's mount 'm'
    with pytest.raises(StorageConfigError, match="move"):
        await run(node, "rename", twin.node("m:f.txt"))
    assert await run(node, "read_bytes") == b"stay"
    assert not await exists(storage.node("o:f.txt"))
    folder = storage.node("m:d")
    await run(folder.child("x.txt"), "write_bytes", b"x")
    with pytest.raises(StorageError, match="into itself"):
        await run(folder, "rename", folder.child("inner"))
    assert await run(folder.child("x.txt"), "read_bytes") == b"x"


async def test_unlink(storage: Any) -> None:
    root = storage.node("m:")
    await build(root, ["f.txt", "d/g.txt", "a\\b"])
    await run(root.child("f.txt"), "unlink")
    assert not await exists(root.child("f.txt"))
    with pytest.raises(StorageNotFoundError):
        await run(root.child("f.txt"), "unlink")
    await run(root.child("f.txt"), "unlink", missing_ok=True)
    with pytest.raises(StorageError, match="Is a directory"):
        await run(root.child("d"), "unlink")
    assert await exists(root.child("d/g.txt"))
    await run(root.child_named("a\\b"), "unlink")
    assert not await exists(root.child_named("a\\b"))
    with pytest.raises(StorageConfigError):
        await run(root.child("d/g.txt"), "unlink", missing_ok=1)


async def test_rmdir(storage: Any) -> None:
    root = storage.node("m:")
    await build(root, ["full/g.txt", "f.txt"])
    empty = root.child("empty")
    await run(empty, "mkdir")
    await run(empty, "rmdir")
    assert not await exists(empty)
    with pytest.raises(StorageError, match="not empty"):
        await run(root.child("full"), "rmdir")
    assert await exists(root.child("full/g.txt"))
    with pytest.raises(StorageError, match="Not a directory"):
        await run(root.child("f.txt"), "rmdir")
    assert await exists(root.child("f.txt"))
    with pytest.raises(StorageNotFoundError):
        await run(root.child("nope"), "rmdir")
    with pytest.raises(StorageError, match="root"):
        await run(root, "rmdir")
    await run(root.child("full/g.txt"), "unlink")
    if await exists(root.child("full")):  # object stores: the folder went with its file
        await run(root.child("full"), "rmdir")
    assert not await exists(root.child("full"))


# -- local disk: loops and links ------------------------------------------------------


@pytest.mark.parametrize("sync", [True, False])
async def test_glob_and_walk_terminate_on_symlink_loops(tmp_path: Any, sync: bool) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.txt").write_text("f")
    os.symlink(tmp_path / "a", tmp_path / "b")  # an alias of a folder inside the mount
    os.symlink(tmp_path, tmp_path / "a" / "up")  # a loop back to the root
    os.symlink("/etc", tmp_path / "out")  # a way out of the mount
    config = [{"name": "d", "type": "local", "path": str(tmp_path)}]
    manager: Any = StorageManager(config) if sync else AsyncStorageManager(config)
    root = manager.node("d:")
    found = [str(n) for n in await items(root, "rglob", "*")]
    assert len(found) == len(set(found))
    assert [f for f in found if f.endswith("f.txt")] in (["d:a/f.txt"], ["d:b/f.txt"])
    assert not [f for f in found if f.startswith("d:out/")]
    walked = [str(folder) for folder, _, _ in await items(root, "walk")]
    assert len(walked) == len(set(walked)) and "d:out" not in walked
    if not sync:
        await manager.close()


# -- hypothesis: random hostile trees and patterns, against the oracle -----------------

NAMES = st.sampled_from(["a", "b.csv", "*", "[a]", "a\\b", "..x", ".h", "é x", "?", "ab"])
SEGMENTS = st.sampled_from(
    ["*", "?", "[a]", "[[]a]", "[*]", "**", "a", "*.csv", "..x", "a\\b", ".*", "[!a]*", "?b"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(st.lists(NAMES, min_size=1, max_size=3), min_size=1, max_size=8),
    pattern=st.lists(SEGMENTS, min_size=1, max_size=4),
    dirs_only=st.booleans(),
)
def test_glob_agrees_with_the_oracle_on_random_hostile_trees(
    files: list[list[str]], pattern: list[str], dirs_only: bool
) -> None:
    paths = ["/".join(f) for f in files]
    # a name cannot be both a file and a folder: keep the first role each path gets
    kept: list[str] = []
    for path in paths:
        if not any(k == path or k.startswith(f"{path}/") or path.startswith(f"{k}/") for k in kept):
            kept.append(path)
    text = "/".join(pattern) + ("/" if dirs_only else "")
    want = sorted(f"m:{p}" for p in oracle(kept, text))
    config = [{"name": "m", "type": "memory", "store": f"hyp-{uuid.uuid4().hex}"}]
    sync = StorageManager(config)
    root = sync.node("m:")
    for path in kept:
        at(root, path).write_bytes(b"x")
    assert sorted(str(n) for n in root.glob(text)) == want
    for entry in everything(kept):
        anchored = "/" + "/".join(pattern)
        assert at(root, entry).match(anchored) == oracle_match(pattern, entry.split("/"))

    async def through_async() -> list[str]:
        async with AsyncStorageManager(config) as storage:
            return sorted([str(n) async for n in storage.node("m:").glob(text)])

    assert asyncio.run(through_async()) == want


def at(root: Any, path: str) -> Any:
    """The node at ``path`` below ``root``, each segment taken literally."""
    node = root
    for name in path.split("/"):
        node = node.child_named(name)
    return node
