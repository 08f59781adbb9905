"""``AsyncRelativeBackend``: a relative mount under the async API, a view over a folder
of another mount (rules in ``_shared/relative.py``); the twin of
``backends/relative.py``."""

from __future__ import annotations

import builtins
from typing import Any

from ..._shared.config import MountConfig
from ..._shared.info import FileInfo, Page, VersionInfo
from ..._shared.relative import RelativeCore
from .base import AsyncReader, AsyncStorageBackend, AsyncWriter

__all__ = ["AsyncRelativeBackend"]


class AsyncRelativeBackend(RelativeCore, AsyncStorageBackend):  # type: ignore[override]
    """A folder of another mount, with permissions that can only narrow."""

    def __init__(self, manager: Any, config: MountConfig) -> None:
        RelativeCore.__init__(self, manager, config)

    @property
    def is_native(self) -> bool:
        """Whether the parent's I/O is natively async."""
        return bool(self._root()[0].is_native)

    async def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        with self._named():
            backend, full = self._target(path)
            return self._own_info(await backend.info(full))

    async def exists(self, path: str) -> bool:
        """Whether something exists at ``path``."""
        with self._named():
            backend, full = self._target(path)
            return bool(await backend.exists(full))

    async def read_bytes(self, path: str) -> bytes:
        """The whole file."""
        with self._named():
            backend, full = self._target(path)
            return bytes(await backend.read_bytes(full))

    async def read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end."""
        with self._named():
            backend, full = self._target(path)
            return bytes(await backend.read_range(full, start, end, etag))

    async def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically."""
        with self._named():
            backend, full = self._target(path)
            return self._own_path(await backend.write_bytes(full, data))

    async def open_read(self, path: str) -> AsyncReader:
        """A reader (``await read(n)``, ``await close()``)."""
        with self._named():
            backend, full = self._target(path)
            reader: AsyncReader = await backend.open_read(full)
            return reader

    async def open_write(self, path: str) -> AsyncWriter:
        """A writer; nothing is visible before ``commit()``."""
        with self._named():
            backend, full = self._target(path)
            writer: AsyncWriter = await backend.open_write(full)
            return writer

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        """One page of the folder's entries, sorted by name."""
        with self._named():
            backend, full = self._target(path)
            return self._own_page(await backend.list(full, page_size, cursor))

    async def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Create a folder."""
        with self._named():
            backend, full = self._target(path)
            await backend.mkdir(full, parents, exist_ok)

    async def delete(self, path: str, recursive: bool = False) -> None:
        """Delete a file, or a folder (non-empty only with ``recursive``)."""
        with self._named():
            backend, full = self._target(path)
            await backend.delete(full, recursive)

    async def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount."""
        with self._named():
            backend, full_src = self._target(src)
            await backend.copy(full_src, self._target(dst)[1])

    async def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        with self._named():
            backend, full_src = self._target(src)
            await backend.move(full_src, self._target(dst)[1])

    async def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Copy ``src`` here to ``dst`` on ``other``, where ``same_store(other)``."""
        with self._named():
            backend, full_src = self._target(src)
            target, full_dst = self._server_target(other, dst)
            await backend.server_copy(full_src, target, full_dst)

    async def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        with self._named():
            backend, full = self._target(path)
            found: str | None = await backend.md5hash(full)
            return found

    async def get_metadata(self, path: str) -> dict[str, str]:
        """The file's user metadata."""
        with self._named():
            backend, full = self._target(path)
            return dict(await backend.get_metadata(full))

    async def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata."""
        with self._named():
            backend, full = self._target(path)
            await backend.set_metadata(full, metadata)

    async def versions(self, path: str) -> builtins.list[VersionInfo]:
        """Stored versions, newest first."""
        with self._named():
            backend, full = self._target(path)
            return builtins.list(await backend.versions(full))

    async def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        with self._named():
            backend, full = self._target(path)
            return bytes(await backend.read_version(full, version_id))

    async def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good."""
        with self._named():
            backend, full = self._target(path)
            await backend.delete_version(full, version_id)

    async def open_read_version(self, path: str, version_id: str) -> AsyncReader:
        """A reader over one stored version, streamed."""
        with self._named():
            backend, full = self._target(path)
            reader: AsyncReader = await backend.open_read_version(full, version_id)
            return reader

    async def local_path(self, path: str) -> str | None:
        """The file's path on local disk, when it has one."""
        with self._named():
            backend, full = self._target(path)
            found: str | None = await backend.local_path(full)
            return found

    async def close(self) -> None:
        """Nothing to release: the parent's backend belongs to the parent mount."""

    def discard(self) -> None:
        """Nothing to release (see ``close``)."""
