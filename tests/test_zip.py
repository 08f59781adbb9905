"""``node.zip()``: bytes of a file, a tree or a virtual node, and ``zip(dst)`` streamed
into any node in bounded memory; local, memory and S3 (moto), both APIs.

Entry names are the relative paths; a name an unzip tool could read as a path outside
its folder (backslash, NUL, drive letter) is refused before anything is written, and
every archive made here extracts inside its folder.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import os
import random
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from memwatch import PeakRSS

from genro_storage import (
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage._shared.zipping import check_entry_name
from genro_storage.async_ import AsyncStorageManager

KINDS = ["local", "memory", "s3"]
MiB = 1024 * 1024


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def fact(node: Any, name: str) -> Any:
    value = getattr(node, name)
    return await value() if callable(value) else value


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]) -> Any:
    return open_storage([make_config(kind)])


TREE = {"top.txt": b"top", "sub/a.csv": b"1,2\n", "sub/deeper/b.bin": bytes(range(256)) * 40}


async def make_tree(storage: Any, where: str = "m:tree") -> Any:
    folder = storage.node(where)
    for rel, data in TREE.items():
        await run(folder.child(rel).write_bytes(data))
    return folder


async def test_file_tree_and_virtual_as_bytes(storage: Any) -> None:
    folder = await make_tree(storage)
    assert members(await run(folder.zip())) == TREE
    assert members(await run(folder.child("top.txt").zip())) == {"top.txt": b"top"}
    both = storage.iternode(folder.child("top.txt"), folder.child("sub/a.csv"))
    assert members(await run(both.zip())) == {"top.txt": b"top", "a.csv": b"1,2\n"}
    diff = storage.diffnode(folder.child("top.txt"), folder.child("sub/a.csv"))
    assert list(members(await run(diff.zip()))) == ["top.txt.diff"]


async def test_zip_into_a_node(storage: Any) -> None:
    folder = await make_tree(storage)
    landed = await run(folder.zip(storage.node("m:archives/tree.zip")))
    assert landed.fullpath == "m:archives/tree.zip"
    assert members(await run(landed.read_bytes())) == TREE
    text = await run(folder.zip("m:archives/by-name.zip"))  # 'mount:path' works too
    assert members(await run(text.read_bytes())) == TREE


async def test_zip_across_mounts(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config("memory", name="m"), make_config("s3", name="s3")])
    folder = await make_tree(storage)
    landed = await run(folder.zip(storage.node("s3:out/tree.zip")))
    assert members(await run(landed.read_bytes())) == TREE


async def test_iternode_duplicate_names_are_numbered(storage: Any) -> None:
    a = await run(storage.node("m:x/report.txt").write_text("one"))
    b = await run(storage.node("m:y/report.txt").write_text("two"))
    both = storage.iternode(a, b, a)
    assert members(await run(both.zip())) == {
        "report.txt": b"one",
        "report-2.txt": b"two",
        "report-3.txt": b"one",
    }


@pytest.mark.parametrize("name", ["a\\..\\..\\evil.txt", "C:evil.txt", "..\\x"])
@pytest.mark.parametrize("store_kind", ["local", "memory"])
async def test_hostile_names_are_refused_before_writing(
    api: str,
    store_kind: str,
    name: str,
    make_config: Callable[..., dict],
    open_storage: Callable[..., Any],
) -> None:
    storage = open_storage([make_config(store_kind)])
    folder = storage.node("m:tree")
    await run(folder.child_named("fine.txt").write_text("fine"))
    await run(folder.child_named(name).write_text("evil"))
    dst = storage.node("m:out.zip")
    with pytest.raises(StorageError, match="outside"):
        await run(folder.zip(dst))
    with pytest.raises(StorageError, match="outside"):
        await run(folder.zip())
    assert not await fact(dst, "exists")


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/../b", "/abs", "a//b", "a\\b", "nul\x00", "C:x", "z:"]
)
def test_check_entry_name_refuses_traversal(name: str) -> None:
    with pytest.raises(StorageError):
        check_entry_name(name)


@pytest.mark.parametrize("name", ["a.txt", "dir/b.txt", "2024-01-01T10:00.log", "ü n/%2e%2e"])
def test_check_entry_name_keeps_ordinary_names(name: str) -> None:
    assert check_entry_name(name) == name


_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200)
@given(st.lists(_segment, min_size=1, max_size=4))
def test_accepted_names_extract_inside_the_folder(parts: list[str]) -> None:
    """Whatever name passes the check extracts below the target folder, as itself."""
    name = "/".join(parts)
    try:
        check_entry_name(name)
    except StorageError:
        return
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, b"x")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer) as archive:
        target = Path(tmp, "out")
        archive.extractall(target)
        (info,) = archive.infolist()
        assert info.filename == name
        assert (target / name).read_bytes() == b"x"
        for dirpath, _, files in os.walk(tmp):
            for file in files:
                real = os.path.realpath(os.path.join(dirpath, file))
                assert real.startswith(str(target.resolve()) + os.sep)


async def test_odd_but_safe_names_round_trip(storage: Any, tmp_path: Path) -> None:
    names = ["sp ace.txt", "ünïcode.txt", "per%2e%2ecent", "star*?.txt", "-dash"]
    folder = storage.node("m:odd")
    for name in names:
        await run(folder.child_named(name).write_text(name))
    data = await run(folder.zip())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    for name in names:
        assert (tmp_path / name).read_text() == name


async def test_errors(storage: Any) -> None:
    with pytest.raises(StorageNotFoundError):
        await run(storage.node("m:missing").zip())
    with pytest.raises(StorageNotFoundError):
        await run(storage.node("m:missing").zip("m:out.zip"))
    assert not await fact(storage.node("m:out.zip"), "exists")
    node = await run(storage.node("m:f.txt").write_text("x"))
    with pytest.raises(TypeError):
        await run(node.zip(42))
    await run(storage.node("m:empty/").mkdir(parents=True, exist_ok=True))


async def test_empty_folder_gives_an_empty_archive(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config("local")])
    folder = storage.node("m:empty")
    await run(folder.mkdir())
    assert members(await run(folder.zip())) == {}


async def test_zip_into_read_only_mount_is_refused(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    rw = make_config("memory", name="rw")
    storage = open_storage([rw, {**rw, "name": "ro", "permissions": "readonly"}])
    node = await run(storage.node("rw:f.txt").write_text("x"))
    with pytest.raises(StoragePermissionError):
        await run(node.zip(storage.node("ro:f.zip")))
    assert not await fact(storage.node("rw:f.zip"), "exists")


async def test_cancelled_zip_publishes_nothing(make_config: Callable[..., dict], kind: str) -> None:
    async with AsyncStorageManager([make_config(kind)]) as storage:
        folder = storage.node("m:big")
        rng = random.Random(1)
        # 3 MiB files: above the memory store's inline threshold, so the zip's reads are
        # thread hops and the task is suspended (cancellable) between them
        for i in range(12):
            await folder.child(f"f{i}.bin").write_bytes(rng.randbytes(3 * MiB))
        dst = storage.node("m:out.zip")
        task = asyncio.ensure_future(folder.zip(dst))
        await asyncio.sleep(0.05)
        assert not task.done()  # still zipping: the cancel below lands mid-way
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not await dst.exists()


def test_zip_into_s3_in_bounded_memory(make_config: Callable[..., dict]) -> None:
    """A 192 MiB tree zipped into S3 grows this process by far less than the archive."""
    config = make_config("local")
    rng = random.Random(7)
    for i in range(6):
        Path(config["path"], "tree", f"part{i}.bin").parent.mkdir(exist_ok=True)
        with open(Path(config["path"], "tree", f"part{i}.bin"), "wb") as f:
            for _ in range(32):
                f.write(rng.randbytes(MiB))
    with StorageManager([config, make_config("s3", name="s3")]) as storage:
        with PeakRSS() as peak:
            landed = storage.node("m:tree").zip(storage.node("s3:tree.zip"))
        assert landed.size is not None and landed.size > 190 * MiB
    assert peak.growth < 64 * MiB, f"memory grew by {peak.growth / MiB:.1f} MiB"


@pytest.mark.parametrize("key", ["tree/a/../../escape.txt", "tree/./dot.txt", "tree//empty.txt"])
async def test_unaddressable_object_keys_refuse_the_zip(
    api: str,
    key: str,
    s3_server: Any,
    make_config: Callable[..., dict],
    open_storage: Callable[..., Any],
) -> None:
    """A bucket key that is not a path of the tree (``..``, ``.`` or empty segments)
    never becomes an entry: the archive is refused before anything is written."""
    config = make_config("s3")
    storage = open_storage([config])
    await run(storage.node("m:tree/fine.txt").write_text("fine"))
    s3_server.client().put_object(
        Bucket=config["bucket"], Key=f"{config['prefix']}/{key}", Body=b"evil"
    )
    dst = storage.node("m:out.zip")
    with pytest.raises(StorageError, match="Cannot zip"):
        await run(storage.node("m:tree").zip(dst))
    assert not await fact(dst, "exists")
