"""The async driver of the fsspec-based backends, the generic ``fsspec`` type, and
``ASYNC_TYPES`` (what ``AsyncStorageManager`` loads for s3, azure, gcs, http, fsspec).

The logic of every store lives once in ``genro_storage.backends`` (``fsspec.py`` and one
module per store); this driver only says how its two indirections run under the async API:

* **native** (the filesystem implements asyncio, ``async_mode`` 'auto' or 'native'):
  ``_fs_op('x')`` awaits ``fs._x`` on the running loop. The filesystem is created lazily
  on the loop that first uses it (``asynchronous=True``, bound to that loop), one per
  loop, because aiohttp and aiobotocore sessions belong to the loop that made them.
* **thread** (a sync-only filesystem, or ``async_mode: thread``): ``_fs_op('x')`` runs
  the sync ``fs.x`` in a worker thread, one hop per call.

A native filesystem's sessions belong to its loop, and are closed once, whichever comes
first: ``await storage.close()``; the end of the loop (``asyncio.run()`` closes every
async generator still open before it closes the loop, and each per-loop filesystem is
watched by one: see ``LoopClients``); or, when the loop ended without that, without the
loop (``close_clients_now``) as soon as the loop is found closed, when the backend is
collected, or at interpreter exit. A script never sees "Unclosed client session".
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncIterator
from typing import Any

from ..._shared.async_utils import run_in_thread
from ..._shared.config import MountConfig
from ..._shared.sansio import Blocking, Call, build_methods
from ...backends.fsspec import (
    LOGIC_METHODS,
    FsspecLogic,
    aclose_filesystem,
    close_clients_now,
    lazy_backend,
)
from .base import AsyncStorageBackend

__all__ = ["ASYNC_TYPES", "AsyncDriver", "AsyncFsspecBackend", "LoopClients"]


class LoopClients:
    """The filesystem made for one event loop, and the one closing of its clients.

    Made on the loop, it starts an async generator (``_watch``) that waits at its
    ``yield``: the loop registers it, and when the loop ends, ``asyncio.run()`` (any
    loop's ``shutdown_asyncgens()``) closes it, which runs ``aclose()`` on that loop
    while it still runs. If the loop ends without that, ``close_now()`` closes the
    connections without the loop. It holds no reference to the backend, so it also
    closes the sessions of a backend that was dropped without ``close()``.
    """

    __slots__ = ("fs", "loop", "closed", "_watcher")

    def __init__(self, fs: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.fs = fs
        self.loop = loop
        self.closed = False
        self._watcher = self._watch()
        # Run it to its yield now: the loop's first-iteration hook registers it.
        with contextlib.suppress(StopIteration):
            self._watcher.__anext__().send(None)

    async def _watch(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the clients on their loop (the running one)."""
        if not self.closed:
            self.closed = True
            await aclose_filesystem(self.fs)

    async def finish(self) -> None:
        """Close the clients now (on their running loop) and the watcher with them."""
        with contextlib.suppress(RuntimeError):  # the loop's shutdown is closing it too
            await self._watcher.aclose()
        await self.aclose()

    def close_now(self) -> None:
        """The loop is gone (or will not run again): close without it."""
        if not self.closed:
            self.closed = True
            close_clients_now(self.fs)

    def close_soon(self) -> None:
        """Close from synchronous code: on the loop when it runs (a task, or a
        thread-safe call from another thread), else without it."""
        loop = self.loop
        if self.closed:
            return
        if loop.is_closed() or not loop.is_running():
            self.close_now()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        try:
            if running is loop:
                pending: Any = loop.create_task(self.finish())
            else:
                pending = asyncio.run_coroutine_threadsafe(self.finish(), loop)
        except RuntimeError:  # the loop closed meanwhile
            self.close_now()
            return
        _CLOSING.add(pending)  # a loop holds its tasks weakly: keep it until done
        pending.add_done_callback(_CLOSING.discard)


#: Closings in flight (see ``LoopClients.close_soon``).
_CLOSING: set[Any] = set()


def _close_abandoned(per_loop: dict[Any, LoopClients]) -> None:
    """A mount removed, a backend collected without ``close()``, or interpreter exit:
    close every loop's clients (``close_soon``)."""
    for clients in list(per_loop.values()):
        clients.close_soon()
    per_loop.clear()


class AsyncDriver(AsyncStorageBackend):
    """Runs a logic class with the async API, natively on the loop or in threads."""

    _asynchronous = True

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        self._setup()
        self._supports_native_async = self._native_async()
        self._per_loop: dict[asyncio.AbstractEventLoop, LoopClients] = {}
        self._threaded: Any = None
        self._fs_lock = threading.Lock()
        weakref.finalize(self, _close_abandoned, self._per_loop)  # also runs at exit

    def _filesystem(self) -> Any:
        if not self._supports_native_async:
            with self._fs_lock:
                if self._threaded is None:
                    self._threaded = self._new_fs(asynchronous=False)
                return self._threaded
        loop = asyncio.get_running_loop()
        with self._fs_lock:  # loops of several threads may share this backend
            clients = self._per_loop.get(loop)
            if clients is None:
                for stale in [lp for lp in self._per_loop if lp.is_closed()]:
                    self._per_loop.pop(stale).close_now()  # its loop ended: no loop needed
                fs = self._new_fs(asynchronous=True, loop=loop)
                clients = self._per_loop[loop] = LoopClients(fs, loop)
            return clients.fs

    def _fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        fs = self._filesystem()
        if self._supports_native_async:
            return Call(getattr(fs, f"_{name}"), args, kwargs)
        return Blocking(getattr(fs, name), args, kwargs)

    def _fs_coro(self, fn: Any, *args: Any, **kwargs: Any) -> Call:
        fs = self._filesystem()
        if self._supports_native_async:
            return Call(fn, (fs, *args), kwargs)
        from fsspec.asyn import sync

        return Blocking(sync, (fs.loop, fn, fs, *args), kwargs)

    def discard(self) -> None:
        """No longer mounted: close every loop's sessions without waiting for it."""
        with self._fs_lock:
            _close_abandoned(self._per_loop)

    async def close(self) -> None:
        """Close the sessions of this loop's filesystem (and of threaded ones)."""
        self._close_local()
        if not self._supports_native_async:
            with self._fs_lock:
                fs, self._threaded = self._threaded, None
            if fs is not None and getattr(fs, "loop", None) is not None:
                from fsspec.asyn import sync

                await run_in_thread(sync, fs.loop, self._aclose_fs, fs)
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


class AsyncFsspecBackend(FsspecLogic, AsyncDriver):
    """Any fsspec filesystem, async API: native when the filesystem implements asyncio
    (``_cat_file`` of its own), else thread-wrapped."""


build_methods(AsyncFsspecBackend, LOGIC_METHODS, asynchronous=True)


ASYNC_TYPES: dict[str, Any] = {
    "s3": lazy_backend(__package__, "s3", "AsyncS3Backend"),
    "azure": lazy_backend(__package__, "azure", "AsyncAzureBackend"),
    "gcs": lazy_backend(__package__, "gcs", "AsyncGCSBackend"),
    "http": lazy_backend(__package__, "http", "AsyncHTTPBackend"),
    "fsspec": AsyncFsspecBackend,
}
