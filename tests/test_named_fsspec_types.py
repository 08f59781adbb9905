"""The named fsspec types of 0.x: ``smb``, ``sftp``, ``zip``, ``tar``, ``git``,
``github``, ``webdav``, ``libarchive``.

``zip`` and ``tar`` mounts are read over real archives, one on local disk and one on
moto's S3, through both APIs. The other types need a server or a package this suite
does not have: their configuration is tested (the translation into the generic fsspec
mount, the error that names the package to install, bad fields, secrets).
"""

from __future__ import annotations

import asyncio
import importlib.machinery
import io
import random
import sys
import tarfile
import types
import uuid
import zipfile
from typing import Any

import cloud_mounts
import pytest
from mounts import test_node

from genro_storage import StorageConfigError, StorageManager, StoragePermissionError
from genro_storage._shared.config import parse_mount
from genro_storage._shared.exceptions import StorageNotFoundError
from genro_storage._shared.named_types import NAMED_FSSPEC_TYPES
from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends.registry import BUILTIN_TYPES

MANAGERS = [StorageManager, AsyncStorageManager]
SECRET = "s3cr3t-value-123"

# -- archives ------------------------------------------------------------------------

BIG = random.Random(7).randbytes(300_000)  # several read-ahead blocks
TAR_MTIME = 1_700_000_000
MEMBERS = {
    "a.txt": b"alpha\n",
    "docs/b.txt": "bravo \u00e8\n".encode(),
    "docs/deep/c.bin": BIG,
}
SUFFIX = {"zip": "zip", "tar": "tar.gz"}


def build_archive(kind: str) -> bytes:
    """The bytes of a zip, or of a gzip-compressed tar, holding ``MEMBERS``."""
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in MEMBERS.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, data in MEMBERS.items():
                member = tarfile.TarInfo(name)
                member.size, member.mtime = len(data), TAR_MTIME
                archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(params=["zip", "tar"])
def archive_type(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["local", "s3"])
def archive_place(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def archive(archive_type, archive_place, open_storage, tmp_path, request) -> dict[str, Any]:
    """A mount 'arc' over a fresh archive (on disk or on S3) beside a memory mount
    'mem', in the test's API: ``root`` (the archive's root node), ``manager``,
    ``stored()`` (the archive's bytes as stored now)."""
    data = build_archive(archive_type)
    name = f"tree-{uuid.uuid4().hex[:8]}.{SUFFIX[archive_type]}"
    if archive_place == "local":
        path = tmp_path / name
        path.write_bytes(data)
        config = {"name": "arc", "type": archive_type, "file": str(path)}

        def stored() -> bytes:
            return path.read_bytes()

    else:
        server = request.getfixturevalue("s3_server")
        key = f"archives/{name}"
        config = cloud_mounts.s3_archive_mount(server, "arc", archive_type, key, data)
        bucket = cloud_mounts.S3_BUCKET

        def stored() -> bytes:
            return server.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    memory = {"name": "mem", "type": "memory", "store": f"t-{uuid.uuid4().hex[:12]}"}
    manager = open_storage([config, memory])
    return {"root": test_node(manager, "arc:"), "manager": manager, "stored": stored}


async def test_archive_mount_reads_files_and_folders(archive, archive_type):
    root = archive["root"]
    assert [c.basename async for c in root.children()] == ["a.txt", "docs"]
    assert [c.basename async for c in root.child("docs").children()] == ["b.txt", "deep"]
    assert await root.child("docs").isdir()
    assert await root.child("docs/deep").isdir()
    assert not await root.child("docs").isfile()
    text = root.child("docs/b.txt")
    assert await text.isfile() and await text.exists()
    assert await text.read_text() == "bravo \u00e8\n"
    assert await text.size() == len("bravo \u00e8\n".encode())
    big = root.child("docs/deep/c.bin")
    assert await big.read_bytes() == BIG
    assert await big.read_range(123_456, 123_500) == BIG[123_456:123_500]
    assert await big.read_range(len(BIG) - 3) == BIG[-3:]
    async with big.open("rb") as handle:
        chunks = [chunk async for chunk in handle.chunks()]
    assert b"".join(chunks) == BIG
    if archive_type == "tar":  # zip members carry a DOS date, no timestamp
        assert await root.child("a.txt").mtime() == TAR_MTIME


async def test_archive_member_that_is_missing_is_not_found(archive):
    missing = archive["root"].child("docs/nope.txt")
    assert not await missing.exists()
    with pytest.raises(StorageNotFoundError, match="arc:docs/nope.txt"):
        await missing.read_bytes()


async def test_archive_mount_is_read_only(archive):
    root = archive["root"]
    before = archive["stored"]()
    caps = root.capabilities
    assert root.config.permissions == "readonly"
    assert (caps.read, caps.write, caps.delete, caps.mkdir) == (True, False, False, False)
    with pytest.raises(StoragePermissionError, match="Mount 'arc' is readonly"):
        await root.child("a.txt").write_bytes(b"changed")
    with pytest.raises(StoragePermissionError, match="Mount 'arc' is readonly"):
        await root.child("new.txt").write_text("new")
    with pytest.raises(StoragePermissionError, match="Mount 'arc' is readonly"):
        await root.child("a.txt").delete()
    with pytest.raises(StoragePermissionError, match="Mount 'arc' is readonly"):
        await root.child("newdir").mkdir()
    assert await root.child("a.txt").read_bytes() == b"alpha\n"
    assert not await root.child("new.txt").exists()
    assert archive["stored"]() == before


async def test_archive_members_read_concurrently_are_whole(archive, archive_type, request):
    # The async API reads in worker threads, and a tree copy reads several files at
    # once: one archive handle shared by overlapping reads must not mix their bytes.
    nodes = [archive["root"].child(name) for name in MEMBERS for _ in range(4)]
    expected = [MEMBERS[name] for name in MEMBERS for _ in range(4)]
    rounds = [await asyncio.gather(*(node.read_bytes() for node in nodes)) for _ in range(20)]
    assert all(got == expected for got in rounds)


async def test_archive_tree_copies_out_to_another_mount(archive, archive_type, api, request):
    manager = archive["manager"]
    await archive["root"].child("docs").copy(test_node(manager, "mem:out"))
    out = test_node(manager, "mem:out")
    assert await out.child("b.txt").read_text() == "bravo \u00e8\n"
    assert await out.child("deep/c.bin").read_bytes() == BIG


def test_archive_mounts_need_no_package_and_hide_the_s3_secret(s3_server):
    config = cloud_mounts.s3_archive_mount(s3_server, "z", "zip", "archives/p.zip", b"")
    config["target_options"]["secret"] = SECRET
    for name in ("zip", "tar"):
        assert NAMED_FSSPEC_TYPES[name].package is None
        parsed = parse_mount({**config, "type": name}, BUILTIN_TYPES)
        assert parsed.options["fsspec_protocol"] == name
        assert SECRET not in repr(parsed)


# -- the other types: configuration ----------------------------------------------------

#: The optional package each type needs: the module looked up, the pip name.
PACKAGES = {
    "smb": ("smbclient", "smbprotocol"),
    "sftp": ("paramiko", "paramiko"),
    "git": ("pygit2", "pygit2"),
    "github": ("requests", "requests"),
    "webdav": ("webdav4", "webdav4"),
    "libarchive": ("libarchive", "libarchive-c"),
}

#: A minimal valid configuration of each named type.
MINIMAL = {
    "smb": {"host": "files.example.org", "share": "public"},
    "sftp": {"host": "ssh.example.org", "username": "anna"},
    "zip": {"file": "/data/a.zip"},
    "tar": {"file": "/data/a.tar"},
    "git": {"path": "/src/repo"},
    "github": {"org": "genropy", "repo": "genro-storage"},
    "webdav": {"base_url": "https://dav.example.org/remote.php/dav/files/anna"},
    "libarchive": {"file": "/data/a.7z"},
}


@pytest.fixture
def packages_present(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each optional package findable (an empty module with a spec), so that the
    translation itself can be tested where the package is not installed."""
    for module, _pip in PACKAGES.values():
        if module not in sys.modules:
            fake = types.ModuleType(module)
            fake.__spec__ = importlib.machinery.ModuleSpec(module, None)
            monkeypatch.setitem(sys.modules, module, fake)


def test_every_named_type_is_a_builtin_fsspec_type():
    assert set(MINIMAL) == set(NAMED_FSSPEC_TYPES)
    for name in NAMED_FSSPEC_TYPES:
        assert BUILTIN_TYPES[name] == BUILTIN_TYPES["fsspec"]


@pytest.mark.parametrize(
    ("raw", "root", "kwargs", "permissions"),
    [
        (
            {
                "type": "smb",
                "host": "files.example.org",
                "share": "public",
                "path": "/team//reports/",
                "username": "anna",
                "password": SECRET,
                "domain": "CORP",
                "port": 445,
            },
            "/public/team/reports",
            {
                "host": "files.example.org",
                "port": 445,
                "username": "CORP\\anna",
                "password": SECRET,
            },
            "delete",
        ),
        (
            {**MINIMAL["smb"], "type": "smb", "permissions": "readwrite"},
            "/public",
            {"host": "files.example.org"},
            "readwrite",
        ),
        (
            {
                "type": "sftp",
                "host": "ssh.example.org",
                "username": "anna",
                "path": "/srv/data",
                "port": 2222,
                "key_filename": "/home/anna/.ssh/id_ed25519",
                "passphrase": SECRET,
                "timeout": 10,
            },
            "/srv/data",
            {
                "host": "ssh.example.org",
                "username": "anna",
                "port": 2222,
                "key_filename": "/home/anna/.ssh/id_ed25519",
                "passphrase": SECRET,
                "timeout": 10,
            },
            "delete",
        ),
        (
            {"type": "sftp", **MINIMAL["sftp"], "password": SECRET},
            "",  # the login folder
            {"host": "ssh.example.org", "username": "anna", "password": SECRET},
            "delete",
        ),
        (
            {"type": "zip", "file": "/data/a.zip", "mode": "r"},
            "",
            {"fo": "/data/a.zip", "mode": "r"},
            "readonly",
        ),
        (
            {
                "type": "tar",
                "file": "s3://bucket/a.tar.gz",
                "compression": "gzip",
                "target_options": {"key": "k", "secret": SECRET},
            },
            "",
            {
                "fo": "s3://bucket/a.tar.gz",
                "compression": "gzip",
                "target_options": {"key": "k", "secret": SECRET},
            },
            "readonly",
        ),
        (
            {"type": "tar", "file": "a.tar", "target_protocol": "file"},
            "",
            {"fo": "a.tar", "target_protocol": "file"},
            "readonly",
        ),
        (
            {"type": "git", "path": "/src/repo", "ref": "v1.2", "permissions": "readonly"},
            "",
            {"path": "/src/repo", "ref": "v1.2"},
            "readonly",
        ),
        (
            {
                "type": "github",
                "org": "genropy",
                "repo": "genro-storage",
                "sha": "main",
                "username": "anna",
                "token": SECRET,
            },
            "",
            {
                "org": "genropy",
                "repo": "genro-storage",
                "sha": "main",
                "username": "anna",
                "token": SECRET,
            },
            "readonly",
        ),
        (
            {
                "type": "webdav",
                "base_url": "https://dav.example.org/files",
                "username": "anna",
                "password": SECRET,
                "cert": "/etc/ssl/client.pem",
                "verify_ssl": False,
                "options": {"follow_redirects": True},
            },
            "",
            {
                "base_url": "https://dav.example.org/files",
                "auth": ("anna", SECRET),
                "cert": "/etc/ssl/client.pem",
                "verify": False,
                "follow_redirects": True,
            },
            "delete",
        ),
        (
            {"type": "webdav", "base_url": "https://dav.example.org/", "token": SECRET},
            "",
            {
                "base_url": "https://dav.example.org/",
                "headers": {"Authorization": f"Bearer {SECRET}"},
            },
            "delete",
        ),
        (
            {"type": "libarchive", "file": "/data/a.7z"},
            "",
            {"fo": "/data/a.7z"},
            "readonly",
        ),
    ],
)
def test_named_type_becomes_an_fsspec_mount(packages_present, raw, root, kwargs, permissions):
    parsed = parse_mount({"name": "x", **raw}, BUILTIN_TYPES)
    assert parsed.type == raw["type"]
    assert parsed.options == {
        "fsspec_protocol": NAMED_FSSPEC_TYPES[raw["type"]].protocol,
        "path": root,
        "options": kwargs,
    }
    assert parsed.permissions == permissions
    assert SECRET not in repr(parsed)


@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize("mount_type", sorted(PACKAGES))
def test_missing_package_names_the_package_to_install(monkeypatch, manager_class, mount_type):
    module, pip_name = PACKAGES[mount_type]
    monkeypatch.setitem(sys.modules, module, None)  # not importable, installed or not
    manager = manager_class()
    with pytest.raises(StorageConfigError) as err:
        manager.configure([{"name": "x", "type": mount_type, **MINIMAL[mount_type]}])
    message = str(err.value)
    assert f"Mount 'x': type '{mount_type}' needs the '{pip_name}' package" in message
    assert message.endswith(f"pip install {pip_name}")
    assert manager.mounts == []


@pytest.mark.parametrize("manager_class", MANAGERS)
def test_github_mount_is_configured_without_io_and_is_read_only(manager_class):
    # requests (github's package) is installed with the dev tools: nothing is asked of
    # GitHub until the mount is used.
    config = {"name": "gh", "type": "github", **MINIMAL["github"]}
    config.update(username="anna", token=SECRET)
    manager = manager_class([config])
    node = manager.node("gh:README.md")
    assert node.config.permissions == "readonly"
    assert not node.capabilities.write and not node.capabilities.delete
    assert SECRET not in repr(manager.mount_config("gh"))


BAD_FIELDS = [
    ("smb", {"port": "445"}, "field 'port' must be a port number"),
    ("smb", {"port": 0}, "field 'port' must be a port number"),
    ("smb", {"port": True}, "field 'port' must be a port number"),
    ("smb", {"host": 5}, "field 'host' must be a string, not int"),
    ("smb", {"share": "a/b"}, "field 'share' must be one name"),
    ("smb", {"share": None}, "missing field 'share'"),
    ("smb", {"path": "../up"}, "field 'path' is invalid"),
    ("smb", {"domain": "CORP"}, "field 'domain' needs 'username'"),
    ("sftp", {"username": ""}, "missing field 'username'"),
    ("sftp", {"timeout": -1}, "field 'timeout' must be a number of seconds"),
    ("sftp", {"key_filename": ["a", "b"]}, "field 'key_filename' must be a string"),
    ("sftp", {"path": "a/../../etc"}, "field 'path' must not contain '..'"),
    ("zip", {"file": 42}, "field 'file' must be a string (or path), not int"),
    ("zip", {"mode": "w"}, "field 'mode' must be 'r': zip mounts are read-only"),
    ("zip", {"target_options": ["x"]}, "field 'target_options' must be a mapping"),
    ("zip", {"target_protocol": 3}, "field 'target_protocol' must be a string"),
    ("zip", {"permissions": "readwrite"}, "type 'zip' is read-only; field 'permissions'"),
    ("tar", {"compression": "rar"}, "field 'compression' must be one of"),
    ("tar", {"permissions": "delete"}, "type 'tar' is read-only; field 'permissions'"),
    ("git", {"path": None}, "missing field 'path'"),
    ("git", {"ref": 1.5}, "field 'ref' must be a string, not float"),
    ("github", {"username": "anna"}, "field 'token' is needed too"),
    ("github", {"token": SECRET}, "field 'username' is needed too"),
    ("github", {"org": ["a"]}, "field 'org' must be a string, not list"),
    ("webdav", {"base_url": "ftp://dav.example.org"}, "field 'base_url' must start with"),
    ("webdav", {"username": "anna"}, "field 'password' is needed too"),
    ("webdav", {"password": SECRET}, "field 'username' is needed too"),
    (
        "webdav",
        {"username": "anna", "password": SECRET, "token": SECRET},
        "field 'token' cannot be given with 'username'/'password'",
    ),
    ("webdav", {"verify_ssl": "false"}, "field 'verify_ssl' must be true or false"),
    ("libarchive", {"file": None}, "missing field 'file'"),
    ("libarchive", {"bucket": "b"}, "unknown field(s) 'bucket' for type 'libarchive'"),
    ("smb", {"options": {"host": "other"}}, "field 'options' repeats 'host'"),
    ("github", {"options": {1: "x"}}, "field 'options' must be a mapping with string keys"),
]


@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize(("mount_type", "bad", "culprit"), BAD_FIELDS)
def test_bad_field_names_mount_and_field(packages_present, manager_class, mount_type, bad, culprit):
    manager = manager_class()
    with pytest.raises(StorageConfigError) as err:
        manager.configure([{"name": "x", "type": mount_type, **MINIMAL[mount_type], **bad}])
    message = str(err.value)
    assert message.startswith("Mount 'x'")
    assert culprit in message
    assert SECRET not in message
    assert manager.mounts == []


def test_bad_fields_are_reported_before_a_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "paramiko", None)
    with pytest.raises(StorageConfigError, match="field 'port' must be a port number"):
        StorageManager([{"name": "x", "type": "sftp", **MINIMAL["sftp"], "port": "22"}])


@pytest.mark.parametrize(
    "secrets",
    [
        {"type": "smb", **MINIMAL["smb"], "username": "anna", "password": SECRET},
        {"type": "sftp", **MINIMAL["sftp"], "password": SECRET, "passphrase": SECRET},
        {"type": "sftp", **MINIMAL["sftp"], "key_filename": f"/keys/{SECRET}"},
        {"type": "github", **MINIMAL["github"], "username": "anna", "token": SECRET},
        {"type": "webdav", **MINIMAL["webdav"], "username": "anna", "password": SECRET},
        {"type": "webdav", **MINIMAL["webdav"], "token": SECRET},
        {"type": "zip", "file": "s3://b/a.zip", "target_options": {"secret": SECRET}},
        {"type": "tar", "file": "s3://b/a.tar", "target_options": {"token": SECRET}},
        {"type": "libarchive", "file": "a.7z", "target_options": {"password": SECRET}},
    ],
)
def test_secrets_stay_out_of_reprs_and_errors(packages_present, secrets):
    good = {"name": "x", **secrets}
    assert SECRET not in repr(parse_mount(good, BUILTIN_TYPES))
    for bad in ({**good, "colour": "red"}, {**good, "options": 5}, {**good, "timeout": "x"}):
        with pytest.raises(StorageConfigError) as err:
            parse_mount(bad, BUILTIN_TYPES)
        assert SECRET not in str(err.value)
