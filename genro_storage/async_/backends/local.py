"""Async local disk: whole-file operations and listings take one thread hop per call
(the sync backend in a thread); streaming ``open()`` uses aiofiles."""

from __future__ import annotations

import os
from typing import Any

import aiofiles

from ..._shared.async_utils import run_in_thread
from ..._shared.config import MountConfig
from ..._shared.exceptions import errors_as_storage
from ...backends.local import LocalBackend, temp_beside, unlink_quietly
from .base import ThreadBackend


class AsyncLocalWriter:
    """aiofiles on a temporary file beside the target; ``commit`` renames it into place."""

    def __init__(self, file: Any, tmp: str, target: str, where: str = "") -> None:
        self._file = file
        self._tmp = tmp
        self._target = target
        self._where = where or os.path.basename(target)
        self._closed = False

    async def write(self, data: bytes) -> int:
        return await self._file.write(data)

    async def commit(self) -> None:
        if not self._closed:
            self._closed = True
            await self._file.close()
            with errors_as_storage(self._where):  # a removed folder: named, no temp path
                await run_in_thread(os.replace, self._tmp, self._target)

    async def abort(self) -> None:
        if not self._closed:
            self._closed = True
            await self._file.close()
        await run_in_thread(unlink_quietly, self._tmp)


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

    async def open_write(self, path: str) -> AsyncLocalWriter:
        target = self._local.full(path)
        with errors_as_storage(self.where(path)):
            tmp = await run_in_thread(temp_beside, target)
            try:
                file = await aiofiles.open(tmp, "wb")
            except BaseException:
                await run_in_thread(unlink_quietly, tmp)
                raise
        return AsyncLocalWriter(file, tmp, target, self.where(path))
