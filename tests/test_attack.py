"""Hostile-tester findings on the data-safety (9) and untrusted-server (17) work.

Each test asserts the correct behaviour and fails on the branch it was written against;
the docstring names the defect and its severity. Every server is on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cloud_mounts
import pytest
from mounts import test_node
from servers import HTTPServer

from genro_storage import StorageError, StorageManager
from genro_storage.async_ import AsyncStorageManager
from genro_storage.fs import AsyncGenroFileSystem

PRECIOUS = b"precious data"


# ------------------------------------------------------------------ helpers


def _local_files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` on disk (hidden ones included), by relative path."""
    found: dict[str, bytes] = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            full = Path(folder) / name
            found[str(full.relative_to(root))] = full.read_bytes()
    return found


async def _move_must_keep(src: Any, dst: Any, probe: Any) -> None:
    """Move ``src`` onto ``dst`` (the same place, differently spelled): the move must be
    refused, or at least the data must still be there afterwards."""
    await src.write_bytes(PRECIOUS)
    with contextlib.suppress(StorageError):
        await src.move(dst)
    assert await probe.exists(), "the move onto its own location deleted the file"
    assert await probe.read_bytes() == PRECIOUS


# ------------------------------------------------- fsspec filesystem: mv = copy + rm


def _genro_fs(manager_api: str, configs: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(fsspec filesystem, sync manager to inspect with) over ``configs``."""
    if manager_api == "sync":
        manager = StorageManager(configs)
        return manager.fs, manager
    amanager = AsyncStorageManager(configs)
    return AsyncGenroFileSystem(storage=amanager, asynchronous=False), amanager.as_sync()


@pytest.mark.parametrize("manager_api", ["sync", "async"])
@pytest.mark.parametrize("kind", ["local", "memory"])
def test_fs_mv_into_own_tree_loses_nothing(
    manager_api: str, kind: str, make_config: Callable[..., dict]
) -> None:
    """DATA LOSS. ``fs.mv('m/t', 'm/t/sub', recursive=True)`` through the fsspec
    filesystem is fsspec's copy + recursive rm: the copy into its own tree succeeds file
    by file, then ``rm('m/t')`` removes the source *and* the copy. Everything is lost
    (local and memory mounts, both managers). ``node.move`` refuses the same request."""
    fs, manager = _genro_fs(manager_api, [make_config(kind)])
    manager.node("m:t/f.txt").write_bytes(PRECIOUS)
    with contextlib.suppress(StorageError):
        fs.mv("m/t", "m/t/sub", recursive=True)
    left = [n for n in manager.node("m:").children()] if manager.node("m:").exists else []
    survivors = []
    stack = left
    while stack:
        node = stack.pop()
        if node.isdir:
            stack.extend(node.children())
        elif node.read_bytes() == PRECIOUS:
            survivors.append(node.path)
    assert survivors, "fs.mv into the source's own tree deleted every copy of the data"


@pytest.mark.parametrize("manager_api", ["sync", "async"])
def test_fs_mv_onto_same_folder_through_other_mount_loses_nothing(
    manager_api: str, tmp_path: Path
) -> None:
    """DATA LOSS. Two local mounts over one folder: ``fs.mv('a/t', 'b/t',
    recursive=True)`` copies ``t`` into itself (``b/t`` exists, so fsspec copies into
    ``b/t/t``) and then removes ``a/t`` with the copy inside it."""
    configs = [
        {"name": "a", "type": "local", "path": str(tmp_path)},
        {"name": "b", "type": "local", "path": str(tmp_path)},
    ]
    fs, manager = _genro_fs(manager_api, configs)
    manager.node("a:t/f.txt").write_bytes(PRECIOUS)
    with contextlib.suppress(StorageError):
        fs.mv("a/t", "b/t", recursive=True)
    assert PRECIOUS in _local_files(tmp_path).values(), "the data is gone from the disk"


def test_fs_mv_keeps_files_it_did_not_copy(tmp_path: Path) -> None:
    """DATA LOSS. A file that local listings hide (its name looks like the library's
    temporaries) is not copied by ``fs.mv(recursive=True)``, but the recursive ``rm`` of
    the source deletes it: it is neither at the source nor at the destination."""
    manager = StorageManager(
        [
            {"name": "loc", "type": "local", "path": str(tmp_path)},
            {"name": "mem", "type": "memory", "store": f"atk-{uuid.uuid4().hex}"},
        ]
    )
    manager.node("loc:h/keep.txt").write_bytes(b"k")
    hidden = tmp_path / "h" / ".genro-storage-0123456789abcdef.part"
    hidden.write_bytes(PRECIOUS)
    with contextlib.suppress(StorageError):
        manager.fs.mv("loc/h", "mem/h", recursive=True)
    in_memory = (
        [n.read_bytes() for n in manager.node("mem:h").children()]
        if manager.node("mem:h").exists
        else []
    )
    assert hidden.exists() or PRECIOUS in in_memory, "fs.mv deleted a file it never copied"


# ------------------------------------- physical identity: one place, spelled two ways


@pytest.mark.parametrize("variant", ["trailing-slash", "upper-case-scheme"])
async def test_s3_endpoint_spelling_is_one_place(
    variant: str, s3_server: Any, open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS. Two S3 mounts over one bucket and prefix whose ``endpoint_url`` differ
    only by a trailing '/' (or the scheme's case) are taken for two stores: ``a:x``
    moved onto ``b:x`` (the same object) reports success and the object is gone."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    a = cloud_mounts.s3_mount(s3_server, "a", prefix)
    endpoint = a["endpoint_url"]
    spelled = endpoint + "/" if variant == "trailing-slash" else endpoint.replace("http", "HTTP")
    b = dict(a, name="b", endpoint_url=spelled)
    manager = open_storage([a, b])
    await _move_must_keep(
        test_node(manager, "a:x.txt"), test_node(manager, "b:x.txt"), test_node(manager, "a:x.txt")
    )


async def test_gcs_endpoint_trailing_slash_is_one_place(
    gcs_server: Any, open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS. The same for GCS: ``endpoint_url`` with and without a final '/'."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    a = cloud_mounts.gcs_mount(gcs_server, "a", prefix)
    b = dict(a, name="b", endpoint_url=a["endpoint_url"] + "/")
    manager = open_storage([a, b])
    await _move_must_keep(
        test_node(manager, "a:x.txt"), test_node(manager, "b:x.txt"), test_node(manager, "a:x.txt")
    )


@pytest.mark.parametrize("spelling", ["memory://{root}", "/{root}/../{root}", "options"])
async def test_fsspec_memory_root_spelling_is_one_place(
    spelling: str, open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS. fsspec's ``memory`` filesystem is one process-wide store. A generic
    fsspec mount whose ``path`` is written ``memory://r`` or ``/r/../r`` (or that passes
    any extra option) is not recognised as the same place as ``path: /r``: a move onto
    itself deletes the file. The identity must come from the path the filesystem
    actually uses (``_strip_protocol``), and options cannot make a different store for a
    protocol whose store is global."""
    root = f"atk{uuid.uuid4().hex[:10]}"
    a = {"name": "a", "type": "fsspec", "fsspec_protocol": "memory", "path": f"/{root}"}
    if spelling == "options":
        b = dict(a, name="b", options={"unused": 1})
    else:
        b = dict(a, name="b", path=spelling.format(root=root))
    manager = open_storage([a, b])
    await _move_must_keep(
        test_node(manager, "a:x.txt"), test_node(manager, "b:x.txt"), test_node(manager, "a:x.txt")
    )


@pytest.fixture(scope="module")
def writable_http() -> Iterator[HTTPServer]:
    with HTTPServer(writable=True) as server:
        yield server


async def test_http_base_url_dot_segment_is_one_place(
    writable_http: HTTPServer, open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS. Two writable HTTP mounts, ``base_url`` ``.../p`` and ``.../p/.``: the
    client normalises the dot segment (both address ``/p/x.txt``) but the identity keeps
    '.' as a segment, so a move onto itself is allowed and deletes the file."""
    folder = f"t-{uuid.uuid4().hex[:12]}"
    (writable_http.root / folder).mkdir()
    a = {"name": "a", "type": "http", "base_url": writable_http.url(folder), "writable": True}
    b = dict(a, name="b", base_url=writable_http.url(folder) + "/.")
    manager = open_storage([a, b])
    await _move_must_keep(
        test_node(manager, "a:x.txt"), test_node(manager, "b:x.txt"), test_node(manager, "a:x.txt")
    )


# ------------------------------- names in the library's temporaries' namespace (local)

TEMP_LOOKALIKE = ".genro-storage-0123456789abcdef.part"


async def test_local_write_of_temporary_lookalike_name_is_refused_or_visible(
    make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS (delayed). A local write to a name of the temporaries' form is
    accepted, then hidden from every listing (so tree copies never carry it) and swept by
    the next ``mkdir`` once a day old: user data silently deleted. Refuse such names on
    write (a clear error), or keep them visible and never sweep them."""
    manager = open_storage([make_config("local")])
    node = test_node(manager, f"m:u/{TEMP_LOOKALIKE}")
    try:
        await node.write_bytes(PRECIOUS)
    except StorageError:
        return  # refused: fine
    names = [child.name for child in await test_node(manager, "m:u").children()]
    assert TEMP_LOOKALIKE in names, "written, then hidden from the listing"


async def test_tree_move_to_local_never_hides_then_sweeps_a_file(
    make_config: Callable[..., dict], open_storage: Callable[..., Any]
) -> None:
    """DATA LOSS (delayed). A memory tree holding a file named like a local temporary,
    moved to a local mount: the report says copied, the source is deleted, the local
    listing hides the file, and a ``mkdir`` a day later deletes it. The move must
    refuse/report that file (keeping its source), or the destination must keep it."""
    local = make_config("local", name="loc")
    manager = open_storage([local, make_config("memory", name="mem")])
    await test_node(manager, f"mem:t/{TEMP_LOOKALIKE}").write_bytes(PRECIOUS)
    await test_node(manager, "mem:t/other.txt").write_bytes(b"x")
    with contextlib.suppress(StorageError):
        await test_node(manager, "mem:t").move(test_node(manager, "loc:t"), on_error="continue")
    on_disk = Path(local["path"]) / "t" / TEMP_LOOKALIKE
    if on_disk.exists():  # days later, another session creates a folder there
        old = time.time() - 3 * 86400
        os.utime(on_disk, (old, old))
        later = open_storage([local])
        await test_node(later, "loc:t/later").mkdir()
    source = test_node(manager, f"mem:t/{TEMP_LOOKALIKE}")
    kept = on_disk.exists() or (await source.exists())
    assert kept, "the file was moved into a name the library hides and later sweeps"


# --------------------------------------------------------- read_range arguments


@pytest.mark.parametrize("args", [(0.5, 2), (2, 3.0), (True, 3), (-5, 2)])
async def test_read_range_bad_arguments_are_refused(args: tuple[Any, Any], root: Any) -> None:
    """WRONG DATA / CLEAR ERROR MISSING. ``read_range`` does not check its arguments:
    on S3 ``read_range(2, 3.0)``, ``(0.5, 2)``, ``(True, 3)`` and ``(-5, 2)`` return the
    *whole file*; memory raises a raw ``TypeError`` (slice indices) or reads from the
    end; local wraps ``OSError``/``TypeError`` in a ``StorageBackendError``. Check once
    for both APIs: integers >= 0 (not bool) or ``None``, else ``StorageConfigError``."""
    from genro_storage import StorageConfigError

    node = root.child("f.bin")
    await node.write_bytes(b"0123456789")
    with pytest.raises(StorageConfigError):
        await node.read_range(*args)


# ------------------------------------------------------- hostile HTTP server (own app)


class _LyingServer:
    """An aiohttp app on loopback whose ``/short206`` answers any range with a ``206``
    that announces 100 bytes (``Content-Range: bytes s-(s+99)/1000``), sends 10,
    chunked, and ends the body."""

    def __init__(self) -> None:
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._runner: Any = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> _LyingServer:
        from aiohttp import web

        async def short206(request: Any) -> Any:
            wanted = request.headers.get("Range", "bytes=0-")
            start = int(wanted.split("=", 1)[1].split("-", 1)[0] or 0)
            response = web.StreamResponse(
                status=206,
                headers={"Content-Range": f"bytes {start}-{start + 99}/1000"},
            )
            await response.prepare(request)
            if request.method != "HEAD":
                await response.write(b"A" * 10)
            return response

        async def whole(request: Any) -> Any:
            return web.Response(body=b"A" * 1000, content_type="application/octet-stream")

        app = web.Application()
        app.router.add_get("/short206", short206)
        app.router.add_get("/{tail:.*}", whole)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

        async def start() -> None:
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()

        self._loop.run_until_complete(start())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def lying_server() -> Iterator[_LyingServer]:
    with _LyingServer() as server:
        yield server


async def test_http_short_partial_answer_is_an_error(
    lying_server: _LyingServer, open_storage: Callable[..., Any]
) -> None:
    """WRONG DATA. A ``206`` whose ``Content-Range`` announces bytes 0-99 of a
    1000-byte file, but whose (chunked) body ends after 10 bytes, is returned as a
    10-byte ``read_range(0, 100)``: a silently truncated read. The body must be checked
    against the range the server announced (like ``Content-Length`` for whole bodies)."""
    from genro_storage import StorageError as Error

    manager = open_storage([{"name": "h", "type": "http", "base_url": lying_server.url}])
    node = test_node(manager, "h:short206")
    try:
        data = await node.read_range(0, 100)
    except Error:
        return
    assert len(data) == 100, f"read_range(0, 100) returned {len(data)} bytes without error"


# ------------------------------------------------------------------ redaction


def test_fsspec_bearer_option_is_redacted() -> None:
    """LEAK (minor). ``options: {bearer: ...}`` of a generic fsspec mount is shown in
    the config's repr; ``passwd``, ``pkey``, ``auth_token``, ``sas`` are masked."""
    manager = StorageManager(
        [
            {
                "name": "f",
                "type": "fsspec",
                "fsspec_protocol": "memory",
                "options": {"bearer": "SECRET-BEARER-VALUE"},
            }
        ]
    )
    assert "SECRET-BEARER-VALUE" not in repr(manager.node("f:").config)
