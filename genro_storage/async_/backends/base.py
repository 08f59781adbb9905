"""The async backend contract, and the thread wrapper that turns any sync backend into
an async one (memory, base64, sync-only fsspec filesystems, user classes)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

from ..._shared.async_utils import run_in_thread, to_the_end
from ..._shared.capabilities import Capabilities
from ..._shared.config import MountConfig
from ..._shared.exceptions import StorageNotFoundError, unsupported
from ..._shared.identity import Location, segments
from ..._shared.info import FileInfo, Page, VersionInfo
from ..._shared.paths import normalize
from ...backends.base import StorageBackend

T = TypeVar("T")


class AsyncReader(Protocol):
    async def read(self, size: int = -1) -> bytes: ...
    async def close(self) -> None: ...


class AsyncWriter(Protocol):
    async def write(self, data: bytes) -> int: ...
    async def commit(self) -> Any: ...
    async def abort(self) -> None: ...


class AsyncStorageBackend:
    """Base class of the async backends: the sync method set, awaited."""

    type_name: ClassVar[str] = "base"
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: True when I/O runs on the event loop through an async library.
    _supports_native_async: bool = True

    def __init__(self, config: MountConfig) -> None:
        self.config = config
        self.mount = config.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mount={self.mount!r} native={self.is_native}>"

    @property
    def is_native(self) -> bool:
        """Whether this mount's I/O is natively async (else it runs in threads)."""
        return self._supports_native_async

    @property
    def run_mode(self) -> str:
        """How this mount's calls run, as ``describe()`` reports it: ``'native'`` (on the
        loop through an async library), ``'thread'`` (thread hops) or ``'inline'`` (on
        the loop, never blocking: the memory mount)."""
        return "native" if self.is_native else "thread"

    def normalize_path(self, *parts: str) -> str:
        return normalize(*parts)

    def where(self, path: str) -> str:
        return f"{self.mount}:{path}"

    def location(self, path: str) -> Location:
        """The physical place of ``path`` (no I/O); see ``StorageBackend.location``."""
        return Location(("backend", id(self)), segments(path))

    def is_root(self, path: str) -> bool:
        """Whether ``path`` is a root of the mount (see ``StorageBackend.is_root``)."""
        return not path

    def sync_backend(self) -> StorageBackend | None:
        """The sync backend over the same store, when one exists already (shared state)."""
        return None

    async def info(self, path: str) -> FileInfo:
        raise NotImplementedError

    async def exists(self, path: str) -> bool:
        try:
            await self.info(path)
        except StorageNotFoundError:
            return False
        return True

    async def read_bytes(self, path: str) -> bytes:
        raise NotImplementedError

    async def read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> bytes:
        return (await self.read_bytes(path))[start:end]

    async def write_bytes(self, path: str, data: bytes) -> str | None:
        raise NotImplementedError

    async def open_read(self, path: str) -> AsyncReader:
        raise NotImplementedError

    async def open_write(self, path: str) -> AsyncWriter:
        raise NotImplementedError

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        raise NotImplementedError

    async def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        raise unsupported(self.type_name, "mkdir")

    async def delete(self, path: str, recursive: bool = False) -> None:
        raise unsupported(self.type_name, "delete")

    async def copy(self, src: str, dst: str) -> None:
        await self.write_bytes(dst, await self.read_bytes(src))

    async def move(self, src: str, dst: str) -> None:
        await self.copy(src, dst)
        await self.delete(src)

    def same_store(self, other: Any) -> bool:
        return other is self

    async def server_copy(self, src: str, other: Any, dst: str) -> None:
        if other is self:
            await self.copy(src, dst)
            return
        raise unsupported(self.type_name, "server-side copy to another store")

    async def md5hash(self, path: str) -> str | None:
        return None

    async def get_metadata(self, path: str) -> dict[str, str]:
        raise unsupported(self.type_name, "metadata")

    async def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        raise unsupported(self.type_name, "metadata")

    async def versions(self, path: str) -> builtins.list[VersionInfo]:
        raise unsupported(self.type_name, "versions")

    async def read_version(self, path: str, version_id: str) -> bytes:
        raise unsupported(self.type_name, "versions")

    async def open_read_version(self, path: str, version_id: str) -> AsyncReader:
        """A reader over one stored version, streamed with ranged reads."""
        raise unsupported(self.type_name, "versions")

    async def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good (versioned stores only)."""
        raise unsupported(self.type_name, "versions")

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """No I/O: a URL for the file, or ``None``."""
        return None

    async def local_path(self, path: str) -> str | None:
        return None

    async def close(self) -> None:
        """Release clients and sessions."""

    def discard(self) -> None:
        """The mount was removed or replaced: release what can be released without
        awaiting (the manager's ``remove_mount``/``configure`` are not coroutines)."""


#: Bytes above which a call counts as large (it copies that much): it takes its own
#: thread hop, and an inline mount leaves the loop for it. Measured on a 2-core machine:
#: copying 1 MiB costs about 30 µs, one thread hop about 70 µs; 4 MiB about 140 µs.
LARGE_BYTES = 1024 * 1024


def _nbytes(data: Any) -> int:
    """Bytes ``data`` holds (any bytes-like object; 0 for others, which the backend
    refuses with its own error)."""
    if isinstance(data, bytes):
        return len(data)
    try:
        return memoryview(data).nbytes
    except TypeError:
        return 0


class ThreadReader:
    """Async face of a sync reader: each call is one hop of its backend."""

    def __init__(self, reader: Any, backend: ThreadBackend) -> None:
        self._reader = reader
        self._backend = backend

    async def read(self, size: int = -1) -> bytes:
        small = isinstance(size, int) and 0 <= size <= LARGE_BYTES  # -1, None: the rest
        hop = self._backend._hop if small else self._backend._long_hop
        return await hop(self._reader.read, size)

    async def close(self) -> None:
        await to_the_end(self._backend._hop(self._reader.close))


class ThreadWriter:
    """Async face of a sync writer. Dropped uncommitted, the sync writer's own cleanup
    runs when it is collected; its commit is a commit point (see ``run_in_thread``)."""

    def __init__(self, writer: Any, backend: ThreadBackend) -> None:
        self._writer = writer
        self._backend = backend

    async def write(self, data: bytes) -> int:
        hop = self._backend._hop if _nbytes(data) <= LARGE_BYTES else self._backend._long_hop
        return await hop(self._writer.write, data)

    async def commit(self) -> Any:
        """What the sync writer's commit returns (base64: the new node's path)."""
        return await self._backend._long_hop(self._writer.commit)

    async def abort(self) -> None:
        await to_the_end(self._backend._hop(self._writer.abort))

    @property
    def can_commit_new(self) -> bool:
        """Whether the sync writer has an atomic create-only commit (mode 'x')."""
        return bool(getattr(self._writer, "can_commit_new", False))

    async def commit_new(self) -> Any:
        """The sync writer's ``commit_new`` (a commit point, as ``commit``)."""
        return await run_in_thread(self._writer.commit_new)


class ThreadBackend(AsyncStorageBackend):
    """Runs a sync backend off the loop: one thread hop per call (``run_in_thread``).

    Every method goes through ``_hop`` (a call whose cost does not grow with the data:
    a stat, a small read or write, a page of a listing) or ``_long_hop`` (one that may
    copy or visit a lot: a whole listing, a recursive delete, a copy, a large blob).
    Here both are ``run_in_thread``; subclasses choose cheaper ways for ``_hop``
    (the local mount batches hops, the memory mount runs them inline on the loop)."""

    _supports_native_async = False

    def __init__(self, sync: StorageBackend) -> None:
        super().__init__(sync.config)
        self._sync = sync
        self.type_name = sync.type_name  # type: ignore[misc]
        self.capabilities = sync.capabilities  # type: ignore[misc]

    async def _hop(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a short blocking call off the loop."""
        return await run_in_thread(fn, *args)

    async def _long_hop(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a call that may take long (or copy a lot) in its own thread hop."""
        return await run_in_thread(fn, *args)

    def sync_backend(self) -> StorageBackend:
        return self._sync

    def normalize_path(self, *parts: str) -> str:
        return self._sync.normalize_path(*parts)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        return self._sync.url(path, expires_in)

    def location(self, path: str) -> Location:
        return self._sync.location(path)

    def is_root(self, path: str) -> bool:
        return self._sync.is_root(path)

    def same_store(self, other: Any) -> bool:
        return other is self or (
            isinstance(other, ThreadBackend) and self._sync.same_store(other._sync)
        )

    async def server_copy(self, src: str, other: Any, dst: str) -> None:
        target = other._sync if isinstance(other, ThreadBackend) else other
        await self._long_hop(self._sync.server_copy, src, target, dst)

    async def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        return await self._hop(self._sync.info, path)

    async def exists(self, path: str) -> bool:
        """Whether something exists at ``path``."""
        return await self._hop(self._sync.exists, path)

    async def read_bytes(self, path: str) -> bytes:
        """The whole file (files are small as a rule; batched hops stay fair to large
        ones, see ``_shared/batching.py``)."""
        return await self._hop(self._sync.read_bytes, path)

    async def read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end."""
        small = end is not None and end - start <= LARGE_BYTES
        hop = self._hop if small else self._long_hop
        return await hop(self._sync.read_range, path, start, end, etag)

    async def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically (base64: returns the new path)."""
        hop = self._hop if _nbytes(data) <= LARGE_BYTES else self._long_hop
        return await hop(self._sync.write_bytes, path, data)

    async def open_read(self, path: str) -> ThreadReader:
        """A reader whose every call is one hop."""
        return ThreadReader(await self._hop(self._sync.open_read, path), self)

    async def open_write(self, path: str) -> ThreadWriter:
        """A writer whose every call is one hop; its commit is a commit point."""
        return ThreadWriter(await self._hop(self._sync.open_write, path), self)

    async def list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Page:
        """One page of the folder's entries, sorted by name."""
        hop = self._hop if page_size is not None and page_size <= 1000 else self._long_hop
        return await hop(self._sync.list, path, page_size, cursor)

    async def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Create a folder."""
        await self._hop(self._sync.mkdir, path, parents, exist_ok)

    async def delete(self, path: str, recursive: bool = False) -> None:
        """Delete a file, or a folder (non-empty only with ``recursive``)."""
        hop = self._long_hop if recursive else self._hop
        await hop(self._sync.delete, path, recursive)

    async def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount."""
        await self._long_hop(self._sync.copy, src, dst)

    async def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        await self._long_hop(self._sync.move, src, dst)

    async def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        return await self._hop(self._sync.md5hash, path)

    async def get_metadata(self, path: str) -> dict[str, str]:
        """The file's user metadata."""
        return await self._hop(self._sync.get_metadata, path)

    async def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata."""
        await self._hop(self._sync.set_metadata, path, metadata)

    async def versions(self, path: str) -> builtins.list[VersionInfo]:
        """Stored versions, newest first."""
        return await self._hop(self._sync.versions, path)

    async def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        return await self._long_hop(self._sync.read_version, path, version_id)

    async def open_read_version(self, path: str, version_id: str) -> ThreadReader:
        """A reader over one stored version whose every call is one thread hop."""
        return ThreadReader(await self._hop(self._sync.open_read_version, path, version_id), self)

    async def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good."""
        await self._hop(self._sync.delete_version, path, version_id)

    async def local_path(self, path: str) -> str | None:
        """The file's path on local disk, when it has one."""
        return await self._hop(self._sync.local_path, path)

    async def close(self) -> None:
        """Release clients and sessions."""
        await self._long_hop(self._sync.close)
