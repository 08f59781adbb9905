"""Relative mounts (``{"name": "pub", "path": "data:public"}``): a folder of another
mount, over local, memory and S3, through both APIs (one async-vocabulary body each).

What is checked: the folder is the new root (reads, writes, listings and facts use the
relative mount's paths), permissions narrow and never widen, no path climbs out of the
folder whatever its spelling, copies and moves between the parent and the relative
mount are recognised as the same place, and the mount table refuses unknown parents,
cycles, widening and removing a parent that still has relative mounts.
"""

from __future__ import annotations

from typing import Any

import pytest
from mounts import test_node

from genro_storage import (
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage.async_ import AsyncStorageManager

KINDS = ["local", "memory", "s3"]


@pytest.fixture(params=KINDS)
def rkind(request: pytest.FixtureRequest) -> str:
    return request.param


def with_relative(make_config: Any, open_storage: Any, kind: str, *relative: dict) -> Any:
    """A manager with mount ``data`` of ``kind`` and the ``relative`` mounts."""
    return open_storage([make_config(kind, "data"), *relative])


async def test_the_folder_is_the_new_root(rkind, api, make_config, open_storage):
    pub = {"name": "pub", "path": "data:public"}
    storage = with_relative(make_config, open_storage, rkind, pub)
    await test_node(storage, "pub:a/b.txt").write_bytes(b"through pub")
    assert await test_node(storage, "data:public/a/b.txt").read_bytes() == b"through pub"
    await test_node(storage, "data:public/c.txt").write_bytes(b"through data")
    assert await test_node(storage, "pub:c.txt").read_bytes() == b"through data"
    assert await test_node(storage, "pub:c.txt").read_range(2, 6) == b"roug"
    assert not await test_node(storage, "data:c.txt").exists()
    page = await test_node(storage, "pub:").list()
    assert [(e.path, e.type) for e in page.entries] == [("a", "directory"), ("c.txt", "file")]
    assert [n.path async for n in test_node(storage, "pub:a").children()] == ["a/b.txt"]
    assert (await test_node(storage, "pub:a/b.txt").info()).path == "a/b.txt"
    await test_node(storage, "pub:a/b.txt").copy("pub:a/copy.txt")
    await test_node(storage, "pub:a/copy.txt").move("pub:moved.txt")
    assert await test_node(storage, "data:public/moved.txt").read_bytes() == b"through pub"
    await test_node(storage, "pub:a").delete(recursive=True)
    assert not await test_node(storage, "data:public/a/b.txt").exists()
    with pytest.raises(StorageNotFoundError, match="pub:nothing"):
        await test_node(storage, "pub:nothing").read_bytes()
    # the mount behaves as its parent's type, with its own permissions
    node = test_node(storage, "pub:c.txt")
    assert node.capabilities == test_node(storage, "data:x").capabilities
    assert storage.mount_config("pub").permissions == "delete"  # inherited


async def test_a_relative_mount_of_a_relative_mount(rkind, api, make_config, open_storage):
    storage = with_relative(
        make_config,
        open_storage,
        rkind,
        {"name": "pub", "path": "data:public", "permissions": "readwrite"},
        {"name": "deep", "path": "pub:a/b", "permissions": "readonly"},
    )
    await test_node(storage, "pub:a/b/f.txt").write_bytes(b"deep")
    assert await test_node(storage, "deep:f.txt").read_bytes() == b"deep"
    assert await test_node(storage, "data:public/a/b/f.txt").read_bytes() == b"deep"
    assert [e.path for e in (await test_node(storage, "deep:").list()).entries] == ["f.txt"]
    with pytest.raises(StoragePermissionError, match="'deep' is readonly"):
        await test_node(storage, "deep:g.txt").write_bytes(b"no")
    with pytest.raises(StoragePermissionError, match="'pub' is readwrite"):
        await test_node(storage, "pub:a/b/f.txt").delete()
    assert await test_node(storage, "data:public/a/b/f.txt").exists()


@pytest.mark.parametrize("permissions", ["readonly", "readwrite"])
async def test_permissions_narrow(rkind, api, make_config, open_storage, permissions):
    pub = {"name": "pub", "path": "data:public", "permissions": permissions}
    storage = with_relative(make_config, open_storage, rkind, pub)
    await test_node(storage, "data:public/f.txt").write_bytes(b"kept")
    node = test_node(storage, "pub:f.txt")
    assert await node.read_bytes() == b"kept"
    caps = node.capabilities
    assert (caps.write, caps.delete) == (permissions == "readwrite", False)
    with pytest.raises(StoragePermissionError):
        await node.delete()
    with pytest.raises(StoragePermissionError):
        await node.move("data:elsewhere.txt")
    if permissions == "readonly":
        for attempt in (
            node.write_bytes(b"x"),
            test_node(storage, "pub:new").mkdir(),
            test_node(storage, "data:other.txt").copy("pub:copied.txt"),
        ):
            with pytest.raises(StoragePermissionError, match="'pub' is readonly"):
                await attempt
    else:
        await node.write_bytes(b"changed")
    expected = b"kept" if permissions == "readonly" else b"changed"
    assert await test_node(storage, "data:public/f.txt").read_bytes() == expected
    assert not await test_node(storage, "data:public/copied.txt").exists()


@pytest.mark.parametrize("parent", ["readonly", "readwrite"])
@pytest.mark.parametrize("wider", ["readwrite", "delete"])
def test_permissions_never_widen(make_config, parent, wider):
    if wider == parent:
        return
    configs = [
        make_config("memory", "data", permissions=parent),
        {"name": "pub", "path": "data:public", "permissions": wider},
    ]
    for cls in (StorageManager, AsyncStorageManager):
        with pytest.raises(StorageConfigError, match="'pub'.*'permissions'.*wider"):
            cls(configs)
        manager = cls(configs[:1])
        with pytest.raises(StorageConfigError, match="wider"):
            manager.add_mount(configs[1])
        assert manager.mounts == ["data"]


@pytest.mark.parametrize(
    "spec",
    ["pub:..", "pub:../x", "pub:a/../../x", "pub:/../x", "pub:./../public2/x"],
)
async def test_no_path_climbs_out_of_the_folder(rkind, api, make_config, open_storage, spec):
    pub = {"name": "pub", "path": "data:public"}
    storage = with_relative(make_config, open_storage, rkind, pub)
    await test_node(storage, "data:x").write_bytes(b"outside")
    with pytest.raises(StoragePermissionError, match="escapes"):
        test_node(storage, spec)
    with pytest.raises(StoragePermissionError, match="escapes"):
        test_node(storage, "pub:").child(spec.partition(":")[2])
    assert test_node(storage, "pub:a").parent.parent.path == ""  # the root is its own parent


@pytest.mark.parametrize("name", ["%2e%2e", "..\\x", "%2E%2E%2Fx", "\\..\\", " .. ", "..."])
async def test_odd_names_stay_literal_inside_the_folder(
    rkind, api, make_config, open_storage, name
):
    pub = {"name": "pub", "path": "data:public"}
    storage = with_relative(make_config, open_storage, rkind, pub)
    await test_node(storage, f"pub:{name}").write_bytes(b"inside")
    assert await test_node(storage, "data:public").child_named(name).read_bytes() == b"inside"
    listed = [e.path for e in (await test_node(storage, "data:").list()).entries]
    assert listed == ["public"]  # nothing landed beside the folder


async def test_parent_and_relative_name_the_same_place(rkind, api, make_config, open_storage):
    storage = with_relative(
        make_config,
        open_storage,
        rkind,
        {"name": "pub", "path": "data:public"},
        {"name": "deep", "path": "pub:t"},
    )
    await test_node(storage, "data:public/t/x.txt").write_bytes(b"precious")
    same = [
        ("data:public/t/x.txt", "pub:t/x.txt"),
        ("pub:t/x.txt", "data:public/t/x.txt"),
        ("deep:x.txt", "data:public/t/x.txt"),
        ("pub:t/x.txt", "deep:x.txt"),
    ]
    for src, dst in same:
        for verb in ("move", "copy"):
            with pytest.raises(StorageError, match="onto itself"):
                await getattr(test_node(storage, src), verb)(dst)
    for src, dst in [("data:public", "pub:inner"), ("pub:t", "deep:sub"), ("data:", "deep:y")]:
        with pytest.raises(StorageError, match="into itself"):
            await test_node(storage, src).copy(dst)
    with pytest.raises(StorageError, match="Is a directory.*'data:public'"):
        await test_node(storage, "deep:x.txt").move("data:public")
    assert await test_node(storage, "data:public/t/x.txt").read_bytes() == b"precious"
    # a different place under the same folder is fine
    await test_node(storage, "deep:x.txt").copy("data:public/other.txt")
    assert await test_node(storage, "pub:other.txt").read_bytes() == b"precious"


def test_table_errors_name_the_mount_and_field(tmp_path):
    base = [{"name": "data", "type": "memory"}]
    cases = [
        ([{"name": "pub", "path": "nope:x"}], "'pub'.*'path' names mount 'nope'"),
        ([{"name": "a", "path": "b:x"}, {"name": "b", "path": "a:y"}], "cycle"),
        ([{"name": "a", "path": "a:x"}], "cycle"),
        ([{"name": "pub", "path": "da ta:x"}], "'path' names an invalid mount 'da ta'"),
        ([{"name": "pub", "path": "data:../x"}], "'\\.\\.' segments"),
        ([{"name": "pub", "path": "data:a/../x"}], "'\\.\\.' segments"),
        ([{"name": "pub", "path": "data:a\x00"}], "NUL"),
        ([{"name": "pub", "path": "data:x", "bucket": "b"}], "unknown field.*'bucket'"),
        ([{"name": "pub", "path": "data:x", "permissions": "all"}], "'permissions'"),
        ([{"name": "pub", "path": "data:x", "permissions": 1}], "'permissions'"),
        ([{"name": "pub", "type": "relative", "path": "data"}], "'path'.*'mount:folder'"),
        ([{"name": "pub", "type": "relative"}], "'path'.*'mount:folder'"),
        ([{"name": "pub", "path": "data:x", "async_mode": "native"}], "async_mode"),
        ([{"name": "b", "type": "base64"}, {"name": "pub", "path": "b:x"}], "base64"),
    ]
    for cls in (StorageManager, AsyncStorageManager):
        for extra, message in cases:
            with pytest.raises(StorageConfigError, match=message):
                cls(base + extra)
            manager = cls(base)
            with pytest.raises(StorageConfigError, match=message):
                manager.configure(extra)
            assert manager.mounts == ["data"]  # nothing was added


def test_yaml_configuration(tmp_path):
    config = tmp_path / "mounts.yaml"
    config.write_text(
        "mounts:\n"
        f"  - {{name: data, type: local, path: '{tmp_path / 'root'}'}}\n"
        "  - {name: public, path: 'data:public', permissions: readonly}\n"
    )
    (tmp_path / "root" / "public").mkdir(parents=True)
    (tmp_path / "root" / "public" / "f.txt").write_text("from yaml")
    storage = StorageManager(str(config))
    assert storage.node("public:f.txt").read_text() == "from yaml"
    assert storage.mount_config("public").permissions == "readonly"
    with pytest.raises(StoragePermissionError):
        storage.node("public:f.txt").write_text("x")


async def test_parent_reconfigured_or_removed(api, make_config, open_storage, tmp_path):
    storage = open_storage([make_config("memory", "data"), {"name": "pub", "path": "data:public"}])
    before = test_node(storage, "pub:f.txt")
    await test_node(storage, "data:public/f.txt").write_bytes(b"old parent")
    # removing the parent is refused while the relative mount is there
    with pytest.raises(StorageConfigError, match="'data' cannot be removed.*'pub'"):
        storage.remove_mount("data")
    assert storage.mounts == ["data", "pub"]
    # replacing the parent: the relative mount (and its old nodes) follow the new one
    other = make_config("local", "data")
    storage.configure([other])
    assert not await before.exists()
    await test_node(storage, "pub:f.txt").write_bytes(b"new parent")
    assert await before.read_bytes() == b"new parent"
    assert await test_node(storage, "data:public/f.txt").read_bytes() == b"new parent"
    # the parent may not be narrowed below what the relative mount asked for
    storage.configure([{"name": "pub", "path": "data:public", "permissions": "readwrite"}])
    with pytest.raises(StorageConfigError, match="wider"):
        storage.configure([{**other, "permissions": "readonly"}])
    assert (await before.read_bytes()) == b"new parent"
    # inherited permissions follow the parent's
    storage.configure([{"name": "inh", "path": "data:public"}])
    storage.remove_mount("pub")
    storage.configure([{**other, "permissions": "readonly"}])
    assert storage.mount_config("inh").permissions == "readonly"
    with pytest.raises(StoragePermissionError, match="'inh' is readonly"):
        await test_node(storage, "inh:f.txt").write_bytes(b"x")
    storage.remove_mount("inh")
    storage.remove_mount("data")
    assert storage.mounts == []
    with pytest.raises(StorageConfigError, match="'data'"):
        await before.read_bytes()


async def test_as_sync_twin_knows_relative_mounts(make_config):
    async with AsyncStorageManager(
        [make_config("memory", "data"), {"name": "pub", "path": "data:public"}]
    ) as storage:
        await storage.node("pub:f.txt").write_bytes(b"async")
        twin = storage.as_sync()
        assert twin.node("pub:f.txt").read_bytes() == b"async"
        storage.configure([{"name": "pub2", "path": "pub:sub", "permissions": "readonly"}])
        twin.node("pub:sub/g.txt").write_bytes(b"sync")
        assert await storage.node("pub2:g.txt").read_bytes() == b"sync"
        assert twin.node("pub2:g.txt").read_bytes() == b"sync"
        with pytest.raises(StoragePermissionError):
            twin.node("pub2:g.txt").write_bytes(b"no")


async def test_paged_listing_and_odd_folders(rkind, api, make_config, open_storage):
    storage = with_relative(
        make_config,
        open_storage,
        rkind,
        {"name": "pub", "path": "data:/a b/ü\\x/%2e%2e/"},  # leading slash ignored
        {"name": "alias", "path": "data:", "permissions": "readonly"},  # the whole mount
    )
    for name in ("c", "a", "b"):
        await test_node(storage, f"pub:{name}.txt").write_bytes(name.encode())
    seen, cursor = [], None
    while True:
        page = await test_node(storage, "pub:").list(page_size=1, cursor=cursor)
        seen += [e.path for e in page.entries]
        if (cursor := page.cursor) is None:
            break
    assert seen == ["a.txt", "b.txt", "c.txt"]
    folder = "a b/ü\\x/%2e%2e"
    assert await test_node(storage, f"alias:{folder}/b.txt").read_bytes() == b"b"
    assert [e.path for e in (await test_node(storage, "alias:").list()).entries] == ["a b"]
    with pytest.raises(StorageError, match="onto itself"):
        await test_node(storage, f"alias:{folder}/a.txt").copy("pub:a.txt")
