"""The async face of a virtual node's store (see ``_shared/virtual.py``)."""

from __future__ import annotations

from typing import NoReturn

from ..._shared.info import FileInfo, Page
from ..._shared.sansio import drive_async
from ..._shared.virtual import VirtualContent, VirtualStore
from ...backends.streams import AsyncReader
from .base import AsyncReader as AsyncReaderProtocol
from .base import AsyncStorageBackend, AsyncWriter


class AsyncVirtualBackend(VirtualStore, AsyncStorageBackend):
    """A read-only one-file store whose content is ``content``'s, for the async API."""

    _supports_native_async = True

    def __init__(self, content: VirtualContent) -> None:
        self._setup(content)

    async def info(self, path: str) -> FileInfo:
        return await drive_async(self._g_info(path))

    async def read_bytes(self, path: str) -> bytes:
        reader = await self.open_read(path)
        try:
            return await reader.read(-1)
        finally:
            await reader.close()

    async def read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> bytes:
        return (await self.read_bytes(path))[start:end]

    async def open_read(self, path: str) -> AsyncReaderProtocol:
        self._check(path)
        return AsyncReader(self.content.reader())

    async def write_bytes(self, path: str, data: bytes) -> NoReturn:
        raise self._refuse(f"write '{self.where(path)}'")

    async def open_write(self, path: str) -> AsyncWriter:
        raise self._refuse(f"write '{self.where(path)}'")

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        raise self._not_a_folder(path)

    async def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        raise self._refuse(f"create '{self.where(path)}'")

    async def delete(self, path: str, recursive: bool = False) -> None:
        raise self._refuse(f"delete '{self.where(path)}'")

    async def copy(self, src: str, dst: str) -> None:
        raise self._refuse(f"write '{self.where(dst)}'")

    async def move(self, src: str, dst: str) -> None:
        raise self._refuse(f"move '{self.where(src)}'")
