"""Async local disk: whole-file operations, listings and streamed writes take one thread
hop per call (the sync backend in a thread: its writer renames into place at a commit
point, so a cancelled write never lands); streaming reads use aiofiles."""

from __future__ import annotations

from typing import Any

import aiofiles

from ..._shared.config import MountConfig
from ..._shared.exceptions import errors_as_storage
from ...backends.local import LocalBackend
from .base import ThreadBackend


class AsyncLocalBackend(ThreadBackend):
    """Local disk for the async API."""

    _supports_native_async = True

    def __init__(self, config: MountConfig | LocalBackend) -> None:
        sync = config if isinstance(config, LocalBackend) else LocalBackend(config)
        super().__init__(sync)
        self._local: LocalBackend = sync

    async def open_read(self, path: str) -> Any:
        full = self._local.full(path)
        with errors_as_storage(self.where(path)):
            return await aiofiles.open(full, "rb")
