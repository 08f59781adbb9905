"""``RelativeBackend``: a relative mount under the sync API, a view over a folder of
another mount (rules in ``_shared/relative.py``). Each method joins the folder in front
of the path and hands the call to the parent's real backend."""

from __future__ import annotations

import builtins
from typing import Any

from .._shared.config import MountConfig
from .._shared.info import FileInfo, Page, VersionInfo
from .._shared.relative import RelativeCore
from .base import Reader, StorageBackend, Writer

__all__ = ["RelativeBackend"]


class RelativeBackend(RelativeCore, StorageBackend):  # type: ignore[override]
    """A folder of another mount, with permissions that can only narrow."""

    def __init__(self, manager: Any, config: MountConfig) -> None:
        RelativeCore.__init__(self, manager, config)

    def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        with self._named():
            backend, full = self._target(path)
            return self._own_info(backend.info(full))

    def exists(self, path: str) -> bool:
        """Whether something exists at ``path``."""
        with self._named():
            backend, full = self._target(path)
            return bool(backend.exists(full))

    def read_bytes(self, path: str) -> bytes:
        """The whole file."""
        with self._named():
            backend, full = self._target(path)
            return bytes(backend.read_bytes(full))

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end."""
        with self._named():
            backend, full = self._target(path)
            return bytes(backend.read_range(full, start, end, etag))

    def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically."""
        with self._named():
            backend, full = self._target(path)
            return self._own_path(backend.write_bytes(full, data))

    def open_read(self, path: str) -> Reader:
        """A reader (``read(n)``, ``close()``)."""
        with self._named():
            backend, full = self._target(path)
            reader: Reader = backend.open_read(full)
            return reader

    def open_write(self, path: str) -> Writer:
        """A writer; nothing is visible before ``commit()``."""
        with self._named():
            backend, full = self._target(path)
            writer: Writer = backend.open_write(full)
            return writer

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        """One page of the folder's entries, sorted by name."""
        with self._named():
            backend, full = self._target(path)
            return self._own_page(backend.list(full, page_size, cursor))

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Create a folder."""
        with self._named():
            backend, full = self._target(path)
            backend.mkdir(full, parents, exist_ok)

    def delete(self, path: str, recursive: bool = False) -> None:
        """Delete a file, or a folder (non-empty only with ``recursive``)."""
        with self._named():
            backend, full = self._target(path)
            backend.delete(full, recursive)

    def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount."""
        with self._named():
            backend, full_src = self._target(src)
            backend.copy(full_src, self._target(dst)[1])

    def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        with self._named():
            backend, full_src = self._target(src)
            backend.move(full_src, self._target(dst)[1])

    def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Copy ``src`` here to ``dst`` on ``other``, where ``same_store(other)``."""
        with self._named():
            backend, full_src = self._target(src)
            target, full_dst = self._server_target(other, dst)
            backend.server_copy(full_src, target, full_dst)

    def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        with self._named():
            backend, full = self._target(path)
            found: str | None = backend.md5hash(full)
            return found

    def get_metadata(self, path: str) -> dict[str, str]:
        """The file's user metadata."""
        with self._named():
            backend, full = self._target(path)
            return dict(backend.get_metadata(full))

    def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata."""
        with self._named():
            backend, full = self._target(path)
            backend.set_metadata(full, metadata)

    def versions(self, path: str) -> builtins.list[VersionInfo]:
        """Stored versions, newest first."""
        with self._named():
            backend, full = self._target(path)
            return builtins.list(backend.versions(full))

    def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        with self._named():
            backend, full = self._target(path)
            return bytes(backend.read_version(full, version_id))

    def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good."""
        with self._named():
            backend, full = self._target(path)
            backend.delete_version(full, version_id)

    def open_read_version(self, path: str, version_id: str) -> Reader:
        """A reader over one stored version, streamed."""
        with self._named():
            backend, full = self._target(path)
            reader: Reader = backend.open_read_version(full, version_id)
            return reader

    def local_path(self, path: str) -> str | None:
        """The file's path on local disk, when it has one."""
        with self._named():
            backend, full = self._target(path)
            found: str | None = backend.local_path(full)
            return found

    def close(self) -> None:
        """Nothing to release: the parent's backend belongs to the parent mount."""
