"""Thread helpers, native-async detection and the sync -> async bridge.

The bridge runs a coroutine on one dedicated background event loop thread, the way
fsspec does, so that sync code may call the async API even from inside a running loop
(a Jupyter cell) without nest-asyncio: the calling thread blocks, the kernel's loop is
never re-entered.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import functools
import inspect
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


#: Worker threads for thread-wrapped I/O. asyncio's default executor has
#: ``min(32, cores + 4)`` threads (6 on a 2-core machine), which would silently cap the
#: concurrency of every thread-wrapped mount; this pool is sized for I/O instead.
THREADS = int(os.environ.get("GENRO_STORAGE_THREADS", "32"))
_pool: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="genro-storage")
        return _pool


async def run_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``asyncio.to_thread`` on genro-storage's own I/O pool (context variables kept)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_thread_pool(), call)


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared background loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="genro-storage-loop", daemon=True
            )
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def run_sync(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coro`` on the background loop and block until it is done.

    Safe to call from a thread whose own loop is running (Jupyter); refused on the
    background loop itself, where it would deadlock.
    """
    if not inspect.iscoroutine(coro):
        raise TypeError(f"run_sync() needs a coroutine, not {type(coro).__name__}")
    loop = background_loop()
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("run_sync() called on the genro-storage background loop: await it")
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result(timeout)
    except BaseException:
        future.cancel()
        raise


def _shutdown() -> None:
    global _loop
    loop = _loop
    if loop is None or loop.is_closed():
        return

    async def _cancel_rest() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    with contextlib.suppress(Exception):  # best effort at interpreter exit
        asyncio.run_coroutine_threadsafe(_cancel_rest(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    if _thread is not None:
        _thread.join(5)
    loop.close()
    _loop = None


atexit.register(_shutdown)


def is_async_filesystem(fs: Any) -> bool:
    """True when an fsspec filesystem (instance or class) implements its I/O natively in
    asyncio, i.e. it is an ``AsyncFileSystem`` that really overrides ``_cat_file``."""
    try:
        from fsspec.asyn import AsyncFileSystem
    except ImportError:  # pragma: no cover - fsspec is a core dependency
        return False
    cls = fs if isinstance(fs, type) else type(fs)
    if not issubclass(cls, AsyncFileSystem):
        return False
    return cls._cat_file is not AsyncFileSystem._cat_file
