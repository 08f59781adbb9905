"""Async local disk: whole-file operations, listings and streamed writes run the sync
backend off the loop (its writer renames into place at a commit point, so a cancelled
write never lands), and so do streamed reads: an open that a cancellation overtook is
closed (``run_in_thread``'s rule), which aiofiles did not do. Short calls share batched thread hops
(``_shared/batching.py``): many small reads at once cost a fraction of a hop each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..._shared.batching import run_batched
from ..._shared.config import MountConfig
from ...backends.local import LocalBackend
from .base import ThreadBackend

T = TypeVar("T")


class AsyncLocalBackend(ThreadBackend):
    """Local disk for the async API."""

    _supports_native_async = True

    def __init__(self, config: MountConfig | LocalBackend) -> None:
        sync = config if isinstance(config, LocalBackend) else LocalBackend(config)
        super().__init__(sync)
        self._local: LocalBackend = sync

    async def _hop(self, fn: Callable[..., T], *args: Any) -> T:
        """Short calls go to the batched hops."""
        return await run_batched(fn, *args)
