"""Async memory mount: the sync dict backend, run inline on the loop.

A memory call never blocks (a dict lookup under a lock held only for such lookups), so
it runs on the loop directly instead of paying a thread hop (about 70 µs, 100x the
call). Only calls that copy more than ``LARGE_BYTES`` (a 1 GiB ``bytearray`` written,
a large range read) or visit a whole tree (a recursive delete, an unpaged listing) take
a thread hop. An inline call is atomic with respect to the loop: cancelled before it,
nothing happened; it cannot be cancelled while running, so it completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from ..._shared.async_utils import run_in_thread
from ..._shared.config import MountConfig
from ..._shared.info import Page
from ...backends.memory import MemoryBackend
from .base import ThreadBackend

T = TypeVar("T")


class AsyncMemoryBackend(ThreadBackend):
    """``MemoryBackend`` with its short calls inline (``describe()``: ``inline``)."""

    def __init__(self, config: MountConfig | MemoryBackend) -> None:
        sync = config if isinstance(config, MemoryBackend) else MemoryBackend(config)
        super().__init__(sync)
        self._memory = sync

    @property
    def run_mode(self) -> str:
        """``'inline'``: calls run on the loop, large copies in a thread."""
        return "inline"

    async def _hop(self, fn: Callable[..., T], *args: Any) -> T:
        """Short calls run right here, on the loop, unless the store's lock is held
        (by a sync thread sharing the store, busy with a large tree): then in a thread,
        so that the loop never waits for a lock."""
        lock = self._memory._lock
        if not lock.acquire(blocking=False):
            return await run_in_thread(fn, *args)
        try:
            return fn(*args)
        finally:
            lock.release()

    async def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount (the bytes are shared, not copied)."""
        await self._hop(self._sync.copy, src, dst)

    async def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        await self._hop(self._sync.move, src, dst)

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        """One page of the folder's entries, sorted by name. Before an inline page the
        loop runs its other tasks once: ``async for`` over a folder of a million entries
        (all inline) would otherwise hold the loop from its first page to its last."""
        if page_size is not None and page_size <= 1000:
            await asyncio.sleep(0)  # before the call: cancelled here, nothing happened
            return await self._hop(self._sync.list, path, page_size, cursor)
        return await self._long_hop(self._sync.list, path, page_size, cursor)
