"""Hostile tests of the features merged for issues 11, 13 and 15 (seekable files, the
pathlib vocabulary, progress bars, call/zip/virtual nodes, relative mounts, versions,
0.x compat). Each test names the defect it pinned down; both APIs where they apply."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageManager,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager


async def _run(manager: Any, value: Any) -> Any:
    """``value`` for the sync API, awaited for the async one."""
    return await value if isinstance(manager, AsyncStorageManager) else value


async def _fact(manager: Any, node: Any, name: str) -> Any:
    """A fact (``exists``, ``size``...): a property in the sync API, awaited in the async."""
    value = getattr(node, name)
    return await value() if isinstance(manager, AsyncStorageManager) else value


async def _nodes(manager: Any, iterator: Any) -> list[str]:
    """The ``mount:path`` of every node an iterator (sync or async) yields."""
    if isinstance(manager, AsyncStorageManager):
        return sorted([str(n) async for n in iterator])
    return sorted(str(n) for n in iterator)


def _manager(api: str, configs: list[dict[str, Any]]) -> Any:
    return StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)


async def _close(manager: Any) -> None:
    await _run(manager, manager.close())


# -- relative mounts: a symlink inside the folder must not lead out of it -----------


@pytest.fixture
def linked_tree(tmp_path: Path) -> Path:
    """``data/public`` holds a link to ``data/private`` and one to a private file."""
    (tmp_path / "public").mkdir()
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.txt").write_text("SECRET")
    os.symlink("../private", tmp_path / "public" / "esc")
    os.symlink(tmp_path / "private" / "secret.txt", tmp_path / "public" / "s.txt")
    (tmp_path / "public" / "img").mkdir()
    os.symlink("../../private", tmp_path / "public" / "img" / "logos")
    return tmp_path


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_relative_mount_symlink_does_not_escape_its_folder(
    api: str, linked_tree: Path
) -> None:
    """Defect: a relative mount followed symlinks that stay inside the parent's root
    but leave the relative mount's folder, so a read-only ``public`` view read
    ``data:private``. Reads, listings and walks stop at the folder."""
    storage = _manager(
        api,
        [
            {"name": "data", "type": "local", "path": str(linked_tree)},
            {"name": "public", "path": "data:public", "permissions": "readonly"},
            {"name": "logos", "path": "public:img/logos"},
        ],
    )
    try:
        for spec in ("public:esc/secret.txt", "public:s.txt", "logos:secret.txt"):
            with pytest.raises(StoragePermissionError, match="outside its mount"):
                await _run(storage, storage.node(spec).read_text())
        found = await _nodes(storage, storage.node("public:").rglob("*"))
        assert "public:esc/secret.txt" not in found
        listed = await _nodes(storage, storage.node("public:").iterdir())
        assert listed == ["public:esc", "public:img", "public:s.txt"]
        with pytest.raises(StoragePermissionError):
            await _run(storage, storage.node("public:esc").info())
        # the parent itself still follows them: they are inside its root
        assert await _run(storage, storage.node("data:public/s.txt").read_text()) == "SECRET"
    finally:
        await _close(storage)


# -- relative mounts over a versioned store: every version member passes through ----


def _versioned(s3_server: Any, name: str = "s3") -> dict[str, Any]:
    import uuid

    import cloud_mounts

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    return cloud_mounts.s3_mount(s3_server, name, prefix, bucket=cloud_mounts.S3_VERSIONED_BUCKET)


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_relative_mount_deletes_versions_of_its_parent(api: str, s3_server: Any) -> None:
    """Defect: the relative views forwarded versions() but not delete_version(), so
    ``delete_version``/``compact_versions`` through ``{"path": "s3:pub"}`` raised
    "The 's3' backend does not support versions" while ``capabilities.versions`` said
    yes."""
    storage = _manager(api, [_versioned(s3_server), {"name": "pw", "path": "s3:pub"}])
    try:
        node = storage.node("pw:r.txt")
        for text in ("same", "same", "other"):
            await _run(storage, node.write_text(text))
        assert node.capabilities.versions
        versions = await _run(storage, node.versions())
        oldest = versions[-1].version_id
        await _run(storage, node.delete_version(oldest))
        left = [v.version_id for v in await _run(storage, storage.node("s3:pub/r.txt").versions())]
        assert oldest not in left and len(left) == 2
        with pytest.raises(FileNotFoundError):
            await _run(storage, node.delete_version("no-such-version"))
        assert await _run(storage, node.compact_versions(keep=1)) == 1
        assert await _run(storage, node.read_text()) == "other"
    finally:
        await _close(storage)


# -- call(): which node is an output is what the store allows, not only permissions --


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_call_treats_a_read_only_store_as_input_only(api: str, http_server: Any) -> None:
    """Defect: call() decided "writable" from the mount's permissions only, so an HTTP
    mount (read-only unless ``writable``, permissions 'delete' by default) was taken
    for an output: a missing node there ran the command, and a tool that touched an
    input failed the call after exit 0, once the other outputs had landed."""
    (http_server.root / "att2-call").mkdir(exist_ok=True)
    (http_server.root / "att2-call" / "in.txt").write_text("IN")
    storage = _manager(
        api,
        [
            {"name": "h", "type": "http", "base_url": http_server.url("att2-call/")},
            {"name": "m", "type": "memory"},
        ],
    )
    try:
        with pytest.raises(StoragePermissionError):
            await _run(storage, storage.call("touch", storage.node("h:missing.txt")))
        out = storage.node("m:out.txt")
        # the tool rewrites its input and writes an output: the output lands, the
        # input's copy is not uploaded (an input only) and the call succeeds
        script = 'cat "$0" > "$1"; echo changed > "$0" 2>/dev/null; exit 0'
        await _run(storage, storage.call("sh", "-c", script, storage.node("h:in.txt"), out))
        assert await _run(storage, out.read_text()) == "IN"
        assert (http_server.root / "att2-call" / "in.txt").read_text() == "IN"
    finally:
        await _close(storage)


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize("order", ["ro-first", "rw-first"])
async def test_call_same_file_read_only_and_writable_in_any_order(
    api: str, order: str, tmp_path: Path
) -> None:
    """Defect: a read-only node and a writable node over one file were refused when
    the read-only one came first, but accepted (and the file written through the
    read-only name) when the writable one came first."""
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "in.txt").write_text("IN")
    storage = _manager(
        api,
        [
            {"name": "l", "type": "local", "path": str(tmp_path)},
            {"name": "ro", "path": "l:ro", "permissions": "readonly"},
        ],
    )
    try:
        ro, rw = storage.node("ro:in.txt"), storage.node("l:ro/in.txt")
        nodes = (ro, rw) if order == "ro-first" else (rw, ro)
        with pytest.raises(StorageConfigError, match="one file"):
            await _run(storage, storage.call("sh", "-c", 'echo X > "$1"', *nodes))
        assert (tmp_path / "ro" / "in.txt").read_text() == "IN"
    finally:
        await _close(storage)


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize("keywords", [{"cwd": 5}, {"env": 5}, {"env": {"A": 5}}, {"stdin": "nope"}])
async def test_call_bad_process_keywords_are_library_errors(
    api: str, keywords: dict[str, Any]
) -> None:
    """Defect: keywords handed to Popen/create_subprocess_exec with a wrong type raised
    the raw TypeError/AttributeError from inside subprocess (``'int' object has no
    attribute 'items'``). Now a StorageConfigError naming the keywords given."""
    storage = _manager(api, [{"name": "m", "type": "memory"}])
    try:
        out = storage.node("m:out.txt")
        with pytest.raises(StorageConfigError, match=next(iter(keywords))):
            await _run(storage, storage.call("sh", "-c", 'echo x > "$0"', out, **keywords))
        assert not await _fact(storage, out, "exists")
    finally:
        await _close(storage)


# -- switched local mounts: the folder the callable returns is a root ----------------


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_switched_mount_folders_are_roots(api: str, tmp_path: Path) -> None:
    """Defect: on a switched local mount (``path=fn(segment)``), ``pkg:sys`` IS the
    application's folder ``fn('sys')``, yet a move, a rename or a recursive delete of
    it removed that folder itself (the mount then failed for 'sys'); the mount's own
    root is refused for the same operations."""
    for name in ("sys", "usr", "root"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.txt").write_text(name)

    def folder(segment: str) -> str:
        return str(tmp_path / (segment or "root"))

    storage = _manager(
        api, [{"name": "pkg", "type": "local", "path": folder}, {"name": "r", "path": "pkg:"}]
    )
    try:
        attempts = [
            lambda: storage.node("pkg:sys").move("pkg:usr/sub"),
            lambda: storage.node("pkg:sys").rename("pkg:usr/sub"),
            lambda: storage.node("pkg:sys").move_to("pkg:usr/sub"),
            lambda: storage.node("r:sys").move("pkg:usr/sub"),
            lambda: storage.node("pkg:sys").delete(recursive=True),
            lambda: storage.node("pkg:sys").rmdir(),
        ]
        for attempt in attempts:
            with pytest.raises(StorageError, match="root of mount"):
                await _run(storage, attempt())
            assert (tmp_path / "sys" / "a.txt").read_text() == "sys"
        assert not (tmp_path / "usr" / "sub").exists()
        # below the switched folder everything moves as usual
        await _run(storage, storage.node("pkg:sys/a.txt").move("pkg:usr/b.txt"))
        assert (tmp_path / "usr" / "b.txt").read_text() == "sys"
        assert (tmp_path / "sys").is_dir()
    finally:
        await _close(storage)


# -- bad types in the 0.x aliases and virtual nodes ----------------------------------


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_compat_and_virtual_bad_arguments_are_named(api: str) -> None:
    """Defects: ``write(..., skip_if_unchanged='no')`` was taken as true (a truthy
    string) and wrote nothing when the bytes matched; ``iternode().extend(5)`` raised
    Python's "'int' object is not iterable" and ``extend('m:a')`` iterated the
    string's characters."""
    storage = _manager(api, [{"name": "m", "type": "memory"}])
    try:
        node = storage.node("m:f.txt")
        await _run(storage, node.write("same"))
        for value in ("no", 1, None):
            with pytest.raises(StorageConfigError, match="skip_if_unchanged"):
                await _run(storage, node.write("same", skip_if_unchanged=value))
        joined = storage.iternode()
        for value in (5, "m:f.txt", b"m:f.txt"):
            with pytest.raises(TypeError, match=r"extend\(\) takes"):
                joined.extend(value)
        joined.extend([node, node])
        joined.extend(node)
        assert await _run(storage, joined.read_text()) == "samesamesame"
    finally:
        await _close(storage)


# -- touch() is check-then-write ------------------------------------------------------


def _racing(base: type[Any]) -> type[Any]:
    """A backend where another writer creates ``new.txt`` right after touch() looked."""

    class Racing(base):  # type: ignore[misc, valid-type]
        def info(self, path: str) -> Any:
            if path.endswith("new.txt") and not getattr(self, "_raced", False):
                self._raced = True
                found = super().info(path) if super().exists(path) else None
                if found is None:
                    super().write_bytes(path, b"DATA written meanwhile")
                    from genro_storage._shared.exceptions import not_found

                    raise not_found(self.where(path))
            return super().info(path)

    return Racing


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_touch_never_truncates_a_file_created_meanwhile(kind: str, tmp_path: Path) -> None:
    from genro_storage.backends.local import LocalBackend
    from genro_storage.backends.memory import MemoryBackend

    storage = StorageManager()
    storage.register_backend_type(
        "racing", _racing(LocalBackend if kind == "local" else MemoryBackend)
    )
    extra = {"path": str(tmp_path)} if kind == "local" else {}
    storage.configure([{"name": "r", "type": "racing", **extra}])
    node = storage.node("r:new.txt")
    node.touch()
    assert node.read_bytes() == b"DATA written meanwhile"


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_touch_exclusive_reports_a_file_created_meanwhile(kind: str, tmp_path: Path) -> None:
    """touch(exist_ok=False) that loses the race says so, and keeps the other's data."""
    from genro_storage.backends.local import LocalBackend
    from genro_storage.backends.memory import MemoryBackend

    storage = StorageManager()
    storage.register_backend_type(
        "racing", _racing(LocalBackend if kind == "local" else MemoryBackend)
    )
    extra = {"path": str(tmp_path)} if kind == "local" else {}
    storage.configure([{"name": "r", "type": "racing", **extra}])
    node = storage.node("r:new.txt")
    with pytest.raises(StorageExistsError):
        node.touch(exist_ok=False)
    assert node.read_bytes() == b"DATA written meanwhile"


# -- the guide's base64 example: a copy into 'b64:' -----------------------------------


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_copy_into_the_base64_root_returns_the_inline_node(api: str) -> None:
    """Defect: docs/guide.md shows ``storage.node("mem:f.bin").copy(storage.node("b64:"))``
    with ``report.destination`` holding the data, as ``write_bytes`` and ``open('wb')``
    on ``b64:`` do, but the copy raised StorageIsADirectoryError ('b64:' lists as a
    folder). A store that makes no folders has none a file could overwrite; a real
    folder stays refused."""
    storage = _manager(api, [{"name": "b64", "type": "base64"}, {"name": "mem", "type": "memory"}])
    try:
        src = storage.node("mem:f.bin")
        await _run(storage, src.write_bytes(b"hello"))
        report = await _run(storage, src.copy(storage.node("b64:")))
        assert report.destination == storage.node("b64:aGVsbG8=")
        landed = await _run(storage, src.copy_to("b64:"))
        assert await _run(storage, landed.read_bytes()) == b"hello"
        await _run(storage, storage.node("mem:dir/x").write_bytes(b"x"))
        with pytest.raises(IsADirectoryError):
            await _run(storage, src.copy(storage.node("mem:dir")))
    finally:
        await _close(storage)


# -- progress=True: a bar that cannot be drawn never fails the transfer --------------


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_progress_bar_that_cannot_draw_does_not_fail_the_transfer(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect: ``progress=True`` promises that nothing the bar does can fail a
    transfer, but the bar's construction was not guarded: ``tqdm.auto`` in a notebook
    without ipywidgets raises ImportError ("IProgress not found") from its constructor,
    and the copy failed. (The display is replaced by one that raises that error.)"""
    import tqdm.auto

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("IProgress not found. Please update jupyter and ipywidgets.")

    monkeypatch.setattr(tqdm.auto, "tqdm", broken)
    storage = _manager(api, [{"name": "m", "type": "memory"}])
    try:
        await _run(storage, storage.node("m:a/f.txt").write_bytes(b"x" * 100))
        report = await _run(storage, storage.node("m:a").copy("m:b", progress=True))
        assert report.copied == ["m:a/f.txt"]
        report = await _run(storage, storage.node("m:a/f.txt").move("m:c.txt", progress=True))
        assert report.copied == ["m:a/f.txt"]
        assert await _run(storage, storage.node("m:c.txt").read_bytes()) == b"x" * 100
    finally:
        await _close(storage)


def test_local_path_for_writing_refuses_a_read_only_store_up_front(http_server: Any) -> None:
    """Defect: ``local_path('w')`` promises StoragePermissionError before any path is
    handed out on a read-only mount, but checked only the permissions: on an HTTP
    mount (read-only unless ``writable``) it handed out a path, let the tool work,
    and failed when writing back at the end of the block."""
    (http_server.root / "att2-lp").mkdir(exist_ok=True)
    (http_server.root / "att2-lp" / "f.txt").write_text("F")
    storage = StorageManager(
        [{"name": "h", "type": "http", "base_url": http_server.url("att2-lp/")}]
    )
    try:
        entered = []
        for mode in ("w", "rw"):
            with pytest.raises(StoragePermissionError), storage.node("h:f.txt").local_path(mode):
                entered.append(mode)
        assert entered == []
        with storage.node("h:f.txt").local_path("r") as path:
            assert Path(path).read_text() == "F"
    finally:
        storage.close()


# -- compact_versions(): the current version is never removed -----------------------


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_compact_versions_never_deletes_the_current_file(api: str, s3_server: Any) -> None:
    """Defect: the 0.x rule (equal consecutive versions: keep the older) removed the
    newest version when it equalled the one before; with a delete marker between the
    two (written, deleted, written again with the same bytes) that made the marker
    current, and compact_versions() deleted the live file."""
    storage = _manager(api, [_versioned(s3_server)])
    try:
        node = storage.node("s3:r.txt")
        await _run(storage, node.write_text("A"))
        await _run(storage, node.delete())
        await _run(storage, node.write_text("A"))
        assert await _run(storage, node.compact_versions(dry_run=True)) == 1
        assert await _run(storage, node.compact_versions()) == 1
        assert await _fact(storage, node, "exists")
        assert await _run(storage, node.read_text()) == "A"
        # a run of equal versions ending with the current one keeps the current one
        other = storage.node("s3:o.txt")
        for text in ("X", "A", "A", "A"):
            await _run(storage, other.write_text(text))
        current = (await _run(storage, other.versions()))[0].version_id
        assert await _run(storage, other.compact_versions()) == 2
        left = await _run(storage, other.versions())
        assert [v.version_id for v in left][0] == current and len(left) == 2
        assert await _run(storage, other.read_text()) == "A"
    finally:
        await _close(storage)


def test_with_suffix_refuses_a_lone_dot() -> None:
    """Defect: ``with_suffix('.')`` gave ``a.`` (a name whose ``suffix`` is ``''``, so
    ``with_suffix`` did not round-trip); pathlib refuses it as an invalid suffix."""
    storage = StorageManager([{"name": "m", "type": "memory"}])
    node = storage.node("m:d/a.txt")
    with pytest.raises(StorageConfigError, match="Invalid suffix"):
        node.with_suffix(".")
    assert str(node.with_suffix(".csv")) == "m:d/a.csv"
    assert str(node.with_suffix("")) == "m:d/a"
