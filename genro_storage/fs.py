"""An fsspec filesystem over every mount of a manager: protocol ``genro``, paths
``mount/path``.

``GenroFileSystem`` (sync) runs on a ``StorageManager``; ``AsyncGenroFileSystem`` is an
fsspec ``AsyncFileSystem`` whose coroutines await an ``AsyncStorageManager``'s nodes.
Both are built only on the public node API, so every mount's permissions apply (a write
to a read-only mount raises ``PermissionError``) and a missing path raises
``FileNotFoundError``.

    storage.fs.ls("")                                   # the mounts
    pd.read_parquet("genro://s3/t.parquet", storage_options={"storage": storage})

Each operation is written once, as a generator that yields node calls (see
``_run_sync``/``_run_async``): a sync node's call has already returned its value, an
async node's call is a coroutine that the async driver awaits.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import weakref
from collections.abc import Awaitable, Generator, Iterable
from typing import Any

from fsspec.asyn import AbstractAsyncStreamedFile, AsyncFileSystem, sync, sync_wrapper
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem
from fsspec.utils import stringify_path, tokenize

from ._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
    already_exists,
    is_a_directory,
)
from ._shared.info import FileInfo
from .async_.manager import AsyncStorageManager
from .manager import StorageManager

__all__ = ["PROTOCOL", "AsyncGenroFileSystem", "GenroFile", "GenroFileSystem"]

PROTOCOL = "genro"
PAGE_SIZE = 1000

#: One opaque id per manager: fsspec compares and hashes filesystems by token, and two
#: managers must never look like one (their repr only lists mount names).
_TOKENS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

Step = Generator[Any, Any, Any]


def _manager_token(storage: Any) -> str:
    if storage not in _TOKENS:
        import uuid

        _TOKENS[storage] = uuid.uuid4().hex
    return _TOKENS[storage]


def _run_sync(steps: Step) -> Any:
    """Drive an operation with a sync manager: each yielded value is already a result."""
    value: Any = None
    while True:
        try:
            value = steps.send(value)
        except StopIteration as stop:
            return stop.value


async def _run_async(steps: Step) -> Any:
    """Drive an operation with an async manager: await each yielded coroutine and send
    its result (or throw its exception) back in."""
    send, value = steps.send, None
    while True:
        try:
            request = send(value)
        except StopIteration as stop:
            return stop.value
        try:
            value = (await request) if inspect.isawaitable(request) else request
            send = steps.send
        except Exception as exc:  # the generator decides what to do with it
            value, send = exc, steps.throw


def _is_child(folder: str, entry: FileInfo) -> bool:
    """Whether a listed entry is one usable segment below ``folder``."""
    parent, _, name = entry.path.rpartition("/")
    return entry.addressable and parent == folder and name not in ("", ".", "..")


def _has_magic(path: str) -> bool:
    return any(c in path for c in "*?[")


class _GenroCore:
    """What both filesystems share: paths, entries and every operation's logic."""

    protocol = PROTOCOL
    root_marker = ""
    #: fsspec would cache instances by their arguments; the manager is what matters, and
    #: ``storage.fs`` already caches one per manager.
    cachable = False
    storage: Any

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        """``genro://mount/path``, ``/mount/path/`` and ``mount/path`` are all ``mount/path``."""
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = stringify_path(path)
        for prefix in (f"{PROTOCOL}://", f"{PROTOCOL}::"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        return path.strip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(storage={self.storage!r})"

    @property
    def _fs_token(self) -> str:
        return tokenize(type(self).__name__, _manager_token(self.storage))

    # -- paths and entries ----------------------------------------------------------
    def _split(self, path: str) -> tuple[str, str]:
        """``(mount, path inside it)``; an unknown mount is a missing path."""
        mount, _, rest = self._strip_protocol(path).partition("/")
        if mount and not self.storage.has_mount(mount):
            known = ", ".join(self.storage.mounts) or "none"
            raise StorageNotFoundError(
                f"No such file or directory: '{PROTOCOL}://{mount}/{rest}' "
                f"(no mount '{mount}'; mounts: {known})"
            )
        return mount, rest

    def _node(self, path: str) -> Any:
        mount, rest = self._split(path)
        if not mount:
            raise is_a_directory(f"{PROTOCOL}://")
        return self.storage.node(f"{mount}:{rest}")

    @staticmethod
    def _folder(name: str) -> dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory"}

    @staticmethod
    def _entry(mount: str, info: FileInfo) -> dict[str, Any]:
        """fsspec's info dict of one ``FileInfo``."""
        entry: dict[str, Any] = {
            "name": f"{mount}/{info.path}" if info.path else mount,
            "size": (info.size or 0) if info.isfile else 0,
            "type": info.type,
            "mtime": info.mtime,
        }
        for key in ("etag", "md5", "content_type", "version_id"):
            value = getattr(info, key)
            if value is not None:
                entry[key] = value
        return entry

    def _check_storage(self, storage: Any, kind: type) -> None:
        if storage is None:
            raise StorageConfigError(
                f"The '{PROTOCOL}' filesystem needs storage=<{kind.__name__}>, e.g. "
                f"fsspec.filesystem('{PROTOCOL}', storage=storage)"
            )
        if not isinstance(storage, kind):
            raise StorageConfigError(
                f"{type(self).__name__}(storage=...) needs a {kind.__name__}, "
                f"not {type(storage).__name__}"
            )

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """One of fsspec's own methods (``expand_path``...) in this filesystem's flavour."""
        raise NotImplementedError

    def open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        cache_options: dict[str, Any] | None = None,
        compression: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """fsspec's ``open``; a text file for writing, like a binary one, publishes
        nothing when an exception leaves its ``with`` block."""
        if "b" in mode or "w" not in mode or compression:
            return super().open(  # type: ignore[misc]
                path, mode, block_size, cache_options, compression, **kwargs
            )
        text = {k: kwargs.pop(k) for k in ("encoding", "errors", "newline") if k in kwargs}
        binary = super().open(  # type: ignore[misc]
            path, mode.replace("t", "") + "b", block_size, cache_options, **kwargs
        )
        return _TextWriter(binary, **text)

    # -- operations, written once ---------------------------------------------------
    def _g_info(self, path: str) -> Step:
        mount, rest = self._split(path)
        if not mount:
            return self._folder("")
        if not rest:  # a mount's root always exists: no request
            return self._folder(mount)
        info = yield self.storage.node(f"{mount}:{rest}").info()
        return self._entry(mount, info)

    def _g_ls(self, path: str, detail: bool) -> Step:
        mount, rest = self._split(path)
        if not mount:
            entries = [self._folder(name) for name in self.storage.mounts]
        else:
            node = self.storage.node(f"{mount}:{rest}")
            entries = []
            cursor = None
            try:
                while True:
                    page = yield node.list(PAGE_SIZE, cursor)
                    # an object key that is no path (``a//b``, ``a/./b``) is listed by the
                    # library but cannot be acted on: not offered here, or walks would loop
                    entries += [
                        self._entry(mount, e) for e in page.entries if _is_child(node.path, e)
                    ]
                    if (cursor := page.cursor) is None:
                        break
            except (StorageNotFoundError, StoragePermissionError, StorageConfigError):
                raise
            except StorageError:  # not a folder: fsspec lists a file as itself
                info = yield node.info()
                if not info.isfile:
                    raise
                entries = [self._entry(mount, info)]
        return entries if detail else [e["name"] for e in entries]

    def _g_cat_file(self, path: str, start: int | None, end: int | None) -> Step:
        node = self._node(path)
        start = start or 0
        if start < 0 or (end is not None and end < 0):  # from the end: needs the size
            size = (yield node.info()).size or 0
            start = max(0, size + start) if start < 0 else start
            end = max(0, size + end) if end is not None and end < 0 else end
        if start == 0 and end is None:
            return (yield node.read_bytes())
        if end is not None and end <= start:
            return b""
        return (yield node.read_range(start, end))  # one ranged GET, no HEAD first

    def _g_pipe_file(self, path: str, value: Any, mode: str) -> Step:
        if mode != "overwrite":
            raise StorageConfigError(f"pipe_file() mode must be 'overwrite', not {mode!r}")
        yield self._node(path).write_bytes(bytes(value))

    def _g_rm(self, path: str | Iterable[str], recursive: bool, maxdepth: int | None) -> Step:
        for one in [path] if isinstance(path, str) else list(path):
            one = self._strip_protocol(one)
            if not one:
                raise StoragePermissionError(f"Cannot delete '{PROTOCOL}://', the mount list")
            if maxdepth is not None:  # only what lies within maxdepth, deepest first
                found = yield self._fsspec("expand_path", one, recursive=True, maxdepth=maxdepth)
                targets, recurse, missing_ok = sorted(found, reverse=True), False, True
            elif _has_magic(one):  # a match may lie inside a folder deleted just before
                found = yield self._fsspec("expand_path", one)
                targets, recurse, missing_ok = sorted(found, reverse=True), recursive, True
            else:
                targets, recurse, missing_ok = [one], recursive, False
            for target in targets:
                yield self._node(target).delete(recursive=recurse, missing_ok=missing_ok)

    def _g_rmdir(self, path: str) -> Step:
        node = self._node(path)
        if (yield node.info()).isfile:
            raise StorageError(f"Not a directory: '{PROTOCOL}://{self._strip_protocol(path)}'")
        yield node.delete()

    def _g_mkdir(self, path: str, parents: bool, exist_ok: bool) -> Step:
        mount, rest = self._split(path)
        if not rest:  # the mount list and a mount's root always exist
            if not exist_ok:
                raise already_exists(f"{PROTOCOL}://{mount}")
            return
        yield self.storage.node(f"{mount}:{rest}").mkdir(parents=parents, exist_ok=exist_ok)

    def _g_cp_file(self, path1: str, path2: str) -> Step:
        src, dst = self._node(path1), self._node(path2)
        if (yield src.info()).isdir:  # fsspec's copy() sends folders too; files follow
            yield dst.mkdir(parents=True, exist_ok=True)
            return
        yield src.copy(dst)  # server-side where the store can


class GenroFileSystem(_GenroCore, AbstractFileSystem):
    """fsspec filesystem over a ``StorageManager``'s mounts (protocol ``genro``).

    ``GenroFileSystem(storage=manager)``, or ``fsspec.filesystem('genro',
    storage=manager)``, or ``manager.fs``. An ``AsyncStorageManager`` works through its
    ``as_sync()`` twin. Paths are ``mount/path``; ``ls('')`` lists the mounts.
    """

    def __init__(self, storage: Any = None, **kwargs: Any) -> None:
        if kwargs.pop("asynchronous", False):
            raise StorageConfigError(
                "GenroFileSystem is sync: for coroutines use AsyncStorageManager.fs "
                "(an AsyncGenroFileSystem)"
            )
        if isinstance(storage, AsyncStorageManager):
            storage = storage.as_sync()
        self._check_storage(storage, StorageManager)
        self.storage = storage
        super().__init__(**kwargs)

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """Entries of a folder (a file lists as itself); ``ls('')`` gives the mounts."""
        return _run_sync(self._g_ls(path, detail))

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """``name``, ``size``, ``type``, ``mtime`` (and ``etag``/``md5``... when known)."""
        return _run_sync(self._g_info(path))

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """Bytes ``[start, end)`` in one request (negative offsets count from the end)."""
        return _run_sync(self._g_cat_file(path, start, end))

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Replace the file's content atomically."""
        _run_sync(self._g_pipe_file(path, value, mode))

    def rm_file(self, path: str) -> None:
        _run_sync(self._g_rm(path, False, None))

    def rm(
        self, path: str | list[str], recursive: bool = False, maxdepth: int | None = None
    ) -> None:
        """Delete files, or folders with ``recursive=True`` (each by one library call)."""
        _run_sync(self._g_rm(path, recursive, maxdepth))

    def rmdir(self, path: str) -> None:
        """Delete an empty folder."""
        _run_sync(self._g_rmdir(path))

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a folder; an existing one raises ``FileExistsError``."""
        _run_sync(self._g_mkdir(path, create_parents, False))

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        _run_sync(self._g_mkdir(path, True, exist_ok))

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy one file with the library (server-side where the store can)."""
        _run_sync(self._g_cp_file(path1, path2))

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> GenroFile:
        return GenroFile(
            self, path, mode, block_size, autocommit, cache_options=cache_options, **kwargs
        )

    def _open_writer(self, path: str) -> _Writer:
        return _NodeWriter(self._node(path))


class AsyncGenroFileSystem(_GenroCore, AsyncFileSystem):
    """fsspec ``AsyncFileSystem`` over an ``AsyncStorageManager``'s mounts.

    ``manager.fs`` is one with ``asynchronous=True``: ``await fs._ls('mem')``,
    ``await fs._cat_file(...)``, ``f = await fs.open_async(path, 'rb')``. Built with
    ``asynchronous=False`` it also has fsspec's blocking methods, run on fsspec's loop.
    """

    def __init__(self, storage: Any = None, **kwargs: Any) -> None:
        self._check_storage(storage, AsyncStorageManager)
        self.storage = storage
        super().__init__(**kwargs)

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return getattr(self, f"_{name}")(*args, **kwargs)

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        return await _run_async(self._g_ls(path, detail))

    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        return await _run_async(self._g_info(path))

    async def _cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        return await _run_async(self._g_cat_file(path, start, end))

    async def _pipe_file(
        self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        await _run_async(self._g_pipe_file(path, value, mode))

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        await _run_async(self._g_rm(path, False, None))

    async def _rm(
        self,
        path: str | list[str],
        recursive: bool = False,
        batch_size: int | None = None,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        await _run_async(self._g_rm(path, recursive, maxdepth))

    async def _rmdir(self, path: str) -> None:
        await _run_async(self._g_rmdir(path))

    rmdir = sync_wrapper(_rmdir)

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        await _run_async(self._g_mkdir(path, create_parents, False))

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        await _run_async(self._g_mkdir(path, True, exist_ok))

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        await _run_async(self._g_cp_file(path1, path2))

    async def open_async(
        self, path: str, mode: str = "rb", block_size: int | None = None, **kwargs: Any
    ) -> AsyncGenroFile:
        """``f = await fs.open_async(path, 'rb'|'wb')``; ``async with f:``. Each
        ``await f.read(n)`` is one ranged read; a ``'wb'`` file is published only when
        closed cleanly (an exception inside ``async with`` publishes nothing)."""
        path = self._strip_protocol(path)
        if mode == "rb":
            info = await self._info(path)
            if info["type"] != "file":
                raise is_a_directory(f"{PROTOCOL}://{path}")
            return AsyncGenroFile(self, path, mode, block_size, size=info["size"])
        if mode == "wb":
            writer = self._node(path).open("wb")  # a read-only mount refuses here
            await writer.__aenter__()
            return AsyncGenroFile(self, path, mode, block_size, writer=writer)
        raise StorageConfigError(f"open_async() mode must be 'rb' or 'wb', not {mode!r}")

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> GenroFile:
        if self.asynchronous:
            raise StorageConfigError(
                "This filesystem is asynchronous: use 'await fs.open_async(path, mode)'"
            )
        return GenroFile(
            self, path, mode, block_size, autocommit, cache_options=cache_options, **kwargs
        )

    def _open_writer(self, path: str) -> _Writer:
        return _LoopWriter(self._node(path), self.loop)


# --------------------------------------------------------------------------- files


class _DiscardedError(Exception):
    """Handed to a node writer's ``__exit__`` to make it abort."""


class _Writer:
    """The node's atomic writer behind a file: ``write``, then ``commit`` or ``abort``."""

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class _NodeWriter(_Writer):
    """A sync node's ``open('wb')``: published by a clean close, dropped by an exit with
    an exception."""

    def __init__(self, node: Any) -> None:
        self._file = node.open("wb").__enter__()  # a read-only mount refuses here

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def commit(self) -> None:
        self._file.__exit__(None, None, None)

    def abort(self) -> None:
        self._file.__exit__(_DiscardedError, _DiscardedError(), None)


class _LoopWriter(_Writer):
    """An async node's ``open('wb')`` driven from blocking code on fsspec's loop."""

    def __init__(self, node: Any, loop: Any) -> None:
        self._loop = loop
        self._file = node.open("wb")  # a read-only mount refuses here
        sync(loop, self._file.__aenter__)

    def write(self, data: bytes) -> None:
        sync(self._loop, self._file.write, data)

    def commit(self) -> None:
        sync(self._loop, self._file.__aexit__, None, None, None)

    def abort(self) -> None:
        sync(self._loop, self._file.__aexit__, _DiscardedError, _DiscardedError(), None)


def _check_mode(mode: str) -> None:
    if mode not in ("rb", "wb"):
        raise StorageConfigError(
            f"genro files open in 'rb', 'wb', 'r' or 'w', not {mode!r} "
            "(no append or exclusive create)"
        )


class _TextWriter(io.TextIOWrapper):
    """Text face of a ``GenroFile`` being written; an exception in ``with`` drops it."""

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and isinstance(self.buffer, GenroFile):
            self.buffer._abandon()
        super().__exit__(exc_type, exc, tb)


class GenroFile(AbstractBufferedFile):
    """A file of the ``genro`` filesystem.

    Reading: fsspec's read-ahead buffer over ranged reads of the node (``seek``,
    ``tell``, ``readline``... all work). Writing: blocks go to the node's atomic writer;
    the content is published when the file is closed cleanly, never when an exception
    leaves a ``with`` block or the file is dropped unclosed. With ``autocommit=False``
    (fsspec transactions) it is published by ``commit()``.
    """

    _writer: _Writer | None = None

    def __init__(
        self,
        fs: GenroFileSystem | AsyncGenroFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> None:
        _check_mode(mode)
        if mode == "wb":
            self._writer = fs._open_writer(path)
        try:
            super().__init__(
                fs, path, mode, block_size, autocommit, cache_type, cache_options, size, **kwargs
            )
        except BaseException:
            self.discard()
            raise
        if self._details is not None and self._details["type"] != "file":
            self.closed = True  # a folder has no bytes to read
            raise is_a_directory(f"{PROTOCOL}://{path}")

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.cat_file(self.path, start=start, end=end)

    def _upload_chunk(self, final: bool = False) -> bool:
        try:
            data = self.buffer.getvalue()
            if data:
                assert self._writer is not None
                self._writer.write(data)
            if final and self.autocommit:
                self.commit()
        except BaseException:
            self.discard()
            raise
        return True

    def commit(self) -> None:
        """Publish the written content (done by ``close()`` unless in a transaction)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.commit()

    def discard(self) -> None:
        """Throw the written content away."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()

    def _abandon(self) -> None:
        """Close without publishing anything."""
        self.buffer = io.BytesIO()
        self.forced = True
        self.closed = True
        self.discard()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.mode == "wb" and not self.closed:
            self._abandon()
            return
        self.close()

    def __del__(self) -> None:
        if getattr(self, "mode", None) == "wb" and not self.closed:  # None: __init__ failed
            # dropped unclosed: nothing is published (and a finaliser reports nothing)
            with contextlib.suppress(Exception):
                self._abandon()
            return
        super().__del__()


class AsyncGenroFile(AbstractAsyncStreamedFile):
    """What ``AsyncGenroFileSystem.open_async`` returns: ``await f.read(n)`` is one
    ranged read; ``await f.write(b)`` buffers blocks into the node's atomic writer,
    published only by a clean ``await f.close()`` / ``async with`` exit."""

    def __init__(
        self,
        fs: AsyncGenroFileSystem,
        path: str,
        mode: str,
        block_size: int | None,
        size: int | None = None,
        writer: Any = None,
    ) -> None:
        _check_mode(mode)
        self._writer = writer
        super().__init__(fs, path, mode, block_size, cache_type="none", size=size)

    async def _fetch_range(self, start: int, end: int) -> bytes:
        return await self.fs._cat_file(self.path, start=start, end=end)

    async def _upload_chunk(self, final: bool = False) -> bool:
        try:
            data = self.buffer.getvalue()
            if data:
                await self._writer.write(data)
            if final:
                writer, self._writer = self._writer, None
                if writer is not None:
                    await writer.__aexit__(None, None, None)
        except BaseException:
            await self._discard()
            raise
        return True

    async def _discard(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.__aexit__(_DiscardedError, _DiscardedError(), None)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.mode == "wb" and not self.closed:
            self.buffer = io.BytesIO()
            self.forced = True
            self.closed = True
            await self._discard()
            return
        await self.close()

    def __del__(self) -> None:
        # an async writer cannot be aborted from a finaliser; the node's writer cleans
        # up after itself when collected (nothing was published)
        self._writer = None
