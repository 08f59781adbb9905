"""Client lifecycle of the fsspec-based stores: close an fsspec filesystem's clients on
their loop, or without it when the loop is gone; check that a store's library is there."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import weakref
from collections.abc import AsyncGenerator
from typing import Any

from .._shared.exceptions import (
    StorageConfigError,
)


def detach_finalizers(obj: Any) -> None:
    """Drop the ``weakref.finalize`` hooks a filesystem registered on itself, once it is
    closed: adlfs and s3fs would otherwise close it again at interpreter exit, on a loop
    that may be gone by then."""
    registry: dict[weakref.finalize[..., Any], Any] = vars(weakref.finalize)["_registry"]
    for finalizer in list(registry):  # no public registry
        info = finalizer.peek()
        if info is not None and info[0] is obj:
            finalizer.detach()


async def close_clients(fs: Any) -> bool:
    """Close the clients an fsspec filesystem holds: s3fs's aiobotocore client, adlfs's
    Azure SDK client and credentials, the aiohttp session of gcsfs and HTTPFileSystem.
    ``False`` when it holds none of those (its own finalizers stay in charge)."""
    known = False
    if hasattr(fs, "_s3creator") or hasattr(fs, "_s3"):  # s3fs
        known = True
        creator = getattr(fs, "_s3creator", None)
        if getattr(fs, "_s3", None) is not None and creator is not None:
            fs._s3 = None
            await creator.__aexit__(None, None, None)
    service = getattr(fs, "service_client", None)  # adlfs
    if service is not None:
        known = True
        await service.close()
        credentials = (getattr(fs, "credential", None), getattr(fs, "sync_credential", None))
        for credential in {id(c): c for c in credentials if c is not None}.values():
            result = credential.close() if hasattr(credential, "close") else None
            if inspect.isawaitable(result):
                await result
    if hasattr(fs, "_session"):  # gcsfs, HTTPFileSystem
        known = True
        session, fs._session = fs._session, None
        if session is not None and not session.closed:
            await session.close()
    return known


async def aclose_filesystem(fs: Any) -> None:
    """Close a filesystem's clients on the loop they belong to (``close_clients``);
    once closed here, its own finalizers are detached (no second close at exit)."""
    if await close_clients(fs):
        detach_finalizers(fs)


#: Libraries whose objects are searched for aiohttp sessions (and nothing else).
_CLIENT_MODULES = ("aiohttp", "aiobotocore", "botocore", "s3fs", "adlfs", "azure", "gcsfs")
_CLIENT_DEPTH = 8


def aiohttp_sessions(fs: Any) -> list[Any]:
    """The aiohttp ``ClientSession`` objects an fsspec filesystem holds: ``fs._session``
    (HTTP, gcsfs), the aiobotocore client's (``fs._s3._endpoint.http_session``), the
    Azure SDK transport's. Found by a short walk over the attributes of those libraries'
    objects, so a new attribute name in one of them does not hide a session."""
    import aiohttp

    found: dict[int, Any] = {}
    seen: set[int] = set()
    frontier: list[Any] = [fs]
    for _ in range(_CLIENT_DEPTH):
        following: list[Any] = []
        for obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, aiohttp.ClientSession):
                found[id(obj)] = obj
            elif isinstance(obj, dict):
                following.extend(obj.values())
            elif isinstance(obj, list | tuple | set | frozenset):
                following.extend(obj)
            elif obj is fs or type(obj).__module__.partition(".")[0] in _CLIENT_MODULES:
                with contextlib.suppress(TypeError):  # no __dict__ (slots)
                    following.extend(vars(obj).values())
        frontier = following
    return list(found.values())


def close_clients_now(fs: Any) -> None:
    """Close the connections of a filesystem's aiohttp sessions *without* their event
    loop, which has ended (or will not run again): the last resort of s3fs's
    ``close_session``. The sessions count as closed afterwards, so nothing prints
    "Unclosed client session" / "Unclosed connector" when they are collected."""
    for session in aiohttp_sessions(fs):
        connector = getattr(session, "_connector", None)
        if connector is not None and not connector.closed:
            with contextlib.suppress(Exception):  # best effort: the loop may be half gone
                connector._close()


def needs_library(config: Any, module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise StorageConfigError(
            f"Mount '{config.name}': type '{config.type}' needs the '{module}' package"
            f" (pip install 'genro-storage[{extra}]')"
        )


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

    async def _watch(self) -> AsyncGenerator[None, None]:
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


def close_abandoned(per_loop: dict[Any, LoopClients]) -> None:
    """A mount removed, a backend collected without ``close()``, or interpreter exit:
    close every loop's clients (``close_soon``)."""
    for clients in list(per_loop.values()):
        clients.close_soon()
    per_loop.clear()
