"""genro-storage 0.x code, run against this library: the vocabulary of the 0.x
documentation and sources (0.2 to 0.8), written the way a 0.x user writes it, in the
sync API and, where the API has it, the async one. Real stores only: local folders,
memory, base64, moto S3 (the versioned bucket for versions), the aiohttp file server.

docs/migration.md is the table these tests check, name by name.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import cloud_mounts
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genro_storage import (
    SkipStrategy,
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNode,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager, AsyncStorageNode


def unique(tag: str = "c") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def tree(root: Path) -> Path:
    """A small source tree: a/x.py, a/y.log, a/sub/z.py, a/big.bin."""
    for rel, data in {
        "x.py": b"print('x')",
        "y.log": b"log line",
        "sub/z.py": b"print('z')",
        "big.bin": b"\x00" * 5000,
    }.items():
        target = root / "a" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


# -- 1. base64: strict in every alphabet, standard alphabet written -------------------

INVALID_PAYLOADS = [
    "not-valid-base64!!!",  # the reported bug: '-' sent it down an unvalidated branch
    "not_valid_base64_",  # URL-safe characters, impossible length
    "abc*def=",
    "A",
    "AB=C",
    "AAA=====",
    "AAEC+w-_",  # both alphabets at once
    "Zm9v\x00",
    "héllo==",
]


@pytest.mark.parametrize("payload", INVALID_PAYLOADS)
def test_invalid_base64_does_not_exist_and_never_reads_garbage(payload):
    storage = StorageManager([{"name": "b", "type": "base64"}])
    node = storage.node(f"b:{payload}")
    assert node.exists is False
    assert node.isfile is False
    with pytest.raises(StorageConfigError, match="Invalid base64") as caught:
        node.read_bytes()
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("payload", INVALID_PAYLOADS)
async def test_invalid_base64_async(payload):
    async with AsyncStorageManager([{"name": "b", "type": "base64"}]) as storage:
        node = storage.node(f"b:{payload}")
        assert await node.exists() is False
        with pytest.raises(StorageConfigError, match="Invalid base64"):
            await node.read_bytes()


def test_base64_writes_the_standard_alphabet_and_reads_both():
    storage = StorageManager([{"name": "b", "type": "base64"}])
    written = storage.node("b:").write_bytes(bytes([0, 1, 2, 255]))
    assert written.path == "AAEC/w=="  # 0.x's encoding, not 'AAEC_w=='
    assert storage.node("b:AAEC_w==").read_bytes() == bytes([0, 1, 2, 255])
    assert storage.node("b:AAEC_w").read_bytes() == bytes([0, 1, 2, 255])  # padding optional
    assert storage.node("b:AAEC/w==").read_bytes() == bytes([0, 1, 2, 255])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=64))  # b"" encodes to "", the root folder
def test_base64_any_bytes_round_trip_in_both_alphabets(data):
    storage = StorageManager([{"name": "b", "type": "base64"}])
    written = storage.node("b:").write_bytes(data)
    assert written.path == base64.b64encode(data).decode()
    assert written.read_bytes() == data
    urlsafe = base64.urlsafe_b64encode(data).decode()
    assert storage.node(f"b:{urlsafe}").read_bytes() == data


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="ABCabc019+/-_=*!. ", min_size=1, max_size=24))
def test_base64_reads_exactly_what_a_strict_decoder_reads(text):
    """Any payload either decodes to what a strict decoder gives (URL-safe mapped onto
    the standard alphabet) or does not exist: never anything else."""
    import binascii

    storage = StorageManager([{"name": "b", "type": "base64"}])
    node = storage.node(f"b:{text}")
    cleaned = "".join(text.split())
    mixed = any(c in cleaned for c in "-_") and any(c in cleaned for c in "+/")
    standard = cleaned.replace("-", "+").replace("_", "/")
    try:
        if mixed or len(cleaned) % 4 == 1 or len(cleaned.rstrip("=")) + 2 < len(cleaned):
            raise binascii.Error("refused")
        expected: bytes | None = base64.b64decode(
            standard + "=" * (-len(standard) % 4), validate=True
        )
    except binascii.Error:
        expected = None
    if not cleaned:
        return  # the mount's root, a folder
    if expected is None:
        assert not node.exists
        with pytest.raises(StorageConfigError):
            node.read_bytes()
    else:
        assert node.exists and node.read_bytes() == expected


def test_base64_refused_writes_are_permission_errors():
    storage = StorageManager([{"name": "b", "type": "base64"}])
    with pytest.raises(PermissionError, match="base64.*mkdir"):
        storage.node("b:Zm9v").mkdir()
    with pytest.raises(StoragePermissionError, match="base64.*delete"):
        storage.node("b:Zm9v").delete()


async def test_base64_refused_writes_are_permission_errors_async():
    async with AsyncStorageManager([{"name": "b", "type": "base64"}]) as storage:
        with pytest.raises(PermissionError, match="mkdir"):
            await storage.node("b:Zm9v").mkdir()
        with pytest.raises(PermissionError, match="delete"):
            await storage.node("b:Zm9v").delete()


# -- 2. aliases --------------------------------------------------------------------------


def test_0x_modules_and_names_import():
    import genro_storage.exceptions as exceptions_0x
    from genro_storage.capabilities import BackendCapabilities, capability
    from genro_storage.capabilities import SkipStrategy as FromCapabilities

    assert (
        exceptions_0x.StorageError,
        exceptions_0x.StorageConfigError,
        exceptions_0x.StorageNotFoundError,
        exceptions_0x.StoragePermissionError,
    ) == (StorageError, StorageConfigError, StorageNotFoundError, StoragePermissionError)
    assert FromCapabilities is SkipStrategy
    assert [s.value for s in SkipStrategy] == [
        "never",
        "exists",
        "size",
        "hash",
        "unchanged",
        "custom",
    ]

    @capability("read", "write")
    def read_bytes(path: str) -> bytes:
        return b""

    assert read_bytes.__genro_capabilities__ == ("read", "write")  # type: ignore[attr-defined]
    storage = StorageManager([{"name": "m", "type": "memory"}])
    caps = storage.node("m:x").capabilities
    assert isinstance(caps, BackendCapabilities)
    assert (caps.versioning, caps.presigned_urls, caps.readonly, caps.list_dir) == (
        False,
        False,
        False,
        True,
    )
    readonly = StorageManager([{"name": "r", "type": "memory", "permissions": "readonly"}])
    assert readonly.node("r:x").capabilities.readonly is True
    assert "versioning" not in caps.as_dict()  # the real flags only


def test_path_aliases_need_no_io():
    storage = StorageManager([{"name": "home", "type": "memory"}])
    node = storage.node("home:documents/reports/q4.pdf")
    assert node.dirname == "home:documents/reports"
    assert node.ext == "pdf" and node.suffix == ".pdf"
    assert node.splitext() == ("documents/reports/q4", ".pdf")
    plain = storage.node("home:README")
    assert (plain.ext, plain.splitext()) == ("", ("README", ""))
    dotted = storage.node("home:a.tar.gz")
    assert (dotted.ext, dotted.splitext()) == ("gz", ("a.tar", ".gz"))
    assert storage.node("home:").dirname == "home:"


def test_read_write_copy_to_move_to_and_facts_as_methods(tmp_path):
    storage = StorageManager()
    storage.configure(
        [
            {"name": "home", "protocol": "local", "base_path": str(tmp_path)},
            {"name": "mem", "type": "memory"},
        ]
    )
    node = storage.node("home:docs/report.txt")
    node.parent.mkdir(parents=True, exist_ok=True)
    assert node.write("Hello") and node.read() == "Hello"
    assert node.write(b"\x00bin", mode="wb") and node.read(mode="rb") == b"\x00bin"
    assert node.write("caff\xe8", encoding="latin-1") and node.read(encoding="latin-1") == (
        "caff\xe8"
    )
    assert node.is_file() and not node.is_dir() and node.parent.is_dir()
    with pytest.raises(ValueError, match="mode"):
        node.read(mode="x")
    with pytest.raises(ValueError, match="mode"):
        node.write("x", mode="a")
    with pytest.raises(TypeError, match="needs str"):
        node.write(b"bytes in text mode")
    with pytest.raises(TypeError, match="needs bytes"):
        node.write("text in binary mode", mode="wb")
    copied = node.copy_to("mem:backup/report.txt")
    assert isinstance(copied, StorageNode) and copied.fullpath == "mem:backup/report.txt"
    assert copied.read(mode="rb") == node.read(mode="rb")
    moved = copied.move_to(storage.node("home:moved.txt"))
    assert moved.fullpath == "home:moved.txt" and moved.read(mode="rb") == b"caff\xe8"
    assert not copied.exists  # the source is gone; the node itself never changes
    assert copied.fullpath == "mem:backup/report.txt"


async def test_aliases_async(tmp_path):
    config = [
        {"name": "home", "type": "local", "path": str(tmp_path)},
        {"name": "mem", "type": "memory"},
    ]
    async with AsyncStorageManager(config) as storage:
        node = storage.node("home:docs/report.txt")
        assert await node.write("Hello")
        assert await node.read() == "Hello" and await node.read("rb") == b"Hello"
        assert await node.is_file() and await node.parent.is_dir()
        assert node.dirname == "home:docs" and node.ext == "txt"
        copied = await node.copy_to("mem:r.txt")
        assert isinstance(copied, AsyncStorageNode) and await copied.read() == "Hello"
        moved = await copied.move_to("mem:s.txt")
        assert moved.fullpath == "mem:s.txt" and not await copied.exists()
        assert await node.ext_attributes() == (await node.mtime(), 5, False)
        assert await storage.node("home:nope").ext_attributes() == (None, None, False)
        assert await node.resolved_path() == str(tmp_path / "docs" / "report.txt")
        assert await moved.resolved_path() is None
        storage.delete_mount("mem")
        assert storage.mounts == ["home"]


def test_write_skip_if_unchanged_writes_nothing_when_equal(tmp_path):
    storage = StorageManager([{"name": "home", "type": "local", "path": str(tmp_path)}])
    node = storage.node("home:a.txt")
    assert node.write("same") is not None
    before = os.stat(tmp_path / "a.txt").st_ino
    assert node.write("same", skip_if_unchanged=True) is None  # 0.x returned False here
    assert os.stat(tmp_path / "a.txt").st_ino == before  # not even replaced
    assert node.write("diff", skip_if_unchanged=True) is not None
    assert node.read() == "diff"


def test_ext_attributes_resolved_path_and_delete_mount(tmp_path):
    storage = StorageManager(
        [{"name": "home", "type": "local", "path": str(tmp_path)}, {"name": "m", "type": "memory"}]
    )
    node = storage.node("home:f.bin")
    node.write_bytes(b"12345")
    mtime, size, isdir = node.ext_attributes
    assert (size, isdir) == (5, False) and mtime == node.mtime
    assert storage.node("home:").ext_attributes[1:] == (None, True)
    assert storage.node("home:none").ext_attributes == (None, None, False)
    assert node.resolved_path == str(tmp_path / "f.bin")
    assert storage.node("m:f").resolved_path is None
    storage.delete_mount("m")
    assert not storage.has_mount("m")
    with pytest.raises(KeyError):  # 0.x raised KeyError here
        storage.delete_mount("m")


def test_internal_url_with_a_site_relative_base_url(tmp_path):
    storage = StorageManager(
        [{"name": "static", "type": "local", "path": str(tmp_path), "base_url": "/static"}]
    )
    node = storage.node("static:js/app one.js")
    node.write_text("x")
    assert node.url() == "/static/js/app%20one.js"
    assert node.internal_url() == "/static/js/app%20one.js"
    assert node.internal_url(nocache=True) == f"/static/js/app%20one.js?mtime={int(node.mtime)}"
    assert StorageManager([{"name": "m", "type": "memory"}]).node("m:x").internal_url() is None
    for bad in ("//evil.example/x", "/with space", "/q?x=1", "static"):
        with pytest.raises(StorageConfigError, match="base_url"):
            StorageManager([{"name": "s", "type": "local", "path": str(tmp_path), "base_url": bad}])


async def test_internal_url_async(tmp_path):
    config = [{"name": "s", "type": "local", "path": str(tmp_path), "base_url": "/static/"}]
    async with AsyncStorageManager(config) as storage:
        node = storage.node("s:a.txt")
        await node.write_text("x")
        assert await node.internal_url() == "/static/a.txt"
        assert (await node.internal_url(nocache=True)).startswith("/static/a.txt?mtime=")


# -- 3. copy callbacks, skip strategies ---------------------------------------------------


def test_copy_to_with_0x_filters_skip_and_callbacks(tmp_path):
    tree(tmp_path)
    storage = StorageManager(
        [{"name": "src", "type": "local", "path": str(tmp_path)}, {"name": "dst", "type": "memory"}]
    )
    copied: list[str] = []
    skipped: list[tuple[str, str]] = []
    steps: list[tuple[int, int]] = []
    dest = storage.node("src:a").copy_to(
        "dst:backup",
        include=["*.py", "*.bin", "*.log"],
        exclude="*.log",
        filter=lambda node, relpath: node.size < 1000,
        progress=lambda current, total: steps.append((current, total)),
        on_file=lambda node: copied.append(node.path),
        on_skip=lambda node, reason: skipped.append((node.path, reason)),
    )
    assert dest.fullpath == "dst:backup"
    assert sorted(copied) == ["a/sub/z.py", "a/x.py"]
    assert sorted(c.basename for c in dest.children()) == ["sub", "x.py"]
    assert dict(skipped) == {
        "a/y.log": "not selected by include/exclude",
        "a/big.bin": "filtered out by filter()",
    }
    assert steps == [(1, 2), (2, 2)]
    # again with skip='hash': nothing to copy, each file reported to on_skip
    skipped.clear()
    storage.node("src:a").copy_to(
        "dst:backup",
        include="*.py",
        skip=SkipStrategy.HASH,
        on_skip=lambda node, reason: skipped.append((node.path, reason)),
    )
    assert sorted(skipped) == [
        ("a/big.bin", "not selected by include/exclude"),
        ("a/sub/z.py", "same content (MD5)"),
        ("a/x.py", "same content (MD5)"),
        ("a/y.log", "not selected by include/exclude"),
    ]
    # skip='custom' with skip_fn
    seen: list[str] = []
    storage.node("src:a/x.py").copy_to(
        "dst:backup/x.py", skip="custom", skip_fn=lambda s, d: seen.append(d.path) or True
    )
    assert seen == ["backup/x.py"]
    with pytest.raises(ValueError, match="skip_fn"):
        storage.node("src:a/x.py").copy_to("dst:x", skip="custom")
    with pytest.raises(ValueError, match="skip_if must be one of"):
        storage.node("src:a/x.py").copy_to("dst:x", skip="sometimes")


def test_copy_callbacks_never_fail_a_landed_file_and_filter_errors_change_nothing(tmp_path):
    tree(tmp_path)
    storage = StorageManager(
        [{"name": "src", "type": "local", "path": str(tmp_path)}, {"name": "dst", "type": "memory"}]
    )

    def boom(*args: Any) -> None:
        raise RuntimeError("callback broke")

    report = storage.node("src:a").copy("dst:t", on_file=boom, on_skip=boom, exclude="*.log")
    assert sorted(report.copied) == ["src:a/big.bin", "src:a/sub/z.py", "src:a/x.py"]
    assert storage.node("dst:t/x.py").read_bytes() == b"print('x')"
    assert sorted(src for src, _ in report.callback_errors) == [
        "src:a/big.bin",
        "src:a/sub/z.py",
        "src:a/x.py",
        "src:a/y.log",
    ]
    assert all(isinstance(e, RuntimeError) for _, e in report.callback_errors)
    with pytest.raises(RuntimeError, match="callback broke"):
        storage.node("src:a").copy("dst:u", filter=boom)
    assert not storage.node("dst:u").exists
    with pytest.raises(TypeError, match="async function"):

        async def on_file(node: Any) -> None: ...

        storage.node("src:a").copy("dst:v", on_file=on_file)
    with pytest.raises(StorageConfigError, match="on_skip must be a callable"):
        storage.node("src:a").copy("dst:v", on_skip="print")


async def test_copy_callbacks_async_run_on_the_loop_with_async_nodes(tmp_path):
    tree(tmp_path)
    config = [
        {"name": "src", "type": "local", "path": str(tmp_path)},
        {"name": "dst", "type": "memory"},
    ]
    async with AsyncStorageManager(config) as storage:
        loop_thread = asyncio.get_running_loop()
        events: list[Any] = []

        async def keep(node: AsyncStorageNode, relpath: str) -> bool:
            return (await node.size()) < 1000  # an async filter is awaited

        def on_file(node: Any) -> None:
            assert asyncio.get_running_loop() is loop_thread  # on the loop, not a thread
            events.append(("file", type(node).__name__, node.path))

        async def on_skip(node: AsyncStorageNode, reason: str) -> None:
            events.append(("skip", node.path, reason))

        report = await storage.node("src:a").copy(
            "dst:t", exclude="*.log", filter=keep, on_file=on_file, on_skip=on_skip, concurrency=2
        )
        assert sorted(report.copied) == ["src:a/sub/z.py", "src:a/x.py"]
        assert sorted(e for e in events if e[0] == "file") == [
            ("file", "AsyncStorageNode", "a/sub/z.py"),
            ("file", "AsyncStorageNode", "a/x.py"),
        ]
        assert ("skip", "a/big.bin", "filtered out by filter()") in events
        steps: list[tuple[int, int]] = []
        dest = await storage.node("src:a").copy_to(
            "dst:w", skip="exists", progress=lambda c, t: steps.append((c, t))
        )
        assert dest.fullpath == "dst:w" and steps[-1] == (4, 4) and len(steps) == 4


@pytest.mark.parametrize("strategy", ["unchanged", SkipStrategy.UNCHANGED])
def test_skip_unchanged_by_size_and_mtime_or_etag(tmp_path, strategy):
    tree(tmp_path)
    (tmp_path / "out").mkdir()
    storage = StorageManager(
        [
            {"name": "src", "type": "local", "path": str(tmp_path)},
            {"name": "dst", "type": "local", "path": str(tmp_path / "out")},
        ]
    )
    first = storage.node("src:a").copy("dst:a", skip_if=strategy)
    assert len(first.copied) == 4
    again = storage.node("src:a").copy("dst:a", skip_if=strategy)
    assert again.copied == [] and len(again.skipped) == 4
    (tmp_path / "a" / "x.py").write_bytes(b"print('changed')")  # another size
    third = storage.node("src:a").copy("dst:a", skip_if=strategy)
    assert third.copied == ["src:a/x.py"]
    # same size, newer source: copied again
    later = os.stat(tmp_path / "out" / "a" / "sub" / "z.py").st_mtime + 10
    (tmp_path / "a" / "sub" / "z.py").write_bytes(b"print('Z')")
    os.utime(tmp_path / "a" / "sub" / "z.py", (later, later))
    assert storage.node("src:a").copy("dst:a", skip_if=strategy).copied == ["src:a/sub/z.py"]


async def test_skip_unchanged_on_s3_compares_etags(s3_server):
    config = [cloud_mounts.s3_mount(s3_server, "s3", unique()), {"name": "m", "type": "memory"}]
    async with AsyncStorageManager(config) as storage:
        await storage.node("s3:a.txt").write_bytes(b"12345")
        await storage.node("s3:a.txt").copy("s3:b.txt")
        report = await storage.node("s3:a.txt").copy("s3:b.txt", skip_if="unchanged")
        assert report.skipped == ["s3:a.txt"]
        await storage.node("s3:a.txt").write_bytes(b"54321")  # same size, other MD5
        report = await storage.node("s3:a.txt").copy("s3:b.txt", skip_if="unchanged")
        assert report.copied == ["s3:a.txt"]
        assert await storage.node("s3:b.txt").read_bytes() == b"54321"


# -- 3. versions (moto's versioned bucket) ----------------------------------------------


def versioned(s3_server: Any, **extra: Any) -> dict[str, Any]:
    bucket = cloud_mounts.S3_VERSIONED_BUCKET
    return cloud_mounts.s3_mount(s3_server, "s3", unique("v"), bucket=bucket, **extra)


def test_version_count_delete_version_and_compact_sync(s3_server):
    storage = StorageManager([versioned(s3_server), {"name": "m", "type": "memory"}])
    node = storage.node("s3:doc.txt")
    for text in ("A", "A", "B", "B", "A"):
        node.write_text(text)
    assert node.version_count == 5
    assert node.compact_versions(dry_run=True) == 2  # 0.x's rule: consecutive duplicates
    assert node.version_count == 5
    assert node.compact_versions() == 2
    history = [node.open_version(v.version_id).read() for v in node.versions()]
    assert history == [b"A", b"B", b"A"]  # a return to A is history, kept
    oldest = node.versions()[-1].version_id
    node.delete_version(oldest)
    assert node.version_count == 2 and oldest not in [v.version_id for v in node.versions()]
    with pytest.raises(StorageNotFoundError):
        node.delete_version(oldest)
    assert node.compact_versions(keep=1) == 1
    assert node.version_count == 1 and node.read_text() == "A"
    assert storage.node("s3:missing.txt").version_count == 0
    assert storage.node("m:x").version_count == 0  # a store without versions: 0 as in 0.x
    with pytest.raises(PermissionError, match="versions"):
        storage.node("m:x").delete_version("abc")
    with pytest.raises(PermissionError, match="versions"):
        storage.node("m:x").compact_versions()
    for bad in (0, -1, True, "2"):
        with pytest.raises(StorageConfigError, match="keep"):
            node.compact_versions(keep=bad)
    with pytest.raises(StorageConfigError, match="version_id"):
        node.delete_version("")


async def test_versions_management_async_and_permissions(s3_server):
    config = versioned(s3_server)
    async with AsyncStorageManager([config]) as storage:
        node = storage.node("s3:doc.txt")
        for text in ("1", "2", "3"):
            await node.write_text(text)
        assert await node.version_count() == 3
        assert await node.compact_versions(keep=2) == 1
        assert [v.size for v in await node.versions()] == [1, 1]
        await node.delete_version((await node.versions())[-1].version_id)
        assert await node.version_count() == 1 and await node.read_text() == "3"
    readwrite = {**config, "permissions": "readwrite"}
    async with AsyncStorageManager([readwrite]) as storage:
        node = storage.node("s3:doc.txt")
        assert await node.compact_versions(keep=1, dry_run=True) == 0  # a dry run is a read
        with pytest.raises(StoragePermissionError, match="readwrite"):
            await node.compact_versions(keep=1)
        with pytest.raises(StoragePermissionError, match="readwrite"):
            await node.delete_version((await node.versions())[0].version_id)


# -- 3. callable path, switched mounts ----------------------------------------------------


@pytest.fixture
def packages(tmp_path: Path) -> dict[str, str]:
    dirs = {}
    for name in ("sys", "adm", "gnr"):
        folder = tmp_path / f"{name}-package"
        folder.mkdir()
        (folder / f"{name}_file.txt").write_text(f"{name} content")
        dirs[name] = str(folder)
    (tmp_path / "sys-package" / "folder").mkdir()
    (tmp_path / "sys-package" / "folder" / "nested.txt").write_text("nested in sys")
    dirs["base"] = str(tmp_path)
    return dirs


def test_switched_mount_routes_on_the_first_segment(packages):
    def resource_resolver(prefix: str) -> str:
        if prefix == "unknown":
            raise ValueError(f"Unknown package: {prefix}")
        return packages.get(prefix, packages["base"])

    storage = StorageManager()
    storage.add_mount({"name": "pkg", "protocol": "local", "path": resource_resolver})
    assert storage.node("pkg:sys/sys_file.txt").read() == "sys content"
    assert storage.node("pkg:adm/adm_file.txt").read() == "adm content"
    assert storage.node("pkg:sys/folder/nested.txt").read() == "nested in sys"
    sys_root = storage.node("pkg:sys")
    assert sys_root.exists and sys_root.isdir
    assert sorted(c.basename for c in sys_root.children()) == ["folder", "sys_file.txt"]
    storage.node("pkg:adm/new.txt").write_text("new adm content")
    assert Path(packages["adm"], "new.txt").read_text() == "new adm content"
    assert not storage.node("pkg:gnr/nonexistent.txt").exists
    with pytest.raises(ValueError, match="Unknown package: unknown"):
        storage.node("pkg:unknown/file.txt").exists  # noqa: B018 - the access raises
    with pytest.raises(StorageError):
        storage.node("pkg:sys/../../etc/passwd").read_text()
    # a symlink out of a package folder is refused like on any local mount
    os.symlink("/etc", Path(packages["sys"], "escape"))
    with pytest.raises(StoragePermissionError, match="outside"):
        storage.node("pkg:sys/escape/passwd").read_text()
    # a copy between two packages of one switched mount is a copy between two folders
    storage.node("pkg:sys/sys_file.txt").copy("pkg:gnr/from_sys.txt")
    assert Path(packages["gnr"], "from_sys.txt").read_text() == "sys content"


async def test_callable_path_is_asked_at_each_access_async(packages):
    current = {"package": "sys"}

    def get_current_package_dir() -> str:
        return packages[current["package"]]

    config = [{"name": "ctx", "type": "local", "path": get_current_package_dir}]
    async with AsyncStorageManager(config) as storage:
        assert await storage.node("ctx:sys_file.txt").read_text() == "sys content"
        current["package"] = "adm"
        assert not await storage.node("ctx:sys_file.txt").exists()
        assert await storage.node("ctx:adm_file.txt").read_text() == "adm content"
        current["package"] = "missing"
        with pytest.raises(StorageConfigError, match="callable failed.*KeyError"):
            await storage.node("ctx:x").exists()


def test_callable_path_bad_results_and_signatures(packages, tmp_path):
    bad_values = [lambda: 42, lambda: str(tmp_path / "nope"), lambda: packages["sys"] + "\x00"]
    for fn in bad_values:
        storage = StorageManager([{"name": "c", "type": "local", "path": fn}])
        with pytest.raises(StorageConfigError, match="Mount 'c'"):
            storage.node("c:x").exists  # noqa: B018
    with pytest.raises(StorageConfigError, match="no argument or one"):
        StorageManager([{"name": "c", "type": "local", "path": lambda a, b: a}])
    with pytest.raises(StorageConfigError, match="path"):
        StorageManager([{"name": "c", "type": "memory", "path": lambda: "x"}])


# -- 3. fill_from_url, to_base64 ----------------------------------------------------------


def test_fill_from_url_with_timeout(http_server):
    assert http_server.root is not None
    (http_server.root / "compat.bin").write_bytes(b"payload")
    storage = StorageManager([{"name": "m", "type": "memory"}])
    storage.node("m:got.bin").fill_from_url(http_server.url("compat.bin"), timeout=30)
    assert storage.node("m:got.bin").read_bytes() == b"payload"
    with pytest.raises(ValueError, match="timeout"):
        storage.node("m:x").fill_from_url(http_server.url("compat.bin"), timeout=-1)


async def test_fill_from_url_with_timeout_async(http_server):
    assert http_server.root is not None
    (http_server.root / "compat2.bin").write_bytes(b"payload 2")
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as storage:
        node = await storage.node("m:got.bin").fill_from_url(
            http_server.url("compat2.bin"), timeout=30
        )
        assert await node.read_bytes() == b"payload 2"


def test_to_base64_with_mime_and_data_uri(tmp_path):
    storage = StorageManager([{"name": "img", "type": "local", "path": str(tmp_path)}])
    node = storage.node("img:logo.png")
    node.write_bytes(b"\x89PNG")
    assert node.to_base64() == "iVBORw=="  # the default here is the raw text (0.x: a URI)
    assert node.to_base64(include_uri=True) == "data:image/png;base64,iVBORw=="
    assert node.to_base64(mime="image/x-icon", include_uri=True) == (
        "data:image/x-icon;base64,iVBORw=="
    )
    with pytest.raises(ValueError, match="mime"):
        node.to_base64(mime="a,b", include_uri=True)
    with pytest.raises(ValueError, match="Is a directory"):
        storage.node("img:").to_base64()
    with pytest.raises(FileNotFoundError):
        storage.node("img:none.png").to_base64()


async def test_to_base64_async():
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as storage:
        node = storage.node("m:a.txt")
        await node.write_bytes(b"hi")
        assert await node.to_base64(include_uri=True) == "data:text/plain;base64,aGk="
        await storage.node("m:d/f").write_bytes(b"x")
        with pytest.raises(ValueError, match="Is a directory"):
            await storage.node("m:d").to_base64()


# -- 4. errors 0.x code catches ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_is_a_directory_errors_are_value_errors(kind, tmp_path):
    config = {"name": "m", "type": kind, **({"path": str(tmp_path)} if kind == "local" else {})}
    storage = StorageManager([config])
    storage.node("m:d/f.txt").write_text("x")
    folder = storage.node("m:d")
    size = lambda: folder.size  # noqa: E731 - a property in the sync API
    for action in (size, folder.md5hash, folder.to_base64, folder.read_bytes):
        with pytest.raises(ValueError, match="Is a directory, not a file: 'm:d'") as caught:
            action()
        assert isinstance(caught.value, IsADirectoryError)
        assert isinstance(caught.value, StorageError)
    assert storage.node("m:d/f.txt").size == 1


async def test_size_of_a_folder_is_a_value_error_in_the_async_api(tmp_path):
    storage = AsyncStorageManager([{"name": "m", "type": "local", "path": str(tmp_path)}])
    await storage.node("m:d/f.txt").write_text("xy")
    with pytest.raises(ValueError, match="Is a directory, not a file: 'm:d'"):
        await storage.node("m:d").size()
    assert await storage.node("m:d/f.txt").size() == 2
    listing = (await storage.node("m:").list()).entries
    assert [(e.name, e.size) for e in listing] == [("d", None)]  # a listing's folder


async def test_unknown_mount_is_every_error_0x_caught():
    storage = StorageManager([{"name": "m", "type": "memory"}])
    for error in (
        StorageNotFoundError,
        FileNotFoundError,
        StorageConfigError,
        ValueError,
        KeyError,
    ):
        with pytest.raises(error, match="Unknown mount 'missing_mount'"):
            storage.node("missing_mount:file.txt")
    try:
        storage.node("missing_mount:x")
    except KeyError as exc:
        assert str(exc) == "Unknown mount 'missing_mount' (configured mounts: m)"  # not quoted
    async with AsyncStorageManager([{"name": "m", "type": "memory"}]) as astorage:
        with pytest.raises(StorageNotFoundError, match="missing_mount"):
            astorage.node("missing_mount:x")
        with pytest.raises(KeyError):
            astorage.delete_mount("missing_mount")


def test_hashes_match_0x_md5hash_as_a_method(tmp_path):
    storage = StorageManager([{"name": "h", "type": "local", "path": str(tmp_path)}])
    storage.node("h:f").write_bytes(b"abc")
    assert storage.node("h:f").md5hash() == hashlib.md5(b"abc").hexdigest()


# -- configuration as 0.x wrote it ----------------------------------------------------------


async def test_0x_field_spellings_reach_the_same_store(s3_server, tmp_path):
    modern = cloud_mounts.s3_mount(s3_server, "new", unique())
    legacy = {
        "name": "old",
        "protocol": "s3",
        "bucket": modern["bucket"],
        "base_path": modern["prefix"],
        "access_key": modern["key"],
        "secret_key": modern["secret"],
        "endpoint_url": modern["endpoint_url"],
        "region": modern["region"],
    }
    storage = StorageManager(
        [modern, legacy, {"name": "home", "protocol": "local", "base_path": str(tmp_path)}]
    )
    storage.node("old:a.txt").write_text("via 0.x fields")
    assert storage.node("new:a.txt").read_text() == "via 0.x fields"
    assert modern["secret"] not in repr(storage.mount_config("old"))
    assert storage.mount_config("old").options["key"] == modern["key"]
    with pytest.raises(StorageConfigError, match="'prefix' or its alias 'base_path'"):
        StorageManager([{**legacy, "prefix": "x"}])
    assert str(storage.node("home:a/b.txt")) == "home:a/b.txt"
    async with AsyncStorageManager([legacy]) as astorage:
        assert await astorage.node("old:a.txt").read_text() == "via 0.x fields"
        assert str(astorage.node("old:a.txt")) == "old:a.txt"


def test_internal_url_leaves_a_presigned_url_alone(s3_server):
    storage = StorageManager([cloud_mounts.s3_mount(s3_server, "s3", unique())])
    node = storage.node("s3:f.txt")
    node.write_text("x")
    url = node.internal_url(nocache=True)
    assert url is not None and "X-Amz-Signature" in url and "mtime=" not in url
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as answer:  # the signature still holds
        assert answer.read() == b"x"


@pytest.mark.parametrize("bad", [["m"], None, 3, b"m"])
def test_mount_names_of_the_wrong_type_are_config_errors(bad):
    storage = StorageManager([{"name": "m", "type": "memory"}])
    with pytest.raises(StorageConfigError, match="mount name is a string"):
        storage.delete_mount(bad)
    assert storage.mounts == ["m"]


async def test_skip_strategy_members_in_skip_if_both_apis():
    config = [{"name": "m", "type": "memory"}]
    storage = StorageManager(config)
    storage.node("m:a").write_bytes(b"1")
    storage.node("m:a").copy("m:b")
    assert storage.node("m:a").copy("m:b", skip_if=SkipStrategy.EXISTS).skipped == ["m:a"]
    assert storage.node("m:a").copy("m:b", skip_if=SkipStrategy.NEVER).copied == ["m:a"]
    assert storage.node("m:a").copy("m:b", skip_if="never").copied == ["m:a"]
    with pytest.raises(StorageConfigError, match="pass the callable"):
        storage.node("m:a").copy("m:b", skip_if=SkipStrategy.CUSTOM)
    async with AsyncStorageManager(config) as astorage:
        await astorage.node("m:c").write_bytes(b"12")
        await astorage.node("m:c").copy("m:d")
        report = await astorage.node("m:c").copy("m:d", skip_if=SkipStrategy.SIZE)
        assert report.skipped == ["m:c"]
        with pytest.raises(StorageConfigError, match="skip_if must be one of"):
            await astorage.node("m:c").copy("m:d", skip_if=3)


def test_deleting_the_newest_version_brings_back_the_one_before(s3_server):
    storage = StorageManager([versioned(s3_server)])
    node = storage.node("s3:doc.txt")
    node.write_text("old")
    node.write_text("new")
    node.delete_version(node.versions()[0].version_id)
    assert node.read_text() == "old" and node.version_count == 1
