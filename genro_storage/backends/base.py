"""The sync backend contract. Every backend implements the same method set; what a
backend cannot do raises a clear error and shows in its ``capabilities``.

Paths given to a backend are already normalised and relative to the mount's root
(``''`` is the root); the backend maps them onto its store.
"""

from __future__ import annotations

import builtins
import io
from typing import Any, ClassVar, Protocol

from .._shared.capabilities import Capabilities
from .._shared.config import MountConfig
from .._shared.exceptions import unsupported
from .._shared.identity import Location, segments
from .._shared.info import FileInfo, Page, VersionInfo
from .._shared.paths import normalize

#: The backend methods; the thread wrapper of the async API wraps exactly these.
BACKEND_METHODS = (
    "info",
    "exists",
    "read_bytes",
    "read_range",
    "write_bytes",
    "open_read",
    "open_write",
    "list",
    "mkdir",
    "delete",
    "copy",
    "move",
    "server_copy",
    "md5hash",
    "get_metadata",
    "set_metadata",
    "versions",
    "read_version",
    "open_read_version",
    "delete_version",
    "url",
    "local_path",
    "close",
)

CHUNK_SIZE = 4 * 1024 * 1024


class Reader(Protocol):
    def read(self, size: int = -1) -> bytes: ...
    def close(self) -> None: ...


class Writer(Protocol):
    """Bytes go to a temporary place; only ``commit()`` makes them visible (it returns the
    new path when the store moves the node, as base64 does, else ``None``). A writer
    dropped without ``commit()`` publishes nothing; one holding local resources releases
    them when collected."""

    def write(self, data: bytes) -> int: ...
    def commit(self) -> str | None: ...
    def abort(self) -> None: ...


class BufferWriter:
    """A writer that collects bytes in memory and hands them to ``sink`` on commit."""

    def __init__(self, sink: Any, sink_new: Any = None) -> None:
        self._buffer = io.BytesIO()
        self._sink = sink
        #: The store's check-and-set write for mode 'x' (``commit_new``), if it has one.
        self._sink_new = sink_new
        self._done = False

    @property
    def can_commit_new(self) -> bool:
        """Whether ``commit_new`` is the store's atomic create-only write."""
        return self._sink_new is not None

    def commit_new(self) -> Any:
        """Hand the bytes over only if nothing is at the path (``StorageExistsError``)."""
        if self._sink_new is None:
            raise TypeError("this writer has no create-only commit")
        if self._done:
            return None
        self._done = True
        return self._sink_new(self._buffer.getvalue())

    def write(self, data: bytes) -> int:
        return self._buffer.write(data)

    def commit(self) -> Any:
        """Hand the bytes over; returns what the sink returns (base64: the new path)."""
        if self._done:
            return None
        self._done = True
        return self._sink(self._buffer.getvalue())

    def abort(self) -> None:
        self._done = True
        self._buffer = io.BytesIO()


class StorageBackend:
    """Base class of the sync backends."""

    type_name: ClassVar[str] = "base"
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: MountConfig) -> None:
        self.config = config
        self.mount = config.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mount={self.mount!r}>"

    def normalize_path(self, *parts: str) -> str:
        """Turn user path parts into this backend's normalised path (no I/O)."""
        return normalize(*parts)

    def where(self, path: str) -> str:
        """The user-facing name of ``path``, used in every message."""
        return f"{self.mount}:{path}"

    def location(self, path: str) -> Location:
        """The physical place of ``path`` (no I/O): equal for two mounts over one place.
        A backend that cannot tell its store apart from others' is its own store."""
        return Location(("backend", id(self)), segments(path))

    def is_root(self, path: str) -> bool:
        """Whether ``path`` is a root of the mount: a folder that may never be moved,
        renamed or deleted (``''``; on a switched local mount, each first segment)."""
        return not path

    # -- facts ------------------------------------------------------------------
    def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        from .._shared.exceptions import StorageNotFoundError

        try:
            self.info(path)
        except StorageNotFoundError:
            return False
        return True

    # -- content ----------------------------------------------------------------
    def read_bytes(self, path: str) -> bytes:
        raise NotImplementedError

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end. ``etag``:
        the ETag a reader took when it was opened (``FileInfo.etag``); a file that no
        longer has it raises ``changed_while_read`` instead of returning its new bytes."""
        return self.read_bytes(path)[start:end]

    def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically. Returns a new path if the backend moved
        the node (base64 does), else ``None``."""
        raise NotImplementedError

    def open_read(self, path: str) -> Reader:
        return io.BytesIO(self.read_bytes(path))

    def open_write(self, path: str) -> Writer:
        return BufferWriter(lambda data: self.write_bytes(path, data))

    # -- tree -------------------------------------------------------------------
    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        """One page of the directory's entries, sorted by name."""
        raise NotImplementedError

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        raise unsupported(self.type_name, "mkdir")

    def delete(self, path: str, recursive: bool = False) -> None:
        raise unsupported(self.type_name, "delete")

    def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this backend."""
        self.write_bytes(dst, self.read_bytes(src))

    def move(self, src: str, dst: str) -> None:
        """Move a file inside this backend."""
        self.copy(src, dst)
        self.delete(src)

    def same_store(self, other: Any) -> bool:
        """Whether a copy from this backend to ``other`` can be done by the store."""
        return other is self

    def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Copy ``src`` here to ``dst`` on ``other``, where ``same_store(other)``."""
        if other is self:
            self.copy(src, dst)
            return
        raise unsupported(self.type_name, "server-side copy to another store")

    # -- extras -----------------------------------------------------------------
    def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        return None

    def get_metadata(self, path: str) -> dict[str, str]:
        raise unsupported(self.type_name, "metadata")

    def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        raise unsupported(self.type_name, "metadata")

    def versions(self, path: str) -> builtins.list[VersionInfo]:
        raise unsupported(self.type_name, "versions")

    def read_version(self, path: str, version_id: str) -> bytes:
        raise unsupported(self.type_name, "versions")

    def open_read_version(self, path: str, version_id: str) -> Reader:
        """A reader over one stored version. Stores that can stream a version (S3:
        ranged GETs with ``VersionId``) override this; others read it whole."""
        return io.BytesIO(self.read_version(path, version_id))

    def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good (versioned stores only)."""
        raise unsupported(self.type_name, "versions")

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """A URL for the file, presigned when the store signs, or ``None``."""
        return None

    def local_path(self, path: str) -> str | None:
        """The file's path on local disk, when it has one."""
        return None

    def close(self) -> None:
        """Release clients and sessions."""
