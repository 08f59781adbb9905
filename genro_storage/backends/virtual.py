"""The sync face of a virtual node's store (see ``_shared/virtual.py``)."""

from __future__ import annotations

from typing import NoReturn

from .._shared.info import FileInfo, Page
from .._shared.sansio import drive_sync
from .._shared.virtual import VirtualContent, VirtualStore
from .base import Reader, StorageBackend, Writer
from .streams import SyncReader


class VirtualBackend(VirtualStore, StorageBackend):
    """A read-only one-file store whose content is ``content``'s."""

    def __init__(self, content: VirtualContent) -> None:
        self._setup(content)

    def info(self, path: str) -> FileInfo:
        return drive_sync(self._g_info(path))

    def read_bytes(self, path: str) -> bytes:
        reader = self.open_read(path)
        try:
            return reader.read(-1)
        finally:
            reader.close()

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        return self.read_bytes(path)[start:end]

    def open_read(self, path: str) -> Reader:
        self._check(path)
        return SyncReader(self.content.reader())

    def write_bytes(self, path: str, data: bytes) -> NoReturn:
        raise self._refuse(f"write '{self.where(path)}'")

    def open_write(self, path: str) -> Writer:
        raise self._refuse(f"write '{self.where(path)}'")

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        raise self._not_a_folder(path)

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        raise self._refuse(f"create '{self.where(path)}'")

    def delete(self, path: str, recursive: bool = False) -> None:
        raise self._refuse(f"delete '{self.where(path)}'")

    def copy(self, src: str, dst: str) -> None:
        raise self._refuse(f"write '{self.where(dst)}'")

    def move(self, src: str, dst: str) -> None:
        raise self._refuse(f"move '{self.where(src)}'")


__all__ = ["VirtualBackend"]
