"""Thread helpers, native-async detection and the sync -> async bridge.

The bridge runs a coroutine on one dedicated background event loop thread, the way
fsspec does, so that sync code may call the async API even from inside a running loop
(a Jupyter cell) without nest-asyncio: the calling thread blocks, the kernel's loop is
never re-entered.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

# Imported first so that its atexit hook runs after _shutdown's (atexit is last in,
# first out): runtime threads answering the background loop's cancellations settle too.
from . import nativeexit  # noqa: F401

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


# -- cancellation of thread hops ------------------------------------------------------
#
# A thread cannot be stopped from outside, so a cancelled awaited call must not leave its
# worker thread free to publish a write later. Rule: when an awaited call raises
# ``CancelledError``, nothing it was writing has landed, and nothing lands later. Each
# thread hop carries a ``CancelToken`` (a context variable set in the hop's own copied
# context); every place where a change becomes visible calls ``commit_point()`` first.
# On cancellation the coroutine cancels the token and waits (shielded) for the thread:
# a thread that had not reached its commit point fails there and nothing is published;
# one that had passed it finishes and the call completes as a success.


class CommitCancelled(asyncio.CancelledError):
    """Raised in a worker thread at a commit point after its awaiting call was cancelled;
    the thread then cleans up (temporaries) and nothing is published."""


class CancelToken:
    """Shared by one thread hop and the coroutine awaiting it. ``cancel()`` and
    ``commit()`` are atomic with respect to each other: exactly one of them wins."""

    __slots__ = ("_lock", "cancelled", "committed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.cancelled = False
        self.committed = False

    def commit(self) -> None:
        """Claim the commit, or raise ``CommitCancelled`` if the call was cancelled."""
        with self._lock:
            if self.cancelled:
                raise CommitCancelled("the awaiting call was cancelled before the commit")
            self.committed = True

    def check(self) -> None:
        """Raise ``CommitCancelled`` if the call was cancelled (and nothing committed)."""
        if self.cancelled:
            raise CommitCancelled("the awaiting call was cancelled")

    def cancel(self) -> bool:
        """Cancel unless the commit happened already; returns whether it had."""
        with self._lock:
            if not self.committed:
                self.cancelled = True
            return self.committed


_TOKEN: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar(
    "genro_storage_cancel_token", default=None
)


def commit_point() -> None:
    """Call right before a change becomes visible (a rename into place, a dict entry, an
    upload). In a thread hop whose awaiting call was cancelled it raises
    ``CommitCancelled``; otherwise it marks the hop committed, so that a cancellation
    arriving later lets the call complete. A no-op outside thread hops (the sync API)."""
    token = _TOKEN.get()
    if token is not None:
        token.commit()


def check_cancelled() -> None:
    """For long steps before a commit point (a streamed copy): stop early when the
    awaiting call was cancelled. A no-op outside thread hops."""
    token = _TOKEN.get()
    if token is not None:
        token.check()


async def wait_through_cancels(future: asyncio.Future[Any]) -> int:
    """Wait until ``future`` is done, even if the awaiting task is cancelled meanwhile
    (again and again). Returns how many cancellations were absorbed."""
    absorbed = 0
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            absorbed += 1
    return absorbed


async def to_the_end(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` to its end even if the caller is cancelled meanwhile, then
    raise the cancellation. For releasing a resource (a reader's close, a writer's
    abort): a cleanup hop that a second cancellation skipped would leak an open file."""
    task = asyncio.ensure_future(awaitable)
    if await wait_through_cancels(task):
        raise asyncio.CancelledError
    return task.result()


def withdraw_cancels(count: int) -> None:
    """The current task absorbed ``count`` cancellations and completes: say so to asyncio
    (``Task.uncancel``), as structured concurrency (``asyncio.timeout``) expects."""
    uncancel = getattr(asyncio.current_task(), "uncancel", None)  # Python 3.11+
    if uncancel is not None:
        for _ in range(count):
            uncancel()


async def run_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``asyncio.to_thread`` on genro-storage's own I/O pool (context variables kept),
    with honest cancellation: a cancelled call raises ``CancelledError`` only once its
    thread has stopped without passing a ``commit_point()``; a thread that had passed it
    finishes, and the call returns its result as if it had not been cancelled."""
    token = CancelToken()
    context = contextvars.copy_context()
    context.run(_TOKEN.set, token)
    work = _thread_pool().submit(context.run, fn, *args, **kwargs)
    future = asyncio.wrap_future(work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if work.cancel():  # never started: nothing ran
            raise
        committed = token.cancel()
        absorbed = await wait_through_cancels(future)
        if not committed:
            if not future.cancelled() and future.exception() is None:
                _release(future.result())  # an opened reader or writer nobody will get
            raise
        withdraw_cancels(1 + absorbed)
        return future.result()


def _release(result: object) -> None:
    """Undo what a thread made for a call that was cancelled meanwhile: a writer is
    aborted, a file or reader is closed (else it would leak until collected)."""
    for name in ("abort", "close"):
        method = getattr(result, name, None)
        if callable(method):
            with contextlib.suppress(Exception):
                method()
            return


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
    future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
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
    cls: type[Any] = fs if isinstance(fs, type) else type(fs)
    if not issubclass(cls, AsyncFileSystem):
        return False
    return cls._cat_file is not AsyncFileSystem._cat_file
