"""``AsyncDriver``: a store logic (``StoreLogic`` subclass) under the async API, the twin
of ``genro_storage.backends.drivers.SyncDriver`` (see its module for the table of what a
logic's ops become).

* **native** (the filesystem implements asyncio, ``async_mode`` 'auto' or 'native'):
  ``_fs_op('x')`` awaits ``fs._x`` on the running loop. The filesystem is created lazily
  on the loop that first uses it (``asynchronous=True``, bound to that loop), one per
  loop, because aiohttp and aiobotocore sessions belong to the loop that made them; its
  clients are closed when that loop ends (``LoopClients``).
* **thread** (a sync-only filesystem, or ``async_mode: thread``): ``_fs_op('x')`` runs
  the sync ``fs.x`` in a worker thread, one hop per call.
"""

from __future__ import annotations

import asyncio
import builtins
import threading
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

from ..._shared.async_utils import run_in_thread
from ..._shared.capabilities import Capabilities
from ..._shared.config import MountConfig
from ..._shared.identity import Location
from ..._shared.info import FileInfo, Page, VersionInfo
from ..._shared.nativeexit import native_call
from ..._shared.sansio import Blocking, Call, drive_async
from ...backends.clients import LoopClients, close_abandoned
from ...backends.store import FsCoroutine, StoreLogic
from ...backends.streams import AsyncReader, AsyncWriter
from .base import AsyncStorageBackend

__all__ = ["AsyncDriver"]


class AsyncDriver(AsyncStorageBackend):
    """Runs a logic class with the async API, natively on the loop or in threads."""

    #: The store's logic class; each concrete backend names its own.
    logic_class: ClassVar[type[StoreLogic]]
    #: For the logic: readers and writers are driven asynchronously.
    asynchronous: ClassVar[bool] = True

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        self.logic = self.logic_class.for_config(config)(config, self)
        self._supports_native_async = self.logic._native_async()
        self._per_loop: dict[asyncio.AbstractEventLoop, LoopClients] = {}
        self._threaded: Any = None
        self._fs_lock = threading.Lock()
        weakref.finalize(self, close_abandoned, self._per_loop)  # also runs at exit

    def filesystem(self) -> Any:
        """This loop's filesystem (native), or the threaded one; made on first use."""
        if not self._supports_native_async:
            with self._fs_lock:
                if self._threaded is None:
                    self._threaded = self.logic._new_fs(asynchronous=False)
                return self._threaded
        loop = asyncio.get_running_loop()
        clients = self._per_loop.get(loop)  # the common case: no lock (a dict read is atomic)
        if clients is not None:
            return clients.fs
        with self._fs_lock:  # loops of several threads may share this backend
            clients = self._per_loop.get(loop)
            if clients is None:
                for stale in [lp for lp in self._per_loop if lp.is_closed()]:
                    self._per_loop.pop(stale).close_now()  # its loop ended: no loop needed
                fs = self.logic._new_fs(asynchronous=True, loop=loop)
                clients = self._per_loop[loop] = LoopClients(fs, loop)
            return clients.fs

    def fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        """The op that calls the filesystem's method ``name`` (native or in a thread)."""
        fs = self.filesystem()
        if self._supports_native_async:
            return Call(getattr(fs, f"_{name}"), args, kwargs)
        return Blocking(self.logic.serialized(getattr(fs, name)), args, kwargs)

    def fs_coro(self, fn: FsCoroutine, *args: Any, **kwargs: Any) -> Call:
        """The op that runs ``async def fn(fs, ...)`` (on this loop, or fsspec's)."""
        fs = self.filesystem()
        if self._supports_native_async:
            return Call(fn, (fs, *args), kwargs)
        from fsspec.asyn import sync

        return Blocking(sync, (fs.loop, fn, fs, *args), kwargs)

    def engine_op(
        self, sync_fn: Callable[..., Any], async_fn: FsCoroutine, *args: Any, **kwargs: Any
    ) -> Call:
        """The op calling a two-faced client (obstore): its coroutine on this loop, or
        its sync function in a thread when the mount runs in threads. The coroutine goes
        through ``native_call``: its runtime's threads must be out of Python before the
        interpreter finalizes (see ``_shared/nativeexit.py``)."""
        if self._supports_native_async:
            return Call(native_call, (async_fn, *args), kwargs)
        return Blocking(sync_fn, args, kwargs)

    @property
    def engine(self) -> str:
        """The client library doing the I/O (``obstore`` or ``fsspec``)."""
        return self.logic.engine

    @property
    def type_name(self) -> str:  # type: ignore[override]
        """The mount type (``s3``, ``http``...)."""
        return self.logic.type_name

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        """What the store can do (HTTP mounts decide per configuration)."""
        return self.logic.capabilities

    # -- the backend: one driver invocation each ----------------------------------------
    def location(self, path: str) -> Location:
        """The physical place of ``path`` (no I/O)."""
        return self.logic.location(path)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """A URL for the file (presigned where the store signs), no I/O."""
        return self.logic.url(path, expires_in)

    def same_store(self, other: Any) -> bool:
        """Whether the store can copy from this mount to ``other`` by itself."""
        return other is self or self.logic.same_store(getattr(other, "logic", None))

    async def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        return await drive_async(self.logic._g_info(path))

    async def read_bytes(self, path: str) -> bytes:
        """The whole file."""
        return await drive_async(self.logic._g_read_bytes(path))

    async def read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end."""
        return await drive_async(self.logic._g_read_range(path, start, end, etag))

    async def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically."""
        return await drive_async(self.logic._g_write_bytes(path, data))

    async def open_read(self, path: str) -> AsyncReader:
        """A reader (``await read(n)``, ``await close()``)."""
        return AsyncReader(await drive_async(self.logic._g_open_read(path)))

    async def open_write(self, path: str) -> AsyncWriter:
        """A writer (``write``, ``commit``, ``abort``); nothing is visible before commit."""
        return AsyncWriter(await drive_async(self.logic._g_open_write(path)))

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        """One page of the folder's entries, sorted by name."""
        return await drive_async(self.logic._g_list(path, page_size, cursor))

    async def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Create a folder."""
        await drive_async(self.logic._g_mkdir(path, parents, exist_ok))

    async def delete(self, path: str, recursive: bool = False) -> None:
        """Delete a file, or a folder (non-empty only with ``recursive``)."""
        await drive_async(self.logic._g_delete(path, recursive))

    async def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount."""
        await drive_async(self.logic._g_copy(src, dst))

    async def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        await drive_async(self.logic._g_move(src, dst))

    async def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Copy ``src`` here to ``dst`` on ``other``, where ``same_store(other)``."""
        await drive_async(self.logic._g_server_copy(src, other.logic, dst))

    async def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        return await drive_async(self.logic._g_md5hash(path))

    async def get_metadata(self, path: str) -> dict[str, str]:
        """The file's user metadata."""
        return await drive_async(self.logic._g_get_metadata(path))

    async def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata."""
        await drive_async(self.logic._g_set_metadata(path, metadata))

    async def versions(self, path: str) -> builtins.list[VersionInfo]:
        """Stored versions, newest first."""
        return await drive_async(self.logic._g_versions(path))

    async def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        return await drive_async(self.logic._g_read_version(path, version_id))

    async def open_read_version(self, path: str, version_id: str) -> AsyncReader:
        """A reader over one stored version, streamed with ranged reads."""
        return AsyncReader(await drive_async(self.logic._g_open_read_version(path, version_id)))

    async def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good."""
        await drive_async(self.logic._g_delete_version(path, version_id))

    def discard(self) -> None:
        """No longer mounted: close every loop's sessions without waiting for it."""
        with self._fs_lock:
            close_abandoned(self._per_loop)

    async def close(self) -> None:
        """Close the sessions of this loop's filesystem (and of threaded ones)."""
        self.logic._close_local()
        if not self._supports_native_async:
            with self._fs_lock:
                fs, self._threaded = self._threaded, None
            if fs is not None and getattr(fs, "loop", None) is not None:
                from fsspec.asyn import sync

                await run_in_thread(sync, fs.loop, self.logic._aclose_fs, fs)
            return
        current = asyncio.get_running_loop()
        with self._fs_lock:
            owned = list(self._per_loop.items())
            self._per_loop.clear()
        for loop, clients in owned:
            if loop is current:
                await clients.finish()
            elif loop.is_running():  # another thread's loop: close it there
                future = asyncio.run_coroutine_threadsafe(clients.finish(), loop)
                await asyncio.wrap_future(future)
            else:  # an ended loop: close the connections without it
                clients.close_now()
