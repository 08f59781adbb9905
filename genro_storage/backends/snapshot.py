"""``SnapshotBackend``: the backend of a versioned node under the sync API
(``storage.node(spec, version=...)``); the rules are in ``_shared/versions.py``.

The pinned file is served from the chosen version; every other path (the snapshot's
parent, a child) is the live mount, read-only. Every write is refused."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from .._shared.info import FileInfo, Page, VersionInfo
from .._shared.sansio import drive_sync
from .._shared.versions import SnapshotCore, Version
from .base import Reader, StorageBackend, Writer

__all__ = ["SnapshotBackend"]


class SnapshotBackend(SnapshotCore, StorageBackend):  # type: ignore[override]
    """One version of one file, read-only, over a live sync backend."""

    _inner: StorageBackend

    def __init__(
        self, inner: StorageBackend, path: str, version: Version | None, as_of: datetime | None
    ) -> None:
        SnapshotCore.__init__(self, inner, path, version, as_of)

    def _version_id(self) -> str:
        return drive_sync(self._g_version()).version_id

    def info(self, path: str) -> FileInfo:
        """The version's facts for the pinned file, the live facts elsewhere."""
        if path == self._pinned:
            return self._facts(drive_sync(self._g_version()))
        return self._inner.info(path)

    def exists(self, path: str) -> bool:
        """Whether the version (or a live path) exists."""
        if path == self._pinned:
            from .._shared.exceptions import StorageNotFoundError

            try:
                self._version_id()
            except StorageNotFoundError:
                return False
            return True
        return self._inner.exists(path)

    def read_bytes(self, path: str) -> bytes:
        """The whole version (or live file)."""
        if path == self._pinned:
            return self._inner.read_version(path, self._version_id())
        return self._inner.read_bytes(path)

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        """Bytes ``[start, end)`` of the version, streamed up to ``end``."""
        if path != self._pinned:
            return self._inner.read_range(path, start, end, etag)
        reader = self.open_read(path)
        try:
            skipped = 0
            while skipped < start:
                chunk = reader.read(min(start - skipped, 1 << 20))
                if not chunk:
                    return b""
                skipped += len(chunk)
            return reader.read(-1 if end is None else max(end - start, 0))
        finally:
            reader.close()

    def write_bytes(self, path: str, data: bytes) -> str | None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(path, "write")

    def open_read(self, path: str) -> Reader:
        """A reader over the version (ranged reads), or over a live file."""
        if path == self._pinned:
            return self._inner.open_read_version(path, self._version_id())
        return self._inner.open_read(path)

    def open_write(self, path: str) -> Writer:
        """Refused: a snapshot is read-only."""
        raise self._refuse(path, "write")

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        """The live listing (read-only)."""
        return self._inner.list(path, page_size, cursor)

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(path, "create a directory")

    def delete(self, path: str, recursive: bool = False) -> None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(path, "delete")

    def copy(self, src: str, dst: str) -> None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(dst, "write")

    def move(self, src: str, dst: str) -> None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(src, "move")

    def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Refused: a snapshot is copied by reading it (``same_store`` is false)."""
        raise self._refuse(src, "copy inside the store")

    def md5hash(self, path: str) -> str | None:
        """Unknown for a version (computed from its bytes); live elsewhere."""
        return None if path == self._pinned else self._inner.md5hash(path)

    def get_metadata(self, path: str) -> dict[str, str]:
        """The live file's metadata: a version listing carries none."""
        return self._inner.get_metadata(path)

    def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Refused: a snapshot is read-only."""
        raise self._refuse(path, "set metadata")

    def versions(self, path: str) -> builtins.list[VersionInfo]:
        """The file's stored versions, newest first."""
        return self._inner.versions(path)

    def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        return self._inner.read_version(path, version_id)

    def open_read_version(self, path: str, version_id: str) -> Reader:
        """A reader over one stored version."""
        return self._inner.open_read_version(path, version_id)

    def local_path(self, path: str) -> str | None:
        """Never the live file's path: a version is downloaded to a temporary file."""
        return None

    def close(self) -> None:
        """Nothing to release: the live backend belongs to the mount."""
