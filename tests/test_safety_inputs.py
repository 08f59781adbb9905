"""Strict inputs, no secret in sight, no leaked session (issue 9, items 8-12 and 14).

Each test is the reproduction of one defect, run on both APIs and on every backend
where the defect could happen; the type space of the configuration fields is explored
with hypothesis.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mounts import test_node

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage._shared.config import TYPE_FIELDS, redact
from genro_storage._shared.transfer import StorageTransferError
from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer, render
from genro_storage.widgets import explorer as explorer_module
from genro_storage.widgets._format import show

MANAGERS = [StorageManager, AsyncStorageManager]
SECRET = "S3CR3Tvalue9f2"
ROOT = Path(__file__).resolve().parent.parent


async def close(manager: Any) -> None:
    if isinstance(manager, AsyncStorageManager):
        await manager.close()
    else:
        manager.close()


# ==================================================================== item 8
@pytest.mark.parametrize("kind", ["local", "memory", "s3"])
@pytest.mark.parametrize("twin", [False, True], ids=["sync", "async-as_sync"])
async def test_local_path_for_writing_is_refused_on_a_read_only_mount(kind, twin, make_config):
    """``local_path('w'/'rw')`` of a read-only mount: refused before any path exists."""
    writable = make_config(kind, "rw")
    configs = [writable, {**writable, "name": "ro", "permissions": "readonly"}]
    manager: Any = AsyncStorageManager(configs) if twin else StorageManager(configs)
    storage = manager.as_sync() if twin else manager
    try:
        await asyncio.to_thread(storage.node("rw:f.txt").write_bytes, b"old")
        node = storage.node("ro:f.txt")
        for mode in ("w", "rw"):
            handed_out: list[str] = []
            with (
                pytest.raises(StoragePermissionError, match="readonly.*ro:f.txt"),
                node.local_path(mode) as path,
            ):
                handed_out.append(path)
                Path(path).write_bytes(b"new")
            assert handed_out == []
        with pytest.raises(StorageConfigError, match="mode"), node.local_path("x"):
            pass
        with node.local_path("r") as path:
            assert Path(path).read_bytes() == b"old"
        assert await asyncio.to_thread(storage.node("rw:f.txt").read_bytes) == b"old"
    finally:
        await close(manager)


# ==================================================================== item 9
@pytest.mark.parametrize("kind", ["memory", "local", "s3"])
async def test_as_sync_twin_follows_add_remove_and_configure(kind, make_config):
    """A plain ``skip_if`` gets nodes of the twin: it must see the current mounts."""
    first, second = make_config(kind, "dst"), make_config(kind, "dst")  # two places
    storage = AsyncStorageManager([make_config(kind, "src")])
    other = StorageManager([second])
    try:
        await storage.node("src:f.txt").write_bytes(b"new")
        twin = storage.as_sync()
        seen: list[bool] = []

        def skip(_src: Any, dst: Any) -> bool:
            seen.append(dst.exists)
            return dst.exists

        storage.add_mount(first)  # after the twin was made
        assert storage.as_sync() is twin and twin.has_mount("dst")
        report = await storage.node("src:f.txt").copy(storage.node("dst:f.txt"), skip_if=skip)
        assert report.copied == ["src:f.txt"] and seen == [False]

        storage.remove_mount("dst")
        with pytest.raises(StorageConfigError, match="Unknown mount 'dst'"):
            twin.node("dst:f.txt")

        await asyncio.to_thread(other.node("dst:f.txt").write_bytes, b"there")
        storage.add_mount(second)  # same name, another place, the file already there
        report = await storage.node("src:f.txt").copy(storage.node("dst:f.txt"), skip_if=skip)
        assert report.skipped == ["src:f.txt"] and seen == [False, True]
        assert await storage.node("dst:f.txt").read_bytes() == b"there"
        assert await asyncio.to_thread(twin.node("dst:f.txt").read_bytes) == b"there"

        storage.configure([first])  # replaced by configure(): back to the first place
        assert await asyncio.to_thread(twin.node("dst:f.txt").read_bytes) == b"new"
        assert twin.mounts == storage.mounts
    finally:
        await storage.close()
        other.close()


# ==================================================================== item 10
def _secret_configs(tmp: Path) -> list[dict[str, Any]]:
    userinfo_url = f"https://reader:{SECRET}@files.example.com/data"
    return [
        {
            "name": "web",
            "type": "http",
            "base_url": userinfo_url,
            "headers": {
                "Authorization": f"Bearer {SECRET}",
                "Cookie": f"sid={SECRET}",
                "X-Whatever": SECRET,  # any header value is a secret
            },
        },
        {
            "name": "s3",
            "type": "s3",
            "bucket": "b",
            "endpoint_url": f"https://ak:{SECRET}@s3.example.com",
            "key": f"AK{SECRET}",
            "secret": SECRET,
            "token": SECRET,
            "options": {"client_kwargs": {"aws_session_token": SECRET}},
        },
        {
            "name": "az",
            "type": "azure",
            "container": "c",
            "connection_string": (
                f"AccountName=acct;AccountKey={SECRET};BlobEndpoint=https://acct.example.com;"
            ),
        },
        {
            "name": "az2",
            "type": "azure",
            "container": "c",
            "account_name": "acct",
            "account_key": SECRET,
            "sas_token": f"sv=2024&sig={SECRET}",
        },
        {"name": "gcs", "type": "gcs", "bucket": "b", "token": {"private_key": SECRET}},
        {
            "name": "ftp",
            "type": "fsspec",
            "fsspec_protocol": "ftp",
            "path": f"ftp://user:{SECRET}@ftp.example.com/x",
            "options": {
                "host": "ftp.example.com",
                "password": SECRET,
                "passphrase": SECRET,
                "auth": ("user", SECRET),
                "key_filename": f"/keys/{SECRET}",
                "client_kwargs": {"headers": {"X-Api": SECRET}},
            },
        },
        {"name": "disk", "type": "local", "path": str(tmp), "base_url": userinfo_url},
    ]


@pytest.mark.parametrize("manager_class", MANAGERS)
async def test_reprs_and_config_errors_never_show_a_secret(manager_class, tmp_path):
    configs = _secret_configs(tmp_path)
    storage = manager_class(configs)
    try:
        texts = [repr(storage), str(storage)]
        for config in configs:
            name = config["name"]
            mount = storage.mount_config(name)
            texts += [repr(mount), str(mount), repr(storage.node(f"{name}:a/b.txt"))]
            texts.append(repr(redact(config)))
            for bad in (
                {**config, "prefix": 42},
                {**config, "colour": "red"},
                {**config, "permissions": ["x"]},
                {**config, "async_mode": "fast"},
            ):
                with pytest.raises(StorageConfigError) as err:
                    manager_class([bad])
                texts.append(str(err.value))
        if isinstance(storage, AsyncStorageManager):
            texts.append(repr(storage.describe()))
        for text in texts:
            assert SECRET not in text, text
        assert "files.example.com" in repr(storage.mount_config("web"))  # not all hidden
    finally:
        await close(storage)


@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("endpoint_url", f"ftp://u:{SECRET}@h.example.com/?sig={SECRET}"),
        ("endpoint_url", f"https://u:{SECRET}@h.example.com/?X-Amz-Signature={SECRET}"),
        ("endpoint_url", f"s3.example.com/x?token={SECRET}"),
        ("base_url", f"https://h.example.com/data?api_key={SECRET}"),
        ("base_url", f"https://u:{SECRET}@h.example.com/x#access_token={SECRET}"),
        ("base_url", f"https://u:{SECRET}@h.example.com:port/x"),
    ],
)
def test_a_rejected_url_is_named_without_its_secrets(manager_class, field, value):
    config = {"name": "m", "type": "s3" if field == "endpoint_url" else "http", "bucket": "b"}
    if field == "base_url":
        del config["bucket"]
    with pytest.raises(StorageConfigError) as err:
        manager_class([{**config, field: value}])
    message = str(err.value)
    assert f"Mount 'm': field '{field}'" in message
    assert SECRET not in message and "u:" not in message


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"https://user:{SECRET}@host.example.com/p?a=1", ["host.example.com/p", "a=1"]),
        (f"https://{SECRET}@host.example.com/", ["host.example.com"]),
        (f"see http://h.example.com/x?api_key={SECRET}&page=2 now", ["page=2", "see "]),
        (f"https://h.example.com/x?X-Amz-Signature={SECRET}&X-Amz-Expires=60", ["Expires=60"]),
        (f"https://a.blob.example.com/c/b?sv=2024&sig={SECRET}", ["sv=2024"]),
        (f"https://h.example.com/cb#access_token={SECRET}&state=s", ["state=s"]),
        (f"https://h.example.com/?token={SECRET};password={SECRET}", ["h.example.com"]),
        (f"AccountName=a;AccountKey={SECRET};EndpointSuffix=x", ["AccountName=a", "x"]),
        (f"SharedAccessSignature=sv=1&sig={SECRET}", []),
        (f"Authorization: Bearer {SECRET} x", ["Authorization"]),
        (f"401 for url='http://u:{SECRET}@h:1/x'", ["h:1/x"]),
    ],
)
def test_redact_masks_secrets_in_free_text(text, kept):
    redacted = redact(text)
    assert SECRET not in redacted
    for piece in kept:
        assert piece in redacted


@given(
    secret=st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12),
    where=st.sampled_from(["user", "password", "query", "header", "field", "pair"]),
    name=st.sampled_from(["token", "api_key", "sig", "password", "secret", "key", "sas"]),
)
@settings(max_examples=150, deadline=None)
def test_redact_property_no_secret_survives(secret, where, name):
    if where == "user":
        value: Any = f"https://{secret}@h.example.com/x"
    elif where == "password":
        value = f"https://u:{secret}@h.example.com/x"
    elif where == "query":
        value = f"https://h.example.com/x?a=1&{name}={secret}"
    elif where == "header":
        value = {"headers": {"anything": secret}}
    elif where == "field":
        value = {"options": {"deep": [{name: secret}]}}
    else:
        value = f"text {name}={secret}; more"
    assert secret not in repr(redact(value))


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_node_url_never_carries_credentials(api, http_server, tmp_path):
    """``url()`` of http, local, gcs and s3 mounts whose configured URL has userinfo."""
    prefix = "creds"
    (http_server.root / prefix).mkdir(exist_ok=True)
    base = http_server.url(prefix).replace("http://", f"http://reader:{SECRET}@", 1)
    configs = [
        {"name": "web", "type": "http", "base_url": base},
        {"name": "disk", "type": "local", "path": str(tmp_path), "base_url": base},
        {"name": "gcs", "type": "gcs", "bucket": "b", "token": "anon",
         "endpoint_url": f"http://u:{SECRET}@127.0.0.1:9"},
        {"name": "s3", "type": "s3", "bucket": "b", "key": "AK", "secret": "SK",
         "endpoint_url": f"http://u:{SECRET}@127.0.0.1:9"},
    ]  # fmt: skip
    storage = StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)
    try:
        for mount in ("web", "disk", "gcs", "s3"):
            url = storage.node(f"{mount}:dir/f.txt").url()
            assert url is not None and SECRET not in url and "@" not in url, url
            assert "f.txt" in url
        with pytest.raises(StorageConfigError, match="expires_in"):
            storage.node("s3:f.txt").url(expires_in="soon")
    finally:
        await close(storage)


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_backend_and_download_errors_quote_no_credentials(api, make_config, http_server):
    from servers import free_port

    port = free_port()  # nothing listens there
    manager_class = StorageManager if api == "sync" else AsyncStorageManager
    storage = manager_class([make_config("memory")])
    node = test_node(storage, "m:f.txt")
    dead = f"http://user:{SECRET}@127.0.0.1:{port}/x.txt?token={SECRET}"
    try:
        with pytest.raises(StorageError) as err:
            await node.fill_from_url(dead)
        assert SECRET not in str(err.value) and "127.0.0.1" in str(err.value)
        for bad in (f"ftp://u:{SECRET}@h/x", f"http://u:{SECRET}@h:port/x", "http://[::1/x"):
            with pytest.raises(StorageConfigError) as err:
                await node.fill_from_url(bad)
            assert SECRET not in str(err.value)
        # credentials in the URL still work: they go as a header
        (http_server.root / "auth.txt").write_bytes(b"payload")
        await node.fill_from_url(
            http_server.url("auth.txt").replace("http://", f"http://u:{SECRET}@", 1)
        )
        assert await node.read_bytes() == b"payload"

        web = {"name": "web", "type": "http", "base_url": dead.split("/x.txt")[0] + "/d"}
        storage.add_mount(web)
        with pytest.raises(StorageError) as err:
            await test_node(storage, "web:f.txt").read_bytes()
        assert SECRET not in str(err.value)
    finally:
        await close(storage)


async def test_explorer_download_link_and_messages_carry_no_secret(http_server, monkeypatch):
    prefix = "explorer-creds"
    (http_server.root / prefix).mkdir(exist_ok=True)
    (http_server.root / prefix / "big.bin").write_bytes(b"x" * 64)
    base = http_server.url(prefix).replace("http://", f"http://reader:{SECRET}@", 1)
    storage = AsyncStorageManager(
        [{"name": "web", "type": "http", "base_url": base}, {"name": "mem", "type": "memory"}]
    )
    monkeypatch.setattr(explorer_module, "DOWNLOAD_BYTES", 16)  # big.bin is "large"
    ex = StorageExplorer(storage)
    try:
        await ex.wait_idle()
        assert await ex.download("web:big.bin")
        link = ex.download_area.value
        assert "big.bin" in link and "href=" in link
        assert SECRET not in link and "reader" not in link
        ex.report("error", f"failed on {base}/big.bin?api_key={SECRET}")
        assert await ex.preview("web:missing.txt") is False
        texts = [t for _, t in ex.messages] + [ex.status.value, ex.preview_html.value]
        assert all(SECRET not in t for t in texts), texts
        assert SECRET not in ex._mounts_line()
    finally:
        ex.close()
        await ex.wait_idle()
        await storage.close()


# ==================================================================== item 11
@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"type": "s3", "bucket": "b", "anon": "false"}, "anon"),
        ({"type": "s3", "bucket": "b", "anon": "true"}, "anon"),
        ({"type": "s3", "bucket": "b", "anon": 0}, "anon"),
        ({"type": "azure", "container": "c", "account_name": "a", "anon": "no"}, "anon"),
        ({"type": "http", "base_url": "http://h.example.com/", "writable": "false"}, "writable"),
        ({"type": "http", "base_url": "http://h.example.com/", "writable": 1}, "writable"),
        ({"type": "http", "base_url": "http://h.example.com/", "timeout": "5"}, "timeout"),
        ({"type": "http", "base_url": "http://h.example.com/", "timeout": True}, "timeout"),
        ({"type": "http", "base_url": "http://h.example.com/", "headers": {"X": 1}}, "headers"),
        ({"type": "http", "base_url": "http://h.example.com/", "headers": ["X"]}, "headers"),
        ({"type": "memory", "store": ["a"]}, "store"),
        ({"type": "memory", "store": 3}, "store"),
        ({"type": "s3", "bucket": ["b"]}, "bucket"),
        ({"type": "s3", "bucket": "b", "max_concurrency": True}, "max_concurrency"),
        ({"type": "s3", "bucket": "b", "region": 1}, "region"),
        ({"type": "s3", "bucket": "b", "options": {"client_kwargs": []}}, "options.client_kwargs"),
        ({"type": "s3", "bucket": "b", "options": {1: 2}}, "options"),
        ({"type": "gcs", "bucket": "b", "token": 5}, "token"),
        (
            {"type": "azure", "container": "c", "options": {"account_host": 5}},
            "options.account_host",
        ),
        ({"type": "fsspec", "fsspec_protocol": ["memory"]}, "fsspec_protocol"),
        ({"type": ["s3"], "bucket": "b"}, "type"),
        ({"type": {"s3": 1}, "bucket": "b"}, "type"),
        ({"protocol": ["s3"], "bucket": "b"}, "protocol"),
        ({"type": "memory", "permissions": ["readonly"]}, "permissions"),
        ({"type": "memory", "async_mode": {"x": 1}}, "async_mode"),
    ],
)
def test_wrong_types_are_config_errors_naming_mount_and_field(manager_class, config, field):
    manager = manager_class()
    with pytest.raises(StorageConfigError) as err:
        manager.configure({"name": "m", **config})
    assert "Mount 'm'" in str(err.value) and f"'{field}'" in str(err.value)
    assert manager.mounts == []


def test_false_means_false(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "- {name: pub, type: s3, bucket: b, anon: false}\n"
        "- {name: web, type: http, base_url: 'http://h.example.com/', writable: false}\n"
        "- {name: up, type: http, base_url: 'http://h.example.com/', writable: true}\n"
    )
    storage = StorageManager(tmp_path / "m.yaml")
    try:
        assert storage._backend("pub").logic._fs_kwargs()["anon"] is False
        assert not storage.node("web:x").capabilities.write
        assert storage.node("up:x").capabilities.write
        (tmp_path / "bad.yaml").write_text(
            "- {name: web, type: http, base_url: 'http://h.example.com/', writable: 'false'}\n"
        )
        with pytest.raises(StorageConfigError, match="Mount 'web': field 'writable'"):
            storage.configure(tmp_path / "bad.yaml")
        assert not storage.node("web:x").capabilities.write
    finally:
        storage.close()


# Values of many types, for every field of every built-in type.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["false", "true", "0", "http://h.example.com/x", "anon", "a/b", ""]),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.tuples(st.text(max_size=2)),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.just(Path("relative/dir")),
)
FIELDS = sorted(
    (t, f)
    for t, (req, opt) in TYPE_FIELDS.items()
    for f in req | opt | {"permissions", "async_mode"}
)
BOOL_FIELDS = {"anon", "writable"}


def _base_config(mount_type: str, folder: str) -> dict[str, Any]:
    return {
        "local": {"path": folder},
        "memory": {},
        "base64": {},
        "s3": {"bucket": "b"},
        "azure": {"container": "c", "account_name": "acct"},
        "gcs": {"bucket": "b", "token": "anon"},
        "http": {"base_url": "http://h.example.com/x"},
        "fsspec": {"fsspec_protocol": "memory"},
        # The named fsspec types of 0.x (no I/O until first use).
        "smb": {"host": "h.example.com", "share": "s"},
        "sftp": {"host": "h.example.com", "username": "u"},
        "zip": {"file": f"{folder}/a.zip"},
        "tar": {"file": f"{folder}/a.tar"},
        "git": {"path": folder},
        "github": {"org": "o", "repo": "r"},
        "webdav": {"base_url": "http://h.example.com/x"},
        "libarchive": {"file": f"{folder}/a.7z"},
    }[mount_type]


@pytest.mark.parametrize("manager_class", MANAGERS)
@given(field=st.sampled_from(FIELDS), value=ANY_VALUE)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_config_field_takes_only_its_type(manager_class, tmp_path, field, value):
    """Whatever a field holds, ``configure()`` mounts it or raises a
    ``StorageConfigError`` naming the mount and the field; a boolean is a bool."""
    mount_type, name = field
    config = {"name": "m", "type": mount_type, **_base_config(mount_type, str(tmp_path))}
    config[name] = value
    manager = manager_class()
    try:
        manager.configure(config)
    except StorageConfigError as exc:
        text = str(exc)
        # A named type whose package is not installed says so once its fields are valid.
        missing = f"type '{mount_type}' needs the" in text
        assert "Mount 'm'" in text and (f"'{name}'" in text or "'options." in text or missing), text
        assert manager.mounts == []
        if name in BOOL_FIELDS:
            assert not isinstance(value, bool) and value is not None
    else:
        assert manager.mounts == ["m"]
        if name in BOOL_FIELDS:
            assert isinstance(value, bool) or value is None
        if name in ("max_concurrency",) and value is not None:
            assert isinstance(value, int) and not isinstance(value, bool) and value >= 1
    finally:
        if isinstance(manager, StorageManager):
            manager.close()


@pytest.mark.parametrize("manager_class", MANAGERS)
def test_raw_python_errors_of_bad_configurations_are_library_errors(manager_class, tmp_path):
    manager = manager_class()
    (tmp_path / "latin1.yaml").write_bytes("- name: caf\xe9\n  type: memory\n".encode("latin-1"))
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    cases: list[Callable[[], Any]] = [
        lambda: manager.add_mount("x"),
        lambda: manager.add_mount(["name", "x"]),
        lambda: manager.configure(tmp_path / "latin1.yaml"),
        lambda: manager.configure(tmp_path / "deep.json"),
        lambda: manager.configure("nul\x00.yaml"),
        lambda: manager.configure({"name": "m", "type": "memory", "store": {"a": 1}}),
        lambda: manager.configure({"name": "m", "type": "local", "path": b"/tmp"}),
        lambda: manager.configure({"name": "m", "type": "local", "path": "a\x00b"}),
        lambda: manager.configure({"name": 5, "type": "memory"}),
    ]
    for case in cases:
        with pytest.raises(StorageConfigError):
            case()
    with pytest.raises(StorageConfigError, match="latin1.yaml.*not UTF-8"):
        manager.configure(tmp_path / "latin1.yaml")
    assert manager.mounts == []


@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", "abc ", "a:b", "a/b", "", "é"])
def test_mount_names_are_matched_whole(manager_class, name):
    manager = manager_class()
    with pytest.raises(StorageConfigError, match="is invalid"):
        manager.configure({"name": name, "type": "memory"})
    with pytest.raises(StorageConfigError, match="is invalid"):
        manager.add_mount({"name": name, "type": "memory"})
    with pytest.raises(StorageConfigError, match="invalid"):
        manager.register_backend_type(name, dict)
    assert manager.mounts == []


@pytest.mark.parametrize("kind", ["local", "memory", "s3", "azure", "gcs", "http"])
async def test_list_page_size_and_cursor_are_validated(
    api, kind, make_config, open_storage, request
):
    config = make_config(kind)
    names = ["a.txt", "b.txt", "c.txt"]
    storage = open_storage([config])
    folder_node = test_node(storage, "m:")
    for n in names:
        if kind == "http":  # a read-only server: the files are put in its folder
            server = request.getfixturevalue("http_server")
            (server.root / config["base_url"].rstrip("/").rsplit("/", 1)[1] / n).write_bytes(b"x")
        else:
            await test_node(storage, f"m:{n}").write_bytes(b"x")
    for page_size in (0, -1, True, False, 1.5, "2", [1]):
        with pytest.raises(StorageConfigError, match="page_size"):
            await folder_node.list(page_size=page_size)
    for cursor in (5, b"a.txt", ["a.txt"], True):
        with pytest.raises(StorageConfigError, match="cursor"):
            await folder_node.list(cursor=cursor)
    seen, cursor = [], None
    while True:  # page_size=1 pages through every entry, losing none
        page = await folder_node.list(page_size=1, cursor=cursor)
        assert len(page.entries) <= 1
        seen += [e.name for e in page.entries]
        if (cursor := page.cursor) is None:
            break
    assert seen == names
    assert [e.name for e in (await folder_node.list()).entries] == names


async def test_a_local_commit_into_a_removed_folder_names_the_file(api, make_config, open_storage):
    config = make_config("local")
    storage = open_storage([config])
    node = test_node(storage, "m:sub/f.txt")
    await node.write_bytes(b"old")
    with pytest.raises(StorageNotFoundError) as err:
        async with node.open("wb") as f:
            await f.write(b"new")
            shutil.rmtree(Path(config["path"]) / "sub")
    message = str(err.value)
    assert "m:sub/f.txt" in message
    assert config["path"] not in message and ".part" not in message
    assert not (Path(config["path"]) / "sub").exists()


# ==================================================================== item 12
def _hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"outside secret, 34 bytes long....")
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.txt").write_bytes(b"bb")
    (root / "sub" / "c.txt").write_bytes(b"ccc")
    os.symlink(outside, root / "link-out")  # a folder outside the mount
    os.symlink(outside / "secret.txt", root / "sub" / "file-out")  # a file outside
    os.symlink(root / "loop2", root / "loop1")  # a symlink loop
    os.symlink(root / "loop1", root / "loop2")
    os.symlink(root, root / "sub" / "up")  # a folder above itself: an endless tree
    os.symlink(root / "sub" / "b.txt", root / "inner")  # inside: followed
    return root, outside


REFUSED = {"link-out", "loop1", "loop2", "sub/file-out", "sub/up"}


@pytest.mark.parametrize("dst_kind", ["memory", "local"])
async def test_symlinks_out_of_the_mount_are_reported_and_the_rest_copied(
    api, dst_kind, tmp_path, make_config, open_storage
):
    root, outside = _hostile_tree(tmp_path)
    storage = open_storage(
        [{"name": "disk", "type": "local", "path": str(root)}, make_config(dst_kind, "dst")]
    )
    src = test_node(storage, "disk:")
    listed = {e.name: e for e in (await src.list()).entries}
    assert set(listed) == {"a.txt", "sub", "inner", "link-out", "loop1", "loop2"}
    for name in ("link-out", "loop1", "loop2"):
        assert listed[name].isfile and listed[name].size is None  # the link, not its target
        with pytest.raises(StoragePermissionError):
            await test_node(storage, f"disk:{name}").info()
    assert listed["inner"].size == 2
    sub = {e.name: e for e in (await test_node(storage, "disk:sub").list()).entries}
    assert sub["file-out"].size is None and sub["up"].isfile
    with pytest.raises(StoragePermissionError, match="outside"):
        await test_node(storage, "disk:sub/file-out").read_bytes()

    report = await src.copy(test_node(storage, "dst:backup"), on_error="continue")
    assert sorted(report.copied) == ["disk:a.txt", "disk:inner", "disk:sub/b.txt", "disk:sub/c.txt"]
    assert {p.removeprefix("disk:") for p, _ in report.failed} == REFUSED
    assert all(isinstance(e, StorageError) for _, e in report.failed)
    assert await test_node(storage, "dst:backup/sub/c.txt").read_bytes() == b"ccc"
    assert not await test_node(storage, "dst:backup/link-out").exists()
    assert not await test_node(storage, "dst:backup/sub/file-out").exists()

    one_at_a_time = {} if api == "sync" else {"concurrency": 1}
    with pytest.raises(StorageTransferError):
        await src.copy(test_node(storage, "dst:stopped"), **one_at_a_time)
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_deep_json_preview_is_bounded():
    deep = b"[" * 30_000 + b"]" * 30_000  # 60 KB
    for data in (deep, b'{"a": ' * 20_000 + b"1" + b"}" * 20_000):
        preview = render(data, "deep.json")
        assert preview.kind == "text" and "nested deeper" in preview.note
    assert render(b'{"a": "[[[[", "b": [1, [2]]}', "ok.json").kind == "json"


HIDDEN_NAMES = ["evil\u202etxt.exe", "zero\u200bwidth.txt", "esc\x1b[31m.txt", "iso\u2066x\u2069"]


def _widget_strings(widget: Any) -> list[str]:
    """Every string the explorer hands to the frontend: HTML, labels, descriptions,
    tooltips and option labels, through the whole widget tree."""
    found: list[str] = []
    seen: set[int] = set()
    pending = [widget]
    while pending:
        w = pending.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        for attr in ("value", "description", "tooltip"):
            value = getattr(w, attr, None)
            if isinstance(value, str):
                found.append(value)
        found += [str(label) for label in getattr(w, "_options_labels", ())]
        pending += list(getattr(w, "children", ()))
    return found


def _hidden(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n"]


async def test_explorer_shows_invisible_characters_of_names_escaped():
    storage = AsyncStorageManager(
        [{"name": "mem", "type": "memory"}, {"name": "other", "type": "memory"}]
    )
    for name in HIDDEN_NAMES:
        await storage.node("mem", name).write_bytes(b"x")
    folder = "dir\u202eevil"
    await storage.node("mem", folder, "inner\u200b.txt").write_bytes(b"y")
    ex = StorageExplorer(storage)
    try:
        await ex.wait_idle()
        labels = [row[1] for row in ex.left.grid_rows(0, 100)]  # the names the grid shows
        assert any("evil\\u202etxt.exe" in label for label in labels), labels
        ex.left.select(HIDDEN_NAMES[0])
        await ex.wait_idle()
        assert "\\u202e" in ex.preview_title.value
        (job,) = await ex.copy_selected()
        assert job.state == "done" and "\\u202e" in job.title
        ex.left.select(*HIDDEN_NAMES[1:])
        ex.ask_delete()
        assert "\\u200b" in ex.confirm_label.value
        ex.cancel_delete()
        ex.report("info", "done with " + HIDDEN_NAMES[2])
        assert await ex.navigate(f"mem:{folder}")
        assert any("\\u202e" in (b.description or "") for b in ex.left.breadcrumbs.children)
        for text in _widget_strings(ex):
            assert _hidden(text) == [], repr(text[:200])
        assert show("plain é 日本 name.txt") == "plain é 日本 name.txt"
    finally:
        ex.close()
        await ex.wait_idle()
        await storage.close()


# ==================================================================== item 14
SESSIONS_SCRIPT = """
import asyncio, gc, sys
from genro_storage.async_ import AsyncStorageManager

CONFIG = {config!r}

async def use(storage):
    await storage.node("s3:a.txt").write_bytes(b"x")
    assert await storage.node("s3:a.txt").read_bytes() == b"x"
    assert await storage.node("web:f.txt").read_bytes() == b"hello"
    assert [e.name for e in (await storage.node("s3:").list()).entries] == ["a.txt"]

shared = AsyncStorageManager(CONFIG)
for _ in range(3):  # one manager over three loops, never closed
    asyncio.run(use(shared))
for _ in range(2):  # a new manager per loop, never closed, dropped
    asyncio.run(use(AsyncStorageManager(CONFIG)))
    gc.collect()
dropped = AsyncStorageManager(CONFIG)
async def remove():  # a mount removed while its sessions are open
    await use(dropped)
    dropped.remove_mount("s3")
    dropped.configure([CONFIG[1]])  # and one replaced
    gc.collect()
asyncio.run(remove())
closed = AsyncStorageManager(CONFIG)  # and one closed properly
async def main():
    await use(closed)
    await closed.close()
asyncio.run(main())
if "--plain-loop" in sys.argv:  # a loop closed without asyncio.run()'s cleanup
    loop = asyncio.new_event_loop()
    loop.run_until_complete(use(shared))
    loop.close()
    asyncio.run(use(shared))
gc.collect()
print("SCRIPT-OK")
"""


def test_sessions_of_finished_loops_are_closed(s3_server, http_server):
    """A script that runs several event loops with S3 and HTTP mounts (and does not
    close its managers) prints no "Unclosed client session" / "Unclosed connector"."""
    import uuid

    import cloud_mounts

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    (http_server.root / prefix).mkdir()
    (http_server.root / prefix / "f.txt").write_bytes(b"hello")
    config = [
        cloud_mounts.s3_mount(s3_server, "s3", prefix),
        cloud_mounts.http_mount(http_server, "web", prefix),
    ]
    script = textwrap.dedent(SESSIONS_SCRIPT.format(config=config))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # As a user runs it (default warning filters), with a plain loop too; then with
    # every warning shown (-W default), where not even a socket may be left open.
    for options in (["-c", script, "--plain-loop"], ["-W", "default", "-c", script]):
        result = subprocess.run(
            [sys.executable, *options],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            cwd=str(ROOT),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "SCRIPT-OK" in result.stdout
        for warning in ("Unclosed client session", "Unclosed connector", "Traceback"):
            assert warning not in result.stderr, result.stderr[-3000:]
        if "default" in options:
            assert "nclosed" not in result.stderr, result.stderr[-3000:]
