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
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ..._shared.async_utils import run_in_thread
from ..._shared.config import MountConfig
from ..._shared.sansio import Blocking, Call, build_methods
from ...backends.fsspec import LOGIC_METHODS, FsspecLogic, lazy_backend
from .base import AsyncStorageBackend

__all__ = ["ASYNC_TYPES", "AsyncDriver", "AsyncFsspecBackend"]


class AsyncDriver(AsyncStorageBackend):
    """Runs a logic class with the async API, natively on the loop or in threads."""

    _asynchronous = True

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        self._setup()
        self._supports_native_async = self._native_async()
        self._per_loop: dict[asyncio.AbstractEventLoop, Any] = {}
        self._threaded: Any = None
        self._fs_lock = threading.Lock()

    def _filesystem(self) -> Any:
        if not self._supports_native_async:
            with self._fs_lock:
                if self._threaded is None:
                    self._threaded = self._new_fs(asynchronous=False)
                return self._threaded
        loop = asyncio.get_running_loop()
        with self._fs_lock:  # loops of several threads may share this backend
            fs = self._per_loop.get(loop)
            if fs is None:
                for stale in [lp for lp in self._per_loop if lp.is_closed()]:
                    del self._per_loop[stale]  # not closed before its loop: gone with it
                fs = self._per_loop[loop] = self._new_fs(asynchronous=True, loop=loop)
            return fs

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
        for loop, fs in owned:
            if loop is current:
                await self._aclose_fs(fs)
            elif loop.is_running():  # another thread's loop: close it there
                future = asyncio.run_coroutine_threadsafe(self._aclose_fs(fs), loop)
                await asyncio.wrap_future(future)
            # a closed loop took its sessions with it


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
