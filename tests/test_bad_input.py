"""Bad input gets a clear error naming the culprit, and nothing is lost."""

from __future__ import annotations

import json
import os

import pytest

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager

MANAGERS = [StorageManager, AsyncStorageManager]


@pytest.mark.parametrize("manager_class", MANAGERS)
@pytest.mark.parametrize(
    ("config", "culprit"),
    [
        ({"type": "memory"}, "'name'"),
        ({"name": "m"}, "missing field 'type'"),
        ({"name": "m", "type": "floppy"}, "Mount 'm': field 'type' has unknown value 'floppy'"),
        ({"name": "m", "type": "local"}, "Mount 'm': missing field 'path'"),
        ({"name": "m", "type": "s3"}, "Mount 'm': missing field 'bucket'"),
        ({"name": "m", "type": "memory", "permissions": "all"}, "field 'permissions'"),
        ({"name": "m", "type": "memory", "async_mode": "fast"}, "field 'async_mode'"),
        ({"name": "m", "type": "memory", "colour": "red"}, "unknown field(s) 'colour'"),
        ({"name": "9bad", "type": "memory"}, "Mount name '9bad' is invalid"),
        ({"name": "m", "type": "local", "path": "/definitely/not/here"}, "field 'path'"),
        ({"name": "m", "type": "s3", "bucket": "b", "endpoint_url": "ftp://x"}, "endpoint_url"),
        ({"name": "m", "type": "s3", "bucket": "b", "prefix": "../up"}, "field 'prefix'"),
        ({"name": "m", "type": "memory", "protocol": "local"}, "disagree"),
        (42, "must be a list of mount dicts"),
        ([42], "Mount #0 must be a dict"),
    ],
)
def test_malformed_configuration_names_mount_and_field(manager_class, config, culprit):
    manager = manager_class()
    with pytest.raises(StorageConfigError) as err:
        manager.configure(config)
    assert culprit in str(err.value)
    assert isinstance(err.value, ValueError)
    assert manager.mounts == []


@pytest.mark.parametrize("manager_class", MANAGERS)
def test_one_bad_mount_adds_none_of_the_batch(manager_class, tmp_path):
    manager = manager_class()
    good = {"name": "ok", "type": "local", "path": str(tmp_path)}
    with pytest.raises(StorageConfigError, match="'bad'"):
        manager.configure([good, {"name": "bad", "type": "nope"}])
    assert manager.mounts == []


def test_duplicate_mount_names_are_refused():
    with pytest.raises(StorageConfigError, match="Mount 'm' is configured twice"):
        StorageManager([{"name": "m", "type": "memory"}, {"name": "m", "type": "memory"}])


@pytest.mark.parametrize(
    "good",
    [
        {"type": "s3", "bucket": "b", "key": "AKIAVERYSECRET", "secret": "s3cr3t-value-123"},
        {
            "type": "azure",
            "container": "c",
            "connection_string": "AccountName=a;AccountKey=s3cr3t-value-123;",
        },
        {"type": "http", "base_url": "https://reader:s3cr3t-value-123@example.org/files"},
    ],
)
def test_secrets_never_appear_in_errors_or_reprs(good):
    good = {"name": "m", **good}
    for bad in ({**good, "prefix": 42}, {**good, "extra": "x"}):
        with pytest.raises(StorageConfigError) as err:
            StorageManager([bad])
        assert "s3cr3t" not in str(err.value) and "AKIAVERYSECRET" not in str(err.value)
    from genro_storage._shared.config import parse_mount, redact

    text = repr(parse_mount(good, ["s3", "azure", "http"]))
    assert "s3cr3t" not in text and "AKIAVERYSECRET" not in text
    assert "s3cr3t" not in repr(redact(good))


def test_yaml_and_json_configuration_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "m.yaml").write_text(
        f"- name: disk\n  protocol: local\n  base_path: {data}\n- name: mem\n  type: memory\n"
    )
    (tmp_path / "m.json").write_text(json.dumps([{"name": "j", "type": "memory"}]))
    storage = StorageManager(str(tmp_path / "m.yaml"))
    storage.configure(tmp_path / "m.json")
    assert storage.mounts == ["disk", "mem", "j"]
    assert storage.mount_config("disk").options["path"] == str(data)
    (tmp_path / "broken.yaml").write_text("- name: [unclosed\n")
    with pytest.raises(StorageConfigError, match="broken.yaml"):
        storage.configure(tmp_path / "broken.yaml")
    with pytest.raises(StorageConfigError, match="not found"):
        storage.configure(tmp_path / "absent.yaml")
    with pytest.raises(StorageConfigError, match=".yaml, .yml or .json"):
        (tmp_path / "m.txt").write_text("x")
        storage.configure(tmp_path / "m.txt")


@pytest.mark.parametrize("manager_class", MANAGERS)
def test_unknown_mount_and_malformed_node_paths(manager_class):
    storage = manager_class([{"name": "mem", "type": "memory"}])
    with pytest.raises(StorageConfigError, match="Unknown mount 'disk'.*mem"):
        storage.node("disk:a.txt")
    with pytest.raises(StorageConfigError, match="string"):
        storage.node(42)
    with pytest.raises(StoragePermissionError, match="escapes its mount"):
        storage.node("mem:../../etc/passwd")
    with pytest.raises(StorageConfigError, match="NUL"):
        storage.node("mem:a\x00b")
    assert storage.node("mem", "a", "b.txt").fullpath == "mem:a/b.txt"
    assert storage.node("mem:a", "b.txt") == storage.node("mem:a/b.txt")


def test_mount_table_operations(tmp_path):
    storage = StorageManager()
    storage.add_mount({"name": "mem", "type": "memory"})
    assert storage.has_mount("mem") and storage.mounts == ["mem"]
    with pytest.raises(StorageConfigError, match="already exists"):
        storage.add_mount({"name": "mem", "type": "memory"})
    storage.remove_mount("mem")
    assert not storage.has_mount("mem")
    with pytest.raises(StorageConfigError, match="Unknown mount 'mem'"):
        storage.remove_mount("mem")


def test_local_symlink_escape_is_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    os.symlink(outside, root / "link")
    os.symlink(outside / "secret.txt", root / "file-link")
    storage = StorageManager([{"name": "disk", "type": "local", "path": str(root)}])
    for spec in ("disk:link/secret.txt", "disk:file-link", "disk:link/new.txt"):
        node = storage.node(spec)
        with pytest.raises(StoragePermissionError, match="resolves outside its mount"):
            node.read_bytes() if "new" not in spec else node.write_bytes(b"x")
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_local_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    storage = StorageManager([{"name": "disk", "type": "local", "path": str(tmp_path)}])
    node = storage.node("disk:a/file.bin")
    node.write_bytes(b"one")
    with pytest.raises(RuntimeError), node.open("wb") as f:
        f.write(b"two" * 100_000)
        raise RuntimeError("interrupted")
    assert node.read_bytes() == b"one"
    assert os.listdir(tmp_path / "a") == ["file.bin"]


def test_writing_bad_types_is_refused():
    storage = StorageManager([{"name": "mem", "type": "memory"}])
    with pytest.raises(TypeError, match="bytes, not str"):
        storage.node("mem:x").write_bytes("text")
    with pytest.raises(TypeError, match="str, not bytes"):
        storage.node("mem:x").write_text(b"bytes")
    with pytest.raises(StorageConfigError, match="mode"):
        storage.node("mem:x").open("r+")  # 'a' appends (tests/test_modes.py)
    with pytest.raises(TypeError, match="async function"):

        async def async_skip(src, dst):
            return False

        storage.node("mem:x").copy("mem:y", skip_if=async_skip)


def test_copy_errors_on_missing_source_and_file_onto_directory():
    storage = StorageManager([{"name": "mem", "type": "memory"}])
    with pytest.raises(StorageNotFoundError, match="mem:ghost"):
        storage.node("mem:ghost").copy("mem:target")
    storage.node("mem:f").write_bytes(b"x")
    storage.node("mem:dir").mkdir()
    with pytest.raises(StorageError, match="mem:dir"):
        storage.node("mem:f").copy("mem:dir")
    with pytest.raises(StorageError, match="onto itself"):
        storage.node("mem:f").copy("mem:f")


def test_base64_mount_reads_writes_and_refuses_bad_data():
    storage = StorageManager([{"name": "b64", "type": "base64"}])
    node = storage.node("b64:SGVsbG8gV29ybGQ=")
    assert node.read_text() == "Hello World"
    assert node.size == 11 and node.exists and node.isfile
    written = node.write_bytes(b"\xff\xfe new data")
    assert written.read_bytes() == b"\xff\xfe new data"
    assert node.path == "SGVsbG8gV29ybGQ=" and node.read_text() == "Hello World"  # unchanged
    assert written.path != node.path
    assert storage.node("b64:" + written.path).read_bytes() == b"\xff\xfe new data"
    padded = storage.node("b64:YQ")  # padding may be omitted
    assert padded.read_bytes() == b"a"
    bad = storage.node("b64:not*base64!")
    assert not bad.exists
    with pytest.raises(StorageConfigError, match="Invalid base64"):
        bad.read_bytes()
    assert storage.node("b64:aGk=").url().startswith("data:")
    copy = storage.node("b64:")
    StorageManager([{"name": "mem", "type": "memory"}])
    assert copy.isdir


def test_base64_as_copy_destination_takes_the_data():
    storage = StorageManager([{"name": "b64", "type": "base64"}, {"name": "mem", "type": "memory"}])
    storage.node("mem:f.txt").write_bytes(b"copied into a path")
    target = storage.node("b64:")
    src = storage.node("mem:f.txt")
    dst = storage.node("b64:AA==")
    report = src.copy(dst)
    assert report.destination.read_bytes() == b"copied into a path"
    assert dst.read_bytes() == b"\x00"  # nodes never change
    assert target.isdir
