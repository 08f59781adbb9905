"""``node.call()`` / ``storage.call()``: real subprocesses on nodes of local, memory and
S3 (moto) mounts, through both APIs.

The rules under test (``_shared/calls.py``): node arguments become files in one
private temporary folder (removed afterwards whatever happens); outputs are uploaded
only after exit 0; a failure, a timeout or a cancellation changes no store and kills
the command's whole process group; read-only mounts are inputs only.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from genro_storage import StorageConfigError, StorageError, StorageManager, StoragePermissionError
from genro_storage.async_ import AsyncStorageManager

KINDS = ["local", "memory", "s3"]
PY = sys.executable


async def run(value: Any) -> Any:
    """The result of a call of either API."""
    return await value if inspect.isawaitable(value) else value


async def fact(node: Any, name: str) -> Any:
    value = getattr(node, name)
    return await value() if callable(value) else value


async def text(node: Any) -> str:
    return str(await run(node.read_text()))


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]) -> Any:
    return open_storage([make_config(kind)])


def script(code: str) -> list[str]:
    """A python command line running ``code`` (``sys.argv[1:]`` are its arguments)."""
    return [PY, "-c", "import sys, os\n" + code]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def wait_gone(pid: int) -> bool:
    for _ in range(200):
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


async def test_output_is_uploaded_and_input_kept(storage: Any) -> None:
    src = await run(storage.node("m:in put.txt").write_text("pear\napple\nfig\n"))
    out = storage.node("m:sorted/out.txt")
    before = await fact(src, "mtime")
    result = await run(src.call("sort", "-o", out, src))
    assert result is None
    assert await text(out) == "apple\nfig\npear\n"
    assert await text(src) == "pear\napple\nfig\n"
    assert await fact(src, "mtime") == before  # an untouched input is not rewritten


async def test_return_output_and_in_place_change(storage: Any) -> None:
    node = await run(storage.node("m:data.txt").write_text("abc"))
    code = "p = sys.argv[1]\ndata = open(p).read()\nopen(p, 'w').write(data.upper())\nprint(data)"
    output = await run(storage.call(*script(code), node, return_output=True))
    assert output == "abc\n"
    assert await text(node) == "ABC"


async def test_failure_changes_no_store(storage: Any) -> None:
    kept = await run(storage.node("m:kept.txt").write_text("old"))
    new = storage.node("m:new.txt")
    code = "open(sys.argv[1], 'w').write('changed')\nopen(sys.argv[2], 'w').write('x')\nsys.exit(3)"
    with pytest.raises(subprocess.CalledProcessError) as caught:
        await run(storage.call(*script(code), kept, new))
    assert caught.value.returncode == 3
    assert await text(kept) == "old"
    assert not await fact(new, "exists")


async def test_one_private_folder_removed_afterwards(storage: Any, tmp_path: Path) -> None:
    a = await run(storage.node("m:a.txt").write_text("a"))
    b = storage.node("m:b.txt")
    report = tmp_path / "report.txt"
    code = (
        "folders = {os.path.dirname(os.path.dirname(p)) for p in sys.argv[2:]}\n"
        "(top,) = folders\n"
        "open(sys.argv[1], 'w').write(top + '\\n' + oct(os.stat(top).st_mode & 0o777))\n"
        "open(sys.argv[3], 'w').write('b')"
    )
    await run(storage.call(*script(code), str(report), a, b))
    top, mode = report.read_text().split("\n")
    assert mode == "0o700"
    assert not os.path.exists(top)
    assert await text(b) == "b"
    with pytest.raises(subprocess.CalledProcessError):  # removed on failure too
        await run(storage.call(*script(code + "\nsys.exit(1)"), str(report), a, b))
    assert not os.path.exists(report.read_text().split("\n")[0])


async def test_local_mount_tool_never_touches_the_stored_file(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    config = make_config("local")
    storage = open_storage([config])
    node = await run(storage.node("m:f.txt").write_text("stored"))
    code = "print(sys.argv[1])\nopen(sys.argv[1], 'w').write('partial')\nsys.exit(1)"
    with pytest.raises(subprocess.CalledProcessError):
        await run(storage.call(*script(code), node))
    real = os.path.join(config["path"], "f.txt")
    assert Path(real).read_text() == "stored"


@pytest.mark.parametrize("store_kind", ["local", "memory"])
async def test_read_only_mount_is_an_input_only(
    api: str, store_kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    rw = make_config(store_kind, name="rw")
    ro = {**rw, "name": "ro", "permissions": "readonly"}
    storage = open_storage([rw, ro])
    await run(storage.node("rw:f.txt").write_text("original"))
    node = storage.node("ro:f.txt")
    code = (
        "p = sys.argv[1]\n"
        "print(oct(os.stat(p).st_mode & 0o777), p.startswith(sys.argv[2]))\n"
        "try:\n    open(p, 'w').write('changed')\nexcept PermissionError:\n    pass"
    )
    real_root = rw.get("path", "/nonexistent-root")
    output = await run(storage.call(*script(code), node, real_root, return_output=True))
    assert output == "0o400 False\n"  # a read-only copy, never the real file
    assert await text(storage.node("rw:f.txt")) == "original"
    if store_kind == "local":
        assert Path(rw["path"], "f.txt").read_text() == "original"


async def test_missing_node_on_read_only_mount_is_refused_before_running(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any], tmp_path: Path
) -> None:
    storage = open_storage([make_config("memory", permissions="readonly")])
    marker = tmp_path / "ran"
    with pytest.raises(StoragePermissionError):
        await run(storage.call("touch", str(marker), storage.node("m:out.txt")))
    assert not marker.exists()


async def test_same_place_shares_one_file(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    first = make_config("local", name="one")
    second = {**first, "name": "two"}
    storage = open_storage([first, second])
    one = await run(storage.node("one:f.txt").write_text("x"))
    two = storage.node("two:f.txt")
    code = "print(sys.argv[1] == sys.argv[2] == sys.argv[3])"
    assert await run(storage.call(*script(code), one, two, one, return_output=True)) == "True\n"


async def test_odd_names_reach_the_tool_as_absolute_paths(storage: Any) -> None:
    names = ["-rf", "sp ace.txt", "ünï.txt", "back\\slash", "per%20cent*"]
    nodes = [await run(storage.node("m:odd").child_named(n).write_text(n)) for n in names]
    code = (
        "for p in sys.argv[1:]:\n    print(os.path.isabs(p), os.path.basename(p), open(p).read())"
    )
    output = await run(storage.call(*script(code), *nodes, return_output=True))
    assert output.splitlines() == [f"True {n} {n}" for n in names]


async def test_timeout_kills_the_process_group_and_uploads_nothing(
    storage: Any, tmp_path: Path
) -> None:
    out = storage.node("m:out.txt")
    pidfile = tmp_path / "pid"
    command = ["sh", "-c", 'echo data > "$1"; sleep 60 & echo $! > "$2"; wait', "sh"]
    with pytest.raises(subprocess.TimeoutExpired):
        await run(storage.call(*command, out, str(pidfile), timeout=1))
    assert wait_gone(int(pidfile.read_text()))
    assert not await fact(out, "exists")


async def test_cancelling_kills_the_group_uploads_nothing_and_cleans(
    make_config: Callable[..., dict], kind: str, tmp_path: Path
) -> None:
    async with AsyncStorageManager([make_config(kind)]) as storage:
        out = storage.node("m:out.txt")
        report = tmp_path / "report"
        command = ["sh", "-c", 'echo data > "$1"; sleep 60 & echo "$! $1" > "$2"; wait', "sh"]
        task = asyncio.ensure_future(storage.call(*command, out, str(report)))
        for _ in range(500):
            if report.exists() and report.read_text().endswith("\n"):
                break
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pid, local = report.read_text().split()
        assert wait_gone(int(pid))
        assert not os.path.exists(os.path.dirname(local))
        assert not await out.exists()


async def test_virtual_node_is_an_input(storage: Any) -> None:
    a = await run(storage.node("m:a.txt").write_text("b\n"))
    b = await run(storage.node("m:b.txt").write_text("a\n"))
    both = storage.iternode(a, b)
    assert await run(storage.call("sort", both, return_output=True)) == "a\nb\n"


async def test_input_and_stdin(storage: Any) -> None:
    out = storage.node("m:out.txt")
    code = "open(sys.argv[1], 'wb').write(sys.stdin.buffer.read()[::-1])"
    await run(storage.call(*script(code), out, input=b"abc"))
    assert await text(out) == "cba"


async def test_bad_arguments(storage: Any, tmp_path: Path) -> None:
    node = await run(storage.node("m:f.txt").write_text("x"))
    folder = storage.node("m:dir")
    await run(storage.node("m:dir/inside.txt").write_text("x"))
    with pytest.raises(StorageConfigError):
        await run(storage.call())
    with pytest.raises(TypeError, match="argument 1"):
        await run(storage.call("cat", object()))
    with pytest.raises(TypeError):
        await run(storage.call("cat", True))
    for bad in ({"shell": True}, {"text": True}, {"start_new_session": False}):
        with pytest.raises(StorageConfigError):
            await run(storage.call("cat", node, **bad))
    for timeout in (-1, 0, "5", True):
        with pytest.raises(StorageConfigError):
            await run(storage.call("cat", node, timeout=timeout))
    with pytest.raises(StorageConfigError):
        await run(storage.call("cat", node, return_output="yes"))
    with pytest.raises(StorageConfigError):
        await run(storage.call("cat", input=b"x", stdin=subprocess.DEVNULL))
    with pytest.raises(TypeError):
        await run(storage.call("cat", input="text"))
    with pytest.raises(StorageConfigError):
        await run(storage.call("cat", node, return_output=True, stdout=subprocess.DEVNULL))
    with pytest.raises(StorageError, match="folder"):
        await run(storage.call("ls", folder))
    other = (
        AsyncStorageManager([{"name": "x", "type": "memory"}])
        if isinstance(storage, StorageManager)
        else StorageManager([{"name": "x", "type": "memory"}])
    )
    with pytest.raises(TypeError):
        await run(storage.call("cat", other.node("x:f")))
    with pytest.raises(FileNotFoundError):
        await run(storage.call(str(tmp_path / "no-such-tool"), node))


async def test_private_copy_mode_is_owner_only(storage: Any) -> None:
    node = await run(storage.node("m:f.txt").write_text("x"))
    code = "print(oct(os.stat(os.path.dirname(sys.argv[1])).st_mode & 0o777))"
    assert await run(storage.call(*script(code), node, return_output=True)) == "0o700\n"


async def test_symlinks_left_by_the_command(storage: Any, tmp_path: Path) -> None:
    """An output replaced by a symlink is not uploaded (nothing is), and cleaning the
    private folder never follows a link out of it."""
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    first = storage.node("m:first.txt")
    second = storage.node("m:second.txt")
    code = (
        "open(sys.argv[1], 'w').write('fine')\n"
        "os.symlink(sys.argv[3], sys.argv[2])\n"
        "top = os.path.dirname(os.path.dirname(sys.argv[1]))\n"
        "os.symlink(sys.argv[4], os.path.join(top, 'link'))"
    )
    with pytest.raises(StorageError, match="non-regular"):
        await run(storage.call(*script(code), first, second, str(secret), str(outside)))
    assert not await fact(first, "exists") and not await fact(second, "exists")
    assert oct(outside.stat().st_mode & 0o777) == "0o755"


async def test_names_longer_than_the_disk_allows(
    api: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    storage = open_storage([make_config("memory")])
    node = storage.node("m:" + "n" * 300 + ".txt")
    code = "print(os.path.basename(sys.argv[1]))\nopen(sys.argv[1], 'w').write('ok')"
    assert await run(storage.call(*script(code), node, return_output=True)) == "data.txt\n"
    assert await run(node.read_text()) == "ok"


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5])
async def test_cancelled_call_either_lands_whole_or_not_at_all(
    make_config: Callable[..., dict], kind: str, delay: float
) -> None:
    """A cancellation at any moment: the call raised ``CancelledError`` and nothing
    landed, or it completed and the whole output landed (uploads are a commit point)."""
    async with AsyncStorageManager([make_config(kind)]) as storage:
        out = storage.node("m:big.bin")
        code = "open(sys.argv[1], 'wb').write(bytes(range(256)) * 65536)"  # 16 MiB
        task = asyncio.ensure_future(storage.call(*script(code), out))
        await asyncio.sleep(delay)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            assert not await out.exists()
        else:
            assert await out.size() == 16 * 1024 * 1024
